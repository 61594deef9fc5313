"""The instance, partner and partnership pages, as a user uses them."""

import re

import pytest

from partnerships.models import As2Instance, Partner, Partnership
from tests.conftest import make_instance, make_partner, make_partnership

INSTANCE = {
    "my_as2_id": "mycompany",
    "my_name": "My Company",
    "my_as2_alias": "mycompany",
    "my_email": "edi@mycompany.example",
    "enabled": "on",
}
PARTNER = {
    "partner_as2_id": "amazon",
    "partner_name": "Amazon",
    "partner_as2_alias": "amazon",
    "partner_email": "edi@amazon.example",
    "enabled": "on",
}


def partnership_form(instance, partner, **changes):
    return {
        "instance": instance.pk,
        "partner": partner.pk,
        "as2_url": "https://amazon.example/as2",
        "encrypt": "aes256",
        "key_transport": "rsa",
        "sign": "sha256",
        "signature_padding": "pkcs1v15",
        "compress": "none",
        "subject": "AS2 message $message_id$",
        "as2_mdn_to": "edi@mycompany.example",
        "mdn_mode": "sync",
        "mdn_sign": "sha256",
        "content_transfer_encoding": "binary",
        "content_type": "application/EDI-X12",
        **changes,
    }


def test_pages_need_a_login(client, db):
    for url in ("/instances/", "/partners/", "/partnerships/", "/certificates/", "/tracklog/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_header_shows_the_users_email_and_a_logout(client_a):
    page = client_a.get("/instances/").content.decode()
    assert "a@example.com" in page and 'action="/accounts/logout/"' in page
    for label in (
        "AS2 Instances",
        "Partner",
        "PartnerShip",
        "Certificate",
        "TrackLog",
        "Send File",
    ):
        assert f">{label}</a>" in page


def test_create_instance_then_it_is_listed(client_a, tenant_a):
    response = client_a.post("/instances/new/", INSTANCE)
    assert response.status_code == 302
    page = client_a.get("/instances/").content.decode()
    assert "mycompany" in page and "My Company" in page and "1 - 1 / 1" in page
    assert As2Instance.objects.get().tenant == tenant_a


def test_duplicate_instance_as2_id_gets_a_sentence(client_a, tenant_a):
    make_instance(tenant_a, "mycompany")
    page = client_a.post("/instances/new/", INSTANCE).content.decode()
    assert "You already have an AS2 instance with the AS2 ID" in page
    assert As2Instance.objects.count() == 1


def test_duplicate_partner_as2_id_gets_a_sentence(client_a, tenant_a):
    make_partner(tenant_a, "amazon")
    page = client_a.post("/partners/new/", PARTNER).content.decode()
    assert "You already have a partner with the AS2 ID &#x27;amazon&#x27;." in page
    assert Partner.objects.count() == 1


def test_same_as2_id_in_two_tenants_is_fine(client_a, tenant_b):
    make_instance(tenant_b, "mycompany")
    assert client_a.post("/instances/new/", INSTANCE).status_code == 302


def test_bad_instance_input_gets_sentences_and_saves_nothing(client_a):
    bad = {**INSTANCE, "my_as2_id": " spaced", "my_email": "not-mail"}
    page = client_a.post("/instances/new/", bad).content.decode()
    assert "cannot start or end with a space" in page
    assert "Enter a valid email address." in page
    assert As2Instance.objects.count() == 0


def test_partner_email_is_required(client_a):
    page = client_a.post("/partners/new/", {**PARTNER, "partner_email": ""}).content.decode()
    assert "This field is required." in page
    assert Partner.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "labels"),
    [
        ("/instances/", ["+ Create AS2 Instances", "My AS2 ID", "My AS2 Name", "Status"]),
        ("/instances/new/", ["Create AS2", "my_as2_id", "my_name", "my_as2_alias", "my_email"]),
        ("/partners/", ["+ Create Partner", "Partner AS2 ID", "Partner Name", "Status"]),
        (
            "/partners/new/",
            ["Create Partner", "partner_as2_id", "partner_name", "partner_as2_alias"],
        ),
        (
            "/partnerships/new/",
            ["Create PartnerShip", "Copy Endpoint URI", "Save", "my_as2", "my_name:", "my_alias:"]
            + ["my_email:", "partner_as2", "partner_name:", "partner_alias:", "partner_email:"]
            + ["as2_url", "encrypt", "sign", "subject", "as2MdnTo", "contentTransferEncoding"],
        ),
    ],
)
def test_pages_carry_the_products_labels(client_a, url, labels):
    page = client_a.get(url).content.decode()
    for label in labels:
        assert re.search(rf">\s*{re.escape(label)}\s*<", page), label


def test_instance_and_partnership_lists_search_by_as2_id(client_a, tenant_a):
    make_partnership(tenant_a)
    make_partnership(
        tenant_a, make_instance(tenant_a, "mycompany-test"), make_partner(tenant_a, "walmart")
    )
    found = client_a.get("/instances/?q=-TEST").content.decode()
    assert "mycompany-test" in found and "1 - 1 / 1" in found
    found = client_a.get("/partnerships/?q=walm").content.decode()
    assert "walmart" in found and "amazon" not in found and "1 - 1 / 1" in found
    found = client_a.get("/partnerships/?q=mycompany-t").content.decode()
    assert "walmart" in found and "amazon" not in found


def test_lists_search_by_as2_id_and_paginate(client_a, tenant_a):
    for number in range(25):
        make_partner(tenant_a, f"partner-{number:02d}")
    page = client_a.get("/partners/").content.decode()
    assert "1 - 20 / 25" in page and "partner-19" in page and "partner-20" not in page
    assert "21 - 25 / 25" in client_a.get("/partners/?page=2").content.decode()
    found = client_a.get("/partners/?q=ner-07").content.decode()
    assert "partner-07" in found and "partner-08" not in found and "1 - 1 / 1" in found


def test_instance_page_lists_related_partnerships_with_a_create_link(client_a, tenant_a):
    partnership = make_partnership(tenant_a)
    page = client_a.get(f"/instances/{partnership.instance.pk}/").content.decode()
    assert "Related Partnership" in page and "amazon" in page
    assert f"/partnerships/new/?instance={partnership.instance.pk}" in page


def test_create_partnership_preselects_the_instance(client_a, tenant_a):
    instance = make_instance(tenant_a)
    page = client_a.get(f"/partnerships/new/?instance={instance.pk}").content.decode()
    assert f'<option value="{instance.pk}" selected>' in page


def test_create_partnership_has_modern_defaults_and_marks_legacy(client_a, tenant_a):
    page = client_a.get("/partnerships/new/").content.decode()
    assert '<option value="aes256" selected>' in page
    assert '<option value="sha256" selected>' in page
    assert '<option value="sync" selected>' in page
    assert "3des (legacy)" in page and "sha1 (legacy)" in page
    assert "$filename$" in page and "Copy Endpoint URI" in page


def test_copy_endpoint_uri_is_the_tenants_inbound_url(client_a, tenant_a, settings):
    settings.PUBLIC_BASE_URL = "https://as2.example.com"
    page = client_a.get("/partnerships/new/").content.decode()
    assert f'data-copy="https://as2.example.com/as2/{tenant_a.id}/"' in page


def test_create_partnership_and_find_it_in_the_list(client_a, tenant_a):
    instance, partner = make_instance(tenant_a), make_partner(tenant_a)
    assert (
        client_a.post("/partnerships/new/", partnership_form(instance, partner)).status_code == 302
    )
    page = client_a.get("/partnerships/").content.decode()
    assert "https://amazon.example/as2" in page
    assert Partnership.objects.get().tenant == tenant_a


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"encrypt": "none", "as2_url": "http://amazon.example/as2"}, "only over https"),
        ({"as2_url": "ftp://amazon.example/as2"}, "must start with http:// or https://"),
        ({"as2_url": "not a url"}, "Enter a valid URL."),
        ({"subject": "EDI\r\nBcc: x@evil.example"}, "The subject is sent as a message header"),
        ({"as2_mdn_to": "a@b.example\nX-Evil: 1"}, "The as2MdnTo is sent as a message header"),
        ({"sign": "md5"}, "Select a valid choice."),
        ({"encrypt": "rc2"}, "Select a valid choice."),
    ],
)
def test_bad_partnership_settings_get_a_sentence(client_a, tenant_a, changes, sentence):
    instance, partner = make_instance(tenant_a), make_partner(tenant_a)
    response = client_a.post("/partnerships/new/", partnership_form(instance, partner, **changes))
    assert sentence in response.content.decode()
    assert Partnership.objects.count() == 0


def test_unencrypted_is_allowed_over_https(client_a, tenant_a):
    instance, partner = make_instance(tenant_a), make_partner(tenant_a)
    form = partnership_form(instance, partner, encrypt="none")
    assert client_a.post("/partnerships/new/", form).status_code == 302


def test_second_partnership_for_the_same_pair_is_refused(client_a, tenant_a):
    existing = make_partnership(tenant_a)
    form = partnership_form(existing.instance, existing.partner)
    page = client_a.post("/partnerships/new/", form).content.decode()
    assert "mycompany already has a partnership with amazon" in page
    assert Partnership.objects.count() == 1


def test_disabled_partner_cannot_be_chosen_for_a_new_partnership(client_a, tenant_a):
    instance = make_instance(tenant_a)
    partner = make_partner(tenant_a, enabled=False)
    assert ">amazon</option>" not in client_a.get("/partnerships/new/").content.decode()
    page = client_a.post("/partnerships/new/", partnership_form(instance, partner)).content.decode()
    assert "Select a valid choice" in page
    assert Partnership.objects.count() == 0


def test_existing_partnership_keeps_its_disabled_partner(client_a, tenant_a):
    partnership = make_partnership(tenant_a)
    Partner.objects.update(enabled=False)
    form = partnership_form(partnership.instance, partnership.partner, sign="sha512")
    assert client_a.post(f"/partnerships/{partnership.pk}/", form).status_code == 302
    partnership.refresh_from_db()
    assert partnership.sign == "sha512"


def test_editing_keeps_the_instance_and_partner_of_a_partnership(client_a, tenant_a):
    partnership = make_partnership(tenant_a)
    other_instance = make_instance(tenant_a, "mycompany-test")
    other_partner = make_partner(tenant_a, "walmart")
    page = client_a.get(f"/partnerships/{partnership.pk}/").content.decode()
    assert re.search(r'<select name="partner"[^>]* disabled', page)
    form = partnership_form(other_instance, other_partner, sign="sha512")
    assert client_a.post(f"/partnerships/{partnership.pk}/", form).status_code == 302
    partnership.refresh_from_db()
    assert partnership.instance.my_as2_id == "mycompany"
    assert partnership.partner.partner_as2_id == "amazon"
    assert partnership.sign == "sha512"


def test_another_tenants_instance_or_partner_cannot_be_chosen(client_a, tenant_a, tenant_b):
    mine = make_instance(tenant_a)
    theirs = make_partner(tenant_b)
    page = client_a.post("/partnerships/new/", partnership_form(mine, theirs)).content.decode()
    assert "Select a valid choice" in page
    assert Partnership.objects.count() == 0


def test_delete_asks_for_confirmation_then_deletes(client_a, tenant_a):
    partner = make_partner(tenant_a)
    page = client_a.get(f"/partners/{partner.pk}/delete/").content.decode()
    assert "Delete Partner amazon?" in page
    assert Partner.objects.count() == 1
    client_a.post(f"/partners/{partner.pk}/delete/")
    assert Partner.objects.count() == 0


def test_delete_is_refused_while_a_partnership_depends_on_it(client_a, tenant_a):
    partnership = make_partnership(tenant_a)
    response = client_a.post(f"/instances/{partnership.instance.pk}/delete/", follow=True)
    page = response.content.decode()
    assert "cannot be deleted while 1 other record(s) use it (mycompany → amazon)" in page
    assert As2Instance.objects.count() == 1


def test_navigation_marks_only_the_current_section(client_a):
    page = client_a.get("/partnerships/new/").content.decode()
    assert page.count('aria-current="page"') == 1
    assert 'aria-current="page">PartnerShip</a>' in page


def test_form_labels_are_the_products_field_names(client_a):
    page = client_a.get("/partnerships/new/").content.decode()
    assert ">as2_url <" in page or ">as2_url</label>" in page
    assert ">As2_url" not in page
