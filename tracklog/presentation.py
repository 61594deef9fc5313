"""A message in plain words for the TrackLog pages: its status, its outcome, its details."""

import json
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format

from tracklog.models import Direction, MdnMode, Message, MicCheck, Status, StatusGroup


@dataclass(frozen=True)
class StatusView:
    """A status as the pages show it: code, name and group (the group's word, not only a colour)."""

    code: int
    name: str
    group: str
    group_label: str


def status_view(message: Message) -> StatusView:
    group = message.group
    try:
        name = Status(message.status).label
    except ValueError:
        name = "Unknown status"
    return StatusView(message.status, str(name), str(group.value), str(group.label))


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i:s T")


def message_outcome(message: Message) -> tuple[StatusGroup, str]:
    """What happened to the message, in one or two sentences a user understands."""
    group = message.group
    name = f"“{message.filename}”" if message.filename else "the message"
    if group == StatusGroup.FAILED:
        return group, f"Failed: {message.error}" if message.error else "Failed."
    if group == StatusGroup.SUCCESSFUL:
        if message.direction == Direction.INBOUND:
            if message.mdn_mode == MdnMode.NONE:
                return group, f"Received and stored {name}; the partner asked for no MDN."
            return group, f"Received and stored {name}; the MDN was sent to the partner."
        if message.mdn_mode == MdnMode.NONE:
            return group, f"Sent {name}; this partnership asks for no MDN, so there is no receipt."
        facts = ["signed MDN" if message.mdn_signed else "unsigned MDN"]
        if message.mdn_mic_check == MicCheck.MATCHED:
            facts.append("MIC matched")
        disposition = message.mdn_disposition or "processed"
        return group, (
            f"The partner received {name} and answered “{disposition}” ({', '.join(facts)})."
        )
    if message.direction == Direction.OUTBOUND:
        if (
            message.status in (Status.SENT, Status.MDN_RECEIVED)
            and message.mdn_mode == MdnMode.ASYNC
        ):
            return group, f"Sent {name}; waiting for the partner's asynchronous MDN."
        if message.error:
            retry = (
                f" Next attempt at {_when(message.next_attempt_at)}."
                if message.next_attempt_at
                else ""
            )
            return group, f"Not delivered yet (attempt {message.attempts}): {message.error}{retry}"
        return group, f"Queued: {name} is waiting to be sent."
    return group, f"Being processed: {status_view(message).name}."


# details key -> (label, how to show it)
DETAIL_LABELS: dict[str, tuple[str, str]] = {
    "signer": ("Signed by", "certificate"),
    "expected_signer": ("The partnership expects", "certificate"),
    "previous_certificate_replaced_on": (
        "Signed with the partner's previous certificate, replaced on",
        "text",
    ),
    "encrypted_for": ("Encrypted for", "certificate"),
    "our_certificate": ("Our certificate in this partnership", "certificate"),
    "security": ("Security", "mapping"),
    "disposition_text": ("Disposition text", "pre"),
    "our_mic": ("Our MIC", "text"),
    "their_mic": ("Their MIC (Received-Content-MIC)", "text"),
    "duplicates": ("Repeats received (duplicates)", "text"),
    "partner_http_status": ("Partner's HTTP status", "text"),
    "partner_answer": ("Partner's answer (first lines)", "pre"),
    "warnings": ("Warnings", "list"),
    "attempts": ("Attempts", "attempts"),
}
CERTIFICATE_FIELDS = (
    ("subject", "subject"),
    ("serial", "serial"),
    ("fingerprint", "SHA-256 fingerprint"),
    ("not_after", "valid until"),
)


@dataclass(frozen=True)
class DetailRow:
    label: str
    kind: str  # certificate | mapping | text | pre | list | attempts | json
    value: Any


def certificate_lines(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, dict):
        return [("", str(value))]
    known = [(label, str(value[key])) for key, label in CERTIFICATE_FIELDS if value.get(key)]
    rest = [
        (key.replace("_", " "), str(item))
        for key, item in value.items()
        if key not in dict(CERTIFICATE_FIELDS) and item not in (None, "")
    ]
    return known + rest


def _attempt_lines(value: Any) -> list[dict]:
    rows = value if isinstance(value, list) else [value]
    return [row if isinstance(row, dict) else {"error": str(row)} for row in rows]


# Shown in the MDN section of the page instead.
SHOWN_ELSEWHERE = frozenset({"mdn_signer"})


def detail_rows(details: dict) -> list[DetailRow]:
    """The "explain every failure" facts of a message, labelled, known keys first."""
    rows = []
    for key, (label, kind) in DETAIL_LABELS.items():
        value = details.get(key)
        if value in (None, "", [], {}):
            continue
        if kind == "certificate":
            value = certificate_lines(value)
        elif kind == "list":
            value = value if isinstance(value, list) else [value]
        elif kind == "attempts":
            value = _attempt_lines(value)
        elif kind == "mapping":
            value = (
                [(str(name), str(item)) for name, item in value.items()]
                if isinstance(value, dict)
                else [("", str(value))]
            )
        rows.append(DetailRow(label, kind, value))
    for key, value in details.items():
        if key in DETAIL_LABELS or key in SHOWN_ELSEWHERE or value in (None, "", [], {}):
            continue
        label = key.replace("_", " ").capitalize()
        if isinstance(value, str | int | float | bool):
            rows.append(DetailRow(label, "text", value))
        else:
            rows.append(DetailRow(label, "json", json.dumps(value, indent=2, default=str)))
    return rows


def repeats_and_warnings(message: Message) -> dict[str, int]:
    """How often the partner sent this message again, and how many warnings it carries."""
    details = message.details if isinstance(message.details, dict) else {}
    try:
        repeats = int(details.get("duplicates") or 0)
    except (TypeError, ValueError):
        repeats = 0
    warnings = details.get("warnings") or []
    return {"repeats": repeats, "warnings": len(warnings) if isinstance(warnings, list) else 1}
