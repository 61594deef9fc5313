"""Copy EDI URL / Copy MDN URL: signed, time-limited links to one stored file of one message.

On local files, a link carries the message's pk and the file kind, signed with Django's
TimestampSigner (the project's SECRET_KEY and a salt of its own), so it opens that one file
without a login until it expires, and an altered link opens nothing. On S3, a link is a presigned
GET of that one object with the same lifetime: S3 serves it (the function never carries the
bytes, which may exceed Lambda's response limit) and refuses it once altered or expired.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage

SALT = "tracklog.file-link"
DEFAULT_MAX_AGE = 3600  # seconds; settings.TRACKLOG_LINK_MAX_AGE overrides it


class FileKind(StrEnum):
    """The files of a message that a link or a download can name."""

    EDI = "edi"  # the payload: what the partner sent us, or the original we sent
    MDN = "mdn"  # the receipt
    RAW = "raw"  # the message as it went over the wire (downloads only, never a link)


LINK_KINDS = (FileKind.EDI, FileKind.MDN)


class LinkRefused(Exception):
    """A link that was altered, made for something else, or has expired (str: a sentence)."""


@dataclass(frozen=True)
class LinkTarget:
    message_pk: int
    kind: FileKind


def link_max_age() -> int:
    """How long a copied link works, in seconds."""
    return int(getattr(settings, "TRACKLOG_LINK_MAX_AGE", DEFAULT_MAX_AGE))


def file_link_presigned(*, key: str, filename: str) -> str | None:
    """An S3 presigned GET of one stored object for the link lifetime; None off S3."""
    # S3Storage with querystring_auth signs its URLs; local storage has no such attribute.
    if not getattr(default_storage, "querystring_auth", False):
        return None
    return default_storage.url(
        key,
        parameters={"ResponseContentDisposition": f'attachment; filename="{filename}"'},
        expire=link_max_age(),
    )


def file_link_token(*, message_pk: int, kind: FileKind) -> str:
    """A signed token naming one file of one message (the last part of the link)."""
    if kind not in LINK_KINDS:
        raise ValueError(f"No links are made for {kind} files.")
    return signing.TimestampSigner(salt=SALT).sign_object({"m": message_pk, "k": str(kind)})


def file_link_open(*, token: str, max_age: int | None = None) -> LinkTarget:
    """The file a token names, or LinkRefused when it was altered or has expired."""
    signer = signing.TimestampSigner(salt=SALT)
    try:
        value = signer.unsign_object(token, max_age=link_max_age() if max_age is None else max_age)
    except signing.SignatureExpired as error:
        raise LinkRefused(
            "This link has expired: copy a fresh one from the message in the TrackLog."
        ) from error
    except (signing.BadSignature, ValueError) as error:
        raise LinkRefused("This link is not valid: copy it again from the TrackLog.") from error
    try:
        kind = FileKind(value["k"])
        message_pk = int(value["m"])
    except (KeyError, TypeError, ValueError) as error:  # signed by us, but not a link
        raise LinkRefused("This link is not valid: copy it again from the TrackLog.") from error
    if kind not in LINK_KINDS:
        raise LinkRefused("This link is not valid: copy it again from the TrackLog.")
    return LinkTarget(message_pk=message_pk, kind=kind)
