"""Round trips across encryption × signing × compression × transfer encoding × MDN, byte-exact."""

import random

import pytest

import as2
from as2 import (
    Compression,
    ContentCipher,
    Digest,
    MdnRequest,
    MicCheck,
    Oaep,
    Pkcs1v15,
    Pss,
    ReceiverKeys,
    Recipient,
    Signer,
    TransferEncoding,
)
from tests.as2.conftest import VECTORS

ENCRYPTIONS = [
    None,
    ("3des", False),
    ("aes128", False),
    ("aes192", False),
    ("aes256", False),
    ("aes128-gcm", False),
    ("aes256-gcm", False),
    ("aes256", True),  # RSAES-OAEP key transport
]
SIGNINGS = [
    None,
    ("sha1", False),
    ("sha224", False),
    ("sha256", False),
    ("sha384", False),
    ("sha512", False),
    ("sha256", True),  # RSASSA-PSS
]
COMPRESSIONS = ["none", "before-signing", "after-signing"]
TRANSFER_ENCODINGS = ["binary", "base64"]
MDNS = ["none", "unsigned", "signed"]

PAYLOADS = {
    "empty": b"",
    "one byte": b"\n",
    "text with LF": (VECTORS / "payload.txt").read_bytes(),
    "text with CRLF": (VECTORS / "payload_dos.txt").read_bytes(),
    "text with lone CR": b"ISA*00*\rGS*IN\rST*810\r\rSE*2\r",
    "binary": (VECTORS / "payload.binary").read_bytes(),
}


def encryption_id(value: tuple[str, bool] | None) -> str:
    return "plain" if value is None else value[0] + ("-oaep" if value[1] else "")


def signing_id(value: tuple[str, bool] | None) -> str:
    return "unsigned" if value is None else value[0] + ("-pss" if value[1] else "")


def round_trip(alice, bob, payload, encryption, signing, compression, encoding, mdn) -> None:
    """Send ``payload`` from alice to bob and the MDN back; check every byte and the MIC."""
    recipient = signer = None
    if encryption:
        key_transport = Oaep() if encryption[1] else Pkcs1v15()
        recipient = Recipient(bob.certificate, ContentCipher(encryption[0]), key_transport)
    if signing:
        padding = Pss() if signing[1] else Pkcs1v15()
        signer = Signer(alice.key, alice.certificate, Digest(signing[0]), padding)
    message = as2.build_message(
        payload,
        filename="invoice 7.edi",
        content_type="application/octet-stream",
        sender=alice.as2_id,
        receiver=bob.as2_id,
        subject="matrix",
        signer=signer,
        recipient=recipient,
        compress=Compression(compression),
        transfer_encoding=TransferEncoding(encoding),
        mdn=None if mdn == "none" else MdnRequest(signed=mdn == "signed"),
    )

    received = as2.parse_message(
        message.headers,
        message.body,
        keys=ReceiverKeys(bob.key, bob.certificate, (alice.certificate,)),
        require_encryption=encryption is not None,
        require_signature=signing is not None,
    )

    assert received.payload == payload
    assert received.filename == "invoice 7.edi"
    assert received.encrypted == (encryption[0] if encryption else None)
    assert received.signed == (signing[0] if signing else None)
    # Without a signature there is no "after": compression is then reported as before signing.
    expected_order = "before-signing" if compression != "none" and signing is None else compression
    assert received.compressed == expected_order
    assert received.mic == message.mic
    if mdn == "none":
        assert received.mdn_request is None
        return
    receipt = as2.build_mdn(original=received, signer=Signer(bob.key, bob.certificate))
    parsed = as2.parse_mdn(
        receipt.headers,
        receipt.body,
        partner_certificates=[bob.certificate],
        expected_mic=message.mic,
        expected_message_id=message.message_id,
        require_signature=mdn == "signed",
    )
    assert parsed.successful and parsed.mic_check is MicCheck.MATCHED
    assert (parsed.signed is not None) == (mdn == "signed")


@pytest.mark.parametrize("mdn", MDNS)
@pytest.mark.parametrize("encoding", TRANSFER_ENCODINGS)
@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("signing", SIGNINGS, ids=signing_id)
@pytest.mark.parametrize("encryption", ENCRYPTIONS, ids=encryption_id)
def test_every_payload_arrives_byte_for_byte(
    alice, bob, encryption, signing, compression, encoding, mdn
):
    for payload in PAYLOADS.values():
        round_trip(alice, bob, payload, encryption, signing, compression, encoding, mdn)


BIG_POINTS = [
    (("aes256", False), ("sha256", False), "none", "binary", "signed"),
    (("3des", False), ("sha1", False), "before-signing", "base64", "unsigned"),
    (("aes128-gcm", True), ("sha512", True), "after-signing", "binary", "none"),
    (None, None, "none", "binary", "signed"),
]


@pytest.fixture(scope="module")
def twenty_megabytes() -> bytes:
    generator = random.Random(20)
    text = b"".join(
        b"LIN+%d++%d:EN'\r\nQTY+21:%d'\n" % (i, generator.getrandbits(40), i)
        for i in range(200_000)
    )
    size = 20 * 1024 * 1024
    return (text + generator.randbytes(size))[:size]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("encryption", "signing", "compression", "encoding", "mdn"),
    BIG_POINTS,
    ids=[f"{encryption_id(p[0])}-{signing_id(p[1])}-{'-'.join(p[2:])}" for p in BIG_POINTS],
)
def test_twenty_megabytes_arrive_byte_for_byte(
    alice, bob, twenty_megabytes, encryption, signing, compression, encoding, mdn
):
    round_trip(alice, bob, twenty_megabytes, encryption, signing, compression, encoding, mdn)
