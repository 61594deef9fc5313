"""The tenant's inbound AS2 endpoint: one URL per tenant, routed by AS2-To / AS2-From.

Only the URL's name ties this to tracklog (whose view answers it), so every app, lowest
first, can show or send the endpoint without importing an app above it.
"""

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from serverless_as2.models import Tenant

INBOUND_URL_NAME = "tracklog:inbound"


def inbound_url(*, tenant: Tenant, request: HttpRequest | None = None) -> str:
    """The URL partners post AS2 messages to (Copy Endpoint URI).

    SAS2_PUBLIC_BASE_URL when set, else the request's host; without a request (background
    work, e.g. an async MDN's return address) the public base URL is required.
    """
    path = reverse(INBOUND_URL_NAME, args=[tenant.id])
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL + path
    if request is None:
        raise ValueError(
            "Set SAS2_PUBLIC_BASE_URL: the endpoint URL is asked for outside a web request."
        )
    return request.build_absolute_uri(path)
