"""The rules a certificate's inputs must meet, and the refusal that carries a sentence."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING

from django.views.decorators.debug import sensitive_variables

from certificates import rules
from certificates.models import Certificate
from partnerships.models import Partnership

if TYPE_CHECKING:
    from cryptography import x509

    from certificates import keystore

type Upload = bytes | IO[bytes]

MIN_NEW_PASSWORD = 8


class CertificateRefused(Exception):
    """Input the rules refuse. str() is a sentence for the form; `field` names the input."""

    def __init__(
        self, message: str, *, field: str | None = None, aliases: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.field = field
        self.aliases = aliases  # private key aliases found in an uploaded keystore, if known


class WeakKey(CertificateRefused):
    """An RSA key under 2048 bits: refused unless the user accepts it explicitly."""


def refuse_taken(partnership: Partnership) -> None:
    if Certificate.objects.filter(partnership_id=partnership.pk).exists():
        raise CertificateRefused(
            f"The partnership {partnership} already has a certificate; open it from the "
            "Certificate list to upload a new partner certificate.",
            field="partnership",
        )


def check_new_password(password: str) -> None:
    if len(password) < MIN_NEW_PASSWORD:
        raise CertificateRefused(
            f"Choose a password of at least {MIN_NEW_PASSWORD} characters for the keystore.",
            field="password",
        )


def check_aliases(private_key_alias: str, partner_alias: str) -> None:
    for field, label, alias in (
        ("private_key_alias", "privateKeyAlias", private_key_alias),
        ("partner_alias", "alias", partner_alias),
    ):
        if not alias.strip():
            raise CertificateRefused(f"Enter the {label}.", field=field)
        if len(alias) > rules.ALIAS_MAX_LENGTH:
            raise CertificateRefused(
                f"The {label} must be at most {rules.ALIAS_MAX_LENGTH} characters long.",
                field=field,
            )
    if private_key_alias.casefold() == partner_alias.casefold():
        raise CertificateRefused(
            f"The partner certificate's alias must differ from privateKeyAlias "
            f"('{private_key_alias}'); keytool does not tell aliases apart by case.",
            field="partner_alias",
        )


def partner_certificate_of(upload: Upload, accept_weak_key: bool) -> x509.Certificate:
    """The partner's certificate from an upload, refused when weak unless accepted."""
    from certificates import keystore
    from certificates.keystore import KeystoreError

    try:
        certificate = keystore.load_partner_certificate(read_upload(upload))
    except KeystoreError as error:
        raise CertificateRefused(str(error), field="partner_certificate") from None
    info = keystore.certificate_info(certificate)
    if info.weak_key and not accept_weak_key:
        raise WeakKey(
            weak_sentence("The partner's certificate", info.key_size),
            field="partner_certificate",
        )
    return certificate


def weak_sentence(whose: str, key_size: int) -> str:
    return (
        f"{whose} has a {key_size}-bit RSA key; keys under {rules.MIN_RSA_KEY_SIZE} bits are "
        "weak and many partners refuse them. Use a stronger one, or tick “accept a weak key” "
        "to go on."
    )


@sensitive_variables("password")
def private_key_entry(data: bytes, password: str, alias: str) -> keystore.PrivateKeyEntry:
    """The key entry `alias` of an uploaded keystore, its problems as refusals."""
    from certificates import keystore
    from certificates.keystore import AliasNotFound, KeystoreError, WrongPassword

    try:
        return keystore.load_private_keystore(data, password=password, alias=alias)
    except WrongPassword as error:
        raise CertificateRefused(str(error), field="password") from None
    except AliasNotFound as error:
        raise CertificateRefused(
            str(error), field="private_key_alias", aliases=error.aliases
        ) from None
    except KeystoreError as error:
        raise CertificateRefused(str(error), field="keystore") from None


def plain_email(email: str) -> str | None:
    """The instance's e-mail for the certificate subject, when a certificate can carry it."""
    return email if email and email.isascii() and "@" in email and len(email) <= 255 else None


def read_upload(upload: Upload) -> bytes:
    """An upload's bytes, reading at most one byte beyond the limit (so it can be refused)."""
    if isinstance(upload, bytes):
        return upload
    upload.seek(0)
    return upload.read(rules.MAX_UPLOAD_BYTES + 1)
