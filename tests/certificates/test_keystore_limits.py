"""Keystores that would keep OpenSSL busy for minutes are refused before any key is derived.

Each file here is a normal PKCS#12 bent with asn1crypto so that one key derivation asks for
2^31-1 rounds (about 190 s of OpenSSL whatever the password). The refusal comes first, so
these tests are fast; were it missing, they would take minutes.
"""

import json
import os
import re
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import algos, cms
from asn1crypto import keys as asn1_keys
from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID
from django.core.files.uploadedfile import SimpleUploadedFile

from certificates import keystore, pbe, services
from certificates.keystore import (
    MAX_CHAIN_CERTIFICATES,
    MAX_KDF_ITERATIONS,
    KeyTooWeak,
    TooManyCertificates,
    TooManyIterations,
    UnsupportedProtection,
    WrongPassword,
    list_keystore_aliases,
    load_private_keystore,
)
from certificates.models import Certificate
from certificates.services import CertificateRefused
from tests.certificates.cli import OPENSSL
from tests.certificates.factories import (
    KEYSTORE_PASSWORD,
    certificate_for,
    p12,
    partner_pem,
    pem_of,
    rsa_key,
    self_signed,
)

BOMB = 2**31 - 1


@pytest.fixture(scope="module")
def normal() -> bytes:
    """cryptography's PKCS#12 (BestAvailableEncryption): a key bag in plain SafeContents, the
    certificate in PBES2-encrypted SafeContents, a MAC."""
    key = rsa_key(name="limits")
    return p12(key, self_signed(key, "limits"), alias="mykey")


def _contents(data: bytes) -> list[cms.ContentInfo]:
    return keystore._authenticated_safe(asn1_pkcs12.Pfx.load(data))


def _rebuilt(data: bytes, contents: list[cms.ContentInfo], *, mac_rounds: int = 2048) -> bytes:
    """A PFX over `contents` with a correct MAC (so only the bent rounds are wrong)."""
    template = asn1_pkcs12.Pfx.load(data)["mac_data"].copy()
    template["iterations"] = mac_rounds if mac_rounds <= MAX_KDF_ITERATIONS else 2048
    rebuilt = asn1_pkcs12.Pfx.load(
        keystore._pfx(contents, password=KEYSTORE_PASSWORD, mac_template=template)
    )
    if mac_rounds > MAX_KDF_ITERATIONS:  # the MAC is then wrong too: nobody gets that far
        rebuilt["mac_data"]["iterations"] = mac_rounds
    return rebuilt.dump(force=True)


def _set_rounds(algorithm: algos.EncryptionAlgorithm, rounds: int) -> None:
    algorithm["parameters"]["key_derivation_func"]["parameters"]["iteration_count"] = rounds


def _bent_key_bag(data: bytes, rounds: int | None) -> asn1_pkcs12.SafeContents:
    """The file's plain SafeContents, its shrouded key bag asking for `rounds` (None: as is)."""
    plain = next(ci for ci in _contents(data) if ci["content_type"].native == "data")
    bags = asn1_pkcs12.SafeContents.load(plain["content"].native).copy()
    for bag in bags:
        if bag["bag_id"].native == "pkcs8_shrouded_key_bag" and rounds is not None:
            _set_rounds(bag["bag_value"]["encryption_algorithm"], rounds)
    return bags


def mac_bomb(data: bytes) -> bytes:
    return _rebuilt(data, _contents(data), mac_rounds=BOMB)


def key_bag_bomb(data: bytes) -> bytes:
    contents = [
        cms.ContentInfo({"content_type": "data", "content": _bent_key_bag(data, BOMB).dump()})
        if ci["content_type"].native == "data"
        else ci
        for ci in _contents(data)
    ]
    return _rebuilt(data, contents)


def certificate_bag_bomb(data: bytes) -> bytes:
    contents = []
    for content_info in _contents(data):
        content_info = content_info.copy()
        if content_info["content_type"].native == "encrypted_data":
            encrypted = content_info["content"]["encrypted_content_info"]
            _set_rounds(encrypted["content_encryption_algorithm"], BOMB)
        contents.append(content_info)
    return _rebuilt(data, contents)


def _encrypted_safe_contents(safe_contents: bytes, *, password: str) -> cms.ContentInfo:
    """SafeContents encrypted as keytool and OpenSSL 3 do: PBES2, PBKDF2-SHA256, AES-256-CBC."""
    algorithm, ciphertext = _pbes2_encrypted(safe_contents, password=password)
    return cms.ContentInfo(
        {
            "content_type": "encrypted_data",
            "content": cms.EncryptedData(
                {
                    "version": "v0",
                    "encrypted_content_info": {
                        "content_type": "data",
                        "content_encryption_algorithm": algorithm,
                        "encrypted_content": ciphertext,
                    },
                }
            ),
        }
    )


def _pbes2_encrypted(plaintext: bytes, *, password: str) -> tuple[algos.EncryptionAlgorithm, bytes]:
    salt, iv = os.urandom(16), os.urandom(16)
    key = PBKDF2HMAC(hashes.SHA256(), 32, salt, 2048).derive(password.encode())
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padder.update(plaintext) + padder.finalize())
    algorithm = algos.EncryptionAlgorithm(
        {
            "algorithm": "pbes2",
            "parameters": {
                "key_derivation_func": {
                    "algorithm": "pbkdf2",
                    "parameters": {
                        "salt": ("specified", salt),
                        "iteration_count": 2048,
                        "prf": {"algorithm": "sha256"},
                    },
                },
                "encryption_scheme": {"algorithm": "aes256_cbc", "parameters": iv},
            },
        }
    )
    return algorithm, ciphertext + encryptor.finalize()


def hidden_key_bag(data: bytes, rounds: int | None) -> bytes:
    """The key bag moved into an encrypted SafeContents, where only decryption reveals it."""
    hidden = _encrypted_safe_contents(
        _bent_key_bag(data, rounds).dump(force=True), password=KEYSTORE_PASSWORD
    )
    encrypted = [ci for ci in _contents(data) if ci["content_type"].native == "encrypted_data"]
    return _rebuilt(data, [*encrypted, hidden])


BOMBS = {
    "mac": (mac_bomb, "its integrity check (MAC)"),
    "key bag": (key_bag_bomb, "a private key"),
    "certificate bag": (certificate_bag_bomb, "its certificates"),
    "key bag inside encrypted content": (lambda data: hidden_key_bag(data, BOMB), "a private key"),
}


@pytest.mark.parametrize("name", BOMBS)
def test_absurd_iteration_counts_are_refused_before_any_key_derivation(normal, name):
    bomb, what = BOMBS[name]
    data = bomb(normal)
    sentence = re.escape(f"asks for {BOMB:,} key-derivation rounds for {what}")
    # A wrong password cannot reveal a key bag inside encrypted content (nor can OpenSSL's).
    hidden = "inside" in name
    for password in (KEYSTORE_PASSWORD,) if hidden else (KEYSTORE_PASSWORD, "wrong password"):
        with pytest.raises(TooManyIterations, match=sentence):
            list_keystore_aliases(data, password=password)
        with pytest.raises(TooManyIterations, match=sentence):
            load_private_keystore(data, password=password, alias="mykey")


def test_many_reasonable_derivations_are_refused_as_a_whole(normal):
    # Eight key bags of 400,000 rounds: each is allowed, together they cost seconds.
    plain = _bent_key_bag(normal, 400_000)
    bags = asn1_pkcs12.SafeContents([plain[0].copy() for _ in range(8)])
    encrypted = [ci for ci in _contents(normal) if ci["content_type"].native == "encrypted_data"]
    data = _rebuilt(
        normal, [*encrypted, cms.ContentInfo({"content_type": "data", "content": bags.dump()})]
    )
    with pytest.raises(TooManyIterations, match="rounds for the whole file"):
        list_keystore_aliases(data, password=KEYSTORE_PASSWORD)


def test_a_key_bag_inside_encrypted_content_still_opens(normal):
    data = hidden_key_bag(normal, None)
    entry = load_private_keystore(data, password=KEYSTORE_PASSWORD, alias="mykey")
    assert entry.key.private_numbers() == rsa_key(name="limits").private_numbers()
    with pytest.raises(WrongPassword):
        list_keystore_aliases(data, password="wrong password")


def test_a_scrypt_protected_key_is_refused_with_a_sentence(normal):
    plain = _bent_key_bag(normal, None)
    kdf = plain[0]["bag_value"]["encryption_algorithm"]["parameters"]["key_derivation_func"]
    kdf["algorithm"] = algos.KdfAlgorithmId("1.3.6.1.4.1.11591.4.11")  # scrypt (RFC 7914)
    encrypted = [ci for ci in _contents(normal) if ci["content_type"].native == "encrypted_data"]
    data = _rebuilt(
        normal, [*encrypted, cms.ContentInfo({"content_type": "data", "content": plain.dump()})]
    )
    with pytest.raises(UnsupportedProtection, match="export it again with AES-256"):
        list_keystore_aliases(data, password=KEYSTORE_PASSWORD)


@pytest.mark.parametrize("name", BOMBS)
def test_import_refuses_the_file_with_a_sentence(partnership, normal, name):
    bomb, _ = BOMBS[name]
    with pytest.raises(CertificateRefused, match="key-derivation rounds") as refused:
        services.certificate_import(
            partnership=partnership,
            password=KEYSTORE_PASSWORD,
            keystore_file=bomb(normal),
            private_key_alias="mykey",
            partner_certificate_file=partner_pem(),
            partner_alias="amazon",
        )
    assert refused.value.field == "keystore"


@pytest.mark.parametrize("name", BOMBS)
def test_the_alias_probe_answers_the_sentence(client_a, normal, name):
    bomb, what = BOMBS[name]
    response = client_a.post(
        "/certificates/keystore-aliases/",
        {
            "keystore_file": SimpleUploadedFile("bomb.p12", bomb(normal)),
            "password": KEYSTORE_PASSWORD,
        },
    )
    assert response.status_code == 400
    answer = json.loads(response.content)
    assert f"key-derivation rounds for {what}" in answer["error"]
    assert answer["field"] == "keystore"


# -- key size floor, chain length ----------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_512():
    """A 512-bit RSA key: cryptography will not make one, `openssl genrsa` does."""
    if OPENSSL is None:
        pytest.skip("the openssl CLI is not installed")
    result = subprocess.run([OPENSSL, "genrsa", "512"], capture_output=True, check=True)
    return serialization.load_pem_private_key(result.stdout, password=None)


def test_a_512_bit_partner_certificate_is_refused_even_when_weak_keys_are_accepted(
    partnership, rsa_512
):
    weak = pem_of(self_signed(rsa_512, "amazon"))
    with pytest.raises(KeyTooWeak, match="512-bit RSA key; keys under 1024 bits"):
        keystore.load_partner_certificate(weak)
    with pytest.raises(CertificateRefused, match="never accepted") as refused:
        certificate_for(partnership, partner_certificate_file=weak, accept_weak_key=True)
    assert refused.value.field == "partner_certificate"
    assert not Certificate.objects.exists()


def test_a_512_bit_key_of_ours_is_refused_even_when_weak_keys_are_accepted(partnership, rsa_512):
    data = p12(rsa_512, self_signed(rsa_512, "weak"))
    with pytest.raises(CertificateRefused, match="'mykey' has a 512-bit RSA key") as refused:
        services.certificate_import(
            partnership=partnership,
            password=KEYSTORE_PASSWORD,
            keystore_file=data,
            private_key_alias="mykey",
            partner_certificate_file=partner_pem(),
            partner_alias="amazon",
            accept_weak_key=True,
        )
    assert refused.value.field == "keystore"


def _chain_pem(count: int) -> bytes:
    """`count` certificates: a leaf last, after the CAs that issued each other."""
    key = rsa_key(name="chain")
    certificates = [self_signed(key, "root")]
    for number in range(1, count):
        name = "leaf" if number == count - 1 else f"ca{number}"
        certificates.append(_issued(key, name, certificates[-1]))
    return b"".join(pem_of(c) for c in reversed(certificates[1:])) + pem_of(certificates[0])


def _issued(key, common_name: str, issuer: x509.Certificate) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )


def test_a_chain_of_up_to_twenty_yields_its_leaf_wherever_it_sits():
    pem = _chain_pem(MAX_CHAIN_CERTIFICATES)
    leaf = keystore.load_partner_certificate(pem)
    assert leaf.subject.rfc4514_string() == "CN=leaf"
    blocks = pem.split(b"-----END CERTIFICATE-----\n")[:-1]
    shuffled = b"".join(block + b"-----END CERTIFICATE-----\n" for block in reversed(blocks))
    assert keystore.load_partner_certificate(shuffled).subject == leaf.subject


@pytest.mark.parametrize("count", [MAX_CHAIN_CERTIFICATES + 1, None])
def test_a_pem_with_more_certificates_than_a_chain_is_refused(count):
    block = pem_of(self_signed(rsa_key(name="many"), "many"))
    count = count or keystore.MAX_UPLOAD_BYTES // len(block)  # as many as an upload holds
    with pytest.raises(TooManyCertificates, match=f"holds {count} certificates"):
        keystore.load_partner_certificate(block * count)


def test_a_pkcs7_with_more_certificates_than_a_chain_is_refused():
    certificate = self_signed(rsa_key(name="many"), "many")
    bundle = pkcs7.serialize_certificates(
        [certificate] * (MAX_CHAIN_CERTIFICATES + 1), serialization.Encoding.DER
    )
    with pytest.raises(TooManyCertificates, match="at most 20"):
        keystore.load_partner_certificate(bundle)


def test_a_pbmac1_mac_is_judged_by_its_pbkdf2_rounds(normal):
    # RFC 9579 (OpenSSL 3.4+, JDK 24+): the MAC's rounds sit in its PBKDF2 parameters.
    pfx = asn1_pkcs12.Pfx.load(normal).copy()
    digest_algorithm = pfx["mac_data"]["mac"]["digest_algorithm"]
    digest_algorithm["algorithm"] = algos.DigestAlgorithmId("1.2.840.113549.1.5.14")
    digest_algorithm["parameters"] = keystore._Pbmac1Parameters(
        {
            "key_derivation_func": {
                "algorithm": "pbkdf2",
                "parameters": {
                    "salt": ("specified", os.urandom(16)),
                    "iteration_count": BOMB,
                    "key_length": 32,
                    "prf": {"algorithm": "sha256"},
                },
            },
            "message_auth_scheme": {"algorithm": "sha256"},
        }
    )
    with pytest.raises(TooManyIterations, match="for its integrity check"):
        list_keystore_aliases(pfx.dump(force=True), password=KEYSTORE_PASSWORD)


def test_zero_rounds_is_not_a_keystore(normal):
    data = _rebuilt(normal, _contents(normal), mac_rounds=2048)
    pfx = asn1_pkcs12.Pfx.load(data).copy()
    pfx["mac_data"]["iterations"] = 0
    with pytest.raises(keystore.NotAKeystore):
        list_keystore_aliases(pfx.dump(force=True), password=KEYSTORE_PASSWORD)


def test_legacy_3des_content_of_any_length_is_inspected_and_opens():
    # 3DES pads to 8-byte blocks: half of these contents are an odd number of 8-byte blocks.
    key = rsa_key(name="limits")
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(hashes.SHA1())  # noqa: S303  (the legacy layout on purpose)
        .build(KEYSTORE_PASSWORD.encode())
    )
    lengths = set()
    for extra in range(8):
        certificate = self_signed(key, "legacy" + "x" * extra)
        data = pkcs12.serialize_key_and_certificates(b"mykey", key, certificate, None, encryption)
        encrypted = next(ci for ci in _contents(data) if ci["content_type"].native != "data")
        lengths.add(len(encrypted["content"]["encrypted_content_info"]["encrypted_content"].native))
        entry = load_private_keystore(data, password=KEYSTORE_PASSWORD, alias="mykey")
        assert entry.certificate == certificate
    assert {length % 16 for length in lengths} == {0, 8}


def _legacy_3des(*, rounds: int = 1) -> bytes:
    """A PKCS#12 with legacy 3DES: a shrouded key in plain SafeContents, encrypted certificates."""
    key = rsa_key(name="limits")
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .kdf_rounds(rounds)
        .hmac_hash(hashes.SHA1())  # noqa: S303  (the legacy layout on purpose)
        .build(KEYSTORE_PASSWORD.encode())
    )
    return pkcs12.serialize_key_and_certificates(
        b"mykey", key, self_signed(key, "limits"), None, encryption
    )


def _without_mac(data: bytes) -> bytes:
    pfx = asn1_pkcs12.Pfx.load(data)
    return asn1_pkcs12.Pfx({"version": "v3", "auth_safe": pfx["auth_safe"]}).dump()


def _lucky_wrong_password(algorithm: algos.EncryptionAlgorithm, ciphertext: bytes) -> str:
    """A wrong password under which `ciphertext` still decrypts: its padding looks right by chance
    (about one password in 256 for CBC)."""
    for attempt in range(20_000):
        password = f"wrong password {attempt}"
        try:
            pbe.decrypt(algorithm, ciphertext, password)
        except pbe.CannotDecrypt:
            continue
        return password
    raise AssertionError("no wrong password decrypts this content")


@pytest.mark.parametrize("mac", [True, False], ids=["with a MAC", "without a MAC"])
def test_a_wrong_password_that_decrypts_the_certificates_to_garbage_is_a_wrong_password(mac):
    # CI once said "not a PKCS#12 keystore" for a wrong password: the garbage was well padded.
    data = _legacy_3des()
    data = data if mac else _without_mac(data)
    encrypted = next(ci for ci in _contents(data) if ci["content_type"].native != "data")
    info = encrypted["content"]["encrypted_content_info"]
    password = _lucky_wrong_password(
        info["content_encryption_algorithm"], info["encrypted_content"].native
    )
    with pytest.raises(WrongPassword):
        list_keystore_aliases(data, password=password)
    assert list_keystore_aliases(data, password=KEYSTORE_PASSWORD).private_key_aliases == ("mykey",)


def test_a_wrong_password_that_decrypts_the_key_to_garbage_is_a_wrong_password():
    data = _legacy_3des()
    contents = []
    for content_info in _contents(data):  # the certificates in the clear: the key is then read
        if content_info["content_type"].native != "data":
            info = content_info["content"]["encrypted_content_info"]
            plaintext = pbe.decrypt(
                info["content_encryption_algorithm"],
                info["encrypted_content"].native,
                KEYSTORE_PASSWORD,
            )
            content_info = cms.ContentInfo({"content_type": "data", "content": plaintext})
        contents.append(content_info)
    data = _rebuilt(data, contents, mac_rounds=1)
    (bag,) = (
        bag
        for content_info in _contents(data)
        for bag in asn1_pkcs12.SafeContents.load(content_info["content"].native)
        if bag["bag_id"].native == "pkcs8_shrouded_key_bag"
    )
    value = bag["bag_value"]
    password = _lucky_wrong_password(value["encryption_algorithm"], value["encrypted_data"].native)
    with pytest.raises(WrongPassword):
        list_keystore_aliases(data, password=password)
    assert list_keystore_aliases(data, password=KEYSTORE_PASSWORD).private_key_aliases == ("mykey",)


OPENSSL_VARIANTS = [
    [],
    ["-legacy"],
    ["-descert"],
    ["-legacy", "-certpbe", "PBE-SHA1-RC2-128"],
    ["-legacy", "-certpbe", "PBE-SHA1-2DES"],
    ["-legacy", "-certpbe", "PBE-MD5-DES"],
    ["-legacy", "-keypbe", "PBE-SHA1-RC2-40"],
    ["-certpbe", "DES-EDE3-CBC"],
    ["-certpbe", "AES-128-CBC", "-keypbe", "AES-192-CBC"],
    ["-certpbe", "NONE"],
    ["-keypbe", "NONE"],
    ["-nomac"],
    ["-macalg", "sha512"],
]


@pytest.mark.parametrize("options", OPENSSL_VARIANTS, ids=" ".join)
def test_what_openssl_writes_is_inspected_and_opens(tmp_path, options):
    """pbe.py decrypts every scheme `openssl pkcs12 -export` offers (an independent writer)."""
    if OPENSSL is None:
        pytest.skip("the openssl CLI is not installed")
    key = rsa_key(name="limits")
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "cert.pem").write_bytes(pem_of(self_signed(key, "limits")))
    subprocess.run(
        [
            OPENSSL, "pkcs12", "-export", "-inkey", str(tmp_path / "key.pem"),
            "-in", str(tmp_path / "cert.pem"), "-out", str(tmp_path / "out.p12"),
            "-passout", f"pass:{KEYSTORE_PASSWORD}", "-name", "mykey", *options,
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    data = (tmp_path / "out.p12").read_bytes()
    entry = load_private_keystore(data, password=KEYSTORE_PASSWORD, alias="mykey")
    assert entry.key.private_numbers() == key.private_numbers()
    with pytest.raises(WrongPassword):
        list_keystore_aliases(data, password="not the password")


def test_the_whole_file_counts_each_derived_block():
    # Legacy 3DES: a key and its IV are three SHA-1 blocks, each run for the rounds asked.
    # 400,000 rounds for the certificates and the key pass one by one (1,200,000 blocks each).
    key = rsa_key(name="limits")
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .build(KEYSTORE_PASSWORD.encode())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"mykey", key, self_signed(key, "limits"), None, encryption
    )
    contents = []
    for content_info in _contents(data):
        content_info = content_info.copy()
        if content_info["content_type"].native == "data":
            bags = asn1_pkcs12.SafeContents.load(content_info["content"].native).copy()
            bags[0]["bag_value"]["encryption_algorithm"]["parameters"]["iterations"] = 400_000
            content_info = cms.ContentInfo({"content_type": "data", "content": bags.dump()})
        else:
            encrypted = content_info["content"]["encrypted_content_info"]
            encrypted["content_encryption_algorithm"]["parameters"]["iterations"] = 400_000
        contents.append(content_info)
    with pytest.raises(TooManyIterations, match="2,402,048 key-derivation rounds for the whole"):
        list_keystore_aliases(_rebuilt(data, contents), password=KEYSTORE_PASSWORD)


# -- private keys: how many, how large, checked ------------------------------------------------


def _key_info(key: rsa.RSAPrivateKey) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _with_key_bags(data: bytes, infos: list[asn1_keys.PrivateKeyInfo], *, shroud: bool) -> bytes:
    """`data` with these keys added as key bags (shrouded with PBES2 AES-256, or plain)."""
    bags = []
    for number, info in enumerate(infos):
        attributes = [{"type": "friendly_name", "values": [f"extra{number}"]}]
        if shroud:
            algorithm, ciphertext = _pbes2_encrypted(info.dump(), password=KEYSTORE_PASSWORD)
            value = asn1_keys.EncryptedPrivateKeyInfo(
                {"encryption_algorithm": algorithm, "encrypted_data": ciphertext}
            )
            bag_id = "pkcs8_shrouded_key_bag"
        else:
            value, bag_id = info, "key_bag"
        bags.append(
            asn1_pkcs12.SafeBag(
                {"bag_id": bag_id, "bag_value": value, "bag_attributes": attributes}
            )
        )
    extra = cms.ContentInfo(
        {"content_type": "data", "content": asn1_pkcs12.SafeContents(bags).dump()}
    )
    return _rebuilt(data, [*_contents(data), extra])


def _huge_rsa_key_info(bits: int) -> asn1_keys.PrivateKeyInfo:
    """An RSA PrivateKeyInfo whose modulus has `bits` bits (not a valid key: never loaded)."""
    odd = (1 << (bits - 1)) | 1
    key = asn1_keys.RSAPrivateKey(
        {
            "version": "two-prime",
            "modulus": odd,
            "public_exponent": 65537,
            "private_exponent": odd - 2,
            "prime1": 3,
            "prime2": 5,
            "exponent1": 1,
            "exponent2": 1,
            "coefficient": 1,
        }
    )
    return asn1_keys.PrivateKeyInfo.load(asn1_keys.PrivateKeyInfo.wrap(key, "rsa").dump())


def test_more_private_keys_than_we_open_are_refused_before_loading_any(normal):
    infos = [_key_info(rsa_key(name="limits"))] * keystore.MAX_KEY_ENTRIES
    data = _with_key_bags(normal, infos, shroud=False)
    with pytest.raises(keystore.TooManyKeys, match="holds 11 private keys; .* at most 10"):
        list_keystore_aliases(data, password=KEYSTORE_PASSWORD)


@pytest.mark.parametrize("shroud", [False, True], ids=["plain", "shrouded"])
def test_an_rsa_key_too_large_to_check_is_refused_before_openssl_loads_it(normal, shroud):
    data = _with_key_bags(normal, [_huge_rsa_key_info(16384)], shroud=shroud)
    with pytest.raises(keystore.KeyTooLarge, match="16384-bit RSA key; we accept at most 4096"):
        list_keystore_aliases(data, password=KEYSTORE_PASSWORD)
    with pytest.raises(CertificateRefused, match="at most 4096 bits") as refused:
        services.keystore_aliases(keystore_file=data, password=KEYSTORE_PASSWORD)
    assert refused.value.field == "keystore"


def test_the_key_we_keep_is_checked_the_others_only_listed(normal):
    numbers = _key_info(rsa_key(name="other"))["private_key"].parsed.native
    numbers["coefficient"] = 12345  # no longer a consistent RSA key
    broken = asn1_keys.PrivateKeyInfo.load(
        asn1_keys.PrivateKeyInfo.wrap(asn1_keys.RSAPrivateKey(numbers), "rsa").dump()
    )
    data = _with_key_bags(normal, [broken], shroud=True)
    contents = list_keystore_aliases(data, password=KEYSTORE_PASSWORD)
    assert contents.private_key_aliases == ("mykey", "extra0")
    assert load_private_keystore(data, password=KEYSTORE_PASSWORD, alias="mykey").alias == "mykey"
    with pytest.raises(keystore.KeyNotReadable):
        load_private_keystore(data, password=KEYSTORE_PASSWORD, alias="extra0")
