"""The common envelope read with ber.py: one RSA PKCS#1 v1.5 recipient naming our certificate
byte for byte, and a CBC cipher in its usual DER.

The results are the values ``enveloped_read`` makes with asn1crypto, used by the same code in
``enveloped.decrypt``; any other shape gives None and the asn1crypto reader reads it
(tests/as2/test_cms_readers.py compares the two on mutated envelopes).
"""

from asn1crypto import algos, cms
from cryptography import x509

from as2 import ber
from as2.algorithms import ContentCipher
from as2.cms.algorithms import CIPHER_OIDS, algorithm_encodings
from as2.cms.certificates import identifier_for, issuer_and_serial_der
from as2.cms.envelope import ContentEncryption, RecipientView
from as2.exceptions import As2Error

# The DER of each CBC AlgorithmIdentifier up to its IV (a zero IV cut off): a byte match needs
# no asn1crypto parse.
CBC_ALGORITHM_PREFIXES = {
    ber.encode(
        ber.SEQUENCE,
        algos.EncryptionAlgorithmId(CIPHER_OIDS[cipher]).dump(),
        ber.encode(ber.OCTET_STRING, bytes(cipher.block_size)),
    )[: -cipher.block_size]: cipher
    for cipher in ContentCipher
    if not cipher.gcm
}
_RSA_PKCS1_KEY_TRANSPORT = set(
    algorithm_encodings(cms.KeyEncryptionAlgorithmId, ["rsaes_pkcs1v15"])
)


def content_encryption_by_prefix(algorithm_der: bytes) -> ContentEncryption | None:
    """The CBC cipher and IV of a content-encryption AlgorithmIdentifier in its usual DER."""
    for prefix, cipher in CBC_ALGORITHM_PREFIXES.items():
        iv = algorithm_der[len(prefix) :]
        if algorithm_der.startswith(prefix) and len(iv) == cipher.block_size:
            return ContentEncryption(cipher, iv=iv)
    return None


def read_common_recipients(
    recipient_infos: bytes, certificate: x509.Certificate | None
) -> tuple[RecipientView, ...] | None:
    """The only KeyTransRecipientInfo, when it names `certificate` by its exact issuer and
    serial bytes and uses RSA PKCS#1 v1.5; None otherwise."""
    if certificate is None:
        return None
    buf = memoryview(recipient_infos)
    try:
        recipients = ber.children_tagged(buf, ber.read(buf, 0), ber.SEQUENCE)
        if recipients is None:
            return None
        fields = ber.children_tagged(
            buf, recipients[0], ber.INTEGER, ber.SEQUENCE, ber.SEQUENCE, ber.OCTET_STRING
        )
        if (
            fields is None
            or ber.raw(buf, fields[1]) != issuer_and_serial_der(certificate)
            or ber.raw(buf, fields[2]) not in _RSA_PKCS1_KEY_TRANSPORT
        ):
            return None
        encrypted_key = ber.contents(buf, fields[3])
    except As2Error:  # ber.py found the bytes malformed: the asn1crypto reader words it
        return None
    identifier = identifier_for(certificate)
    return (RecipientView(identifier, "rsaes_pkcs1v15", None, None, None, encrypted_key),)
