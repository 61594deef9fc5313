"""Certificate pages and downloads. Views parse input, call one service and render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from certificates import selectors, services
from certificates.forms import (
    GENERATE,
    CertificateCreateForm,
    KeystoreAliasesForm,
    PartnerCertificateForm,
)
from certificates.models import Certificate
from certificates.services import CertificateRefused, ExportKind
from partnerships.models import Partnership
from partnerships.selectors import instance_list, partner_list
from partnerships.services import row_delete_preview
from serverless_as2.held_uploads import uploads_hold, uploads_restore
from serverless_as2.models import Tenant
from serverless_as2.pages import Column, list_context, query_pk
from serverless_as2.tenancy import request_tenant, tenant_get_or_404


def _certificate(request: HttpRequest, pk: int) -> Certificate:
    """The tenant's certificate `pk`, or 404."""
    return selectors.certificate_get(tenant=request_tenant(request), pk=pk)


CERTIFICATE_COLUMNS = {
    "mine": Column("My AS2 ID", ("partnership__instance__my_as2_id",)),
    "partner": Column("Partner AS2 ID", ("partnership__partner__partner_as2_id",)),
    "key": Column("PublicKeyURL", ("public_key_key",)),
    "expires": Column("Expires", ("my_not_after",)),
    "actions": Column("Actions"),
}


@login_required
def certificate_list(request: HttpRequest, expiring: bool = False) -> HttpResponse:
    rows = selectors.certificate_list(
        tenant=request_tenant(request), search=request.GET.get("q", ""), expiring=expiring
    )
    return render(
        request,
        "certificates/certificate_list.html",
        {**list_context(request, rows, columns=CERTIFICATE_COLUMNS), "expiring": expiring},
    )


def _create_initial(request: HttpRequest, tenant: Tenant) -> dict:
    """Create Cert opened from a partnership page (?partnership=<pk>) starts with it chosen."""
    if (pk := query_pk(request, "partnership")) is None:
        return {}
    partnership = tenant_get_or_404(
        Partnership.objects.select_related("instance", "partner"),
        tenant=tenant,
        pk=pk,
    )
    return {
        "instance": partnership.instance.pk,
        "partner": partnership.partner.pk,
        "private_key_alias": partnership.instance.my_as2_alias,
        "partner_alias": partnership.partner.partner_as2_alias,
    }


# The files a failed Create Cert keeps for the retry (a browser cannot re-fill a file input).
HELD_FIELDS = ("keystore_file", "partner_certificate")
ROTATION_FIELDS = ("partner_certificate",)


@login_required
@sensitive_post_parameters("password", "password_again")
@sensitive_variables()  # the password is in this view's and its form's locals: hide them all
def certificate_create(request: HttpRequest) -> HttpResponse:
    tenant = request_tenant(request)
    files = request.FILES
    if request.method == "POST":
        # Files chosen on a failed try come back, unless a new file replaces them.
        files = uploads_restore(
            session=request.session, data=request.POST, files=files, fields=HELD_FIELDS
        )
    form = CertificateCreateForm(
        request.POST or None,
        files or None,
        tenant=tenant,
        initial=_create_initial(request, tenant),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        common = {
            "partnership": data["partnership"],
            "password": data["password"],
            "private_key_alias": data["private_key_alias"],
            "partner_certificate_file": data["partner_certificate"],
            "partner_alias": data["partner_alias"],
            "accept_weak_key": data["accept_weak_key"],
        }
        try:
            if data["mode"] == GENERATE:
                certificate = services.certificate_generate(
                    **common, key_size=data["key_size"], validity_days=data["validity_days"]
                )
            else:
                certificate = services.certificate_import(
                    **common, keystore_file=data["keystore_file"]
                )
        except CertificateRefused as refusal:
            form.add_refusal(refusal)
        else:
            messages.success(request, f"Saved the certificate for {certificate.partnership}.")
            return redirect("certificates:certificate_list")
    held = None
    if request.method == "POST":
        held = uploads_hold(session=request.session, form=form, files=files, fields=HELD_FIELDS)
    context = {
        "form": form,
        "held": held,
        "instance_data": {
            i.pk: {"name": i.my_name, "alias": i.my_as2_alias, "email": i.my_email}
            for i in instance_list(tenant=tenant)
        },
        "partner_data": {
            p.pk: {"name": p.partner_name, "alias": p.partner_as2_alias, "email": p.partner_email}
            for p in partner_list(tenant=tenant)
        },
    }
    return render(request, "certificates/certificate_create.html", context)


@login_required
@require_POST
@sensitive_post_parameters("password")
@sensitive_variables()  # the password is in its form's locals: hide them all
def keystore_aliases(request: HttpRequest) -> JsonResponse:
    """The aliases inside an uploaded .p12/.pfx, for the Create Cert form (nothing is stored)."""
    request_tenant(request)
    form = KeystoreAliasesForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = [error for field_errors in form.errors.values() for error in field_errors]
        return JsonResponse({"error": errors[0]}, status=400)
    try:
        contents = services.keystore_aliases(
            keystore_file=form.cleaned_data["keystore_file"],
            password=form.cleaned_data["password"],
        )
    except CertificateRefused as refusal:
        return JsonResponse({"error": str(refusal), "field": refusal.field}, status=400)
    return JsonResponse(
        {
            "private_key_aliases": list(contents.private_key_aliases),
            "certificate_aliases": list(contents.certificate_aliases),
        }
    )


@login_required
def certificate_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The certificate's details; POST uploads a new partner certificate (rotation)."""
    certificate = _certificate(request, pk)
    files = request.FILES
    if request.method == "POST":
        # A file chosen on a failed try (a weak key to accept, say) comes back for the retry.
        files = uploads_restore(
            session=request.session, data=request.POST, files=files, fields=ROTATION_FIELDS
        )
    form = PartnerCertificateForm(request.POST or None, files or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_certificate_rotate(
                certificate=certificate,
                partner_certificate_file=form.cleaned_data["partner_certificate"],
                accept_weak_key=form.cleaned_data["accept_weak_key"],
            )
        except CertificateRefused as refusal:
            form.add_refusal(refusal)
        else:
            messages.success(
                request,
                "Uploaded the new partner certificate; your key and certificate stay the same.",
            )
            return redirect("certificates:certificate_edit", pk=certificate.pk)
    held = None
    if request.method == "POST":
        held = uploads_hold(session=request.session, form=form, files=files, fields=ROTATION_FIELDS)
    history = list(selectors.partner_certificate_history(certificate=certificate))
    current = history[0] if history and history[0].in_use_until is None else None
    context = {
        "certificate": certificate,
        "form": form,
        "held": held,
        "mine": selectors.certificate_info_of_pem(certificate.my_cert_pem),
        "current": current,
        "current_info": selectors.certificate_info_of_pem(current.pem) if current else None,
        "earlier": [row for row in history if row is not current],
    }
    return render(request, "certificates/certificate_detail.html", context)


@login_required
def certificate_delete(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = _certificate(request, pk)
    back = reverse("certificates:certificate_edit", args=[pk])
    label = f"the certificate of {certificate.partnership}"
    if request.method == "POST":
        services.certificate_delete(certificate=certificate)
        messages.success(request, f"Deleted {label}.")
        return redirect("certificates:certificate_list")
    context = {
        "row": certificate,
        "label": label,
        "back": back,
        "section": "Certificate",
        "section_url": reverse("certificates:certificate_list"),
        "record": str(certificate.partnership),
        "record_url": back,
        **row_delete_preview(row=certificate),
        "removes_files": [
            f"The stored Complete KeyStore ({certificate.keystore_key})",
            f"The stored public certificate ({certificate.public_key_key})",
        ],
    }
    return render(request, "certificates/certificate_delete.html", context)


def _download(request: HttpRequest, pk: int, kind: ExportKind) -> HttpResponse:
    certificate = _certificate(request, pk)  # another tenant's id is a 404 whatever the method
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    try:
        exported = services.certificate_export(certificate=certificate, kind=kind)
    except CertificateRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("certificates:certificate_edit", pk=certificate.pk)
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = content_disposition_header(True, exported.filename)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def public_key_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Download PublicKey: our certificate in PEM (.cer), safe to send to the partner."""
    return _download(request, pk, ExportKind.PUBLIC_KEY)


@login_required
def keystore_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Complete KeyStore (.p12): our key, our certificate and the partner's certificate."""
    return _download(request, pk, ExportKind.COMPLETE_KEYSTORE)


@login_required
def partner_keystore_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Partner Certificate (.p12): the partner's certificate only."""
    return _download(request, pk, ExportKind.PARTNER_KEYSTORE)
