"""Shared page helpers: paginated, searchable lists in the product's "1 - 20 / 57" style."""

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
        "search": request.GET.get("q", ""),
    }
