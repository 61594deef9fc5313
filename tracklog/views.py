"""TrackLog, Send File and the inbound endpoint (message handling arrives with its issue)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt

from serverless_as2.models import Tenant
from serverless_as2.tenancy import request_tenant


@login_required
def message_list(request: HttpRequest) -> HttpResponse:
    request_tenant(request)
    return render(request, "tracklog/message_list.html")


@login_required
def send_file(request: HttpRequest) -> HttpResponse:
    request_tenant(request)
    return render(request, "tracklog/send_file.html")


@csrf_exempt  # partners' AS2 servers post here; they carry no CSRF token by design
def inbound(request: HttpRequest, tenant_id: str) -> HttpResponse:
    get_object_or_404(Tenant, pk=tenant_id)
    return HttpResponse(
        "This AS2 endpoint does not accept messages yet.\n",
        status=503,
        content_type="text/plain",
    )
