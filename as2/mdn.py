"""Build and parse AS2 MDNs: RFC 8098 multipart/report, signed as RFC 4130 section 7 asks."""

from __future__ import annotations

import dataclasses
import email.utils
import enum
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509

from as2 import cms
from as2.algorithms import Digest
from as2.credentials import Signer
from as2.exceptions import As2Error, InsufficientSecurity, MalformedMessage, MdnInvalid
from as2.identifiers import quote_as2_id, unquote_as2_id
from as2.message import (
    AS2_VERSION,
    EDIINT_FEATURES,
    Envelope,
    InboundMessage,
    make_message_id,
)
from as2.mime import (
    Body,
    Headers,
    HeadersInput,
    MimeEntity,
    TransferEncoding,
    build_entity,
    build_multipart,
    decode_text,
    entity_from_headers,
    join_body,
    make_boundary,
    parse_header_block,
    quote_param,
    serialise_headers,
    split_multipart,
)
from as2.smime import format_mic, parse_mic, signed_fields, verify_multipart_signed

REPORTING_UA = "Serverless AS2"
ACTION_MODE = "automatic-action/MDN-sent-automatically"
MDN_SUBJECT = "Message Disposition Notification"


def disposition_for(error: As2Error | None = None, *, warning: str | None = None) -> str:
    """The Disposition field for a message that was processed, or failed with ``error``."""
    if error is not None:
        return f"{ACTION_MODE}; processed/error: {error.disposition}"
    if warning:
        return f"{ACTION_MODE}; processed/warning: {_one_line(warning)}"
    return f"{ACTION_MODE}; processed"


class MicCheck(enum.Enum):
    """What the receipt's Received-Content-MIC says about the content the partner got."""

    MATCHED = "matched"  # the MIC we expected: the partner got our content intact
    MISMATCHED = "mismatched"  # another MIC: the content changed on the way
    MISSING = "missing"  # no MIC: peers answer so for messages they could not open
    NOT_CHECKED = "not-checked"  # no MIC expected, or one in another digest than we asked


@dataclass(frozen=True, slots=True)
class OutboundMdn:
    """A built MDN: return ``body`` with ``headers`` (sync) or POST them (async)."""

    message_id: str
    headers: dict[str, str]
    body: bytes
    disposition: str
    mic: str | None
    signed: Digest | None  # the signature's digest, or None when unsigned


@dataclass(frozen=True, slots=True)
class InboundMdn:
    """A parsed MDN: what the partner says happened to our message."""

    message_id: str | None
    sender: str | None
    receiver: str | None
    original_message_id: str | None
    original_recipient: str | None
    final_recipient: str | None
    reporting_ua: str | None
    disposition: str
    disposition_type: str  # "processed" or "failed", lower case
    modifier: str | None  # "error: authentication-failed", "warning: ...", or None
    mic: str | None  # "<base64>, sha-256"
    mic_algorithm: Digest | None
    mic_check: MicCheck
    signed: Digest | None
    signer: x509.Certificate | None
    text: str

    @property
    def successful(self) -> bool:
        """Processed without error or failure (warnings count as success)."""
        kind = (self.modifier or "").partition(":")[0].strip()
        return self.disposition_type == "processed" and kind not in ("error", "failure")

    @property
    def proves_delivery(self) -> bool:
        """Whether the receipt proves our content arrived intact (RFC 4130 section 7.3): it says
        processed without error AND carries the MIC we expected. A processed MDN without a MIC
        proves nothing."""
        return self.successful and self.mic_check is MicCheck.MATCHED


# --- Building --------------------------------------------------------------------------------


def build_mdn(
    *,
    original: InboundMessage | Envelope,
    error: As2Error | None = None,
    warning: str | None = None,
    signer: Signer | None = None,
    reporting_ua: str = REPORTING_UA,
    text: str | None = None,
    message_id: str | None = None,
    domain: str = "serverless-as2",
) -> OutboundMdn:
    """The MDN answering ``original``: signed when it asked for that and a signer is given.

    Pass the InboundMessage after a successful parse, or the Envelope (``read_envelope``) with
    the ``error`` parse_message raised. The signature uses the first requested micalg the
    engine signs with, else the signer's digest.
    """
    mic = original.mic if isinstance(original, InboundMessage) else None
    disposition = disposition_for(error, warning=warning)
    report = _report_entity(
        original, disposition, mic, reporting_ua, text or _text(original, error)
    )
    request = original.mdn_request
    layer: tuple[list[tuple[str, str]], Body] = report
    signed = None
    if signer is not None and (request is None or request.signed):
        requested = request.digest_algorithms if request else ()
        signed = next((digest for digest in requested if digest.can_sign), signer.digest)
        layer = signed_fields(
            build_entity(*report),
            dataclasses.replace(signer, digest=signed),
            transfer_encoding=TransferEncoding.BASE64,
        )
    message_id = message_id or make_message_id(domain)
    headers = _mdn_headers(original, message_id) | dict(layer[0])
    return OutboundMdn(message_id, headers, join_body(layer[1]), disposition, mic, signed)


def _mdn_headers(original: InboundMessage | Envelope, message_id: str) -> dict[str, str]:
    return {
        "AS2-Version": AS2_VERSION,
        "AS2-From": quote_as2_id(original.receiver),
        "AS2-To": quote_as2_id(original.sender),
        "Message-ID": message_id,
        "Subject": MDN_SUBJECT,
        "Date": email.utils.formatdate(usegmt=True),
        "MIME-Version": "1.0",
        "EDIINT-Features": EDIINT_FEATURES,
    }


def _text(original: InboundMessage | Envelope, error: As2Error | None) -> str:
    what = f"The AS2 message {original.message_id} from {original.sender} to {original.receiver}"
    if error is None:
        return (
            f"{what} was received and processed.\n"
            "This receipt confirms that the message arrived intact; "
            "it does not say that its content was read or understood.\n"
        )
    return f"{what} was received but could not be processed: {error}\n"


def _report_entity(
    original: InboundMessage | Envelope,
    disposition: str,
    mic: str | None,
    reporting_ua: str,
    text: str,
) -> tuple[list[tuple[str, str]], Body]:
    """The multipart/report: a human-readable part and the disposition notification."""
    fields = [
        ("Reporting-UA", _one_line(reporting_ua)),
        ("Original-Recipient", f"rfc822; {quote_as2_id(original.receiver)}"),
        ("Final-Recipient", f"rfc822; {quote_as2_id(original.receiver)}"),
        ("Original-Message-ID", original.message_id),
        ("Disposition", disposition),
    ]
    if mic:
        fields.append(("Received-Content-MIC", mic))
    charset = "us-ascii" if text.isascii() else "utf-8"
    human = build_entity(
        [
            ("Content-Type", f"text/plain; charset={charset}"),
            ("Content-Transfer-Encoding", "7bit" if text.isascii() else "8bit"),
        ],
        _crlf(text).encode("utf-8"),
    )
    notification = build_entity(
        [
            ("Content-Type", "message/disposition-notification"),
            ("Content-Transfer-Encoding", "7bit"),
        ],
        serialise_headers(fields),
    )
    boundary = make_boundary(human, notification)
    content_type = (
        f"multipart/report; report-type=disposition-notification; boundary={quote_param(boundary)}"
    )
    return [("Content-Type", content_type)], build_multipart([human, notification], boundary)


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- Parsing ---------------------------------------------------------------------------------


def parse_mdn(
    headers: HeadersInput | Headers,
    body: bytes,
    *,
    partner_certificates: Sequence[x509.Certificate] | None = None,
    expected_mic: str | None = None,
    expected_message_id: str | None = None,
    require_signature: bool = False,
) -> InboundMdn:
    """Verify and read an MDN; compare its MIC with ``expected_mic`` when given.

    ``partner_certificates=None`` checks a signature against the certificate it embeds only.
    Raises MdnInvalid, SignatureInvalid, InsufficientSecurity or UnsupportedAlgorithm.
    """
    fields = Headers.of(headers)
    try:
        trusted = None if partner_certificates is None else list(partner_certificates)
        report, signature = _unwrap_report(fields, body, trusted)
        parts = split_multipart(report)
    except MalformedMessage as exc:
        raise MdnInvalid(f"The MDN is not well-formed: {exc}") from exc
    if require_signature and signature is None:
        raise InsufficientSecurity(
            "The partnership asks for signed MDNs but this one is not signed; "
            "check the partner's MDN settings."
        )
    notification = _disposition_fields(parts)
    mdn = _inbound_mdn(fields, notification, parts, signature, expected_mic)
    if expected_message_id is not None and _bare_id(mdn.original_message_id) != _bare_id(
        expected_message_id
    ):
        raise MdnInvalid(
            f"The MDN answers message {mdn.original_message_id}, not {expected_message_id}; "
            "check which message the partner is acknowledging."
        )
    return mdn


def _unwrap_report(
    fields: Headers, body: bytes, certificates: list[x509.Certificate] | None
) -> tuple[MimeEntity, cms.SignatureInfo | None]:
    if not fields.get("Content-Type"):
        raise MdnInvalid("The MDN has no Content-Type header; it is not an AS2 MDN.")
    entity = entity_from_headers(fields, body)
    signature = None
    if entity.content_type.value == "multipart/signed":
        verified = verify_multipart_signed(entity, certificates=certificates)
        entity, signature = verified.content, verified.info
    if entity.content_type.value != "multipart/report":
        raise MdnInvalid(
            f"The MDN is {entity.content_type.value!r}, not multipart/report; "
            "check that the partner sends RFC 8098 receipts."
        )
    return entity, signature


def _disposition_fields(parts: list[MimeEntity]) -> Headers:
    for part in parts:
        if part.content_type.value == "message/disposition-notification":
            try:
                return parse_header_block(part.decoded_body())
            except MalformedMessage as exc:
                raise MdnInvalid(f"The MDN's disposition fields are unreadable: {exc}") from exc
    raise MdnInvalid("The MDN has no message/disposition-notification part.")


def _inbound_mdn(
    fields: Headers,
    notification: Headers,
    parts: list[MimeEntity],
    signature: cms.SignatureInfo | None,
    expected_mic: str | None,
) -> InboundMdn:
    disposition = notification.get("Disposition")
    if not disposition:
        raise MdnInvalid("The MDN has no Disposition field.")
    disposition_type, modifier = _split_disposition(disposition)
    mic, mic_algorithm = _read_mic(notification.get("Received-Content-MIC"))
    sender, receiver = fields.get("AS2-From"), fields.get("AS2-To")
    return InboundMdn(
        message_id=fields.get("Message-ID"),
        sender=unquote_as2_id(sender) if sender else None,
        receiver=unquote_as2_id(receiver) if receiver else None,
        original_message_id=notification.get("Original-Message-ID"),
        original_recipient=_recipient(notification.get("Original-Recipient")),
        final_recipient=_recipient(notification.get("Final-Recipient")),
        reporting_ua=notification.get("Reporting-UA"),
        disposition=disposition,
        disposition_type=disposition_type,
        modifier=modifier,
        mic=mic,
        mic_algorithm=mic_algorithm,
        mic_check=_mic_check(mic, expected_mic),
        signed=signature.digest if signature else None,
        signer=signature.signer if signature else None,
        text=_human_text(parts),
    )


def _split_disposition(value: str) -> tuple[str, str | None]:
    """``automatic-action/MDN-sent-automatically; processed/error: x`` → type and modifier."""
    _, semicolon, rest = value.partition(";")
    if not semicolon:
        raise MdnInvalid(f"The MDN's Disposition {value[:80]!r} has no disposition type.")
    disposition_type, _, modifier = rest.strip().partition("/")
    kind, colon, detail = modifier.partition(":")
    if colon:
        modifier = f"{kind.strip().lower()}: {detail.strip()}"
    return disposition_type.strip().lower(), modifier.strip() or None


def _read_mic(value: str | None) -> tuple[str | None, Digest | None]:
    if not value:
        return None, None
    try:
        digest, algorithm = parse_mic(value)
    except As2Error:
        return value, None  # unreadable or an unknown algorithm: keep what the partner said
    return format_mic(digest, algorithm), algorithm


def _mic_check(mic: str | None, expected: str | None) -> MicCheck:
    if mic is None:
        return MicCheck.MISSING
    if expected is None:
        return MicCheck.NOT_CHECKED
    try:
        digest, algorithm = parse_mic(mic)
        expected_digest, expected_algorithm = parse_mic(expected)
    except As2Error:
        return MicCheck.MISMATCHED
    if algorithm != expected_algorithm:
        return MicCheck.NOT_CHECKED
    if hmac.compare_digest(digest, expected_digest):
        return MicCheck.MATCHED
    return MicCheck.MISMATCHED


def _recipient(value: str | None) -> str | None:
    """``rfc822; AS2 ID`` → the AS2 ID."""
    if value is None:
        return None
    return unquote_as2_id(value.partition(";")[2] or value)


def _human_text(parts: list[MimeEntity]) -> str:
    for part in parts:
        if part.content_type.main_type == "text":
            charset = part.content_type.param("charset") or "utf-8"
            try:
                data = part.decoded_body()
            except MalformedMessage:
                return ""
            return decode_text(data, charset, errors="replace")
    return ""


def _bare_id(message_id: str | None) -> str:
    return (message_id or "").strip().strip("<>").strip()
