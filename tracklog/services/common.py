"""What receiving and sending share: finding the partnership, the steps, storage keys."""

import time
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from certificates.models import Certificate, PartnerCertificate
from partnerships.models import As2Instance, Partner, Partnership
from serverless_as2.models import Tenant
from serverless_as2.storage_keys import message_key, message_payload_key
from tracklog.models import Message, MessageEvent, Status, recordable

# Every received message looks its partnership up: kept per process for a few seconds, forgotten
# at once when this process saves or deletes a partnership, instance, partner or certificate; other
# processes see a change within PARTNERSHIP_CACHE_SECONDS. Misses are never kept (unknown IDs are
# anyone's to invent).
_partnerships: dict[tuple[str, str, str], tuple[float, Partnership]] = {}
_MAX_CACHED = 10_000


def partnership_find(*, tenant_id: str, my_as2_id: str, partner_as2_id: str) -> Partnership | None:
    """The tenant's partnership between one of its instances and a partner, by AS2 IDs (with
    its instance, partner and tenant)."""
    key = (str(tenant_id), my_as2_id, partner_as2_id)
    now = time.monotonic()
    hit = _partnerships.get(key)
    if hit is not None and now - hit[0] < settings.PARTNERSHIP_CACHE_SECONDS:
        return hit[1]
    rows = Partnership.objects.select_related("instance", "partner", "tenant").filter(
        tenant_id=tenant_id,
        instance__my_as2_id=my_as2_id,
        partner__partner_as2_id=partner_as2_id,
    )
    found = next(iter(rows.order_by()[:1]), None)
    if found is not None:
        if len(_partnerships) >= _MAX_CACHED:
            _partnerships.clear()
        _partnerships[key] = (now, found)
    return found


def _forget_partnerships(**kwargs) -> None:
    _partnerships.clear()


for _model in (Partnership, As2Instance, Partner, Certificate, PartnerCertificate):
    post_save.connect(_forget_partnerships, sender=_model, dispatch_uid=f"tracklog-{_model}")
    post_delete.connect(_forget_partnerships, sender=_model, dispatch_uid=f"tracklog-d-{_model}")


def inbound_message_pk(*, tenant: Tenant, message_id: str, sender: str) -> int | None:
    """The pk of the message already received with this Message-ID from this sender, if any.

    Every received message asks this once; plain SQL on the unique index costs a tenth of the
    ORM's query building (measured with bench/inbound.py).
    """
    # The tenant's UUID as the column holds it (SQLite: 32 hex digits; PostgreSQL: a uuid).
    tenant_value = tenant.pk if connection.features.has_native_uuid_field else tenant.pk.hex
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Message._meta.db_table} WHERE tenant_id = %s AND direction = %s "  # noqa: S608 (table name from the model)
            "AND message_id = %s AND sender = %s",
            [tenant_value, "in", message_id, sender],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def file_key(message: Message, name: str) -> str:
    """Where a file of a message is stored: private/<tenant>/<partner>/<me>/<box>/<id>/<name>."""
    return message_key(message.tenant, **_message_folder(message), name=name)


def payload_key(message: Message, filename: str) -> str:
    """Where a message's payload is stored: …/<box>/<id>/payload/<file name>."""
    return message_payload_key(message.tenant, **_message_folder(message), filename=filename)


def _message_folder(message: Message) -> dict[str, str]:
    inbound = message.direction == "in"
    return {
        "partner_as2_id": message.sender if inbound else message.receiver,
        "my_as2_id": message.receiver if inbound else message.sender,
        "direction": "inbox" if inbound else "outbox",
        "message_id": message.message_id.strip("<>") or "_",
    }


@dataclass
class Steps:
    """The steps of a message, collected while it is processed and saved in one go."""

    events: list[tuple[int, datetime, str]] = field(default_factory=list)

    def add(self, status: int, text: str = "", at: datetime | None = None) -> None:
        self.events.append((status, at or timezone.now(), text))

    def save(self, message: Message) -> None:
        MessageEvent.objects.bulk_create(
            [
                MessageEvent(message=message, status=status, at=at, text=recordable(text))
                for status, at, text in self.events
            ]
        )
        self.events.clear()

    @property
    def last_status(self) -> int:
        return self.events[-1][0] if self.events else Status.WAIT_TO_DECRYPT
