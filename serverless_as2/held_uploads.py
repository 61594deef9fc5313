"""Files chosen on a form that failed, held for the retry so the user need not choose them again.

A browser never re-fills a file input, so after an error the page would silently drop the
files. The view keeps each field's uploads in the user's session under a random, short-lived
token, and the next post of the form (with the token, without new files) gets them back. Only
the user's own session can hold or take a file; a token is single-use and lasts HOLD_SECONDS.
A file over HOLD_FILE_MAX_BYTES, or past the session's budget of HOLD_SESSION_MAX_BYTES, is
not held (the session is read on every request): the page names it, to be chosen again. Passwords are never held (they
are never sent back to the page either).
"""

import base64
import secrets
import time
from dataclasses import dataclass

from django import forms
from django.contrib.sessions.backends.base import SessionBase
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.datastructures import MultiValueDict

HOLD_SECONDS = 30 * 60
HOLD_FILE_MAX_BYTES = 1_048_576  # a keystore or certificate upload's own limit
# What the session stores of held files (base64): two files of the largest size, as Create Cert
# may need to hold a keystore and a partner certificate together.
HOLD_SESSION_MAX_BYTES = 2 * ((HOLD_FILE_MAX_BYTES + 2) // 3 * 4)
_SESSION_KEY = "held_uploads"


@dataclass(frozen=True)
class HeldUploads:
    """What a failed form kept for its retry."""

    tokens: dict[str, str]  # field -> token, for the page's hidden held_<field> inputs
    dropped: tuple[str, ...]  # names of the files too large to keep: to be chosen again


def _held(session: SessionBase) -> dict:
    now = time.time()
    held = {t: f for t, f in session.get(_SESSION_KEY, {}).items() if f["until"] > now}
    return held


def _held_bytes(held: dict) -> int:
    return sum(len(f["content"]) for entry in held.values() for f in entry.get("files", [entry]))


def uploads_restore(
    *, session: SessionBase, data: MultiValueDict, files: MultiValueDict, fields: tuple[str, ...]
) -> MultiValueDict:
    """The posted files, with the held files put back for each field posted without new ones."""
    held = _held(session)
    restored = files.copy()
    for name in fields:
        token = data.get(f"held_{name}", "")
        entry = held.pop(token, None)
        if entry is None or entry["field"] != name or name in files:
            continue
        restored.setlist(
            name,
            [
                SimpleUploadedFile(f["name"], base64.b64decode(f["content"]), f["content_type"])
                for f in entry.get("files", [entry])  # an entry held before lists: one file
            ],
        )
    if held != session.get(_SESSION_KEY, {}):  # only a change costs a session write
        session[_SESSION_KEY] = held
    return restored


def uploads_hold(
    *, session: SessionBase, form: forms.Form, files: MultiValueDict, fields: tuple[str, ...]
) -> HeldUploads:
    """Hold a failed form's files for the retry, and mark each field with the names kept."""
    held = _held(session)
    budget = HOLD_SESSION_MAX_BYTES - _held_bytes(held)
    tokens: dict[str, str] = {}
    dropped: list[str] = []
    for name in fields:
        kept = []
        for upload in files.getlist(name):
            filename = upload.name or name
            encoded_size = (upload.size + 2) // 3 * 4
            if upload.size > HOLD_FILE_MAX_BYTES or encoded_size > budget:
                dropped.append(filename)
                continue
            upload.seek(0)
            kept.append(
                {
                    "name": filename,
                    "content_type": upload.content_type or "application/octet-stream",
                    "content": base64.b64encode(upload.read()).decode(),
                }
            )
            upload.seek(0)
            budget -= encoded_size
        if kept:
            tokens[name] = secrets.token_urlsafe(24)
            held[tokens[name]] = {"field": name, "files": kept, "until": time.time() + HOLD_SECONDS}
            form.fields[name].kept = ", ".join(f["name"] for f in kept)
    session[_SESSION_KEY] = held
    return HeldUploads(tokens=tokens, dropped=tuple(dropped))
