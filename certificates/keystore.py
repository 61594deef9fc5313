"""Certificate keystores: generate, read and write X.509 certificates and PKCS#12 files.

Pure functions over bytes, like ``as2/``: no Django, no I/O. Every problem a user can cause
raises a ``KeystoreError`` subclass whose ``str()`` is a sentence for the web form; passwords
never appear in those sentences.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from asn1crypto import algos, cms, core
from asn1crypto import keys as asn1_keys
from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID

from certificates import pbe, rules

# The rules of new certificates and keystores are plain values in certificates.rules, so that
# forms and models need not load this module (cryptography, asn1crypto); named here too.
MAX_UPLOAD_BYTES = rules.MAX_UPLOAD_BYTES
KEY_SIZES = rules.KEY_SIZES
DEFAULT_KEY_SIZE = rules.DEFAULT_KEY_SIZE
DEFAULT_VALIDITY_DAYS = rules.DEFAULT_VALIDITY_DAYS
MIN_VALIDITY_DAYS = rules.MIN_VALIDITY_DAYS
MAX_VALIDITY_DAYS = rules.MAX_VALIDITY_DAYS
ALIAS_MAX_LENGTH = rules.ALIAS_MAX_LENGTH
MIN_RSA_KEY_SIZE = rules.MIN_RSA_KEY_SIZE
RSA_KEY_SIZE_FLOOR = rules.RSA_KEY_SIZE_FLOOR
# A partner's certificate comes alone or with the few issuers of its chain (real chains have
# under 10): more is not a certificate upload, and each one costs parsing and comparing.
MAX_CHAIN_CERTIFICATES = 20

# Key-derivation rounds a keystore may ask for, read before any key is derived. A crafted file
# asking 2^31-1 rounds keeps OpenSSL busy for about 190 s (~90 ns a round) whatever the password.
# What real tools write: OpenSSL 3 2,048 (MAC and PBES2); cryptography 2,048 (MAC) and 20,000
# (PBES2); keytool 10,000 (JDK 12+) and 50,000 with a 100,000-round MAC (JDK 8); Windows 2,000.
# 500,000 is five times the most any of them writes and costs OpenSSL under 50 ms (our pure-
# Python PKCS#12 KDF about 0.2 s). The total, counted per derived block (a 3DES key and its IV
# are three SHA-1 blocks), bounds a file with many key bags or SafeContents: a JDK 8 keystore
# with one key counts 400,000; 2,000,000 costs our Python inspection at most about 0.7 s.
MAX_KDF_ITERATIONS = 500_000
MAX_TOTAL_KDF_ITERATIONS = 2_000_000
# OpenSSL checks an RSA private key when it is loaded: 33 ms at 2048 bits, 0.27 s at 4096 and
# 3.7 s at 8192 (the primes are tested), so key sizes and counts are read before that. 4096 is
# the largest key we generate and what AS2 partners use at most; a keystore to import holds our
# key, and keytool's with several entries stay far under ten.
MAX_RSA_PRIVATE_KEY_SIZE = KEY_SIZES[-1]
MAX_KEY_ENTRIES = 10
_MAX_MAC_ITERATIONS = 200_000  # our pure-Python MAC check, run only to word a failure
_DATE_FORMAT = "%Y-%m-%d %H:%M UTC"
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")


class KeystoreError(ValueError):
    """A user-facing problem with a keystore or certificate; str() is a sentence for the form."""


class EmptyFile(KeystoreError):
    """The uploaded file has no content."""

    def __init__(self) -> None:
        super().__init__("The file is empty.")


class FileTooLarge(KeystoreError):
    """The uploaded file is larger than MAX_UPLOAD_BYTES."""

    def __init__(self) -> None:
        super().__init__(
            "The file is larger than 1 MB; certificates and keystores are a few kilobytes."
        )


class NotAKeystore(KeystoreError):
    """The file is not a PKCS#12 keystore, or it is damaged."""

    def __init__(self) -> None:
        super().__init__(
            "This file is not a PKCS#12 keystore (.p12 or .pfx), or it is damaged or truncated."
        )


class WrongPassword(KeystoreError):
    """The password does not open the keystore."""

    def __init__(self) -> None:
        super().__init__("The password does not open this keystore.")


class NoPrivateKey(KeystoreError):
    """The keystore holds certificates only."""

    def __init__(self, certificate_aliases: tuple[str, ...]) -> None:
        held = f" ({_quoted(certificate_aliases)})" if certificate_aliases else ""
        super().__init__(
            f"This keystore holds no private key, only certificates{held}; "
            "import a .p12 or .pfx file that contains your private key and its certificate."
        )


class AliasNotFound(KeystoreError):
    """No private key entry has the alias asked for."""

    def __init__(self, alias: str, aliases: tuple[str, ...]) -> None:
        self.aliases = aliases
        super().__init__(
            f"No private key named '{alias}' in this keystore; it has: {_quoted(aliases)}."
        )


class KeyCertificateMismatch(KeystoreError):
    """A private key has no certificate with its public key."""

    def __init__(self, alias: str) -> None:
        super().__init__(
            f"The private key '{alias}' does not match the certificate given with it; "
            "the keystore must hold the certificate issued for that key."
        )


class KeyNotReadable(KeystoreError):
    """The keystore opens but a private key in it does not."""

    def __init__(self) -> None:
        super().__init__(
            "A private key in this keystore does not open with the keystore's password "
            "(or is encrypted in a way we cannot read); export it again with one password "
            "for the keystore and its key."
        )


class UnsupportedKey(KeystoreError):
    """The key is not an RSA key, which AS2 encryption needs."""

    def __init__(self, key_type: str) -> None:
        super().__init__(
            f"The key is of type {key_type}; AS2 signing and encryption here need an RSA key."
        )


class NotACertificate(KeystoreError):
    """The file is not an X.509 certificate in PEM, DER or PKCS#7 form."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or "This file is not an X.509 certificate; upload a .cer, .crt or .pem file "
            "(PEM or DER)."
        )


class PrivateKeyUploaded(NotACertificate):
    """A private key was uploaded where a partner's public certificate belongs."""

    def __init__(self) -> None:
        super().__init__(
            "This is a private key, not a certificate — never send or upload private keys; "
            "ask your partner for their public certificate."
        )


class KeystoreUploaded(NotACertificate):
    """A PKCS#12 keystore was uploaded where a partner's public certificate belongs."""

    def __init__(self) -> None:
        super().__init__(
            "This is a PKCS#12 keystore (.p12 or .pfx), not a certificate; "
            "ask your partner for their public certificate (.cer, .crt or .pem)."
        )


class KeyTooWeak(KeystoreError):
    """An RSA key under RSA_KEY_SIZE_FLOOR bits: refused whatever the user accepts."""

    def __init__(self, whose: str, key_size: int) -> None:
        super().__init__(
            f"{whose} has a {key_size}-bit RSA key; keys under {RSA_KEY_SIZE_FLOOR} bits can be "
            f"broken and are never accepted. Use a key of {MIN_RSA_KEY_SIZE} bits or more."
        )


class TooManyCertificates(NotACertificate):
    """The upload holds more certificates than any real chain."""

    def __init__(self, count: int) -> None:
        super().__init__(
            f"This file holds {count} certificates; a partner's certificate comes alone or with "
            f"the few issuers of its chain (at most {MAX_CHAIN_CERTIFICATES}). Upload only the "
            "partner's certificate."
        )


class CertificateNotValidNow(KeystoreError):
    """The certificate is expired or not yet valid."""

    def __init__(self, info: CertificateInfo, now: datetime) -> None:
        valid = f"valid from {info.not_before:{_DATE_FORMAT}} to {info.not_after:{_DATE_FORMAT}}"
        if now < info.not_before:
            sentence = f"This certificate is not valid yet ({valid})."
        else:
            sentence = f"This certificate expired on {info.not_after:{_DATE_FORMAT}} ({valid})."
        super().__init__(f"{sentence} Ask your partner for their current certificate.")


class TooManyIterations(KeystoreError):
    """The keystore asks for absurdly many key-derivation rounds (a denial of service)."""

    def __init__(self, what: str, iterations: int) -> None:
        super().__init__(
            f"This keystore asks for {iterations:,} key-derivation rounds for {what}; tools "
            f"write 2,048 to 100,000 and we accept at most {MAX_KDF_ITERATIONS:,} "
            f"({MAX_TOTAL_KDF_ITERATIONS:,} for the whole file). Export it again with your "
            "tool's default settings."
        )


class TooManyKeys(KeystoreError):
    """The keystore holds more private keys than we open."""

    def __init__(self, count: int) -> None:
        super().__init__(
            f"This keystore holds {count} private keys; we open keystores with at most "
            f"{MAX_KEY_ENTRIES}. Export the key you use for AS2 into a keystore of its own "
            "(keytool -importkeystore -srcalias ...)."
        )


class KeyTooLarge(KeystoreError):
    """An RSA private key larger than MAX_RSA_PRIVATE_KEY_SIZE (checking it costs seconds)."""

    def __init__(self, key_size: int) -> None:
        super().__init__(
            f"A private key in this keystore is a {key_size}-bit RSA key; we accept at most "
            f"{MAX_RSA_PRIVATE_KEY_SIZE} bits, what AS2 partners use. Use a key of 2048 to "
            f"{MAX_RSA_PRIVATE_KEY_SIZE} bits."
        )


class UnsupportedProtection(KeystoreError):
    """The keystore is protected by a scheme whose cost we cannot read before deriving keys."""

    def __init__(self, scheme: str) -> None:
        super().__init__(
            f"This keystore is protected with {scheme}, which we do not open; export it again "
            "with AES-256 (PBES2 with PBKDF2), as keytool, OpenSSL 3 and Windows do by default."
        )


class InvalidValue(KeystoreError):
    """A value chosen for a new key, certificate or keystore is not acceptable."""


@dataclass(frozen=True)
class CertificateInfo:
    """What the UI shows about a certificate."""

    subject: str
    issuer: str
    serial: str
    sha256_fingerprint: str
    key_type: str
    key_size: int
    not_before: datetime
    not_after: datetime

    @property
    def weak_key(self) -> bool:
        """True for RSA keys shorter than 2048 bits (accepted only when the user says so)."""
        return self.key_type == "RSA" and self.key_size < MIN_RSA_KEY_SIZE

    @property
    def too_weak(self) -> bool:
        """True for RSA keys under 1024 bits, which are refused whatever the user accepts."""
        return self.key_type == "RSA" and self.key_size < RSA_KEY_SIZE_FLOOR

    @property
    def self_signed(self) -> bool:
        """True when subject and issuer are the same name."""
        return self.subject == self.issuer

    def days_left(self, *, now: datetime | None = None) -> int:
        """Whole days until notAfter (negative once expired)."""
        return (self.not_after - (now or datetime.now(UTC))).days

    def valid_at(self, now: datetime) -> bool:
        """True when now lies between notBefore and notAfter."""
        return self.not_before <= now <= self.not_after


@dataclass(frozen=True)
class KeystoreContents:
    """The aliases a PKCS#12 file holds, in file order."""

    private_key_aliases: tuple[str, ...]
    certificate_aliases: tuple[str, ...]


@dataclass(frozen=True)
class PrivateKeyEntry:
    """A private key entry: the key, its certificate and the issuers found beside it."""

    alias: str
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]  # issuers of `certificate`, nearest first


def certificate_info(certificate: x509.Certificate) -> CertificateInfo:
    """Summarise a certificate for display."""
    public_key = certificate.public_key()
    key_type, key_size = _key_type(public_key), getattr(public_key, "key_size", 0)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        key_size = public_key.curve.key_size
    return CertificateInfo(
        subject=_name(certificate.subject),
        issuer=_name(certificate.issuer),
        serial=format(certificate.serial_number, "X"),
        sha256_fingerprint=certificate.fingerprint(hashes.SHA256()).hex(":").upper(),
        key_type=key_type,
        key_size=key_size,
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
    )


def certificate_to_pem(certificate: x509.Certificate) -> bytes:
    """The certificate in PEM form (what Download PublicKey hands out)."""
    return certificate.public_bytes(serialization.Encoding.PEM)


def generate_self_signed(
    *,
    common_name: str,
    organization: str | None = None,
    email: str | None = None,
    key_size: int = DEFAULT_KEY_SIZE,
    validity_days: int = DEFAULT_VALIDITY_DAYS,
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A new RSA key and a self-signed certificate for signing and encryption."""
    if key_size not in KEY_SIZES:
        raise InvalidValue(f"The key size must be one of {', '.join(map(str, KEY_SIZES))} bits.")
    if not MIN_VALIDITY_DAYS <= validity_days <= MAX_VALIDITY_DAYS:
        raise InvalidValue(
            f"The validity must be between {MIN_VALIDITY_DAYS} and {MAX_VALIDITY_DAYS} days."
        )
    subject = _subject(common_name=common_name, organization=organization, email=email)
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    now = datetime.now(UTC).replace(microsecond=0)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=validity_days))
    )
    for extension, critical in _self_signed_extensions(key.public_key()):
        builder = builder.add_extension(extension, critical=critical)
    return key, builder.sign(key, hashes.SHA256())


def load_partner_certificate(data: bytes, *, now: datetime | None = None) -> x509.Certificate:
    """The partner's certificate from a PEM, DER or PKCS#7 upload, valid at `now`.

    A file with several certificates (a chain) yields its end-entity certificate: the one that
    issued none of the others, else the first. Text around PEM blocks is ignored.
    """
    _check_size(data)
    certificate = _leaf(_certificates_in(data))
    info = certificate_info(certificate)
    if info.key_type != "RSA":
        raise UnsupportedKey(info.key_type)
    if info.too_weak:
        raise KeyTooWeak("This certificate", info.key_size)
    now = now or datetime.now(UTC)
    if not info.valid_at(now):
        raise CertificateNotValidNow(info, now)
    return certificate


def list_keystore_aliases(data: bytes, *, password: str) -> KeystoreContents:
    """The aliases of the private key entries and of the other certificates in a .p12/.pfx."""
    keystore = _open_keystore(data, password=password)
    entries = _key_entries(data, password=password, keystore=keystore)
    return KeystoreContents(
        private_key_aliases=tuple(entry.alias for entry in entries),
        certificate_aliases=_other_certificate_aliases(keystore, [e.key for e in entries]),
    )


def load_private_keystore(data: bytes, *, password: str, alias: str) -> PrivateKeyEntry:
    """The private key entry named `alias` from a .p12/.pfx, with its certificate."""
    keystore = _open_keystore(data, password=password)
    entries = _key_entries(data, password=password, keystore=keystore)
    if not entries:
        raise NoPrivateKey(_other_certificate_aliases(keystore, []))
    entry = _entry_named(entries, alias)
    alias = entry.alias
    # Only the key we keep is checked by OpenSSL (sizes were bounded before opening).
    key = entry.key if entry.bag is None else _decrypt_key_bag(entry.bag, password, check=True)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise UnsupportedKey(_key_type(key.public_key()))
    if key.key_size < RSA_KEY_SIZE_FLOOR:
        raise KeyTooWeak(f"The private key '{alias}'", key.key_size)
    certificates = _all_certificates(keystore)
    certificate = _certificate_of(key, certificates)
    if certificate is None:
        raise KeyCertificateMismatch(alias)
    return PrivateKeyEntry(
        alias=alias, key=key, certificate=certificate, chain=_chain(certificate, certificates)
    )


def build_partner_keystore(
    *, password: str, partner_alias: str, partner_certificate: x509.Certificate
) -> bytes:
    """A PKCS#12 truststore whose only entry is the partner's certificate (trustedCertEntry)."""
    _check_new_password(password)
    _check_alias(partner_alias)
    return pkcs12.serialize_java_truststore(
        [pkcs12.PKCS12Certificate(partner_certificate, partner_alias.encode())],
        serialization.BestAvailableEncryption(password.encode()),
    )


def build_complete_keystore(
    *,
    password: str,
    private_key_alias: str,
    key: rsa.RSAPrivateKey,
    certificate: x509.Certificate,
    partner_alias: str,
    partner_certificate: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
) -> bytes:
    """A PKCS#12 with our key entry (PrivateKeyEntry) and the partner's cert (trustedCertEntry).

    `chain` holds the issuers of an imported certificate (PrivateKeyEntry.chain), if any.
    """
    _check_new_password(password)
    _check_alias(private_key_alias)
    if private_key_alias.casefold() == partner_alias.casefold():
        # keytool compares aliases without case: the second entry would hide the first.
        raise InvalidValue("The partner certificate's alias must differ from the private key's.")
    if certificate.public_key() != key.public_key():
        raise KeyCertificateMismatch(private_key_alias)
    encryption = serialization.BestAvailableEncryption(password.encode())
    keystore = pkcs12.serialize_key_and_certificates(
        private_key_alias.encode(), key, certificate, list(chain) or None, encryption
    )
    truststore = build_partner_keystore(
        password=password, partner_alias=partner_alias, partner_certificate=partner_certificate
    )
    # serialize_key_and_certificates cannot mark a certificate as trusted, and keytool ignores
    # unmarked certificates without a key: graft the truststore's marked certificate bag on.
    return _merge_keystores(keystore, truststore, password=password)


# -- uploads ---------------------------------------------------------------------------------


def _check_size(data: bytes) -> None:
    if not data:
        raise EmptyFile()
    if len(data) > MAX_UPLOAD_BYTES:
        raise FileTooLarge()


def _certificates_in(data: bytes) -> list[x509.Certificate]:
    labels = [label.decode() for label in _PEM_BLOCK.findall(data)]
    if any("PRIVATE KEY" in label for label in labels):
        raise PrivateKeyUploaded()
    if labels.count("CERTIFICATE") > MAX_CHAIN_CERTIFICATES:
        raise TooManyCertificates(labels.count("CERTIFICATE"))  # refused before parsing them
    if "CERTIFICATE" in labels:
        return _loaded(x509.load_pem_x509_certificates, data)
    if "PKCS7" in labels:
        return _loaded(pkcs7.load_pem_pkcs7_certificates, data)
    if labels:
        raise NotACertificate()
    return _der_certificates(data)


def _der_certificates(data: bytes) -> list[x509.Certificate]:
    try:
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        pass
    if _is_private_key(data):
        raise PrivateKeyUploaded()
    if _is_pkcs12(data):
        raise KeystoreUploaded()
    return _loaded(pkcs7.load_der_pkcs7_certificates, data)


def _loaded(
    loader: Callable[[bytes], list[x509.Certificate]], data: bytes
) -> list[x509.Certificate]:
    try:
        certificates = loader(data)
    except (ValueError, UnsupportedAlgorithm):
        raise NotACertificate() from None
    if not certificates:
        raise NotACertificate("This file holds no certificate.")
    if len(certificates) > MAX_CHAIN_CERTIFICATES:
        raise TooManyCertificates(len(certificates))
    return certificates


def _is_private_key(der: bytes) -> bool:
    try:
        serialization.load_der_private_key(der, password=None)
    except TypeError:  # an encrypted private key: still a private key
        return True
    except (ValueError, UnsupportedAlgorithm):
        return False
    return True


def _is_pkcs12(der: bytes) -> bool:
    try:
        pfx = asn1_pkcs12.Pfx.load(der, strict=True)
        return pfx["auth_safe"]["content_type"].native in ("data", "signed_data")
    except (ValueError, TypeError, KeyError):
        return False


def _leaf(certificates: list[x509.Certificate]) -> x509.Certificate:
    """The first certificate that issued none of the others (one pass over the names)."""
    issued = Counter(certificate.issuer for certificate in certificates)

    def issued_another(candidate: x509.Certificate) -> bool:
        own = 1 if candidate.issuer == candidate.subject else 0  # a self-signed one issued itself
        return issued[candidate.subject] > own

    leaves = [c for c in certificates if not issued_another(c)]
    return (leaves or certificates)[0]


# -- reading PKCS#12 -------------------------------------------------------------------------


def _open_keystore(data: bytes, *, password: str) -> pkcs12.PKCS12KeyAndCertificates:
    _check_size(data)
    _check_derivation_work(data, password=password)
    try:
        return pkcs12.load_pkcs12(data, password.encode())
    except ValueError as error:
        # cryptography says "Invalid password or PKCS12 data" once the structure parsed.
        if "password" not in str(error).lower():
            raise NotAKeystore() from None
        if _mac_accepts(data, password=password):
            raise KeyNotReadable() from None
        raise WrongPassword() from None


_PBMAC1 = "1.2.840.113549.1.5.14"  # RFC 9579: the MAC's rounds sit in its PBKDF2 parameters
_MAX_NESTING = 4


class _Pbmac1Parameters(core.Sequence):  # type: ignore[misc]  # asn1crypto has no types
    _fields = [
        ("key_derivation_func", algos.KdfAlgorithm),
        ("message_auth_scheme", algos.HmacAlgorithm),
    ]


class _DerivationWork:
    """Adds up the key-derivation rounds a keystore asks for, refusing absurd ones."""

    def __init__(self) -> None:
        self.total = 0
        self.key_bags: list[asn1_pkcs12.SafeBag] = []

    def add(self, rounds: int, what: str, *, blocks: int = 1) -> None:
        """`rounds` asked for `what`, run once per derived block (the total counts them all)."""
        if rounds < 1:
            raise NotAKeystore()  # no tool writes it; OpenSSL refuses it too
        if rounds > MAX_KDF_ITERATIONS:
            raise TooManyIterations(what, rounds)
        self.total += rounds * blocks
        if self.total > MAX_TOTAL_KDF_ITERATIONS:
            raise TooManyIterations("the whole file", self.total)


def _check_derivation_work(data: bytes, *, password: str) -> None:
    """Refuse a keystore whose key derivations would keep us busy, before OpenSSL derives any.

    Reads the rounds of the MAC, of each encrypted SafeContents and of each shrouded key bag.
    Key bags inside encrypted SafeContents are found by decrypting those here first (each within
    the limit): OpenSSL would decrypt them and then derive their keys. Content that does not
    decrypt with the password would fail in OpenSSL just as well: it is refused here already.
    """
    work = _DerivationWork()
    try:
        pfx = asn1_pkcs12.Pfx.load(data)
        mac_data = pfx["mac_data"]
        if not isinstance(mac_data, core.Void):
            work.add(_mac_rounds(mac_data), "its integrity check (MAC)")
        encrypted = []
        for content_info in _authenticated_safe(pfx):
            kind = content_info["content_type"].native
            if kind == "data":
                contents = asn1_pkcs12.SafeContents.load(content_info["content"].native)
                _check_bags(contents, work, depth=1)
            elif kind == "encrypted_data":
                encrypted_content = content_info["content"]["encrypted_content_info"]
                algorithm = encrypted_content["content_encryption_algorithm"]
                work.add(_rounds(algorithm), "its certificates", blocks=_blocks(algorithm))
                encrypted.append((algorithm, encrypted_content["encrypted_content"].native))
            # public-key privacy (enveloped_data): OpenSSL does not open it either
        # Only once every visible count passed: decrypting costs derivations too.
        for algorithm, ciphertext in encrypted:
            plaintext = _decrypted(algorithm, ciphertext, data, password)
            with _read_as_decrypted(data, password=password):
                _check_bags(asn1_pkcs12.SafeContents.load(plaintext), work, depth=1)
        if len(work.key_bags) > MAX_KEY_ENTRIES:
            raise TooManyKeys(len(work.key_bags))
        for bag in work.key_bags:
            if bag["bag_id"].native == "key_bag":  # in the clear; its [0] tag is not the key's
                _check_key_size(bag["bag_value"].untag().dump())
                continue
            plaintext = _shrouded_key_info(bag, data, password)
            with _read_as_decrypted(data, password=password):
                _check_key_size(plaintext)
    except KeystoreError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError):
        raise NotAKeystore() from None


def _shrouded_key_info(bag: asn1_pkcs12.SafeBag, data: bytes, password: str) -> bytes:
    """The PKCS#8 PrivateKeyInfo of a shrouded key bag, decrypted here."""
    value = bag["bag_value"]
    return _decrypted(value["encryption_algorithm"], value["encrypted_data"].native, data, password)


@contextmanager
def _read_as_decrypted(data: bytes, *, password: str) -> Iterator[None]:
    """Reading content just decrypted with `password`: a failure is the password's, mostly.

    A wrong password decrypts CBC content to garbage whose padding looks right about one time in
    256, so the garbage reaches the reader. Unless the file's MAC proves the password right (then
    the content itself is damaged), what fails to read is a wrong password.
    """
    try:
        yield
    except KeystoreError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError):
        if _mac_accepts(data, password=password):
            raise NotAKeystore() from None
        raise WrongPassword() from None


def _check_key_size(private_key_info: bytes) -> None:
    """Refuse an RSA key too large to check, reading its modulus before OpenSSL loads it."""
    info = asn1_keys.PrivateKeyInfo.load(private_key_info)
    if info["private_key_algorithm"]["algorithm"].native not in ("rsa", "rsassa_pss"):
        return  # refused later as a key of another type
    size = int(info["private_key"].parsed["modulus"].native).bit_length()
    if size > MAX_RSA_PRIVATE_KEY_SIZE:
        raise KeyTooLarge(size)


def _check_bags(bags: asn1_pkcs12.SafeContents, work: _DerivationWork, *, depth: int) -> None:
    if depth > _MAX_NESTING:
        raise NotAKeystore()
    for bag in bags:
        kind = bag["bag_id"].native
        if kind in ("key_bag", "pkcs8_shrouded_key_bag"):
            work.key_bags.append(bag)
        if kind == "pkcs8_shrouded_key_bag":
            algorithm = bag["bag_value"]["encryption_algorithm"]
            work.add(_rounds(algorithm), "a private key", blocks=_blocks(algorithm))
        elif kind == "safe_contents":
            _check_bags(bag["bag_value"], work, depth=depth + 1)


def _mac_rounds(mac_data: asn1_pkcs12.MacData) -> int:
    algorithm = mac_data["mac"]["digest_algorithm"]
    if algorithm["algorithm"].dotted != _PBMAC1:
        return int(mac_data["iterations"].native)
    kdf = _Pbmac1Parameters.load(algorithm["parameters"].dump())["key_derivation_func"]
    if kdf["algorithm"].native != "pbkdf2":
        raise UnsupportedProtection(f"a {kdf['algorithm'].native} MAC key derivation")
    return int(kdf["parameters"]["iteration_count"].native)


def _rounds(algorithm: algos.EncryptionAlgorithm) -> int:
    """The key-derivation rounds of a password-based encryption scheme we can read."""
    name = algorithm["algorithm"].native
    try:
        kdf = algorithm.kdf
    except ValueError:
        raise UnsupportedProtection(f"the encryption scheme {name}") from None
    if kdf not in ("pbkdf2", "pkcs12_kdf", "pbkdf1"):
        raise UnsupportedProtection(f"the {kdf} key derivation")
    return int(algorithm.kdf_iterations)


def _blocks(algorithm: algos.EncryptionAlgorithm) -> int:
    """How many times the rounds run: once per digest-sized block of key (and PKCS#12's IV).

    A PKCS#12-PBE 3DES key is two SHA-1 blocks and its IV a third, each `rounds` long.
    """
    try:
        digest_size = hashlib.new(algorithm.kdf_hmac).digest_size
        blocks = -(-int(algorithm.key_length) // digest_size)
    except (ValueError, TypeError, KeyError):
        return 1
    return blocks + 1 if algorithm.kdf == "pkcs12_kdf" else blocks


def _decrypted(
    algorithm: algos.EncryptionAlgorithm, ciphertext: bytes, data: bytes, password: str
) -> bytes:
    try:
        return pbe.decrypt(algorithm, ciphertext, password)
    except pbe.CannotDecrypt:
        if _mac_accepts(data, password=password):
            raise KeyNotReadable() from None
        raise WrongPassword() from None


def _mac_accepts(data: bytes, *, password: str) -> bool:
    """True when the file's MAC proves the password right (so something else failed)."""
    try:
        pfx = asn1_pkcs12.Pfx.load(data)
        mac_data = pfx["mac_data"]
        if mac_data["iterations"].native > _MAX_MAC_ITERATIONS:
            return False  # a pure-Python KDF: don't let a crafted file spin for minutes
        mac = _mac(
            pfx["auth_safe"]["content"].native,
            password=password,
            digest=mac_data["mac"]["digest_algorithm"]["algorithm"].native,
            salt=mac_data["mac_salt"].native,
            iterations=mac_data["iterations"].native,
        )
        return hmac.compare_digest(mac, mac_data["mac"]["digest"].native)
    except (ValueError, TypeError, KeyError, AttributeError):
        return False


class _KeyEntry(NamedTuple):
    alias: str
    key: PrivateKeyTypes  # not yet checked by OpenSSL when `bag` is given
    bag: asn1_pkcs12.SafeBag | None  # None: load_pkcs12's key, which it checked


def _key_entries(
    data: bytes, *, password: str, keystore: pkcs12.PKCS12KeyAndCertificates
) -> list[_KeyEntry]:
    """(alias, key) of every private key, in file order.

    load_pkcs12 returns only the first key, so the key bags are read with asn1crypto. They sit
    in unencrypted SafeContents in files from keytool, openssl, Windows and cryptography (the
    key itself is shrouded); were they hidden inside encrypted content, load_pkcs12's single
    key is the fallback. Unnamed keys get keytool's names: "1", "2", ...
    """
    bags = _key_bags(data)
    if not bags:
        if keystore.key is None:
            return []
        name = keystore.cert.friendly_name if keystore.cert else None
        return [_KeyEntry(name.decode() if name else "1", keystore.key, None)]
    aliases = _aliases([name for name, _ in bags])
    if len(bags) == 1 and keystore.key is not None:
        # The only key, which load_pkcs12 has decrypted and checked already (~40 ms).
        return [_KeyEntry(aliases[0], keystore.key, None)]
    return [
        _KeyEntry(alias, _decrypt_key_bag(bag, password), bag)
        for alias, (_, bag) in zip(aliases, bags, strict=True)
    ]


def _aliases(names: list[str | None]) -> list[str]:
    """Friendly names, with keytool's "1", "2", ... for the keys that have none."""
    numbers = iter(range(1, len(names) + 1))
    return [str(next(numbers)) if name is None else name for name in names]


def _key_bags(data: bytes) -> list[tuple[str | None, asn1_pkcs12.SafeBag]]:
    bags = []
    try:
        for content_info in _authenticated_safe(asn1_pkcs12.Pfx.load(data)):
            if content_info["content_type"].native != "data":
                continue  # encrypted SafeContents: certificates, in every common tool's output
            for bag in asn1_pkcs12.SafeContents.load(content_info["content"].native):
                if bag["bag_id"].native in ("key_bag", "pkcs8_shrouded_key_bag"):
                    bags.append((_friendly_name(bag), bag))
    except (ValueError, TypeError, KeyError):
        raise NotAKeystore() from None
    return bags


def _friendly_name(bag: asn1_pkcs12.SafeBag) -> str | None:
    for attribute in bag["bag_attributes"]:
        if attribute["type"].native == "friendly_name" and attribute["values"].native:
            return str(attribute["values"].native[0])
    return None


def _decrypt_key_bag(
    bag: asn1_pkcs12.SafeBag, password: str, *, check: bool = False
) -> PrivateKeyTypes:
    """The key of a key bag; `check` runs OpenSSL's RSA key check (33 ms at 2048 bits), which
    only the key we keep needs: the others serve to match certificates to keys."""
    der = bag["bag_value"].untag().dump()
    shrouded = bag["bag_id"].native == "pkcs8_shrouded_key_bag"
    try:
        return serialization.load_der_private_key(
            der,
            password=password.encode() if shrouded else None,
            unsafe_skip_rsa_key_validation=not check,
        )
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # The file's MAC accepted the password: the key has another one, or a rare cipher.
        raise KeyNotReadable() from None


def _entry_named(entries: list[_KeyEntry], alias: str) -> _KeyEntry:
    for entry in entries:
        if entry.alias == alias:
            return entry
    # keytool treats aliases without regard to case; accept that when it is unambiguous.
    matches = [entry for entry in entries if entry.alias.casefold() == alias.casefold()]
    if len(matches) == 1:
        return matches[0]
    raise AliasNotFound(alias, tuple(entry.alias for entry in entries))


def _certificate_of(
    key: PrivateKeyTypes, certificates: list[x509.Certificate]
) -> x509.Certificate | None:
    public_key = key.public_key()
    return next((c for c in certificates if c.public_key() == public_key), None)


def _chain(
    certificate: x509.Certificate, certificates: list[x509.Certificate]
) -> tuple[x509.Certificate, ...]:
    chain: list[x509.Certificate] = []
    by_subject: dict[x509.Name, x509.Certificate] = {}
    for candidate in certificates:
        by_subject.setdefault(candidate.subject, candidate)  # the first, as before
    current = certificate
    while current.issuer != current.subject and len(chain) < len(certificates):
        issuer = by_subject.get(current.issuer)
        if issuer is None or issuer in chain:
            break
        chain.append(issuer)
        current = issuer
    return tuple(chain)


def _other_certificate_aliases(
    keystore: pkcs12.PKCS12KeyAndCertificates, keys: list[PrivateKeyTypes]
) -> tuple[str, ...]:
    """Friendly names of the certificates that belong to none of `keys`."""
    bags = _certificate_bags(keystore)
    owned = {_certificate_of(key, [bag.certificate for bag in bags]) for key in keys}
    return tuple(
        bag.friendly_name.decode()
        for bag in bags
        if bag.friendly_name and bag.certificate not in owned
    )


def _certificate_bags(keystore: pkcs12.PKCS12KeyAndCertificates) -> list[pkcs12.PKCS12Certificate]:
    return ([keystore.cert] if keystore.cert else []) + list(keystore.additional_certs)


def _all_certificates(keystore: pkcs12.PKCS12KeyAndCertificates) -> list[x509.Certificate]:
    return [bag.certificate for bag in _certificate_bags(keystore)]


# -- writing PKCS#12 -------------------------------------------------------------------------


def _merge_keystores(first: bytes, second: bytes, *, password: str) -> bytes:
    """`first` with the SafeContents of `second` appended, under a fresh MAC."""
    first_pfx, second_pfx = asn1_pkcs12.Pfx.load(first), asn1_pkcs12.Pfx.load(second)
    contents = [*_authenticated_safe(first_pfx), *_authenticated_safe(second_pfx)]
    return _pfx(contents, password=password, mac_template=first_pfx["mac_data"])


def _authenticated_safe(pfx: asn1_pkcs12.Pfx) -> list[cms.ContentInfo]:
    return list(asn1_pkcs12.AuthenticatedSafe.load(pfx["auth_safe"]["content"].native))


def _pfx(
    contents: list[cms.ContentInfo], *, password: str, mac_template: asn1_pkcs12.MacData
) -> bytes:
    """A PFX over `contents`, MACed like `mac_template` (same digest, iterations) with new salt."""
    auth_safe = asn1_pkcs12.AuthenticatedSafe(contents).dump()
    digest_algorithm = mac_template["mac"]["digest_algorithm"]
    salt = secrets.token_bytes(len(mac_template["mac_salt"].native))
    iterations = mac_template["iterations"].native
    mac = _mac(
        auth_safe,
        password=password,
        digest=digest_algorithm["algorithm"].native,
        salt=salt,
        iterations=iterations,
    )
    pfx: bytes = asn1_pkcs12.Pfx(
        {
            "version": "v3",
            "auth_safe": cms.ContentInfo({"content_type": "data", "content": auth_safe}),
            "mac_data": {
                "mac": {"digest_algorithm": digest_algorithm, "digest": mac},
                "mac_salt": salt,
                "iterations": iterations,
            },
        }
    ).dump()
    return pfx


def _mac(data: bytes, *, password: str, digest: str, salt: bytes, iterations: int) -> bytes:
    """The PKCS#12 MAC of `data` (RFC 7292 appendix B, HMAC keyed with ID 3)."""
    length = hashlib.new(digest).digest_size
    key = pbe.pkcs12_kdf(
        password=password,
        salt=salt,
        iterations=iterations,
        purpose=3,
        length=length,
        digest=digest,
    )
    return hmac.new(key, data, digest).digest()


# -- names and checks ------------------------------------------------------------------------


def _subject(*, common_name: str, organization: str | None, email: str | None) -> x509.Name:
    attributes = []
    if organization:
        attributes.append(_attribute(NameOID.ORGANIZATION_NAME, organization, "organization"))
    if email:
        if not email.isascii() or "@" not in email:
            raise InvalidValue("The e-mail address must be a plain ASCII address like a@b.com.")
        attributes.append(_attribute(NameOID.EMAIL_ADDRESS, email, "e-mail address", limit=255))
    # Last in DER so that it comes first when shown: "CN=me,emailAddress=...,O=...".
    attributes.append(_attribute(NameOID.COMMON_NAME, common_name, "common name"))
    return x509.Name(attributes)


def _attribute(
    oid: x509.ObjectIdentifier, value: str, label: str, limit: int = 64
) -> x509.NameAttribute[str]:
    value = value.strip()
    if not 1 <= len(value) <= limit:
        raise InvalidValue(f"The {label} must be 1 to {limit} characters long.")
    return x509.NameAttribute(oid, value)


def _self_signed_extensions(
    public_key: rsa.RSAPublicKey,
) -> list[tuple[x509.ExtensionType, bool]]:
    return [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            True,
        ),
        (x509.SubjectKeyIdentifier.from_public_key(public_key), False),
        (x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), False),
    ]


def _check_new_password(password: str) -> None:
    if not password:
        raise InvalidValue("Choose a password for the keystore.")
    if not (password.isascii() and password.isprintable()):
        # keytool 17 refuses such passwords for PBES2 keys and cannot open such keystores.
        raise InvalidValue(
            "Use only ASCII letters, digits, spaces and punctuation in the keystore password; "
            "keytool cannot open keystores with other characters."
        )


def _check_alias(alias: str) -> None:
    if not alias or not alias.strip():
        raise InvalidValue("An alias cannot be empty.")
    if len(alias) > ALIAS_MAX_LENGTH:
        raise InvalidValue(f"An alias must be at most {ALIAS_MAX_LENGTH} characters long.")


def _name(name: x509.Name) -> str:
    return name.rfc4514_string({NameOID.EMAIL_ADDRESS: "emailAddress"})


def _key_type(public_key: PublicKeyTypes) -> str:
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RSA"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return "EC"
    return type(public_key).__name__.removesuffix("PublicKey").removeprefix("_") or "unknown"


def _quoted(names: tuple[str, ...]) -> str:
    return ", ".join(f"'{name}'" for name in names)
