"""The common envelope read with ber.py: one RSA PKCS#1 v1.5 recipient naming our certificate.

It answers only when it opens the message; anything else, and any failure, goes to the
asn1crypto reader in ``enveloped``, which stays the one judge of errors and their wording.
"""

from asn1crypto import algos, cms
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa

from as2 import ber
from as2.cms.algorithms import (
    CIPHERS,
    PARSE_ERRORS,
    ContentCipher,
    GcmParameters,
    algorithm_encodings,
)
from as2.cms.certificates import issuer_and_serial_der
from as2.cms.envelope import Envelope, decrypt_content
from as2.cms.results import DecryptedContent
from as2.exceptions import (
    MalformedMessage,
)

# The DER of each CBC AlgorithmIdentifier up to its IV (a zero IV cut off): a byte match needs
# no asn1crypto parse.
_CBC_ALGORITHM_PREFIXES = {
    ber.encode(
        ber.SEQUENCE,
        algos.EncryptionAlgorithmId(cipher.oid_name).dump(),
        ber.encode(ber.OCTET_STRING, bytes(cipher.block_size)),
    )[: -cipher.block_size]: cipher
    for cipher in CIPHERS.values()
    if not cipher.gcm
}


_RSA_PKCS1_KEY_TRANSPORT = set(
    algorithm_encodings(cms.KeyEncryptionAlgorithmId, ["rsaes_pkcs1v15"])
)


def decrypt_for_sole_recipient(
    envelope: Envelope,
    cipher: ContentCipher,
    parameters: bytes | GcmParameters,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate | None,
) -> DecryptedContent | None:
    """decrypt() of the common shape, read with ber.py: one RSA PKCS#1 v1.5 recipient naming
    `certificate` byte for byte. None for anything else and when the key does not open it: the
    asn1crypto path then decides and words the error, exactly as for any other shape."""
    encrypted_key = _sole_recipient_key(envelope.recipient_infos, certificate)
    if encrypted_key is None:
        return None
    try:
        content_key = key.decrypt(encrypted_key, asym_padding.PKCS1v15())
    except PARSE_ERRORS:
        return None
    if len(content_key) != cipher.key_size:
        return None
    plaintext = decrypt_content(cipher, parameters, content_key, envelope)
    return None if plaintext is None else DecryptedContent(plaintext, cipher.name, False)


def _sole_recipient_key(
    recipient_infos: bytes, certificate: x509.Certificate | None
) -> bytes | None:
    """The encrypted key of the only KeyTransRecipientInfo, when it names `certificate` by its
    exact issuer and serial bytes and uses RSA PKCS#1 v1.5; None otherwise."""
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
        return ber.contents(buf, fields[3])
    except (MalformedMessage, *PARSE_ERRORS):
        return None


def cbc_by_prefix(algorithm_der: bytes) -> tuple[ContentCipher, bytes] | None:
    """The CBC cipher and IV of a content-encryption AlgorithmIdentifier in its usual DER."""
    for prefix, cipher in _CBC_ALGORITHM_PREFIXES.items():
        iv = algorithm_der[len(prefix) :]
        if algorithm_der.startswith(prefix) and len(iv) == cipher.block_size:
            return cipher, iv
    return None
