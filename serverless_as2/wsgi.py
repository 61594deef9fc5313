"""WSGI entry point, used by gunicorn on one machine and by Zappa on Lambda."""

import os
from collections.abc import Callable, Iterable

from django.core.wsgi import get_wsgi_application
from django.utils.http import parse_header_parameters

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "serverless_as2.settings")

django_application = get_wsgi_application()


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Django's application, with a 400 for a Content-Type Django cannot read.

    Django reads the Content-Type while it builds the request, before any middleware, and a
    value it cannot parse (longer than 10,000 characters) would end as a 500 there.
    """
    try:
        parse_header_parameters(environ.get("CONTENT_TYPE", ""))
    except ValueError:
        start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"The request's Content-Type header cannot be read (too long or malformed).\n"]
    return django_application(environ, start_response)
