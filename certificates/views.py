"""Certificate pages."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from serverless_as2.tenancy import request_tenant


@login_required
def certificate_list(request: HttpRequest) -> HttpResponse:
    request_tenant(request)
    return render(request, "certificates/certificate_list.html")
