"""The AS2 endpoint view: read the HTTP request (bounded), hand it to the receive service."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tracklog.services import EndpointAnswer, message_receive

CHUNK = 1024 * 1024
# HTTP header names partners send that are not part of the AS2 message.
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}
# Credentials never reach the TrackLog, the stored raw message or a log.
_SECRET = {"authorization", "proxy-authorization", "cookie"}


def _answer(answer: EndpointAnswer) -> HttpResponse:
    response = HttpResponse(answer.body, status=answer.status)
    for name, value in answer.headers.items():
        response[name] = value
    return response


def _too_large() -> HttpResponse:
    return HttpResponse(
        f"The message is larger than this endpoint accepts ({settings.MAX_MESSAGE_BYTES:,} "
        "bytes).\n",
        status=413,
        content_type="text/plain; charset=utf-8",
    )


def _body(request: HttpRequest) -> bytes | None:
    """The request body, or None when it is larger than MAX_MESSAGE_BYTES (read no further)."""
    limit = settings.MAX_MESSAGE_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return None
    if 0 < length:
        data = request.read(length)  # Django bounds the stream by Content-Length
        return data if len(data) <= limit else None
    # No Content-Length: a chunked upload, which Django reads as empty. The server (gunicorn)
    # marks a stream it ends itself with wsgi.input_terminated; read it up to the limit.
    stream = request.META.get("wsgi.input") if request.META.get("wsgi.input_terminated") else None
    if stream is None:
        return b""
    chunks, size = [], 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@csrf_exempt  # partners' AS2 servers post here; they carry no CSRF token by design
@require_http_methods(["POST"])
def inbound(request: HttpRequest, tenant_id) -> HttpResponse:
    """POST /as2/<tenant>/: an AS2 message or an async MDN; answered with an MDN or a sentence."""
    body = _body(request)
    if body is None:
        return _too_large()
    headers = {
        name: "(hidden)" if name.lower() in _SECRET else value
        for name, value in request.headers.items()
        if name.lower() not in _HOP_BY_HOP
    }
    return _answer(message_receive(tenant_id=str(tenant_id), headers=headers, body=body))
