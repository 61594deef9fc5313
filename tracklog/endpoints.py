"""The tenant's inbound AS2 endpoint: one URL per tenant, routed by AS2-To / AS2-From."""

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from serverless_as2.models import Tenant


def inbound_url(request: HttpRequest, tenant: Tenant) -> str:
    """The URL partners post AS2 messages to (Copy Endpoint URI)."""
    path = reverse("tracklog:inbound", args=[tenant.id])
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL + path
    return request.build_absolute_uri(path)
