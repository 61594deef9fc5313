"""build_mdn and parse_mdn: RFC 8098 reports, signed or not, and one disposition per error."""

import pytest

import as2
from as2 import Digest, MdnRequest, MicCheck, Recipient, Signer
from as2.mdn import ACTION_MODE

PAYLOAD = b"UNB+UNOA:2+SENDER+RECEIVER\nUNZ+1+5'\n"


def send(alice, bob, **options):
    arguments = {
        "filename": "orders.edi",
        "content_type": "application/EDIFACT",
        "sender": alice.as2_id,
        "receiver": bob.as2_id,
        "subject": "Orders",
        "signer": Signer(alice.key, alice.certificate),
        "recipient": Recipient(bob.certificate),
    }
    return as2.build_message(PAYLOAD, **(arguments | options))


def receive(alice, bob, message):
    return as2.parse_message(
        message.headers,
        message.body,
        keys=as2.ReceiverKeys(bob.key, bob.certificate, (alice.certificate,)),
    )


def test_signed_mdn_round_trip_confirms_the_mic(alice, bob):
    message = send(alice, bob)
    received = receive(alice, bob, message)

    mdn = as2.build_mdn(original=received, signer=Signer(bob.key, bob.certificate))
    parsed = as2.parse_mdn(
        mdn.headers,
        mdn.body,
        partner_certificates=[bob.certificate],
        expected_mic=message.mic,
        expected_message_id=message.message_id,
        require_signature=True,
    )

    assert mdn.signed is Digest.SHA256 and parsed.signed is Digest.SHA256
    assert parsed.signer == bob.certificate
    assert parsed.successful and parsed.disposition == f"{ACTION_MODE}; processed"
    assert parsed.mic == message.mic and parsed.mic_check is MicCheck.MATCHED
    assert parsed.original_message_id == message.message_id
    assert parsed.message_id == mdn.message_id != message.message_id
    assert (parsed.sender, parsed.receiver) == ("Bob AS2", "alice")
    assert parsed.original_recipient == parsed.final_recipient == "Bob AS2"
    assert parsed.reporting_ua == "Serverless AS2"
    assert "was received and processed" in parsed.text


def test_mdn_headers_answer_the_sender(alice, bob):
    received = receive(alice, bob, send(alice, bob))

    mdn = as2.build_mdn(original=received, signer=Signer(bob.key, bob.certificate))

    assert mdn.headers["AS2-From"] == '"Bob AS2"'
    assert mdn.headers["AS2-To"] == "alice"
    assert mdn.headers["AS2-Version"] == "1.2"
    assert "EDIINT-Features" in mdn.headers
    assert mdn.headers["Content-Type"].startswith("multipart/signed;")
    assert "micalg=sha-256" in mdn.headers["Content-Type"]


def test_mdn_is_signed_with_the_requested_micalg(alice, bob):
    message = send(
        alice,
        bob,
        signer=Signer(alice.key, alice.certificate, Digest.SHA1),
        mdn=MdnRequest(digest_algorithms=(Digest.from_name("sha-512"),)),
    )
    received = receive(alice, bob, message)

    mdn = as2.build_mdn(original=received, signer=Signer(bob.key, bob.certificate))
    parsed = as2.parse_mdn(mdn.headers, mdn.body, partner_certificates=[bob.certificate])

    assert received.mdn_request is not None
    assert received.mdn_request.digest_algorithms == (Digest.SHA512,)
    assert parsed.signed is Digest.SHA512
    # The MIC is over the signed entity with the message's own signature digest.
    assert parsed.mic == message.mic and parsed.mic_algorithm is Digest.SHA1


def test_legacy_sha1_signed_mdn(alice, bob):
    received = receive(
        alice, bob, send(alice, bob, mdn=MdnRequest(digest_algorithms=(Digest.SHA1,)))
    )

    mdn = as2.build_mdn(original=received, signer=Signer(bob.key, bob.certificate))

    assert "micalg=sha1" in mdn.headers["Content-Type"]
    assert as2.parse_mdn(mdn.headers, mdn.body, partner_certificates=[bob.certificate]).signed == (
        "sha1"
    )


def test_unsigned_mdn_when_the_sender_asked_for_an_unsigned_one(alice, bob):
    message = send(alice, bob, mdn=MdnRequest(signed=False))
    received = receive(alice, bob, message)

    mdn = as2.build_mdn(original=received, signer=Signer(bob.key, bob.certificate))
    parsed = as2.parse_mdn(mdn.headers, mdn.body, expected_mic=message.mic)

    assert mdn.signed is None and parsed.signed is None
    assert mdn.headers["Content-Type"].startswith("multipart/report; ")
    assert "report-type=disposition-notification" in mdn.headers["Content-Type"]
    assert parsed.successful and parsed.mic_check is MicCheck.MATCHED


def test_report_has_the_rfc8098_fields(alice, bob):
    received = receive(alice, bob, send(alice, bob, mdn=MdnRequest(signed=False)))

    mdn = as2.build_mdn(original=received, reporting_ua="Test UA")

    assert b"Content-Type: message/disposition-notification\r\n" in mdn.body
    assert b"Reporting-UA: Test UA\r\n" in mdn.body
    assert b'Original-Recipient: rfc822; "Bob AS2"\r\n' in mdn.body
    assert b'Final-Recipient: rfc822; "Bob AS2"\r\n' in mdn.body
    assert f"Original-Message-ID: {received.message_id}\r\n".encode() in mdn.body
    assert f"Received-Content-MIC: {received.mic}\r\n".encode() in mdn.body
    assert f"Disposition: {ACTION_MODE}; processed\r\n".encode() in mdn.body


@pytest.mark.parametrize(
    ("error", "modifier"),
    [
        (as2.DecryptionFailed("x"), "decryption-failed"),
        (as2.SignatureInvalid("x"), "authentication-failed"),
        (as2.IntegrityCheckFailed("x"), "integrity-check-failed"),
        (as2.DecompressionFailed("x"), "decompression-failed"),
        (as2.InsufficientSecurity("x"), "insufficient-message-security"),
        (as2.MalformedMessage("x"), "unexpected-processing-error"),
        (as2.UnsupportedAlgorithm("x"), "unexpected-processing-error"),
        (as2.UnknownPartner("x"), "unknown-trading-partner"),
    ],
)
def test_each_error_maps_to_one_disposition(error, modifier):
    assert as2.disposition_for(error) == f"{ACTION_MODE}; processed/error: {modifier}"


def test_warning_disposition():
    assert as2.disposition_for(warning="duplicate\ndocument") == (
        f"{ACTION_MODE}; processed/warning: duplicate document"
    )


def test_error_mdn_from_the_envelope_when_parsing_failed(alice, bob, mallory):
    message = send(alice, bob)
    with pytest.raises(as2.As2Error) as caught:
        as2.parse_message(
            message.headers,
            message.body,
            keys=as2.ReceiverKeys(mallory.key, mallory.certificate),
        )
    envelope = as2.read_envelope(message.headers)

    mdn = as2.build_mdn(
        original=envelope, error=caught.value, signer=Signer(bob.key, bob.certificate)
    )
    parsed = as2.parse_mdn(
        mdn.headers,
        mdn.body,
        partner_certificates=[bob.certificate],
        expected_message_id=message.message_id,
        expected_mic=message.mic,
    )

    assert parsed.disposition == f"{ACTION_MODE}; processed/error: decryption-failed"
    assert parsed.modifier == "error: decryption-failed" and not parsed.successful
    assert parsed.mic is None and parsed.mic_check is MicCheck.MISSING
    assert not parsed.proves_delivery
    assert str(caught.value) in parsed.text


def test_non_ascii_text_is_sent_as_utf8(alice, bob):
    envelope = as2.read_envelope(send(alice, bob).headers)

    mdn = as2.build_mdn(original=envelope, text="Empfangen – danke schön")
    parsed = as2.parse_mdn(mdn.headers, mdn.body)

    assert parsed.text == "Empfangen – danke schön"


def test_mic_in_another_algorithm_cannot_be_compared(alice, bob):
    received = receive(alice, bob, send(alice, bob, mdn=MdnRequest(signed=False)))
    mdn = as2.build_mdn(original=received)

    parsed = as2.parse_mdn(mdn.headers, mdn.body, expected_mic="AAAA, sha1")

    assert parsed.mic_check is MicCheck.NOT_CHECKED and not parsed.proves_delivery


def test_tampered_signed_mdn_fails_authentication(alice, bob):
    received = receive(alice, bob, send(alice, bob))
    mdn = as2.build_mdn(original=received, signer=Signer(bob.key, bob.certificate))
    body = mdn.body.replace(b"; processed\r\n", b"; processed/error: decryption-failed\r\n")

    with pytest.raises(as2.SignatureInvalid):
        as2.parse_mdn(mdn.headers, body, partner_certificates=[bob.certificate])


def test_mdn_signed_by_someone_else_fails_authentication(alice, bob, mallory):
    received = receive(alice, bob, send(alice, bob))
    mdn = as2.build_mdn(original=received, signer=Signer(mallory.key, mallory.certificate))

    with pytest.raises(as2.SignatureInvalid):
        as2.parse_mdn(mdn.headers, mdn.body, partner_certificates=[bob.certificate])


def test_unsigned_mdn_with_lf_framing_and_lower_case_headers(alice, bob):
    received = receive(alice, bob, send(alice, bob, mdn=MdnRequest(signed=False)))
    mdn = as2.build_mdn(original=received)
    headers = [(name.lower(), value) for name, value in mdn.headers.items()]

    parsed = as2.parse_mdn(headers, mdn.body.replace(b"\r\n", b"\n"))

    assert parsed.successful and parsed.mic == received.mic


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b"hello"),
        ("multipart/report; boundary=B", b"--B\r\nContent-Type: text/plain\r\n\r\nhi\r\n--B--\r\n"),
        (
            "multipart/report; boundary=B",
            b"--B\r\nContent-Type: message/disposition-notification\r\n\r\n"
            b"Reporting-UA: x\r\n\r\n--B--\r\n",
        ),
        (
            "multipart/report; boundary=B",
            b"--B\r\nContent-Type: message/disposition-notification\r\n\r\n"
            b"Disposition: no-semicolon\r\n\r\n--B--\r\n",
        ),
        ("multipart/report; boundary=B", b"no parts at all"),
    ],
)
def test_malformed_mdns_are_invalid(content_type, body):
    with pytest.raises(as2.MdnInvalid):
        as2.parse_mdn({"Content-Type": content_type}, body)


def test_mdn_without_content_type_is_invalid():
    with pytest.raises(as2.MdnInvalid):
        as2.parse_mdn({}, b"")


def test_md5_request_gets_an_mdn_signed_with_sha256(alice, bob):
    headers = send(alice, bob).headers | {
        "Disposition-Notification-Options": (
            "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, md5"
        )
    }
    envelope = as2.read_envelope(headers)

    mdn = as2.build_mdn(original=envelope, signer=Signer(bob.key, bob.certificate))

    assert envelope.mdn_request is not None
    assert envelope.mdn_request.digest_algorithms == (Digest.MD5,)
    assert mdn.signed is Digest.SHA256


def test_processed_mdn_without_a_mic_does_not_prove_delivery(alice, bob):
    # Peers answer so for messages they could not open: signed, "processed", no MIC.
    message = send(alice, bob)
    received = receive(alice, bob, message)
    mdn = as2.build_mdn(
        original=as2.read_envelope(message.headers), signer=Signer(bob.key, bob.certificate)
    )
    assert b"Received-Content-MIC" not in mdn.body and received.mic

    parsed = as2.parse_mdn(
        mdn.headers, mdn.body, partner_certificates=[bob.certificate], expected_mic=message.mic
    )

    assert parsed.successful and parsed.signed is Digest.SHA256
    assert parsed.mic_check is MicCheck.MISSING
    assert not parsed.proves_delivery


def test_mdn_with_another_mic_is_mismatched(alice, bob):
    message = send(alice, bob)
    mdn = as2.build_mdn(
        original=receive(alice, bob, message), signer=Signer(bob.key, bob.certificate)
    )

    parsed = as2.parse_mdn(
        mdn.headers,
        mdn.body,
        partner_certificates=[bob.certificate],
        expected_mic="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=, sha-256",
    )

    assert parsed.successful and parsed.mic_check is MicCheck.MISMATCHED
    assert not parsed.proves_delivery


def test_matching_mic_proves_delivery(alice, bob):
    message = send(alice, bob)
    mdn = as2.build_mdn(
        original=receive(alice, bob, message), signer=Signer(bob.key, bob.certificate)
    )

    parsed = as2.parse_mdn(
        mdn.headers, mdn.body, partner_certificates=[bob.certificate], expected_mic=message.mic
    )

    assert parsed.mic_check is MicCheck.MATCHED and parsed.proves_delivery
