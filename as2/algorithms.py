"""The engine's choices as values: digests, content ciphers, signature padding, key transport.

Enums whose values are the names a partnership stores (``"sha256"``, ``"aes256"``), so
``Digest.from_name("SHA-256")`` reads any spelling a person or a peer writes, and
``Digest.SHA256 == "sha256"``. Paddings are small frozen values, as in pyca/cryptography.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes

from as2.exceptions import UnsupportedAlgorithm


class Digest(enum.StrEnum):
    """A digest algorithm for signatures and MICs (MD5 is read, never written)."""

    MD5 = "md5"
    SHA1 = "sha1"
    SHA224 = "sha224"
    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"

    @classmethod
    def from_name(cls, name: str) -> Digest:
        """The digest a name means: ``SHA-256``, ``sha256``, ``sha_256``, ``SHA1``, ``md5``..."""
        canonical = name.strip().lower().replace("-", "").replace("_", "")
        try:
            return cls(canonical)
        except ValueError:
            raise UnsupportedAlgorithm(f"The digest algorithm {name!r} is not supported.") from None

    @property
    def micalg(self) -> str:
        """The micalg / Received-Content-MIC spelling: ``sha1``, ``sha-256``, ``md5``."""
        if self in (Digest.SHA1, Digest.MD5):
            return self.value
        return self.value.replace("sha", "sha-", 1)

    @property
    def can_sign(self) -> bool:
        """Whether we write signatures with it (MD5 is accepted on incoming ones only)."""
        return self is not Digest.MD5

    def hash_algorithm(self) -> hashes.HashAlgorithm:
        """The pyca/cryptography hash."""
        return _HASHES[self]()


_HASHES: dict[Digest, type[hashes.HashAlgorithm]] = {
    Digest.MD5: hashes.MD5,
    Digest.SHA1: hashes.SHA1,
    Digest.SHA224: hashes.SHA224,
    Digest.SHA256: hashes.SHA256,
    Digest.SHA384: hashes.SHA384,
    Digest.SHA512: hashes.SHA512,
}


class ContentCipher(enum.StrEnum):
    """A content-encryption algorithm."""

    TRIPLE_DES = "3des"
    AES128_CBC = "aes128"
    AES192_CBC = "aes192"
    AES256_CBC = "aes256"
    AES128_GCM = "aes128-gcm"
    AES192_GCM = "aes192-gcm"
    AES256_GCM = "aes256-gcm"

    @classmethod
    def from_name(cls, name: str) -> ContentCipher:
        """The cipher a name means: ``aes256``, ``AES-256-CBC``, ``des-ede3-cbc``, ``3des``,
        ``aes_128_gcm``..."""
        spelling = name.strip().lower().replace("_", "-")
        gcm = spelling.endswith("-gcm")
        base = spelling.removesuffix("-gcm").removesuffix("-cbc").replace("aes-", "aes")
        if base in ("des-ede3", "tripledes", "tripledes-192", "3des") and not gcm:
            return cls.TRIPLE_DES
        try:
            return cls(f"{base}-gcm" if gcm else base)
        except ValueError:
            raise UnsupportedAlgorithm(
                f"The encryption algorithm {name!r} is not supported."
            ) from None

    @property
    def gcm(self) -> bool:
        """Whether this is AES-GCM (authenticated; RFC 5084)."""
        return self.value.endswith("-gcm")

    @property
    def key_size(self) -> int:
        """The content key's size in bytes."""
        return 24 if self is ContentCipher.TRIPLE_DES else int(self.value[3:6]) // 8

    @property
    def block_size(self) -> int:
        """The cipher's block size in bytes."""
        return 8 if self is ContentCipher.TRIPLE_DES else 16


@dataclass(frozen=True, slots=True)
class Pkcs1v15:
    """RSA PKCS#1 v1.5: as a signature padding, or as key transport (rsaEncryption)."""


@dataclass(frozen=True, slots=True)
class Pss:
    """RSASSA-PSS signatures: MGF1 and a salt as long as the signature's digest (RFC 4055)."""


OAEP_DIGESTS = (Digest.SHA1, Digest.SHA256, Digest.SHA384, Digest.SHA512)


@dataclass(frozen=True, slots=True)
class Oaep:
    """RSAES-OAEP key transport with ``digest`` for the hash and MGF1 (RFC 4055)."""

    digest: Digest = Digest.SHA256  # we encrypt with one of OAEP_DIGESTS; decrypt any


SignaturePadding = Pkcs1v15 | Pss
KeyTransport = Pkcs1v15 | Oaep
