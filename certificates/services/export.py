"""The three downloads: Complete KeyStore, Partner Certificate (.p12) and PublicKey (.cer)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from certificates.models import Certificate
from certificates.services.checks import CertificateRefused
from certificates.services.storage import download_stem, stored_keystore, stored_password


class ExportKind(StrEnum):
    COMPLETE_KEYSTORE = "complete"
    PARTNER_KEYSTORE = "partner"
    PUBLIC_KEY = "public_key"


@dataclass(frozen=True)
class ExportedFile:
    """A download: its bytes, a safe file name and a media type."""

    filename: str
    content: bytes
    content_type: str


def certificate_export(*, certificate: Certificate, kind: ExportKind) -> ExportedFile:
    """One of the three downloads: Complete KeyStore, Partner Certificate (.p12), PublicKey."""
    from cryptography import x509

    from certificates import keystore

    stem = download_stem(certificate)
    if kind == ExportKind.PUBLIC_KEY:
        return ExportedFile(
            f"{stem}.cer", certificate.my_cert_pem.encode(), "application/x-pem-file"
        )
    if kind == ExportKind.COMPLETE_KEYSTORE:
        return ExportedFile(f"{stem}.p12", stored_keystore(certificate), "application/x-pkcs12")
    current = certificate.current_partner_certificate
    if current is None:  # every certificate is created with one; never expected
        raise CertificateRefused("This certificate has no partner certificate yet.")
    content = keystore.build_partner_keystore(
        password=stored_password(certificate),
        partner_alias=certificate.partner_alias,
        partner_certificate=x509.load_pem_x509_certificate(current.pem.encode()),
    )
    return ExportedFile(f"{stem}-partner.p12", content, "application/x-pkcs12")
