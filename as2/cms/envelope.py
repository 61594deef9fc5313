"""An (Auth)EnvelopedData read into plain values, and its symmetric decryption.

``read_envelope`` locates the parts with ber.py (no copy of the ciphertext). The content
encryption parameters and the recipients are read by one of two readers (``enveloped_fast``
for the common shape, ``enveloped_read`` with asn1crypto for any), into the same values, which
``enveloped.decrypt`` uses with the same code.
"""

import io
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

from as2 import ber
from as2.algorithms import ContentCipher
from as2.cms.algorithms import cipher_algorithm
from as2.cms.certificates import Identifier
from as2.exceptions import MalformedMessage


@dataclass(frozen=True)
class Envelope:
    """The parts of an (Auth)EnvelopedData; the encrypted content as views into the input."""

    recipient_infos: bytes
    algorithm: bytes
    chunks: list[memoryview]
    mac: bytes | None  # AuthEnvelopedData only
    auth_attributes: bytes | None
    authenticated: bool


@dataclass(frozen=True, slots=True)
class ContentEncryption:
    """The content-encryption algorithm and its parameters, read."""

    cipher: ContentCipher
    iv: bytes | None = None  # CBC
    nonce: bytes | None = None  # GCM
    tag_length: int | None = None  # GCM
    bare_nonce: bool = False  # GCM nonce sent without RFC 5084's GCMParameters around it


@dataclass(frozen=True, slots=True)
class RecipientView:
    """One KeyTransRecipientInfo, read."""

    identifier: Identifier
    key_transport: str  # asn1crypto name: "rsaes_pkcs1v15", "rsaes_oaep", ...
    oaep_hash: str | None  # asn1crypto names, RSAES-OAEP only
    oaep_mask_hash: str | None
    oaep_label: bytes | None
    encrypted_key: bytes


def read_envelope(buf: memoryview, content: ber.Element, *, authenticated: bool) -> Envelope:
    """Locate the parts of an (Auth)EnvelopedData without copying the encrypted content."""
    items = [item for item in ber.children(buf, content) if item.tag != ber.CONTEXT_0]
    # Without originatorInfo: version, recipientInfos, encryptedContentInfo, then optional parts.
    if len(items) < 3 or items[1].tag != ber.SET or items[2].tag != ber.SEQUENCE:
        raise MalformedMessage("The encrypted message does not have the EnvelopedData layout.")
    info = list(ber.children(buf, items[2]))
    if (
        len(info) < 3
        or info[1].tag != ber.SEQUENCE
        or info[2].tag & 0xDF != ber.CONTEXT_0_PRIMITIVE
    ):
        raise MalformedMessage("The encrypted message carries no encrypted content.")
    mac = auth_attributes = None
    if authenticated:
        rest = {item.tag: item for item in items[3:]}
        if ber.OCTET_STRING not in rest:
            raise MalformedMessage("The AES-GCM message has no authentication tag.")
        mac = ber.contents(buf, rest[ber.OCTET_STRING])
        if ber.CONTEXT_1 in rest:
            auth_attributes = b"\x31" + ber.raw(buf, rest[ber.CONTEXT_1])[1:]
    return Envelope(
        recipient_infos=ber.raw(buf, items[1]),
        algorithm=ber.raw(buf, info[1]),
        chunks=list(ber.octet_chunks(buf, info[2])),
        mac=mac,
        auth_attributes=auth_attributes,
        authenticated=authenticated,
    )


def decrypt_content(
    encryption: ContentEncryption, content_key: bytes, envelope: Envelope
) -> bytes | None:
    """The plaintext, or None when this key does not decrypt the content."""
    cipher = encryption.cipher
    chunks = envelope.chunks
    total = sum(len(chunk) for chunk in chunks)
    if cipher.gcm:
        chunks, tag = _gcm_tag(encryption, envelope)
        total -= 0 if envelope.authenticated else len(tag)
        decryptor = _gcm_decryptor(content_key, encryption, tag, envelope.auth_attributes)
    else:
        if total == 0 or total % cipher.block_size or encryption.iv is None:
            raise MalformedMessage("The encrypted content is not a whole number of cipher blocks.")
        cbc = Cipher(cipher_algorithm(cipher, content_key), modes.CBC(encryption.iv))
        decryptor = cbc.decryptor()
    # The plaintext is written straight into a BytesIO's buffer, which getvalue() then hands
    # out without copying it (CPython): a 50 MB message costs 50 MB here, not twice that.
    output = io.BytesIO()
    output.seek(total + cipher.block_size - 1)
    output.write(b"\0")
    view = output.getbuffer()
    try:
        written = _update_into(decryptor, chunks, view)
        try:
            tail = decryptor.finalize()
        except InvalidTag:
            return None
        view[written : written + len(tail)] = tail
        written += len(tail)
        if not cipher.gcm:
            kept = _unpadded_length(view[:written], cipher.block_size)
            if kept is None:
                return None
            written = kept
    finally:
        view.release()
    output.truncate(written)
    return output.getvalue()


def _gcm_tag(encryption: ContentEncryption, envelope: Envelope) -> tuple[list[memoryview], bytes]:
    """The ciphertext chunks and the tag: AuthEnvelopedData carries the tag in its mac field;
    an ordinary EnvelopedData (as a deployed Node AS2 library writes it) appends it."""
    length = encryption.tag_length or 0
    if envelope.authenticated:
        mac = envelope.mac or b""
        if length != len(mac):
            raise MalformedMessage("The AES-GCM authentication tag has the wrong length.")
        return envelope.chunks, mac
    joined = b"".join(envelope.chunks)  # rare quirk: one copy is fine
    if len(joined) < length:
        raise MalformedMessage(
            "The message puts AES-GCM in an ordinary EnvelopedData but its encrypted content "
            "is shorter than the authentication tag that must end it."
        )
    return [memoryview(joined)[: len(joined) - length]], joined[len(joined) - length :]


def _gcm_decryptor(
    content_key: bytes, encryption: ContentEncryption, tag: bytes, auth_attributes: bytes | None
) -> CipherContext:
    """An AES-GCM decryptor that checks the tag (and authenticates authAttrs, RFC 5083)."""
    mode = modes.GCM(encryption.nonce or b"", tag, min_tag_length=len(tag))
    decryptor = Cipher(algorithms.AES(content_key), mode).decryptor()
    if auth_attributes is not None:
        decryptor.authenticate_additional_data(auth_attributes)
    return decryptor


def _update_into(decryptor: CipherContext, chunks: Iterable[memoryview], output: memoryview) -> int:
    """Feed chunks through `decryptor` straight into `output`; return the bytes written."""
    written = 0
    for chunk in chunks:
        written += decryptor.update_into(chunk, output[written:])
    return written


def _unpadded_length(plaintext: memoryview, block_size: int) -> int | None:
    """The length without its PKCS#7 padding; None when the padding is wrong (wrong key)."""
    unpadder = padding.PKCS7(block_size * 8).unpadder()
    try:
        kept = len(unpadder.update(bytes(plaintext[-block_size:])) + unpadder.finalize())
    except ValueError:
        return None
    return len(plaintext) - block_size + kept
