"""The README's table of storage keys is where the code puts a message's files, and its pick-up
advice matches payloads only. They drifted once: the payload moved to …/payload/ and the README
kept sending downstream systems to the old key."""

import re
from fnmatch import fnmatchcase
from pathlib import Path

from tracklog.models import Direction, Message, Status
from tracklog.services import message_deliver, message_queue

README = Path(__file__).resolve().parents[2] / "README.md"
PLACEHOLDER = re.compile(r"<([^>]+)>")


def readme_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("**Where files are kept**", 1)[1].split("**Sending.**", 1)[0]


def documented_keys() -> list[str]:
    """The keys of the README's table (first column), placeholders and all."""
    return re.findall(r"^\| `(private/[^`]+)` \|", readme_section(), re.MULTILINE)


def layout(template: str) -> re.Pattern[str]:
    """A documented key as a pattern: each <placeholder> is one path segment, named."""
    parts = PLACEHOLDER.split(template)  # text, name, text, name, …
    pattern = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part.replace(' ', '_').replace('-', '_')}>[^/]+)"
        for i, part in enumerate(parts)
    )
    return re.compile(pattern)


def test_every_file_a_message_leaves_is_where_the_readme_says(pair):
    sent = message_deliver(
        message=message_queue(partnership=pair.a_to_b, payload=b"ISA*00~", filename="po-1.edi")
    )
    assert sent.status == Status.MDN_SAVED, sent.error
    received = Message.objects.get(
        tenant=pair.tenant_b, direction=Direction.INBOUND, message_id=sent.message_id
    )
    expected = {
        sent: {"tenant": str(pair.tenant_a.id), "partner": "beta", "me": "alpha"},
        received: {"tenant": str(pair.tenant_b.id), "partner": "alpha", "me": "beta"},
    }
    templates = documented_keys()
    used = set()
    for message, values in expected.items():
        for key in (message.raw_key, message.payload_key, message.mdn_key):
            found = [(t, m) for t in templates if (m := layout(t).fullmatch(key))]
            assert len(found) == 1, f"{key} matches {len(found)} rows of the README's table"
            template, match = found[0]
            used.add(template)
            fields = match.groupdict()
            assert fields.pop("message_id") == message.message_id.strip("<>")
            assert fields.pop("file_name", "po-1.edi") == "po-1.edi"
            assert fields == values, template
    assert used == set(templates)  # every documented key is one the code writes


def test_the_readme_pickup_rule_fires_for_payloads_and_nothing_else(pair):
    """The EventBridge wildcard the README gives, filled in for a partnership, against the keys
    of a real exchange; and the suffix advice: the message's own files end in .raw."""
    (wildcard,) = re.findall(r'"wildcard":\s*"([^"]+)"', readme_section())
    sent = message_deliver(
        message=message_queue(partnership=pair.a_to_b, payload=b"ISA*00~", filename="po-1.edi")
    )
    received = Message.objects.get(
        tenant=pair.tenant_b, direction=Direction.INBOUND, message_id=sent.message_id
    )
    rule = (
        wildcard.replace("<tenant>", str(pair.tenant_b.id))
        .replace("<partner>", "alpha")
        .replace("<me>", "beta")
    )
    keys = [received.raw_key, received.payload_key, received.mdn_key, sent.payload_key]
    assert [fnmatchcase(key, rule) for key in keys] == [False, True, False, False]
    assert received.raw_key.endswith(".raw") and received.mdn_key.endswith(".raw")
    assert received.payload_key.endswith("/po-1.edi")
