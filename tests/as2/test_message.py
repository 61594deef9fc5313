"""build_message and parse_message: headers, options, quirks of real peers, and every error."""

import base64
import hashlib
import re
import tracemalloc

import pytest

import as2
from as2 import (
    Compression,
    ContentCipher,
    Digest,
    MdnMode,
    MdnRequest,
    Oaep,
    Pss,
    Recipient,
    Signer,
)

PAYLOAD = b"ISA*00*          *00*\nGS*PO\r\nST*850\rSE*2\n"


def build(alice, bob, payload=PAYLOAD, **options):
    arguments = {
        "filename": "order.x12",
        "content_type": "application/EDI-X12",
        "sender": alice.as2_id,
        "receiver": bob.as2_id,
        "subject": "Order 42",
    }
    return as2.build_message(payload, **(arguments | options))


def signed_and_encrypted(alice, bob, **options):
    protection = {
        "signer": Signer(alice.key, alice.certificate),
        "recipient": Recipient(bob.certificate),
    }
    return build(alice, bob, **(protection | options))


def parse(alice, bob, headers, body, **options):
    keys = as2.ReceiverKeys(bob.key, bob.certificate, (alice.certificate,))
    return as2.parse_message(headers, body, **({"keys": keys} | options))


# --- What build_message writes ---------------------------------------------------------------


def test_built_message_carries_the_as2_headers(alice, bob):
    message = signed_and_encrypted(alice, bob)
    headers = message.headers

    assert headers["AS2-Version"] == "1.2"
    assert headers["AS2-From"] == "alice"
    assert headers["AS2-To"] == '"Bob AS2"'  # an AS2 ID with a space is quoted
    assert headers["Subject"] == "Order 42"
    assert headers["MIME-Version"] == "1.0"
    assert "EDIINT-Features" in headers
    assert headers["Message-ID"] == message.message_id
    assert re.fullmatch(r"<\d{14}\.[0-9a-f]{24}@serverless-as2>", message.message_id)
    assert headers["Content-Type"].startswith("application/pkcs7-mime; smime-type=enveloped-data")
    assert headers["Disposition-Notification-To"] == "alice"
    assert headers["Disposition-Notification-Options"] == (
        "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256"
    )
    assert "Receipt-Delivery-Option" not in headers


def test_async_mdn_request_names_the_return_url(alice, bob):
    message = build(
        alice, bob, mdn=MdnRequest(MdnMode.ASYNC, signed=False, url="https://as2.example.com/mdn")
    )

    assert message.headers["Receipt-Delivery-Option"] == "https://as2.example.com/mdn"
    assert message.headers["Disposition-Notification-To"] == "https://as2.example.com/mdn"
    assert "Disposition-Notification-Options" not in message.headers


def test_no_mdn_requested_sends_no_notification_headers(alice, bob):
    message = build(alice, bob, mdn=None)

    assert not any(name.startswith("Disposition-Notification") for name in message.headers)
    assert parse(alice, bob, message.headers, message.body).mdn_request is None


def test_plain_message_body_is_the_payload_and_filename_is_in_the_headers(alice, bob):
    message = build(alice, bob, mdn=None)

    assert message.body == PAYLOAD
    assert message.headers["Content-Type"] == "application/EDI-X12"
    assert message.headers["Content-Disposition"] == 'attachment; filename="order.x12"'


def test_given_message_id_is_used(alice, bob):
    message = build(alice, bob, message_id="<retry-1@example.com>")

    assert message.message_id == "<retry-1@example.com>"
    assert parse(alice, bob, message.headers, message.body).message_id == "<retry-1@example.com>"


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"compress": "twice"}, "compress"),
        ({"sender": "x" * 129}, "AS2 ID"),
        ({"receiver": "tab\there"}, "AS2 ID"),
        ({"subject": "two\r\nlines"}, "line break"),
        ({"domain": "bad domain"}, "domain"),
    ],
)
def test_invalid_build_arguments_say_what_is_wrong(alice, bob, options, complaint):
    with pytest.raises(ValueError, match=complaint):
        build(alice, bob, **options)


def test_asynchronous_mdn_request_needs_its_url():
    with pytest.raises(ValueError, match="url"):
        MdnRequest(MdnMode.ASYNC)


def test_unknown_algorithm_is_unsupported():
    with pytest.raises(as2.UnsupportedAlgorithm):
        Digest.from_name("whirlpool")


# --- What parse_message reports ---------------------------------------------------------------


def test_a_large_binary_payload_is_parsed_without_a_copy_of_it(alice, bob):
    payload = bytes(range(256)) * 40_000  # 10 MB
    message = signed_and_encrypted(alice, bob, payload=payload)
    tracemalloc.start()
    try:
        received = parse(alice, bob, message.headers, message.body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert hashlib.sha256(received.payload_view).digest() == hashlib.sha256(payload).digest()
    assert received.payload == payload and type(received.payload) is bytes
    # The decrypted content once; the payload is a view into it, not a second copy.
    assert peak < 1.3 * len(payload)


def test_round_trip_reports_everything_that_was_applied(alice, bob):
    message = signed_and_encrypted(
        alice,
        bob,
        compress=Compression.BEFORE_SIGNING,
        recipient=Recipient(bob.certificate, ContentCipher.AES192_CBC),
        signer=Signer(alice.key, alice.certificate, Digest.SHA384),
    )

    received = parse(alice, bob, message.headers, message.body)

    assert received.payload == PAYLOAD
    assert (received.sender, received.receiver) == ("alice", "Bob AS2")
    assert received.subject == "Order 42"
    assert received.filename == "order.x12"
    assert received.content_type == "application/EDI-X12"
    assert (received.encrypted, received.signed, received.compressed) == (
        ContentCipher.AES192_CBC,
        Digest.SHA384,
        Compression.BEFORE_SIGNING,
    )
    assert received.signer == alice.certificate
    assert received.mic == message.mic and received.mic_algorithm is Digest.SHA384
    assert received.mdn_request == as2.MdnRequest(
        mode=MdnMode.SYNC, signed=True, digest_algorithms=(Digest.SHA384,), url=None, to="alice"
    )


@pytest.mark.parametrize(
    ("options", "reported"),
    [
        ({"padding": Pss()}, ("signature_padding", Pss())),
        ({"key_transport": Oaep()}, ("key_transport", Oaep(Digest.SHA256))),
        ({"key_transport": Oaep(Digest.SHA1)}, ("key_transport", Oaep(Digest.SHA1))),
        ({"key_transport": Oaep(Digest.SHA384)}, ("key_transport", Oaep(Digest.SHA384))),
        ({"key_transport": Oaep(Digest.SHA512)}, ("key_transport", Oaep(Digest.SHA512))),
        ({"cipher": ContentCipher.TRIPLE_DES}, ("encrypted", ContentCipher.TRIPLE_DES)),
        ({"cipher": ContentCipher.AES128_GCM}, ("encrypted", ContentCipher.AES128_GCM)),
        ({"digest": Digest.SHA1}, ("signed", Digest.SHA1)),
        ({"digest": Digest.from_name("SHA-512")}, ("signed", Digest.SHA512)),
    ],
)
def test_algorithm_choices_are_reported(alice, bob, options, reported):
    signer_options = {k: v for k, v in options.items() if k in ("padding", "digest")}
    recipient_options = {k: v for k, v in options.items() if k in ("cipher", "key_transport")}
    message = signed_and_encrypted(
        alice,
        bob,
        signer=Signer(alice.key, alice.certificate, **signer_options),
        recipient=Recipient(bob.certificate, **recipient_options),
    )

    received = parse(alice, bob, message.headers, message.body)

    assert received.payload == PAYLOAD
    assert getattr(received, reported[0]) == reported[1]
    assert received.mic == message.mic


def test_header_names_in_any_case_and_as_a_list_of_pairs(alice, bob):
    message = signed_and_encrypted(alice, bob)
    pairs = [(name.lower(), value) for name, value in message.headers.items()]

    assert parse(alice, bob, pairs, message.body).payload == PAYLOAD


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("application/pkcs7-signature", "application/x-pkcs7-signature"),
        ("micalg=sha-256", "micalg=SHA256"),
        ("micalg=sha-256", "micalg=sha256"),
    ],
)
def test_legacy_spellings_of_signed_messages_are_accepted(alice, bob, old, new):
    message = build(alice, bob, signer=Signer(alice.key, alice.certificate))
    headers = {name: value.replace(old, new) for name, value in message.headers.items()}
    body = message.body.replace(old.encode(), new.encode())

    received = parse(alice, bob, headers, body)

    assert received.payload == PAYLOAD and received.mic == message.mic


def test_x_pkcs7_mime_encrypted_message_is_accepted(alice, bob):
    message = signed_and_encrypted(alice, bob)
    headers = message.headers | {
        "Content-Type": "application/x-pkcs7-mime; smime-type=enveloped-data; name=smime.p7m"
    }

    assert parse(alice, bob, headers, message.body).payload == PAYLOAD


@pytest.mark.parametrize("encoding", ["binary", "base64"])
def test_signature_part_without_transfer_encoding_header_is_read(alice, bob, encoding):
    message = build(
        alice,
        bob,
        signer=Signer(alice.key, alice.certificate),
        transfer_encoding=as2.TransferEncoding(encoding),
    )
    signature_header = f"Content-Transfer-Encoding: {encoding}\r\nContent-Disposition: attachment; "
    body = message.body.replace(
        signature_header.encode() + b'filename="smime.p7s"',
        b'Content-Disposition: attachment; filename="smime.p7s"',
    )
    assert body != message.body

    assert parse(alice, bob, message.headers, body).payload == PAYLOAD


def test_encrypted_body_without_transfer_encoding_header_is_binary(alice, bob):
    message = signed_and_encrypted(alice, bob)
    headers = {k: v for k, v in message.headers.items() if k != "Content-Transfer-Encoding"}

    assert parse(alice, bob, headers, message.body).payload == PAYLOAD


def test_binary_body_labelled_base64_is_read_as_binary(alice, bob):
    message = signed_and_encrypted(alice, bob)
    headers = message.headers | {"Content-Transfer-Encoding": "base64"}

    assert parse(alice, bob, headers, message.body).payload == PAYLOAD


def test_signed_message_with_lf_header_lines_still_verifies(alice, bob):
    # Some peers (and some ways of storing messages) turn the signed part's header lines into
    # LF; the signature is over their CRLF form and the payload is left untouched.
    message = build(alice, bob, signer=Signer(alice.key, alice.certificate))
    header_block = message.body.split(b"\r\n\r\n", 1)[0]
    lf_block = header_block.replace(b"\r\n", b"\n")
    body = message.body.replace(header_block + b"\r\n\r\n", lf_block + b"\n\n", 1)

    received = parse(alice, bob, message.headers, body)

    assert received.payload == PAYLOAD and received.mic == message.mic


def test_compression_order_is_detected(alice, bob):
    before = signed_and_encrypted(alice, bob, compress=Compression.BEFORE_SIGNING)
    after = signed_and_encrypted(alice, bob, compress=Compression.AFTER_SIGNING)

    assert parse(alice, bob, before.headers, before.body).compressed is Compression.BEFORE_SIGNING
    assert parse(alice, bob, after.headers, after.body).compressed is Compression.AFTER_SIGNING


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"compress": Compression.BEFORE_SIGNING},
        {"recipient": "bob"},
        {"recipient": "bob", "compress": Compression.AFTER_SIGNING},
    ],
)
def test_unsigned_messages_give_the_mic_the_sender_expects(alice, bob, options):
    if "recipient" in options:
        options["recipient"] = Recipient(bob.certificate)
    message = build(alice, bob, **options)

    received = parse(alice, bob, message.headers, message.body)

    assert received.payload == PAYLOAD
    assert received.signed is None
    assert received.mic == message.mic


def test_unsigned_unencrypted_mic_is_over_the_body_without_headers(alice, bob):
    # RFC 4130 7.3.1: "calculated over the message contents without the MIME or any other
    # RFC 2822 headers, since these are sometimes altered or reordered".
    message = build(alice, bob, mdn=MdnRequest(digest_algorithms=(Digest.SHA256,)))
    expected = base64.b64encode(hashlib.sha256(PAYLOAD).digest()).decode() + ", sha-256"

    received = parse(alice, bob, message.headers, message.body)

    assert message.mic == expected
    assert received.mic == expected


def test_unsigned_mic_ignores_headers_a_transport_rewrote(alice, bob):
    message = build(alice, bob)
    headers = dict(message.headers)
    headers["Content-Type"] = headers["Content-Type"].lower() + "; charset=us-ascii"

    received = parse(alice, bob, headers, message.body)

    assert received.mic == message.mic


def test_header_with_a_carriage_return_is_an_engine_error_or_parses():
    headers = {
        "AS2-From": "a",
        "AS2-To": "b",
        "Message-ID": "<x@y>",
        "Content-Type": "text/plain\r0",
    }

    received = as2.parse_message(headers, b"hi")

    assert received.payload == b"hi"
    assert received.mic == base64.b64encode(hashlib.sha256(b"hi").digest()).decode() + ", sha-256"


# --- Errors, each with the disposition an MDN reports -----------------------------------------


def test_required_encryption_missing_is_insufficient_security(alice, bob):
    message = build(alice, bob, signer=Signer(alice.key, alice.certificate))

    with pytest.raises(as2.InsufficientSecurity) as caught:
        parse(alice, bob, message.headers, message.body, require_encryption=True)
    assert caught.value.disposition == "insufficient-message-security"
    assert "encrypt" in str(caught.value)


def test_required_signature_missing_is_insufficient_security(alice, bob):
    message = build(alice, bob, recipient=Recipient(bob.certificate))

    with pytest.raises(as2.InsufficientSecurity, match="signed"):
        parse(alice, bob, message.headers, message.body, require_signature=True)


def test_encrypted_message_without_a_key_fails_decryption(alice, bob):
    message = signed_and_encrypted(alice, bob)

    with pytest.raises(as2.DecryptionFailed) as caught:
        as2.parse_message(message.headers, message.body)
    assert caught.value.disposition == "decryption-failed"


def test_message_for_someone_else_fails_decryption(alice, bob, mallory):
    message = signed_and_encrypted(alice, bob)

    with pytest.raises(as2.DecryptionFailed):
        parse(
            alice,
            bob,
            message.headers,
            message.body,
            keys=as2.ReceiverKeys(mallory.key, mallory.certificate, (alice.certificate,)),
        )


def test_message_signed_by_someone_else_fails_authentication(alice, bob, mallory):
    message = build(alice, bob, signer=Signer(mallory.key, mallory.certificate))

    with pytest.raises(as2.SignatureInvalid) as caught:
        parse(alice, bob, message.headers, message.body)
    assert caught.value.disposition == "authentication-failed"


def test_altered_payload_fails_authentication(alice, bob):
    message = build(alice, bob, signer=Signer(alice.key, alice.certificate))
    body = message.body.replace(b"GS*PO", b"GS*PX")

    with pytest.raises(as2.SignatureInvalid):
        parse(alice, bob, message.headers, body)


def test_decompressed_size_is_bounded(alice, bob):
    message = build(alice, bob, payload=bytes(1_000_000), compress=Compression.BEFORE_SIGNING)
    assert len(message.body) < 10_000

    with pytest.raises(as2.DecompressionFailed) as caught:
        parse(alice, bob, message.headers, message.body, max_payload_size=100_000)
    assert caught.value.disposition == "decompression-failed"


@pytest.mark.parametrize("missing", ["AS2-From", "AS2-To", "Message-ID", "Content-Type"])
def test_message_without_an_essential_header_is_malformed(alice, bob, missing):
    message = build(alice, bob)
    headers = {name: value for name, value in message.headers.items() if name != missing}

    with pytest.raises(as2.MalformedMessage, match=missing):
        parse(alice, bob, headers, message.body)


def test_envelope_is_readable_when_the_body_is_not(alice, bob):
    message = signed_and_encrypted(alice, bob)

    with pytest.raises(as2.As2Error):
        parse(alice, bob, message.headers, b"garbage")
    envelope = as2.read_envelope(message.headers)

    assert (envelope.message_id, envelope.sender, envelope.receiver) == (
        message.message_id,
        "alice",
        "Bob AS2",
    )
    assert envelope.mdn_request is not None and envelope.mdn_request.signed


def test_notification_options_in_sterling_spelling_are_read(alice, bob):
    headers = build(alice, bob).headers | {
        "Disposition-Notification-Options": (
            "signed-receipt-protocol=required,pkcs7-signature;"
            "signed-receipt-micalg=required,SHA1,md5,unknown-hash"
        )
    }

    request = as2.read_envelope(headers).mdn_request

    assert request is not None and request.signed
    assert request.digest_algorithms == ("sha1", "md5")


@pytest.mark.parametrize(
    ("sent", "received_as"),
    [
        ("Bestellung März – 5.edi", "Bestellung März – 5.edi"),
        ('say "hi".txt', 'say "hi".txt'),
        ("../../etc/cron.d/job", "job"),
    ],
)
def test_filenames_round_trip_decoded_and_made_safe(alice, bob, sent, received_as):
    message = signed_and_encrypted(alice, bob, filename=sent)

    assert parse(alice, bob, message.headers, message.body).filename == received_as
