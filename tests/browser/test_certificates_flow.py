"""A user creates certificates in Chromium: auto-generate, import a keytool .p12, rotate, download."""

import re

from playwright.sync_api import expect

from serverless_as2.models import Tenant
from serverless_as2.services import tenant_create
from tests.browser.conftest import assert_accessible, log_in
from tests.certificates.cli import (
    keytool_entries,
    keytool_genkeypair,
    openssl_pkcs12_info,
    openssl_x509_subject,
)
from tests.certificates.factories import partner_pem
from tests.conftest import make_instance, make_partner, make_partnership

PASSWORD = "Keystore-pw-42"


def new_user_with_a_partnership(page) -> Tenant:
    tenant = tenant_create(name="Acme", email="edi@acme.example", password="a-long-password")
    instance = make_instance(tenant, "mycompany", my_as2_alias="mycompany-key")
    make_partnership(tenant, instance, make_partner(tenant, "amazon"))
    log_in(page, "edi@acme.example", "a-long-password")
    return tenant


def save_download(page, tmp_path, click) -> tuple[str, object]:
    with page.expect_download() as info:
        click()
    download = info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    return download.suggested_filename, path


def download_from_list(page, tmp_path, option: str):
    link = page.get_by_role("link", name=option)
    if not link.is_visible():  # the Download menu is closed
        page.get_by_text("Download", exact=True).click()
    return save_download(page, tmp_path, link.click)


def test_new_user_auto_generates_a_certificate_and_downloads_the_three_files(page, db, tmp_path):
    tenant = new_user_with_a_partnership(page)
    page.get_by_role("link", name="Certificate", exact=True).click()
    expect(page.get_by_role("heading", name="Certificate")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="+ Create Cert").click()

    expect(page.get_by_role("heading", name="Create Cert")).to_be_visible()
    page.get_by_label("my_as2_id").select_option(label="mycompany")
    page.get_by_label("partner_as2_id").select_option(label="amazon")
    # Filled in by the page from the instance's my_as2_alias and the partner's alias.
    expect(page.get_by_label("privateKeyAlias")).to_have_value("mycompany-key")
    expect(page.get_by_label("alias", exact=True)).to_have_value("amazon")
    expect(page.get_by_label("Option A: Auto-Generate Certificate")).to_be_checked()
    expect(page.get_by_label("Import Your Certificate")).to_be_hidden()
    expect(page.get_by_label("key size")).to_have_value("2048")
    expect(page.get_by_label("validity (days)")).to_have_value("730")
    assert_accessible(page)
    page.get_by_label(re.compile(r"^password")).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    partner_file = tmp_path / "amazon.cer"
    partner_file.write_bytes(partner_pem())
    page.get_by_label("partner certificate").set_input_files(partner_file)
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Saved the certificate for mycompany → amazon.")).to_be_visible()
    key = f"private/{tenant.id}/amazon/mycompany/cert/mycompany-amazon.cer"
    row = page.get_by_role("row").filter(has_text="amazon")
    # The storage key is shown shortened (its end), whole in the Copy button and the tooltip.
    expect(row).to_contain_text(key[-40:])
    expect(row.get_by_role("button", name=re.compile("^Copy the PublicKeyURL"))).to_have_attribute(
        "data-copy", key
    )

    name, complete = download_from_list(page, tmp_path, "Complete KeyStore (.p12)")
    assert name == "mycompany-amazon.p12"
    assert keytool_entries(complete, PASSWORD) == {
        "mycompany-key": "PrivateKeyEntry",
        "amazon": "trustedCertEntry",
    }
    name, partner = download_from_list(page, tmp_path, "Partner Certificate (.p12)")
    assert name == "mycompany-amazon-partner.p12"
    assert keytool_entries(partner, PASSWORD) == {"amazon": "trustedCertEntry"}

    page.get_by_role("link", name="PartnerShip", exact=True).click()
    page.get_by_role("link", name="mycompany").click()
    expect(page.locator(".certificate-line")).to_contain_text(f"certificate: {key}")
    name, public_key = save_download(
        page, tmp_path, page.get_by_role("link", name="Download PublicKey").click
    )
    assert name == "mycompany-amazon.cer"
    assert "CN = mycompany" in openssl_x509_subject(public_key)


def test_user_imports_a_keytool_p12_and_rotates_the_partner_certificate(page, db, tmp_path):
    tenant = new_user_with_a_partnership(page)
    mine = tmp_path / "mine.p12"
    keytool_genkeypair(mine, alias="alpha", password=PASSWORD)
    keytool_genkeypair(mine, alias="beta", password=PASSWORD)

    # From the partnership page, which has no certificate yet.
    page.get_by_role("link", name="PartnerShip", exact=True).click()
    page.get_by_role("link", name="mycompany").click()
    expect(page.get_by_text("There is currently no associated certificate")).to_be_visible()
    assert_accessible(page)
    page.locator(".certificate-line").get_by_role("link", name="Create").click()

    expect(page.get_by_role("heading", name="Create Cert")).to_be_visible()
    page.get_by_label("Option B: Import Your Own Certificate").check()
    expect(page.get_by_label("key size")).to_be_hidden()
    page.get_by_label("Import Your Certificate").set_input_files(mine)
    page.get_by_label(re.compile(r"^password")).fill(PASSWORD)
    # The page lists the keys found in the file: nobody needs keytool to learn them.
    expect(page.locator("#keystore-aliases")).to_have_text("Private keys in this file: alpha, beta")
    assert_accessible(page)
    page.get_by_label("privateKeyAlias").fill("beta")
    first_partner = tmp_path / "amazon.pem"
    first_partner.write_bytes(partner_pem())
    page.get_by_label("partner certificate").set_input_files(first_partner)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the certificate for mycompany → amazon.")).to_be_visible()

    page.get_by_role("link", name="mycompany").click()
    expect(page.get_by_role("heading", name="Edit Cert")).to_be_visible()
    expect(page.get_by_text("CN=beta,O=Test", exact=True)).to_be_visible()
    assert_accessible(page)
    new_partner = tmp_path / "amazon-2027.cer"
    new_partner.write_bytes(partner_pem("amazon-2027"))
    page.get_by_label(re.compile(r"^Partner certificate")).set_input_files(new_partner)
    page.get_by_role("button", name="Upload").click()

    expect(page.get_by_text("Uploaded the new partner certificate")).to_be_visible()
    partner_section = page.locator("section", has=page.get_by_role("heading", name="Partner's"))
    expect(partner_section).to_contain_text("CN=amazon-2027")
    earlier = page.locator("section", has=page.get_by_role("heading", name="Earlier"))
    expect(earlier.get_by_role("row").filter(has_text="CN=amazon")).to_have_count(1)
    assert_accessible(page)

    name, complete = save_download(
        page, tmp_path, page.get_by_role("link", name="Complete KeyStore (.p12)").click
    )
    assert name == "mycompany-amazon.p12"
    assert keytool_entries(complete, PASSWORD) == {
        "beta": "PrivateKeyEntry",
        "amazon": "trustedCertEntry",
    }
    assert re.search(r"subject=.*CN = amazon-2027", openssl_pkcs12_info(complete, PASSWORD))
    assert tenant.id  # the tenant's files stay under its own prefix (checked in service tests)
