"""Which certificate a SignerIdentifier or RecipientIdentifier names."""

from dataclasses import dataclass
from functools import lru_cache

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from as2 import ber
from as2.cms.descriptions import name_text


@dataclass(frozen=True, slots=True)
class Identifier:
    """A SignerIdentifier or RecipientIdentifier, read: a key identifier, or issuer and serial."""

    key_identifier: bytes | None
    issuer: bytes | None  # DER, as sent
    issuer_key: str | None  # asn1crypto's normalised form of the issuer (case, string types)
    serial: int | None
    description: str  # "certificate serial 1A issued by CN=..." for error sentences


def identifier_of(sid: cms.SignerIdentifier | cms.RecipientIdentifier) -> Identifier:
    """Read an asn1crypto identifier (parses input: call where parse errors are caught)."""
    if sid.name == "subject_key_identifier":
        return key_identifier(sid.chosen.native)
    chosen = sid.chosen
    issuer, serial = chosen["issuer"], chosen["serial_number"].native
    description = f"certificate serial {serial:X} issued by {name_text(issuer)}"
    return Identifier(None, issuer.dump(), issuer.hashable, serial, description)


def key_identifier(value: bytes) -> Identifier:
    """The identifier that names a certificate by its subject key identifier."""
    description = f"the certificate with subject key identifier {value.hex()}"
    return Identifier(value, None, None, None, description)


@lru_cache(maxsize=64)
def identifier_for(certificate: x509.Certificate) -> Identifier:
    """The issuer-and-serial identifier naming `certificate`, as identifier_of reads one."""
    issuer = asn1_certificate(certificate)["tbs_certificate"]["issuer"]
    serial = certificate.serial_number
    description = f"certificate serial {serial:X} issued by {name_text(issuer)}"
    return Identifier(None, issuer.dump(), issuer_key(certificate), serial, description)


def identifies(identifier: Identifier, certificate: x509.Certificate) -> bool:
    """Whether an identifier (issuer and serial, or key identifier) names `certificate`."""
    if identifier.key_identifier is not None:
        return identifier.key_identifier == subject_key_identifier(certificate)
    if identifier.serial != certificate.serial_number:
        return False
    # Byte equality is the common case; asn1crypto's comparison normalises string types and case.
    return identifier.issuer == _issuer_der(certificate) or (
        identifier.issuer_key == issuer_key(certificate)
    )


@lru_cache(maxsize=64)
def _issuer_der(certificate: x509.Certificate) -> bytes:
    return certificate.issuer.public_bytes()


@lru_cache(maxsize=64)
def asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    """The asn1crypto view of a certificate (cached: partners sign with the same one all day)."""
    return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))


@lru_cache(maxsize=64)
def issuer_key(certificate: x509.Certificate) -> str:
    """asn1crypto's normalised form of the certificate's issuer name."""
    issuer = asn1_certificate(certificate)["tbs_certificate"]["issuer"]
    hashable: str = issuer.hashable
    return hashable


@lru_cache(maxsize=64)
def issuer_and_serial_der(certificate: x509.Certificate) -> bytes:
    """DER IssuerAndSerialNumber naming `certificate`, the issuer bytes kept as they are."""
    tbs = asn1_certificate(certificate)["tbs_certificate"]
    return ber.encode(ber.SEQUENCE, tbs["issuer"].dump(), tbs["serial_number"].dump())


@lru_cache(maxsize=64)
def subject_key_identifier(certificate: x509.Certificate) -> bytes:
    """The certificate's SubjectKeyIdentifier, or the RFC 5280 method-1 value if it has none."""
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound:
        return x509.SubjectKeyIdentifier.from_public_key(certificate.public_key()).digest
    return extension.value.digest
