"""Template context shared by every page."""

from django.http import HttpRequest

# url name prefix -> navigation entry it belongs to
NAV_SECTIONS = {
    "partnerships:instance": "instances",
    "partnerships:partnership": "partnerships",
    "partnerships:partner": "partners",
    "certificates:": "certificates",
    "tracklog:message": "tracklog",
    "tracklog:send": "send",
}


def navigation(request: HttpRequest) -> dict:
    """Which navigation entry the current page belongs to."""
    view_name = request.resolver_match.view_name if request.resolver_match else ""
    section = next((s for prefix, s in NAV_SECTIONS.items() if view_name.startswith(prefix)), "")
    return {"nav_section": section}
