"""MIME entities over exact bytes: parse and build without ever re-canonicalising content.

The stdlib ``email`` package rewrites line ends and headers when it serialises, which breaks
signatures over binary content; this module keeps every entity as offsets into the bytes it
arrived in, so a signed entity, a MIC or a payload is always the exact byte range received.
"""

from __future__ import annotations

import binascii
import email.header
import email.utils
import enum
import functools
import quopri
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from as2.exceptions import MalformedMessage

HeadersInput = Mapping[str, str] | Iterable[tuple[str, str]]

# A header block larger than this is not a MIME header block but an attack or garbage.
MAX_HEADER_BLOCK = 256 * 1024
MAX_PARTS = 64
BASE64_LINE = 76
FILENAME_MAX_LENGTH = 255

_TOKEN_SPECIALS = set('()<>@,;:\\"/[]?= \t')
# RFC 2231 section numbers are small; a longer run of digits is an ordinary (odd) parameter name.
_PARAM_SECTION = re.compile(r"^(?P<name>[^*]+)(?:\*(?P<index>[0-9]{1,3}))?(?P<encoded>\*)?$")


class Headers:
    """An ordered list of header fields with case-insensitive lookups."""

    __slots__ = ("_fields", "_index")

    def __init__(self, fields: Iterable[tuple[str, str]] = ()) -> None:
        self._fields: list[tuple[str, str]] = []
        self._index: dict[str, str] = {}
        for name, value in fields:
            self.add(name, value)

    @classmethod
    def of(cls, headers: HeadersInput | Headers) -> Headers:
        """Headers from a mapping, a list of pairs or another Headers."""
        if isinstance(headers, Headers):
            return headers
        if isinstance(headers, Mapping):
            return cls(headers.items())
        return cls(headers)

    def add(self, name: str, value: str) -> None:
        """Append a field; the first field of a name wins lookups."""
        name = str(name).strip()
        value = str(value).strip()
        self._fields.append((name, value))
        self._index.setdefault(name.lower(), value)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of the field called ``name`` (any case), or ``default``."""
        return self._index.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def items(self) -> list[tuple[str, str]]:
        """Every field in order, duplicates included."""
        return list(self._fields)

    def __repr__(self) -> str:
        return f"Headers({self._fields!r})"


@dataclass(frozen=True, slots=True)
class ContentType:
    """A parsed Content-Type (or Content-Disposition): lower-cased value and parameters."""

    value: str
    params: Mapping[str, str]  # read-only: parsed values are shared through a cache

    @property
    def main_type(self) -> str:
        return self.value.split("/", 1)[0]

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name.lower(), default)


@dataclass(frozen=True, slots=True)
class MimeEntity:
    """A MIME entity as a byte range of ``buffer``: headers, then body from ``body_start``."""

    buffer: bytes
    start: int
    body_start: int
    end: int
    headers: Headers
    header_block: bytes  # the raw header lines, without the blank separator line

    @property
    def raw(self) -> memoryview:
        """The whole entity, headers included, exactly as received."""
        return memoryview(self.buffer)[self.start : self.end]

    @property
    def body(self) -> memoryview:
        """The body, still transfer-encoded, exactly as received."""
        return memoryview(self.buffer)[self.body_start : self.end]

    @property
    def content_type(self) -> ContentType:
        """The parsed Content-Type; text/plain when absent (RFC 2045)."""
        return _cached_content_type(self.headers.get("content-type") or "text/plain")

    @property
    def has_canonical_headers(self) -> bool:
        """Whether every header line and the blank line after them end in CRLF."""
        separator = self.buffer[self.start + len(self.header_block) : self.body_start]
        bare_lf = b"\n" in self.header_block.replace(b"\r\n", b"")
        return separator == b"\r\n" and not bare_lf

    def canonical(self) -> bytes:
        """The entity with CRLF header lines and the body untouched (RFC 5751 header form)."""
        lines = self.header_block.replace(b"\r\n", b"\n").split(b"\n")
        head = b"".join(line + b"\r\n" for line in lines if line) if self.header_block else b""
        return head + b"\r\n" + self.body.tobytes()

    def decoded_body(self) -> bytes:
        """The body with its Content-Transfer-Encoding undone (absent means binary)."""
        return bytes_of(self.decoded_view())

    def decoded_view(self) -> memoryview:
        """decoded_body() as a view: a binary body is not copied out of the buffer."""
        return decode_transfer_encoding_view(
            self.body, self.headers.get("content-transfer-encoding")
        )


def entity_from_headers(headers: Headers, body: bytes) -> MimeEntity:
    """An entity whose headers arrived separately (HTTP) and whose body is ``body``."""
    return MimeEntity(body, 0, 0, len(body), headers, b"")


def parse_entity(buffer: bytes, start: int = 0, end: int | None = None) -> MimeEntity:
    """Parse the entity at ``buffer[start:end]``: header lines, a blank line, the body."""
    end = len(buffer) if end is None else end
    header_end, body_start = _find_header_end(buffer, start, end)
    block = buffer[start:header_end]
    return MimeEntity(buffer, start, body_start, end, parse_header_block(block), block)


def _find_header_end(buffer: bytes, start: int, end: int) -> tuple[int, int]:
    """Where the header lines end and where the body starts (after the blank line)."""
    if buffer.startswith(b"\r\n", start) and start + 2 <= end:
        return start, start + 2
    if buffer.startswith(b"\n", start) and start + 1 <= end:
        return start, start + 1
    limit = min(end, start + MAX_HEADER_BLOCK)
    position = buffer.find(b"\n", start, limit)
    while position != -1:
        following = position + 1
        if buffer.startswith(b"\r\n", following) and following + 2 <= end:
            return following, following + 2
        if buffer.startswith(b"\n", following) and following + 1 <= end:
            return following, following + 1
        position = buffer.find(b"\n", following, limit)
    if end - start <= MAX_HEADER_BLOCK and _looks_like_headers(buffer[start:end]):
        return end, end  # headers only, empty body
    raise MalformedMessage(
        "A MIME part has no blank line between its headers and its body; "
        "check that the partner sends well-formed MIME."
    )


def _looks_like_headers(block: bytes) -> bool:
    lines = [line for line in block.replace(b"\r\n", b"\n").split(b"\n") if line]
    return bool(lines) and all(b":" in line or line[:1] in b" \t" for line in lines)


def parse_header_block(block: bytes) -> Headers:
    """Header fields from raw lines: LF or CRLF, folded lines joined, names kept as sent."""
    headers = Headers()
    text = block.decode("latin-1")
    name: str | None = None
    value_parts: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t") and name is not None:
            value_parts.append(line.strip())
            continue
        if name is not None:
            headers.add(name, " ".join(value_parts))
        name, value_parts = _split_header_line(line)
    if name is not None:
        headers.add(name, " ".join(value_parts))
    return headers


def _split_header_line(line: str) -> tuple[str | None, list[str]]:
    if not line.strip():
        return None, []
    name, colon, value = line.partition(":")
    if not colon or not name.strip() or " " in name.strip():
        raise MalformedMessage(
            f"The MIME header line {line[:60]!r} has no field name; "
            "check that the partner sends well-formed MIME."
        )
    return name.strip(), [value.strip()]


def serialise_headers(fields: Iterable[tuple[str, str]]) -> bytes:
    """Header lines in canonical CRLF form, without the blank separator line."""
    lines = []
    for name, value in fields:
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise ValueError(f"header {name!r} must not contain a line break")
        lines.append(f"{name}: {value}\r\n")
    return "".join(lines).encode("utf-8")


Body = bytes | list[bytes]  # a body, or its pieces in order (joined once, when needed)


def build_entity(fields: Iterable[tuple[str, str]], body: Body) -> bytes:
    """A MIME entity: CRLF header lines, a blank line, then ``body`` untouched."""
    pieces = [body] if isinstance(body, bytes) else body
    return b"".join([serialise_headers(fields), b"\r\n", *pieces])


def join_body(body: Body) -> bytes:
    """The body as one bytes object (no copy when it already is one)."""
    return body if isinstance(body, bytes) else b"".join(body)


# --- Content-Type and parameters -------------------------------------------------------------


def parse_content_type(value: str) -> ContentType:
    """Parse ``type/subtype; name=value; ...`` with quoted strings and RFC 2231 parameters."""
    pieces = _split_outside_quotes(value, ";")
    main = pieces[0].strip().lower() if pieces else ""
    raw_params: list[tuple[str, str]] = []
    for piece in pieces[1:]:
        name, equals, param_value = piece.partition("=")
        if equals and name.strip():
            raw_params.append((name.strip().lower(), _unquote(param_value.strip())))
    return ContentType(main, MappingProxyType(_collapse_rfc2231(raw_params)))


@functools.lru_cache(maxsize=256)
def _cached_content_type(value: str) -> ContentType:
    # Entities are walked several times per message, and partners repeat the same few values
    # (Content-Type, Content-Disposition) from message to message: each parses once.
    return parse_content_type(value)


def _split_outside_quotes(value: str, separator: str) -> list[str]:
    if '"' not in value:
        return value.split(separator)
    pieces: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            pieces.append("".join(current))
            current = []
            continue
        current.append(char)
    pieces.append("".join(current))
    return pieces


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _collapse_rfc2231(raw_params: list[tuple[str, str]]) -> dict[str, str]:
    """Join RFC 2231 continuations (``name*0*=``) and decode ``charset'lang'%xx`` values."""
    params: dict[str, str] = {}
    sections: dict[str, list[tuple[int, bool, str]]] = {}
    for name, value in raw_params:
        match = _PARAM_SECTION.match(name)
        if match is None or (match["index"] is None and match["encoded"] is None):
            params.setdefault(name, value)
            continue
        index = int(match["index"] or 0)
        sections.setdefault(match["name"], []).append((index, bool(match["encoded"]), value))
    for name, parts in sections.items():
        params[name] = _decode_rfc2231_sections(sorted(parts))
    return params


def _decode_rfc2231_sections(parts: list[tuple[int, bool, str]]) -> str:
    charset = "us-ascii"
    data = bytearray()
    for position, (_, encoded, value) in enumerate(parts):
        if encoded and position == 0 and value.count("'") >= 2:
            charset, _, value = value.split("'", 2)
        if encoded:
            data += _percent_decode(value)
        else:
            data += value.encode("latin-1", "replace")
    return decode_text(bytes(data), charset or "us-ascii")


def _percent_decode(value: str) -> bytes:
    out = bytearray()
    raw = value.encode("latin-1", "replace")
    i = 0
    while i < len(raw):
        if raw[i] == 0x25 and _is_hex(raw[i + 1 : i + 3]):
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return bytes(out)


def _is_hex(pair: bytes) -> bool:
    return len(pair) == 2 and all(c in b"0123456789abcdefABCDEF" for c in pair)


def decode_text(data: bytes, charset: str, *, errors: str = "strict") -> str:
    """`data` in the charset a partner named, else UTF-8, else Latin-1.

    A partner's charset may be unknown to Python or no name at all (a NUL in it is a
    ValueError, not a LookupError): neither raises.
    """
    try:
        return data.decode(charset, errors)
    except (LookupError, ValueError):  # UnicodeDecodeError is a ValueError
        try:
            return data.decode("utf-8", errors)
        except UnicodeDecodeError:
            return data.decode("latin-1")


def quote_param(value: str) -> str:
    """A parameter value: a bare token when possible, a quoted string otherwise."""
    if value and all(0x20 < ord(c) < 0x7F and c not in _TOKEN_SPECIALS for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_filename_param(filename: str) -> str:
    """``filename=...`` for ASCII names, RFC 2231 ``filename*=utf-8''...`` otherwise."""
    if all(0x20 <= ord(c) < 0x7F for c in filename):  # always quoted: some peers insist
        return 'filename="' + filename.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "filename*=" + email.utils.encode_rfc2231(filename, "utf-8")


# --- Filenames -------------------------------------------------------------------------------


def filename_of(entity_headers: Headers) -> str | None:
    """The payload's filename from Content-Disposition or the Content-Type name, made safe."""
    disposition = entity_headers.get("content-disposition")
    candidates = []
    if disposition:
        candidates.append(_cached_content_type(disposition).param("filename"))
    content_type = entity_headers.get("content-type")
    if content_type:
        candidates.append(_cached_content_type(content_type).param("name"))
    for candidate in candidates:
        safe = safe_filename(decode_words(candidate)) if candidate else None
        if safe:
            return safe
    return None


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words (``=?utf-8?q?...?=``); raw UTF-8 bytes are accepted too."""
    if "=?" in value:
        try:
            chunks = email.header.decode_header(value)
            value = "".join(
                decode_text(chunk, charset or "utf-8") if isinstance(chunk, bytes) else chunk
                for chunk, charset in chunks
            )
        except (ValueError, LookupError, binascii.Error):
            pass
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def safe_filename(name: str) -> str | None:
    """The last path component without control characters, at most 255 UTF-8 bytes."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = name.strip().strip(".").strip()
    while len(name.encode("utf-8")) > FILENAME_MAX_LENGTH:
        name = name[:-1]
    return name or None


# --- Transfer encodings ----------------------------------------------------------------------


class TransferEncoding(enum.StrEnum):
    """The Content-Transfer-Encoding we write: binary (AS2's usual) or base64."""

    BINARY = "binary"
    BASE64 = "base64"


def decode_transfer_encoding(body: bytes | memoryview, encoding: str | None) -> bytes:
    """Undo a Content-Transfer-Encoding; binary, 8bit, 7bit or none return the bytes as is."""
    return bytes_of(decode_transfer_encoding_view(memoryview(body), encoding))


def decode_transfer_encoding_view(body: memoryview, encoding: str | None) -> memoryview:
    """decode_transfer_encoding() as a view: binary, 8bit, 7bit or none return ``body`` itself."""
    name = (encoding or "binary").strip().lower()
    if name == "base64":
        try:
            return memoryview(binascii.a2b_base64(body))
        except binascii.Error as exc:
            raise MalformedMessage(
                "A MIME part declared base64 is not valid base64; "
                "check the partner's Content-Transfer-Encoding."
            ) from exc
    if name == "quoted-printable":
        return memoryview(quopri.decodestring(bytes(body)))
    return body


def bytes_of(view: memoryview) -> bytes:
    """The bytes a view shows: the viewed bytes object itself when the view covers all of it."""
    if isinstance(view.obj, bytes) and view.nbytes == len(view.obj):
        return view.obj
    return view.tobytes()


def encode_base64(data: bytes) -> bytes:
    """Base64 in CRLF-terminated lines of 76 characters (RFC 2045)."""
    encoded = binascii.b2a_base64(data, newline=False)
    if len(encoded) <= BASE64_LINE:
        return encoded + b"\r\n" if encoded else b""
    lines = [encoded[i : i + BASE64_LINE] for i in range(0, len(encoded), BASE64_LINE)]
    return b"\r\n".join(lines) + b"\r\n"


def encode_transfer_encoding(data: bytes, encoding: TransferEncoding) -> bytes:
    """Apply ``binary`` (nothing) or ``base64``."""
    if encoding == TransferEncoding.BASE64:
        return encode_base64(data)
    if encoding == TransferEncoding.BINARY:
        return data
    raise ValueError(f"unsupported Content-Transfer-Encoding {encoding!r}: use binary or base64")


# --- Multipart -------------------------------------------------------------------------------


def make_boundary(*contents: bytes) -> str:
    """A random boundary that occurs in none of ``contents``."""
    while True:
        boundary = f"----=_Part_{secrets.token_hex(16)}"
        needle = boundary.encode("ascii")
        if not any(needle in content for content in contents):
            return boundary


def build_multipart(parts: list[bytes], boundary: str) -> list[bytes]:
    """A multipart body in pieces: each part exactly as given, CRLF framing, close delimiter."""
    delimiter = b"--" + boundary.encode("ascii")
    chunks = []
    for part in parts:
        chunks += [delimiter, b"\r\n", part, b"\r\n"]
    chunks += [delimiter, b"--\r\n"]
    return chunks


def split_multipart(entity: MimeEntity) -> list[MimeEntity]:
    """The parts of a multipart entity, each the exact bytes between two delimiters.

    The line break before a delimiter belongs to the delimiter (RFC 2046 section 5.1.1), so a
    part's bytes never include it. LF or CRLF framing; a missing close delimiter is tolerated.
    """
    boundary = entity.content_type.param("boundary")
    if not boundary:
        raise MalformedMessage(
            "A multipart entity has no boundary parameter; check the Content-Type header."
        )
    ranges = _part_ranges(entity.buffer, entity.body_start, entity.end, boundary.encode("latin-1"))
    return [parse_entity(entity.buffer, start, end) for start, end in ranges]


def _part_ranges(buffer: bytes, start: int, end: int, boundary: bytes) -> list[tuple[int, int]]:
    delimiter = b"--" + boundary
    ranges: list[tuple[int, int]] = []
    part_start: int | None = None
    position = _find_delimiter(buffer, delimiter, start, start, end)
    while position != -1:
        after = position + len(delimiter)
        closing = buffer.startswith(b"--", after)
        if part_start is not None:
            ranges.append((part_start, _strip_line_break(buffer, part_start, position)))
            if len(ranges) > MAX_PARTS:
                raise MalformedMessage(
                    f"A multipart entity has more than {MAX_PARTS} parts; "
                    "check the boundary in its Content-Type."
                )
        if closing:
            return _require_parts(ranges)
        part_start = _after_line(buffer, after, end)
        position = _find_delimiter(buffer, delimiter, part_start, start, end)
    if part_start is not None and part_start < end:
        ranges.append((part_start, _strip_line_break(buffer, part_start, end)))
    return _require_parts(ranges)


def _find_delimiter(buffer: bytes, delimiter: bytes, begin: int, body_start: int, end: int) -> int:
    """The next delimiter at the start of a line, followed by --, whitespace or a line end."""
    position = buffer.find(delimiter, begin, end)
    while position != -1:
        at_line_start = position == body_start or buffer[position - 1] == 0x0A
        following = buffer[position + len(delimiter) : position + len(delimiter) + 2]
        if at_line_start and (
            following[:1] in (b"", b"\r", b"\n", b" ", b"\t") or following == b"--"
        ):
            return position
        position = buffer.find(delimiter, position + 1, end)
    return -1


def _strip_line_break(buffer: bytes, part_start: int, delimiter_at: int) -> int:
    if delimiter_at - 2 >= part_start and buffer[delimiter_at - 2 : delimiter_at] == b"\r\n":
        return delimiter_at - 2
    if delimiter_at - 1 >= part_start and buffer[delimiter_at - 1] == 0x0A:
        return delimiter_at - 1
    return delimiter_at


def _after_line(buffer: bytes, position: int, end: int) -> int:
    newline = buffer.find(b"\n", position, end)
    return end if newline == -1 else newline + 1


def _require_parts(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if not ranges:
        raise MalformedMessage(
            "A multipart entity contains no parts; check the boundary in its Content-Type."
        )
    return ranges
