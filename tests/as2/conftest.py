"""Fixtures for the AS2 engine tests: key pairs, certificates and the real-world vectors."""

import datetime
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

VECTORS = Path(__file__).resolve().parent / "vectors"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: 20 MB payloads and other long-running engine tests")


@dataclass(frozen=True)
class Party:
    """One side of an exchange: an AS2 ID, a private key and its self-signed certificate."""

    as2_id: str
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    def write_pem(self, directory: Path) -> tuple[Path, Path]:
        """The certificate and the unencrypted key as PEM files (for the openssl CLI)."""
        cert_path = directory / f"{self.as2_id}.pem"
        key_path = directory / f"{self.as2_id}.key"
        cert_path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_path, key_path


def make_party(as2_id: str) -> Party:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, as2_id)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Party(as2_id, key, certificate)


@pytest.fixture(scope="session")
def alice() -> Party:
    """The sender in round trips."""
    return make_party("alice")


@pytest.fixture(scope="session")
def bob() -> Party:
    """The receiver in round trips (AS2 ID with a space, so it is quoted on the wire)."""
    return make_party("Bob AS2")


@pytest.fixture(scope="session")
def mallory() -> Party:
    """A third party whose key must never be accepted."""
    return make_party("mallory")


def split_http(raw: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """Headers and body of a stored HTTP message (header lines may end in LF or CRLF)."""
    position = 0
    headers: list[tuple[str, str]] = []
    while True:
        end = raw.index(b"\n", position)
        line = raw[position:end].rstrip(b"\r")
        position = end + 1
        if not line:
            return headers, raw[position:]
        if line[:1] in b" \t" and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip().decode("latin-1"))
            continue
        name, _, value = line.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))


def load_vector(name: str) -> tuple[list[tuple[str, str]], bytes]:
    """A stored message or MDN from the vectors folder, as headers and body."""
    return split_http((VECTORS / name).read_bytes())


def load_certificate(name: str) -> x509.Certificate:
    data = (VECTORS / name).read_bytes()
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def load_certificates(name: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates((VECTORS / name).read_bytes())


@pytest.fixture(scope="session")
def pyas2lib_keys() -> tuple[object, x509.Certificate]:
    """Our key and certificate as the receiver of the Mendelson messages."""
    loaded = pkcs12.load_pkcs12((VECTORS / "cert_test.p12").read_bytes(), b"test")
    assert loaded.key is not None and loaded.cert is not None
    return loaded.key, loaded.cert.certificate
