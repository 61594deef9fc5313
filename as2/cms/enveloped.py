"""EnvelopedData and AuthEnvelopedData: encrypt for a certificate, decrypt with our key.

``decrypt`` reads the envelope with ``enveloped_fast`` when it has the common shape and with
``enveloped_read`` (asn1crypto) otherwise, then opens it with the same code either way.
"""

import os
from collections.abc import Iterator
from functools import lru_cache

from asn1crypto import algos, cms, core
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm as UnsupportedKeyType
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from as2 import ber
from as2.algorithms import OAEP_DIGESTS, ContentCipher, KeyTransport, Oaep, Pkcs1v15
from as2.cms import enveloped_fast
from as2.cms.algorithms import (
    CIPHER_OIDS,
    ENCRYPT_ALGORITHMS,
    GCM_NONCE_SIZE,
    GCM_TAG_SIZE,
    cipher_algorithm,
    der_of,
    digest_of_oid,
)
from as2.cms.certificates import identifies, issuer_and_serial_der
from as2.cms.content_info import CONTENT_TYPES_BY_DER, DATA_OID, content_info_der, read_content_info
from as2.cms.descriptions import describe
from as2.cms.envelope import ContentEncryption, RecipientView, decrypt_content, read_envelope
from as2.cms.enveloped_read import read_content_encryption, read_recipients
from as2.cms.results import DecryptedContent
from as2.credentials import Recipient
from as2.exceptions import As2Error, DecryptionFailed, MalformedMessage, UnsupportedAlgorithm

# --- Encrypting ------------------------------------------------------------------------------


def encrypt(data: bytes, recipient: Recipient) -> bytes:
    """EnvelopedData (CBC) or AuthEnvelopedData (GCM) for the recipient's key, DER encoded."""
    cipher = recipient.cipher
    if cipher not in ENCRYPT_ALGORITHMS:
        raise UnsupportedAlgorithm(f"Encrypting with {cipher} is not supported.")
    content_key = os.urandom(cipher.key_size)
    recipients = _recipient_infos(recipient.certificate, content_key, recipient.key_transport)
    if cipher.gcm:
        algorithm_der, ciphertext, tag = _gcm_encrypt(cipher, content_key, data)
        body = [b"\x02\x01\x00", recipients, *_encrypted_content_info(algorithm_der, ciphertext)]
        body += ber.wrap(ber.OCTET_STRING, [tag])
        content_type = "authenticated_enveloped_data"
    else:
        algorithm_der, ciphertext = _cbc_encrypt(cipher, content_key, data)
        body = [b"\x02\x01\x00", recipients, *_encrypted_content_info(algorithm_der, ciphertext)]
        content_type = "enveloped_data"
    # Spliced by hand so a 20 MB ciphertext is copied once, into the result.
    return content_info_der(content_type, ber.wrap(ber.SEQUENCE, body))


def _encrypted_content_info(algorithm_der: bytes, ciphertext: list[bytes]) -> list[bytes]:
    """EncryptedContentInfo parts: data type, algorithm, [0] IMPLICIT encrypted content."""
    encrypted = ber.wrap(ber.CONTEXT_0_PRIMITIVE, ciphertext)
    return ber.wrap(ber.SEQUENCE, [DATA_OID, algorithm_der, *encrypted])


def _cbc_encrypt(cipher: ContentCipher, key: bytes, data: bytes) -> tuple[bytes, list[bytes]]:
    """PKCS#7-padded CBC encryption; returns the AlgorithmIdentifier and ciphertext pieces."""
    iv = os.urandom(cipher.block_size)
    encryptor = Cipher(cipher_algorithm(cipher, key), modes.CBC(iv)).encryptor()
    pad = cipher.block_size - len(data) % cipher.block_size
    # Padding the small tail separately avoids copying the whole payload to pad it.
    ciphertext = [
        encryptor.update(data),
        encryptor.update(bytes([pad]) * pad) + encryptor.finalize(),
    ]
    algorithm_der = der_of(
        algos.EncryptionAlgorithm({"algorithm": CIPHER_OIDS[cipher], "parameters": iv})
    )
    return algorithm_der, ciphertext


def _gcm_encrypt(
    cipher: ContentCipher, key: bytes, data: bytes
) -> tuple[bytes, list[bytes], bytes]:
    """AES-GCM per RFC 5084 (12-byte nonce, 16-byte tag); returns algorithm, ciphertext, tag."""
    nonce = os.urandom(GCM_NONCE_SIZE)
    encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
    ciphertext = [encryptor.update(data), encryptor.finalize()]
    # GCMParameters (RFC 5084): the nonce, and the tag length (12 unless said otherwise).
    tag_length = ber.encode(ber.INTEGER, GCM_TAG_SIZE.to_bytes(1, "big"))
    parameters = ber.encode(ber.SEQUENCE, ber.encode(ber.OCTET_STRING, nonce), tag_length)
    oid = der_of(algos.EncryptionAlgorithmId(CIPHER_OIDS[cipher]))
    return ber.encode(ber.SEQUENCE, oid, parameters), ciphertext, encryptor.tag


def _recipient_infos(
    certificate: x509.Certificate, content_key: bytes, key_transport: KeyTransport
) -> bytes:
    """A RecipientInfos SET with one KeyTransRecipientInfo (issuer and serial) for `certificate`."""
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise UnsupportedAlgorithm("Only RSA certificates can receive encrypted AS2 messages.")
    if isinstance(key_transport, Oaep) and key_transport.digest not in OAEP_DIGESTS:
        raise UnsupportedAlgorithm(
            f"RSAES-OAEP with {key_transport.digest.micalg} is not offered; "
            "use SHA-1, SHA-256, SHA-384 or SHA-512."
        )
    recipient = ber.encode(
        ber.SEQUENCE,
        b"\x02\x01\x00",
        issuer_and_serial_der(certificate),
        _key_transport_der(key_transport),
        ber.encode(ber.OCTET_STRING, public_key.encrypt(content_key, _padding(key_transport))),
    )
    return ber.encode(ber.SET, recipient)


def _padding(key_transport: KeyTransport) -> asym_padding.AsymmetricPadding:
    if isinstance(key_transport, Oaep):
        hash_algorithm = key_transport.digest.hash_algorithm()
        return asym_padding.OAEP(asym_padding.MGF1(hash_algorithm), hash_algorithm, None)
    return asym_padding.PKCS1v15()


@lru_cache(maxsize=8)
def _key_transport_der(key_transport: KeyTransport) -> bytes:
    """rsaEncryption with NULL parameters, or RSAES-OAEP with its digest for hash and MGF1."""
    if not isinstance(key_transport, Oaep):
        return der_of(
            cms.KeyEncryptionAlgorithm({"algorithm": "rsaes_pkcs1v15", "parameters": core.Null()})
        )
    # RFC 4055 parameters; the digests' own parameters absent, as openssl writes them.
    name = key_transport.digest.value
    parameters = algos.RSAESOAEPParams(
        {
            "hash_algorithm": {"algorithm": name},
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": name}},
        }
    )
    return der_of(cms.KeyEncryptionAlgorithm({"algorithm": "rsaes_oaep", "parameters": parameters}))


# --- Decrypting ------------------------------------------------------------------------------


def decrypt(
    data: bytes, *, key: rsa.RSAPrivateKey, certificate: x509.Certificate | None = None
) -> DecryptedContent:
    """Decrypt an EnvelopedData or AuthEnvelopedData (DER or BER) with our private key."""
    buf = memoryview(data)
    oid, content = read_content_info(buf)
    kind = CONTENT_TYPES_BY_DER.get(ber.contents(buf, oid), "an unknown type")
    if kind not in ("enveloped-data", "authenticated-enveloped-data"):
        raise MalformedMessage(f"The CMS content is {kind}, not encrypted data.")
    envelope = read_envelope(buf, content, authenticated=kind == "authenticated-enveloped-data")
    encryption = enveloped_fast.content_encryption_by_prefix(
        envelope.algorithm
    ) or read_content_encryption(envelope.algorithm)
    recipients = enveloped_fast.read_common_recipients(
        envelope.recipient_infos, certificate
    ) or read_recipients(envelope.recipient_infos)
    for content_key, key_transport in _content_keys(recipients, key, certificate, encryption):
        plaintext = decrypt_content(encryption, content_key, envelope)
        if plaintext is not None:
            return DecryptedContent(plaintext, encryption.cipher, key_transport)
    raise DecryptionFailed(_decryption_failure(recipients, certificate))


def _content_keys(
    recipients: tuple[RecipientView, ...],
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate | None,
    encryption: ContentEncryption,
) -> Iterator[tuple[bytes, KeyTransport]]:
    """Candidate content keys, from the recipients that name us first, then all the others."""
    for recipient in sorted(recipients, key=lambda r: not _names_us(r, key, certificate)):
        try:
            scheme, key_transport = _key_transport(recipient)
        except As2Error:  # an algorithm we lack: perhaps another recipient is for us
            continue
        try:
            content_key = key.decrypt(recipient.encrypted_key, scheme)
        except (ValueError, UnsupportedKeyType):  # not our key (or a hash OpenSSL refuses)
            continue
        # Implicit rejection (OpenSSL 3.2+) returns random bytes for a wrong key: check the size.
        if len(content_key) == encryption.cipher.key_size:
            yield content_key, key_transport


def _names_us(
    recipient: RecipientView, key: rsa.RSAPrivateKey, certificate: x509.Certificate | None
) -> bool:
    """Whether a recipient identifier names our certificate (or our key, by SKI)."""
    if certificate is not None:
        return identifies(recipient.identifier, certificate)
    if recipient.identifier.key_identifier is not None:
        public_key = key.public_key()
        ours = x509.SubjectKeyIdentifier.from_public_key(public_key).digest
        return recipient.identifier.key_identifier == ours
    return False


def _key_transport(recipient: RecipientView) -> tuple[asym_padding.AsymmetricPadding, KeyTransport]:
    """RSA padding for a recipient: PKCS#1 v1.5 or OAEP with its parameters."""
    if recipient.key_transport == "rsaes_pkcs1v15":
        return asym_padding.PKCS1v15(), Pkcs1v15()
    if recipient.key_transport != "rsaes_oaep" or recipient.oaep_hash is None:
        raise UnsupportedAlgorithm(
            f"The key transport algorithm {recipient.key_transport} is not supported."
        )
    digest = digest_of_oid(recipient.oaep_hash)
    mask_digest = digest_of_oid(recipient.oaep_mask_hash or "")
    scheme = asym_padding.OAEP(
        mgf=asym_padding.MGF1(mask_digest.hash_algorithm()),
        algorithm=digest.hash_algorithm(),
        label=recipient.oaep_label,
    )
    return scheme, Oaep(digest)


def _decryption_failure(
    recipients: tuple[RecipientView, ...], certificate: x509.Certificate | None
) -> str:
    """One sentence for every way decryption can fail (no padding-oracle detail leaks out)."""
    if not recipients:
        return "The message is not encrypted for an RSA key, so our private key cannot open it."
    named = "; ".join(recipient.identifier.description for recipient in recipients)
    ours = f" Our certificate is {describe(certificate)}." if certificate is not None else ""
    return (
        "The message could not be decrypted with our private key: it is encrypted for "
        f"{named}.{ours} The partner may be using an old or wrong certificate of ours."
    )
