"""The data folder (SAS2_DATA_DIR) holds the database, stored files and secrets: the owner's alone.

Folders are made mode 700 and files 600 whatever the umask; an older folder or database that
others could read is tightened when the app starts. Settings import this module: it uses no
Django settings.
"""

import os
from pathlib import Path

PRIVATE_FOLDER_MODE, PRIVATE_FILE_MODE = 0o700, 0o600


def _tighten(path: Path, mode: int) -> None:
    if path.stat().st_uid == os.getuid():  # someone else's folder is theirs to set
        path.chmod(mode)


def private_folder(path: Path) -> Path:
    """Make the folder (and its parents) if missing, and keep it the owner's alone."""
    path.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)
    _tighten(path, PRIVATE_FOLDER_MODE)
    return path


def private_sqlite_file(name: str, *, data_dir: Path) -> None:
    """Create the SQLite database file for its owner only, before SQLite opens it.

    SQLite would create it with the process's umask (often world-readable); its journal
    files copy the database file's mode.
    """
    if name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    if path.parent == data_dir:
        private_folder(data_dir)
    if not path.parent.is_dir():
        return  # SQLite will say that it cannot open the file
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE))
    _tighten(path, PRIVATE_FILE_MODE)
