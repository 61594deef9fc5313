"""Files chosen on a form that failed, held for the retry so the user need not choose them again.

A browser never re-fills a file input, so after an error the page would silently drop the
files. The view keeps each upload in the user's session under a random, short-lived token,
and the next post of the form (with the token, without a new file) gets it back. Only the
user's own session can hold or take a file; a token is single-use and lasts HOLD_SECONDS.
Passwords are never held (they are never sent back to the page either).
"""

import base64
import secrets
import time

from django.contrib.sessions.backends.base import SessionBase
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.datastructures import MultiValueDict

from certificates.rules import MAX_UPLOAD_BYTES

HOLD_SECONDS = 30 * 60
_SESSION_KEY = "held_uploads"


def _held(session: SessionBase) -> dict:
    now = time.time()
    held = {t: f for t, f in session.get(_SESSION_KEY, {}).items() if f["until"] > now}
    return held


def uploads_restore(
    *, session: SessionBase, data: MultiValueDict, files: MultiValueDict, fields: tuple[str, ...]
) -> MultiValueDict:
    """The posted files, with a held file put back for each field posted without a new one."""
    held = _held(session)
    restored = files.copy()
    for name in fields:
        token = data.get(f"held_{name}", "")
        entry = held.pop(token, None)
        if entry is None or entry["field"] != name or name in files:
            continue
        restored[name] = SimpleUploadedFile(
            entry["name"], base64.b64decode(entry["content"]), entry["content_type"]
        )
    session[_SESSION_KEY] = held
    return restored


def uploads_hold(
    *, session: SessionBase, files: MultiValueDict, fields: tuple[str, ...]
) -> dict[str, tuple[str, str]]:
    """Hold the form's files for a retry: field -> (token, file name)."""
    held = _held(session)
    kept: dict[str, tuple[str, str]] = {}
    for name in fields:
        upload: UploadedFile | None = files.get(name)
        if upload is None or upload.size > MAX_UPLOAD_BYTES:
            continue
        upload.seek(0)
        token = secrets.token_urlsafe(24)
        held[token] = {
            "field": name,
            "name": upload.name or name,
            "content_type": upload.content_type or "application/octet-stream",
            "content": base64.b64encode(upload.read()).decode(),
            "until": time.time() + HOLD_SECONDS,
        }
        upload.seek(0)
        kept[name] = (token, upload.name or name)
    session[_SESSION_KEY] = held
    return kept
