"""Pages for AS2 instances, partners and partnerships. Views parse input and render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from partnerships import selectors
from partnerships.forms import As2InstanceForm, PartnerForm, PartnershipForm
from partnerships.limits import partnership_lambda_warnings
from partnerships.models import As2Instance, Partner, Partnership
from partnerships.services import DeleteRefused, row_delete, row_delete_preview
from serverless_as2.endpoints import inbound_url
from serverless_as2.pages import Column, list_context, query_pk, query_text
from serverless_as2.tenancy import request_tenant, tenant_get_or_404


def _save_form(request: HttpRequest, form, success: str, template: str, context: dict):
    """Save a valid form and go to `success`; otherwise render the page with its errors."""
    if request.method == "POST" and form.is_valid():
        row = form.save()
        messages.success(request, f"Saved {row}.")
        return redirect(success)
    return render(request, template, {"form": form, **context})


def _delete(
    request: HttpRequest, row, label: str, back: str, success: str, *, section: str, record: str
) -> HttpResponse:
    """Confirm, then delete the row or say what still depends on it.

    `section` (a navigation name) and `record` (the row's name) make the breadcrumbs."""
    if request.method == "POST":
        try:
            row_delete(row=row, label=label)
        except DeleteRefused as refusal:
            messages.error(request, str(refusal))
            return redirect(back)
        messages.success(request, f"Deleted {label}.")
        return redirect(success)
    context = {
        "row": row,
        "label": label,
        "back": back,
        "section": section,
        "section_url": success,
        "record": record,
        "record_url": back,
        **row_delete_preview(row=row),
    }
    return render(request, "confirm_delete.html", context)


INSTANCE_COLUMNS = {
    "id": Column("My AS2 ID", ("my_as2_id",)),
    "name": Column("My AS2 Name", ("my_name",)),
    "status": Column("Status", ("enabled",)),
}
PARTNER_COLUMNS = {
    "id": Column("Partner AS2 ID", ("partner_as2_id",)),
    "name": Column("Partner Name", ("partner_name",)),
    "status": Column("Status", ("enabled",)),
}
PARTNERSHIP_COLUMNS = {
    "mine": Column("My AS2 ID", ("instance__my_as2_id",)),
    "partner": Column("Partner AS2 ID", ("partner__partner_as2_id",)),
    "partner_status": Column("Partner Status", ("partner__enabled",)),
    "certificate": Column("Certificate", ("expires_first",)),
    "url": Column("as2_url", ("as2_url",)),
    "encrypt": Column("encrypt", ("encrypt",)),
    "sign": Column("sign", ("sign",)),
    "mdn": Column("MDN mode", ("mdn_mode",)),
}


@login_required
def instance_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.instance_list(tenant=request_tenant(request), search=query_text(request, "q"))
    context = list_context(request, rows, columns=INSTANCE_COLUMNS)
    return render(request, "partnerships/instance_list.html", context)


@login_required
def instance_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    tenant = request_tenant(request)
    row = tenant_get_or_404(As2Instance, tenant=tenant, pk=pk) if pk else None
    form = As2InstanceForm(request.POST or None, instance=row, tenant=tenant)
    related = row.partnerships.select_related("partner") if row else []
    return _save_form(
        request,
        form,
        reverse("partnerships:instance_list"),
        "partnerships/instance_form.html",
        {"row": row, "related": related},
    )


@login_required
def instance_delete(request: HttpRequest, pk: int) -> HttpResponse:
    row = tenant_get_or_404(As2Instance, tenant=request_tenant(request), pk=pk)
    back = reverse("partnerships:instance_edit", args=[pk])
    label = f"AS2 instance {row.my_as2_id}"
    success = reverse("partnerships:instance_list")
    return _delete(
        request, row, label, back, success, section="AS2 Instances", record=row.my_as2_id
    )


@login_required
def partner_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.partner_list(tenant=request_tenant(request), search=query_text(request, "q"))
    context = list_context(request, rows, columns=PARTNER_COLUMNS)
    return render(request, "partnerships/partner_list.html", context)


@login_required
def partner_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    tenant = request_tenant(request)
    row = tenant_get_or_404(Partner, tenant=tenant, pk=pk) if pk else None
    form = PartnerForm(request.POST or None, instance=row, tenant=tenant)
    return _save_form(
        request,
        form,
        reverse("partnerships:partner_list"),
        "partnerships/partner_form.html",
        {"row": row},
    )


@login_required
def partner_delete(request: HttpRequest, pk: int) -> HttpResponse:
    row = tenant_get_or_404(Partner, tenant=request_tenant(request), pk=pk)
    back = reverse("partnerships:partner_edit", args=[pk])
    label = f"Partner {row.partner_as2_id}"
    success = reverse("partnerships:partner_list")
    return _delete(request, row, label, back, success, section="Partner", record=row.partner_as2_id)


@login_required
def partnership_list(request: HttpRequest) -> HttpResponse:
    tenant = request_tenant(request)
    rows = selectors.partnership_rows(tenant=tenant, search=query_text(request, "q"))
    context = list_context(request, rows, columns=PARTNERSHIP_COLUMNS)
    for row in context["rows"]:
        if hasattr(row, "certificate"):  # its first_expiry reads the annotation, not a query
            row.certificate.partner_not_after = row.partner_not_after
    return render(request, "partnerships/partnership_list.html", context)


@login_required
def partnership_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    tenant = request_tenant(request)
    row = tenant_get_or_404(Partnership, tenant=tenant, pk=pk) if pk else None
    initial = {}
    chosen_pk = query_pk(request, "instance")
    if row is None and chosen_pk is not None:
        initial["instance"] = tenant_get_or_404(As2Instance, tenant=tenant, pk=chosen_pk).pk
    form = PartnershipForm(request.POST or None, instance=row, initial=initial, tenant=tenant)
    context = {
        "row": row,
        "instance_data": {
            i.pk: {"name": i.my_name, "alias": i.my_as2_alias, "email": i.my_email}
            for i in selectors.instance_list(tenant=tenant)
        },
        "partner_data": {
            p.pk: {"name": p.partner_name, "alias": p.partner_as2_alias, "email": p.partner_email}
            for p in selectors.partner_list(tenant=tenant)
        },
        "endpoint_url": inbound_url(tenant=tenant, request=request),
        "lambda_warnings": partnership_lambda_warnings(partnership=row) if row else [],
    }
    return _save_form(
        request,
        form,
        reverse("partnerships:partnership_list"),
        "partnerships/partnership_form.html",
        context,
    )


@login_required
def partnership_delete(request: HttpRequest, pk: int) -> HttpResponse:
    row = tenant_get_or_404(Partnership, tenant=request_tenant(request), pk=pk)
    back = reverse("partnerships:partnership_edit", args=[pk])
    success = reverse("partnerships:partnership_list")
    label = f"Partnership {row}"
    return _delete(request, row, label, back, success, section="PartnerShip", record=str(row))
