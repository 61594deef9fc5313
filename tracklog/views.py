"""TrackLog, message detail, file links and downloads, Send File and Send test message."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_safe

from partnerships.models import Partnership
from serverless_as2.held_uploads import uploads_hold, uploads_restore
from serverless_as2.pages import Column, list_context, query_pk
from serverless_as2.storage_keys import safe_segment
from serverless_as2.tenancy import request_tenant, tenant_get_or_404
from tracklog import links, selectors, services
from tracklog.chart import chart_build
from tracklog.forms import MessageFilterForm, SendFileForm
from tracklog.models import Message, StatusGroup
from tracklog.presentation import (
    certificate_lines,
    detail_rows,
    message_outcome,
    repeats_and_warnings,
    status_view,
)
from tracklog.selectors import MessageFilters, sendable_partnerships

REFRESH_SECONDS = 3
# Credentials a client may have sent along; never shown, even if they were recorded.
HIDDEN_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
TEST_FILENAME = "as2-test-message.txt"
TEST_PAYLOAD = (
    b"This is a test message from Serverless AS2.\r\n"
    b"It checks the partnership's URL, certificates and MDN settings; it carries no EDI.\r\n"
)


def _absolute(request: HttpRequest, path: str) -> str:
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL + path
    return request.build_absolute_uri(path)


def file_link_url(request: HttpRequest, message: Message, kind: links.FileKind) -> str:
    """The Copy EDI URL / Copy MDN URL link of a message (S3: a presigned URL of the object)."""
    key, name = _file_of(message, kind)
    presigned = links.file_link_presigned(key=key, filename=name)
    if presigned:
        return presigned
    token = links.file_link_token(message_pk=message.pk, kind=kind)
    return _absolute(request, reverse("tracklog:file_link", args=[token]))


def _row_links(request: HttpRequest, message: Message) -> dict[str, str]:
    return {
        "edi_url": file_link_url(request, message, links.FileKind.EDI)
        if message.payload_key
        else "",
        "mdn_url": file_link_url(request, message, links.FileKind.MDN) if message.mdn_key else "",
    }


MESSAGE_COLUMNS = {
    "id": Column("Message ID", ("message_id",)),
    "direction": Column("Direction", ("direction",)),
    "from": Column("From", ("sender",)),
    "to": Column("To", ("receiver",)),
    "status": Column("Status", ("status",)),
    "file": Column("File name", ("filename",)),
    "size": Column("Size", ("size",)),
    "created": Column("Created", ("created",)),
    "updated": Column("Updated", ("updated",)),
    "actions": Column("Actions", hidden_label=True),
}


@login_required
def message_list(request: HttpRequest) -> HttpResponse:
    tenant = request_tenant(request)
    form = MessageFilterForm(request.GET or None, tenant=tenant)
    filters = form.filters() if form.is_bound else MessageFilters()
    rows = selectors.message_list(tenant=tenant, filters=filters)
    context = list_context(request, rows, columns=MESSAGE_COLUMNS)
    context["rows"] = [
        {
            "message": row,
            "status": status_view(row),
            **repeats_and_warnings(row),
            **_row_links(request, row),
        }
        for row in context["rows"]
    ]
    days, counts = selectors.message_counts_per_day(tenant=tenant)
    context.update(
        form=form,
        filtered=any(value for key, value in request.GET.items() if key not in ("page", "sort")),
        just_sent=len(filters.ids),
        # Pending messages change on their own: the page refreshes itself until they settle.
        refresh_seconds=REFRESH_SECONDS
        if any(row["status"].group == StatusGroup.PENDING for row in context["rows"])
        else 0,
        chart=chart_build(days=days, counts=counts, groups=_chart_groups()),
    )
    return render(request, "tracklog/message_list.html", context)


def _chart_groups() -> list[tuple[str, str]]:
    order = [StatusGroup.SUCCESSFUL, StatusGroup.PENDING, StatusGroup.FAILED]
    return [(str(group.value), str(group.label)) for group in order]


@login_required
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = selectors.message_get(tenant=request_tenant(request), pk=pk)
    details = message.details if isinstance(message.details, dict) else {}
    headers = message.headers or {}
    headers = [
        (name, value)
        for name, value in (headers.items() if isinstance(headers, dict) else headers)
        if str(name).lower() not in HIDDEN_HEADERS
    ]
    return render(
        request,
        "tracklog/message_detail.html",
        {
            "message": message,
            "status": status_view(message),
            "events": list(message.events.all()),
            "headers": headers,
            "details": detail_rows(details),
            "mdn_signer": certificate_lines(details.get("mdn_signer"))
            if details.get("mdn_signer")
            else [],
            "outcome": message_outcome(message),
            "link_minutes": max(links.link_max_age() // 60, 1),
            "refresh_seconds": REFRESH_SECONDS if message.group == StatusGroup.PENDING else 0,
            **_row_links(request, message),
        },
    )


def _stored_file(key: str, name: str, *, attachment: bool = True) -> FileResponse:
    # Checked first: on S3 a missing object would only fail while the response streams.
    if not default_storage.exists(key):
        raise Http404("This file is no longer stored.")
    handle = default_storage.open(key, "rb")
    response = FileResponse(
        handle, as_attachment=attachment, filename=name, content_type="application/octet-stream"
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _file_of(message: Message, kind: links.FileKind) -> tuple[str, str]:
    """The storage key and download name of one file of a message ("" when it has none)."""
    base = safe_segment(message.message_id.strip("<>"))
    if kind is links.FileKind.EDI:
        return message.payload_key, safe_segment(message.filename) if message.filename else base
    if kind is links.FileKind.MDN:
        return message.mdn_key, f"{base}.mdn"
    return message.raw_key, f"{base}.as2"


@login_required
def message_download(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    message = tenant_get_or_404(Message, tenant=request_tenant(request), pk=pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    try:
        file_kind = links.FileKind(kind)
    except ValueError as error:
        raise Http404("No such file.") from error
    key, name = _file_of(message, file_kind)
    if not key:
        raise Http404("This message has no such file stored.")
    return _stored_file(key, name)


@require_safe
def file_link(request: HttpRequest, token: str) -> HttpResponse:
    """A Copy EDI URL / Copy MDN URL link: no login, that one file, until it expires."""
    try:
        target = links.file_link_open(token=token)
    except links.LinkRefused as refusal:
        return HttpResponse(f"{refusal}\n", status=404, content_type="text/plain; charset=utf-8")
    message = Message.objects.filter(pk=target.message_pk).first()
    key, name = _file_of(message, target.kind) if message else ("", "")
    try:
        response = _stored_file(key, name) if key else None
    except Http404:
        response = None
    if response is None:
        return HttpResponse(
            "This file is no longer stored.\n", status=404, content_type="text/plain; charset=utf-8"
        )
    response["X-Robots-Tag"] = "noindex"
    return response


# The field whose files a failed Send File keeps for the retry.
SEND_FIELDS = ("files",)


@login_required
def send_file(request: HttpRequest) -> HttpResponse:
    tenant = request_tenant(request)
    initial = {}
    chosen = query_pk(request, "partnership")
    if chosen is not None:
        partnership = sendable_partnerships(tenant=tenant).filter(pk=chosen).first()
        if partnership:
            initial = {
                "partnership": partnership.pk,
                "content_type": partnership.content_type,
                "subject": partnership.subject,
            }
    files = request.FILES
    if request.method == "POST":
        # Files chosen on a failed try come back, unless new files replace them.
        files = uploads_restore(
            session=request.session, data=request.POST, files=files, fields=SEND_FIELDS
        )
    form = SendFileForm(request.POST or None, files or None, initial=initial, tenant=tenant)
    if request.method == "POST" and form.is_valid():
        partnership = form.cleaned_data["partnership"]
        queued: list[Message] = []
        try:
            for upload in form.cleaned_data["files"]:
                queued.append(
                    services.message_queue(
                        partnership=partnership,
                        payload=upload.read(),
                        filename=upload.name,
                        content_type=form.cleaned_data["content_type"] or None,
                        subject=form.cleaned_data["subject"] or None,
                    )
                )
        except services.SendRefused as refusal:
            form.add_error(None, str(refusal))
        if queued:
            count = len(queued)
            messages.success(
                request,
                f"Queued {count} file{'s' if count != 1 else ''} for {partnership}: "
                "they are listed below as they go out.",
            )
            if form.errors:
                messages.error(request, " ".join(form.non_field_errors()))
            query = "&".join(f"id={message.pk}" for message in queued)
            return redirect(f"{reverse('tracklog:message_list')}?{query}")
    held = None
    if request.method == "POST":
        held = uploads_hold(session=request.session, form=form, files=files, fields=SEND_FIELDS)
    return render(
        request,
        "tracklog/send_file.html",
        {
            "form": form,
            "held": held,
            "partnership_data": {
                p.pk: {"content_type": p.content_type, "subject": p.subject}
                for p in sendable_partnerships(tenant=tenant)
            },
        },
    )


@login_required
def partnership_send_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Send test message: a small file sent now; the MDN result is shown on the partnership page."""
    partnership = tenant_get_or_404(Partnership, tenant=request_tenant(request), pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    back = reverse("partnerships:partnership_edit", args=[partnership.pk])
    try:
        message = services.message_queue(
            partnership=partnership,
            payload=TEST_PAYLOAD,
            filename=TEST_FILENAME,
            content_type="text/plain",
        )
    except services.SendRefused as refusal:
        messages.error(request, f"The test message was not sent: {refusal}")
        return redirect(back)
    message = services.message_deliver(message=message)
    group, text = message_outcome(message)
    level = {
        StatusGroup.SUCCESSFUL: messages.SUCCESS,
        StatusGroup.FAILED: messages.ERROR,
    }.get(group, messages.WARNING)
    detail = reverse("tracklog:message_detail", args=[message.pk])
    messages.add_message(
        request, level, format_html('{} <a href="{}">Open it in the TrackLog</a>.', text, detail)
    )
    return redirect(back)
