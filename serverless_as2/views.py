"""The page after login, and the account pages of the shell."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from serverless_as2 import dashboard


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What needs attention; the steps to a first exchange until they are done."""
    tenant = getattr(request.user, "tenant", None)
    if tenant is None:  # an operator: the admin is where they work
        return render(request, "home_no_tenant.html")
    steps = dashboard.setup_steps(tenant=tenant)
    context = {
        "attention": dashboard.attention_list(tenant=tenant),
        "steps": steps,
        "steps_left": sum(not step.done for step in steps),
        "failures": dashboard.latest_failures(tenant=tenant),
    }
    return render(request, "home.html", context)
