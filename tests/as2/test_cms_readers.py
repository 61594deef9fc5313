"""The two CMS readers (ber.py for the common shapes, asn1crypto for any) read alike, the fast
ones are really taken, one set of rules judges what either read, and our bugs stay bugs."""

import subprocess
from pathlib import Path

import pytest
from asn1crypto import cms as asn1_cms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from as2 import ContentCipher, Digest, Oaep, Recipient, Signer, cms
from as2.cms import enveloped_fast, enveloped_read, signed_fast, signed_read
from as2.cms.content_info import read_content_info
from as2.cms.envelope import read_envelope
from as2.exceptions import As2Error, MalformedMessage, SignatureInvalid
from tests.as2.conftest import make_party

PAYLOAD = b"UNB+UNOA:2+A+B'\r\nUNH+1+ORDERS'\nbinary\x00\xff\r"
OURS = make_party("ours")
CBC_CIPHERS = [cipher for cipher in ContentCipher if not cipher.gcm]


def _envelope(der: bytes):
    buf = memoryview(der)
    _, content = read_content_info(buf)
    authenticated = cms.content_type_of(der) == "authenticated-enveloped-data"
    return read_envelope(buf, content, authenticated=authenticated)


# --- each fast reader is taken for the shapes it exists for -------------------------------------


@pytest.mark.parametrize("cipher", CBC_CIPHERS)
def test_cbc_parameters_of_our_envelopes_are_read_by_prefix(cipher):
    encrypted = cms.encrypt(PAYLOAD, Recipient(OURS.certificate, cipher))
    algorithm = _envelope(encrypted).algorithm

    fast = enveloped_fast.content_encryption_by_prefix(algorithm)

    assert fast is not None and fast.cipher is cipher
    assert fast == enveloped_read.read_content_encryption(algorithm)


@pytest.mark.requires_tool("openssl")
@pytest.mark.parametrize(("option", "cipher"), [("-aes-128-cbc", ContentCipher.AES128_CBC),
                                                ("-des-ede3-cbc", ContentCipher.TRIPLE_DES)])  # fmt: skip
def test_cbc_parameters_of_openssl_envelopes_are_read_by_prefix(tmp_path: Path, option, cipher):
    cert_pem, _ = OURS.write_pem(tmp_path)
    (tmp_path / "in").write_bytes(PAYLOAD)
    subprocess.run(
        ["openssl", "cms", "-encrypt", "-binary", option, "-in", tmp_path / "in",
         "-outform", "DER", "-out", tmp_path / "out", cert_pem],
        check=True, capture_output=True,
    )  # fmt: skip
    algorithm = _envelope((tmp_path / "out").read_bytes()).algorithm

    fast = enveloped_fast.content_encryption_by_prefix(algorithm)

    assert fast is not None and fast.cipher is cipher


def test_our_sole_recipient_is_read_by_the_fast_reader():
    envelope = _envelope(cms.encrypt(PAYLOAD, Recipient(OURS.certificate)))

    fast = enveloped_fast.read_common_recipients(envelope.recipient_infos, OURS.certificate)

    assert fast is not None
    assert fast == enveloped_read.read_recipients(envelope.recipient_infos)


@pytest.mark.parametrize("digest", list(cms.SIGN_ALGORITHMS))
def test_our_signatures_are_read_by_the_fast_reader(digest):
    signature = cms.sign(PAYLOAD, Signer(OURS.key, OURS.certificate, digest))

    fast = signed_fast.read_common_signed_data(signature, [OURS.certificate])

    assert fast is not None
    assert fast == signed_read.read_signed_data(signature)


# --- one set of rules: duplicate signed attributes (RFC 5652 section 5.3) -----------------------


def _signature_with_attributes(attributes: list[dict], *, encapsulated: bool = False) -> bytes:
    """A SignedData whose signed attributes are `attributes`, validly signed; detached, or
    carrying PAYLOAD inside (the opaque shape)."""
    template = asn1_cms.ContentInfo.load(cms.sign(PAYLOAD, Signer(OURS.key, OURS.certificate)))
    signed_data = template["content"]
    if encapsulated:
        signed_data["encap_content_info"]["content"] = PAYLOAD
    signer_info = signed_data["signer_infos"][0]
    signed_attrs = asn1_cms.CMSAttributes(attributes)
    signature = OURS.key.sign(signed_attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
    signer_info["signed_attrs"] = signed_attrs
    signer_info["signature"] = signature
    return template.dump(force=True)


def _digest_attribute(value: bytes) -> dict:
    return {"type": "message_digest", "values": [value]}


CONTENT_TYPE = {"type": "content_type", "values": ["data"]}
RIGHT_DIGEST = cms.digest(PAYLOAD, Digest.SHA256)


@pytest.mark.parametrize(
    ("attributes", "named"),
    [
        ([CONTENT_TYPE, _digest_attribute(RIGHT_DIGEST), _digest_attribute(b"\0" * 32)],
         "messageDigest twice"),
        ([CONTENT_TYPE, _digest_attribute(RIGHT_DIGEST), _digest_attribute(RIGHT_DIGEST)],
         "messageDigest twice"),
        ([CONTENT_TYPE, CONTENT_TYPE, _digest_attribute(RIGHT_DIGEST)], "contentType twice"),
    ],
    ids=["two-different-digests", "two-equal-digests", "two-content-types"],
)  # fmt: skip
def test_duplicate_signed_attributes_are_refused_by_both_readers(monkeypatch, attributes, named):
    signature = _signature_with_attributes(attributes)

    with pytest.raises(SignatureInvalid, match=named) as fast:
        cms.verify(signature, PAYLOAD, certificates=[OURS.certificate])
    monkeypatch.setattr(signed_fast, "read_common_signed_data", lambda *_: None)
    with pytest.raises(SignatureInvalid, match=named) as slow:
        cms.verify(signature, PAYLOAD, certificates=[OURS.certificate])

    assert str(fast.value) == str(slow.value)
    assert "RFC 5652" in str(fast.value)


@pytest.mark.parametrize(
    ("attributes", "named"),
    [
        ([CONTENT_TYPE, _digest_attribute(RIGHT_DIGEST), _digest_attribute(RIGHT_DIGEST)],
         "messageDigest twice"),
        ([CONTENT_TYPE, CONTENT_TYPE, _digest_attribute(RIGHT_DIGEST)], "contentType twice"),
    ],
    ids=["two-equal-digests", "two-content-types"],
)  # fmt: skip
def test_duplicate_signed_attributes_are_refused_in_an_encapsulating_signature(attributes, named):
    signature = _signature_with_attributes(attributes, encapsulated=True)

    with pytest.raises(SignatureInvalid, match=named):
        cms.verify(signature, None, certificates=[OURS.certificate])


def test_an_encapsulating_signature_with_single_attributes_verifies():
    signature = _signature_with_attributes(
        [CONTENT_TYPE, _digest_attribute(RIGHT_DIGEST)], encapsulated=True
    )

    info = cms.verify(signature, None, certificates=[OURS.certificate])

    assert info.signer == OURS.certificate


def test_single_signed_attributes_still_verify():
    signature = _signature_with_attributes([CONTENT_TYPE, _digest_attribute(RIGHT_DIGEST)])

    assert cms.verify(signature, PAYLOAD, certificates=[OURS.certificate]).signer == (
        OURS.certificate
    )


# --- our own bugs are not "the partner's message is malformed" ---------------------------------


def test_a_wrong_typed_key_is_our_bug_not_a_malformed_message():
    encrypted = cms.encrypt(PAYLOAD, Recipient(OURS.certificate))

    with pytest.raises(Exception) as raised:  # noqa: PT011 - any error but an engine one
        cms.decrypt(encrypted, key="not a key", certificate=OURS.certificate)  # type: ignore[arg-type]

    assert not isinstance(raised.value, As2Error)


def test_a_wrong_typed_certificate_is_our_bug_not_a_malformed_message():
    signature = cms.sign(PAYLOAD, Signer(OURS.key, OURS.certificate))

    with pytest.raises(Exception) as raised:  # noqa: PT011 - any error but an engine one
        cms.verify(signature, PAYLOAD, certificates=[b"not a certificate"])  # type: ignore[list-item]

    assert not isinstance(raised.value, As2Error)


# --- differential: mutated messages read alike, and verify/decrypt answer alike ----------------

PARTNER = make_party("partner")
SIGNATURES = [
    cms.sign(PAYLOAD, Signer(OURS.key, OURS.certificate)),
    cms.sign(PAYLOAD, Signer(OURS.key, OURS.certificate, Digest.SHA1), signed_attributes=False),
]
ENVELOPES = [
    cms.encrypt(PAYLOAD, Recipient(OURS.certificate)),
    cms.encrypt(PAYLOAD, Recipient(OURS.certificate, ContentCipher.TRIPLE_DES)),
    cms.encrypt(PAYLOAD, Recipient(OURS.certificate, ContentCipher.AES128_GCM)),
    cms.encrypt(PAYLOAD, Recipient(OURS.certificate, key_transport=Oaep())),
]
DIFFERENTIAL = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@st.composite
def mutated(draw: st.DrawFn, samples: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(1, 3))):
        if not data:
            data += draw(st.binary(min_size=1, max_size=8))
        position = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete"]))
        if kind == "flip":
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set":
            data[position] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del data[max(position, 1) :]
        elif kind == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[position : position + draw(st.integers(1, 8))]
    return bytes(data)


def _outcome(run) -> tuple:
    """A result, or the type and sentence of the engine error (anything else propagates)."""
    try:
        return ("result", run())
    except As2Error as error:
        return (type(error).__name__, str(error))


def _with_fast_readers_off(monkeypatch: pytest.MonkeyPatch, run) -> tuple:
    with monkeypatch.context() as patch:
        patch.setattr(signed_fast, "read_common_signed_data", lambda *_: None)
        patch.setattr(enveloped_fast, "read_common_recipients", lambda *_: None)
        patch.setattr(enveloped_fast, "content_encryption_by_prefix", lambda *_: None)
        return _outcome(run)


def _retagged_certificate(signature: bytes, tag: int) -> bytes:
    """`signature` with its embedded certificate's SEQUENCE tag replaced by `tag`."""
    position = signature.index(OURS.certificate.public_bytes(Encoding.DER))
    return signature[:position] + bytes([tag]) + signature[position + 1 :]


def _retagged_signing_time(signature: bytes, tag: int) -> bytes:
    """`signature` with its signingTime value's tag (UTCTime) replaced by `tag`."""
    signing_time_type = bytes.fromhex("06092a864886f70d010905")  # OID 1.2.840.113549.1.9.5
    position = signature.index(signing_time_type) + len(signing_time_type) + 2  # past SET header
    assert signature[position] == 0x17
    return signature[:position] + bytes([tag]) + signature[position + 1 :]


@DIFFERENTIAL
@given(signature=mutated(SIGNATURES))
@example(signature=_retagged_certificate(SIGNATURES[0], 0x31))  # the ber.py reader skipped it
@example(signature=_retagged_certificate(SIGNATURES[0], 0xA1))  # an attribute certificate
@example(signature=_retagged_signing_time(SIGNATURES[0], 0xC0))  # a signingTime not a Time
def test_mutated_signatures_read_and_verify_alike(signature):
    fast = signed_fast.read_common_signed_data(signature, [OURS.certificate, PARTNER.certificate])
    if fast is not None:
        assert _outcome(lambda: signed_read.read_signed_data(signature)) == ("result", fast)
    with pytest.MonkeyPatch.context() as monkeypatch:
        for data in (PAYLOAD, PAYLOAD + b"!"):
            verify = lambda: cms.verify(signature, data, certificates=[OURS.certificate])  # noqa: E731, B023
            assert _outcome(verify) == _with_fast_readers_off(monkeypatch, verify)


@DIFFERENTIAL
@given(envelope=mutated(ENVELOPES))
def test_mutated_envelopes_read_and_decrypt_alike(envelope):
    try:
        parts = _envelope(envelope)
    except (As2Error, IndexError):
        parts = None
    if parts is not None:
        fast_cipher = enveloped_fast.content_encryption_by_prefix(parts.algorithm)
        if fast_cipher is not None:
            assert _outcome(lambda: enveloped_read.read_content_encryption(parts.algorithm)) == (
                "result",
                fast_cipher,
            )
        fast_recipients = enveloped_fast.read_common_recipients(
            parts.recipient_infos, OURS.certificate
        )
        if fast_recipients is not None:
            assert _outcome(lambda: enveloped_read.read_recipients(parts.recipient_infos)) == (
                "result",
                fast_recipients,
            )
    decrypt = lambda: cms.decrypt(envelope, key=OURS.key, certificate=OURS.certificate)  # noqa: E731
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _outcome(decrypt) == _with_fast_readers_off(monkeypatch, decrypt)


def test_malformed_is_still_malformed_for_both_readers(monkeypatch):
    garbage = b"\x30\x03\x06\x01\x00"
    with pytest.raises(MalformedMessage):
        cms.verify(garbage, PAYLOAD, certificates=[OURS.certificate])
    assert _outcome(
        lambda: cms.verify(garbage, PAYLOAD, certificates=[OURS.certificate])
    ) == _with_fast_readers_off(
        monkeypatch, lambda: cms.verify(garbage, PAYLOAD, certificates=[OURS.certificate])
    )
