"""CMS (RFC 5652) for AS2 over bytes: sign/verify, encrypt/decrypt, compress/decompress.

One set of acceptance rules, two readers: ``signed_fast`` and ``enveloped_fast`` read the
common shapes with ``as2.ber`` and answer only when the message is valid; everything else, and
every error and its wording, comes from the asn1crypto reader in ``signed`` and ``enveloped``.
tests/as2/test_cms_readers.py compares the two on mutated messages.
"""

from as2.cms.algorithms import (
    ENCRYPT_ALGORITHMS,
    SIGN_ALGORITHMS,
    digest,
    normalise_digest_name,
    normalise_encryption_name,
)
from as2.cms.compressed import compress, decompress
from as2.cms.content_info import content_type_of
from as2.cms.enveloped import decrypt, encrypt
from as2.cms.results import DecryptedContent, SignatureInfo
from as2.cms.signed import sign, verify

__all__ = [
    "ENCRYPT_ALGORITHMS",
    "SIGN_ALGORITHMS",
    "DecryptedContent",
    "SignatureInfo",
    "compress",
    "content_type_of",
    "decompress",
    "decrypt",
    "digest",
    "encrypt",
    "normalise_digest_name",
    "normalise_encryption_name",
    "sign",
    "verify",
]
