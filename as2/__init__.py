"""Pure-Python AS2 engine: MIME, CMS and MDN over bytes; no Django, no I/O."""
