"""Create a partnership's certificate: generate our key (Option A) or import it (Option B).

The stored files are written first, then the rows, in one transaction; when anything fails,
the files written so far are deleted again, so a failure leaves neither a row nor a file.
Passwords never appear in logs, errors or pages.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from certificates import rules
from certificates.models import Certificate, Origin
from certificates.services.checks import (
    CertificateRefused,
    Upload,
    WeakKey,
    check_aliases,
    check_new_password,
    partner_certificate_of,
    plain_email,
    private_key_entry,
    read_upload,
    refuse_taken,
    weak_sentence,
)
from certificates.services.storage import (
    certificate_files_free,
    files_or_nothing,
    partner_certificate_add,
)
from partnerships.models import Partnership
from serverless_as2.encryption import secret_seal

if TYPE_CHECKING:
    from cryptography import x509

    from certificates import keystore

logger = logging.getLogger(__name__)


@sensitive_variables("password")
def certificate_generate(
    *,
    partnership: Partnership,
    password: str,
    private_key_alias: str,
    key_size: int = rules.DEFAULT_KEY_SIZE,
    validity_days: int = rules.DEFAULT_VALIDITY_DAYS,
    partner_certificate_file: Upload,
    partner_alias: str,
    accept_weak_key: bool = False,
) -> Certificate:
    """Generate our RSA key and self-signed certificate; store them with the partner's."""
    from certificates import keystore
    from certificates.keystore import InvalidValue

    refuse_taken(partnership)
    check_new_password(password)
    check_aliases(private_key_alias, partner_alias)
    partner_certificate = partner_certificate_of(partner_certificate_file, accept_weak_key)
    instance = partnership.instance
    try:
        key, certificate = keystore.generate_self_signed(
            common_name=instance.my_as2_id.strip()[:64] or "AS2",
            organization=instance.my_name.strip()[:64] or None,
            email=plain_email(instance.my_email),
            key_size=key_size,
            validity_days=validity_days,
        )
    except InvalidValue as error:
        raise CertificateRefused(str(error)) from None
    return _certificate_store(
        partnership=partnership,
        origin=Origin.GENERATED,
        password=password,
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
    from certificates import keystore
    from certificates.keystore import CertificateNotValidNow

    refuse_taken(partnership)
    if not password:
        raise CertificateRefused(
            "Enter the password that protects your .p12/.pfx file.", field="password"
        )
    check_aliases(private_key_alias, partner_alias)
    entry = private_key_entry(read_upload(keystore_file), password, private_key_alias)
    info = keystore.certificate_info(entry.certificate)
    if info.weak_key and not accept_weak_key:
        raise WeakKey(weak_sentence("Your key", info.key_size), field="keystore")
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
    check_aliases(entry.alias, partner_alias)
    partner_certificate = partner_certificate_of(partner_certificate_file, accept_weak_key)
    return _certificate_store(
        partnership=partnership,
        origin=Origin.IMPORTED,
        password=password,
        entry=entry,
        partner_alias=partner_alias,
        partner_certificate=partner_certificate,
    )


@sensitive_variables("password")
def keystore_aliases(*, keystore_file: Upload, password: str) -> keystore.KeystoreContents:
    """The aliases in an uploaded .p12/.pfx, so the form can offer them (nothing is stored)."""
    from certificates import keystore
    from certificates.keystore import KeystoreError, WrongPassword

    try:
        return keystore.list_keystore_aliases(read_upload(keystore_file), password=password)
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
    entry: keystore.PrivateKeyEntry,
    partner_alias: str,
    partner_certificate: x509.Certificate,
) -> Certificate:
    """Write our .cer and the Complete KeyStore, then the rows; all of it or nothing."""
    from certificates import keystore
    from certificates.keystore import InvalidValue, KeystoreError

    try:
        complete = keystore.build_complete_keystore(
            password=password,
            private_key_alias=entry.alias,
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
    my_pem = keystore.certificate_to_pem(entry.certificate)
    with files_or_nothing() as write, transaction.atomic():
        # The lock makes a second request for the same partnership wait, then be refused.
        partnership = (
            Partnership.objects.select_for_update()
            .select_related("tenant", "instance", "partner")
            .get(pk=partnership.pk)
        )
        refuse_taken(partnership)
        files = certificate_files_free(partnership)
        write(files.public_key_key, my_pem)
        write(files.keystore_key, complete)
        certificate = Certificate.objects.create(
            tenant_id=partnership.tenant_id,
            partnership=partnership,
            origin=origin,
            private_key_alias=entry.alias,
            partner_alias=partner_alias,
            password_sealed=secret_seal(password),
            keystore_key=files.keystore_key,
            public_key_key=files.public_key_key,
            storage_number=files.number,
            my_cert_pem=my_pem.decode(),
            my_not_before=my_info.not_before,
            my_not_after=my_info.not_after,
        )
        partner_certificate_add(certificate, partner_certificate, in_use_from=timezone.now())
    logger.info("Stored certificate %s (%s) at %s", certificate.pk, origin, files.public_key_key)
    return certificate
