"""Sending AS2 messages: queue (store the original) and deliver (one attempt now)."""

from partnerships.models import Partnership
from tracklog.models import Message


class SendRefused(Exception):
    """A partnership that cannot send now (str: a sentence saying what to fix)."""


def message_queue(
    *,
    partnership: Partnership,
    payload: bytes,
    filename: str,
    content_type: str | None = None,
    subject: str | None = None,
) -> Message:
    """Store the original (status 22) and ask the worker to deliver it."""
    raise NotImplementedError


def message_deliver(*, message: Message) -> Message:
    """One delivery attempt of an outbound message now; the message with its new status."""
    raise NotImplementedError
