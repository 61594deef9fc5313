"""Every page below a list has breadcrumbs, a <title> naming its record, and its forms a Cancel."""

import html
import re

import pytest

from tests.certificates.factories import certificate_for
from tests.conftest import make_partnership
from tests.tracklog.factories import message_make


def shell(page: str) -> tuple[str, list[str], int, int]:
    """The page's title, breadcrumb texts, its forms that edit or confirm (not one-button
    forms posting elsewhere: Log out, Send test message) and its Cancel links."""
    title = html.unescape(re.search(r"<title>(.*?)</title>", page, re.S).group(1))
    nav = re.search(r'<nav class="breadcrumbs" aria-label="Breadcrumb">(.*?)</nav>', page, re.S)
    crumbs = re.findall(r"<li>(.*?)</li>", nav.group(1), re.S) if nav else []
    crumbs = [html.unescape(re.sub(r"<[^>]+>", "", crumb)).strip() for crumb in crumbs]
    forms = len(re.findall(r'<form method="post"(?! action=)', page))
    cancels = len(re.findall(r'<a class="cancel" href="[^"]+">Cancel</a>', page))
    return title, crumbs, forms, cancels


@pytest.fixture
def records(tenant_a):
    partnership = make_partnership(tenant_a)
    certificate = certificate_for(partnership)
    message = message_make(tenant_a, partnership, message_id="<order-7@mycompany>")
    return partnership, certificate, message


def logged_in_pages(partnership, certificate, message) -> list[tuple[str, str, list[str]]]:
    """(address, what the title names, the breadcrumbs after Home)."""
    instance, partner = partnership.instance.pk, partnership.partner.pk
    pair = "mycompany → amazon"
    return [
        ("/instances/new/", "Create AS2", ["AS2 Instances", "Create AS2"]),
        (f"/instances/{instance}/", "mycompany", ["AS2 Instances", "mycompany"]),
        (f"/instances/{instance}/delete/", "mycompany", ["AS2 Instances", "mycompany", "Delete"]),
        ("/partners/new/", "Create Partner", ["Partner", "Create Partner"]),
        (f"/partners/{partner}/", "amazon", ["Partner", "amazon"]),
        (f"/partners/{partner}/delete/", "amazon", ["Partner", "amazon", "Delete"]),
        ("/partnerships/new/", "Create PartnerShip", ["PartnerShip", "Create PartnerShip"]),
        (f"/partnerships/{partnership.pk}/", pair, ["PartnerShip", pair]),
        (f"/partnerships/{partnership.pk}/delete/", pair, ["PartnerShip", pair, "Delete"]),
        ("/certificates/new/", "Create Cert", ["Certificate", "Create Cert"]),
        (f"/certificates/{certificate.pk}/", pair, ["Certificate", pair]),
        (f"/certificates/{certificate.pk}/delete/", pair, ["Certificate", pair, "Delete"]),
        (f"/tracklog/{message.pk}/", "<order-7@mycompany>", ["TrackLog", "<order-7@mycompany>"]),
        ("/send/", "Send File", ["Send File"]),
        ("/accounts/password_change/", "Change password", ["Change password"]),
        ("/accounts/password_change/done/", "Password changed", ["Password changed"]),
    ]


def test_logged_in_pages_have_breadcrumbs_a_title_naming_the_record_and_cancel(client_a, records):
    for url, named, crumbs in logged_in_pages(*records):
        response = client_a.get(url)
        assert response.status_code == 200, url
        title, shown, forms, cancels = shell(response.content.decode())
        assert named in title, url
        assert shown == ["Home", *crumbs], url
        assert cancels >= forms, url  # every form can be left without saving


@pytest.mark.parametrize(
    ("url", "here"),
    [
        ("/accounts/password_reset/", "Reset your password"),
        ("/accounts/password_reset/done/", "Check your e-mail"),
        ("/accounts/reset/MQ/not-a-token/", "Choose a new password"),
        ("/accounts/reset/done/", "Password set"),
    ],
)
def test_password_reset_pages_lead_back_to_log_in(client, db, url, here):
    response = client.get(url)
    assert response.status_code == 200
    title, shown, forms, cancels = shell(response.content.decode())
    assert title.startswith(here) and shown == ["Home", "Log in", here]
    assert cancels >= forms
