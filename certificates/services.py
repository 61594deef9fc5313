"""Certificate services: generate, import, rotate, export and delete a partnership's certificate.

Generating, importing and rotating write the stored files first, then the rows, in one
transaction; when anything fails, the files written so far are deleted again, so a failure
leaves neither a row nor a file. Passwords never appear in logs, errors or pages.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import IO

from cryptography import x509
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from certificates import keystore
from certificates.keystore import (
    AliasNotFound,
    CertificateNotValidNow,
    InvalidValue,
    KeystoreError,
    WrongPassword,
)
from certificates.models import Certificate, Origin, PartnerCertificate
from certificates.selectors import ExpiringCertificate, expiring_certificates
from partnerships.models import Partnership
from serverless_as2.encryption import SecretUnreadable, secret_open, secret_seal
from serverless_as2.models import User
from serverless_as2.storage_keys import MAX_SEGMENT, safe_segment, tenant_key

logger = logging.getLogger(__name__)

type Upload = bytes | IO[bytes]
type Write = Callable[[str, bytes], None]

MIN_NEW_PASSWORD = 8


class CertificateRefused(Exception):
    """Input the rules refuse. str() is a sentence for the form; `field` names the input."""

    def __init__(self, message: str, *, field: str | None = None, aliases: tuple = ()) -> None:
        super().__init__(message)
        self.field = field
        self.aliases = aliases  # private key aliases found in an uploaded keystore, if known


class WeakKey(CertificateRefused):
    """An RSA key under 2048 bits: refused unless the user accepts it explicitly."""


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


# -- create ----------------------------------------------------------------------------------


@sensitive_variables("password")
def certificate_generate(
    *,
    partnership: Partnership,
    password: str,
    private_key_alias: str,
    key_size: int = keystore.DEFAULT_KEY_SIZE,
    validity_days: int = keystore.DEFAULT_VALIDITY_DAYS,
    partner_certificate_file: Upload,
    partner_alias: str,
    accept_weak_key: bool = False,
) -> Certificate:
    """Generate our RSA key and self-signed certificate; store them with the partner's."""
    _refuse_taken(partnership)
    if len(password) < MIN_NEW_PASSWORD:
        raise CertificateRefused(
            f"Choose a password of at least {MIN_NEW_PASSWORD} characters for the keystore.",
            field="password",
        )
    _check_aliases(private_key_alias, partner_alias)
    partner_certificate = _partner_certificate(partner_certificate_file, accept_weak_key)
    instance = partnership.instance
    try:
        key, certificate = keystore.generate_self_signed(
            common_name=instance.my_as2_id.strip()[:64] or "AS2",
            organization=instance.my_name.strip()[:64] or None,
            email=_plain_email(instance.my_email),
            key_size=key_size,
            validity_days=validity_days,
        )
    except InvalidValue as error:
        raise CertificateRefused(str(error)) from None
    return _certificate_store(
        partnership=partnership,
        origin=Origin.GENERATED,
        password=password,
        private_key_alias=private_key_alias,
        entry=keystore.PrivateKeyEntry(private_key_alias, key, certificate, ()),
        partner_alias=partner_alias,
        partner_certificate=partner_certificate,
    )


@sensitive_variables("password")
def certificate_import(
    *,
    partnership: Partnership,
    password: str,
    keystore_file: Upload,
    private_key_alias: str,
    partner_certificate_file: Upload,
    partner_alias: str,
    accept_weak_key: bool = False,
) -> Certificate:
    """Import our key and certificate from the user's .p12/.pfx; store them with the partner's."""
    _refuse_taken(partnership)
    if not password:
        raise CertificateRefused(
            "Enter the password that protects your .p12/.pfx file.", field="password"
        )
    _check_aliases(private_key_alias, partner_alias)
    entry = _private_key_entry(_read(keystore_file), password, private_key_alias)
    info = keystore.certificate_info(entry.certificate)
    if info.weak_key and not accept_weak_key:
        raise WeakKey(_weak_sentence("Your key", info.key_size), field="keystore")
    now = timezone.now()
    if not info.valid_at(now):
        raise CertificateRefused(
            str(CertificateNotValidNow(info, now)).replace(
                "Ask your partner for their current certificate.",
                "Import a keystore whose certificate is valid today, or generate one.",
            ),
            field="keystore",
        )
    # The key's alias as the file spells it (keytool matches aliases without case).
    _check_aliases(entry.alias, partner_alias)
    partner_certificate = _partner_certificate(partner_certificate_file, accept_weak_key)
    return _certificate_store(
        partnership=partnership,
        origin=Origin.IMPORTED,
        password=password,
        private_key_alias=entry.alias,
        entry=entry,
        partner_alias=partner_alias,
        partner_certificate=partner_certificate,
    )


@sensitive_variables("password")
def keystore_aliases(*, keystore_file: Upload, password: str) -> keystore.KeystoreContents:
    """The aliases in an uploaded .p12/.pfx, so the form can offer them (nothing is stored)."""
    try:
        return keystore.list_keystore_aliases(_read(keystore_file), password=password)
    except WrongPassword as error:
        raise CertificateRefused(str(error), field="password") from None
    except KeystoreError as error:
        raise CertificateRefused(str(error), field="keystore") from None


@sensitive_variables("password")
def _certificate_store(
    *,
    partnership: Partnership,
    origin: Origin,
    password: str,
    private_key_alias: str,
    entry: keystore.PrivateKeyEntry,
    partner_alias: str,
    partner_certificate: x509.Certificate,
) -> Certificate:
    """Write our .cer and the Complete KeyStore, then the rows; all of it or nothing."""
    try:
        complete = keystore.build_complete_keystore(
            password=password,
            private_key_alias=private_key_alias,
            key=entry.key,
            certificate=entry.certificate,
            partner_alias=partner_alias,
            partner_certificate=partner_certificate,
            chain=entry.chain,
        )
    except InvalidValue as error:  # aliases were checked: what is left is the password
        raise CertificateRefused(str(error), field="password") from None
    except KeystoreError as error:
        raise CertificateRefused(str(error), field="keystore") from None
    my_info = keystore.certificate_info(entry.certificate)
    with _files_or_nothing() as write, transaction.atomic():
        # The lock makes a second request for the same partnership wait, then be refused.
        partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
        _refuse_taken(partnership)
        public_key_url = _public_key_key(partnership)
        keystore_key = _keystore_key(public_key_url)
        write(public_key_url, keystore.certificate_to_pem(entry.certificate))
        write(keystore_key, complete)
        certificate = Certificate.objects.create(
            tenant_id=partnership.tenant_id,
            partnership=partnership,
            origin=origin,
            private_key_alias=private_key_alias,
            partner_alias=partner_alias,
            password_sealed=secret_seal(password),
            keystore_key=keystore_key,
            public_key_url=public_key_url,
            my_cert_pem=keystore.certificate_to_pem(entry.certificate).decode(),
            my_not_before=my_info.not_before,
            my_not_after=my_info.not_after,
        )
        _partner_certificate_add(certificate, partner_certificate, in_use_from=timezone.now())
    logger.info("Stored certificate %s (%s) at %s", certificate.pk, origin, public_key_url)
    return certificate


# -- rotate, export, delete ------------------------------------------------------------------


@sensitive_variables("password")
def partner_certificate_rotate(
    *, certificate: Certificate, partner_certificate_file: Upload, accept_weak_key: bool = False
) -> PartnerCertificate:
    """Replace the partner's certificate and keep our key; the old one stays on record."""
    new_certificate = _partner_certificate(partner_certificate_file, accept_weak_key)
    caller_copy = certificate
    with _files_or_nothing() as write, transaction.atomic():
        certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
        current = certificate.current_partner_certificate
        new_info = keystore.certificate_info(new_certificate)
        if current and current.sha256_fingerprint == new_info.sha256_fingerprint:
            raise CertificateRefused(
                "This is the partner certificate already in use; upload the new one your "
                "partner sent.",
                field="partner_certificate",
            )
        password = _password(certificate)
        entry = _stored_entry(certificate, password)
        complete = keystore.build_complete_keystore(
            password=password,
            private_key_alias=certificate.private_key_alias,
            key=entry.key,
            certificate=entry.certificate,
            partner_alias=certificate.partner_alias,
            partner_certificate=new_certificate,
            chain=entry.chain,
        )
        # A new key for the new keystore: the old one stays valid until the rows commit.
        version = certificate.partner_certificates.count() + 1
        old_keystore_key = certificate.keystore_key
        certificate.keystore_key = _keystore_key(certificate.public_key_url, version=version)
        write(certificate.keystore_key, complete)
        now = timezone.now()
        if current:
            current.in_use_until = now
            current.save(update_fields=["in_use_until"])
        row = _partner_certificate_add(certificate, new_certificate, in_use_from=now)
        certificate.save(update_fields=["keystore_key", "updated"])
        transaction.on_commit(lambda: _delete_quietly(old_keystore_key))
    # The caller's copy must not point at the keystore that is about to be deleted.
    caller_copy.keystore_key, caller_copy.updated = certificate.keystore_key, certificate.updated
    logger.info("Rotated the partner certificate of certificate %s", certificate.pk)
    return row


def certificate_export(*, certificate: Certificate, kind: ExportKind) -> ExportedFile:
    """One of the three downloads: Complete KeyStore, Partner Certificate (.p12), PublicKey."""
    stem = certificate.public_key_url.rsplit("/", 1)[-1].removesuffix(".cer")
    if kind == ExportKind.PUBLIC_KEY:
        return ExportedFile(
            f"{stem}.cer", certificate.my_cert_pem.encode(), "application/x-pem-file"
        )
    if kind == ExportKind.COMPLETE_KEYSTORE:
        with default_storage.open(certificate.keystore_key, "rb") as stored:
            content = stored.read()
        return ExportedFile(f"{stem}.p12", content, "application/x-pkcs12")
    current = certificate.current_partner_certificate
    if current is None:  # every certificate is created with one; never expected
        raise CertificateRefused("This certificate has no partner certificate yet.")
    content = keystore.build_partner_keystore(
        password=_password(certificate),
        partner_alias=certificate.partner_alias,
        partner_certificate=x509.load_pem_x509_certificate(current.pem.encode()),
    )
    return ExportedFile(f"{stem}-partner.p12", content, "application/x-pkcs12")


def certificate_delete(*, certificate: Certificate) -> None:
    """Delete the certificate's rows, then (once committed) its stored files."""
    keys = [certificate.public_key_url, certificate.keystore_key]
    with transaction.atomic():
        certificate.delete()
        transaction.on_commit(lambda: [_delete_quietly(key) for key in keys])
    logger.info("Deleted the certificate stored at %s", keys[0])


# -- expiry warnings -------------------------------------------------------------------------


def expiry_warnings_send(*, now: datetime | None = None) -> list[ExpiringCertificate]:
    """E-mail each tenant's users about certificates that reached a new warning level.

    Levels are 30, 7 and 1 days ahead and expired; each is sent once per certificate, so the
    check can run daily. Returns every certificate that expires within 30 days or has expired.
    """
    expiring = expiring_certificates(now=now)
    by_tenant: dict = {}
    for item in expiring:
        if item.needs_warning:
            by_tenant.setdefault(item.certificate.tenant, []).append(item)
    for tenant, items in by_tenant.items():
        recipients = list(
            User.objects.filter(tenant=tenant, is_active=True).values_list("email", flat=True)
        )
        if recipients:
            send_mail(
                f"Serverless AS2: {len(items)} certificate(s) expire soon or have expired",
                _warning_text(items),
                None,
                recipients,
            )
        with transaction.atomic():
            for item in items:
                _warned(item)
    return expiring


def _warning_text(items: list[ExpiringCertificate]) -> str:
    lines = ["These certificates need attention:", ""]
    for item in items:
        lines.append(
            f"- {item.certificate.partnership}: {item.whose} certificate "
            f"{item.expiry.text or 'expires soon'} "
            f"(valid to {item.expiry.not_after:%Y-%m-%d %H:%M} UTC)"
        )
    lines += [
        "",
        "Ask your partner for their new certificate before theirs expires and upload it on "
        "the certificate's page; when ours expires, create a new certificate and send your "
        "partner its public key.",
    ]
    return "\n".join(lines)


def _warned(item: ExpiringCertificate) -> None:
    level = item.expiry.level
    if item.partner_certificate:
        PartnerCertificate.objects.filter(pk=item.partner_certificate.pk).update(
            expiry_warned=level
        )
    else:
        Certificate.objects.filter(pk=item.certificate.pk).update(my_expiry_warned=level)


# -- checks ----------------------------------------------------------------------------------


def _refuse_taken(partnership: Partnership) -> None:
    if Certificate.objects.filter(partnership_id=partnership.pk).exists():
        raise CertificateRefused(
            f"The partnership {partnership} already has a certificate; open it from the "
            "Certificate list to upload a new partner certificate.",
            field="partnership",
        )


def _check_aliases(private_key_alias: str, partner_alias: str) -> None:
    for field, label, alias in (
        ("private_key_alias", "privateKeyAlias", private_key_alias),
        ("partner_alias", "alias", partner_alias),
    ):
        if not alias.strip():
            raise CertificateRefused(f"Enter the {label}.", field=field)
        if len(alias) > keystore.ALIAS_MAX_LENGTH:
            raise CertificateRefused(
                f"The {label} must be at most {keystore.ALIAS_MAX_LENGTH} characters long.",
                field=field,
            )
    if private_key_alias.casefold() == partner_alias.casefold():
        raise CertificateRefused(
            f"The partner certificate's alias must differ from privateKeyAlias "
            f"('{private_key_alias}'); keytool does not tell aliases apart by case.",
            field="partner_alias",
        )


def _partner_certificate(upload: Upload, accept_weak_key: bool) -> x509.Certificate:
    try:
        certificate = keystore.load_partner_certificate(_read(upload))
    except KeystoreError as error:
        raise CertificateRefused(str(error), field="partner_certificate") from None
    info = keystore.certificate_info(certificate)
    if info.weak_key and not accept_weak_key:
        raise WeakKey(
            _weak_sentence("The partner's certificate", info.key_size),
            field="partner_certificate",
        )
    return certificate


def _weak_sentence(whose: str, key_size: int) -> str:
    return (
        f"{whose} has a {key_size}-bit RSA key; keys under {keystore.MIN_RSA_KEY_SIZE} bits are "
        "weak and many "
        "partners refuse them. Use a stronger one, or tick “accept a weak key” to go on."
    )


@sensitive_variables("password")
def _private_key_entry(data: bytes, password: str, alias: str) -> keystore.PrivateKeyEntry:
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


def _plain_email(email: str) -> str | None:
    """The instance's e-mail for the certificate subject, when a certificate can carry it."""
    return email if email and email.isascii() and "@" in email and len(email) <= 255 else None


def _read(upload: Upload) -> bytes:
    """An upload's bytes, reading at most one byte beyond the limit (so it can be refused)."""
    if isinstance(upload, bytes):
        return upload
    upload.seek(0)
    return upload.read(keystore.MAX_UPLOAD_BYTES + 1)


# -- stored secrets and files ----------------------------------------------------------------


def _password(certificate: Certificate) -> str:
    try:
        return secret_open(certificate.password_sealed)
    except SecretUnreadable as error:
        raise CertificateRefused(str(error)) from None


@sensitive_variables("password")
def _stored_entry(certificate: Certificate, password: str) -> keystore.PrivateKeyEntry:
    with default_storage.open(certificate.keystore_key, "rb") as stored:
        data = stored.read()
    try:
        return keystore.load_private_keystore(
            data, password=password, alias=certificate.private_key_alias
        )
    except KeystoreError as error:
        raise CertificateRefused(f"The stored keystore cannot be opened: {error}") from None


def _public_key_key(partnership: Partnership) -> str:
    """private/<tenant>/<partner>/<me>/cert/<me>-<partner>.cer, unique within the tenant.

    Two partnerships whose AS2 IDs differ only in unsafe characters would share the key:
    the later one gets a "-2", "-3", ... suffix instead.
    """
    me, partner = partnership.instance.my_as2_id, partnership.partner.partner_as2_id
    # Room for the longest suffix and extension, so that the segment is never cut.
    stem = f"{safe_segment(me)}-{safe_segment(partner)}"[: MAX_SEGMENT - len("-99.99.p12")]
    taken = set(
        Certificate.objects.filter(tenant_id=partnership.tenant_id).values_list(
            "public_key_url", flat=True
        )
    )
    for number in range(1, 100):
        name = stem if number == 1 else f"{stem}-{number}"
        key = tenant_key(partnership.tenant, partner, me, "cert", f"{name}.cer")
        if key not in taken:
            return key
    raise CertificateRefused("Too many certificates share this storage folder.")


def _keystore_key(public_key_url: str, *, version: int = 1) -> str:
    """The Complete KeyStore beside the .cer; each partner certificate rotation makes a new one."""
    stem = public_key_url.removesuffix(".cer")
    return f"{stem}.p12" if version == 1 else f"{stem}.{version}.p12"


@contextmanager
def _files_or_nothing() -> Iterator[Write]:
    """A write(key, data) whose files are deleted again if the block raises."""
    written: list[str] = []

    def write(key: str, data: bytes) -> None:
        if default_storage.exists(key):  # left over from a failure; nothing refers to it
            default_storage.delete(key)
        written.append(key)
        name = default_storage.save(key, ContentFile(data))
        if name != key:
            written.append(name)
            raise RuntimeError(f"The storage saved {key} as {name}.")

    try:
        yield write
    except BaseException:
        for key in written:
            _delete_quietly(key)
        raise


def _delete_quietly(key: str) -> None:
    try:
        default_storage.delete(key)
    except Exception:
        logger.exception("Could not delete the stored file %s", key)


def _partner_certificate_fields(certificate: x509.Certificate) -> dict:
    """Column values of a PartnerCertificate row for the certificate."""
    info = keystore.certificate_info(certificate)
    return {
        "pem": keystore.certificate_to_pem(certificate).decode(),
        "subject": info.subject,
        "serial": info.serial,
        "sha256_fingerprint": info.sha256_fingerprint,
        "not_before": info.not_before,
        "not_after": info.not_after,
    }


def _partner_certificate_add(
    certificate: Certificate, partner_certificate: x509.Certificate, *, in_use_from: datetime
) -> PartnerCertificate:
    return PartnerCertificate.objects.create(
        tenant_id=certificate.tenant_id,
        certificate=certificate,
        in_use_from=in_use_from,
        **_partner_certificate_fields(partner_certificate),
    )
