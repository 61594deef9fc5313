"""EnvelopedData and AuthEnvelopedData: encrypt for a certificate, decrypt with our key.

``decrypt`` tries ``enveloped_fast`` first; the asn1crypto reader here decides every other shape
and words every error.
"""

import os
from collections.abc import Iterator
from functools import lru_cache

from asn1crypto import algos, cms, core
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from as2 import ber
from as2.cms import enveloped_fast
from as2.cms.algorithms import (
    CIPHERS,
    CIPHERS_BY_OID,
    ENCRYPT_ALGORITHMS,
    GCM_NONCE_SIZE,
    GCM_TAG_SIZE,
    HASHES,
    PARSE_ERRORS,
    ContentCipher,
    GcmParameters,
    digest_name_of,
    normalise_encryption_name,
    oaep_padding,
)
from as2.cms.certificates import identifies, issuer_and_serial_der
from as2.cms.content_info import CONTENT_TYPES_BY_DER, DATA_OID, content_info_der, read_content_info
from as2.cms.descriptions import describe, describe_sid
from as2.cms.envelope import decrypt_content, read_envelope
from as2.cms.results import DecryptedContent
from as2.exceptions import (
    As2Error,
    DecryptionFailed,
    MalformedMessage,
    UnsupportedAlgorithm,
)


def encrypt(
    data: bytes,
    *,
    certificate: x509.Certificate,
    algorithm: str = "aes256",
    oaep: bool = False,
) -> bytes:
    """EnvelopedData (CBC) or AuthEnvelopedData (GCM) for `certificate`'s key, DER encoded."""
    name = normalise_encryption_name(algorithm)
    if name not in ENCRYPT_ALGORITHMS:
        raise UnsupportedAlgorithm(f"Encrypting with {algorithm} is not supported.")
    cipher = CIPHERS[name]
    content_key = os.urandom(cipher.key_size)
    recipients = _recipient_infos(certificate, content_key, oaep)
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
    encryptor = Cipher(cipher.algorithm(key), modes.CBC(iv)).encryptor()
    pad = cipher.block_size - len(data) % cipher.block_size
    # Padding the small tail separately avoids copying the whole payload to pad it.
    ciphertext = [
        encryptor.update(data),
        encryptor.update(bytes([pad]) * pad) + encryptor.finalize(),
    ]
    algorithm_der = algos.EncryptionAlgorithm(
        {"algorithm": cipher.oid_name, "parameters": iv}
    ).dump()
    return algorithm_der, ciphertext


def _gcm_encrypt(
    cipher: ContentCipher, key: bytes, data: bytes
) -> tuple[bytes, list[bytes], bytes]:
    """AES-GCM per RFC 5084 (12-byte nonce, 16-byte tag); returns algorithm, ciphertext, tag."""
    nonce = os.urandom(GCM_NONCE_SIZE)
    encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
    ciphertext = [encryptor.update(data), encryptor.finalize()]
    parameters = GcmParameters({"aes_nonce": nonce, "aes_icvlen": GCM_TAG_SIZE})
    algorithm_der = algos.EncryptionAlgorithm(
        {"algorithm": cipher.oid_name, "parameters": parameters}
    ).dump()
    return algorithm_der, ciphertext, encryptor.tag


def _recipient_infos(certificate: x509.Certificate, content_key: bytes, oaep: bool) -> bytes:
    """A RecipientInfos SET with one KeyTransRecipientInfo (issuer and serial) for `certificate`."""
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise UnsupportedAlgorithm("Only RSA certificates can receive encrypted AS2 messages.")
    scheme = oaep_padding(hashes.SHA256(), hashes.SHA256()) if oaep else asym_padding.PKCS1v15()
    recipient = ber.encode(
        ber.SEQUENCE,
        b"\x02\x01\x00",
        issuer_and_serial_der(certificate),
        _key_transport_der(oaep),
        ber.encode(ber.OCTET_STRING, public_key.encrypt(content_key, scheme)),
    )
    return ber.encode(ber.SET, recipient)


@lru_cache(maxsize=2)
def _key_transport_der(oaep: bool) -> bytes:
    """rsaEncryption with NULL parameters, or RSAES-OAEP with SHA-256 and MGF1-SHA-256."""
    if not oaep:
        return cms.KeyEncryptionAlgorithm(
            {"algorithm": "rsaes_pkcs1v15", "parameters": core.Null()}
        ).dump()
    # RFC 4055 parameters; the digests' own parameters absent, as openssl writes them.
    parameters = algos.RSAESOAEPParams(
        {
            "hash_algorithm": {"algorithm": "sha256"},
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": "sha256"}},
        }
    )
    return cms.KeyEncryptionAlgorithm({"algorithm": "rsaes_oaep", "parameters": parameters}).dump()


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
    try:
        cipher, parameters = _content_cipher(envelope.algorithm)
        opened = enveloped_fast.decrypt_for_sole_recipient(
            envelope, cipher, parameters, key, certificate
        )
        if opened is not None:
            return opened
        recipients = _key_trans_recipients(envelope.recipient_infos)
        for content_key, oaep in _content_keys(recipients, key, certificate, cipher.key_size):
            plaintext = decrypt_content(cipher, parameters, content_key, envelope)
            if plaintext is not None:
                return DecryptedContent(plaintext, cipher.name, oaep)
        failure = _decryption_failure(recipients, certificate)
    except PARSE_ERRORS as error:
        raise MalformedMessage(f"The encrypted message is not readable CMS: {error}") from error
    raise DecryptionFailed(failure)


def _content_cipher(algorithm_der: bytes) -> tuple[ContentCipher, bytes | GcmParameters]:
    """The content cipher and its parameters (IV, or GCM nonce and tag length)."""
    common = enveloped_fast.cbc_by_prefix(algorithm_der)
    if common is not None:
        return common
    algorithm = algos.EncryptionAlgorithm.load(algorithm_der)
    oid_name = algorithm["algorithm"].native
    cipher = CIPHERS_BY_OID.get(oid_name)
    if cipher is None:
        raise UnsupportedAlgorithm(f"The message is encrypted with {oid_name}, not supported.")
    if cipher.gcm:
        return cipher, GcmParameters.load(algorithm["parameters"].dump())
    iv = algorithm["parameters"].native
    if not isinstance(iv, bytes) or len(iv) != cipher.block_size:
        raise MalformedMessage(f"The {cipher.name} initialisation vector is malformed.")
    return cipher, iv


def _key_trans_recipients(recipient_infos_der: bytes) -> list[cms.KeyTransRecipientInfo]:
    """The RSA key-transport recipients; other kinds (key agreement, passwords) are skipped."""
    infos = cms.RecipientInfos.load(recipient_infos_der)
    return [info.chosen for info in infos if info.name == "ktri"]


def _content_keys(
    recipients: list[cms.KeyTransRecipientInfo],
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate | None,
    key_size: int,
) -> Iterator[tuple[bytes, bool]]:
    """Candidate content keys, from the recipients that name us first, then all the others."""
    for recipient in sorted(recipients, key=lambda r: not _names_us(r, key, certificate)):
        try:
            scheme, oaep = _key_transport(recipient["key_encryption_algorithm"])
            content_key = key.decrypt(recipient["encrypted_key"].native, scheme)
        except (ValueError, As2Error, *PARSE_ERRORS):
            continue
        # Implicit rejection (OpenSSL 3.2+) returns random bytes for a wrong key: check the size.
        if len(content_key) == key_size:
            yield content_key, oaep


def _names_us(
    recipient: cms.KeyTransRecipientInfo,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate | None,
) -> bool:
    """Whether a recipient identifier names our certificate (or our key, by SKI)."""
    rid = recipient["rid"]
    if certificate is not None:
        return identifies(rid, certificate)
    if rid.name == "subject_key_identifier":
        public_key = key.public_key()
        return rid.chosen.native == x509.SubjectKeyIdentifier.from_public_key(public_key).digest
    return False


def _key_transport(
    algorithm: cms.KeyEncryptionAlgorithm,
) -> tuple[asym_padding.AsymmetricPadding, bool]:
    """RSA padding for a KeyTransRecipientInfo: PKCS#1 v1.5 or OAEP with its parameters."""
    name = algorithm["algorithm"].native
    if name == "rsaes_pkcs1v15":
        return asym_padding.PKCS1v15(), False
    if name != "rsaes_oaep":
        raise UnsupportedAlgorithm(f"The key transport algorithm {name} is not supported.")
    parameters = algorithm["parameters"]
    hash_algorithm = HASHES[digest_name_of(parameters["hash_algorithm"]["algorithm"].native)]()
    mgf_hash = HASHES[
        digest_name_of(parameters["mask_gen_algorithm"]["parameters"]["algorithm"].native)
    ]()
    label = parameters["p_source_algorithm"]["parameters"].native or None
    scheme = asym_padding.OAEP(
        mgf=asym_padding.MGF1(mgf_hash), algorithm=hash_algorithm, label=label
    )
    return scheme, True


def _decryption_failure(
    recipients: list[cms.KeyTransRecipientInfo], certificate: x509.Certificate | None
) -> str:
    """One sentence for every way decryption can fail (no padding-oracle detail leaks out)."""
    if not recipients:
        return "The message is not encrypted for an RSA key, so our private key cannot open it."
    named = "; ".join(describe_sid(recipient["rid"]) for recipient in recipients)
    ours = f" Our certificate is {describe(certificate)}." if certificate is not None else ""
    return (
        "The message could not be decrypted with our private key: it is encrypted for "
        f"{named}.{ours} The partner may be using an old or wrong certificate of ours."
    )
