"""Certificates, keystores and Certificate rows for tests (RSA 2048, made once per process)."""

from datetime import UTC, datetime, timedelta
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.core.files.storage import default_storage

from certificates import keystore
from certificates.models import Certificate
from certificates.services import certificate_generate
from partnerships.models import Partnership

KEYSTORE_PASSWORD = "keystore-Pa55word"


def rsa_key(bits: int = 2048, name: str = "") -> rsa.RSAPrivateKey:
    """An RSA key, the same one for the same (bits, name) within a test run."""
    return _rsa_key(bits, name)


@cache
def _rsa_key(bits: int, name: str) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def self_signed(
    key: rsa.RSAPrivateKey,
    common_name: str,
    *,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> x509.Certificate:
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


def partner_certificate(common_name: str = "amazon") -> x509.Certificate:
    """The partner's certificate, one per common name within a test run."""
    return _partner_certificate(common_name)


@cache
def _partner_certificate(common_name: str) -> x509.Certificate:
    return self_signed(rsa_key(name=common_name), common_name)


def partner_pem(common_name: str = "amazon") -> bytes:
    return keystore.certificate_to_pem(partner_certificate(common_name))


def partner_der(common_name: str = "amazon") -> bytes:
    return partner_certificate(common_name).public_bytes(serialization.Encoding.DER)


def pem_of(certificate: x509.Certificate) -> bytes:
    return keystore.certificate_to_pem(certificate)


def p12(
    key: rsa.RSAPrivateKey | None,
    certificate: x509.Certificate | None,
    *,
    alias: str = "mykey",
    password: str = KEYSTORE_PASSWORD,
    cas: list[x509.Certificate] | None = None,
) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        alias.encode(),
        key,
        certificate,
        cas,
        serialization.BestAvailableEncryption(password.encode()),
    )


def certificate_for(partnership: Partnership, **overrides) -> Certificate:
    """A generated certificate for the partnership, as Create Cert (Option A) makes it."""
    arguments = {
        "partnership": partnership,
        "password": KEYSTORE_PASSWORD,
        "private_key_alias": partnership.instance.my_as2_alias,
        "partner_certificate_file": partner_pem(),
        "partner_alias": partnership.partner.partner_as2_alias,
        **overrides,
    }
    return certificate_generate(**arguments)


def stored(key: str) -> bytes:
    with default_storage.open(key, "rb") as file:
        return file.read()


def stored_files(prefix: str) -> list[str]:
    """Every stored file under `prefix` (a folder), as storage keys."""
    try:
        folders, files = default_storage.listdir(prefix)
    except FileNotFoundError:
        return []
    found = [f"{prefix}/{name}" for name in files]
    for folder in folders:
        found += stored_files(f"{prefix}/{folder}")
    return sorted(found)
