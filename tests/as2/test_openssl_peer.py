"""The openssl CLI as an independent peer: it opens what we build, we open what it builds."""

import base64
import hashlib
import subprocess
from pathlib import Path

import pytest

import as2
from as2 import ContentCipher, Digest, Oaep, Pkcs1v15, Pss, Recipient, Signer, TransferEncoding
from as2.mime import Headers, entity_from_headers, split_multipart
from tests.as2.conftest import Party, split_http

pytestmark = pytest.mark.requires_tool("openssl")

PAYLOAD = b"ISA*00*\nGS*PO\r\nST*850\rx\x00\xff\xfe binary tail\r\n"
ENTITY = (
    b"Content-Type: application/EDI-X12\r\n"
    b"Content-Transfer-Encoding: binary\r\n"
    b'Content-Disposition: attachment; filename="po.x12"\r\n'
    b"\r\n" + PAYLOAD
)


def openssl(*arguments: str | Path) -> bytes:
    result = subprocess.run(["openssl", *map(str, arguments)], capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


@pytest.fixture
def pem(tmp_path):
    """PEM files of a party: pem(party) -> (certificate path, key path)."""
    return lambda party: party.write_pem(tmp_path)


def build(alice: Party, bob: Party, **options) -> as2.OutboundMessage:
    return as2.build_message(
        PAYLOAD,
        filename="po.x12",
        content_type="application/EDI-X12",
        sender=alice.as2_id,
        receiver=bob.as2_id,
        subject="openssl",
        **options,
    )


def as_mime_file(message: as2.OutboundMessage) -> bytes:
    """The message as a MIME document, the way openssl smime reads one."""
    content_type = message.headers["Content-Type"]
    return b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + message.body


def as2_headers(content_type: str) -> dict[str, str]:
    return {
        "AS2-From": "openssl",
        "AS2-To": "Bob AS2",
        "Message-ID": "<openssl-1@example.com>",
        "Content-Type": content_type,
    }


# --- openssl opens what we build --------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["base64", "binary"])
@pytest.mark.parametrize("pss", [False, True])
def test_openssl_verifies_our_signed_message(alice, bob, pem, tmp_path, encoding, pss):
    message = build(
        alice,
        bob,
        signer=Signer(alice.key, alice.certificate, padding=Pss() if pss else Pkcs1v15()),
        transfer_encoding=TransferEncoding(encoding),
    )
    # Split the multipart ourselves and hand openssl the exact signed bytes (binary-safe).
    entity = entity_from_headers(Headers.of(message.headers), message.body)
    content, signature = split_multipart(entity)
    (tmp_path / "content.bin").write_bytes(content.raw.tobytes())
    (tmp_path / "signature.der").write_bytes(signature.decoded_body())
    alice_pem, _ = pem(alice)

    openssl(
        "cms", "-verify", "-binary", "-inform", "DER", "-in", tmp_path / "signature.der",
        "-content", tmp_path / "content.bin", "-CAfile", alice_pem, "-purpose", "any",
        "-out", tmp_path / "out.bin",
    )  # fmt: skip

    assert (tmp_path / "out.bin").read_bytes() == content.raw.tobytes()
    if encoding == "binary":
        assert content.raw.tobytes() == ENTITY


def test_openssl_smime_verifies_our_signed_message_as_a_whole(alice, bob, pem, tmp_path):
    message = build(
        alice,
        bob,
        signer=Signer(alice.key, alice.certificate),
        transfer_encoding=TransferEncoding.BASE64,
    )
    (tmp_path / "signed.eml").write_bytes(as_mime_file(message))
    alice_pem, _ = pem(alice)

    openssl(
        "smime", "-verify", "-binary", "-in", tmp_path / "signed.eml", "-CAfile", alice_pem,
        "-purpose", "any", "-out", tmp_path / "content.mime",
    )  # fmt: skip

    assert b"Content-Transfer-Encoding: base64" in (tmp_path / "content.mime").read_bytes()


@pytest.mark.parametrize(
    ("algorithm", "oaep"),
    [
        ("3des", False),
        ("aes128", False),
        ("aes192", False),
        ("aes256", False),
        ("aes256", True),
        ("aes256", Digest.SHA1),  # OAEP-SHA-1: what some partners' stacks only undo
        ("aes256", Digest.SHA512),
        ("aes128-gcm", False),
        ("aes256-gcm", True),
    ],
)
def test_openssl_decrypts_our_encrypted_message(alice, bob, pem, tmp_path, algorithm, oaep):
    key_transport = Pkcs1v15() if oaep is False else Oaep() if oaep is True else Oaep(oaep)
    message = build(
        alice, bob, recipient=Recipient(bob.certificate, ContentCipher(algorithm), key_transport)
    )
    (tmp_path / "body.p7m").write_bytes(message.body)
    bob_pem, bob_key = pem(bob)

    openssl(
        "cms", "-decrypt", "-binary", "-inform", "DER", "-in", tmp_path / "body.p7m",
        "-recip", bob_pem, "-inkey", bob_key, "-out", tmp_path / "inner.mime",
    )  # fmt: skip

    assert (tmp_path / "inner.mime").read_bytes() == ENTITY


def test_openssl_decrypts_then_verifies_our_signed_encrypted_message(alice, bob, pem, tmp_path):
    message = build(
        alice,
        bob,
        signer=Signer(alice.key, alice.certificate),
        recipient=Recipient(bob.certificate),
        transfer_encoding=TransferEncoding.BASE64,
    )
    (tmp_path / "body.p7m").write_bytes(base64.b64decode(message.body))
    bob_pem, bob_key = pem(bob)
    alice_pem, _ = pem(alice)

    openssl(
        "cms", "-decrypt", "-binary", "-inform", "DER", "-in", tmp_path / "body.p7m",
        "-recip", bob_pem, "-inkey", bob_key, "-out", tmp_path / "signed.mime",
    )  # fmt: skip
    openssl(
        "smime", "-verify", "-binary", "-in", tmp_path / "signed.mime", "-CAfile", alice_pem,
        "-purpose", "any", "-out", tmp_path / "content.mime",
    )  # fmt: skip

    content = (tmp_path / "content.mime").read_bytes()
    assert content.startswith(b"Content-Type: application/EDI-X12\r\n")


# --- we open what openssl builds --------------------------------------------------------------


def openssl_signed(alice: Party, pem, tmp_path: Path, *options: str) -> tuple[dict, bytes]:
    (tmp_path / "entity.mime").write_bytes(ENTITY)
    alice_pem, alice_key = pem(alice)
    openssl(
        "cms", "-sign", "-binary", "-in", tmp_path / "entity.mime", "-signer", alice_pem,
        "-inkey", alice_key, "-outform", "SMIME", "-out", tmp_path / "signed.eml", *options,
    )  # fmt: skip
    headers, body = split_http((tmp_path / "signed.eml").read_bytes())
    return as2_headers(dict(headers)["Content-Type"]), body


@pytest.mark.parametrize(
    ("options", "digest", "pss"),
    [
        (("-md", "sha256"), "sha256", False),
        (("-md", "sha1"), "sha1", False),
        (("-md", "sha512"), "sha512", False),
        (("-md", "sha384", "-keyopt", "rsa_padding_mode:pss"), "sha384", True),
        (("-md", "md5"), "md5", False),  # legacy peers: verified inbound, never sent
        (("-md", "sha256", "-noattr"), "sha256", False),
    ],
)
def test_we_verify_messages_signed_by_openssl(alice, pem, tmp_path, options, digest, pss):
    headers, body = openssl_signed(alice, pem, tmp_path, *options)

    received = as2.parse_message(
        headers, body, keys=as2.ReceiverKeys(partner_certificates=(alice.certificate,))
    )

    assert received.payload == PAYLOAD
    assert received.filename == "po.x12"
    assert (received.signed, received.signature_padding) == (digest, Pss() if pss else Pkcs1v15())
    assert received.signer == alice.certificate


def test_we_open_an_opaque_signed_message_from_openssl(alice, pem, tmp_path):
    (tmp_path / "entity.mime").write_bytes(ENTITY)
    alice_pem, alice_key = pem(alice)
    openssl(
        "cms", "-sign", "-binary", "-nodetach", "-md", "sha256", "-in", tmp_path / "entity.mime",
        "-signer", alice_pem, "-inkey", alice_key, "-outform", "DER", "-out", tmp_path / "o.p7m",
    )  # fmt: skip

    received = as2.parse_message(
        as2_headers("application/pkcs7-mime; smime-type=signed-data"),
        (tmp_path / "o.p7m").read_bytes(),
        keys=as2.ReceiverKeys(partner_certificates=(alice.certificate,)),
    )

    assert received.payload == PAYLOAD and received.signed == "sha256"


OAEP = ("-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256")


@pytest.mark.parametrize(
    ("cipher", "key_options", "algorithm"),
    [
        (("-des-ede3-cbc",), (), "3des"),
        (("-aes-128-cbc",), (), "aes128"),
        (("-aes-192-cbc",), (), "aes192"),
        (("-aes-256-cbc", "-stream"), (), "aes256"),  # BER, indefinite length
        (("-aes-256-cbc",), OAEP, "aes256"),
        (("-aes-128-gcm",), (), "aes128-gcm"),
    ],
)
def test_we_open_messages_signed_then_encrypted_by_openssl(
    alice, bob, pem, tmp_path, cipher, key_options, algorithm
):
    openssl_signed(alice, pem, tmp_path, "-md", "sha256")
    bob_pem, _ = pem(bob)
    openssl(
        "cms", "-encrypt", "-binary", *cipher, "-in", tmp_path / "signed.eml", "-outform", "DER",
        "-out", tmp_path / "enc.der", "-recip", bob_pem, *key_options,
    )  # fmt: skip

    received = as2.parse_message(
        as2_headers("application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m"),
        (tmp_path / "enc.der").read_bytes(),
        keys=as2.ReceiverKeys(
            key=bob.key, certificate=bob.certificate, partner_certificates=(alice.certificate,)
        ),
        require_encryption=True,
        require_signature=True,
    )

    assert received.payload == PAYLOAD
    assert (received.encrypted, received.signed) == (algorithm, "sha256")
    assert received.key_transport == (Oaep(Digest.SHA256) if key_options else Pkcs1v15())


def test_we_verify_an_mdn_signed_by_openssl(alice, bob, pem, tmp_path):
    message = build(alice, bob, signer=Signer(alice.key, alice.certificate))
    received = as2.parse_message(
        message.headers,
        message.body,
        keys=as2.ReceiverKeys(partner_certificates=(alice.certificate,)),
    )
    report = as2.build_mdn(original=received)  # unsigned: its body is the multipart/report
    (tmp_path / "report.mime").write_bytes(
        b"Content-Type: " + report.headers["Content-Type"].encode() + b"\r\n\r\n" + report.body
    )
    bob_pem, bob_key = pem(bob)
    openssl(
        "cms", "-sign", "-binary", "-md", "sha256", "-in", tmp_path / "report.mime",
        "-signer", bob_pem, "-inkey", bob_key, "-outform", "SMIME", "-out", tmp_path / "mdn.eml",
    )  # fmt: skip
    headers, body = split_http((tmp_path / "mdn.eml").read_bytes())

    mdn = as2.parse_mdn(
        headers,
        body,
        partner_certificates=[bob.certificate],
        expected_mic=message.mic,
        expected_message_id=message.message_id,
        require_signature=True,
    )

    assert mdn.signed == "sha256" and mdn.signer == bob.certificate
    assert mdn.successful and mdn.mic_check is as2.MicCheck.MATCHED


# --- MICs proven with hashlib over what openssl signed, encrypted or opened (RFC 4130 7.3.1) ----


def hashlib_mic(data: bytes, digest: str) -> str:
    micalg = {"sha1": "sha1", "sha256": "sha-256", "sha384": "sha-384", "sha512": "sha-512"}
    return base64.b64encode(hashlib.new(digest, data).digest()).decode() + ", " + micalg[digest]


@pytest.mark.parametrize("digest", ["sha1", "sha256", "sha512"])
def test_mic_of_a_message_openssl_signed_is_over_the_signed_entity(alice, pem, tmp_path, digest):
    headers, body = openssl_signed(alice, pem, tmp_path, "-md", digest)

    received = as2.parse_message(
        headers, body, keys=as2.ReceiverKeys(partner_certificates=(alice.certificate,))
    )

    assert received.mic == hashlib_mic(ENTITY, digest)  # openssl signed ENTITY byte for byte


def test_mic_of_a_message_openssl_encrypted_unsigned_is_over_the_decrypted_entity(
    bob, pem, tmp_path
):
    (tmp_path / "entity.mime").write_bytes(ENTITY)
    bob_pem, _ = pem(bob)
    openssl(
        "cms", "-encrypt", "-binary", "-aes-256-cbc", "-in", tmp_path / "entity.mime",
        "-outform", "DER", "-out", tmp_path / "enc.der", "-recip", bob_pem,
    )  # fmt: skip
    headers = as2_headers("application/pkcs7-mime; smime-type=enveloped-data")
    headers["Disposition-Notification-To"] = "openssl"
    headers["Disposition-Notification-Options"] = (
        "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha1"
    )

    received = as2.parse_message(
        headers,
        (tmp_path / "enc.der").read_bytes(),
        keys=as2.ReceiverKeys(bob.key, bob.certificate),
    )

    assert received.signed is None
    assert received.mic == hashlib_mic(ENTITY, "sha1")  # the micalg the sender asked for


@pytest.mark.parametrize("digest", [Digest.SHA1, Digest.SHA384])
def test_mic_we_expect_for_a_signed_message_is_over_what_openssl_verifies(
    alice, bob, pem, tmp_path, digest
):
    message = build(alice, bob, signer=Signer(alice.key, alice.certificate, digest))
    entity = entity_from_headers(Headers.of(message.headers), message.body)
    content, signature = split_multipart(entity)
    (tmp_path / "content.bin").write_bytes(content.raw.tobytes())
    (tmp_path / "sig.der").write_bytes(signature.decoded_body())
    alice_pem, _ = pem(alice)
    openssl(
        "cms", "-verify", "-binary", "-inform", "DER", "-in", tmp_path / "sig.der",
        "-content", tmp_path / "content.bin", "-CAfile", alice_pem, "-purpose", "any",
        "-out", tmp_path / "verified.bin",
    )  # fmt: skip

    assert message.mic == hashlib_mic((tmp_path / "verified.bin").read_bytes(), digest.value)


def test_mic_we_expect_for_an_encrypted_unsigned_message_is_over_what_openssl_decrypts(
    alice, bob, pem, tmp_path
):
    message = build(alice, bob, recipient=Recipient(bob.certificate))
    (tmp_path / "body.p7m").write_bytes(message.body)
    bob_pem, bob_key = pem(bob)
    openssl(
        "cms", "-decrypt", "-binary", "-inform", "DER", "-in", tmp_path / "body.p7m",
        "-recip", bob_pem, "-inkey", bob_key, "-out", tmp_path / "inner.mime",
    )  # fmt: skip

    assert message.mic == hashlib_mic((tmp_path / "inner.mime").read_bytes(), "sha256")
