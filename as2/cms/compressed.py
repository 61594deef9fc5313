"""RFC 3274 CompressedData (zlib): compress, and decompress within a size limit."""

import binascii
import re
import zlib
from collections.abc import Iterable, Iterator

from asn1crypto import cms

from as2 import ber
from as2.cms.content_info import DATA_OID, content_info_der, expect_content
from as2.exceptions import (
    DecompressionFailed,
    MalformedMessage,
)

_ZLIB_ALGORITHM = cms.CompressionAlgorithm({"algorithm": "zlib"}).dump()

_ZLIB_OID = cms.CompressionAlgorithmId("zlib").contents


def compress(data: bytes, *, level: int = 1) -> bytes:
    """RFC 3274 CompressedData (zlib) around `data`, DER ContentInfo."""
    compressor = zlib.compressobj(level)
    compressed = [compressor.compress(data), compressor.flush()]
    content = ber.wrap(ber.CONTEXT_0, ber.wrap(ber.OCTET_STRING, compressed))
    encapsulated = ber.wrap(ber.SEQUENCE, [DATA_OID, *content])
    compressed_data = ber.wrap(ber.SEQUENCE, [b"\x02\x01\x00", _ZLIB_ALGORITHM, *encapsulated])
    return content_info_der("compressed_data", compressed_data)


def decompress(data: bytes, *, max_size: int) -> bytes:
    """Content of an RFC 3274 CompressedData; refuses output larger than `max_size` bytes.

    A deployed PHP AS2 library base64-encodes the zlib stream; that is accepted when it is
    unambiguous: the content is not a zlib stream (whose second byte is never base64), is
    base64 throughout, and decodes to one.
    """
    buf = memoryview(data)
    chunks = list(_compressed_chunks(buf, expect_content(buf, "compressed-data")))
    if not _starts_like_zlib(chunks):
        decoded = _base64_zlib(chunks)
        if decoded is not None:
            chunks = [memoryview(decoded)]
    return _inflate(chunks, max_size)


def _starts_like_zlib(chunks: list[memoryview]) -> bool:
    """Whether the content opens with a zlib header (RFC 1950: deflate, check bits right)."""
    head = b"".join(bytes(chunk[:2]) for chunk in chunks[:2])[:2]
    return len(head) == 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


_BASE64 = re.compile(rb"[A-Za-z0-9+/\r\n]+={0,2}[\r\n]*")


def _base64_zlib(chunks: list[memoryview]) -> bytes | None:
    """The zlib stream a base64 text holds, or None when the content is not that quirk."""
    text = b"".join(chunks)
    if not _BASE64.fullmatch(text):
        return None
    try:
        decoded = binascii.a2b_base64(text, strict_mode=False)
    except binascii.Error:
        return None
    if not _starts_like_zlib([memoryview(decoded)]):
        raise DecompressionFailed(
            "The compressed content is base64 text (as a PHP AS2 library writes it) but does "
            "not decode to a zlib stream; check the partner's compression setting."
        )
    return decoded


def _compressed_chunks(buf: memoryview, content: ber.Element) -> Iterator[memoryview]:
    """The pieces of the zlib stream inside a CompressedData."""
    items = list(ber.children(buf, content))
    if len(items) < 3 or items[1].tag != ber.SEQUENCE or items[2].tag != ber.SEQUENCE:
        raise MalformedMessage("The compressed message does not have the CompressedData layout.")
    algorithm = ber.first_child(buf, items[1])
    if algorithm.tag != ber.OID or ber.contents(buf, algorithm) != _ZLIB_OID:
        raise DecompressionFailed("The message is compressed with an algorithm other than zlib.")
    encapsulated = list(ber.children(buf, items[2]))
    if len(encapsulated) < 2 or encapsulated[1].tag != ber.CONTEXT_0:
        raise MalformedMessage("The compressed message carries no compressed content.")
    return ber.octet_chunks(buf, ber.first_child(buf, encapsulated[1]))


def _inflate(chunks: Iterable[memoryview], max_size: int) -> bytes:
    """zlib-inflate `chunks`, never producing more than `max_size` + 1 bytes."""
    inflater = zlib.decompressobj()
    output: list[bytes] = []
    size = 0
    try:
        for chunk in chunks:
            pending: bytes | memoryview = chunk
            while pending and not inflater.eof:
                piece = inflater.decompress(pending, max_size - size + 1)
                size += len(piece)
                _refuse_if_larger(size, max_size)
                output.append(piece)
                pending = inflater.unconsumed_tail
    except zlib.error as error:
        raise DecompressionFailed(f"The compressed content is corrupt ({error}).") from None
    if not inflater.eof:
        raise DecompressionFailed("The compressed content is truncated.")
    return b"".join(output)


def _refuse_if_larger(size: int, max_size: int) -> None:
    """Raise once decompressed output passes the allowed size."""
    if size > max_size:
        raise DecompressionFailed(
            f"The compressed content is larger than {max_size} bytes once decompressed — "
            "refused as a possible zip bomb."
        )
