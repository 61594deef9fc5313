"""A new user sets up an instance, a partner and a partnership, as the product documents."""

import re

from playwright.sync_api import expect

from serverless_as2.services import tenant_create
from tests.browser.conftest import assert_accessible, log_in


def test_new_user_creates_instance_partner_and_partnership_from_the_instance_page(page, db):
    tenant_create(name="Acme", email="edi@acme.example", password="a-long-password")
    log_in(page, "edi@acme.example", "a-long-password")
    expect(page.locator("header .email")).to_have_text("edi@acme.example")
    assert_accessible(page)

    page.get_by_role("link", name="AS2 Instances", exact=True).click()
    page.get_by_role("link", name="+ Create AS2 Instances").click()
    page.get_by_label("my_as2_id").fill("mycompany")
    assert_accessible(page)
    page.get_by_label("my_name").fill("My Company")
    page.get_by_label("my_as2_alias").fill("mycompany")
    page.get_by_label("my_email").fill("edi@mycompany.example")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("cell", name="mycompany", exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Partner", exact=True).click()
    page.get_by_role("link", name="+ Create Partner").click()
    page.get_by_label("partner_as2_id").fill("amazon")
    assert_accessible(page)
    page.get_by_label("partner_name").fill("Amazon")
    page.get_by_label("partner_as2_alias").fill("amazon")
    page.get_by_label("partner_email").fill("edi@amazon.example")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("cell", name="amazon", exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="AS2 Instances").click()
    page.get_by_role("link", name="mycompany").click()
    expect(page.get_by_role("heading", name="Related Partnership")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Create PartnerShip for mycompany").click()

    expect(page.get_by_role("heading", name="Create PartnerShip")).to_be_visible()
    expect(page.get_by_label("my_as2")).to_have_value(re.compile(r"\d+"))
    expect(page.locator("fieldset[data-fill=instances] dd[data-field=name]")).to_have_text(
        "My Company"
    )
    page.get_by_label("partner_as2").select_option(label="amazon")
    expect(page.locator("fieldset[data-fill=partners] dd[data-field=email]")).to_have_text(
        "edi@amazon.example"
    )
    endpoint = page.get_by_role("button", name="Copy Endpoint URI").get_attribute("data-copy")
    assert re.search(r"/as2/[0-9a-f-]{36}/$", endpoint)
    expect(page.locator("#id_encrypt")).to_have_value("aes256")
    expect(page.locator("#id_sign")).to_have_value("sha256")
    expect(page.locator("#id_mdn_mode")).to_have_value("sync")
    page.get_by_label("as2_url").fill("https://amazon.example/as2")
    assert_accessible(page)
    page.get_by_role("button", name="Save").click()

    row = page.get_by_role("row").filter(has_text="amazon")
    expect(row).to_contain_text("mycompany")
    expect(row).to_contain_text("https://amazon.example/as2")
    assert_accessible(page)
    page.get_by_role("link", name="AS2 Instances").click()
    page.get_by_role("link", name="mycompany").click()
    related = page.get_by_role("row").filter(has_text="Amazon")
    expect(related).to_contain_text("mycompany")
