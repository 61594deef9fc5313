"""Password-based decryption of PKCS#12 content, so a keystore can be inspected before OpenSSL.

Pure functions over bytes (no Django, no I/O). keystore.py decrypts a keystore's encrypted
SafeContents and shrouded key bags here to read, *before* OpenSSL derives or loads any key, the
iteration counts of the key bags hidden inside and the size of each private key. Covered: PBES2 (PBKDF2 with AES or 3DES, RFC 8018), the
PKCS#12 PBE schemes (SHA-1 with 3DES or RC2, RFC 7292 appendix C) and PBES1 (PBKDF1). RC2 is
written out here because cryptography's RC2 accepts only 128-bit keys, while OpenSSL 1.x and
`openssl pkcs12 -legacy` encrypt certificates with 40-bit RC2.
"""

import hashlib
from collections.abc import Callable

from asn1crypto import algos
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, CipherAlgorithm, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC


class CannotDecrypt(ValueError):
    """The content does not decrypt with this password, or uses a scheme we do not know."""


def decrypt(algorithm: algos.EncryptionAlgorithm, ciphertext: bytes, password: str) -> bytes:
    """The plaintext of PKCS#12 `ciphertext` encrypted under `algorithm` with `password`."""
    try:
        kdf = algorithm.kdf
        cipher = algorithm.encryption_cipher
        salt, iterations = algorithm.kdf_salt, algorithm.kdf_iterations
        key_length = algorithm.key_length
        if kdf == "pbkdf2":
            key = PBKDF2HMAC(
                algorithm=_hash(algorithm.kdf_hmac),
                length=key_length,
                salt=salt,
                iterations=iterations,
            ).derive(password.encode())
            iv = algorithm.encryption_iv
        elif kdf == "pkcs12_kdf":
            digest = algorithm.kdf_hmac
            block = algorithm.encryption_block_size
            key = pkcs12_kdf(
                password=password,
                salt=salt,
                iterations=iterations,
                purpose=1,
                length=key_length,
                digest=digest,
            )
            iv = pkcs12_kdf(
                password=password,
                salt=salt,
                iterations=iterations,
                purpose=2,
                length=block,
                digest=digest,
            )
        elif kdf == "pbkdf1":
            derived = _pbkdf1(algorithm.kdf_hmac, password.encode(), salt, iterations)
            key, iv = derived[:8], derived[8:16]
        else:
            raise CannotDecrypt(f"unknown key derivation {kdf}")
        plaintext = _cbc_decrypt(cipher, key, iv, ciphertext)
    except CannotDecrypt:
        raise
    except (ValueError, KeyError, TypeError, NotImplementedError) as error:
        raise CannotDecrypt(str(error)) from None
    return _unpad(plaintext)


def pkcs12_kdf(
    *, password: str, salt: bytes, iterations: int, purpose: int, length: int, digest: str
) -> bytes:
    """RFC 7292 appendix B.2 key derivation; the password as a NUL-terminated BMPString."""
    new = _hash_function(digest)
    block = new(b"").block_size
    secret = password.encode("utf-16-be") + b"\0\0"
    i = bytearray(_repeat(salt, block) + _repeat(secret, block))
    derived = b""
    while len(derived) < length:
        a = bytes([purpose]) * block + bytes(i)
        for _ in range(iterations):
            a = new(a).digest()
        derived += a
        b = int.from_bytes((a * (block // len(a) + 1))[:block]) + 1
        for start in range(0, len(i), block):
            total = (int.from_bytes(i[start : start + block]) + b) % (1 << (8 * block))
            i[start : start + block] = total.to_bytes(block)
    return derived[:length]


def _repeat(value: bytes, block: int) -> bytes:
    """`value` repeated to fill a whole number of blocks (empty stays empty)."""
    size = block * -(-len(value) // block)
    return (value * (size // len(value) + 1))[:size] if value else b""


def _hash_function(digest: str) -> Callable[[bytes], "hashlib._Hash"]:
    """hashlib's constructor for `digest` (the named one is about a third faster than new())."""
    named = getattr(hashlib, digest, None)
    return named if callable(named) else lambda data: hashlib.new(digest, data)


def _pbkdf1(digest: str, password: bytes, salt: bytes, iterations: int) -> bytes:
    new = _hash_function(digest)
    derived = new(password + salt).digest()
    for _ in range(iterations - 1):
        derived = new(derived).digest()
    return derived


_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def _hash(name: str) -> hashes.HashAlgorithm:
    if name not in _HASHES:
        raise CannotDecrypt(f"unknown digest {name}")
    return _HASHES[name]()


def _cbc_decrypt(cipher: str, key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    if cipher == "rc2":
        return _rc2_cbc_decrypt(key, iv, ciphertext)
    algorithm: CipherAlgorithm
    if cipher == "aes":
        algorithm = algorithms.AES(key)
    elif cipher in ("tripledes", "des"):
        algorithm = TripleDES(
            key * 3 if len(key) == 8 else key + key[:8] if len(key) == 16 else key
        )
    else:
        raise CannotDecrypt(f"unknown cipher {cipher}")
    decryptor = Cipher(algorithm, modes.CBC(iv)).decryptor()
    return decryptor.update(ciphertext) + decryptor.finalize()


def _unpad(plaintext: bytes) -> bytes:
    """Strip PKCS#7 padding of 8- or 16-byte blocks; wrong padding means a wrong password."""
    count = plaintext[-1] if plaintext else 0
    if (
        not 1 <= count <= 16
        or count > len(plaintext)
        or plaintext[-count:] != bytes([count]) * count
    ):
        raise CannotDecrypt("bad padding: wrong password")
    return plaintext[:-count]


# -- RC2 (RFC 2268), decryption only -----------------------------------------------------------

# PITABLE of RFC 2268 section 2: a permutation of 0..255 from the digits of pi.
_PITABLE = bytes.fromhex(
    "d978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2"
    "179a59f587b34f1361456d8d09817d32bd8f40eb86b77b0bf09521225c6b4e82"
    "54d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb626"
    "6fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed7"
    "08e8eade8052eef784aa72ac354d6a2a961ad2715a1549744b9fd05e0418a4ec"
    "c2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731"
    "2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a9"
    "0d38341bab33ffb0bb480c5fb9b1cd2ec5f3db47e5a59c770aa62068fe7fc1ad"
)


def _rc2_key_schedule(key: bytes) -> list[int]:
    """The 64 16-bit words K[0..63] for `key`, with effective key bits = 8 × its length."""
    length, bits = len(key), 8 * len(key)
    expanded = bytearray(128)
    expanded[:length] = key
    for i in range(length, 128):
        expanded[i] = _PITABLE[(expanded[i - 1] + expanded[i - length]) & 0xFF]
    t8 = (bits + 7) // 8
    mask = 0xFF >> (8 * t8 - bits)
    expanded[128 - t8] = _PITABLE[expanded[128 - t8] & mask]
    for i in range(127 - t8, -1, -1):
        expanded[i] = _PITABLE[expanded[i + 1] ^ expanded[i + t8]]
    return [expanded[2 * i] | expanded[2 * i + 1] << 8 for i in range(64)]


def _rc2_decrypt_block(words: list[int], block: bytes) -> bytes:
    r = [block[2 * i] | block[2 * i + 1] << 8 for i in range(4)]
    j = 63
    for rounds, mash in ((5, True), (6, True), (5, False)):
        for _ in range(rounds):  # r-mixing rounds, undone in reverse order (RFC 2268 §4.1)
            for i, shift in ((3, 5), (2, 3), (1, 2), (0, 1)):
                value = ((r[i] >> shift) | (r[i] << (16 - shift))) & 0xFFFF
                r[i] = (value - words[j] - (r[i - 1] & r[i - 2]) - (~r[i - 1] & r[i - 3])) & 0xFFFF
                j -= 1
        if mash:  # an r-mashing round, undone
            for i in (3, 2, 1, 0):
                r[i] = (r[i] - words[r[i - 1] & 63]) & 0xFFFF
    return b"".join(value.to_bytes(2, "little") for value in r)


def _rc2_cbc_decrypt(key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    if not key or len(key) > 128 or len(iv) != 8 or len(ciphertext) % 8:
        raise CannotDecrypt("not RC2-CBC data")
    words = _rc2_key_schedule(key)
    plain, previous = bytearray(), iv
    for start in range(0, len(ciphertext), 8):
        block = ciphertext[start : start + 8]
        plain += bytes(
            a ^ b for a, b in zip(_rc2_decrypt_block(words, block), previous, strict=True)
        )
        previous = block
    return bytes(plain)
