"""The operators' admin obeys the partnership rules and never joins two tenants' rows."""

import re

from partnerships.models import Partnership
from tests.conftest import make_instance, make_partner, make_partnership


def admin_form(tenant, instance, partner, **changes):
    return {
        "tenant": tenant.pk,
        "instance": instance.pk,
        "partner": partner.pk,
        "as2_url": "https://amazon.example/as2",
        "encrypt": "aes256",
        "sign": "sha256",
        "compress": "none",
        "subject": "AS2 message $message_id$",
        "as2_mdn_to": "",
        "mdn_mode": "sync",
        "mdn_sign": "sha256",
        "content_transfer_encoding": "binary",
        "content_type": "application/EDI-X12",
        **changes,
    }


ADD = "/admin/partnerships/partnership/add/"


def test_admin_creates_a_partnership_within_one_tenant(admin_client, tenant_a):
    form = admin_form(tenant_a, make_instance(tenant_a), make_partner(tenant_a))
    response = admin_client.post(ADD, form)
    assert response.status_code == 302, response.content.decode()
    assert Partnership.objects.get().tenant == tenant_a


def test_admin_refuses_to_join_two_tenants_with_a_sentence(admin_client, tenant_a, tenant_b):
    form = admin_form(tenant_a, make_instance(tenant_a), make_partner(tenant_b, "walmart"))
    page = admin_client.post(ADD, form).content.decode()
    assert (
        "The partner walmart belongs to another tenant than this partnership: choose one of "
        "the partnership&#x27;s tenant." in page
    )
    assert Partnership.objects.count() == 0


def test_admin_applies_the_settings_rules(admin_client, tenant_a):
    instance, partner = make_instance(tenant_a), make_partner(tenant_a)
    form = admin_form(tenant_a, instance, partner, encrypt="none", as2_url="http://a.example/")
    page = admin_client.post(ADD, form).content.decode()
    assert "Messages may go unencrypted only over https" in page
    partner.enabled = False
    partner.save()
    page = admin_client.post(ADD, admin_form(tenant_a, instance, partner)).content.decode()
    assert "The partner amazon is disabled" in page
    assert Partnership.objects.count() == 0


def test_admin_offers_only_the_chosen_tenants_rows_and_names_their_tenant(
    admin_client, tenant_a, tenant_b
):
    make_instance(tenant_a, "mine")
    make_partner(tenant_b, "theirs")
    page = admin_client.get(f"{ADD}?tenant={tenant_a.pk}").content.decode()
    assert ">mine (Tenant A)</option>" in page and "theirs" not in page
    assert re.search(rf'<option value="{tenant_a.pk}" selected>', page)
    every = admin_client.get(ADD).content.decode()
    assert ">theirs (Tenant B)</option>" in every
    assert admin_client.get(f"{ADD}?tenant=²").status_code == 200


def test_admin_keeps_the_tenant_and_pair_of_a_saved_partnership(admin_client, tenant_a, tenant_b):
    partnership = make_partnership(tenant_a)
    url = f"/admin/partnerships/partnership/{partnership.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert 'name="partner"' not in page and 'name="tenant"' not in page
    other = admin_form(tenant_b, make_instance(tenant_b), make_partner(tenant_b), sign="sha512")
    assert admin_client.post(url, other).status_code == 302
    partnership.refresh_from_db()
    assert partnership.tenant == tenant_a and partnership.partner.tenant == tenant_a
    assert partnership.sign == "sha512"


def test_admin_keeps_the_tenant_of_an_instance(admin_client, tenant_a, tenant_b):
    instance = make_instance(tenant_a)
    url = f"/admin/partnerships/as2instance/{instance.pk}/change/"
    assert 'name="tenant"' not in admin_client.get(url).content.decode()
