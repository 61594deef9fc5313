"""What receiving and sending share: finding the partnership, the steps, storage keys."""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from partnerships.models import Partnership
from serverless_as2.models import Tenant
from serverless_as2.storage_keys import message_key
from tracklog.models import Message, MessageEvent, Status


def partnership_find(*, tenant: Tenant, my_as2_id: str, partner_as2_id: str) -> Partnership | None:
    """The tenant's partnership between one of its instances and a partner, by AS2 IDs."""
    return (
        Partnership.objects.select_related("instance", "partner")
        .filter(
            tenant=tenant,
            instance__my_as2_id=my_as2_id,
            partner__partner_as2_id=partner_as2_id,
        )
        .first()
    )


def file_key(message: Message, name: str) -> str:
    """Where a file of a message is stored: private/<tenant>/<partner>/<me>/<box>/<id>/<name>."""
    inbound = message.direction == "in"
    return message_key(
        message.tenant,
        partner_as2_id=message.sender if inbound else message.receiver,
        my_as2_id=message.receiver if inbound else message.sender,
        direction="inbox" if inbound else "outbox",
        message_id=message.message_id.strip("<>") or "_",
        name=name,
    )


@dataclass
class Steps:
    """The steps of a message, collected while it is processed and saved in one go."""

    events: list[tuple[int, datetime, str]] = field(default_factory=list)

    def add(self, status: int, text: str = "", at: datetime | None = None) -> None:
        self.events.append((status, at or timezone.now(), text))

    def save(self, message: Message) -> None:
        MessageEvent.objects.bulk_create(
            [
                MessageEvent(message=message, status=status, at=at, text=text)
                for status, at, text in self.events
            ]
        )
        self.events.clear()

    @property
    def last_status(self) -> int:
        return self.events[-1][0] if self.events else Status.WAIT_TO_DECRYPT
