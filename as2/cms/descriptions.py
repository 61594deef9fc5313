"""Certificates and identifiers in words, for error sentences partners will read."""

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509


def describe(cert: x509.Certificate) -> str:
    """'certificate serial 1A2B issued by CN=...' for error sentences."""
    return f"certificate serial {cert.serial_number:X} issued by {cert.issuer.rfc4514_string()}"


def describe_sid(sid: cms.SignerIdentifier | cms.RecipientIdentifier) -> str:
    """A sentence fragment naming the certificate an identifier points to."""
    if sid.name == "subject_key_identifier":
        return f"the certificate with subject key identifier {sid.chosen.native.hex()}"
    chosen = sid.chosen
    issuer = _name_text(chosen["issuer"])
    return f"certificate serial {chosen['serial_number'].native:X} issued by {issuer}"


_NAME_LABELS = {
    "common_name": "CN",
    "organization_name": "O",
    "organizational_unit_name": "OU",
    "country_name": "C",
    "state_or_province_name": "ST",
    "locality_name": "L",
    "email_address": "E",
}


def _name_text(name: asn1_x509.Name) -> str:
    """A distinguished name written like cryptography's rfc4514_string(), for error sentences."""
    parts = []
    for rdn in reversed(list(name.chosen)):
        for attribute in rdn:
            label = attribute["type"].native
            parts.append(f"{_NAME_LABELS.get(label, label)}={attribute['value'].native}")
    return ",".join(parts)
