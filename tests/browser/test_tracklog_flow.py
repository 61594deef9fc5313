"""The TrackLog in Chromium: list, detail, and a copied EDI link opened without a login."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from serverless_as2.services import tenant_create
from tests.browser.conftest import log_in
from tests.conftest import make_partnership
from tests.tracklog.factories import message_make
from tracklog.models import Direction, Status

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
    failed = page.get_by_role("row").filter(has_text="19 Failed")
    expect(failed).to_contain_text("Failed")
    failed.get_by_role("link", name="Error Msg").click()
    expect(page.get_by_role("heading", name="Error Msg")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("does not expect")

    page.go_back()
    page.get_by_role("link", name="<order-7@mycompany>").click()
    expect(page.get_by_role("heading", name="Steps")).to_be_visible()
    expect(page.get_by_role("cell", name="MDN saved", exact=True)).to_be_visible()
    url = copied_url(page, page.get_by_role("button", name="Copy EDI URL"))
    assert "/tracklog/file/" in url
    assert open_without_login(browser, url) == (200, b"ISA*00*order seven~\n")
    altered = url.rstrip("/")[:-2] + "xx/"
    status, body = open_without_login(browser, altered)
    assert status == 404 and b"order seven" not in body
