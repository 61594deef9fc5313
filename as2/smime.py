"""S/MIME layers over MIME entities: multipart/signed, application/pkcs7-mime, MIC values."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from cryptography import x509

from as2 import cms
from as2.algorithms import Digest
from as2.credentials import Signer
from as2.exceptions import As2Error, MalformedMessage, SignatureInvalid, UnsupportedAlgorithm
from as2.mime import (
    MimeEntity,
    TransferEncoding,
    build_multipart,
    decode_transfer_encoding,
    encode_transfer_encoding,
    make_boundary,
    quote_param,
    split_multipart,
)

PKCS7_MIME_TYPES = ("application/pkcs7-mime", "application/x-pkcs7-mime")
PKCS7_SIGNATURE_TYPES = ("application/pkcs7-signature", "application/x-pkcs7-signature")

# smime-type and file name for each CMS content type we write (RFC 8551, RFC 3274).
_SMIME_TYPES = {
    "enveloped-data": ("enveloped-data", "smime.p7m"),
    "authenticated-enveloped-data": ("authEnveloped-data", "smime.p7m"),
    "compressed-data": ("compressed-data", "smime.p7z"),
    "signed-data": ("signed-data", "smime.p7m"),
}


def format_mic(digest: bytes, algorithm: Digest) -> str:
    """A Received-Content-MIC value: ``<base64 digest>, <algorithm>``."""
    return f"{base64.b64encode(digest).decode('ascii')}, {algorithm.micalg}"


def compute_mic(data: bytes | memoryview, algorithm: Digest) -> str:
    """The MIC of ``data`` in Received-Content-MIC form."""
    return format_mic(cms.digest(data, algorithm), algorithm)


def parse_mic(value: str) -> tuple[bytes, Digest]:
    """The digest bytes and normalised algorithm of a ``<base64>, <algorithm>`` MIC value."""
    encoded, comma, algorithm = value.rpartition(",")
    if not comma or not encoded.strip():
        raise MalformedMessage(f"The MIC {value[:80]!r} is not '<base64 digest>, <algorithm>'.")
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedMessage(f"The MIC {value[:80]!r} is not valid base64.") from exc
    return digest, Digest.from_name(algorithm.strip())


def supported_digest(names: tuple[str, ...] | list[str]) -> Digest | None:
    """The first of ``names`` (as a peer spells them) the engine can compute, or None."""
    for name in names:
        try:
            return Digest.from_name(name)
        except As2Error:
            continue
    return None


# --- Writing ---------------------------------------------------------------------------------


def pkcs7_mime_fields(
    der: bytes, transfer_encoding: TransferEncoding
) -> tuple[list[tuple[str, str]], bytes]:
    """Headers and body of an application/pkcs7-mime entity holding ``der``."""
    smime_type, filename = _SMIME_TYPES[cms.content_type_of(der)]
    fields = [
        ("Content-Type", f'application/pkcs7-mime; smime-type={smime_type}; name="{filename}"'),
        ("Content-Transfer-Encoding", transfer_encoding),
        ("Content-Disposition", f'attachment; filename="{filename}"'),
    ]
    return fields, encode_transfer_encoding(der, transfer_encoding)


def signed_fields(
    entity: bytes, signer: Signer, *, transfer_encoding: TransferEncoding
) -> tuple[list[tuple[str, str]], list[bytes]]:
    """Headers and body pieces of a multipart/signed entity: ``entity``, then its signature."""
    signature = cms.sign(entity, signer)
    signature_part = (
        'Content-Type: application/pkcs7-signature; name="smime.p7s"; smime-type=signed-data\r\n'
        f"Content-Transfer-Encoding: {transfer_encoding}\r\n"
        'Content-Disposition: attachment; filename="smime.p7s"\r\n'
        "\r\n"
    ).encode("ascii") + encode_transfer_encoding(signature, transfer_encoding)
    boundary = make_boundary(entity, signature_part)
    content_type = (
        'multipart/signed; protocol="application/pkcs7-signature"; '
        f"micalg={signer.digest.micalg}; boundary={quote_param(boundary)}"
    )
    body = build_multipart([entity, signature_part], boundary)
    return [("Content-Type", content_type)], body


# --- Reading ---------------------------------------------------------------------------------


def cms_of(entity: MimeEntity) -> tuple[str, bytes]:
    """The CMS content type and DER/BER bytes of an application/pkcs7-mime entity."""
    der = _cms_bytes(entity)
    kind = cms.content_type_of(der)
    if kind == "authenticated-enveloped-data":
        kind = "enveloped-data"
    return kind, der


def _cms_bytes(entity: MimeEntity) -> bytes:
    """The CMS bytes of a part: binary or base64, whatever its Content-Transfer-Encoding says.

    Over HTTP the header is often absent or wrong. CMS always starts with a SEQUENCE tag (0x30)
    and, being longer than 127 bytes, a long-form or indefinite length octet (0x80 and up):
    such a body is binary whatever the header says. Otherwise a body that is valid base64 of
    a SEQUENCE is decoded as base64.
    """
    raw = entity.body
    if raw.nbytes > 1 and raw[0] == 0x30 and raw[1] >= 0x80:
        return decode_transfer_encoding(raw, "binary")
    body = entity.decoded_body()
    if body[:1] == b"\x30":  # DER/BER SEQUENCE; base64 of one starts with "M"
        return body
    try:
        decoded = binascii.a2b_base64(body)
    except binascii.Error:
        return body
    return decoded if decoded[:1] == b"0" else body


@dataclass(frozen=True, slots=True)
class VerifiedEntity:
    """The result of checking a multipart/signed entity."""

    info: cms.SignatureInfo
    content: MimeEntity  # the signed entity, to be unwrapped further
    signed_bytes: bytes | memoryview  # the exact bytes the signature covers (MIC input)


def verify_multipart_signed(
    entity: MimeEntity, *, certificates: list[x509.Certificate] | None
) -> VerifiedEntity:
    """Verify a multipart/signed entity over the signed part's exact bytes.

    Some peers (and some ways of storing messages) turn the signed part's header lines into
    LF; RFC 5751 signs them in CRLF form, so that form is tried when the bytes as received
    do not verify. The body is never altered.
    """
    parts = split_multipart(entity)
    if len(parts) != 2:
        raise MalformedMessage(
            f"A multipart/signed entity has {len(parts)} parts instead of 2 "
            "(content and signature); check the partner's signing settings."
        )
    content, signature_part = parts
    if signature_part.content_type.value not in PKCS7_SIGNATURE_TYPES:
        raise UnsupportedAlgorithm(
            f"The signature part is {signature_part.content_type.value!r}, not "
            "application/pkcs7-signature; only S/MIME signatures are supported."
        )
    signature = _cms_bytes(signature_part)
    candidates: list[bytes | memoryview] = [content.raw]
    if not content.has_canonical_headers:
        candidates.append(content.canonical())
    first_error: SignatureInvalid | None = None
    for candidate in candidates:
        try:
            info = cms.verify(signature, candidate, certificates=certificates)
        except SignatureInvalid as exc:
            first_error = first_error or exc
            continue
        return VerifiedEntity(info, content, candidate)
    assert first_error is not None  # noqa: S101 - candidates is never empty
    raise first_error
