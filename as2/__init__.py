"""Pure-Python AS2 engine (RFC 4130): MIME, CMS and MDN over bytes; no Django, no I/O.

=========================================  ================================================
Call                                       Returns / raises
=========================================  ================================================
``build_message(payload, *, filename,``    ``OutboundMessage`` (headers, body, expected MIC);
``content_type, sender, receiver,``        ValueError for bad arguments,
``subject, signer=, recipient=,``          ``UnsupportedAlgorithm``
``compress=, transfer_encoding=, mdn=)``
``parse_message(headers, body, *,``        ``InboundMessage`` (payload, what protected it,
``keys=ReceiverKeys(...),``                the MIC to return); only ``As2Error`` subclasses,
``require_encryption=,``                   each naming its MDN disposition
``require_signature=, max_payload_size=)``
``read_envelope(headers)``                 ``Envelope``: IDs and the MDN request, even when
                                           the body cannot be read
``build_mdn(*, original, error=,``         ``OutboundMdn``
``warning=, signer=)``
``parse_mdn(headers, body, *,``            ``InboundMdn``; ``.proves_delivery`` only when
``partner_certificates=, expected_mic=,``  processed and ``mic_check is MicCheck.MATCHED``
``expected_message_id=,``
``require_signature=)``
``disposition_for(error)``                 the Disposition field for an error (or success)
``check_as2_id(value)``                    the AS2 ID rule (RFC 4130 section 6.2)
``make_message_id(domain=)``               a new, globally unique Message-ID
=========================================  ================================================

Values: ``Digest`` and ``ContentCipher`` (enums; ``Digest.from_name("SHA-256")`` reads any
spelling), ``Pkcs1v15`` / ``Pss`` (signature padding), ``Pkcs1v15`` / ``Oaep(Digest)`` (key
transport), ``Signer(key, certificate, digest, padding)``, ``Recipient(certificate, cipher,
key_transport)``, ``ReceiverKeys(key, certificate, partner_certificates)``,
``MdnRequest(mode, signed, digest_algorithms, url, to)``, ``Compression``, ``MdnMode``,
``TransferEncoding``, ``MicCheck``.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from as2.algorithms import (
        ContentCipher,
        Digest,
        KeyTransport,
        Oaep,
        Pkcs1v15,
        Pss,
        SignaturePadding,
    )
    from as2.credentials import ReceiverKeys, Recipient, Signer
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
    from as2.identifiers import check_as2_id
    from as2.mdn import InboundMdn, MicCheck, OutboundMdn, build_mdn, disposition_for, parse_mdn
    from as2.message import (
        Compression,
        Envelope,
        InboundMessage,
        MdnMode,
        MdnRequest,
        OutboundMessage,
        build_message,
        make_message_id,
        parse_message,
        read_envelope,
    )
    from as2.mime import TransferEncoding

# Where each name of the API lives. A module loads on the first use of one of its names (PEP
# 562): `import as2.identifiers` (a form's validator) or the exceptions do not pull in CMS,
# asn1crypto and cryptography, which a Lambda cold start pays for only when a message needs them.
_HOMES = {
    "As2Error": "as2.exceptions",
    "Compression": "as2.message",
    "ContentCipher": "as2.algorithms",
    "DecompressionFailed": "as2.exceptions",
    "DecryptionFailed": "as2.exceptions",
    "Digest": "as2.algorithms",
    "Envelope": "as2.message",
    "InboundMdn": "as2.mdn",
    "InboundMessage": "as2.message",
    "InsufficientSecurity": "as2.exceptions",
    "IntegrityCheckFailed": "as2.exceptions",
    "KeyTransport": "as2.algorithms",
    "MalformedMessage": "as2.exceptions",
    "MdnInvalid": "as2.exceptions",
    "MdnMode": "as2.message",
    "MdnRequest": "as2.message",
    "MicCheck": "as2.mdn",
    "Oaep": "as2.algorithms",
    "OutboundMdn": "as2.mdn",
    "OutboundMessage": "as2.message",
    "Pkcs1v15": "as2.algorithms",
    "Pss": "as2.algorithms",
    "ReceiverKeys": "as2.credentials",
    "Recipient": "as2.credentials",
    "SignatureInvalid": "as2.exceptions",
    "SignaturePadding": "as2.algorithms",
    "Signer": "as2.credentials",
    "TransferEncoding": "as2.mime",
    "UnknownPartner": "as2.exceptions",
    "UnsupportedAlgorithm": "as2.exceptions",
    "build_mdn": "as2.mdn",
    "build_message": "as2.message",
    "check_as2_id": "as2.identifiers",
    "disposition_for": "as2.mdn",
    "make_message_id": "as2.message",
    "parse_mdn": "as2.mdn",
    "parse_message": "as2.message",
    "read_envelope": "as2.message",
}


def __getattr__(name: str) -> Any:
    """A name of the API, imported from its module on first use."""
    try:
        home = _HOMES[name]
    except KeyError:
        raise AttributeError(f"module 'as2' has no attribute {name!r}") from None
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


__all__ = [
    "As2Error",
    "Compression",
    "ContentCipher",
    "DecompressionFailed",
    "DecryptionFailed",
    "Digest",
    "Envelope",
    "InboundMdn",
    "InboundMessage",
    "InsufficientSecurity",
    "IntegrityCheckFailed",
    "KeyTransport",
    "MalformedMessage",
    "MdnInvalid",
    "MdnMode",
    "MdnRequest",
    "MicCheck",
    "Oaep",
    "OutboundMdn",
    "OutboundMessage",
    "Pkcs1v15",
    "Pss",
    "ReceiverKeys",
    "Recipient",
    "SignatureInvalid",
    "SignaturePadding",
    "Signer",
    "TransferEncoding",
    "UnknownPartner",
    "UnsupportedAlgorithm",
    "build_mdn",
    "build_message",
    "check_as2_id",
    "disposition_for",
    "make_message_id",
    "parse_mdn",
    "parse_message",
    "read_envelope",
]
