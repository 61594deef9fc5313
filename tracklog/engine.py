"""The one adapter between a partnership's settings and the AS2 engine (`as2`).

Every call into `as2` from the messaging code goes through here, so that a change of the
engine's API (typed values instead of strings) touches only this module.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import as2
from as2.mime import Headers, MimeEntity, entity_from_headers, split_multipart
from certificates.selectors import PartnershipKeys
from partnerships.models import (
    Encryption,
    KeyTransport,
    MdnMode,
    MdnSigning,
    Partnership,
    SignaturePadding,
    Signing,
)

if TYPE_CHECKING:
    from cryptography import x509

    from as2 import Envelope, InboundMdn, InboundMessage, OutboundMdn, OutboundMessage

As2Error = as2.As2Error
MalformedMessage = as2.MalformedMessage
SignatureInvalid = as2.SignatureInvalid
InsufficientSecurity = as2.InsufficientSecurity
UnknownPartner = as2.UnknownPartner
# The engine's message and MDN types load with the engine, on first use (cold starts).
_ENGINE_TYPES = frozenset(
    {"InboundMessage", "InboundMdn", "MicCheck", "OutboundMdn", "OutboundMessage", "Envelope"}
)


def __getattr__(name: str) -> Any:
    """engine.Envelope, engine.MicCheck, ...: the engine's types, imported on first use."""
    if name in _ENGINE_TYPES:
        return getattr(as2, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


REPORT_TYPE = "multipart/report"


def envelope_read(headers: dict[str, str]) -> Envelope:
    """Message-ID, AS2-From/To, Subject and the MDN request; MalformedMessage when absent."""
    return as2.read_envelope(headers)


def is_mdn(headers: dict[str, str], body: bytes) -> bool:
    """Whether a request to the endpoint carries an (async) MDN rather than a message."""
    fields = Headers.of(headers)
    content_type = (fields.get("Content-Type") or "").lower()
    if content_type.startswith(REPORT_TYPE):
        return True
    if not content_type.startswith("multipart/signed"):
        return False
    try:
        parts = split_multipart(entity_from_headers(fields, body))
    except As2Error:
        return False
    return bool(parts) and _content_type(parts[0]) == REPORT_TYPE


def _content_type(entity: MimeEntity) -> str:
    return entity.content_type.value


def message_build(
    *,
    partnership: Partnership,
    keys: PartnershipKeys,
    payload: bytes,
    filename: str,
    content_type: str,
    subject: str,
    message_id: str,
    async_mdn_url: str | None,
) -> OutboundMessage:
    """The AS2 message for a payload, compressed, signed and encrypted as the partnership says."""
    return as2.build_message(
        payload,
        filename=filename,
        content_type=content_type,
        sender=partnership.instance.my_as2_id,
        receiver=partnership.partner.partner_as2_id,
        subject=subject,
        signer=_signer(partnership, keys),
        recipient=_recipient(partnership, keys),
        compress=as2.Compression(partnership.compress),
        transfer_encoding=as2.TransferEncoding(partnership.content_transfer_encoding),
        mdn=_mdn_request(partnership, async_mdn_url),
        message_id=message_id,
    )


def _signer(partnership: Partnership, keys: PartnershipKeys) -> as2.Signer | None:
    if partnership.sign == Signing.NONE:
        return None
    digest = as2.Digest(partnership.sign)
    padding = as2.Pss() if partnership.signature_padding == SignaturePadding.PSS else as2.Pkcs1v15()
    return as2.Signer(keys.private_key, keys.certificate, digest, padding)


def _recipient(partnership: Partnership, keys: PartnershipKeys) -> as2.Recipient | None:
    if partnership.encrypt == Encryption.NONE:
        return None
    cipher = as2.ContentCipher(partnership.encrypt)
    return as2.Recipient(keys.partner_certificate, cipher, _key_transport(partnership))


def _key_transport(partnership: Partnership) -> as2.KeyTransport:
    if partnership.key_transport == KeyTransport.RSA:
        return as2.Pkcs1v15()
    return as2.Oaep(as2.Digest(partnership.key_transport.removeprefix("oaep-")))


def _mdn_request(partnership: Partnership, async_mdn_url: str | None) -> as2.MdnRequest | None:
    if partnership.mdn_mode == MdnMode.NONE:
        return None
    signed = partnership.mdn_sign != MdnSigning.UNSIGNED
    asynchronous = partnership.mdn_mode == MdnMode.ASYNC
    return as2.MdnRequest(
        mode=as2.MdnMode.ASYNC if asynchronous else as2.MdnMode.SYNC,
        signed=signed,
        digest_algorithms=(as2.Digest(partnership.mdn_sign),) if signed else (),
        url=async_mdn_url if asynchronous else None,
        to=partnership.as2_mdn_to or None,
    )


def _receiver_keys(keys: PartnershipKeys, *, trust_embedded: bool = False) -> as2.ReceiverKeys:
    partner_certificates = (keys.partner_certificate, *keys.earlier_partner_certificates)
    return as2.ReceiverKeys(
        keys.private_key, keys.certificate, None if trust_embedded else partner_certificates
    )


def message_parse(
    *,
    partnership: Partnership,
    keys: PartnershipKeys,
    headers: dict[str, str],
    body: bytes,
    max_payload_size: int,
) -> InboundMessage:
    """Decrypt, verify and decompress a received message under the partnership's rules.

    The partner's earlier certificates are accepted by the engine too; the caller decides what a
    signature by one of them means (see tracklog.services.receive).
    """
    return as2.parse_message(
        headers,
        body,
        keys=_receiver_keys(keys),
        require_encryption=partnership.encrypt != Encryption.NONE,
        require_signature=partnership.sign != Signing.NONE,
        max_payload_size=max_payload_size,
    )


def message_signer(
    *, keys: PartnershipKeys, headers: dict[str, str], body: bytes
) -> x509.Certificate | None:
    """The certificate a message carries in its signature (trusted for this question only), to
    say who signed a message whose signature the partnership does not accept; None if unknown."""
    try:
        return as2.parse_message(
            headers, body, keys=_receiver_keys(keys, trust_embedded=True)
        ).signer
    except As2Error:
        return None


def mdn_build(
    *,
    original: InboundMessage | Envelope,
    keys: PartnershipKeys | None,
    error: As2Error | None = None,
    warning: str | None = None,
    text: str | None = None,
) -> OutboundMdn:
    """The MDN answering a message: signed with our key when asked for and we have one."""
    return as2.build_mdn(
        original=original,
        error=error,
        warning=warning,
        signer=as2.Signer(keys.private_key, keys.certificate) if keys else None,
        text=text,
    )


def mdn_parse(
    *,
    partnership: Partnership,
    keys: PartnershipKeys,
    headers: dict[str, str],
    body: bytes,
    expected_mic: str | None,
    expected_message_id: str | None,
) -> InboundMdn:
    """Verify and read a partner's MDN; a signature is required when the partnership asks."""
    return as2.parse_mdn(
        headers,
        body,
        partner_certificates=[keys.partner_certificate, *keys.earlier_partner_certificates],
        expected_mic=expected_mic,
        expected_message_id=expected_message_id,
        require_signature=partnership.mdn_sign != MdnSigning.UNSIGNED,
    )


def mdn_original_message_id(headers: dict[str, str], body: bytes) -> str | None:
    """Original-Message-ID of an MDN, read without verifying it (to find the message it answers).

    None also when it is not printable: none of our Message-IDs is, and PostgreSQL cannot look up
    a text with NUL in it.
    """
    try:
        original = as2.parse_mdn(headers, body, partner_certificates=None).original_message_id
    except As2Error:
        return None
    return original if original and original.isprintable() else None


def as2_id_problem(value: str) -> str | None:
    """Why a header value is not an AS2 ID (the engine's one rule), or None when it is one."""
    try:
        as2.check_as2_id(value)
    except ValueError as error:
        return str(error)
    return None


def new_message_id() -> str:
    """A new, globally unique Message-ID for an outbound message."""
    return as2.make_message_id()


def certificate_summary(certificate: x509.Certificate) -> dict[str, str]:
    """Subject, serial, SHA-256 fingerprint and expiry of a certificate, for Message.details."""
    try:
        return dict(_summary(certificate))
    except ValueError:
        from cryptography.hazmat.primitives import hashes  # cryptography loads on first use

        # A certificate a partner's message carries is parsed lazily: a damaged one (a bit
        # flipped in its subject) fails only here. Say so rather than fail the whole receipt.
        return {
            "subject": "(a damaged certificate: its fields cannot be read)",
            "fingerprint": certificate.fingerprint(hashes.SHA256()).hex(":").upper(),
        }


@lru_cache(maxsize=256)
def _summary(certificate: x509.Certificate) -> tuple[tuple[str, str], ...]:
    from certificates.keystore import certificate_info

    # Every received message names its signer and our certificate: the same few certificates.
    info = certificate_info(certificate)
    return (
        ("subject", info.subject),
        ("serial", info.serial),
        ("fingerprint", info.sha256_fingerprint),
        ("not_after", info.not_after.isoformat()),
    )
