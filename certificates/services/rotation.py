"""Rotation: the partner's new certificate replaces the current one; our key stays."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from certificates.models import Certificate, PartnerCertificate
from certificates.services.checks import CertificateRefused, Upload, partner_certificate_of
from certificates.services.storage import (
    delete_quietly,
    files_or_nothing,
    keystore_key_free,
    partner_certificate_add,
    stored_entry,
    stored_password,
)

logger = logging.getLogger(__name__)


def partner_certificate_rotate(
    *, certificate: Certificate, partner_certificate_file: Upload, accept_weak_key: bool = False
) -> PartnerCertificate:
    """Replace the partner's certificate and keep our key; the old one stays on record."""
    from certificates import keystore

    new_certificate = partner_certificate_of(partner_certificate_file, accept_weak_key)
    caller_copy = certificate
    with files_or_nothing() as write, transaction.atomic():
        certificate = (
            Certificate.objects.select_for_update()
            .select_related("partnership__tenant", "partnership__instance", "partnership__partner")
            .get(pk=certificate.pk)
        )
        current = certificate.current_partner_certificate
        new_info = keystore.certificate_info(new_certificate)
        if current and current.sha256_fingerprint == new_info.sha256_fingerprint:
            raise CertificateRefused(
                "This is the partner certificate already in use; upload the new one your "
                "partner sent.",
                field="partner_certificate",
            )
        password = stored_password(certificate)
        entry = stored_entry(certificate, password)
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
        certificate.keystore_key = keystore_key_free(certificate, version=version)
        write(certificate.keystore_key, complete)
        now = timezone.now()
        if current:
            current.in_use_until = now
            current.save(update_fields=["in_use_until"])
        row = partner_certificate_add(certificate, new_certificate, in_use_from=now)
        certificate.save(update_fields=["keystore_key", "updated"])
        transaction.on_commit(lambda: delete_quietly(old_keystore_key))
    # The caller's copy must not point at the keystore that is about to be deleted.
    caller_copy.keystore_key, caller_copy.updated = certificate.keystore_key, certificate.updated
    logger.info("Rotated the partner certificate of certificate %s", certificate.pk)
    return row
