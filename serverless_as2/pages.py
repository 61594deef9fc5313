"""Shared page helpers: paginated, searchable, sortable lists in the product's "1 - 20 / 57" style."""

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 20


@dataclass(frozen=True)
class Column:
    """A list column: its heading and, when it can sort the list, the fields it orders by."""

    label: str
    order_by: tuple[str, ...] = ()
    hidden_label: bool = False  # read by screen readers only (an "Actions" column)


@dataclass(frozen=True)
class Heading:
    """A column heading as the page shows it: a link that sorts, and its aria-sort state."""

    label: str
    url: str  # "" when the column does not sort
    aria_sort: str  # "ascending", "descending" or "none"
    hidden_label: bool = False


def list_context(
    request: HttpRequest,
    rows: QuerySet,
    *,
    page_size: int = PAGE_SIZE,
    columns: dict[str, Column] | None = None,
) -> dict:
    """Context for a list page: the page of rows, the pager text, the search term, and
    the column headings, which sort the list by `?sort=<key>` (`-<key>`: descending) and keep
    the other query parameters (search, filters) but start again at page 1."""
    sort = query_text(request, "sort")
    search = query_text(request, "q")
    headings: list[Heading] = []
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    if columns:
        column = columns.get(key)
        if column and column.order_by:
            sign = "-" if descending else ""
            rows = rows.order_by(*(f"{sign}{name}" for name in column.order_by), "pk")
        else:
            sort = ""
        for name, column in columns.items():
            active = bool(sort) and name == key
            # A click on the sorted column reverses it; on another, sorts by it ascending.
            next_sort = ("" if descending else "-") + name if active else name
            state = ("descending" if descending else "ascending") if active else "none"
            url = _with_sort(request, next_sort) if column.order_by else ""
            headings.append(
                Heading(
                    label=column.label,
                    url=url,
                    aria_sort=state,
                    hidden_label=column.hidden_label,
                )
            )
    page = Paginator(rows, page_size).get_page(request.GET.get("page"))
    count = page.paginator.count
    first = page.start_index() if count else 0
    return {
        "page": page,
        "rows": page.object_list,
        "pager": f"{first} - {page.end_index() if count else 0} / {count}",
        "search": search,
        "sort": sort,
        "headings": headings,
    }


def _with_sort(request: HttpRequest, sort: str) -> str:
    """This page's query string sorted by `sort`, from page 1, without control characters."""
    query = [
        (name, _CONTROL.sub("", value))
        for name, values in request.GET.lists()
        if name not in ("sort", "page")
        for value in values
    ]
    return f"?{urlencode([*query, ('sort', sort)])}"


def row_id(value: str) -> int | None:
    """`value` (from a query string or a form) as a row id, or None when it is not one.

    Only ASCII digits count: str.isdigit() also accepts "²" and other digits that int() refuses.
    """
    return int(value) if re.fullmatch(r"[0-9]{1,18}", value) else None


def query_pk(request: HttpRequest, name: str) -> int | None:
    """The query parameter `name` as a row id, or None when it is absent or not one."""
    return row_id(request.GET.get(name, ""))


def query_text(request: HttpRequest, name: str) -> str:
    """The query parameter `name` as text, without control characters.

    PostgreSQL refuses a NUL in any string it is sent (a 500), and no search needs one.
    """
    return _CONTROL.sub("", request.GET.get(name, ""))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
