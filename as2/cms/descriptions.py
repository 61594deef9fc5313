"""Certificates and distinguished names in words, for error sentences partners will read."""

from asn1crypto import x509 as asn1_x509
from cryptography import x509


def describe(certificate: x509.Certificate) -> str:
    """'certificate serial 1A2B issued by CN=...' for error sentences."""
    issuer = certificate.issuer.rfc4514_string()
    return f"certificate serial {certificate.serial_number:X} issued by {issuer}"


_NAME_LABELS = {
    "common_name": "CN",
    "organization_name": "O",
    "organizational_unit_name": "OU",
    "country_name": "C",
    "state_or_province_name": "ST",
    "locality_name": "L",
    "email_address": "E",
}


def name_text(name: asn1_x509.Name) -> str:
    """A distinguished name written like cryptography's rfc4514_string(), for error sentences."""
    parts = []
    for rdn in reversed(list(name.chosen)):
        for attribute in rdn:
            label = attribute["type"].native
            parts.append(f"{_NAME_LABELS.get(label, label)}={attribute['value'].native}")
    return ",".join(parts)
