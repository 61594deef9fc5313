"""A certificate's stored files and rows: keys, writes that undo themselves, the stored keystore."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict
from uuid import UUID

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Q
from django.views.decorators.debug import sensitive_variables

from certificates.models import Certificate, PartnerCertificate
from certificates.services.checks import CertificateRefused
from partnerships.models import Partnership
from serverless_as2 import storage_keys
from serverless_as2.encryption import SecretUnreadable, secret_open

if TYPE_CHECKING:
    from cryptography import x509

    from certificates import keystore

logger = logging.getLogger(__name__)

type Write = Callable[[str, bytes], None]


@dataclass(frozen=True, slots=True)
class CertificateFiles:
    """Where a certificate's files go: our .cer and the Complete KeyStore, and their number."""

    number: int
    public_key_key: str
    keystore_key: str


def certificate_files_free(partnership: Partnership) -> CertificateFiles:
    """The first file number whose keys no certificate of the tenant uses.

    Two partnerships whose AS2 IDs differ only in unsafe characters would share the keys:
    the later one gets a "-2", "-3", ... suffix instead.
    """
    ids = _as2_ids(partnership)
    for number in range(1, storage_keys.MAX_CERTIFICATE_NUMBER + 1):
        files = CertificateFiles(
            number=number,
            public_key_key=storage_keys.public_key_key(partnership.tenant, **ids, number=number),
            keystore_key=storage_keys.keystore_key(partnership.tenant, **ids, number=number),
        )
        if not _keys_in_use(partnership.tenant_id, files.public_key_key, files.keystore_key):
            return files
    raise CertificateRefused("Too many certificates share this storage folder.")


def keystore_key_free(certificate: Certificate, *, version: int) -> str:
    """A key for a new version of the certificate's Complete KeyStore that nothing uses.

    It is made from the partnership's AS2 IDs of today and the certificate's file number;
    were that taken (an AS2 ID renamed onto another's), the next free number is used.
    """
    partnership = certificate.partnership
    ids = _as2_ids(partnership)
    numbers = range(1, storage_keys.MAX_CERTIFICATE_NUMBER + 1)
    for number in sorted(numbers, key=lambda n: n != certificate.storage_number):
        key = storage_keys.keystore_key(partnership.tenant, **ids, number=number, version=version)
        if not _keys_in_use(certificate.tenant_id, key):
            return key
    raise CertificateRefused("Too many certificates share this storage folder.")


def download_stem(certificate: Certificate) -> str:
    """The file name (without extension) of the certificate's downloads."""
    ids = _as2_ids(certificate.partnership)
    return storage_keys.certificate_stem(**ids, number=certificate.storage_number)


class _As2Ids(TypedDict):
    partner_as2_id: str
    my_as2_id: str


def _as2_ids(partnership: Partnership) -> _As2Ids:
    return {
        "partner_as2_id": partnership.partner.partner_as2_id,
        "my_as2_id": partnership.instance.my_as2_id,
    }


def _keys_in_use(tenant_id: UUID, *keys: str) -> bool:
    return Certificate.objects.filter(
        Q(public_key_key__in=keys) | Q(keystore_key__in=keys), tenant_id=tenant_id
    ).exists()


@contextmanager
def files_or_nothing() -> Iterator[Write]:
    """A write(key, data) whose files are deleted again if the block raises."""
    written: list[str] = []

    def write(key: str, data: bytes) -> None:
        if default_storage.exists(key):  # left over from a failure; no row refers to it
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
            delete_quietly(key)
        raise


def delete_quietly(key: str) -> None:
    try:
        default_storage.delete(key)
    except Exception:
        logger.exception("Could not delete the stored file %s", key)


def stored_password(certificate: Certificate) -> str:
    """The keystore password, unsealed."""
    try:
        return secret_open(certificate.password_sealed)
    except SecretUnreadable as error:
        raise CertificateRefused(str(error)) from None


def stored_keystore(certificate: Certificate) -> bytes:
    with default_storage.open(certificate.keystore_key, "rb") as stored:
        data: bytes = stored.read()
    return data


@sensitive_variables("password")
def stored_entry(certificate: Certificate, password: str) -> keystore.PrivateKeyEntry:
    """Our key entry from the stored Complete KeyStore (about 70 ms: PKCS#12 key derivation)."""
    from certificates import keystore
    from certificates.keystore import KeystoreError

    try:
        return keystore.load_private_keystore(
            stored_keystore(certificate), password=password, alias=certificate.private_key_alias
        )
    except KeystoreError as error:
        raise CertificateRefused(f"The stored keystore cannot be opened: {error}") from None


def partner_certificate_add(
    certificate: Certificate, partner_certificate: x509.Certificate, *, in_use_from: datetime
) -> PartnerCertificate:
    return PartnerCertificate.objects.create(
        tenant_id=certificate.tenant_id,
        certificate=certificate,
        in_use_from=in_use_from,
        **_partner_certificate_fields(partner_certificate),
    )


def _partner_certificate_fields(certificate: x509.Certificate) -> dict[str, Any]:
    """Column values of a PartnerCertificate row for the certificate."""
    from certificates import keystore

    info = keystore.certificate_info(certificate)
    return {
        "pem": keystore.certificate_to_pem(certificate).decode(),
        "subject": info.subject,
        "serial": info.serial,
        "sha256_fingerprint": info.sha256_fingerprint,
        "not_before": info.not_before,
        "not_after": info.not_after,
    }
