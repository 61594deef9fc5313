"""Messages and MDNs captured from Mendelson AS2 and IBM Sterling B2Bi parse as MANIFEST.md says."""

import base64
import hashlib
import os
import subprocess

import pytest

import as2
from tests.as2.conftest import VECTORS, load_certificate, load_certificates, load_vector

PAYLOAD = (VECTORS / "payload.txt").read_bytes()

MENDELSON_MESSAGES = [
    # file, encrypted, signed, compressed
    ("mecas2_signed.as2", None, "sha256", "none"),
    ("mecas2_compressed.as2", None, "sha256", "before-signing"),
    ("mecas2_encrypted.as2", "3des", None, "none"),
    ("mecas2_signed_encrypted.as2", "3des", "sha256", "none"),
    ("mecas2_compressed_signed_encrypted.as2", "3des", "sha256", "before-signing"),
]


@pytest.fixture(scope="module")
def mecas2_certificate():
    return load_certificate("cert_mecas2_public.pem")


@pytest.fixture(scope="module")
def sterling_certificate():
    return load_certificate("cert_sb2bi_public.pem")


@pytest.mark.parametrize(("name", "encrypted", "signed", "compressed"), MENDELSON_MESSAGES)
def test_mendelson_message_gives_payload_byte_for_byte(
    name, encrypted, signed, compressed, pyas2lib_keys, mecas2_certificate
):
    key, certificate = pyas2lib_keys
    headers, body = load_vector(name)

    message = as2.parse_message(
        headers,
        body,
        keys=as2.ReceiverKeys(
            key=key, certificate=certificate, partner_certificates=(mecas2_certificate,)
        ),
        require_encryption=encrypted is not None,
        require_signature=signed is not None,
    )

    assert message.payload == PAYLOAD
    assert (message.sender, message.receiver) == ("mecas2", "pyas2lib")
    assert message.filename == "payload.txt"
    assert (message.encrypted, message.signed, message.compressed) == (
        encrypted,
        signed,
        compressed,
    )
    assert message.signer == (mecas2_certificate if signed else None)
    assert message.mdn_request is not None and message.mdn_request.mode == "sync"


def test_mendelson_signed_message_keeps_its_content_type(mecas2_certificate):
    message = as2.parse_message(
        *load_vector("mecas2_signed.as2"),
        keys=as2.ReceiverKeys(partner_certificates=(mecas2_certificate,)),
    )

    assert message.content_type == "application/EDI-Consent"
    assert message.message_id == "<mendelson_opensource_AS2-1641304626700-55@mecas2_pyas2lib>"


def test_mendelson_encrypted_only_message_is_the_bare_payload(pyas2lib_keys):
    # Mendelson puts the payload itself, without MIME headers, in the envelope when it does
    # not sign; the filename travels in the HTTP Content-Disposition.
    key, certificate = pyas2lib_keys
    message = as2.parse_message(
        *load_vector("mecas2_encrypted.as2"),
        keys=as2.ReceiverKeys(key=key, certificate=certificate),
    )

    assert message.payload == PAYLOAD
    assert message.filename == "payload.txt"
    assert message.content_type == "application/octet-stream"


def test_signed_vectors_with_lf_header_lines_verify_over_crlf_headers(mecas2_certificate):
    # The stored signed part has LF header lines; the MIC is over their canonical CRLF form.
    message = as2.parse_message(
        *load_vector("mecas2_signed.as2"),
        keys=as2.ReceiverKeys(partner_certificates=(mecas2_certificate,)),
    )
    entity = (
        b"Content-Type: application/EDI-Consent\r\n"
        b"Content-Transfer-Encoding: binary\r\n"
        b"Content-Disposition: attachment; filename=payload.txt\r\n\r\n" + PAYLOAD
    )
    assert message.mic == base64.b64encode(hashlib.sha256(entity).digest()).decode() + ", sha-256"


def test_sterling_mic_is_the_sha1_of_the_signed_entity_openssl_verifies(
    sterling_certificate, tmp_path
):
    # RFC 4130 7.3.1: the MIC of a signed message is over the signed entity, headers included,
    # in the canonical CRLF form RFC 5751 signs. Cut it out of the vector with byte operations
    # (not our MIME parser) and let openssl confirm it is what the signature covers.
    headers, body = load_vector("sb2bi_signed_cmp.msg")
    content_type = {name.lower(): value for name, value in headers}["content-type"]
    boundary = content_type.split("boundary=")[1].split(";")[0].strip('"').encode()
    _, signed_part, signature_part, *_ = body.split(b"--" + boundary)
    head, _, content = signed_part.removeprefix(b"\n").partition(b"\n\n")
    entity = head.replace(b"\n", b"\r\n") + b"\r\n\r\n" + content.removesuffix(b"\n")
    (tmp_path / "entity").write_bytes(entity)
    (tmp_path / "sig").write_bytes(signature_part.split(b"\n\n", 1)[1].removesuffix(b"\n"))
    verified = subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-noverify",
         "-in", tmp_path / "sig", "-content", tmp_path / "entity", "-out", os.devnull],
        capture_output=True, check=False,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr

    message = as2.parse_message(
        headers, body, keys=as2.ReceiverKeys(partner_certificates=(sterling_certificate,))
    )

    sha1 = hashlib.sha1(entity).digest()  # noqa: S324 - the partner's choice, read only
    assert message.mic == base64.b64encode(sha1).decode() + ", sha1"


def test_mendelson_message_from_an_untrusted_signer_is_refused(mallory):
    with pytest.raises(as2.SignatureInvalid) as caught:
        as2.parse_message(
            *load_vector("mecas2_signed.as2"),
            keys=as2.ReceiverKeys(partner_certificates=(mallory.certificate,)),
        )
    assert caught.value.disposition == "authentication-failed"


def test_mendelson_encrypted_message_with_the_wrong_key_fails_decryption(mallory):
    with pytest.raises(as2.DecryptionFailed):
        as2.parse_message(
            *load_vector("mecas2_encrypted.as2"),
            keys=as2.ReceiverKeys(key=mallory.key, certificate=mallory.certificate),
        )


def test_sterling_signed_compressed_message_opens(sterling_certificate):
    # pyas2-lib skips this one: binary signature part, LF framing, no signed attributes.
    message = as2.parse_message(
        *load_vector("sb2bi_signed_cmp.msg"),
        keys=as2.ReceiverKeys(partner_certificates=(sterling_certificate,)),
        require_signature=True,
    )

    assert len(message.payload) == 2247
    assert message.payload.startswith(b"ISA*00*")
    assert message.content_type == "Application/EDI-X12"
    assert (message.sender, message.receiver) == ("SIAS2PRD", "as2server")
    assert (message.signed, message.compressed, message.encrypted) == (
        "sha1",
        "before-signing",
        None,
    )
    assert message.mic_algorithm == "sha1" and message.mic.endswith(", sha1")
    assert message.mdn_request == as2.MdnRequest(
        mode=as2.MdnMode.SYNC,
        signed=True,
        digest_algorithms=(as2.Digest.SHA1,),
        url=None,
        to="SIAS2PRD",
    )


def test_sterling_message_with_one_flipped_payload_byte_fails_authentication(
    sterling_certificate,
):
    headers, body = load_vector("sb2bi_signed_cmp.msg")
    position = body.index(b"compressed-data") + 200
    tampered = body[:position] + bytes([body[position] ^ 0x01]) + body[position + 1 :]

    with pytest.raises(as2.SignatureInvalid):
        as2.parse_message(
            headers, tampered, keys=as2.ReceiverKeys(partner_certificates=(sterling_certificate,))
        )


def test_mendelson_signed_mdn_reads_disposition_and_mic():
    mdn = as2.parse_mdn(
        *load_vector("mecas2_signed.mdn"),
        expected_message_id="<20161230102456.10748.40759@imac.local>",
        expected_mic="O4bvrm5t2YunRfwvZicNdEUmPaPZ9vUslX8loVLDck0=, sha-256",
    )

    assert mdn.signed == "sha1"
    assert mdn.disposition_type == "processed" and mdn.modifier is None and mdn.successful
    assert mdn.mic == "O4bvrm5t2YunRfwvZicNdEUmPaPZ9vUslX8loVLDck0=, sha-256"
    assert mdn.mic_algorithm == "sha256" and mdn.mic_check is as2.MicCheck.MATCHED
    assert mdn.original_message_id == "<20161230102456.10748.40759@imac.local>"
    assert mdn.original_recipient == "mecas2"


def test_mendelson_signed_mdn_is_signed_by_an_older_mecas2_certificate(mecas2_certificate):
    # MANIFEST.md says cert_mecas2_public.pem verifies it; the MDN (2016) is in fact signed
    # by the certificate it embeds (CN=mecas2, valid 2016-2017), a different key. An honest
    # engine verifies it with that certificate and refuses the 2017 one.
    mdn = as2.parse_mdn(*load_vector("mecas2_signed.mdn"))
    assert mdn.signer is not None
    assert mdn.signer.subject.rfc4514_string().startswith("CN=mecas2,")

    assert as2.parse_mdn(*load_vector("mecas2_signed.mdn"), partner_certificates=[mdn.signer])
    with pytest.raises(as2.SignatureInvalid):
        as2.parse_mdn(*load_vector("mecas2_signed.mdn"), partner_certificates=[mecas2_certificate])


def test_mendelson_unsigned_mdn_reports_authentication_failed():
    mdn = as2.parse_mdn(*load_vector("mecas2_unsigned.mdn"))

    assert mdn.signed is None and mdn.signer is None
    assert mdn.disposition == (
        "automatic-action/MDN-sent-automatically; processed/error: authentication-failed"
    )
    assert mdn.modifier == "error: authentication-failed"
    assert not mdn.successful
    assert "Error verifying the senders digital signature" in mdn.text


def test_unsigned_mdn_is_refused_when_a_signed_one_is_required():
    with pytest.raises(as2.InsufficientSecurity):
        as2.parse_mdn(*load_vector("mecas2_unsigned.mdn"), require_signature=True)


def test_sterling_signed_mdn_verifies_with_its_certificate(sterling_certificate):
    mdn = as2.parse_mdn(
        *load_vector("sb2bi_signed.mdn"),
        partner_certificates=[sterling_certificate, *load_certificates("cert_sb2bi_public.ca")],
        expected_mic="wNh76aEicfBurg/et2wio4zk/2I=, sha1",
        require_signature=True,
    )

    assert mdn.signed == "sha1" and mdn.signer == sterling_certificate
    assert mdn.disposition_type == "processed" and mdn.successful
    assert mdn.mic == "wNh76aEicfBurg/et2wio4zk/2I=, sha1" and mdn.mic_check is as2.MicCheck.MATCHED
    assert mdn.original_message_id == (
        "<151694007918.24690.7052273208458909245@ip-172-31-14-209.ec2.internal>"
    )
    assert mdn.text.startswith("Your message was successfully received")


def test_mdn_answering_another_message_is_refused(sterling_certificate):
    with pytest.raises(as2.MdnInvalid):
        as2.parse_mdn(
            *load_vector("sb2bi_signed.mdn"),
            partner_certificates=[sterling_certificate],
            expected_message_id="<someone-else@example.com>",
        )


def test_mdn_with_a_different_mic_does_not_match(sterling_certificate):
    mdn = as2.parse_mdn(
        *load_vector("sb2bi_signed.mdn"),
        partner_certificates=[sterling_certificate],
        expected_mic="AAAAAAAAAAAAAAAAAAAAAAAAAAA=, sha1",
    )
    assert mdn.mic_check is as2.MicCheck.MISMATCHED
