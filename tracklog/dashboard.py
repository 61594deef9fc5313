"""What the TrackLog tells the page after login (registered in TracklogConfig.ready)."""

from django.urls import reverse

from serverless_as2.dashboard import Failure, SetupStep
from serverless_as2.models import Tenant
from tracklog.models import FAILED_STATUSES, Direction, Message, StatusGroup, status_group_q


def message_failures(*, tenant: Tenant, limit: int) -> list[Failure]:
    """The tenant's latest failed messages (19 or 29), newest first, each linking its detail."""
    failed = (
        Message.objects.filter(tenant=tenant, status__in=FAILED_STATUSES)
        .select_related("partnership__instance", "partnership__partner")
        .order_by("-updated")[:limit]
    )
    return [
        Failure(
            message_id=message.message_id,
            partnership=str(message.partnership or f"{message.sender} → {message.receiver}"),
            status=f"{message.status} {message.get_status_display()}",
            error=message.error,
            when=message.updated,
            url=reverse("tracklog:message_detail", args=[message.pk]),
        )
        for message in failed
    ]


def message_setup_steps(*, tenant: Tenant) -> list[SetupStep]:
    """The last step to a first exchange: a message that went through, MDN and all."""
    exchanged = Message.objects.filter(
        status_group_q(StatusGroup.SUCCESSFUL), tenant=tenant, direction=Direction.OUTBOUND
    )
    return [
        SetupStep(
            order=6,
            text="Send a file (Send File, or Send test message on the PartnerShip page) and "
            "watch its MDN arrive in the TrackLog",
            url=reverse("tracklog:send_file"),
            done=exchanged.exists(),
        )
    ]
