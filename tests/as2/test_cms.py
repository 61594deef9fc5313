"""Tests for as2.cms: round trips, openssl as an independent peer, real vectors, bad input."""

import datetime
import re
import subprocess
import tracemalloc
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from as2 import cms
from as2.algorithms import ContentCipher, Digest, Oaep, Pkcs1v15, Pss
from as2.cms import enveloped_fast, signed_fast
from as2.credentials import Recipient, Signer
from as2.exceptions import (
    As2Error,
    DecompressionFailed,
    DecryptionFailed,
    IntegrityCheckFailed,
    MalformedMessage,
    SignatureInvalid,
    UnsupportedAlgorithm,
)

# The real-world interop vectors, copied from ../shared/vectors (see MANIFEST.md there).
VECTORS = Path(__file__).resolve().parent / "vectors"

# Binary on purpose: CR, LF, NUL and high bytes must all survive untouched.
PAYLOAD = b"UNB+UNOA:2+SENDER+RECEIVER'\nline\r\nbare\rcr\x00\xff" + bytes(range(256)) * 40


@dataclass(frozen=True)
class Party:
    """A key, its self-signed certificate, and both written as PEM files for openssl."""

    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    key_pem: Path
    cert_pem: Path


def _make_party(directory: Path, name: str, *, curve: ec.EllipticCurve | None = None) -> Party:
    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if curve is None
        else ec.generate_private_key(curve)
    )
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Serverless AS2 tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = directory / f"{name}.key"
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_pem = directory / f"{name}.pem"
    cert_pem.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return Party(key, certificate, key_pem, cert_pem)


@pytest.fixture(scope="session")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Party:
    """Our station's key and certificate."""
    return _make_party(tmp_path_factory.mktemp("ours"), "ours")


@pytest.fixture(scope="session")
def partner(tmp_path_factory: pytest.TempPathFactory) -> Party:
    """The trading partner's key and certificate."""
    return _make_party(tmp_path_factory.mktemp("partner"), "partner")


@pytest.fixture(scope="session")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> Party:
    """A third party nobody configured."""
    return _make_party(tmp_path_factory.mktemp("stranger"), "stranger")


def openssl(*args: str | Path) -> bytes:
    """Run the openssl CLI; fail the test with its stderr if it fails."""
    result = subprocess.run(["openssl", *map(str, args)], capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


def http_body(raw: bytes) -> tuple[bytes, bytes]:
    """Split a stored HTTP message into headers and body at the first blank line (LF or CRLF)."""
    match = re.search(rb"\r?\n\r?\n", raw)
    assert match is not None
    return raw[: match.start()], raw[match.end() :]


# ---------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("SHA-256", "sha256"),
        ("sha256", "sha256"),
        ("sha-1", "sha1"),
        ("SHA1", "sha1"),
        ("md5", "md5"),
        (" sha-512 ", "sha512"),
    ],
)
def test_digest_from_name_accepts_every_micalg_spelling(spelling: str, name: str) -> None:
    assert Digest.from_name(spelling) is Digest(name)


def test_digest_from_name_rejects_unknown_digest() -> None:
    with pytest.raises(UnsupportedAlgorithm, match="whirlpool"):
        Digest.from_name("whirlpool")


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("aes_256_cbc", "aes256"),
        ("AES-128-CBC", "aes128"),
        ("tripledes_192_cbc", "3des"),
        ("des-ede3-cbc", "3des"),
        ("aes-256-gcm", "aes256-gcm"),
        ("aes128-gcm", "aes128-gcm"),
    ],
)
def test_content_cipher_from_name_accepts_common_spellings(spelling: str, name: str) -> None:
    assert ContentCipher.from_name(spelling) is ContentCipher(name)


def test_digest_matches_hashlib() -> None:
    import hashlib

    assert cms.digest(b"abc", Digest.SHA256) == hashlib.sha256(b"abc").digest()
    assert cms.digest(b"abc", Digest.MD5) == hashlib.md5(b"abc").digest()  # noqa: S324


# ---------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("pss", [False, True], ids=["pkcs1v15", "pss"])
@pytest.mark.parametrize("digest_algorithm", cms.SIGN_ALGORITHMS)
def test_sign_then_verify_round_trips(ours: Party, digest_algorithm: str, pss: bool) -> None:
    signature = cms.sign(
        PAYLOAD,
        Signer(
            ours.key,
            ours.certificate,
            Digest(digest_algorithm),
            padding=Pss() if pss else Pkcs1v15(),
        ),
    )
    info = cms.verify(signature, PAYLOAD, certificates=[ours.certificate])
    padding = Pss() if pss else Pkcs1v15()
    assert info == cms.SignatureInfo(Digest(digest_algorithm), ours.certificate, padding, None)
    assert cms.content_type_of(signature) == "signed-data"


@pytest.mark.parametrize("pss", [False, True], ids=["pkcs1v15", "pss"])
def test_signature_without_signed_attributes_round_trips(ours: Party, pss: bool) -> None:
    signature = cms.sign(
        PAYLOAD,
        Signer(ours.key, ours.certificate, padding=Pss() if pss else Pkcs1v15()),
        signed_attributes=False,
    )
    padding = cms.verify(signature, PAYLOAD, certificates=[ours.certificate]).padding
    assert padding == (Pss() if pss else Pkcs1v15())


def test_verify_without_trusted_certificates_uses_the_embedded_signer(ours: Party) -> None:
    signature = cms.sign(PAYLOAD, Signer(ours.key, ours.certificate))
    assert cms.verify(signature, PAYLOAD).signer == ours.certificate


def test_sign_refuses_md5(ours: Party) -> None:
    with pytest.raises(UnsupportedAlgorithm, match="incoming signatures only"):
        cms.sign(PAYLOAD, Signer(ours.key, ours.certificate, Digest.MD5))


@pytest.mark.parametrize("oaep", [False, True], ids=["pkcs1v15", "oaep"])
@pytest.mark.parametrize("algorithm", cms.ENCRYPT_ALGORITHMS)
def test_encrypt_then_decrypt_round_trips(ours: Party, algorithm: str, oaep: bool) -> None:
    encrypted = cms.encrypt(
        PAYLOAD,
        Recipient(
            ours.certificate, ContentCipher(algorithm), key_transport=Oaep() if oaep else Pkcs1v15()
        ),
    )
    result = cms.decrypt(encrypted, key=ours.key, certificate=ours.certificate)
    assert result == cms.DecryptedContent(
        PAYLOAD, ContentCipher(algorithm), Oaep() if oaep else Pkcs1v15()
    )
    expected_type = "authenticated-enveloped-data" if "gcm" in algorithm else "enveloped-data"
    assert cms.content_type_of(encrypted) == expected_type


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17])
def test_encrypt_pads_every_length_exactly(ours: Party, size: int) -> None:
    for algorithm in ("aes128", "3des"):
        encrypted = cms.encrypt(b"x" * size, Recipient(ours.certificate, ContentCipher(algorithm)))
        assert cms.decrypt(encrypted, key=ours.key).content == b"x" * size


def test_encrypt_refuses_unknown_algorithm(ours: Party) -> None:
    with pytest.raises(UnsupportedAlgorithm):
        cms.encrypt(PAYLOAD, Recipient(ours.certificate, ContentCipher.from_name("rc2")))


@pytest.mark.parametrize("level", [1, 6, 9])
def test_compress_then_decompress_round_trips(level: int) -> None:
    compressed = cms.compress(PAYLOAD, level=level)
    assert cms.content_type_of(compressed) == "compressed-data"
    assert cms.decompress(compressed, max_size=len(PAYLOAD)) == PAYLOAD


def test_compress_empty_content_round_trips() -> None:
    assert cms.decompress(cms.compress(b""), max_size=0) == b""


def test_decompress_refuses_a_zip_bomb_without_allocating_it() -> None:
    bomb = cms.compress(b"\0" * 50_000_000, level=9)
    assert len(bomb) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(DecompressionFailed, match="larger than 1000000 bytes"):
            cms.decompress(bomb, max_size=1_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3_000_000


def test_decompress_accepts_output_of_exactly_max_size() -> None:
    assert cms.decompress(cms.compress(b"a" * 1000), max_size=1000) == b"a" * 1000


def test_decompress_reports_corrupt_zlib_stream() -> None:
    compressed = bytearray(cms.compress(PAYLOAD))
    compressed[-20] ^= 0xFF
    with pytest.raises(DecompressionFailed):
        cms.decompress(bytes(compressed), max_size=10**6)


def test_decrypt_of_a_large_payload_copies_little(ours: Party) -> None:
    payload = b"\x5a" * 20_000_000
    encrypted = cms.encrypt(payload, Recipient(ours.certificate, ContentCipher.AES256_CBC))
    tracemalloc.start()
    try:
        result = cms.decrypt(encrypted, key=ours.key, certificate=ours.certificate)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.content == payload
    # The plaintext buffer plus the returned bytes; no copy per ASN.1 nesting level.
    assert peak < 2.2 * len(payload)


@pytest.mark.parametrize("cipher", [ContentCipher.AES256_CBC, ContentCipher.AES256_GCM])
def test_decrypt_hands_out_its_plaintext_buffer_without_a_second_copy(
    ours: Party, cipher: ContentCipher
) -> None:
    payload = bytes(range(256)) * 80_000 + b"tail"  # 20 MB, not a whole number of blocks
    encrypted = cms.encrypt(payload, Recipient(ours.certificate, cipher))
    tracemalloc.start()
    try:
        result = cms.decrypt(encrypted, key=ours.key, certificate=ours.certificate)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.content == payload and type(result.content) is bytes
    # One plaintext buffer, returned as it is: not a buffer and then a copy of it (2x).
    assert peak < 1.2 * len(payload)


# ---------------------------------------------------------------------------- openssl verifies ours


@pytest.mark.parametrize("pss", [False, True], ids=["pkcs1v15", "pss"])
@pytest.mark.parametrize("digest_algorithm", cms.SIGN_ALGORITHMS)
def test_openssl_verifies_our_detached_signature(
    ours: Party, tmp_path: Path, digest_algorithm: str, pss: bool
) -> None:
    signature = cms.sign(
        PAYLOAD,
        Signer(
            ours.key,
            ours.certificate,
            Digest(digest_algorithm),
            padding=Pss() if pss else Pkcs1v15(),
        ),
    )
    (tmp_path / "sig.der").write_bytes(signature)
    (tmp_path / "content.bin").write_bytes(PAYLOAD)
    openssl(
        "cms", "-verify", "-binary", "-inform", "DER", "-in", tmp_path / "sig.der",
        "-content", tmp_path / "content.bin", "-CAfile", ours.cert_pem, "-purpose", "any",
        "-out", tmp_path / "out.bin",
    )  # fmt: skip
    assert (tmp_path / "out.bin").read_bytes() == PAYLOAD


def test_openssl_verifies_our_signature_without_signed_attributes(
    ours: Party, tmp_path: Path
) -> None:
    signature = cms.sign(PAYLOAD, Signer(ours.key, ours.certificate), signed_attributes=False)
    (tmp_path / "sig.der").write_bytes(signature)
    (tmp_path / "content.bin").write_bytes(PAYLOAD)
    openssl(
        "cms", "-verify", "-binary", "-inform", "DER", "-in", tmp_path / "sig.der",
        "-content", tmp_path / "content.bin", "-CAfile", ours.cert_pem, "-purpose", "any",
        "-out", "/dev/null",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("algorithm", "oaep"),
    [
        ("aes128", False),
        ("aes192", False),
        ("aes256", False),
        ("3des", False),
        ("aes256", True),
        ("3des", True),
        ("aes128-gcm", False),
        ("aes256-gcm", False),
        ("aes256-gcm", True),
    ],
)
def test_openssl_decrypts_what_we_encrypt(
    partner: Party, tmp_path: Path, algorithm: str, oaep: bool
) -> None:
    encrypted = cms.encrypt(
        PAYLOAD,
        Recipient(
            partner.certificate,
            ContentCipher(algorithm),
            key_transport=Oaep() if oaep else Pkcs1v15(),
        ),
    )
    (tmp_path / "enc.der").write_bytes(encrypted)
    openssl(
        "cms", "-decrypt", "-binary", "-inform", "DER", "-in", tmp_path / "enc.der",
        "-recip", partner.cert_pem, "-inkey", partner.key_pem, "-out", tmp_path / "out.bin",
    )  # fmt: skip
    assert (tmp_path / "out.bin").read_bytes() == PAYLOAD


def test_openssl_parses_our_compressed_data(tmp_path: Path) -> None:
    # This openssl has no zlib, so cross-check the structure and inflate the OCTET STRING here.
    (tmp_path / "z.der").write_bytes(cms.compress(PAYLOAD))
    dump = openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", tmp_path / "z.der")
    assert b"id-smime-ct-compressedData" in dump
    assert b"zlib" in dump.lower()
    listing = openssl("asn1parse", "-inform", "DER", "-in", tmp_path / "z.der").decode()
    octet = [line for line in listing.splitlines() if "OCTET STRING" in line][-1]
    offset = int(octet.split(":")[0])
    raw = openssl("asn1parse", "-inform", "DER", "-in", tmp_path / "z.der",
                  "-strparse", str(offset), "-noout", "-out", tmp_path / "octets")  # fmt: skip
    del raw
    assert zlib.decompress((tmp_path / "octets").read_bytes()) == PAYLOAD


# ---------------------------------------------------------------------------- we read openssl's


def _openssl_sign(partner: Party, tmp_path: Path, *options: str) -> bytes:
    (tmp_path / "content.bin").write_bytes(PAYLOAD)
    openssl(
        "cms", "-sign", "-binary", "-in", tmp_path / "content.bin", "-signer", partner.cert_pem,
        "-inkey", partner.key_pem, "-outform", "DER", "-out", tmp_path / "sig.der", *options,
    )  # fmt: skip
    return (tmp_path / "sig.der").read_bytes()


@pytest.mark.parametrize(
    ("options", "digest_algorithm", "pss"),
    [
        (("-md", "sha1"), "sha1", False),
        (("-md", "sha256"), "sha256", False),
        (("-md", "sha512"), "sha512", False),
        (("-md", "sha256", "-keyopt", "rsa_padding_mode:pss"), "sha256", True),
        (
            ("-md", "sha384", "-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:max"),
            "sha384",
            True,
        ),
        (("-md", "sha256", "-noattr"), "sha256", False),
        (("-md", "sha1", "-noattr"), "sha1", False),
        (("-md", "sha256", "-keyid"), "sha256", False),
    ],
    ids=["sha1", "sha256", "sha512", "pss", "pss-max-salt", "noattr", "sha1-noattr", "keyid"],
)
def test_we_verify_openssl_detached_signature(
    partner: Party,
    tmp_path: Path,
    options: tuple[str, ...],
    digest_algorithm: str,
    pss: bool,
) -> None:
    signature = _openssl_sign(partner, tmp_path, *options)
    info = cms.verify(signature, PAYLOAD, certificates=[partner.certificate])
    assert (info.digest, info.padding == Pss(), info.signer) == (
        digest_algorithm,
        pss,
        partner.certificate,
    )


@pytest.mark.parametrize("stream", [False, True], ids=["der", "ber-stream"])
def test_we_verify_openssl_opaque_signature_and_return_content(
    partner: Party, tmp_path: Path, stream: bool
) -> None:
    options = ["-nodetach", "-md", "sha256"] + (["-stream"] if stream else [])
    signature = _openssl_sign(partner, tmp_path, *options)
    info = cms.verify(signature, None, certificates=[partner.certificate])
    assert info.content == PAYLOAD


def test_we_verify_openssl_signature_without_embedded_certificate(
    partner: Party, tmp_path: Path
) -> None:
    signature = _openssl_sign(partner, tmp_path, "-nocerts")
    assert cms.verify(signature, PAYLOAD, certificates=[partner.certificate]).padding == Pkcs1v15()
    with pytest.raises(SignatureInvalid, match="neither included"):
        cms.verify(signature, PAYLOAD)


def test_we_verify_openssl_ecdsa_signature(tmp_path: Path) -> None:
    ecdsa = _make_party(tmp_path, "ecdsa", curve=ec.SECP256R1())
    signature = _openssl_sign(ecdsa, tmp_path, "-md", "sha384")
    info = cms.verify(signature, PAYLOAD, certificates=[ecdsa.certificate])
    assert (info.digest, info.signer) == ("sha384", ecdsa.certificate)


def _openssl_encrypt(tmp_path: Path, *options: str) -> bytes:
    (tmp_path / "content.bin").write_bytes(PAYLOAD)
    openssl(
        "cms", "-encrypt", "-binary", "-in", tmp_path / "content.bin", "-outform", "DER",
        "-out", tmp_path / "enc.der", *options,
    )  # fmt: skip
    return (tmp_path / "enc.der").read_bytes()


@pytest.mark.parametrize(
    ("options", "algorithm", "oaep"),
    [
        (("-des-ede3-cbc",), "3des", False),
        (("-aes-128-cbc",), "aes128", False),
        (("-aes-192-cbc",), "aes192", False),
        (("-aes-256-cbc", "-stream"), "aes256", False),
        (("-des-ede3-cbc", "-stream"), "3des", False),
        (("-aes-256-cbc", "-keyid"), "aes256", False),
        (("-aes-256-gcm",), "aes256-gcm", False),
        (("-aes-128-gcm",), "aes128-gcm", False),
        (("-aes-192-gcm", "-stream"), "aes192-gcm", False),
    ],
    ids=["3des", "aes128", "aes192", "ber-stream", "3des-ber", "keyid", "gcm256", "gcm128", "gcm"],
)
def test_we_decrypt_what_openssl_encrypts(
    ours: Party, tmp_path: Path, options: tuple[str, ...], algorithm: str, oaep: bool
) -> None:
    encrypted = _openssl_encrypt(tmp_path, *options, str(ours.cert_pem))
    result = cms.decrypt(encrypted, key=ours.key, certificate=ours.certificate)
    assert result == cms.DecryptedContent(
        PAYLOAD, ContentCipher(algorithm), Oaep() if oaep else Pkcs1v15()
    )


@pytest.mark.parametrize("oaep_md", ["sha1", "sha256", "sha512"])
def test_we_decrypt_openssl_oaep(ours: Party, tmp_path: Path, oaep_md: str) -> None:
    encrypted = _openssl_encrypt(
        tmp_path, "-aes-256-cbc", "-recip", str(ours.cert_pem),
        "-keyopt", "rsa_padding_mode:oaep", "-keyopt", f"rsa_oaep_md:{oaep_md}",
    )  # fmt: skip
    result = cms.decrypt(encrypted, key=ours.key)
    assert result == cms.DecryptedContent(
        PAYLOAD, ContentCipher.AES256_CBC, Oaep(Digest.from_name(oaep_md))
    )


def test_we_decrypt_for_any_of_several_recipients(
    ours: Party, stranger: Party, tmp_path: Path
) -> None:
    encrypted = _openssl_encrypt(
        tmp_path, "-aes-128-cbc", str(stranger.cert_pem), str(ours.cert_pem)
    )
    assert cms.decrypt(encrypted, key=ours.key, certificate=ours.certificate).content == PAYLOAD
    # Without our certificate every recipient is tried until one opens the content.
    assert cms.decrypt(encrypted, key=ours.key).content == PAYLOAD


def test_we_decrypt_even_if_the_recipient_names_another_certificate_of_ours(
    ours: Party, tmp_path: Path
) -> None:
    # A partner encrypting to our renewed certificate (same key, new serial) must still work.
    renewed = (
        x509.CertificateBuilder()
        .subject_name(ours.certificate.subject)
        .issuer_name(ours.certificate.issuer)
        .public_key(ours.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(ours.certificate.not_valid_before_utc)
        .not_valid_after(ours.certificate.not_valid_after_utc)
        .sign(ours.key, hashes.SHA256())
    )
    encrypted = cms.encrypt(PAYLOAD, Recipient(renewed, ContentCipher.AES128_CBC))
    assert cms.decrypt(encrypted, key=ours.key, certificate=ours.certificate).content == PAYLOAD


# ---------------------------------------------------------------------------- real vectors


@pytest.fixture(scope="session")
def test_p12() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """The key and certificate the Mendelson vectors were encrypted for."""
    key, certificate, _ = pkcs12.load_key_and_certificates(
        (VECTORS / "cert_test.p12").read_bytes(), b"test"
    )
    assert isinstance(key, rsa.RSAPrivateKey) and certificate is not None
    return key, certificate


@pytest.mark.parametrize(
    "name",
    [
        "mecas2_encrypted.as2",
        "mecas2_signed_encrypted.as2",
        "mecas2_compressed_signed_encrypted.as2",
    ],
)
def test_decrypts_mendelson_ber_3des_vectors(
    test_p12: tuple[rsa.RSAPrivateKey, x509.Certificate], name: str
) -> None:
    headers, body = http_body((VECTORS / name).read_bytes())
    # No Content-Transfer-Encoding header: the body is the raw BER.
    assert b"content-transfer-encoding" not in headers.lower()
    key, certificate = test_p12
    result = cms.decrypt(body, key=key, certificate=certificate)
    assert result.cipher is ContentCipher.TRIPLE_DES
    assert result.key_transport == Pkcs1v15()
    if name == "mecas2_encrypted.as2":
        assert result.content == (VECTORS / "payload.txt").read_bytes()
    else:
        assert result.content.startswith(b"Content-Type: multipart/signed")


def test_mendelson_vector_does_not_open_with_another_key(
    ours: Party, test_p12: tuple[rsa.RSAPrivateKey, x509.Certificate]
) -> None:
    _, body = http_body((VECTORS / "mecas2_encrypted.as2").read_bytes())
    with pytest.raises(DecryptionFailed, match="CN=pyas2lib"):
        cms.decrypt(body, key=ours.key, certificate=ours.certificate)


def test_verifies_sterling_binary_sha1_signature_without_signed_attributes() -> None:
    _, body = http_body((VECTORS / "sb2bi_signed.mdn").read_bytes())
    delimiter = b"--_=33811828372951114Sterling33811828372951114MOKO"
    _, report, signature_part, _ = body.split(delimiter)
    # The CRLF before each delimiter belongs to the delimiter (RFC 2046).
    signed_entity = report.removeprefix(b"\r\n").removesuffix(b"\r\n")
    signature = signature_part.split(b"\r\n\r\n", 1)[1].removesuffix(b"\r\n")
    certificate = x509.load_pem_x509_certificate((VECTORS / "cert_sb2bi_public.pem").read_bytes())
    info = cms.verify(signature, signed_entity, certificates=[certificate])
    assert (info.digest, info.padding == Pss(), info.signer) == ("sha1", False, certificate)
    with pytest.raises(SignatureInvalid):
        cms.verify(signature, signed_entity.replace(b"processed", b"Processed"), certificates=[
            certificate
        ])  # fmt: skip


# ---------------------------------------------------------------------------- failures


def test_tampered_content_fails_the_integrity_check(ours: Party) -> None:
    signature = cms.sign(PAYLOAD, Signer(ours.key, ours.certificate))
    with pytest.raises(IntegrityCheckFailed, match="altered after signing") as caught:
        cms.verify(signature, PAYLOAD + b"!", certificates=[ours.certificate])
    assert isinstance(caught.value, SignatureInvalid)
    assert caught.value.disposition == "integrity-check-failed"


def test_tampered_signature_value_is_rejected(ours: Party) -> None:
    signature = bytearray(cms.sign(PAYLOAD, Signer(ours.key, ours.certificate)))
    signature[-5] ^= 0x01  # inside the RSA signature value, the last field
    with pytest.raises(SignatureInvalid, match="does not verify") as caught:
        cms.verify(bytes(signature), PAYLOAD, certificates=[ours.certificate])
    assert caught.value.disposition == "authentication-failed"


def test_tampered_content_without_signed_attributes_is_rejected(ours: Party) -> None:
    signature = cms.sign(PAYLOAD, Signer(ours.key, ours.certificate), signed_attributes=False)
    with pytest.raises(SignatureInvalid):
        cms.verify(signature, PAYLOAD[:-1], certificates=[ours.certificate])


def test_signature_by_an_unexpected_certificate_names_both_serials(
    ours: Party, partner: Party
) -> None:
    signature = cms.sign(PAYLOAD, Signer(ours.key, ours.certificate))
    with pytest.raises(SignatureInvalid) as caught:
        cms.verify(signature, PAYLOAD, certificates=[partner.certificate])
    message = str(caught.value)
    assert f"signed with certificate serial {ours.certificate.serial_number:X}" in message
    assert "issued by CN=ours,O=Serverless AS2 tests;" in message
    assert f"expects certificate serial {partner.certificate.serial_number:X}" in message


def test_signature_with_no_configured_certificate_says_so(ours: Party) -> None:
    signature = cms.sign(PAYLOAD, Signer(ours.key, ours.certificate))
    with pytest.raises(SignatureInvalid, match="none is configured"):
        cms.verify(signature, PAYLOAD, certificates=[])


def test_forged_signer_certificate_with_the_trusted_serial_is_rejected(
    ours: Party, partner: Party
) -> None:
    # An attacker reuses the partner's issuer and serial on a certificate for their own key.
    forged = (
        x509.CertificateBuilder()
        .subject_name(partner.certificate.subject)
        .issuer_name(partner.certificate.issuer)
        .public_key(ours.key.public_key())
        .serial_number(partner.certificate.serial_number)
        .not_valid_before(partner.certificate.not_valid_before_utc)
        .not_valid_after(partner.certificate.not_valid_after_utc)
        .sign(ours.key, hashes.SHA256())
    )
    signature = cms.sign(PAYLOAD, Signer(ours.key, forged))
    with pytest.raises(SignatureInvalid, match="does not verify"):
        cms.verify(signature, PAYLOAD, certificates=[partner.certificate])


def test_detached_signature_without_content_is_malformed(ours: Party) -> None:
    signature = cms.sign(PAYLOAD, Signer(ours.key, ours.certificate))
    with pytest.raises(MalformedMessage, match="detached"):
        cms.verify(signature, None)


def test_wrong_key_fails_decryption_with_a_sentence(ours: Party, partner: Party) -> None:
    for algorithm in cms.ENCRYPT_ALGORITHMS:
        encrypted = cms.encrypt(PAYLOAD, Recipient(partner.certificate, ContentCipher(algorithm)))
        with pytest.raises(DecryptionFailed, match="could not be decrypted") as caught:
            cms.decrypt(encrypted, key=ours.key, certificate=ours.certificate)
        assert f"serial {partner.certificate.serial_number:X}" in str(caught.value)
        assert caught.value.disposition == "decryption-failed"


def test_tampered_gcm_ciphertext_fails_decryption(ours: Party) -> None:
    encrypted = bytearray(
        cms.encrypt(PAYLOAD, Recipient(ours.certificate, ContentCipher.AES256_GCM))
    )
    encrypted[-100] ^= 0x01  # inside the ciphertext, before the 16-byte tag
    with pytest.raises(DecryptionFailed):
        cms.decrypt(bytes(encrypted), key=ours.key)


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"hello world",
        b"\x30\x03\x02\x01",
        b"\x30\x80",
        b"\x04\x02ab",
        b"\x30\x84\xff\xff\xff\xff",
    ],
)
def test_garbage_is_malformed_everywhere(ours: Party, garbage: bytes) -> None:
    with pytest.raises(MalformedMessage):
        cms.content_type_of(garbage)
    with pytest.raises(MalformedMessage):
        cms.verify(garbage, PAYLOAD)
    with pytest.raises(MalformedMessage):
        cms.decrypt(garbage, key=ours.key)
    with pytest.raises(MalformedMessage):
        cms.decompress(garbage, max_size=100)


def test_wrong_content_type_is_reported(ours: Party) -> None:
    compressed = cms.compress(PAYLOAD)
    with pytest.raises(MalformedMessage, match="compressed-data, not encrypted"):
        cms.decrypt(compressed, key=ours.key)
    with pytest.raises(MalformedMessage, match="compressed-data, where signed-data"):
        cms.verify(compressed, PAYLOAD)


@pytest.fixture(scope="session")
def valid_messages(ours: Party, tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """One message of each kind, ours in DER and openssl's in streamed BER, for mutation."""
    directory = tmp_path_factory.mktemp("mutations")
    (directory / "content.bin").write_bytes(PAYLOAD[:300])
    openssl(
        "cms", "-encrypt", "-binary", "-aes-128-cbc", "-stream", "-in", directory / "content.bin",
        "-outform", "DER", "-out", directory / "enc.ber", ours.cert_pem,
    )  # fmt: skip
    openssl(
        "cms", "-sign", "-binary", "-nodetach", "-stream", "-in", directory / "content.bin",
        "-signer", ours.cert_pem, "-inkey", ours.key_pem, "-outform", "DER",
        "-out", directory / "sig.ber",
    )  # fmt: skip
    return [
        (directory / "enc.ber").read_bytes(),
        (directory / "sig.ber").read_bytes(),
        cms.sign(PAYLOAD[:300], Signer(ours.key, ours.certificate)),
        cms.encrypt(PAYLOAD[:300], Recipient(ours.certificate, ContentCipher.AES128_CBC)),
        cms.encrypt(PAYLOAD[:300], Recipient(ours.certificate, ContentCipher.AES128_GCM)),
        cms.compress(PAYLOAD[:300]),
    ]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(which=st.integers(0, 5), position=st.integers(0, 10_000), value=st.integers(0, 255),
       cut=st.booleans())  # fmt: skip
def test_mutated_messages_raise_only_as2_errors(
    ours: Party, valid_messages: list[bytes], which: int, position: int, value: int, cut: bool
) -> None:
    message = bytearray(valid_messages[which])
    position %= len(message)
    if cut:
        del message[position:]
    else:
        message[position] = value
    for operation in (
        lambda: cms.content_type_of(bytes(message)),
        lambda: cms.verify(bytes(message), PAYLOAD[:300], certificates=[ours.certificate]),
        lambda: cms.verify(bytes(message), None),
        lambda: cms.decrypt(bytes(message), key=ours.key, certificate=ours.certificate),
        lambda: cms.decompress(bytes(message), max_size=1000),
    ):
        try:
            operation()
        except As2Error as error:
            assert str(error)


# ---------------------------------------------------------------------------- the fast path
# verify() and decrypt() read the common shapes with ber.py and everything else with asn1crypto,
# then check what they read with one code path. Both must give the same answer, errors included;
# and the common shapes must take the fast reader.


def _slow_and_fast(monkeypatch: pytest.MonkeyPatch, run, fast_path: str):
    """(result with the fast path switched off, result as shipped, whether the fast path answered)."""
    module = signed_fast if fast_path == "read_common_signed_data" else enveloped_fast
    real = getattr(module, fast_path)
    answered = []

    def recorded(*args, **kwargs):
        result = real(*args, **kwargs)
        answered.append(result is not None)
        return result

    with monkeypatch.context() as patch:
        patch.setattr(module, fast_path, lambda *args, **kwargs: None)
        slow = run()
    with monkeypatch.context() as patch:
        patch.setattr(module, fast_path, recorded)
        fast = run()
    return slow, fast, any(answered)


@pytest.mark.parametrize(
    ("options", "common"),
    [
        (("-md", "sha1"), True),
        (("-md", "sha256"), True),
        (("-md", "sha512", "-noattr"), True),
        (("-md", "sha256", "-keyid"), True),
        (("-md", "sha256", "-keyopt", "rsa_padding_mode:pss"), False),
    ],
    ids=["sha1", "sha256", "sha512-noattr", "keyid", "pss"],
)
def test_fast_signature_check_agrees_with_asn1crypto_on_openssl_signatures(
    partner: Party, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options, common
) -> None:
    signature = _openssl_sign(partner, tmp_path, *options)
    slow, fast, answered = _slow_and_fast(
        monkeypatch,
        lambda: cms.verify(signature, PAYLOAD, certificates=[partner.certificate]),
        "read_common_signed_data",
    )
    assert fast == slow and fast.content_digest == slow.content_digest
    assert answered is common


@pytest.mark.parametrize("digest_algorithm", cms.SIGN_ALGORITHMS)
def test_fast_signature_check_agrees_with_asn1crypto_on_ours(
    ours: Party, monkeypatch: pytest.MonkeyPatch, digest_algorithm: str
) -> None:
    signature = cms.sign(PAYLOAD, Signer(ours.key, ours.certificate, Digest(digest_algorithm)))
    slow, fast, answered = _slow_and_fast(
        monkeypatch,
        lambda: cms.verify(signature, PAYLOAD, certificates=[ours.certificate]),
        "read_common_signed_data",
    )
    assert (fast, fast.content_digest) == (slow, slow.content_digest) and answered


@pytest.mark.parametrize(
    "tamper",
    [
        lambda signature, data: (signature, data + b"!"),
        lambda signature, data: (signature[:-1] + bytes([signature[-1] ^ 1]), data),
    ],
    ids=["content", "signature"],
)
def test_a_tampered_signature_gets_the_same_error_from_both_readers(
    ours: Party, monkeypatch: pytest.MonkeyPatch, tamper
) -> None:
    signature, data = tamper(cms.sign(PAYLOAD, Signer(ours.key, ours.certificate)), PAYLOAD)

    def attempt() -> str:
        with pytest.raises(SignatureInvalid) as raised:
            cms.verify(signature, data, certificates=[ours.certificate])
        return f"{type(raised.value).__name__}: {raised.value}"

    slow, fast, answered = _slow_and_fast(monkeypatch, attempt, "read_common_signed_data")
    assert fast == slow and answered  # read fast; judged by the one checker


@pytest.mark.parametrize(
    ("algorithm", "oaep", "common"),
    [
        ("aes128", False, True),
        ("aes192", False, True),
        ("aes256", False, True),
        ("3des", False, True),
        ("aes256", True, False),
        ("aes256-gcm", False, True),
    ],
)
def test_fast_decrypt_agrees_with_asn1crypto(
    ours: Party, monkeypatch: pytest.MonkeyPatch, algorithm: str, oaep: bool, common: bool
) -> None:
    encrypted = cms.encrypt(
        PAYLOAD,
        Recipient(
            ours.certificate, ContentCipher(algorithm), key_transport=Oaep() if oaep else Pkcs1v15()
        ),
    )
    slow, fast, answered = _slow_and_fast(
        monkeypatch,
        lambda: cms.decrypt(encrypted, key=ours.key, certificate=ours.certificate),
        "read_common_recipients",
    )
    assert (
        fast
        == slow
        == cms.DecryptedContent(PAYLOAD, ContentCipher(algorithm), Oaep() if oaep else Pkcs1v15())
    )
    assert answered is common


def test_decrypt_with_the_wrong_key_gets_the_same_error_from_both_readers(
    ours: Party, partner: Party, monkeypatch: pytest.MonkeyPatch
) -> None:
    encrypted = cms.encrypt(PAYLOAD, Recipient(ours.certificate))

    def attempt() -> str:
        with pytest.raises(DecryptionFailed) as raised:
            cms.decrypt(encrypted, key=partner.key, certificate=ours.certificate)
        return str(raised.value)

    slow, fast, answered = _slow_and_fast(monkeypatch, attempt, "read_common_recipients")
    assert fast == slow and answered  # read fast; judged by the one checker
