"""Reads of messages for the TrackLog, always within one tenant."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Prefetch, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from partnerships.models import Partnership
from serverless_as2.models import Tenant
from serverless_as2.tenancy import tenant_get_or_404, tenant_queryset
from tracklog.models import Message, MessageEvent, status_group, status_group_q


@dataclass(frozen=True)
class MessageFilters:
    """What the TrackLog list is narrowed to; empty values filter nothing."""

    search: str = ""
    group: str = ""
    date_from: date | None = None
    date_to: date | None = None
    partnership: Partnership | None = None
    direction: str = ""
    ids: tuple[int, ...] = ()


def sendable_partnerships(*, tenant: Tenant) -> QuerySet[Partnership]:
    """The tenant's partnerships whose instance and partner are both on."""
    return (
        tenant_queryset(Partnership, tenant=tenant)
        .filter(instance__enabled=True, partner__enabled=True)
        .select_related("instance", "partner")
    )


def message_list(*, tenant: Tenant, filters: MessageFilters) -> QuerySet[Message]:
    """The tenant's messages, newest first, narrowed by the filters."""
    rows = tenant_queryset(Message, tenant=tenant).order_by("-created", "-pk")
    if filters.search:
        rows = rows.filter(message_id__icontains=filters.search)
    if filters.group:
        rows = rows.filter(status_group_q(filters.group))
    if filters.direction:
        rows = rows.filter(direction=filters.direction)
    if filters.partnership is not None:
        rows = rows.filter(partnership=filters.partnership)
    if filters.date_from:
        rows = rows.filter(created__date__gte=filters.date_from)
    if filters.date_to:
        rows = rows.filter(created__date__lte=filters.date_to)
    if filters.ids:
        rows = rows.filter(pk__in=filters.ids)
    return rows


def message_get(*, tenant: Tenant, pk: int) -> Message:
    """One of the tenant's messages with its steps and partnership, or 404."""
    rows = (
        tenant_queryset(Message, tenant=tenant)
        .select_related("partnership__instance", "partnership__partner")
        .prefetch_related(Prefetch("events", queryset=MessageEvent.objects.order_by("at", "pk")))
    )
    return tenant_get_or_404(rows, tenant=tenant, pk=pk)


def message_counts_per_day(
    *, tenant: Tenant, days: int = 14, today: date | None = None
) -> tuple[list[date], dict[date, dict[str, int]]]:
    """The last `days` days (oldest first) and, per day, how many messages per status group."""
    today = today or timezone.localdate()
    span = [today - timedelta(days=back) for back in range(days - 1, -1, -1)]
    rows = (
        tenant_queryset(Message, tenant=tenant)
        .filter(created__date__gte=span[0], created__date__lte=today)
        .annotate(day=TruncDate("created"))
        .values("day", "status", "mdn_mode")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts: dict[date, dict[str, int]] = {day: {} for day in span}
    for row in rows:
        group = str(status_group(row["status"], row["mdn_mode"]))
        per_day = counts.setdefault(row["day"], {})
        per_day[group] = per_day.get(group, 0) + row["count"]
    return span, counts
