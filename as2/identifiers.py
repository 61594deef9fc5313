"""AS2 IDs (RFC 4130 section 6.2): the one rule, and how AS2-From / AS2-To carry them.

An AS2 ID is 1 to 128 printable ASCII characters (0x20-0x7E). RFC 4130 writes it as an atom
or a quoted-string, so spaces are allowed inside: an ID with a space or a special character
travels quoted (``"Bob AS2"``). A space at either end is refused: transports and peers trim
header values, so such an ID would not survive the trip and could not be told from its
trimmed twin.
"""

import re

AS2_ID_MAX_LENGTH = 128
# RFC 5322 atext: what may travel without quotes.
_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+")


class InvalidAs2Id(ValueError):
    """A value that is not an AS2 ID; the message is a sentence for the person who typed it."""


def check_as2_id(value: str) -> str:
    """``value`` when it is a valid AS2 ID; InvalidAs2Id with a sentence otherwise."""
    if not value:
        raise InvalidAs2Id("An AS2 ID cannot be empty.")
    if len(value) > AS2_ID_MAX_LENGTH:
        raise InvalidAs2Id(f"An AS2 ID has at most {AS2_ID_MAX_LENGTH} characters.")
    bad = sorted({c for c in value if not 0x20 <= ord(c) <= 0x7E})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise InvalidAs2Id(f"An AS2 ID may only hold printable ASCII characters; found {shown}.")
    if value != value.strip(" "):
        raise InvalidAs2Id("An AS2 ID cannot start or end with a space.")
    return value


def quote_as2_id(as2_id: str) -> str:
    """An AS2-From/To value: the ID as an atom, or a quoted-string when it holds spaces or
    specials. Raises InvalidAs2Id for what is not an AS2 ID."""
    check_as2_id(as2_id)
    if _ATOM.fullmatch(as2_id):
        return as2_id
    return '"' + as2_id.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote_as2_id(value: str) -> str:
    """The AS2 ID in an AS2-From/To value, quotes and escapes removed (read, not checked)."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value
