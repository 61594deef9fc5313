"""A SignedData read into plain values, by asn1crypto; and the rules its signed attributes obey.

Both readers (this one and ``signed_fast``) produce a ``SignedDataView``; ``signed.verify``
checks whichever it got with the same code, so the two cannot apply different rules. Parse
errors are caught here, around the reading only: a bug in the checks stays a bug.
"""

from dataclasses import dataclass
from functools import lru_cache

from asn1crypto import cms, core

from as2 import ber
from as2.cms.algorithms import PARSE_ERRORS
from as2.cms.certificates import Identifier, identifier_of
from as2.cms.content_info import expect_content
from as2.exceptions import MalformedMessage, SignatureInvalid

CONTENT_TYPE = "1.2.840.113549.1.9.3"
MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
DATA = "1.2.840.113549.1.7.1"
_ATTRIBUTE_NAMES = {
    CONTENT_TYPE: "contentType",
    MESSAGE_DIGEST: "messageDigest",
    "1.2.840.113549.1.9.5": "signingTime",
}

SignedAttribute = tuple[str, tuple[bytes, ...]]  # dotted type OID, the DER of each value


@dataclass(frozen=True, slots=True)
class PssParameters:
    """RSASSA-PSS-params (RFC 4055) as sent: asn1crypto algorithm names, salt in bytes."""

    hash_algorithm: str
    mask_generation: str
    mask_hash: str | None
    salt_length: int


@dataclass(frozen=True, slots=True)
class SignerView:
    """One SignerInfo, read."""

    identifier: Identifier
    digest_algorithm: str  # asn1crypto name, e.g. "sha256"
    signature_algorithm: str  # asn1crypto name, e.g. "rsassa_pkcs1v15", "sha256_rsa"
    pss: PssParameters | None  # None: not PSS, or PSS written without parameters
    attributes: tuple[SignedAttribute, ...] | None  # None: no signed attributes
    attributes_der: bytes | None  # the DER SET OF the signature covers
    signature: bytes


@dataclass(frozen=True, slots=True)
class SignedDataView:
    """A SignedData, read: what verify needs, as plain values."""

    content_type: str  # dotted OID of the encapsulated content
    content: bytes | None  # None: detached
    certificates: tuple[bytes, ...]  # DER of each embedded X.509 certificate
    signers: tuple[SignerView, ...]


def read_signed_data(signature: bytes) -> SignedDataView:
    """Read a ContentInfo holding a SignedData, DER or BER, with asn1crypto."""
    expect_content(memoryview(signature), "signed-data")
    try:
        signed_data = cms.ContentInfo.load(signature)["content"]
        encapsulated = signed_data["encap_content_info"]
        content = encapsulated["content"]
        choices = signed_data["certificates"]
        return SignedDataView(
            content_type=encapsulated["content_type"].dotted,
            # __bytes__ joins the chunks of a BER constructed OCTET STRING; .contents would not.
            content=None if isinstance(content, core.Void) else bytes(content),
            certificates=()
            if isinstance(choices, core.Void)
            else tuple(c.chosen.dump() for c in choices if c.name == "certificate"),
            signers=tuple(_read_signer(info) for info in signed_data["signer_infos"]),
        )
    except PARSE_ERRORS as error:
        raise MalformedMessage(f"The signature is not a readable CMS structure: {error}") from error


def _read_signer(info: cms.SignerInfo) -> SignerView:
    attributes = info["signed_attrs"]
    algorithm = info["signature_algorithm"]
    present = not isinstance(attributes, core.Void)
    return SignerView(
        identifier=identifier_of(info["sid"]),
        digest_algorithm=info["digest_algorithm"]["algorithm"].native,
        signature_algorithm=algorithm["algorithm"].native,
        pss=_read_pss(algorithm) if algorithm["algorithm"].native == "rsassa_pss" else None,
        attributes=tuple(
            (attribute["type"].dotted, tuple(value.dump() for value in attribute["values"]))
            for attribute in attributes
        )
        if present
        else None,
        # The signature covers the DER SET OF the attributes, not their [0] IMPLICIT form.
        attributes_der=b"\x31" + attributes.dump()[1:] if present else None,
        signature=info["signature"].native,
    )


def _read_pss(algorithm: cms.SignedDigestAlgorithm) -> PssParameters | None:
    parameters = algorithm["parameters"]
    if isinstance(parameters, core.Void):
        return None  # a deployed Python AS2 library writes none: signed.py assumes them
    mask = parameters["mask_gen_algorithm"]
    mask_parameters = mask["parameters"]
    salt_length = parameters["salt_length"].native
    if not 0 <= salt_length <= 1024:
        raise ValueError(f"an RSASSA-PSS salt length of {salt_length} bytes")
    return PssParameters(
        hash_algorithm=parameters["hash_algorithm"]["algorithm"].native,
        mask_generation=mask["algorithm"].native,
        mask_hash=None
        if isinstance(mask_parameters, core.Void)
        else mask_parameters["algorithm"].native,
        salt_length=salt_length,
    )


def message_digest_of(attributes: tuple[SignedAttribute, ...], content_type: str) -> bytes:
    """The messageDigest value of signed attributes that follow RFC 5652 sections 5.3 and 11:
    each attribute type once, one messageDigest value, a contentType (if any) that names the
    encapsulated content's type."""
    seen: set[str] = set()
    for oid, _ in attributes:
        if oid in seen:
            name = _ATTRIBUTE_NAMES.get(oid, f"attribute {oid}")
            raise SignatureInvalid(
                f"The signature's signed attributes hold {name} twice, which RFC 5652 "
                "section 5.3 forbids; the partner's AS2 software must send it once."
            )
        seen.add(oid)
    values = dict(attributes)
    if MESSAGE_DIGEST not in values:
        raise SignatureInvalid("The signature has signed attributes but no message digest.")
    if len(values[MESSAGE_DIGEST]) != 1:
        raise SignatureInvalid("The signature's messageDigest attribute does not hold one value.")
    message_digest = _primitive(values[MESSAGE_DIGEST][0], ber.OCTET_STRING, "messageDigest")
    if CONTENT_TYPE in values:
        found = values[CONTENT_TYPE]
        if len(found) != 1 or _oid_text(found[0]) != content_type:
            raise SignatureInvalid("The signed content type differs from the encapsulated one.")
    return message_digest


def _primitive(der: bytes, tag: int, name: str) -> bytes:
    buf = memoryview(der)
    element = ber.read(buf, 0)
    if element.tag != tag or ber.end_of(buf, element) != len(der):
        raise MalformedMessage(f"The signature's {name} attribute is not DER of the right type.")
    return ber.contents(buf, element)


@lru_cache(maxsize=64)
def _oid_text(der: bytes) -> str | None:
    """The dotted form of an OID's DER (cached: signatures name the same few types)."""
    try:
        dotted: str = core.ObjectIdentifier.load(der).dotted
        return dotted
    except PARSE_ERRORS:
        return None
