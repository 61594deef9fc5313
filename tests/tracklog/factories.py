"""Message rows for TrackLog tests, made directly (with stored files when asked)."""

import itertools
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from partnerships.models import Partnership
from serverless_as2.models import Tenant
from serverless_as2.storage_keys import tenant_key
from tracklog.models import Direction, Message, MessageEvent, Status

_numbers = itertools.count(1)


def _store(tenant: Tenant, message_id: str, name: str, content: bytes | None) -> str:
    if content is None:
        return ""
    key = tenant_key(tenant, "tests", message_id, name)
    if default_storage.exists(key):
        default_storage.delete(key)
    return default_storage.save(key, ContentFile(content))


def message_make(
    tenant: Tenant,
    partnership: Partnership | None = None,
    *,
    direction: str = Direction.OUTBOUND,
    status: int = Status.MDN_SAVED,
    payload: bytes | None = None,
    mdn: bytes | None = None,
    raw: bytes | None = None,
    created: datetime | None = None,
    events: list[tuple[int, str]] = (),
    **fields,
) -> Message:
    """A message of the tenant's; payload/mdn/raw bytes are stored and their keys set."""
    number = next(_numbers)
    message_id = fields.pop("message_id", f"<test-{number}@mycompany.example>")
    if partnership is not None:
        me, them = partnership.instance.my_as2_id, partnership.partner.partner_as2_id
    else:
        me, them = "mycompany", "amazon"
    sender, receiver = (me, them) if direction == Direction.OUTBOUND else (them, me)
    defaults = {
        "sender": sender,
        "receiver": receiver,
        "filename": f"order-{number}.edi",
        "content_type": "application/EDI-X12",
        "size": len(payload) if payload is not None else 0,
        "mdn_mode": "sync",
    }
    message = Message.objects.create(
        tenant=tenant,
        partnership=partnership,
        direction=direction,
        status=status,
        message_id=message_id,
        payload_key=_store(tenant, str(number), "payload", payload),
        mdn_key=_store(tenant, str(number), "mdn", mdn),
        raw_key=_store(tenant, str(number), "raw", raw),
        **{**defaults, **fields},
    )
    for step_status, text in events:
        MessageEvent.objects.create(
            message=message, status=step_status, at=timezone.now(), text=text
        )
    if created is not None:
        Message.objects.filter(pk=message.pk).update(created=created, updated=created)
        message.refresh_from_db()
    return message
