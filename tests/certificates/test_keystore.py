"""certificates.keystore: certificates and PKCS#12 files, checked against keytool and openssl."""

import random
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID

from certificates import keystore
from certificates.keystore import (
    KEY_SIZES,
    MAX_UPLOAD_BYTES,
    AliasNotFound,
    CertificateNotValidNow,
    EmptyFile,
    FileTooLarge,
    InvalidValue,
    KeyCertificateMismatch,
    KeyNotReadable,
    KeystoreError,
    KeystoreUploaded,
    NoPrivateKey,
    NotACertificate,
    NotAKeystore,
    PrivateKeyUploaded,
    UnsupportedKey,
    WrongPassword,
    build_complete_keystore,
    build_partner_keystore,
    certificate_info,
    certificate_to_pem,
    generate_self_signed,
    list_keystore_aliases,
    load_partner_certificate,
    load_private_keystore,
)
from tests.certificates.cli import (
    KEYTOOL,
    OPENSSL,
    keytool_entries,
    keytool_genkeypair,
    needs_keytool,
    needs_openssl,
    run,
)

DATA = Path(__file__).parent / "data"

PASSWORD = "s3cret-Keystore"
NOW = datetime.now(UTC)
# cert_test.p12 (password "test"), as keytool -list -v reports it.
CERT_TEST_SHA256 = (
    "0B:C2:2C:31:7A:28:A6:7B:C6:A5:94:34:A0:A9:55:6B:"
    "3C:0B:FA:EA:3B:79:A5:B7:43:7A:F1:37:2D:AC:2C:C4"
)


# -- helpers -----------------------------------------------------------------------------------


def make_certificate(
    key,
    *,
    common_name: str,
    not_before: datetime = NOW - timedelta(days=1),
    not_after: datetime = NOW + timedelta(days=365),
    issuer: x509.Certificate | None = None,
    issuer_key=None,
    ca: bool = False,
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key or key, hashes.SHA256())
    )


def p12(key, certificate, *, alias: str = "mine", password: str = PASSWORD, cas=None) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        alias.encode(),
        key,
        certificate,
        cas,
        serialization.BestAvailableEncryption(password.encode()),
    )


def splice(*, key_from: bytes, certificates_from: bytes, password: str = PASSWORD) -> bytes:
    """A PKCS#12 with the key bag of one file and the certificates of another, MAC recomputed."""
    key_pfx = asn1_pkcs12.Pfx.load(key_from)
    certificate_pfx = asn1_pkcs12.Pfx.load(certificates_from)
    contents = [
        *(ci for ci in keystore._authenticated_safe(certificate_pfx) if _encrypted(ci)),
        *(ci for ci in keystore._authenticated_safe(key_pfx) if not _encrypted(ci)),
    ]
    return keystore._pfx(contents, password=password, mac_template=certificate_pfx["mac_data"])


def _encrypted(content_info) -> bool:
    return content_info["content_type"].native == "encrypted_data"


def openssl_info(path: Path, password: str) -> subprocess.CompletedProcess:
    return run(
        OPENSSL, "pkcs12", "-info", "-noout", "-in", str(path), "-passin", f"pass:{password}"
    )


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def ours() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    return generate_self_signed(
        common_name="mycompany", organization="My Company", email="edi@my.example"
    )


@pytest.fixture(scope="session")
def partner() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    return generate_self_signed(common_name="amazon")


@pytest.fixture(scope="session")
def spare_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def weak_key() -> rsa.RSAPrivateKey:
    # Partners still send such certificates; the UI must flag them.
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505


@pytest.fixture(scope="session")
def complete_keystore(ours, partner) -> bytes:
    key, certificate = ours
    return build_complete_keystore(
        password=PASSWORD,
        private_key_alias="mycompany",
        key=key,
        certificate=certificate,
        partner_alias="amazon",
        partner_certificate=partner[1],
    )


@pytest.fixture(scope="session")
def partner_keystore(partner) -> bytes:
    return build_partner_keystore(
        password=PASSWORD, partner_alias="amazon", partner_certificate=partner[1]
    )


@pytest.fixture(scope="session")
def keytool_stores(tmp_path_factory) -> dict[str, bytes]:
    """A keytool keystore with one key ("alpha") and one with two ("alpha", then "beta")."""
    if KEYTOOL is None:
        pytest.skip("the keytool CLI (Java) is not installed")
    path = tmp_path_factory.mktemp("keytool") / "store.p12"
    keytool_genkeypair(path, alias="alpha", password=PASSWORD)
    one = path.read_bytes()
    keytool_genkeypair(path, alias="beta", password=PASSWORD)
    return {"one": one, "two": path.read_bytes()}


@pytest.fixture(scope="session")
def openssl_stores(tmp_path_factory, ours) -> dict[str, bytes]:
    """`openssl pkcs12 -export` of our key and certificate: default, -legacy, and unnamed."""
    if OPENSSL is None:
        pytest.skip("the openssl CLI is not installed")
    folder = tmp_path_factory.mktemp("openssl")
    key, certificate = ours
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (folder / "key.pem").write_bytes(key_pem)
    (folder / "cert.pem").write_bytes(certificate_to_pem(certificate))
    stores = {}
    for name, extra in (
        ("default", ["-name", "osslkey"]),
        ("legacy", ["-name", "osslkey", "-legacy"]),
        ("unnamed", []),
    ):
        out = folder / f"{name}.p12"
        result = run(
            OPENSSL, "pkcs12", "-export", "-inkey", str(folder / "key.pem"),
            "-in", str(folder / "cert.pem"), "-out", str(out), "-passout", f"pass:{PASSWORD}",
            *extra,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        stores[name] = out.read_bytes()
    return stores


# -- generate_self_signed ------------------------------------------------------------------------


def test_generated_certificate_is_self_signed_rsa_for_signing_and_encryption(ours):
    key, certificate = ours
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    assert certificate.public_key() == key.public_key()
    certificate.verify_directly_issued_by(certificate)
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature and usage.value.key_encipherment
    assert not usage.value.key_cert_sign
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.value.ca is False
    ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aki = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    assert certificate.signature_hash_algorithm.name == "sha256"


def test_generated_certificate_starts_a_minute_ago_and_lasts_the_chosen_days(ours):
    _, certificate = ours
    not_before, not_after = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    assert timedelta(seconds=30) < datetime.now(UTC) - not_before < timedelta(minutes=5)
    assert not_after - not_before == timedelta(days=730, minutes=1)


def test_generated_subject_has_common_name_organization_and_email(ours):
    subject = ours[1].subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "mycompany"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "My Company"
    assert subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)[0].value == "edi@my.example"
    assert (
        certificate_info(ours[1]).subject == "CN=mycompany,emailAddress=edi@my.example,O=My Company"
    )


def test_generated_subject_with_only_a_common_name(partner):
    assert certificate_info(partner[1]).subject == "CN=amazon"


def test_generated_serial_numbers_are_random(ours, partner):
    assert ours[1].serial_number != partner[1].serial_number
    assert ours[1].serial_number.bit_length() > 100


def test_generate_offers_3072_bit_keys():
    key, certificate = generate_self_signed(common_name="big", key_size=3072, validity_days=30)
    assert key.key_size == 3072 == certificate_info(certificate).key_size
    assert KEY_SIZES == (2048, 3072, 4096)


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"key_size": 1024}, "2048, 3072, 4096"),
        ({"validity_days": 0}, "between 1 and 3650 days"),
        ({"common_name": ""}, "common name must be 1 to 64"),
        ({"common_name": "x" * 65}, "common name must be 1 to 64"),
        ({"organization": "o" * 65}, "organization must be 1 to 64"),
        ({"email": "not an address"}, "e-mail address"),
    ],
)
def test_generate_refuses_unacceptable_values_with_a_sentence(arguments, words):
    with pytest.raises(InvalidValue, match=words):
        generate_self_signed(**{"common_name": "me", **arguments})


# -- certificate_info ----------------------------------------------------------------------------


def test_certificate_info_describes_the_certificate(ours):
    info = certificate_info(ours[1])
    assert info.issuer == info.subject and info.self_signed
    assert info.serial == format(ours[1].serial_number, "X")
    assert re.fullmatch(r"[0-9A-F]+", info.serial)
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", info.sha256_fingerprint)
    assert (info.key_type, info.key_size, info.weak_key) == ("RSA", 2048, False)
    assert info.not_before.tzinfo == UTC and info.not_after.tzinfo == UTC
    assert info.days_left(now=info.not_after - timedelta(days=30, hours=1)) == 30
    assert info.days_left(now=info.not_after + timedelta(days=1, hours=1)) == -2


def test_certificate_info_marks_rsa_1024_as_weak(weak_key):
    info = certificate_info(make_certificate(weak_key, common_name="old"))
    assert (info.key_size, info.weak_key) == (1024, True)


def test_certificate_info_names_other_key_types():
    key = ec.generate_private_key(ec.SECP256R1())
    info = certificate_info(make_certificate(key, common_name="ec"))
    assert (info.key_type, info.key_size, info.weak_key) == ("EC", 256, False)


def test_certificate_to_pem_round_trips(ours):
    pem = certificate_to_pem(ours[1])
    assert pem.startswith(b"-----BEGIN CERTIFICATE-----\n")
    assert load_partner_certificate(pem) == ours[1]


# -- load_partner_certificate --------------------------------------------------------------------


def test_partner_certificate_in_pem_der_and_pem_with_text_around(partner):
    certificate = partner[1]
    pem = certificate_to_pem(certificate)
    der = certificate.public_bytes(serialization.Encoding.DER)
    wrapped = b"Hello, here is our certificate:\r\n\r\n" + pem + b"\r\nRegards, EDI team\r\n"
    for data in (pem, der, wrapped):
        assert load_partner_certificate(data) == certificate


def test_partner_chain_in_any_order_yields_the_end_entity_certificate(spare_key, partner):
    root = make_certificate(spare_key, common_name="Partner Root CA", ca=True)
    leaf = make_certificate(
        partner[0], common_name="as2.partner", issuer=root, issuer_key=spare_key
    )
    for order in ([leaf, root], [root, leaf]):
        pem = b"".join(certificate_to_pem(c) for c in order)
        assert load_partner_certificate(pem) == leaf
    for encoding in (serialization.Encoding.PEM, serialization.Encoding.DER):
        bundle = pkcs7.serialize_certificates([root, leaf], encoding)
        assert load_partner_certificate(bundle) == leaf


@pytest.mark.parametrize(
    "private_format",
    [serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL],
)
@pytest.mark.parametrize("encrypted", [False, True])
def test_partner_file_that_is_a_private_key_is_refused(spare_key, private_format, encrypted):
    encryption = (
        serialization.BestAvailableEncryption(b"pw") if encrypted else serialization.NoEncryption()
    )
    pem = spare_key.private_bytes(serialization.Encoding.PEM, private_format, encryption)
    with pytest.raises(PrivateKeyUploaded, match="never send or upload private keys"):
        load_partner_certificate(pem)


def test_partner_pem_with_certificate_and_private_key_is_refused(partner):
    key_pem = partner[0].private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(PrivateKeyUploaded):
        load_partner_certificate(certificate_to_pem(partner[1]) + key_pem)


@pytest.mark.parametrize("encrypted", [False, True])
def test_partner_file_that_is_a_der_private_key_is_refused(spare_key, encrypted):
    encryption = (
        serialization.BestAvailableEncryption(b"pw") if encrypted else serialization.NoEncryption()
    )
    der = spare_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, encryption
    )
    with pytest.raises(PrivateKeyUploaded):
        load_partner_certificate(der)


def test_partner_file_that_is_a_p12_is_refused(complete_keystore, partner_keystore):
    for data in (complete_keystore, partner_keystore):
        with pytest.raises(KeystoreUploaded, match=r"PKCS#12 keystore .* not a certificate"):
            load_partner_certificate(data)


@pytest.mark.parametrize(
    "data",
    [
        random.Random(7).randbytes(2048),
        b"just some text, no certificate here\n",
        b"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n",
        b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
    ],
    ids=["random-bytes", "text", "csr", "broken-pem"],
)
def test_partner_file_that_is_not_a_certificate_is_refused(data):
    with pytest.raises(NotACertificate, match="not an X.509 certificate"):
        load_partner_certificate(data)


def test_partner_file_that_is_empty_is_refused():
    with pytest.raises(EmptyFile, match="The file is empty."):
        load_partner_certificate(b"")


def test_partner_file_over_one_megabyte_is_refused(partner):
    padded = certificate_to_pem(partner[1]) + b" " * MAX_UPLOAD_BYTES
    with pytest.raises(FileTooLarge, match="larger than 1 MB"):
        load_partner_certificate(padded)


def test_partner_file_of_exactly_one_megabyte_is_read(partner):
    pem = certificate_to_pem(partner[1])
    assert load_partner_certificate(pem + b"\n" * (MAX_UPLOAD_BYTES - len(pem))) == partner[1]


def test_expired_partner_certificate_is_refused_with_its_dates(spare_key):
    certificate = make_certificate(
        spare_key,
        common_name="expired",
        not_before=datetime(2020, 1, 1, tzinfo=UTC),
        not_after=datetime(2022, 6, 30, 12, 0, tzinfo=UTC),
    )
    with pytest.raises(CertificateNotValidNow) as raised:
        load_partner_certificate(certificate_to_pem(certificate))
    assert str(raised.value) == (
        "This certificate expired on 2022-06-30 12:00 UTC "
        "(valid from 2020-01-01 00:00 UTC to 2022-06-30 12:00 UTC). "
        "Ask your partner for their current certificate."
    )


def test_not_yet_valid_partner_certificate_is_refused_with_its_dates(spare_key):
    starts = (NOW + timedelta(days=10)).replace(second=0, microsecond=0)
    certificate = make_certificate(
        spare_key, common_name="future", not_before=starts, not_after=starts + timedelta(days=365)
    )
    with pytest.raises(CertificateNotValidNow, match="not valid yet") as raised:
        load_partner_certificate(certificate_to_pem(certificate))
    assert f"valid from {starts:%Y-%m-%d %H:%M} UTC" in str(raised.value)


def test_partner_certificate_validity_is_judged_at_the_time_given(partner):
    later = partner[1].not_valid_after_utc + timedelta(seconds=1)
    with pytest.raises(CertificateNotValidNow, match="expired"):
        load_partner_certificate(certificate_to_pem(partner[1]), now=later)


def test_partner_certificate_with_a_weak_key_is_accepted_and_flagged(weak_key):
    certificate = load_partner_certificate(
        certificate_to_pem(make_certificate(weak_key, common_name="legacy"))
    )
    assert certificate_info(certificate).weak_key


def test_partner_certificate_with_an_ec_key_is_refused():
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(UnsupportedKey, match="need an RSA key"):
        load_partner_certificate(certificate_to_pem(make_certificate(key, common_name="ec")))


# -- list_keystore_aliases and load_private_keystore ---------------------------------------------


@needs_keytool
def test_import_p12_made_by_keytool_genkeypair(keytool_stores):
    data = keytool_stores["one"]
    assert list_keystore_aliases(data, password=PASSWORD).private_key_aliases == ("alpha",)
    entry = load_private_keystore(data, password=PASSWORD, alias="alpha")
    assert entry.alias == "alpha"
    assert entry.certificate.public_key() == entry.key.public_key()
    assert certificate_info(entry.certificate).subject == "CN=alpha,O=Test"


@needs_keytool
def test_import_p12_with_two_private_keys_uses_the_one_named(keytool_stores):
    data = keytool_stores["two"]
    contents = list_keystore_aliases(data, password=PASSWORD)
    assert contents.private_key_aliases == ("alpha", "beta")
    assert contents.certificate_aliases == ()
    # load_pkcs12 alone would hand back alpha's key, whatever was asked for.
    for alias in ("beta", "alpha"):
        entry = load_private_keystore(data, password=PASSWORD, alias=alias)
        assert entry.certificate.subject.rfc4514_string() == f"CN={alias},O=Test"
        assert entry.certificate.public_key() == entry.key.public_key()


@needs_keytool
def test_import_p12_alias_is_matched_without_regard_to_case_like_keytool(keytool_stores):
    entry = load_private_keystore(keytool_stores["two"], password=PASSWORD, alias="BETA")
    assert entry.alias == "beta"


@needs_keytool
def test_import_p12_alias_not_in_file_lists_the_aliases_it_has(keytool_stores):
    with pytest.raises(AliasNotFound) as raised:
        load_private_keystore(keytool_stores["two"], password=PASSWORD, alias="gamma")
    assert (
        str(raised.value)
        == "No private key named 'gamma' in this keystore; it has: 'alpha', 'beta'."
    )
    assert raised.value.aliases == ("alpha", "beta")


@needs_openssl
@pytest.mark.parametrize("variant", ["default", "legacy"])
def test_import_p12_made_by_openssl_export(openssl_stores, ours, variant):
    data = openssl_stores[variant]
    assert list_keystore_aliases(data, password=PASSWORD).private_key_aliases == ("osslkey",)
    entry = load_private_keystore(data, password=PASSWORD, alias="osslkey")
    assert entry.certificate == ours[1]
    assert entry.key.private_numbers() == ours[0].private_numbers()


@needs_openssl
def test_import_p12_without_names_offers_keytools_numbering(openssl_stores, ours):
    data = openssl_stores["unnamed"]
    assert list_keystore_aliases(data, password=PASSWORD).private_key_aliases == ("1",)
    assert load_private_keystore(data, password=PASSWORD, alias="1").certificate == ours[1]


def test_import_the_public_test_vector_cert_test_p12():
    data = (DATA / "cert_test.p12").read_bytes()
    assert list_keystore_aliases(data, password="test").private_key_aliases == ("1",)
    entry = load_private_keystore(data, password="test", alias="1")
    info = certificate_info(entry.certificate)
    assert info.sha256_fingerprint == CERT_TEST_SHA256
    assert info.subject.startswith("CN=pyas2lib,")
    assert entry.chain == ()


def test_import_p12_keeps_the_chain_beside_the_key(spare_key, partner):
    root = make_certificate(spare_key, common_name="Root CA", ca=True)
    leaf = make_certificate(partner[0], common_name="as2.me", issuer=root, issuer_key=spare_key)
    data = p12(partner[0], leaf, cas=[root])
    entry = load_private_keystore(data, password=PASSWORD, alias="mine")
    assert (entry.certificate, entry.chain) == (leaf, (root,))


@pytest.mark.parametrize("function", [list_keystore_aliases, load_private_keystore])
def test_import_p12_with_wrong_password_says_so(complete_keystore, function):
    arguments = {"password": "not-the-password"}
    if function is load_private_keystore:
        arguments["alias"] = "mycompany"
    with pytest.raises(WrongPassword) as raised:
        function(complete_keystore, **arguments)
    assert str(raised.value) == "The password does not open this keystore."
    assert "not-the-password" not in str(raised.value)


def test_import_the_test_vector_with_wrong_password_says_so():
    with pytest.raises(WrongPassword):
        list_keystore_aliases((DATA / "cert_test.p12").read_bytes(), password="tset")


def test_import_p12_without_private_key_says_so(partner_keystore):
    contents = list_keystore_aliases(partner_keystore, password=PASSWORD)
    assert contents.private_key_aliases == ()
    assert contents.certificate_aliases == ("amazon",)
    with pytest.raises(NoPrivateKey, match=r"no private key, only certificates \('amazon'\)"):
        load_private_keystore(partner_keystore, password=PASSWORD, alias="amazon")


def test_import_p12_whose_key_and_certificate_do_not_match_is_refused(ours, partner):
    spliced = splice(
        key_from=p12(ours[0], ours[1], alias="mine"),
        certificates_from=p12(partner[0], partner[1], alias="mine"),
    )
    assert list_keystore_aliases(spliced, password=PASSWORD).private_key_aliases == ("mine",)
    with pytest.raises(KeyCertificateMismatch, match="'mine' does not match the certificate"):
        load_private_keystore(spliced, password=PASSWORD, alias="mine")


def test_import_p12_whose_key_has_another_password_is_refused(ours):
    spliced = splice(
        key_from=p12(ours[0], ours[1], password="key-password"),
        certificates_from=p12(ours[0], ours[1]),
    )
    with pytest.raises(KeyNotReadable, match="does not open with the keystore's password"):
        load_private_keystore(spliced, password=PASSWORD, alias="mine")


def test_import_p12_with_an_ec_key_is_refused():
    key = ec.generate_private_key(ec.SECP256R1())
    data = p12(key, make_certificate(key, common_name="ec"))
    with pytest.raises(UnsupportedKey, match="type EC"):
        load_private_keystore(data, password=PASSWORD, alias="mine")


@pytest.mark.parametrize(
    "data",
    [
        random.Random(12).randbytes(4096),
        b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    ],
    ids=["random-bytes", "pem"],
)
def test_import_file_that_is_not_a_p12_says_so(data):
    with pytest.raises(NotAKeystore, match=r"not a PKCS#12 keystore \(.p12 or .pfx\)"):
        list_keystore_aliases(data, password=PASSWORD)


def test_import_truncated_p12_says_so(complete_keystore):
    with pytest.raises(NotAKeystore, match="damaged or truncated"):
        load_private_keystore(complete_keystore[:-200], password=PASSWORD, alias="mycompany")


def test_import_empty_or_oversized_p12_is_refused(complete_keystore):
    with pytest.raises(EmptyFile):
        list_keystore_aliases(b"", password=PASSWORD)
    with pytest.raises(FileTooLarge):
        list_keystore_aliases(b"\0" * (MAX_UPLOAD_BYTES + 1), password=PASSWORD)


# -- build_complete_keystore and build_partner_keystore ------------------------------------------


def test_complete_keystore_reads_back_with_both_aliases(complete_keystore, ours, partner):
    contents = list_keystore_aliases(complete_keystore, password=PASSWORD)
    assert contents.private_key_aliases == ("mycompany",)
    assert contents.certificate_aliases == ("amazon",)
    entry = load_private_keystore(complete_keystore, password=PASSWORD, alias="mycompany")
    assert entry.certificate == ours[1]
    assert entry.key.private_numbers() == ours[0].private_numbers()
    loaded = pkcs12.load_pkcs12(complete_keystore, PASSWORD.encode())
    assert [c.certificate for c in loaded.additional_certs] == [partner[1]]


@needs_keytool
def test_complete_keystore_lists_private_key_and_trusted_cert_in_keytool(
    complete_keystore, tmp_path
):
    path = tmp_path / "complete.p12"
    path.write_bytes(complete_keystore)
    assert keytool_entries(path, PASSWORD) == {
        "mycompany": "PrivateKeyEntry",
        "amazon": "trustedCertEntry",
    }


@needs_keytool
def test_complete_keystore_keeps_the_chain_of_an_imported_key(spare_key, ours, partner, tmp_path):
    root = make_certificate(spare_key, common_name="Root CA", ca=True)
    leaf = make_certificate(ours[0], common_name="as2.me", issuer=root, issuer_key=spare_key)
    data = build_complete_keystore(
        password=PASSWORD, private_key_alias="me", key=ours[0], certificate=leaf,
        partner_alias="amazon", partner_certificate=partner[1], chain=[root],
    )  # fmt: skip
    assert load_private_keystore(data, password=PASSWORD, alias="me").chain == (root,)
    assert list_keystore_aliases(data, password=PASSWORD).certificate_aliases == ("amazon",)
    path = tmp_path / "chain.p12"
    path.write_bytes(data)
    assert keytool_entries(path, PASSWORD) == {
        "me": "PrivateKeyEntry",
        "amazon": "trustedCertEntry",
    }
    listing = run(KEYTOOL, "-J-Duser.language=en", "-list", "-v", "-storetype", "PKCS12",
                  "-keystore", str(path), "-storepass", PASSWORD, "-alias", "me")  # fmt: skip
    assert "Certificate chain length: 2" in listing.stdout


@needs_keytool
def test_partner_keystore_lists_only_the_trusted_cert_in_keytool(partner_keystore, tmp_path):
    path = tmp_path / "partner.p12"
    path.write_bytes(partner_keystore)
    assert keytool_entries(path, PASSWORD) == {"amazon": "trustedCertEntry"}


@needs_openssl
@pytest.mark.parametrize("name", ["complete_keystore", "partner_keystore"])
def test_built_keystores_open_in_openssl_without_legacy(request, name, tmp_path):
    path = tmp_path / f"{name}.p12"
    path.write_bytes(request.getfixturevalue(name))
    result = openssl_info(path, PASSWORD)
    assert result.returncode == 0, result.stderr
    assert "AES-256-CBC" in result.stdout + result.stderr
    assert openssl_info(path, "wrong-password").returncode != 0


@pytest.mark.parametrize("partner_alias", ["mycompany", "MyCompany"])
def test_complete_keystore_refuses_one_alias_for_both_entries(ours, partner, partner_alias):
    with pytest.raises(InvalidValue, match="must differ"):
        build_complete_keystore(
            password=PASSWORD, private_key_alias="mycompany", key=ours[0], certificate=ours[1],
            partner_alias=partner_alias, partner_certificate=partner[1],
        )  # fmt: skip


def test_complete_keystore_refuses_a_key_that_does_not_match_the_certificate(ours, partner):
    with pytest.raises(KeyCertificateMismatch):
        build_complete_keystore(
            password=PASSWORD, private_key_alias="mycompany", key=partner[0],
            certificate=ours[1], partner_alias="amazon", partner_certificate=partner[1],
        )  # fmt: skip


def test_keystores_refuse_an_empty_password_or_alias(ours, partner):
    with pytest.raises(InvalidValue, match="Choose a password"):
        build_partner_keystore(password="", partner_alias="amazon", partner_certificate=partner[1])
    with pytest.raises(InvalidValue, match="alias cannot be empty"):
        build_partner_keystore(password=PASSWORD, partner_alias=" ", partner_certificate=partner[1])


@pytest.mark.parametrize("password", ["pässwörd", "tab\there"])
def test_keystores_refuse_a_password_keytool_cannot_use(partner, password):
    # keytool 17: "Password is not ASCII" when writing, "password was incorrect" when reading.
    with pytest.raises(InvalidValue, match="only ASCII") as raised:
        build_partner_keystore(
            password=password, partner_alias="amazon", partner_certificate=partner[1]
        )
    assert password not in str(raised.value)


def test_keystore_errors_are_value_errors_with_a_sentence():
    assert issubclass(KeystoreError, ValueError)
    for error in (WrongPassword(), NotAKeystore(), EmptyFile(), FileTooLarge()):
        assert isinstance(error, KeystoreError) and str(error).endswith(".")


@pytest.mark.parametrize(
    ("name", "password"),
    [("cert_test.p12", "test")],
)
def test_mac_matches_the_one_openssl_wrote_with_sha1(name, password):
    pfx = asn1_pkcs12.Pfx.load((DATA / name).read_bytes())
    assert _recomputed_mac(pfx, password) == pfx["mac_data"]["mac"]["digest"].native


@needs_keytool
def test_mac_matches_the_one_keytool_wrote_with_sha256(keytool_stores):
    pfx = asn1_pkcs12.Pfx.load(keytool_stores["two"])
    assert pfx["mac_data"]["mac"]["digest_algorithm"]["algorithm"].native == "sha256"
    assert _recomputed_mac(pfx, PASSWORD) == pfx["mac_data"]["mac"]["digest"].native


def _recomputed_mac(pfx: asn1_pkcs12.Pfx, password: str) -> bytes:
    mac_data = pfx["mac_data"]
    return keystore._mac(
        pfx["auth_safe"]["content"].native,
        password=password,
        digest=mac_data["mac"]["digest_algorithm"]["algorithm"].native,
        salt=mac_data["mac_salt"].native,
        iterations=mac_data["iterations"].native,
    )
