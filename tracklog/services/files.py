"""Stored files of messages: raw requests, payloads and MDNs, written without extra copies."""

import io
import logging
from collections.abc import Sequence

from django.core.files import File
from django.core.files.storage import default_storage

logger = logging.getLogger(__name__)


class StorageFailed(Exception):
    """A file could not be stored (str: a sentence; the cause is logged)."""


class _Joined(io.RawIOBase):
    """A read-only, seekable file over several byte strings, without joining them in memory."""

    def __init__(self, parts: Sequence[bytes | memoryview]) -> None:
        self._parts = [memoryview(part) for part in parts if part]
        self._size = sum(len(part) for part in self._parts)
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        wanted, written, start = len(buffer), 0, 0
        view = memoryview(buffer).cast("B")
        for part in self._parts:
            end = start + len(part)
            if self._position < end and written < wanted:
                offset = self._position - start
                take = min(len(part) - offset, wanted - written)
                view[written : written + take] = part[offset : offset + take]
                written += take
                self._position += take
            start = end
        return written

    @property
    def size(self) -> int:
        return self._size


def file_write(key: str, *parts: bytes | memoryview) -> str:
    """Store the bytes of `parts`, one after the other, at exactly `key` (replacing a file there)."""
    joined = _Joined(parts)
    content = File(io.BufferedReader(joined, buffer_size=1024 * 1024), name=key)
    content.size = joined.size
    try:
        name = default_storage.save(key, content)  # replaces a file there (allow_overwrite)
    except Exception as error:
        logger.exception("Could not store %s", key)
        raise StorageFailed(
            f"The file {key} could not be stored ({type(error).__name__})."
        ) from None
    if name != key:
        raise StorageFailed(f"The storage saved {key} as {name}.")
    return key


def file_discard(*keys: str) -> None:
    """Delete the files of a receipt that was not recorded (best effort: storage may be down)."""
    for key in keys:
        if not key:
            continue
        try:
            default_storage.delete(key)
        except Exception:  # noqa: BLE001 (the partner sends again; the key is then rewritten)
            logger.warning("Could not delete %s, left by a receipt that was not recorded", key)


def file_read(key: str) -> bytes:
    """The bytes stored at `key`."""
    with default_storage.open(key, "rb") as stored:
        return stored.read()


def http_message_bytes(headers: dict[str, str]) -> bytes:
    """HTTP header fields as stored in front of a raw message or MDN ("Name: value" lines)."""
    lines = "".join(f"{name}: {_one_line(value)}\r\n" for name, value in headers.items())
    return lines.encode("utf-8", "replace") + b"\r\n"


def http_message_split(data: bytes) -> tuple[dict[str, str], bytes]:
    """Headers and body of a stored raw message or MDN (see http_message_bytes)."""
    head, _, body = data.partition(b"\r\n\r\n")
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", "replace").split("\r\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip()] = value.strip()
    return headers, body


def _one_line(value: str) -> str:
    return " ".join(str(value).split())
