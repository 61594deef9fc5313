"""Build and parse AS2 messages (RFC 4130): payload in, HTTP headers + body out, and back."""

from __future__ import annotations

import email.utils
import enum
import re
import secrets
import time
from dataclasses import dataclass

from cryptography import x509

from as2 import cms
from as2.algorithms import ContentCipher, Digest, KeyTransport, SignaturePadding
from as2.credentials import ReceiverKeys, Recipient, Signer
from as2.exceptions import (
    DecryptionFailed,
    InsufficientSecurity,
    MalformedMessage,
)
from as2.identifiers import quote_as2_id, unquote_as2_id
from as2.mime import (
    Body,
    Headers,
    HeadersInput,
    MimeEntity,
    TransferEncoding,
    build_entity,
    bytes_of,
    encode_transfer_encoding,
    entity_from_headers,
    filename_of,
    format_filename_param,
    join_body,
    parse_entity,
    serialise_headers,
)
from as2.smime import (
    PKCS7_MIME_TYPES,
    cms_of,
    compute_mic,
    format_mic,
    pkcs7_mime_fields,
    signed_fields,
    supported_digest,
    verify_multipart_signed,
)

AS2_VERSION = "1.2"
# RFC 6017 feature tokens we honour: retries reuse the Message-ID and duplicates are detected.
EDIINT_FEATURES = "AS2-Reliability"
DEFAULT_MAX_PAYLOAD_SIZE = 512 * 1024 * 1024
DEFAULT_MIC_ALGORITHM = Digest.SHA256
# Real messages have at most encryption, signature and compression: 3 layers, plus slack.
MAX_LAYERS = 6


class Compression(enum.StrEnum):
    """Whether and where a message is compressed (RFC 5402: before or after signing)."""

    NONE = "none"
    BEFORE_SIGNING = "before-signing"
    AFTER_SIGNING = "after-signing"


class MdnMode(enum.StrEnum):
    """How the receipt travels: in the HTTP response (sync) or in a later POST (async)."""

    SYNC = "sync"
    ASYNC = "async"


@dataclass(frozen=True, slots=True)
class MdnRequest:
    """A receipt request (Disposition-Notification-To and its options): the one we send, or the
    one a partner sent."""

    mode: MdnMode = MdnMode.SYNC
    signed: bool = True
    # In order of preference; empty when sending: the signature's digest, else SHA-256.
    digest_algorithms: tuple[Digest, ...] = ()
    url: str | None = None  # where to POST an async MDN
    to: str | None = None  # the Disposition-Notification-To value; None when sending: the sender

    def __post_init__(self) -> None:
        if self.mode is MdnMode.ASYNC and not self.url:
            raise ValueError("an asynchronous MDN request needs the url to post it to")


@dataclass(frozen=True, slots=True)
class Envelope:
    """What the HTTP headers of a message say; readable even when its body is not."""

    message_id: str
    sender: str
    receiver: str
    subject: str
    mdn_request: MdnRequest | None


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A built message: send ``body`` with ``headers``; expect ``mic`` back in the MDN."""

    message_id: str
    headers: dict[str, str]
    body: bytes
    mic: str  # "<base64>, sha-256"
    mic_algorithm: Digest


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A parsed message: the payload byte for byte and what protected it."""

    message_id: str
    sender: str
    receiver: str
    subject: str
    # The payload byte for byte, as a view into the decrypted (or received) bytes: a large
    # payload is not copied; `payload` gives it as bytes.
    payload_view: memoryview
    filename: str | None
    content_type: str
    encrypted: ContentCipher | None
    key_transport: KeyTransport | None  # how the content key came, when encrypted
    signed: Digest | None  # the signature's digest, when signed
    signature_padding: SignaturePadding | None  # None: unsigned, or an ECDSA signature
    compressed: Compression
    signer: x509.Certificate | None
    mic: str  # "<base64>, sha-256": what the MDN's Received-Content-MIC must say
    mic_algorithm: Digest
    mdn_request: MdnRequest | None

    @property
    def payload(self) -> bytes:
        """The payload byte for byte (a copy of payload_view unless that shows a whole bytes)."""
        return bytes_of(self.payload_view)


# --- Building --------------------------------------------------------------------------------


def build_message(
    payload: bytes,
    *,
    filename: str,
    content_type: str,
    sender: str,
    receiver: str,
    subject: str,
    signer: Signer | None = None,
    recipient: Recipient | None = None,
    compress: Compression = Compression.NONE,
    transfer_encoding: TransferEncoding = TransferEncoding.BINARY,
    mdn: MdnRequest | None = MdnRequest(),
    message_id: str | None = None,
    domain: str = "serverless-as2",
) -> OutboundMessage:
    """Build an AS2 message: compress, sign, encrypt as asked; headers, body and expected MIC.

    ``mdn=None`` asks for no receipt. Invalid arguments raise ValueError; algorithms the
    engine lacks raise UnsupportedAlgorithm.
    """
    if compress not in set(Compression):
        raise ValueError(
            f"compress must be none, before-signing or after-signing, not {compress!r}"
        )
    compress = Compression(compress)
    mic_algorithm = _mic_algorithm(signer, mdn)
    message_id = message_id or make_message_id(domain)
    headers = _as2_headers(sender=sender, receiver=receiver, subject=subject, message_id=message_id)
    headers |= _mdn_request_headers(mdn, mic_algorithm, sender)
    layer = _payload_layer(payload, filename, content_type, transfer_encoding)
    if compress is Compression.BEFORE_SIGNING or (
        compress is Compression.AFTER_SIGNING and signer is None
    ):
        layer = _cms_layer(cms.compress(build_entity(*layer)), transfer_encoding)
    mic: str | None = None
    if signer is not None:
        entity = build_entity(*layer)
        mic = compute_mic(entity, mic_algorithm)  # RFC 4130 7.3.1: the signed entity
        layer = signed_fields(entity, signer, transfer_encoding=transfer_encoding)
        if compress is Compression.AFTER_SIGNING:
            layer = _cms_layer(cms.compress(build_entity(*layer)), transfer_encoding)
    if recipient is not None:
        entity = build_entity(*layer)
        del layer  # the signed pieces can go before the ciphertext is made (20 MB payloads)
        mic = mic or compute_mic(entity, mic_algorithm)  # unsigned: the entity we encrypt
        layer = _cms_layer(cms.encrypt(entity, recipient), transfer_encoding)
    # RFC 4130 7.3.1: unsigned, unencrypted: the content without any MIME header (transports
    # alter them), i.e. the HTTP body as sent.
    body = join_body(layer[1])
    mic = mic or compute_mic(body, mic_algorithm)
    headers |= dict(layer[0])  # the outermost entity's MIME headers travel as HTTP headers
    return OutboundMessage(message_id, headers, body, mic, mic_algorithm)


def _mic_algorithm(signer: Signer | None, mdn: MdnRequest | None) -> Digest:
    """The MIC's digest: the signature's; unsigned, the one we ask the receipt to be signed with."""
    if signer is not None:
        return signer.digest
    if mdn is not None and mdn.digest_algorithms:
        return mdn.digest_algorithms[0]
    return DEFAULT_MIC_ALGORITHM


Layer = tuple[list[tuple[str, str]], Body]


def _payload_layer(
    payload: bytes, filename: str, content_type: str, transfer_encoding: TransferEncoding
) -> Layer:
    fields = [("Content-Type", content_type), ("Content-Transfer-Encoding", transfer_encoding)]
    if filename:
        fields.append(("Content-Disposition", f"attachment; {format_filename_param(filename)}"))
    return fields, encode_transfer_encoding(payload, transfer_encoding)


def _cms_layer(der: bytes, transfer_encoding: TransferEncoding) -> Layer:
    return pkcs7_mime_fields(der, transfer_encoding)


def _as2_headers(*, sender: str, receiver: str, subject: str, message_id: str) -> dict[str, str]:
    serialise_headers([("Subject", subject)])  # rejects line breaks early
    return {
        "AS2-Version": AS2_VERSION,
        "AS2-From": quote_as2_id(sender),
        "AS2-To": quote_as2_id(receiver),
        "Message-ID": message_id,
        "Subject": subject,
        "Date": email.utils.formatdate(usegmt=True),
        "MIME-Version": "1.0",
        "EDIINT-Features": EDIINT_FEATURES,
    }


def _mdn_request_headers(
    mdn: MdnRequest | None, mic_algorithm: Digest, sender: str
) -> dict[str, str]:
    if mdn is None:
        return {}
    headers = {"Disposition-Notification-To": mdn.to or mdn.url or sender}
    if mdn.signed:
        digests = mdn.digest_algorithms or (mic_algorithm,)
        headers["Disposition-Notification-Options"] = (
            "signed-receipt-protocol=optional, pkcs7-signature; "
            f"signed-receipt-micalg=optional, {', '.join(d.micalg for d in digests)}"
        )
    if mdn.mode is MdnMode.ASYNC:
        headers["Receipt-Delivery-Option"] = mdn.url or ""
    return headers


def make_message_id(domain: str = "serverless-as2") -> str:
    """A new, globally unique Message-ID: ``<timestamp.random@domain>``."""
    if not re.fullmatch(r"[A-Za-z0-9.\-_]+", domain):
        raise ValueError(f"domain {domain!r} may hold only letters, digits, '.', '-' and '_'")
    return f"<{time.strftime('%Y%m%d%H%M%S', time.gmtime())}.{secrets.token_hex(12)}@{domain}>"


# --- Parsing ---------------------------------------------------------------------------------

_NO_KEYS = ReceiverKeys()


def read_envelope(headers: HeadersInput | Headers) -> Envelope:
    """Message-ID, AS2-From/To, Subject and the MDN request from a message's HTTP headers."""
    fields = Headers.of(headers)
    return Envelope(
        message_id=_required(fields, "Message-ID"),
        sender=unquote_as2_id(_required(fields, "AS2-From")),
        receiver=unquote_as2_id(_required(fields, "AS2-To")),
        subject=fields.get("Subject") or "",
        mdn_request=read_mdn_request(fields),
    )


def _required(fields: Headers, name: str) -> str:
    value = fields.get(name)
    if not value:
        raise MalformedMessage(f"The message has no {name} header; it is not an AS2 message.")
    return value


def read_mdn_request(headers: HeadersInput | Headers) -> MdnRequest | None:
    """The receipt the sender asked for, or None when it asked for none."""
    fields = Headers.of(headers)
    to = fields.get("Disposition-Notification-To")
    if not to:
        return None
    url = fields.get("Receipt-Delivery-Option") or None
    signed, algorithms = _read_notification_options(fields.get("Disposition-Notification-Options"))
    mode = MdnMode.ASYNC if url else MdnMode.SYNC
    return MdnRequest(mode, signed, algorithms, url, to)


def _read_notification_options(value: str | None) -> tuple[bool, tuple[Digest, ...]]:
    """``signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=...``."""
    signed, algorithms = False, list[Digest]()
    for option in (value or "").split(";"):
        name, _, settings = option.partition("=")
        values = [v.strip().lower() for v in settings.split(",")][1:]  # first is importance
        if name.strip().lower() == "signed-receipt-protocol":
            signed = "pkcs7-signature" in values
        elif name.strip().lower() == "signed-receipt-micalg":
            algorithms = [a for v in values if (a := supported_digest([v])) is not None]
    return signed, tuple(dict.fromkeys(algorithms))


@dataclass(slots=True)
class _Unwrapping:
    """What parsing found so far, layer by layer."""

    encrypted: ContentCipher | None = None
    key_transport: KeyTransport | None = None
    signed: Digest | None = None
    signature_padding: SignaturePadding | None = None
    signer: x509.Certificate | None = None
    compressed_outside_signature: bool | None = None  # None: not compressed
    mic_input: bytes | memoryview | None = None
    mic_digest: bytes | None = None  # of mic_input, when the signature check already computed it


def parse_message(
    headers: HeadersInput | Headers,
    body: bytes,
    *,
    keys: ReceiverKeys = _NO_KEYS,
    require_encryption: bool = False,
    require_signature: bool = False,
    max_payload_size: int = DEFAULT_MAX_PAYLOAD_SIZE,
) -> InboundMessage:
    """Undo encryption, signature and compression in whatever order they came.

    Raises only As2Error subclasses; each maps to the MDN disposition to report
    (see ``as2.mdn.disposition_for``).
    """
    fields = Headers.of(headers)
    envelope = read_envelope(fields)
    if not fields.get("Content-Type"):
        raise MalformedMessage("The message has no Content-Type header; check the partner's AS2.")
    entity = entity_from_headers(fields, body)
    state = _Unwrapping()
    for _ in range(MAX_LAYERS):
        unwrapped = _unwrap(entity, state, keys, max_payload_size)
        if unwrapped is None:
            break
        entity = unwrapped
    else:
        raise MalformedMessage(
            "The message nests more S/MIME layers than any real AS2 message; "
            "check what the partner's AS2 software sends."
        )
    _check_security(state, require_encryption, require_signature)
    return _inbound(envelope, entity, state, body)


def _unwrap(
    entity: MimeEntity, state: _Unwrapping, keys: ReceiverKeys, max_payload_size: int
) -> MimeEntity | None:
    """The entity inside one S/MIME layer, or None when ``entity`` is the payload."""
    content_type = entity.content_type.value
    trusted = None if keys.partner_certificates is None else list(keys.partner_certificates)
    if content_type == "multipart/signed":
        verified = verify_multipart_signed(entity, certificates=trusted)
        _record_signature(state, verified.info, verified.signed_bytes)
        return verified.content
    if content_type not in PKCS7_MIME_TYPES:
        return None
    kind, der = cms_of(entity)
    if kind == "enveloped-data":
        return _decrypt(der, entity, state, keys)
    if kind == "compressed-data":
        content = cms.decompress(der, max_size=max_payload_size)
        if state.compressed_outside_signature is None:
            state.compressed_outside_signature = state.signed is None
        return _inner_entity(content, entity)
    info = cms.verify(der, None, certificates=trusted)  # opaque signed-data
    content = info.content or b""
    _record_signature(state, info, content)
    return _inner_entity(content, entity)


def _inner_entity(content: bytes, outer: MimeEntity) -> MimeEntity:
    """The MIME entity a CMS layer holds; or, as Mendelson does when it only encrypts, the
    bare payload, named by the enclosing entity's Content-Disposition."""
    try:
        entity = parse_entity(content)
    except MalformedMessage:
        entity = None
    if entity is not None and "Content-Type" in entity.headers:
        return entity
    fields = Headers([("Content-Type", "application/octet-stream")])
    disposition = outer.headers.get("Content-Disposition")
    if disposition and not (filename_of(outer.headers) or "").startswith("smime."):
        fields.add("Content-Disposition", disposition)
    return entity_from_headers(fields, content)


def _decrypt(der: bytes, outer: MimeEntity, state: _Unwrapping, keys: ReceiverKeys) -> MimeEntity:
    if keys.key is None:
        raise DecryptionFailed(
            "The message is encrypted but no private key was given to decrypt it; "
            "check that the partnership has our key pair."
        )
    if state.encrypted is not None:
        raise MalformedMessage(
            "The message is encrypted twice; check the partner's encryption settings."
        )
    decrypted = cms.decrypt(der, key=keys.key, certificate=keys.certificate)
    state.encrypted, state.key_transport = decrypted.cipher, decrypted.key_transport
    content = _inner_entity(decrypted.content, outer)
    if state.mic_input is None:
        state.mic_input = content.raw  # unsigned messages: MIC over the decrypted entity
    return content


def _record_signature(
    state: _Unwrapping, info: cms.SignatureInfo, signed_bytes: bytes | memoryview
) -> None:
    if state.signed is not None:
        raise MalformedMessage("The message is signed twice; check the partner's signing settings.")
    state.signed, state.signature_padding, state.signer = info.digest, info.padding, info.signer
    state.mic_input = signed_bytes  # RFC 4130 7.3.1: signed entity, headers included
    state.mic_digest = info.content_digest


def _check_security(state: _Unwrapping, require_encryption: bool, require_signature: bool) -> None:
    if require_encryption and state.encrypted is None:
        raise InsufficientSecurity(
            "The partnership requires encrypted messages but this one is not encrypted; "
            "check the partner's encryption setting."
        )
    if require_signature and state.signed is None:
        raise InsufficientSecurity(
            "The partnership requires signed messages but this one is not signed; "
            "check the partner's signing setting."
        )


def _inbound(
    envelope: Envelope, entity: MimeEntity, state: _Unwrapping, body: bytes
) -> InboundMessage:
    mic_algorithm = state.signed or _requested_mic_algorithm(envelope.mdn_request)
    # RFC 4130 7.3.1: unsigned, unencrypted: the body alone, never headers rebuilt from the
    # wire (they may hold anything, and transports reorder them).
    mic_input = body if state.mic_input is None else state.mic_input
    compressed = Compression.NONE
    if state.compressed_outside_signature is not None:
        after = state.compressed_outside_signature and state.signed is not None
        compressed = Compression.AFTER_SIGNING if after else Compression.BEFORE_SIGNING
    if state.mic_digest is not None and mic_algorithm == state.signed:
        mic = format_mic(state.mic_digest, mic_algorithm)  # 0.6 ms less per MB
    else:
        mic = compute_mic(mic_input, mic_algorithm)
    return InboundMessage(
        message_id=envelope.message_id,
        sender=envelope.sender,
        receiver=envelope.receiver,
        subject=envelope.subject,
        payload_view=entity.decoded_view(),
        filename=filename_of(entity.headers),
        content_type=entity.headers.get("Content-Type") or "text/plain",
        encrypted=state.encrypted,
        key_transport=state.key_transport,
        signed=state.signed,
        signature_padding=state.signature_padding,
        compressed=compressed,
        signer=state.signer,
        mic=mic,
        mic_algorithm=mic_algorithm,
        mdn_request=envelope.mdn_request,
    )


def _requested_mic_algorithm(request: MdnRequest | None) -> Digest:
    if request is not None and request.digest_algorithms:
        return request.digest_algorithms[0]
    return DEFAULT_MIC_ALGORITHM
