"""The operators' admin obeys the partnership rules and never joins two tenants' rows."""

import re

from partnerships.models import Partnership
from tests.conftest import make_instance, make_partner, make_partnership
from tests.partnerships.test_views import partnership_form


def admin_form(tenant, instance, partner, **changes):
    return {"tenant": tenant.pk, **partnership_form(instance, partner, as2_mdn_to="", **changes)}


ADD = "/admin/partnerships/partnership/add/"


def add_url(tenant) -> str:
    return f"{ADD}?tenant={tenant.pk}"


def test_admin_creates_a_partnership_within_one_tenant(admin_client, tenant_a):
    form = admin_form(tenant_a, make_instance(tenant_a), make_partner(tenant_a))
    response = admin_client.post(add_url(tenant_a), form)
    assert response.status_code == 302, response.content.decode()
    assert Partnership.objects.get().tenant == tenant_a


def test_adding_starts_by_choosing_the_tenant(admin_client, tenant_a, tenant_b):
    page = admin_client.get(ADD).content.decode()
    assert "Whose partnership is it?" in page
    assert f'href="?tenant={tenant_a.pk}">Tenant A</a>' in page
    for bad in ("²", "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        assert "Whose partnership is it?" in admin_client.get(ADD, {"tenant": bad}).content.decode()
    form = admin_form(tenant_a, make_instance(tenant_a), make_partner(tenant_a))
    assert admin_client.post(ADD, form).status_code == 200
    assert Partnership.objects.count() == 0


def test_admin_offers_only_the_chosen_tenants_rows(admin_client, tenant_a, tenant_b):
    make_instance(tenant_a, "mine")
    make_partner(tenant_a, "my-partner")
    make_instance(tenant_b, "their-instance")
    make_partner(tenant_b, "theirs")
    page = admin_client.get(add_url(tenant_a)).content.decode()
    assert ">mine</option>" in page and ">my-partner</option>" in page
    assert "their-instance" not in page and "theirs" not in page and "Tenant B" not in page
    assert re.search(rf'<option value="{tenant_a.pk}" selected>', page)


def test_admin_refuses_to_join_two_tenants_with_a_sentence(admin_client, tenant_a, tenant_b):
    form = admin_form(tenant_a, make_instance(tenant_a), make_partner(tenant_b, "walmart"))
    page = admin_client.post(add_url(tenant_a), form).content.decode()
    assert "Select a valid choice. That choice is not one of the available choices." in page
    # The chosen tenant in the address cannot be swapped for another in the form either.
    form = admin_form(tenant_b, make_instance(tenant_a, "mine"), make_partner(tenant_a, "mine"))
    page = admin_client.post(add_url(tenant_a), form).content.decode()
    assert "Select a valid choice. That choice is not one of the available choices." in page
    assert Partnership.objects.count() == 0


def test_admin_applies_the_settings_rules(admin_client, tenant_a):
    instance, partner = make_instance(tenant_a), make_partner(tenant_a)
    form = admin_form(tenant_a, instance, partner, encrypt="none", as2_url="http://a.example/")
    page = admin_client.post(add_url(tenant_a), form).content.decode()
    assert "Messages may go unencrypted only over https" in page
    partner.enabled = False
    partner.save()
    page = admin_client.post(add_url(tenant_a), admin_form(tenant_a, instance, partner)).content
    assert "The partner amazon is disabled" in page.decode()
    assert Partnership.objects.count() == 0


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
