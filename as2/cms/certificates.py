"""Which certificate a SignerIdentifier or RecipientIdentifier names, from DER bytes."""

from functools import lru_cache

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from as2 import ber


@lru_cache(maxsize=64)
def asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    """The asn1crypto view of a certificate (cached: partners sign with the same one all day)."""
    return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))


@lru_cache(maxsize=64)
def issuer_and_serial_der(certificate: x509.Certificate) -> bytes:
    """DER IssuerAndSerialNumber naming `certificate`, the issuer bytes kept as they are."""
    tbs = asn1_certificate(certificate)["tbs_certificate"]
    return ber.encode(ber.SEQUENCE, tbs["issuer"].dump(), tbs["serial_number"].dump())


def identifies(sid: cms.SignerIdentifier | cms.RecipientIdentifier, cert: x509.Certificate) -> bool:
    """Whether a signer/recipient identifier (issuer+serial or SKI) names `cert`."""
    if sid.name == "subject_key_identifier":
        return sid.chosen.native == subject_key_identifier(cert)
    chosen = sid.chosen
    if chosen["serial_number"].native != cert.serial_number:
        return False
    issuer = cert.issuer.public_bytes()
    # Byte equality is the common case; asn1crypto's comparison normalises string types and case.
    return chosen["issuer"].dump() == issuer or chosen["issuer"] == asn1_x509.Name.load(issuer)


@lru_cache(maxsize=64)
def subject_key_identifier(cert: x509.Certificate) -> bytes:
    """The certificate's SubjectKeyIdentifier, or the RFC 5280 method-1 value if it has none."""
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest
