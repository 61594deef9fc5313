"""Mutated and garbage messages and MDNs: only the engine's own exceptions ever come out."""

import tracemalloc
import zlib

import pytest
from asn1crypto import cms as asn1_cms
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import as2
from as2 import (
    Compression,
    ContentCipher,
    MdnRequest,
    Oaep,
    Pss,
    Recipient,
    Signer,
    TransferEncoding,
)
from tests.as2.conftest import VECTORS, load_vector, make_party

FUZZ_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
MAX_PAYLOAD = 1024 * 1024
PAYLOAD = b"UNB+UNOA:2+A+B'\nUNH+1+ORDERS'\r\nUNZ+1+5'\r"

# Built once per module: hypothesis calls a test hundreds of times, fixtures would not do.
ALICE = make_party("alice")
BOB = make_party("Bob AS2")


def _message(**options) -> tuple[dict[str, str], bytes]:
    built = as2.build_message(
        PAYLOAD,
        filename="orders.edi",
        content_type="application/EDIFACT",
        sender=ALICE.as2_id,
        receiver=BOB.as2_id,
        subject="fuzz",
        **options,
    )
    return built.headers, built.body


SIGN = {"signer": Signer(ALICE.key, ALICE.certificate)}
ENCRYPT = {"recipient": Recipient(BOB.certificate)}
# (headers, body, the payload they carry: a successful parse that was signed or authenticated-
# encrypted must give exactly it; None where the fuzz only checks the exceptions).
MESSAGES = [
    (*_message(), PAYLOAD),
    (*_message(**SIGN), PAYLOAD),
    (*_message(**SIGN, transfer_encoding=TransferEncoding.BASE64), PAYLOAD),
    (*_message(**SIGN, compress=Compression.AFTER_SIGNING), PAYLOAD),
    (*_message(**SIGN, **ENCRYPT, compress=Compression.BEFORE_SIGNING), PAYLOAD),
    (*_message(recipient=Recipient(BOB.certificate, ContentCipher.TRIPLE_DES)), PAYLOAD),
    (*_message(recipient=Recipient(BOB.certificate, ContentCipher.AES256_GCM)), PAYLOAD),
    (
        *_message(
            signer=Signer(ALICE.key, ALICE.certificate, padding=Pss()),
            recipient=Recipient(BOB.certificate, ContentCipher.AES128_GCM, Oaep()),
        ),
        PAYLOAD,
    ),
    (*load_vector("sb2bi_signed_cmp.msg"), None),
    (*load_vector("mecas2_signed.as2"), (VECTORS / "payload.txt").read_bytes()),
]


def _mdn(signed: bool) -> tuple[dict[str, str], bytes]:
    received = as2.parse_message(
        *_message(**SIGN, mdn=MdnRequest(signed=signed)),
        keys=as2.ReceiverKeys(partner_certificates=(ALICE.certificate,)),
    )
    signer = Signer(BOB.key, BOB.certificate) if signed else None
    built = as2.build_mdn(original=received, signer=signer)
    return built.headers, built.body


MDNS = [
    _mdn(signed=True),
    _mdn(signed=False),
    load_vector("sb2bi_signed.mdn"),
    load_vector("mecas2_unsigned.mdn"),
]


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with a few bytes flipped, cut, inserted, deleted or duplicated."""
    body = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        if not body:
            body += draw(st.binary(min_size=1, max_size=16))
            continue
        position = draw(st.integers(0, len(body) - 1))
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "duplicate", "crlf"]))
        if kind == "flip":
            body[position] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del body[position:]
        elif kind == "insert":
            body[position:position] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "delete":
            del body[position : position + draw(st.integers(1, 64))]
        elif kind == "duplicate":
            body[position:position] = body[position : position + draw(st.integers(1, 256))]
        else:
            body[:] = bytes(body).replace(b"\r\n", b"\n")
    return bytes(body)


@st.composite
def mutated_headers(draw: st.DrawFn, headers: dict[str, str] | list) -> list[tuple[str, str]]:
    """``headers`` with a value replaced, a field dropped, or nothing changed."""
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers)
    kind = draw(st.sampled_from(["keep", "keep", "replace", "drop", "tweak-content-type"]))
    index = draw(st.integers(0, len(pairs) - 1))
    if kind == "replace":
        pairs[index] = (pairs[index][0], draw(st.text(max_size=80)))
    elif kind == "drop":
        del pairs[index]
    elif kind == "tweak-content-type":
        pairs = [
            (name, value + draw(st.sampled_from(['; boundary=""', "; boundary=x", ";;=;", '"'])))
            if name.lower() == "content-type"
            else (name, value)
            for name, value in pairs
        ]
    return pairs


@st.composite
def mutated_message(
    draw: st.DrawFn, samples: list
) -> tuple[list[tuple[str, str]], bytes, bytes | None]:
    headers, body, *payload = draw(st.sampled_from(samples))
    return draw(mutated_headers(headers)), draw(mutated_bytes(body)), *payload


AUTHENTICATED_CIPHERS = {cipher for cipher in ContentCipher if cipher.gcm}


def parse_message_or_engine_error(headers, body, payload: bytes | None = None) -> None:
    """Only engine errors come out; and what a signature or AES-GCM vouches for is the original
    payload (AES-CBC alone has no integrity: a mutated block can still unpad)."""
    try:
        received = as2.parse_message(
            headers,
            body,
            keys=as2.ReceiverKeys(
                key=BOB.key, certificate=BOB.certificate, partner_certificates=(ALICE.certificate,)
            ),
            max_payload_size=MAX_PAYLOAD,
        )
    except as2.As2Error as error:
        assert error.disposition
        assert str(error)
        return
    if payload is not None and (
        received.signed is not None or received.encrypted in AUTHENTICATED_CIPHERS
    ):
        assert received.payload == payload


def parse_mdn_or_engine_error(headers, body, payload: None = None) -> None:
    try:
        as2.parse_mdn(headers, body, partner_certificates=[BOB.certificate], expected_mic="x, y")
    except as2.As2Error as error:
        assert str(error)


@FUZZ_SETTINGS
@given(mutated_message(MESSAGES))
def test_mutated_messages_raise_only_engine_errors(message):
    parse_message_or_engine_error(*message)


@FUZZ_SETTINGS
@given(mutated_message(MDNS))
@example(  # once a ValueError: Python refuses a codec name with a NUL in it
    mdn=(MDNS[1][0], MDNS[1][1].replace(b"charset=us-ascii", b"charset=\x00us-ascii", 1))
)
def test_mutated_mdns_raise_only_engine_errors(mdn):
    parse_mdn_or_engine_error(*mdn)


CONTENT_TYPES = [
    "multipart/signed; boundary=B; micalg=sha-256",
    "multipart/report; boundary=B",
    "application/pkcs7-mime; smime-type=enveloped-data",
    "application/pkcs7-mime; smime-type=compressed-data",
    "application/pkcs7-mime; smime-type=signed-data",
    "text/plain",
]
GARBAGE_BODY = st.one_of(
    st.binary(max_size=2048),
    st.lists(
        st.sampled_from(
            [
                b"--B",
                b"--B--",
                b"\r\n",
                b"\n",
                b"Content-Type: ",
                b"multipart/signed; boundary=B",
                b"application/pkcs7-signature",
                b"application/pkcs7-mime",
                b"base64",
                b"\x30\x80",
                b"\x30\x82\xff\xff",
                b"\x00\x00",
                b"MIAGCSqGSIb3DQEHA",
                b"Disposition: a; b",
            ]
        ),  # fmt: skip
        max_size=40,
    ).map(b"".join),
)


@FUZZ_SETTINGS
@given(content_type=st.sampled_from(CONTENT_TYPES), body=GARBAGE_BODY)
@example(content_type="text/plain\r0", body=b"hi")  # once a ValueError from the MIME builder
def test_garbage_bodies_raise_only_engine_errors(content_type, body):
    headers = {"AS2-From": "a", "AS2-To": "b", "Message-ID": "<x@y>", "Content-Type": content_type}
    parse_message_or_engine_error(headers, body)
    parse_mdn_or_engine_error(headers, body)


@FUZZ_SETTINGS
@given(
    headers=st.one_of(
        st.dictionaries(st.text(max_size=20), st.text(max_size=60), max_size=8),
        st.lists(st.tuples(st.text(max_size=20), st.text(max_size=60)), max_size=8),
    ),
    body=st.binary(max_size=256),
)
def test_garbage_headers_raise_only_engine_errors(headers, body):
    parse_message_or_engine_error(headers, body)
    parse_mdn_or_engine_error(headers, body)


def _compression_bomb(size: int) -> bytes:
    """An RFC 3274 CompressedData of ``size`` zero bytes, made without holding them."""
    compressor = zlib.compressobj(9)
    chunk = bytes(1024 * 1024)
    stream = b"".join(compressor.compress(chunk) for _ in range(size // len(chunk)))
    stream += compressor.flush()
    return asn1_cms.ContentInfo(
        {
            "content_type": "compressed_data",
            "content": {
                "version": "v0",
                "compression_algorithm": {"algorithm": "zlib"},
                "encap_content_info": {"content_type": "data", "content": stream},
            },
        }
    ).dump()


def test_compression_bomb_is_refused_in_bounded_memory():
    bomb = _compression_bomb(512 * 1024 * 1024)
    headers = {
        "AS2-From": "a",
        "AS2-To": "b",
        "Message-ID": "<bomb@example>",
        "Content-Type": "application/pkcs7-mime; smime-type=compressed-data",
    }
    tracemalloc.start()
    try:
        with pytest.raises(as2.DecompressionFailed):
            as2.parse_message(headers, bomb, max_payload_size=MAX_PAYLOAD)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert len(bomb) < 1024 * 1024
    assert peak < 8 * MAX_PAYLOAD
