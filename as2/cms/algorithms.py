"""Algorithm names, digests, content ciphers and RSA paddings shared by every CMS shape."""

from collections.abc import Iterable
from dataclasses import dataclass

from asn1crypto import core
from cryptography.exceptions import UnsupportedAlgorithm as UnsupportedKeyType
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.ciphers import algorithms

from as2 import ber
from as2.exceptions import (
    UnsupportedAlgorithm,
)

SIGN_ALGORITHMS = ("sha1", "sha224", "sha256", "sha384", "sha512")


ENCRYPT_ALGORITHMS = ("3des", "aes128", "aes192", "aes256", "aes128-gcm", "aes256-gcm")


HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "md5": hashes.MD5,
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


# asn1crypto parses lazily: any of these can surface from deep inside a hostile structure;
# cryptography raises its UnsupportedAlgorithm for an embedded certificate with a mangled key.
PARSE_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
    AttributeError,
    UnsupportedKeyType,
)


@dataclass(frozen=True)
class ContentCipher:
    """A content-encryption algorithm: our name, asn1crypto's OID name, sizes in bytes."""

    name: str
    oid_name: str
    key_size: int
    block_size: int
    gcm: bool

    def algorithm(self, key: bytes) -> algorithms.AES | TripleDES:
        """The cryptography cipher algorithm for `key`."""
        return TripleDES(key) if self.name == "3des" else algorithms.AES(key)


CIPHERS = {
    cipher.name: cipher
    for cipher in (
        ContentCipher("3des", "tripledes_3key", 24, 8, gcm=False),
        ContentCipher("aes128", "aes128_cbc", 16, 16, gcm=False),
        ContentCipher("aes192", "aes192_cbc", 24, 16, gcm=False),
        ContentCipher("aes256", "aes256_cbc", 32, 16, gcm=False),
        ContentCipher("aes128-gcm", "aes128_gcm", 16, 16, gcm=True),
        ContentCipher("aes192-gcm", "aes192_gcm", 24, 16, gcm=True),
        ContentCipher("aes256-gcm", "aes256_gcm", 32, 16, gcm=True),
    )
}


CIPHERS_BY_OID = {cipher.oid_name: cipher for cipher in CIPHERS.values()}


GCM_NONCE_SIZE = 12


GCM_TAG_SIZE = 16


class GcmParameters(core.Sequence):
    """GCMParameters of RFC 5084: the nonce and the tag length."""

    _fields = [("aes_nonce", core.OctetString), ("aes_icvlen", core.Integer, {"default": 12})]


def normalise_digest_name(name: str) -> str:
    """Map "SHA-256", "sha256", "sha-1", "SHA1", "md5"... to our canonical digest name."""
    canonical = name.strip().lower().replace("-", "").replace("_", "")
    if canonical not in HASHES:
        raise UnsupportedAlgorithm(f"The digest algorithm {name!r} is not supported.")
    return canonical


def normalise_encryption_name(name: str) -> str:
    """Map "AES-256-CBC", "aes_256_cbc", "des-ede3-cbc", "tripledes_192_cbc"... to our names."""
    spelling = name.strip().lower().replace("_", "-")
    gcm = spelling.endswith("-gcm")
    base = spelling.removesuffix("-gcm").removesuffix("-cbc").replace("aes-", "aes")
    if base in ("des-ede3", "tripledes", "tripledes-192", "3des") and not gcm:
        return "3des"
    canonical = f"{base}-gcm" if gcm else base
    if canonical not in CIPHERS:
        raise UnsupportedAlgorithm(f"The encryption algorithm {name!r} is not supported.")
    return canonical


def digest(data: bytes, algorithm: str) -> bytes:
    """Hash `data` with the named digest algorithm."""
    hasher = hashes.Hash(HASHES[normalise_digest_name(algorithm)]())
    hasher.update(data)
    return hasher.finalize()


def pss_padding(hash_algorithm: hashes.HashAlgorithm, salt_length: int) -> asym_padding.PSS:
    """RSASSA-PSS padding with MGF1 over the same hash."""
    return asym_padding.PSS(mgf=asym_padding.MGF1(hash_algorithm), salt_length=salt_length)


def digest_name_of(oid_name: str) -> str:
    """Our digest name for an asn1crypto digest OID name (also tolerates "sha256_rsa")."""
    name = oid_name.removesuffix("_rsa")
    if name not in HASHES:
        raise UnsupportedAlgorithm(f"The signature uses the unsupported digest {oid_name}.")
    return name


def oaep_padding(
    hash_algorithm: hashes.HashAlgorithm, mgf_hash: hashes.HashAlgorithm
) -> asym_padding.OAEP:
    """RSAES-OAEP padding with an empty label."""
    return asym_padding.OAEP(mgf=asym_padding.MGF1(mgf_hash), algorithm=hash_algorithm, label=None)


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
