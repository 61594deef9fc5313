"""Request and response rules every page shares: bounded request bodies, pages never cached."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

type GetResponse = Callable[[HttpRequest], HttpResponse]


def request_body_limit(path: str) -> int | None:
    """The largest request body (bytes) the route of this path accepts; None: the view bounds it."""
    relative = path.lstrip("/")
    for prefix, limit in settings.REQUEST_BODY_LIMITS.items():
        if relative.startswith(prefix):
            return limit
    return settings.REQUEST_BODY_MAX_BYTES


class RequestBodyLimitMiddleware:
    """Refuse (413) a request whose Content-Length is over its route's limit, before reading it.

    Django would otherwise read a multipart body (a file upload, or an anonymous 1 GB POST to the
    login page) into memory or a temporary file before any form refused it. Sits before the
    session and CSRF middleware, which read the body of a POST. Chunked bodies (no
    Content-Length) are not read by Django at all; the AS2 endpoint reads its own, bounded.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = request_body_limit(request.path_info)
        if limit is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if length < 0:
                return _refused(400, "The request's Content-Length is not a whole number.\n")
            if length > limit:
                return _refused(
                    413, f"The request is larger than this page accepts ({limit:,} bytes).\n"
                )
        return self.get_response(request)


def _refused(status: int, sentence: str) -> HttpResponse:
    return HttpResponse(sentence, status=status, content_type="text/plain; charset=utf-8")


class NoStoreMiddleware:
    """App pages carry Cache-Control: no-store (they show tenant data: no browser or proxy keeps
    them); a view that chose its own Cache-Control keeps it. Static files are served before this."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response
