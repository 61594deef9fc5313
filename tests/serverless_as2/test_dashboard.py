"""The page after login, the shell's error pages, the admin's branding, password reset."""

import re
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from serverless_as2 import dashboard
from serverless_as2.admin import readable_label
from serverless_as2.dashboard import Failure
from tests.conftest import PASSWORD, make_partner, make_partnership


def test_an_empty_tenant_sees_six_steps_each_a_link_and_nothing_to_fix(client_a, tenant_a):
    steps = dashboard.setup_steps(tenant=tenant_a)
    assert [step.order for step in steps] == [1, 2, 3, 4, 5, 6]
    assert not any(step.done for step in steps)
    page = client_a.get("/").content.decode()
    assert "Steps to your first exchange" in page
    for step in steps:
        assert f'<a href="{step.url}">' in page
    assert "Nothing needs attention" in page


def test_steps_are_hidden_once_every_one_is_done(client_a, tenant_a):
    from tests.certificates.factories import certificate_for
    from tests.tracklog.factories import message_make

    partnership = make_partnership(tenant_a)
    certificate_for(partnership)
    message_make(tenant_a, partnership)  # sent, MDN saved: the first exchange is done
    assert all(step.done for step in dashboard.setup_steps(tenant=tenant_a))
    assert "Steps to your first exchange" not in client_a.get("/").content.decode()


def test_attention_lists_partnerships_without_certificate_and_disabled_partners(
    client_a, tenant_a, tenant_b
):
    partnership = make_partnership(tenant_a, partner=make_partner(tenant_a, enabled=False))
    make_partnership(tenant_b)  # another tenant's rows never show
    texts = [item.text for item in dashboard.attention_list(tenant=tenant_a)]
    assert texts == [
        f"The partnership {partnership} has no certificate: it cannot sign, encrypt or decrypt.",
        "The partner amazon is Off but still in 1 partnership(s).",
    ]
    page = client_a.get("/").content.decode()
    assert "Problem" in page and "Warning" in page and "has no certificate" in page
    assert f"/certificates/new/?partnership={partnership.pk}" in page
    assert len(dashboard.attention_list(tenant=tenant_b)) == 1


def test_latest_failures_are_empty_until_tracklog_registers_a_source(
    client_a, tenant_a, monkeypatch
):
    assert dashboard.latest_failures(tenant=tenant_a) == []
    failure = Failure(
        message_id="<20261205.1@mycompany>",
        partnership="mycompany → amazon",
        status="29 Failed",
        error="The partner's MDN says: decryption-failed",
        when=datetime(2026, 12, 5, 8, 0, tzinfo=UTC),
        url="/tracklog/?q=20261205.1",
    )
    monkeypatch.setattr(dashboard, "_failure_sources", [])
    dashboard.failure_source_register(lambda *, tenant, limit: [failure])
    assert dashboard.latest_failures(tenant=tenant_a) == [failure]
    page = client_a.get("/").content.decode()
    assert "decryption-failed" in page and "29 Failed" in page


def test_login_lands_on_home(tenant_a):
    response = Client().post(
        "/accounts/login/", {"username": "a@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/"


def logged_in(email: str, password: str) -> Client:
    """A client logged in through the login form (django-axes checks every login's request)."""
    client = Client()
    response = client.post("/accounts/login/", {"username": email, "password": password})
    assert response.status_code == 302, "the login was refused"
    return client


def test_an_operator_without_a_tenant_is_sent_to_the_admin(db):
    get_user_model().objects.create_superuser("ops@example.com", "an-operator-password")
    client = logged_in("ops@example.com", "an-operator-password")
    page = client.get("/").content.decode()
    assert "This account belongs to no tenant" in page and 'href="/admin/"' in page


def test_404_and_500_pages_use_the_shell_and_say_where_to_go(client_a):
    response = client_a.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in page and 'aria-label="Main"' in page and 'href="/"' in page
    response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page and 'class="brand"' in page
    assert 'href="/"' in page


def test_admin_is_branded_with_readable_labels_and_view_site_goes_home(db):
    get_user_model().objects.create_superuser("ops@example.com", "an-operator-password")
    client = logged_in("ops@example.com", "an-operator-password")
    page = client.get("/admin/").content.decode()
    assert "Serverless AS2 administration" in page and 'href="/"' in page
    form = client.get("/admin/partnerships/as2instance/add/").content.decode()
    assert "My AS2 ID (my_as2_id)" in form and "My name (my_name)" in form


def test_readable_label_keeps_the_product_name_beside_plain_words():
    assert readable_label("my_as2_id") == "My AS2 ID (my_as2_id)"
    assert readable_label("as2MdnTo") == "AS2 MDN to (as2MdnTo)"
    assert readable_label("privateKeyAlias") == "Private key alias (privateKeyAlias)"
    assert readable_label("Status") == "Status"
    assert readable_label("MDN mode") == "MDN mode"


def test_a_forgotten_password_is_reset_by_email(tenant_a, mailoutbox):
    client = Client()
    client.post("/accounts/password_reset/", {"email": "a@example.com"})
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["a@example.com"]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    new = "a-brand-new-long-password"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert done.status_code == 302
    logged_in("a@example.com", new)


def test_an_unknown_address_gets_the_same_answer_and_no_email(db, mailoutbox):
    response = Client().post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and mailoutbox == []
