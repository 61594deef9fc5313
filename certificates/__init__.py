"""Certificate keystores per partnership: generate, import, store, download, rotate."""
