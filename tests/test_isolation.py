"""Every URL that takes an id answers 404 to another tenant, for GET and POST alike.

The table below says which of tenant A's rows each URL names. A URL added without an entry
makes test_every_url_with_arguments_is_covered fail, so isolation is checked for it too.
"""

from collections.abc import Callable, Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import make_partnership

# URLs that are meant to be reached without a tenant's login: partners post AS2 to the
# inbound endpoint; a file link's signature is its permission (tests/tracklog/test_links.py).
PUBLIC = {"tracklog:inbound", "tracklog:file_link"}
# URLs whose arguments name no tenant row: the password-reset link sent by e-mail (its token
# is checked by Django's view); they still refuse a POST without the CSRF token.
ACCOUNT_KWARGS: dict[str, Callable[[dict], dict]] = {
    "password_reset_confirm": lambda rows: {"uidb64": "MQ", "token": "set-password"},
}


def tenant_a_rows(tenant) -> dict:
    partnership = make_partnership(tenant)
    rows = {
        "instance": partnership.instance,
        "partner": partnership.partner,
        "partnership": partnership,
    }
    from tests.tracklog.factories import message_make

    rows["message"] = message_make(tenant, partnership, payload=b"EDI", mdn=b"MDN", raw=b"RAW")
    try:
        from tests.certificates.factories import certificate_for
    except ImportError:
        return rows
    rows["certificate"] = certificate_for(partnership)
    return rows


# url name -> kwargs naming tenant A's row
KWARGS: dict[str, Callable[[dict], dict]] = {
    "partnerships:instance_edit": lambda rows: {"pk": rows["instance"].pk},
    "partnerships:instance_delete": lambda rows: {"pk": rows["instance"].pk},
    "partnerships:partner_edit": lambda rows: {"pk": rows["partner"].pk},
    "partnerships:partner_delete": lambda rows: {"pk": rows["partner"].pk},
    "partnerships:partnership_edit": lambda rows: {"pk": rows["partnership"].pk},
    "partnerships:partnership_delete": lambda rows: {"pk": rows["partnership"].pk},
    "tracklog:partnership_send_test": lambda rows: {"pk": rows["partnership"].pk},
    "tracklog:message_detail": lambda rows: {"pk": rows["message"].pk},
    "tracklog:message_download": lambda rows: {"pk": rows["message"].pk, "kind": "edi"},
}


def walk(resolver: URLResolver, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # the admin is for operators (staff) and has its own permission checks
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, inner)
        elif entry.name:
            yield f"{namespace}{entry.name}", entry


def urls_with_arguments() -> list[str]:
    return sorted(
        name
        for name, pattern in walk(get_resolver())
        if pattern.pattern.converters and name not in PUBLIC and name not in ACCOUNT_KWARGS
    )


def kwargs_for(name: str, rows: dict) -> dict:
    if name in ACCOUNT_KWARGS:
        return ACCOUNT_KWARGS[name](rows)
    if name in KWARGS:
        return KWARGS[name](rows)
    # Every certificate URL names the certificate by its pk.
    if name.startswith("certificates:") and "certificate" in rows:
        return {"pk": rows["certificate"].pk}
    raise KeyError(name)


def test_every_url_with_arguments_is_covered(tenant_a):
    rows = tenant_a_rows(tenant_a)
    missing = []
    for name in urls_with_arguments():
        try:
            kwargs_for(name, rows)
        except KeyError:
            missing.append(name)
    assert not missing, f"add these URLs to the isolation table: {missing}"


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_url_is_a_404_for_another_tenant(tenant_a, client_b, method):
    rows = tenant_a_rows(tenant_a)
    checked = []
    for name in urls_with_arguments():
        url = reverse(name, kwargs=kwargs_for(name, rows))
        response = getattr(client_b, method)(url)
        assert response.status_code == 404, f"{method.upper()} {url} ({name})"
        checked.append(name)
    assert len(checked) >= len(KWARGS)


def test_lists_show_no_other_tenants_rows(tenant_a, client_b):
    tenant_a_rows(tenant_a)
    for url in (
        "/instances/",
        "/partners/",
        "/partnerships/",
        "/certificates/",
        "/tracklog/",
        "/send/",
    ):
        page = client_b.get(url).content.decode()
        assert "mycompany" not in page and "amazon" not in page, url


def test_another_tenants_instance_cannot_be_preselected(tenant_a, client_b):
    rows = tenant_a_rows(tenant_a)
    response = client_b.get(f"/partnerships/new/?instance={rows['instance'].pk}")
    assert response.status_code == 404
