"""What partnerships tell the page after login (registered in PartnershipsConfig.ready)."""

from django.urls import reverse

from partnerships.models import As2Instance, Partner, Partnership
from serverless_as2.dashboard import Attention, Level, SetupStep
from serverless_as2.models import Tenant


def partnership_attention(*, tenant: Tenant) -> list[Attention]:
    """Disabled partners that partnerships still name: their messages are refused."""
    partners = Partner.objects.filter(tenant=tenant, enabled=False, partnerships__isnull=False)
    return [
        Attention(
            level=Level.WARNING,
            text=f"The partner {partner.partner_as2_id} is Off but still in "
            f"{partner.partnerships.count()} partnership(s).",
            url=reverse("partnerships:partner_edit", args=[partner.pk]),
            action="Open the partner",
        )
        for partner in partners.distinct().order_by("partner_as2_id")
    ]


def partnership_setup_steps(*, tenant: Tenant) -> list[SetupStep]:
    """Create an AS2 instance, a partner, then a partnership joining them."""
    owned = {"tenant": tenant}
    return [
        SetupStep(
            order=1,
            text="Create your AS2 instance: the AS2 ID partners address you by",
            url=reverse("partnerships:instance_create"),
            done=As2Instance.objects.filter(**owned).exists(),
        ),
        SetupStep(
            order=2,
            text="Create a partner: their AS2 ID exactly as they configured it",
            url=reverse("partnerships:partner_create"),
            done=Partner.objects.filter(**owned).exists(),
        ),
        SetupStep(
            order=3,
            text="Create a PartnerShip: your instance, the partner and their as2_url",
            url=reverse("partnerships:partnership_create"),
            done=Partnership.objects.filter(**owned).exists(),
        ),
    ]
