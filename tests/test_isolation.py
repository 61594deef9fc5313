"""Every URL that takes an id answers 404 to another tenant, for GET and POST alike.

The table below says which of tenant A's rows each URL names. A URL added without an entry
makes test_every_url_with_arguments_is_covered fail, so isolation is checked for it too.
"""

from collections.abc import Callable, Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from serverless_as2.models import User
from tests.conftest import make_partnership
from tests.tracklog.conftest import Partner, partnership_with_certificate
from tracklog.links import FileKind
from tracklog.models import Message
from tracklog.selectors import sendable_partnerships
from tracklog.tasks import due_work_run

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
}
# url name -> every kwargs naming one of tenant A's rows (a URL with a choice of files)
VARIANTS: dict[str, Callable[[dict], list[dict]]] = {
    "tracklog:message_download": lambda rows: [
        {"pk": rows["message"].pk, "kind": kind.value} for kind in FileKind
    ],
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


def kwargs_for(name: str, rows: dict) -> list[dict]:
    """Every set of kwargs for the URL that names tenant A's rows."""
    if name in ACCOUNT_KWARGS:
        return [ACCOUNT_KWARGS[name](rows)]
    if name in KWARGS:
        return [KWARGS[name](rows)]
    if name in VARIANTS:
        return VARIANTS[name](rows)
    # Every certificate URL names the certificate by its pk.
    if name.startswith("certificates:") and "certificate" in rows:
        return [{"pk": rows["certificate"].pk}]
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
        for kwargs in kwargs_for(name, rows):
            url = reverse(name, kwargs=kwargs)
            response = getattr(client_b, method)(url)
            assert response.status_code == 404, f"{method.upper()} {url} ({name})"
            checked.append(url)
    assert len(checked) >= len(KWARGS) + len(FileKind)


def test_every_file_of_a_message_is_served_to_its_tenant_and_a_404_to_another(
    tenant_a, client_a, client_b
):
    """The download walk above proves isolation only if each file is there to be served."""
    rows = tenant_a_rows(tenant_a)
    stored = {FileKind.EDI: b"EDI", FileKind.MDN: b"MDN", FileKind.RAW: b"RAW"}
    assert set(stored) == set(FileKind), "a new kind of file: store one in tenant_a_rows"
    for kwargs in kwargs_for("tracklog:message_download", rows):
        url = reverse("tracklog:message_download", kwargs=kwargs)
        own = client_a.get(url)
        assert own.status_code == 200, url
        assert b"".join(own.streaming_content) == stored[FileKind(kwargs["kind"])]
        assert client_b.get(url).status_code == 404, url


def test_send_file_through_another_tenants_partnership_is_refused_and_sends_nothing(
    tenant_a, tenant_b, client_b, settings
):
    """Tenant B posts Send File naming A's partnership (sendable: certificate, both sides on)."""
    settings.ALLOW_PRIVATE_PARTNER_URLS = True
    partner = Partner(lambda headers, body: (200, {}, b""))  # A's partner, listening
    try:
        theirs = partnership_with_certificate(tenant_a, "alpha", "beta", partner.url)
        assert sendable_partnerships(tenant=tenant_a).filter(pk=theirs.pk).exists()

        response = client_b.post(
            "/send/",
            {"partnership": theirs.pk, "files": [SimpleUploadedFile("po.edi", b"ISA*B~")]},
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert "Choose one of your partnerships whose instance and partner are on." in page
        assert "alpha" not in page and "beta" not in page  # nothing of A's partnership shown
        assert not Message.objects.exists()
        due_work_run()
        assert partner.requests == []
    finally:
        partner.close()


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


def test_the_admin_shows_a_tenant_user_no_row_of_any_tenant(tenant_a, client_b):
    """The admin is for operators: a tenant's user reaches none of its pages, for any row."""
    from django.contrib import admin

    rows = tenant_a_rows(tenant_a)
    rows["tenant"] = tenant_a
    rows["user"] = tenant_a.users.first() if hasattr(tenant_a, "users") else None
    checked = 0
    for model, _ in admin.site._registry.items():
        opts = model._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        row = next((r for r in rows.values() if isinstance(r, model)), None)
        urls = [base, base + "add/"]
        if row is not None:
            urls += [f"{base}{row.pk}/change/", f"{base}{row.pk}/delete/"]
            urls += [f"{base}{row.pk}/history/"]
        for url in urls:
            for method in ("get", "post"):
                response = getattr(client_b, method)(url)
                assert response.status_code in (302, 403, 404), f"{method.upper()} {url}"
                if response.status_code == 302:
                    assert response["Location"].startswith("/admin/login/"), url
                assert b"mycompany" not in response.content and b"amazon" not in response.content
                checked += 1
    assert checked >= 4 * len(admin.site._registry)


def test_a_staff_flag_alone_opens_no_admin_page(tenant_a, tenant_b):
    """The admin is the operators' (DESIGN.md: staff only), across tenants by design: what a
    staff user may see there is its Django permissions, never the staff flag or a tenant. A
    tenant's user made staff without permissions gets a 403 on every page, for every row."""
    from django.contrib import admin

    rows = tenant_a_rows(tenant_a)
    rows["tenant"] = tenant_a
    rows["user"] = User.objects.get(tenant=tenant_a)
    staff = User.objects.get(tenant=tenant_b)
    staff.is_staff = True
    staff.save()
    client = Client()
    client.force_login(staff)
    index = client.get("/admin/")
    assert index.status_code == 200  # staff: the admin lets it in ...
    assert b"have permission to view or edit anything" in index.content  # ... to nothing
    checked = 0
    for model in admin.site._registry:
        opts = model._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        row = next((r for r in rows.values() if isinstance(r, model)), None)
        urls = [base, base + "add/"]
        if row is not None:
            urls += [
                f"{base}{row.pk}/change/",
                f"{base}{row.pk}/delete/",
                f"{base}{row.pk}/history/",
            ]
        for url in urls:
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                assert response.status_code == 403, f"{method.upper()} {url}"
                assert b"mycompany" not in response.content and b"amazon" not in response.content
                checked += 1
    assert checked >= 4 * len(admin.site._registry)


def test_the_public_routes_have_their_own_isolation_tests():
    """The AS2 endpoint routes by the tenant in its URL and the AS2 IDs (an unknown pair is an
    unknown partner, tests/tracklog/test_receive.py); a file link's signature names one file
    of one message and cannot be altered or outlive its lifetime (tests/tracklog/test_links.py)."""
    from pathlib import Path

    here = Path(__file__).parent
    receive = (here / "tracklog" / "test_receive.py").read_text()
    links = (here / "tracklog" / "test_links.py").read_text()
    assert "def test_tenant_a_url_with_tenant_b_as2_ids_is_an_unknown_partnership" in receive
    for name in ("an_altered_link_is_refused", "a_link_names_one_file_only", "expired_link"):
        assert f"def test_{name}" in links or name in links
    assert PUBLIC == {"tracklog:inbound", "tracklog:file_link"}
