"""The TrackLog in Chromium: list, detail, and a copied EDI link opened without a login."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from serverless_as2.services import tenant_create
from tests.browser.conftest import assert_accessible, log_in
from tests.conftest import PASSWORD as TENANT_PASSWORD
from tests.conftest import make_partnership
from tests.tracklog.conftest import endpoint_url, partnership_with_certificate
from tests.tracklog.factories import message_make
from tracklog.models import Direction, Message, Status
from tracklog.tasks import due_work_run

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "tracklog.png"
PASSWORD = "a-long-password"


def copied_url(page, button) -> str:
    """Click a Copy … URL button and read what it put on the clipboard."""
    page.evaluate("navigator.clipboard.writeText('')")
    button.click()
    page.wait_for_function("async () => (await navigator.clipboard.readText()) !== ''")
    return page.evaluate("navigator.clipboard.readText()")


def open_without_login(browser, url: str) -> tuple[int, bytes]:
    context = browser.new_context()  # no cookies: not logged in
    try:
        response = context.request.get(url)
        return response.status, response.body()
    finally:
        context.close()


@pytest.fixture
def context_clipboard(page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    return page


def test_tracklog_detail_and_copied_edi_link(context_clipboard, browser, db):
    page = context_clipboard
    tenant = tenant_create(name="Acme", email="edi@acme.example", password=PASSWORD)
    partnership = make_partnership(tenant)
    message_make(
        tenant,
        partnership,
        message_id="<order-7@mycompany>",
        status=Status.MDN_SAVED,
        payload=b"ISA*00*order seven~\n",
        mdn=b"MDN",
        mdn_disposition="automatic-action/MDN-sent-automatically; processed",
        events=[(22, "Original stored"), (26, "MDN saved")],
    )
    message_make(
        tenant,
        partnership,
        direction=Direction.INBOUND,
        status=Status.INBOUND_FAILED,
        error="The message was signed with a certificate the partnership does not expect.",
    )
    log_in(page, "edi@acme.example", PASSWORD)
    page.get_by_role("link", name="TrackLog").click()
    row = page.get_by_role("row").filter(has_text="order-7@mycompany")
    expect(row).to_contain_text("26 MDN Saved · Successful")
    assert_accessible(page)
    failed = page.get_by_role("row").filter(has_text="19 Failed")
    expect(failed).to_contain_text("Failed")
    failed.get_by_role("link", name="Error Msg").click()
    expect(page.get_by_role("heading", name="Error Msg")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("does not expect")
    assert_accessible(page)

    page.go_back()
    page.get_by_role("link", name="<order-7@mycompany>").click()
    expect(page.get_by_role("heading", name="Steps")).to_be_visible()
    expect(page.get_by_role("cell", name="MDN saved", exact=True)).to_be_visible()
    assert_accessible(page)
    url = copied_url(page, page.get_by_role("button", name="Copy EDI URL"))
    assert "/tracklog/file/" in url
    assert open_without_login(browser, url) == (200, b"ISA*00*order seven~\n")
    altered = url.rstrip("/")[:-2] + "xx/"
    status, body = open_without_login(browser, altered)
    assert status == 404 and b"order seven" not in body


@pytest.fixture
def loopback(tenant_a, live_server, settings):
    """Tenant A's two instances trading with each other over the live server (as in the demo)."""
    settings.ALLOW_PRIVATE_PARTNER_URLS = True
    settings.SELF_BASE_URL = live_server.url
    url = endpoint_url(live_server.url, tenant_a)
    partnership_with_certificate(tenant_a, "beta", "alpha", url)
    return partnership_with_certificate(tenant_a, "alpha", "beta", url)


def test_send_file_reaches_26_and_its_edi_link_opens_without_login(
    context_clipboard, browser, loopback, tmp_path
):
    page = context_clipboard
    page.set_viewport_size({"width": 1280, "height": 900})
    files = {"order-1001.edi": b"ISA*00*order 1001~\r\n", "invoice-77.edi": b"ISA*00*\x00\xff~\n"}
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)

    log_in(page, "a@example.com", TENANT_PASSWORD)
    page.get_by_role("link", name="Send File", exact=True).click()
    page.get_by_label("PartnerShip").select_option(label="alpha → beta")
    expect(page.get_by_label("Content type")).to_have_value(loopback.content_type)
    page.get_by_label("subject").fill("Orders $filename$")
    assert_accessible(page)
    page.get_by_label("Files").set_input_files([tmp_path / name for name in files])
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_role("heading", name="TrackLog")).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text("Queued 2 files for alpha → beta")
    rows = page.locator("table.tracklog tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("22 Original File Saved · Pending")

    expect(page.get_by_text("this page refreshes itself")).to_be_visible()
    due_work_run()  # the worker's job, run inline; the page refreshes itself, as a user watches it
    for name in files:
        row = page.get_by_role("row").filter(has_text=name)
        expect(row).to_contain_text("26 MDN Saved · Successful")

    expect(page.get_by_text("this page refreshes itself")).to_have_count(0)
    page.get_by_role("link", name="Show all messages").click()
    expect(rows).to_have_count(4)  # the two sent by alpha and the two beta received
    expect(page.get_by_role("row").filter(has_text="15 Send MDN Successfully")).to_have_count(2)
    assert_accessible(page)
    if os.environ.get("SAS2_SCREENSHOTS") == "1":  # refreshes the README's picture on demand
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOT, full_page=True)

    sent = Message.objects.get(direction=Direction.OUTBOUND, filename="invoice-77.edi")
    # Both sides of the loopback are this tenant's, so the Message-ID is listed twice.
    page.locator(f'a[href="/tracklog/{sent.pk}/"]').click()
    expect(page.get_by_role("heading", name="Steps")).to_be_visible()
    expect(page.locator(".outcome")).to_contain_text("answered")
    assert_accessible(page)
    url = copied_url(page, page.get_by_role("button", name="Copy EDI URL"))
    assert open_without_login(browser, url) == (200, files["invoice-77.edi"])
