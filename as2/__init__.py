"""Pure-Python AS2 engine: MIME, CMS and MDN over bytes; no Django, no I/O."""

from as2.exceptions import (
    As2Error,
    DecompressionFailed,
    DecryptionFailed,
    InsufficientSecurity,
    IntegrityCheckFailed,
    MalformedMessage,
    MdnInvalid,
    SignatureInvalid,
    UnknownPartner,
    UnsupportedAlgorithm,
)
from as2.mdn import InboundMdn, OutboundMdn, build_mdn, disposition_for, parse_mdn
from as2.message import (
    Envelope,
    InboundMessage,
    MdnRequest,
    OutboundMessage,
    build_message,
    parse_message,
    read_envelope,
)

__all__ = [
    "As2Error",
    "DecompressionFailed",
    "DecryptionFailed",
    "Envelope",
    "InboundMdn",
    "InboundMessage",
    "InsufficientSecurity",
    "IntegrityCheckFailed",
    "MalformedMessage",
    "MdnInvalid",
    "MdnRequest",
    "OutboundMdn",
    "OutboundMessage",
    "SignatureInvalid",
    "UnknownPartner",
    "UnsupportedAlgorithm",
    "build_mdn",
    "build_message",
    "disposition_for",
    "parse_mdn",
    "parse_message",
    "read_envelope",
]
