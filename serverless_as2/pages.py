"""Shared page helpers: paginated, searchable lists in the product's "1 - 20 / 57" style."""

import re

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 20


def list_context(request: HttpRequest, rows: QuerySet, *, page_size: int = PAGE_SIZE) -> dict:
    """Context for a list page: the page of rows, the pager text and the search term."""
    page = Paginator(rows, page_size).get_page(request.GET.get("page"))
    count = page.paginator.count
    first = page.start_index() if count else 0
    return {
        "page": page,
        "rows": page.object_list,
        "pager": f"{first} - {page.end_index() if count else 0} / {count}",
        "search": query_text(request, "q"),
    }


def query_pk(request: HttpRequest, name: str) -> int | None:
    """The query parameter `name` as a row id, or None when it is absent or not one.

    Only ASCII digits count: str.isdigit() also accepts "²" and other digits that int() refuses.
    """
    value = request.GET.get(name, "")
    return int(value) if re.fullmatch(r"[0-9]{1,18}", value) else None


def query_text(request: HttpRequest, name: str) -> str:
    """The query parameter `name` as text, without control characters.

    PostgreSQL refuses a NUL in any string it is sent (a 500), and no search needs one.
    """
    return _CONTROL.sub("", request.GET.get(name, ""))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
