"""Delete a certificate: its rows, then (once committed) its stored files."""

import logging

from django.db import transaction

from certificates.models import Certificate
from certificates.services.storage import delete_quietly

logger = logging.getLogger(__name__)


def certificate_delete(*, certificate: Certificate) -> None:
    """Delete the certificate's rows, then (once committed) its stored files."""
    keys = [certificate.public_key_key, certificate.keystore_key]

    def delete_files() -> None:
        for key in keys:
            delete_quietly(key)

    with transaction.atomic():
        certificate.delete()
        transaction.on_commit(delete_files)
    logger.info("Deleted the certificate stored at %s", keys[0])
