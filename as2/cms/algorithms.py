"""Algorithm identifiers as asn1crypto names them, digests, and the errors reading can raise."""

from collections.abc import Iterable
from typing import Any

from asn1crypto import core
from cryptography.exceptions import UnsupportedAlgorithm as UnsupportedKeyType
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import algorithms

from as2 import ber
from as2.algorithms import ContentCipher, Digest
from as2.exceptions import UnsupportedAlgorithm

SIGN_ALGORITHMS = tuple(digest for digest in Digest if digest.can_sign)
ENCRYPT_ALGORITHMS = (
    ContentCipher.TRIPLE_DES,
    ContentCipher.AES128_CBC,
    ContentCipher.AES192_CBC,
    ContentCipher.AES256_CBC,
    ContentCipher.AES128_GCM,
    ContentCipher.AES256_GCM,
)

# asn1crypto parses lazily: any of these can surface from deep inside a hostile structure;
# cryptography raises its UnsupportedAlgorithm for an embedded certificate with a mangled key.
# Caught around reading input only, never around our own checks.
PARSE_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
    AttributeError,
    UnsupportedKeyType,
)

CIPHER_OIDS = {
    ContentCipher.TRIPLE_DES: "tripledes_3key",
    ContentCipher.AES128_CBC: "aes128_cbc",
    ContentCipher.AES192_CBC: "aes192_cbc",
    ContentCipher.AES256_CBC: "aes256_cbc",
    ContentCipher.AES128_GCM: "aes128_gcm",
    ContentCipher.AES192_GCM: "aes192_gcm",
    ContentCipher.AES256_GCM: "aes256_gcm",
}
CIPHERS_BY_OID = {oid_name: cipher for cipher, oid_name in CIPHER_OIDS.items()}
GCM_NONCE_SIZE = 12
GCM_TAG_SIZE = 16


def cipher_algorithm(cipher: ContentCipher, key: bytes) -> algorithms.AES | TripleDES:
    """The pyca/cryptography block cipher of `cipher` with `key`."""
    return TripleDES(key) if cipher is ContentCipher.TRIPLE_DES else algorithms.AES(key)


def digest(data: bytes | memoryview, algorithm: Digest) -> bytes:
    """Hash `data`."""
    hasher = hashes.Hash(algorithm.hash_algorithm())
    hasher.update(data)
    return hasher.finalize()


def digest_of_oid(oid_name: str) -> Digest:
    """The digest an asn1crypto digest OID name means (also tolerates "sha256_rsa")."""
    try:
        return Digest(oid_name.removesuffix("_rsa"))
    except ValueError:
        raise UnsupportedAlgorithm(f"The message uses the unsupported digest {oid_name}.") from None


def der_of(value: Any) -> bytes:
    """The DER of an asn1crypto value (asn1crypto publishes no type information)."""
    der = value.dump()
    if not isinstance(der, bytes):
        raise TypeError(f"asn1crypto dumped {type(der).__name__}, not bytes")
    return der


def algorithm_encodings(
    oid_spec: type[core.ObjectIdentifier], names: Iterable[str]
) -> dict[bytes, str]:
    """asn1crypto name of each AlgorithmIdentifier DER, parameters absent or NULL."""
    encodings = {}
    for name in names:
        oid = oid_spec(name).dump()
        encodings[ber.encode(ber.SEQUENCE, oid)] = name
        encodings[ber.encode(ber.SEQUENCE, oid, b"\x05\x00")] = name
    return encodings
