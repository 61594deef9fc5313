"""Issue 11 in Chromium: the page after login, lists, safe changes, phone width, accessibility.

Each test checks its pages with axe-core (no serious or critical violation) and, with
SAS2_SCREENSHOTS=1, saves the README's screenshots.
"""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from certificates.models import Certificate
from partnerships.models import As2Instance, Partner
from serverless_as2.services import tenant_create
from tests.browser.conftest import (
    assert_accessible,
    line_count,
    log_in,
    page_scroll_width,
    screenshot,
)
from tests.certificates.factories import certificate_for, partner_pem
from tests.conftest import make_instance, make_partner, make_partnership
from tests.tracklog.factories import message_make
from tracklog.models import Status

EMAIL, PASSWORD = "edi@acme.example", "a-long-password"
PHONE = {"width": 390, "height": 844}


def new_tenant():
    return tenant_create(name="Acme", email=EMAIL, password=PASSWORD)


def test_an_empty_tenant_gets_the_steps_to_its_first_exchange_each_a_link(ui_page, db):
    new_tenant()
    log_in(ui_page, EMAIL, PASSWORD)
    expect(ui_page.get_by_role("heading", name="Steps to your first exchange")).to_be_visible()
    steps = ui_page.locator("ol.steps li")
    expect(steps).to_have_count(6)
    for index in range(6):
        expect(steps.nth(index).get_by_role("link")).to_have_count(1)
    expect(ui_page.get_by_text("Nothing needs attention")).to_be_visible()
    expect(ui_page.locator("[data-section=latest-failures]")).to_contain_text("No failed messages")
    assert_accessible(ui_page)
    screenshot(ui_page, "home-empty")
    ui_page.get_by_role("link", name=re.compile("^Create your AS2 instance")).click()
    expect(ui_page.get_by_role("heading", name="Create AS2")).to_be_visible()


def test_home_shows_what_needs_attention(ui_page, db):
    tenant = new_tenant()
    instance = make_instance(tenant, "mycompany")
    expiring = make_partnership(tenant, instance, make_partner(tenant, "amazon"))
    certificate_for(expiring)
    Certificate.objects.update(my_not_after=timezone.now() + timedelta(days=5, hours=1))
    make_partnership(tenant, instance, make_partner(tenant, "walmart"))
    off = make_partner(tenant, "target")
    make_partnership(tenant, instance, off)
    Partner.objects.filter(pk=off.pk).update(enabled=False)

    log_in(ui_page, EMAIL, PASSWORD)
    items = ui_page.locator("ul.attention li")
    expect(items.filter(has_text="mycompany → walmart has no certificate")).to_have_count(1)
    expect(
        items.filter(has_text="Your certificate for mycompany → amazon expires in 5 days")
    ).to_be_visible()
    expect(items.filter(has_text="The partner target is Off")).to_be_visible()
    # Colour is never the only signal: each item says its level in words.
    expect(items.first.locator(".level")).to_have_text("Problem")
    assert_accessible(ui_page)
    screenshot(ui_page, "home-attention")
    items.filter(has_text="walmart").get_by_role("link", name="Create Cert").click()
    expect(ui_page.get_by_label("partner_as2_id")).to_have_value(
        str(Partner.objects.get(partner_as2_id="walmart").pk)
    )


def test_partnership_list_shows_certificate_and_partner_status_and_sorts(ui_page, db):
    tenant = new_tenant()
    instance = make_instance(tenant, "mycompany")
    with_cert = make_partnership(tenant, instance, make_partner(tenant, "amazon"))
    certificate_for(with_cert)
    make_partnership(tenant, instance, make_partner(tenant, "walmart", enabled=False))
    log_in(ui_page, EMAIL, PASSWORD)
    ui_page.get_by_role("link", name="PartnerShip", exact=True).click()
    amazon = ui_page.get_by_role("row").filter(has_text="amazon")
    walmart = ui_page.get_by_role("row").filter(has_text="walmart")
    expect(amazon).to_contain_text(re.compile(r"Yes, until \d{4}-\d{2}-\d{2}"))
    expect(amazon).to_contain_text("On")
    expect(walmart).to_contain_text("No")
    expect(walmart).to_contain_text("Off")
    assert_accessible(ui_page)
    screenshot(ui_page, "partnership-list")

    ui_page.get_by_role("link", name=re.compile("^Partner AS2 ID")).click()
    expect(ui_page.locator("th[aria-sort=ascending]")).to_contain_text("Partner AS2 ID")
    ui_page.get_by_role("link", name=re.compile("^Partner AS2 ID")).click()
    expect(ui_page.locator("th[aria-sort=descending]")).to_contain_text("Partner AS2 ID")
    expect(ui_page.locator("tbody tr").first).to_contain_text("walmart")


def test_desktop_tables_keep_short_words_whole_and_long_ids_inside(ui_page, db):
    tenant = new_tenant()
    instance = make_instance(tenant, "mycompany")
    make_partnership(
        tenant,
        instance,
        make_partner(tenant, "amazon"),
        as2_url="https://as2-gateway.partner-with-a-long-host-name.example.com/exchange/inbound",
        sign="sha256",
    )
    make_partnership(tenant, instance, make_partner(tenant, "p" * 128))
    log_in(ui_page, EMAIL, PASSWORD)
    assert ui_page.viewport_size["width"] == 1280
    ui_page.goto("/partnerships/")
    amazon = ui_page.get_by_role("row").filter(has_text="amazon")
    for word in ("mycompany", "amazon", "sha256"):
        cell = amazon.locator("td").filter(has_text=re.compile(f"^{word}$"))
        assert line_count(cell) == 1, word  # not split mid-word
    # The 128-character partner ID wraps inside its cell: neither the page nor the table's
    # card scrolls sideways.
    assert page_scroll_width(ui_page) <= 1280
    scroller = ui_page.locator(".table-scroll")
    assert scroller.evaluate("box => box.scrollWidth <= box.clientWidth")


def test_certificate_list_shortens_the_key_closes_its_menu_and_keeps_long_ids_inside(ui_page, db):
    tenant = new_tenant()
    long_id = "x" * 128
    partnership = make_partnership(
        tenant, make_instance(tenant, long_id, my_as2_alias="mine"), make_partner(tenant, "amazon")
    )
    certificate = certificate_for(partnership)
    log_in(ui_page, EMAIL, PASSWORD)
    ui_page.get_by_role("link", name="Certificate", exact=True).click()
    expect(ui_page.get_by_role("heading", name="Certificate", exact=True)).to_be_visible()
    assert page_scroll_width(ui_page) <= ui_page.viewport_size["width"]
    row = ui_page.get_by_role("row").filter(has_text="amazon")
    expect(row.locator("code")).not_to_have_text(certificate.public_key_key)
    expect(row.get_by_role("button", name=re.compile("^Copy"))).to_have_attribute(
        "data-copy", certificate.public_key_key
    )
    # Dates don't break mid-date.
    date_cell = row.locator("td.date")
    assert date_cell.evaluate("cell => getComputedStyle(cell).whiteSpace") == "nowrap"
    expect(ui_page.get_by_text("Keep Your KeyStore Secure")).to_be_visible()

    menu = row.locator("details.download")
    menu.locator("summary").click()
    expect(row.get_by_role("link", name="Complete KeyStore (.p12)")).to_be_visible()
    assert_accessible(ui_page)
    screenshot(ui_page, "certificate-list")
    ui_page.get_by_role("heading", name="Certificate", exact=True).click()  # a click outside
    expect(row.get_by_role("link", name="Complete KeyStore (.p12)")).to_be_hidden()
    menu.locator("summary").click()
    ui_page.keyboard.press("Escape")
    expect(row.get_by_role("link", name="Complete KeyStore (.p12)")).to_be_hidden()


def test_phone_width_collapses_the_navigation_and_nothing_scrolls_sideways(ui_page, db):
    tenant = new_tenant()
    partnership = make_partnership(
        tenant,
        make_instance(tenant, "m" * 128, my_as2_alias="mine"),
        make_partner(tenant, "amazon"),
    )
    certificate = certificate_for(partnership)
    message = message_make(
        tenant,
        partnership,
        sender="m" * 128,
        receiver="amazon",
        filename="purchase-order-with-a-rather-long-file-name-0001.edi",
        error="The partner answered 500 Internal Server Error.",
        status=Status.OUTBOUND_FAILED,
    )
    ui_page.set_viewport_size(PHONE)
    log_in(ui_page, EMAIL, PASSWORD)
    nav = ui_page.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()
    ui_page.get_by_role("button", name="Menu").click()
    expect(nav).to_be_visible()
    screenshot(ui_page, "phone-menu")
    pages = [
        "/",
        "/instances/",
        f"/instances/{partnership.instance.pk}/",
        "/partnerships/",
        f"/partnerships/{partnership.pk}/",
        "/certificates/",
        "/certificates/new/",
        f"/certificates/{certificate.pk}/",
        "/accounts/password_change/",
        "/tracklog/",
        "/send/",
        f"/tracklog/{message.pk}/",
        f"/instances/{partnership.instance.pk}/delete/",
        f"/partners/{partnership.partner.pk}/delete/",
        f"/partnerships/{partnership.pk}/delete/",
        f"/certificates/{certificate.pk}/delete/",
    ]
    for url in pages:
        ui_page.goto(url)
        assert page_scroll_width(ui_page) <= PHONE["width"], url
        for field in ui_page.locator("main input[type=text], main select").all():
            if field.is_visible():  # inputs keep their width: they fill the card
                assert field.bounding_box()["width"] >= 200, url
        assert_accessible(ui_page)
    ui_page.goto("/certificates/")
    scroller = ui_page.locator(".table-scroll").first
    assert scroller.evaluate("box => box.scrollWidth > box.clientWidth")  # the table scrolls
    assert_accessible(ui_page)
    screenshot(ui_page, "phone-certificate-list")


def test_status_switch_reads_on_or_off_as_it_is(ui_page, db):
    new_tenant()
    log_in(ui_page, EMAIL, PASSWORD)
    ui_page.goto("/partners/new/")
    switch = ui_page.get_by_label("Status")
    state = ui_page.locator(".toggle .state")
    expect(switch).to_be_checked()
    expect(state).to_have_text("On")
    switch.uncheck()
    expect(state).to_have_text("Off")
    assert_accessible(ui_page)


def test_a_second_tab_saving_the_same_record_sees_the_conflict(ui_page, db):
    tenant = new_tenant()
    instance = make_instance(tenant, "mycompany", my_name="My Company")
    log_in(ui_page, EMAIL, PASSWORD)
    other = ui_page.context.new_page()
    for tab in (ui_page, other):
        tab.goto(f"/instances/{instance.pk}/")
    other.get_by_label("my_name").fill("Renamed in tab two")
    other.get_by_role("button", name="Save").click()
    expect(other.get_by_text("Saved mycompany")).to_be_visible()

    ui_page.get_by_label("my_email").fill("ops@mycompany.example")
    ui_page.get_by_role("button", name="Save").click()
    alert = ui_page.get_by_role("alert").filter(has_text="Someone saved this record")
    expect(alert).to_contain_text("my_name is now “Renamed in tab two”")
    expect(alert).not_to_contain_text("my_email")  # this tab's own edit is not theirs
    expect(alert).to_contain_text("Your own changes are still in the form below")
    expect(ui_page.get_by_label("my_email")).to_have_value("ops@mycompany.example")
    assert As2Instance.objects.get().my_email == "edi@mycompany.example"  # nothing saved
    assert_accessible(ui_page)
    screenshot(ui_page, "conflict")
    ui_page.get_by_role("button", name="Save").click()  # knowingly replace their version
    expect(ui_page.get_by_text("Saved mycompany")).to_be_visible()
    assert As2Instance.objects.get().my_email == "ops@mycompany.example"


def test_renaming_an_instance_with_certificates_says_what_changes_first(ui_page, db):
    tenant = new_tenant()
    partnership = make_partnership(tenant, make_instance(tenant, "mycompany"))
    certificate_for(partnership)
    log_in(ui_page, EMAIL, PASSWORD)
    ui_page.goto(f"/instances/{partnership.instance.pk}/")
    ui_page.get_by_label("my_as2_id").fill("mycompany-prod")
    ui_page.get_by_role("button", name="Save").click()
    warning = ui_page.locator(".callout.danger")
    expect(warning).to_contain_text("AS2-To")
    expect(warning).to_contain_text("does not change your 1 certificate(s)")
    expect(warning).to_contain_text("privateKeyAlias")
    assert As2Instance.objects.get().my_as2_id == "mycompany"
    # The confirmation is a plain checkbox with its sentence; only Status is an On/Off switch.
    confirm = ui_page.get_by_role("checkbox", name="Yes, rename it")
    expect(confirm).not_to_be_checked()
    expect(ui_page.locator(".toggle").filter(has=confirm)).to_have_count(0)
    expect(ui_page.get_by_role("switch")).to_have_count(1)
    expect(ui_page.get_by_role("switch", name="Status")).to_be_checked()
    assert_accessible(ui_page)
    screenshot(ui_page, "rename-warning")
    ui_page.get_by_label("Yes, rename it").check()
    ui_page.get_by_role("button", name="Save").click()
    expect(ui_page.get_by_text("Saved mycompany-prod")).to_be_visible()


def test_delete_pages_list_what_goes_or_blocks_and_offer_the_keystore(ui_page, db):
    tenant = new_tenant()
    partnership = make_partnership(tenant, make_instance(tenant, "mycompany"))
    certificate = certificate_for(partnership)
    log_in(ui_page, EMAIL, PASSWORD)
    ui_page.goto(f"/partners/{partnership.partner.pk}/delete/")
    expect(ui_page.get_by_role("alert")).to_contain_text("PartnerShip mycompany → amazon")
    expect(ui_page.get_by_role("button", name="Delete")).to_have_count(0)
    assert_accessible(ui_page)

    ui_page.goto(f"/certificates/{certificate.pk}/delete/")
    expect(ui_page.locator(".consequences")).to_contain_text(certificate.keystore_key)
    link = ui_page.get_by_role("link", name=re.compile("Download the Complete KeyStore"))
    with ui_page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".p12")
    assert_accessible(ui_page)
    screenshot(ui_page, "delete-certificate")


def test_create_cert_after_an_error_keeps_the_files_and_says_what_to_type_again(
    ui_page, db, tmp_path
):
    tenant = new_tenant()
    make_partnership(tenant, make_instance(tenant, "mycompany", my_as2_alias="mykey"))
    log_in(ui_page, EMAIL, PASSWORD)
    ui_page.goto("/certificates/new/")
    ui_page.get_by_label("my_as2_id").select_option(label="mycompany")
    ui_page.get_by_label("partner_as2_id").select_option(label="amazon")
    expect(ui_page.get_by_text("Keep Your KeyStore Secure")).to_be_visible()
    expect(ui_page.get_by_text("The password that will protect the new keystore")).to_be_visible()
    expect(ui_page.get_by_text("The password of your .p12/.pfx")).to_be_hidden()
    expect(ui_page.locator("label[for=id_private_key_alias] .req")).to_be_visible()
    partner_file = tmp_path / "amazon.cer"
    partner_file.write_bytes(partner_pem())
    # "Or drop a file": a file dropped on the zone is chosen.
    zone = ui_page.locator(".dropzone").filter(has=ui_page.get_by_label("partner certificate"))
    expect(zone).to_contain_text("Or drop a file")
    transfer = ui_page.evaluate_handle(
        """(text) => { const data = new DataTransfer();
            data.items.add(new File([text], "amazon.cer", {type: "application/x-x509-ca-cert"}));
            return data; }""",
        partner_pem().decode(),
    )
    zone.dispatch_event("drop", {"dataTransfer": transfer})
    expect(zone.locator(".chosen")).to_have_text("Chosen: amazon.cer")

    ui_page.get_by_label(re.compile(r"^password")).fill("Keystore-pw-42")
    ui_page.get_by_label("Repeat the password").fill("Keystore-pw-43")
    ui_page.get_by_role("button", name="Save").click()
    expect(ui_page.get_by_text("The two passwords differ")).to_be_visible()
    expect(ui_page.get_by_text("Kept from your last try: amazon.cer")).to_be_visible()
    expect(ui_page.locator("#retry-note")).to_contain_text("type it again, twice")
    assert_accessible(ui_page)
    screenshot(ui_page, "create-cert-retry")
    ui_page.get_by_label(re.compile(r"^password")).fill("Keystore-pw-42")
    ui_page.get_by_label("Repeat the password").fill("Keystore-pw-42")
    ui_page.get_by_role("button", name="Save").click()
    expect(ui_page.get_by_text("Saved the certificate for mycompany → amazon.")).to_be_visible()
    assert Certificate.objects.get().partner_alias == "amazon"


def test_404_uses_the_shell_and_says_where_to_go(ui_page, db):
    new_tenant()
    log_in(ui_page, EMAIL, PASSWORD)
    response = ui_page.goto("/instances/999999/")
    assert response.status == 404
    expect(ui_page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(ui_page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(ui_page.locator("main").get_by_role("link", name="Home")).to_be_visible()
    assert_accessible(ui_page)


def test_a_user_changes_the_password_and_resets_a_forgotten_one_by_email(ui_page, db, mailoutbox):
    new_tenant()
    log_in(ui_page, EMAIL, PASSWORD)
    ui_page.get_by_role("link", name="Change password").click()
    ui_page.get_by_label("Old password").fill(PASSWORD)
    ui_page.locator("#id_new_password1").fill("a-newer-long-password")
    ui_page.get_by_label("New password confirmation").fill("a-newer-long-password")
    assert_accessible(ui_page)
    ui_page.get_by_role("button", name="Change password").click()
    expect(ui_page.get_by_role("heading", name="Password changed")).to_be_visible()
    ui_page.get_by_role("button", name="Log out").click()

    ui_page.get_by_role("link", name="Forgot your password?").click()
    ui_page.get_by_label("Email").fill(EMAIL)
    assert_accessible(ui_page)
    ui_page.get_by_role("button", name="Send the link").click()
    expect(ui_page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    link = re.search(r"http://\S+/accounts/reset/\S+/", mailoutbox[0].body).group(0)
    ui_page.goto(link)
    ui_page.locator("#id_new_password1").fill("the-newest-long-password")
    ui_page.get_by_label("New password confirmation").fill("the-newest-long-password")
    ui_page.get_by_role("button", name="Set the password").click()
    expect(ui_page.get_by_role("heading", name="Password set")).to_be_visible()
    log_in(ui_page, EMAIL, "the-newest-long-password")
    expect(ui_page.get_by_role("heading", name="Home")).to_be_visible()
