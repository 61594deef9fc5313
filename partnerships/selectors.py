"""Reads of instances, partners and partnerships, always within one tenant."""

from django.db.models import F, Min, Q, QuerySet
from django.db.models.functions import Coalesce, Least

from partnerships.models import As2Instance, Partner, Partnership
from serverless_as2.models import Tenant
from serverless_as2.tenancy import tenant_queryset


def instance_list(*, tenant: Tenant, search: str = "") -> QuerySet[As2Instance]:
    """The tenant's AS2 instances, optionally those whose AS2 ID contains `search`."""
    instances = tenant_queryset(As2Instance, tenant=tenant)
    return instances.filter(my_as2_id__icontains=search) if search else instances


def partner_list(*, tenant: Tenant, search: str = "") -> QuerySet[Partner]:
    """The tenant's partners, optionally those whose AS2 ID contains `search`."""
    partners = tenant_queryset(Partner, tenant=tenant)
    return partners.filter(partner_as2_id__icontains=search) if search else partners


def partnership_list(*, tenant: Tenant, search: str = "") -> QuerySet[Partnership]:
    """The tenant's partnerships, optionally those where either AS2 ID contains `search`."""
    partnerships = tenant_queryset(Partnership, tenant=tenant).select_related("instance", "partner")
    if search:
        partnerships = partnerships.filter(
            instance__my_as2_id__icontains=search
        ) | partnerships.filter(partner__partner_as2_id__icontains=search)
    return partnerships


def partnership_rows(*, tenant: Tenant, search: str = "") -> QuerySet[Partnership]:
    """The PartnerShip list: partnerships with their certificate, the partner's current
    certificate's expiry (`partner_not_after`) and the earlier of the two (`expires_first`).

    The partner's certificate may expire before ours; both are columns, so this is one query.
    """
    current = Q(certificate__partner_certificates__in_use_until__isnull=True)
    ours = F("certificate__my_not_after")
    return (
        partnership_list(tenant=tenant, search=search)
        .select_related("certificate")
        .annotate(
            partner_not_after=Min("certificate__partner_certificates__not_after", filter=current)
        )
        # Least() of a NULL is NULL on SQLite but not on PostgreSQL: never hand it one.
        .annotate(expires_first=Least(ours, Coalesce(F("partner_not_after"), ours)))
        .order_by(*Partnership._meta.ordering, "pk")  # an aggregate drops Meta.ordering
    )
