"""The one way views reach tenant data: every query is scoped to the user's tenant.

A row of another tenant is a 404, never a 403 that would confirm it exists.
"""

from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from serverless_as2.models import Tenant


def request_tenant(request: HttpRequest) -> Tenant:
    """The logged-in user's tenant; users without one see nothing (404)."""
    tenant = getattr(request.user, "tenant", None)
    if tenant is None:
        raise Http404("This account belongs to no tenant.")
    return tenant


def tenant_queryset[M: Model](
    model_or_queryset: type[M] | QuerySet[M], *, tenant: Tenant
) -> QuerySet[M]:
    """All rows of the model (or queryset) that belong to the tenant."""
    queryset = (
        model_or_queryset
        if isinstance(model_or_queryset, QuerySet)
        else model_or_queryset._default_manager.all()
    )
    return queryset.filter(tenant=tenant)


def tenant_get_or_404[M: Model](
    model_or_queryset: type[M] | QuerySet[M], *, tenant: Tenant, **lookups: object
) -> M:
    """One row of the tenant's, or 404 (whether it is missing or another tenant's)."""
    return get_object_or_404(tenant_queryset(model_or_queryset, tenant=tenant), **lookups)
