"""Storage keys: every stored file's key is made here, by one named function per layout.

Every key starts with private/<tenant_id>/. Rule for a segment made from user data (an AS2 ID, a
Message-ID, a file name): keep ASCII letters, digits, '.', '-', '_' and '@'; replace every other
character (slashes, spaces, control and non-ASCII characters) with '_'; strip leading dots so
'.' and '..' cannot appear; cut to 100 characters; an empty result becomes '_'.

Layouts (partner before me in the folder, me before partner in a certificate's file name):
    private/<tenant>/<partner>/<me>/cert/<me>-<partner>[-<n>].cer        our public certificate
    private/<tenant>/<partner>/<me>/cert/<me>-<partner>[-<n>][.<v>].p12  the Complete KeyStore
    private/<tenant>/<partner>/<me>/<inbox|outbox>/<message_id>/<name>   a message's files
    private/<tenant>/<partner>/<me>/<inbox|outbox>/<message_id>/payload/<file name>
                                                                         its payload (EDI)

A message's folder must never be shared by two messages of a partnership (the second would
overwrite the first's files), so a Message-ID that the rule changed (unsafe characters, or longer
than the limit) ends in "_" and 16 hex digits of the SHA-256 of the original Message-ID:
"a/b@x" and "a_b@x" get two folders.
"""

import hashlib
import re
from typing import Final

from serverless_as2.models import Tenant

_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]")
MAX_SEGMENT: Final = 100
MESSAGE_DIRECTIONS: Final = ("inbox", "outbox")
# Room for the longest suffix and extension of a certificate's files ("-99.9999.p12"), so that
# the stem is cut, never the extension.
MAX_CERTIFICATE_NUMBER: Final = 99
MAX_KEYSTORE_VERSION: Final = 9999
_CERTIFICATE_SUFFIX_ROOM: Final = len("-99.9999.p12")


def safe_segment(value: str) -> str:
    """A path segment that cannot escape its folder or carry control characters."""
    segment = _UNSAFE.sub("_", value).lstrip(".")[:MAX_SEGMENT]
    return segment or "_"


def tenant_key(tenant: Tenant, *segments: str) -> str:
    """The storage key private/<tenant_id>/<segment>/..., each segment made safe."""
    return "/".join(["private", str(tenant.id), *(safe_segment(s) for s in segments)])


# -- certificates ------------------------------------------------------------------------------


def certificate_stem(*, partner_as2_id: str, my_as2_id: str, number: int = 1) -> str:
    """<me>-<partner>, with "-<number>" from 2 on: the file name of a certificate's files."""
    if not 1 <= number <= MAX_CERTIFICATE_NUMBER:
        raise ValueError(f"A certificate file number runs from 1 to {MAX_CERTIFICATE_NUMBER}.")
    stem = f"{safe_segment(my_as2_id)}-{safe_segment(partner_as2_id)}"
    stem = stem[: MAX_SEGMENT - _CERTIFICATE_SUFFIX_ROOM]
    return stem if number == 1 else f"{stem}-{number}"


def public_key_key(tenant: Tenant, *, partner_as2_id: str, my_as2_id: str, number: int = 1) -> str:
    """Our public certificate (Download PublicKey): …/cert/<me>-<partner>[-<n>].cer.

    `number` (2, 3, ...) tells apart partnerships whose AS2 IDs differ only in unsafe characters.
    """
    stem = certificate_stem(partner_as2_id=partner_as2_id, my_as2_id=my_as2_id, number=number)
    return tenant_key(tenant, partner_as2_id, my_as2_id, "cert", f"{stem}.cer")


def keystore_key(
    tenant: Tenant, *, partner_as2_id: str, my_as2_id: str, number: int = 1, version: int = 1
) -> str:
    """The Complete KeyStore beside the .cer: …/cert/<me>-<partner>[-<n>][.<version>].p12.

    Each partner certificate rotation writes a new version, so the old file stays valid until
    the database commits the new key.
    """
    if not 1 <= version <= MAX_KEYSTORE_VERSION:
        raise ValueError(f"A keystore version runs from 1 to {MAX_KEYSTORE_VERSION}.")
    stem = certificate_stem(partner_as2_id=partner_as2_id, my_as2_id=my_as2_id, number=number)
    name = f"{stem}.p12" if version == 1 else f"{stem}.{version}.p12"
    return tenant_key(tenant, partner_as2_id, my_as2_id, "cert", name)


# -- messages (the messaging issue) ------------------------------------------------------------


def message_key(
    tenant: Tenant,
    *,
    partner_as2_id: str,
    my_as2_id: str,
    direction: str,
    message_id: str,
    name: str,
) -> str:
    """private/<tenant>/<partner>/<me>/<direction>/<message_id>/<name>; direction is "inbox" or "outbox"."""
    if direction not in MESSAGE_DIRECTIONS:
        raise ValueError(f"A message's direction is 'inbox' or 'outbox', not {direction!r}.")
    folder = distinct_segment(message_id)
    return tenant_key(tenant, partner_as2_id, my_as2_id, direction, folder, name)


def message_payload_key(
    tenant: Tenant,
    *,
    partner_as2_id: str,
    my_as2_id: str,
    direction: str,
    message_id: str,
    filename: str,
) -> str:
    """A message's payload under its own file name, in a folder of its own: a partner's file
    name can never replace the message's other files (message.raw, mdn.raw)."""
    folder = message_key(
        tenant,
        partner_as2_id=partner_as2_id,
        my_as2_id=my_as2_id,
        direction=direction,
        message_id=message_id,
        name="payload",
    )
    return f"{folder}/{safe_segment(filename)}"


def distinct_segment(value: str) -> str:
    """A safe segment that stays distinct: one the rule changed ends in _<16 hex of SHA-256>."""
    segment = safe_segment(value)
    if segment == value:
        return segment
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{segment[: MAX_SEGMENT - 17]}_{digest}"
