"""The parts of an (Auth)EnvelopedData read with ber.py, and its symmetric decryption.

Both readers of enveloped data (``enveloped`` and ``enveloped_fast``) decrypt the content here.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

from as2 import ber
from as2.cms.algorithms import ContentCipher, GcmParameters
from as2.exceptions import (
    MalformedMessage,
)


@dataclass(frozen=True)
class Envelope:
    """The parts of an (Auth)EnvelopedData; the encrypted content as views into the input."""

    recipient_infos: bytes
    algorithm: bytes
    chunks: list[memoryview]
    mac: bytes | None
    auth_attributes: bytes | None


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
    )


def decrypt_content(
    cipher: ContentCipher,
    parameters: bytes | GcmParameters,
    content_key: bytes,
    envelope: Envelope,
) -> bytes | None:
    """The plaintext, or None when this key does not decrypt the content."""
    total = sum(len(chunk) for chunk in envelope.chunks)
    if isinstance(parameters, GcmParameters):
        decryptor = _gcm_decryptor(content_key, parameters, envelope)
    else:
        if total == 0 or total % cipher.block_size:
            raise MalformedMessage("The encrypted content is not a whole number of cipher blocks.")
        decryptor = Cipher(cipher.algorithm(content_key), modes.CBC(parameters)).decryptor()
    output = bytearray(total + cipher.block_size)
    written = _update_into(decryptor, envelope.chunks, output)
    try:
        tail = decryptor.finalize()
    except InvalidTag:
        return None
    output[written : written + len(tail)] = tail
    written += len(tail)
    del output[written:]
    if not isinstance(parameters, GcmParameters) and not _unpad(output, cipher.block_size):
        return None
    return bytes(output)


def _gcm_decryptor(
    content_key: bytes, parameters: GcmParameters, envelope: Envelope
) -> CipherContext:
    """An AES-GCM decryptor that checks the tag (and authenticates authAttrs, RFC 5083)."""
    mac = envelope.mac or b""
    if parameters["aes_icvlen"].native != len(mac) or not 12 <= len(mac) <= 16:
        raise MalformedMessage("The AES-GCM authentication tag has the wrong length.")
    mode = modes.GCM(parameters["aes_nonce"].native, mac, min_tag_length=len(mac))
    decryptor = Cipher(algorithms.AES(content_key), mode).decryptor()
    if envelope.auth_attributes is not None:
        decryptor.authenticate_additional_data(envelope.auth_attributes)
    return decryptor


def _update_into(decryptor: CipherContext, chunks: Iterable[memoryview], output: bytearray) -> int:
    """Feed chunks through `decryptor` straight into `output`; return the bytes written."""
    view = memoryview(output)
    written = 0
    for chunk in chunks:
        written += decryptor.update_into(chunk, view[written:])
    view.release()
    return written


def _unpad(output: bytearray, block_size: int) -> bool:
    """Strip PKCS#7 padding in place; False when the padding is wrong (wrong key)."""
    unpadder = padding.PKCS7(block_size * 8).unpadder()
    try:
        kept = len(unpadder.update(bytes(output[-block_size:])) + unpadder.finalize())
    except ValueError:
        return False
    del output[len(output) - block_size + kept :]
    return True
