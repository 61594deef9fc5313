"""The Subject header of outbound messages: a template with $…$ placeholders.

Placeholders: $filename$, $message_id$, $sender$ (our AS2 ID), $receiver$ (the partner's AS2
ID), $date$ (UTC, YYYY-MM-DD). Unknown placeholders are left as written.
"""

import re

SUBJECT_PLACEHOLDERS = ("filename", "message_id", "sender", "receiver", "date")
_PLACEHOLDER = re.compile(r"\$([a-z_]+)\$")


def subject_render(template: str, **values: str) -> str:
    """Substitute the known $…$ placeholders; strip CR/LF so the header stays one line."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if name in SUBJECT_PLACEHOLDERS and name in values else match.group(0)

    return re.sub(r"[\r\n]+", " ", _PLACEHOLDER.sub(substitute, template))
