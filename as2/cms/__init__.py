"""CMS (RFC 5652) for AS2 over bytes: sign/verify, encrypt/decrypt, compress/decompress.

Two readers, one set of rules: ``signed_fast`` and ``enveloped_fast`` read the common shapes
with ``as2.ber``; ``signed_read`` and ``enveloped_read`` read any shape with asn1crypto. Both
produce the same plain values (``SignedDataView``, ``RecipientView``, ``ContentEncryption``),
which ``signed.verify`` and ``enveloped.decrypt`` check with one code path; parse errors are
caught in the readers only. tests/as2/test_cms_readers.py compares the readers on mutated
messages and proves the fast ones are taken.
"""

from as2.cms.algorithms import ENCRYPT_ALGORITHMS, SIGN_ALGORITHMS, digest
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
    "sign",
    "verify",
]
