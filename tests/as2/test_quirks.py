"""Peers' non-standard layouts, rebuilt from their descriptions with our builder bent (or
asn1crypto): accepted where the intent is unambiguous, refused with a sentence naming the quirk."""

import base64
import os
import zlib

import pytest
from asn1crypto import algos, core
from asn1crypto import cms as asn1_cms
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

import as2
from as2 import ContentCipher, Digest, Pss, ReceiverKeys, Recipient, Signer, cms
from tests.as2.conftest import make_party

PAYLOAD = b"ISA*00*          *00*\nGS*PO\r\nST*850\rSE*2\n" + bytes(range(256))
OURS = make_party("ours")
PARTNER = make_party("partner")


# --- a Python AS2 library: RSASSA-PSS with no parameters ---------------------------------------


def _pss_signature_without_parameters(digest: Digest, salt_length: int) -> bytes:
    """Our SignedData, re-signed with PSS(salt_length) and its signatureAlgorithm written as
    bare id-RSASSA-PSS, as that library writes it."""
    info = asn1_cms.ContentInfo.load(
        cms.sign(PAYLOAD, Signer(PARTNER.key, PARTNER.certificate, digest))
    )
    signer_info = info["content"]["signer_infos"][0]
    hash_algorithm = digest.hash_algorithm()
    signer_info["signature"] = PARTNER.key.sign(
        signer_info["signed_attrs"].untag().dump(),
        padding.PSS(padding.MGF1(hash_algorithm), salt_length),
        hash_algorithm,
    )
    signer_info["signature_algorithm"] = algos.SignedDigestAlgorithm({"algorithm": "rsassa_pss"})
    return info.dump(force=True)


@pytest.mark.parametrize(
    ("digest", "salt_length"),
    [(Digest.SHA256, 32), (Digest.SHA256, 20), (Digest.SHA512, 64), (Digest.SHA1, 0)],
)
def test_pss_signature_without_parameters_verifies(digest, salt_length):
    signature = _pss_signature_without_parameters(digest, salt_length)

    info = cms.verify(signature, PAYLOAD, certificates=[PARTNER.certificate])

    assert (info.digest, info.padding, info.signer) == (digest, Pss(), PARTNER.certificate)


def test_pss_signature_without_parameters_over_other_content_is_refused():
    signature = _pss_signature_without_parameters(Digest.SHA256, 32)

    with pytest.raises(as2.IntegrityCheckFailed):
        cms.verify(signature, PAYLOAD + b"!", certificates=[PARTNER.certificate])


def test_pss_signature_without_parameters_with_a_wrong_signature_is_refused():
    info = asn1_cms.ContentInfo.load(_pss_signature_without_parameters(Digest.SHA256, 32))
    signature = bytearray(info["content"]["signer_infos"][0]["signature"].native)
    signature[-1] ^= 1
    info["content"]["signer_infos"][0]["signature"] = bytes(signature)

    with pytest.raises(as2.SignatureInvalid, match="does not verify"):
        cms.verify(info.dump(force=True), PAYLOAD, certificates=[PARTNER.certificate])


# --- a Node AS2 library: AES-GCM inside an ordinary EnvelopedData -------------------------------


def _gcm_in_enveloped_data(
    parameters: core.Asn1Value, nonce: bytes, *, content: bytes = PAYLOAD, tag: bool = True
) -> bytes:
    """EnvelopedData (not AuthEnvelopedData) with AES-256-GCM: `parameters` where RFC 5084's
    GCMParameters belong, the 16-byte tag appended to the ciphertext."""
    content_key = os.urandom(32)
    encryptor = Cipher(algorithms.AES(content_key), modes.GCM(nonce)).encryptor()
    ciphertext = encryptor.update(content) + encryptor.finalize()
    if tag:
        ciphertext += encryptor.tag
    template = asn1_cms.ContentInfo.load(cms.encrypt(b"x", Recipient(OURS.certificate)))
    enveloped = template["content"]
    recipient = enveloped["recipient_infos"][0].chosen
    recipient["encrypted_key"] = OURS.certificate.public_key().encrypt(
        content_key, padding.PKCS1v15()
    )
    enveloped["encrypted_content_info"] = {
        "content_type": "data",
        "content_encryption_algorithm": {"algorithm": "aes256_gcm", "parameters": parameters},
        "encrypted_content": ciphertext,
    }
    return template.dump(force=True)


def _decrypt(der: bytes) -> cms.DecryptedContent:
    return cms.decrypt(der, key=OURS.key, certificate=OURS.certificate)


def test_node_gcm_with_a_bare_16_byte_nonce_decrypts():
    nonce = os.urandom(16)

    result = _decrypt(_gcm_in_enveloped_data(core.OctetString(nonce), nonce))

    assert (result.content, result.cipher) == (PAYLOAD, ContentCipher.AES256_GCM)


def test_rfc5084_gcm_parameters_inside_an_ordinary_enveloped_data_decrypt():
    nonce = os.urandom(12)
    parameters = core.Sequence.load(
        core.Sequence(contents=core.OctetString(nonce).dump() + core.Integer(16).dump()).dump()
    )

    result = _decrypt(_gcm_in_enveloped_data(parameters, nonce))

    assert result.content == PAYLOAD


def test_node_gcm_with_a_tampered_tag_fails_decryption():
    nonce = os.urandom(16)
    der = bytearray(_gcm_in_enveloped_data(core.OctetString(nonce), nonce))
    der[-1] ^= 1  # the last byte of the appended tag

    with pytest.raises(as2.DecryptionFailed):
        _decrypt(bytes(der))


def test_gcm_in_enveloped_data_shorter_than_its_tag_names_the_quirk():
    nonce = os.urandom(16)
    der = _gcm_in_enveloped_data(core.OctetString(nonce), nonce, tag=False)
    info = asn1_cms.ContentInfo.load(der)
    info["content"]["encrypted_content_info"]["encrypted_content"] = b"short"

    with pytest.raises(as2.MalformedMessage, match="ordinary EnvelopedData"):
        _decrypt(info.dump(force=True))


def test_node_gcm_message_parses_end_to_end():
    nonce = os.urandom(16)
    entity = (
        b"Content-Type: application/EDI-X12\r\n"
        b'Content-Disposition: attachment; filename="po.x12"\r\n\r\nISA*00*~'
    )
    der = _gcm_in_enveloped_data(core.OctetString(nonce), nonce, content=entity)
    headers = {
        "AS2-From": "node",
        "AS2-To": "ours",
        "Message-ID": "<node-1@example.com>",
        "Content-Type": "application/pkcs7-mime; smime-type=enveloped-data",
    }

    received = as2.parse_message(headers, der, keys=ReceiverKeys(OURS.key, OURS.certificate))

    assert received.payload == b"ISA*00*~" and received.filename == "po.x12"
    assert received.encrypted is ContentCipher.AES256_GCM


# --- a PHP AS2 library: base64 inside CompressedData -------------------------------------------


def _compressed_data(content: bytes) -> bytes:
    return asn1_cms.ContentInfo(
        {
            "content_type": "compressed_data",
            "content": {
                "version": "v0",
                "compression_algorithm": {"algorithm": "zlib"},
                "encap_content_info": {"content_type": "data", "content": content},
            },
        }
    ).dump()


@pytest.mark.parametrize("line_breaks", [False, True])
def test_base64_zlib_stream_inside_compressed_data_is_accepted(line_breaks):
    encoded = (
        base64.encodebytes(zlib.compress(PAYLOAD))
        if line_breaks
        else base64.b64encode(zlib.compress(PAYLOAD))
    )

    assert cms.decompress(_compressed_data(encoded), max_size=10_000) == PAYLOAD


def test_base64_that_is_not_a_zlib_stream_is_refused_naming_the_quirk():
    encoded = base64.b64encode(b"not compressed at all")

    with pytest.raises(as2.DecompressionFailed, match="base64 text .*PHP"):
        cms.decompress(_compressed_data(encoded), max_size=10_000)


def test_base64_zlib_stream_still_obeys_the_size_limit():
    encoded = base64.b64encode(zlib.compress(bytes(100_000)))

    with pytest.raises(as2.DecompressionFailed, match="larger than"):
        cms.decompress(_compressed_data(encoded), max_size=1000)


# --- RSAES-OAEP: our choice of hash, and openssl opens each ------------------------------------


@pytest.mark.parametrize("digest", [Digest.SHA1, Digest.SHA256, Digest.SHA384, Digest.SHA512])
def test_oaep_hash_is_a_choice_and_is_written_in_the_parameters(digest):
    encrypted = cms.encrypt(PAYLOAD, Recipient(OURS.certificate, key_transport=as2.Oaep(digest)))
    recipient = asn1_cms.ContentInfo.load(encrypted)["content"]["recipient_infos"][0].chosen
    parameters = recipient["key_encryption_algorithm"]["parameters"]

    assert parameters["hash_algorithm"]["algorithm"].native == digest.value
    assert parameters["mask_gen_algorithm"]["parameters"]["algorithm"].native == digest.value
    assert _decrypt(encrypted).key_transport == as2.Oaep(digest)


def test_oaep_with_sha224_is_not_offered_when_we_encrypt():
    with pytest.raises(as2.UnsupportedAlgorithm, match="SHA-1, SHA-256, SHA-384 or SHA-512"):
        cms.encrypt(PAYLOAD, Recipient(OURS.certificate, key_transport=as2.Oaep(Digest.SHA224)))
