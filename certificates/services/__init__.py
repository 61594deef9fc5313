"""Certificate services: generate, import, rotate, export and delete a partnership's certificate.

One module per concern: `create` (generate, import, the alias probe), `rotation`, `export`,
`delete`, `expiry_warnings`, with the input checks in `checks` and the stored files and rows in
`storage`. The public names stay importable from `certificates.services`.
"""

from certificates.services.checks import MIN_NEW_PASSWORD, CertificateRefused, Upload, WeakKey
from certificates.services.create import certificate_generate, certificate_import, keystore_aliases
from certificates.services.delete import certificate_delete
from certificates.services.expiry_warnings import expiry_warnings_send
from certificates.services.export import ExportedFile, ExportKind, certificate_export
from certificates.services.rotation import partner_certificate_rotate

__all__ = [
    "MIN_NEW_PASSWORD",
    "CertificateRefused",
    "ExportKind",
    "ExportedFile",
    "Upload",
    "WeakKey",
    "certificate_delete",
    "certificate_export",
    "certificate_generate",
    "certificate_import",
    "expiry_warnings_send",
    "keystore_aliases",
    "partner_certificate_rotate",
]
