"""The TrackLog list and detail pages, as a user uses them (rows made directly)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import make_instance, make_partner, make_partnership
from tests.tracklog.factories import message_make
from tracklog.models import Direction, Status


def listed_ids(response) -> list[str]:
    return re.findall(
        r'<td class="message-id"><a href="[^"]+">([^<]+)</a>', response.content.decode()
    )


@pytest.fixture
def partnership(tenant_a):
    return make_partnership(tenant_a)


def test_list_shows_every_column_and_the_status_word_beside_its_colour(client_a, partnership):
    message_make(
        partnership.tenant,
        partnership,
        status=Status.MDN_SAVED,
        message_id="<order-1@mycompany>",
        filename="order-1.edi",
        size=2048,
        created=datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC),
    )
    message_make(partnership.tenant, partnership, status=Status.OUTBOUND_FAILED, error="Refused.")
    message_make(partnership.tenant, partnership, status=Status.SENT)
    page = client_a.get("/tracklog/").content.decode()
    headings = ("Message ID", "Direction", "From", "To", "Status", "File name", "Size")
    for heading in (*headings, "Created", "Updated"):
        assert re.search(
            rf'<th scope="col" aria-sort="[a-z]+"><a class="sort" [^>]+>{heading}<', page
        )
    assert "&lt;order-1@mycompany&gt;" in page and "order-1.edi" in page and "2.0\xa0KB" in page
    assert ">mycompany<" in page and ">amazon<" in page and "Outbound" in page
    created = '<time datetime="2025-03-04T05:06:07+00:00">2025-03-04<br>05:06:07</time>'
    assert page.count(created) == 2  # created and updated (the factory sets both)
    # Colour is a class; the group is also written out, so colour is never the only signal.
    assert re.search(
        r'status-successful[^>]*><span class="code">26</span> MDN Saved<span class="group"> · Successful',
        page,
    )
    assert re.search(
        r'status-failed[^>]*><span class="code">29</span> Failed<span class="group"> · Failed', page
    )
    assert re.search(
        r'status-pending[^>]*><span class="code">24</span> Send Success<span class="group"> · Pending',
        page,
    )
    assert "Error Msg" in page


def test_filters_narrow_the_list(client_a, tenant_a, partnership):
    other = make_partnership(tenant_a, partnership.instance, make_partner(tenant_a, "walmart"))
    now = timezone.now()
    message_make(tenant_a, partnership, message_id="<abc-1@x>", status=Status.MDN_SAVED)
    message_make(tenant_a, partnership, message_id="<abc-2@x>", status=Status.OUTBOUND_FAILED)
    message_make(
        tenant_a,
        other,
        message_id="<xyz-3@x>",
        direction=Direction.INBOUND,
        status=Status.MDN_SENT,
        created=now - timedelta(days=10),
    )
    message_make(tenant_a, other, message_id="<xyz-4@x>", status=Status.WAITING_TO_ENCRYPT)

    def ids(query: str) -> set[str]:
        response = client_a.get(f"/tracklog/?{query}")
        assert response.status_code == 200
        return set(listed_ids(response))

    assert ids("q=abc") == {"&lt;abc-1@x&gt;", "&lt;abc-2@x&gt;"}
    assert ids("q=ABC-2") == {"&lt;abc-2@x&gt;"}
    assert ids("group=successful") == {"&lt;abc-1@x&gt;", "&lt;xyz-3@x&gt;"}
    assert ids("group=failed") == {"&lt;abc-2@x&gt;"}
    assert ids("group=pending") == {"&lt;xyz-4@x&gt;"}
    assert ids("direction=in") == {"&lt;xyz-3@x&gt;"}
    assert ids(f"partnership={other.pk}") == {"&lt;xyz-3@x&gt;", "&lt;xyz-4@x&gt;"}
    day = timezone.localdate() - timedelta(days=10)
    assert ids(f"date_from={day}&date_to={day}") == {"&lt;xyz-3@x&gt;"}
    assert "&lt;xyz-3@x&gt;" not in ids(f"date_from={timezone.localdate()}")


@pytest.mark.parametrize(
    "query",
    [
        "group=bogus",
        "direction=sideways",
        "partnership=abc",
        "partnership=999999",
        "date_from=yesterday",
        "date_from=2026-13-45",
        "date_to=99999-01-01",
        "date_from=2026-05-02&date_to=2026-05-01",
        "id=abc",
        "id=99999999999999999999999999",
        "page=zzz",
        "page=999",
        "q=" + "x" * 5000,
        "q=%00",
    ],
)
def test_a_bad_filter_value_is_shown_never_a_500(client_a, partnership, query):
    message_make(partnership.tenant, partnership)
    response = client_a.get(f"/tracklog/?{query}")
    assert response.status_code == 200


def test_a_bad_value_says_so_and_filters_nothing(client_a, partnership):
    message_make(partnership.tenant, partnership)
    page = client_a.get("/tracklog/?group=bogus&date_from=yesterday").content.decode()
    assert "Select a valid choice" in page and "Enter a valid date" in page
    assert len(re.findall(r'class="message-id"', page)) == 1


def test_another_tenants_partnership_filters_nothing_of_theirs(client_b, tenant_a, partnership):
    message_make(tenant_a, partnership, message_id="<secret@a>")
    page = client_b.get(f"/tracklog/?partnership={partnership.pk}").content.decode()
    assert "secret@a" not in page and "Select a valid choice" in page
    assert "secret@a" not in client_b.get("/tracklog/").content.decode()


def list_queries(client, query: str = "") -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/tracklog/{query}").status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_rows(client_a, tenant_a, partnership):
    message_make(tenant_a, partnership, payload=b"x", mdn=b"m", events=[(22, "saved")])
    one = list_queries(client_a)
    for number in range(29):
        message_make(
            tenant_a,
            partnership if number % 2 else None,
            payload=b"x",
            mdn=b"m",
            status=Status.OUTBOUND_FAILED if number % 3 else Status.MDN_SAVED,
            error="No." if number % 3 else "",
            events=[(22, "saved")],
        )
    assert list_queries(client_a) == one
    page = client_a.get("/tracklog/")
    assert len(listed_ids(page)) == 20
    assert "1 - 20 / 30" in page.content.decode()


def test_columns_sort_either_way_and_keep_the_filters(client_a, tenant_a, partnership):
    for name, status in (
        ("b", Status.OUTBOUND_FAILED),
        ("a", Status.MDN_SAVED),
        ("c", Status.OUTBOUND_FAILED),
    ):
        message_make(
            tenant_a, partnership, filename=f"{name}.edi", message_id=f"<{name}@x>", status=status
        )
    page = client_a.get("/tracklog/?group=failed&page=1").content.decode()
    link = re.search(r'<a class="sort" href="([^"]+)">File name', page).group(1)
    assert link == "?group=failed&amp;sort=file"  # the filter kept, back to page 1
    assert listed_ids(client_a.get("/tracklog/?group=failed&sort=file")) == [
        "&lt;b@x&gt;",
        "&lt;c@x&gt;",
    ]
    page = client_a.get("/tracklog/?group=failed&sort=-file").content.decode()
    assert re.findall(r'<td class="message-id"><a href="[^"]+">([^<]+)</a>', page) == [
        "&lt;c@x&gt;",
        "&lt;b@x&gt;",
    ]
    assert '<th scope="col" aria-sort="descending">' in page
    assert '<input type="hidden" name="sort" value="-file">' in page  # filtering keeps the order
    assert "Clear filters" not in client_a.get("/tracklog/?sort=file").content.decode()


def test_the_pager_keeps_the_order(client_a, tenant_a, partnership):
    for _ in range(21):
        message_make(tenant_a, partnership)
    assert "?sort=-size&amp;page=2" in client_a.get("/tracklog/?sort=-size").content.decode()


def test_a_sorted_filtered_list_makes_as_many_queries_as_the_plain_one(
    client_a, tenant_a, partnership
):
    for _ in range(25):
        message_make(tenant_a, partnership, payload=b"x", mdn=b"m", events=[(22, "saved")])
    assert list_queries(client_a, "?sort=-status&direction=out&page=2") == list_queries(client_a)


def test_the_pager_keeps_the_filters(client_a, tenant_a, partnership):
    for _ in range(25):
        message_make(tenant_a, partnership, status=Status.OUTBOUND_FAILED)
    message_make(tenant_a, partnership, status=Status.MDN_SAVED)
    first = client_a.get("/tracklog/?group=failed").content.decode()
    assert "1 - 20 / 25" in first
    assert "?group=failed&amp;page=2" in first
    second = client_a.get("/tracklog/?group=failed&page=2")
    assert "21 - 25 / 25" in second.content.decode() and len(listed_ids(second)) == 5


def test_the_chart_counts_messages_per_day_by_status_group(
    client_a, tenant_a, tenant_b, partnership
):
    now = timezone.now()
    for _ in range(3):
        message_make(tenant_a, partnership, status=Status.MDN_SAVED)
    message_make(
        tenant_a, partnership, status=Status.OUTBOUND_FAILED, created=now - timedelta(days=2)
    )
    message_make(tenant_a, partnership, status=Status.SENT, created=now - timedelta(days=2))
    message_make(tenant_a, partnership, status=Status.MDN_SAVED, created=now - timedelta(days=30))
    message_make(tenant_b, make_partnership(tenant_b), status=Status.MDN_SAVED)
    page = client_a.get("/tracklog/").content.decode()
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    today = timezone.localdate()
    two_days_ago = today - timedelta(days=2)
    assert f"<title>{today}: 3 successful</title>" in svg
    assert f"<title>{two_days_ago}: 1 failed</title>" in svg
    assert f"<title>{two_days_ago}: 1 pending</title>" in svg
    assert svg.count("<rect") == 3  # the message of 30 days ago and tenant B's are not drawn
    assert "Successful: 3" in page and "Failed: 1" in page and "Pending: 1" in page


def test_the_chart_says_when_there_is_nothing(client_a):
    page = client_a.get("/tracklog/").content.decode()
    assert "No messages in these days." in page and "<rect" not in page


def test_the_list_of_just_sent_messages(client_a, tenant_a, partnership):
    first = message_make(tenant_a, partnership)
    second = message_make(tenant_a, partnership)
    message_make(tenant_a, partnership)
    response = client_a.get(f"/tracklog/?id={first.pk}&id={second.pk}")
    assert set(listed_ids(response)) == {
        first.message_id.replace("<", "&lt;").replace(">", "&gt;"),
        second.message_id.replace("<", "&lt;").replace(">", "&gt;"),
    }
    assert "Showing the 2 messages just sent" in response.content.decode()


def test_detail_explains_the_message(client_a, tenant_a, partnership):
    message = message_make(
        tenant_a,
        partnership,
        direction=Direction.INBOUND,
        status=Status.INBOUND_FAILED,
        error="The signature was made with the partner's previous certificate.",
        mic="abc=, sha-256",
        mdn_mic="xyz=, sha-256",
        mdn_mic_check="mismatched",
        mdn_disposition="automatic-action/MDN-sent-automatically; processed/error: authentication-failed",
        headers={
            "AS2-From": "amazon",
            "AS2-To": "mycompany",
            "Message-ID": "<m@x>",
            "Authorization": "Basic c2VjcmV0OnNlY3JldA==",
            "Cookie": "sessionid=secret-session",
        },
        details={
            "signer": {"subject": "CN=amazon-old", "serial": "1234", "fingerprint": "AA:BB"},
            "expected_signer": {"subject": "CN=amazon", "serial": "5678", "fingerprint": "CC:DD"},
            "previous_certificate_replaced_on": "2026-11-30",
            "encrypted_for": {"subject": "CN=mycompany", "serial": "42"},
            "partner_http_status": 500,
            "partner_answer": "Internal error\nline two",
            "attempts": [{"at": "2026-12-05 07:00", "error": "timed out", "http_status": None}],
            "something_new": {"a": 1},
            "our_certificate": {"subject": "CN=mycompany-current", "serial": "43"},
            "security": {"encryption": "aes256", "signature": "sha256", "compression": "none"},
            "mdn_signer": {"subject": "CN=amazon-mdn-signer", "serial": "77"},
        },
        events=[(11, "Raw request stored"), (19, "Signature check failed")],
    )
    page = client_a.get(f"/tracklog/{message.pk}/").content.decode()
    assert "c2VjcmV0OnNlY3JldA==" not in page and "secret-session" not in page
    assert 'id="error"' in page and "Error Msg" in page
    assert "previous certificate." in page
    for text in (
        "Raw request stored",
        "Signature check failed",
        "AS2-From",
        "abc=, sha-256",
        "xyz=, sha-256",
        "mismatched",
        "processed/error: authentication-failed",
        "CN=amazon-old",
        "CN=amazon<",
        "replaced on",
        "2026-11-30",
        "Encrypted for",
        "CN=mycompany",
        "Partner&#x27;s HTTP status",
        "500",
        "Internal error\nline two",
        "timed out",
        "Something new",
        "CN=amazon-mdn-signer",
        "Our certificate in this partnership",
        "CN=mycompany-current",
        '<span class="muted">encryption:</span> <code>aes256</code>',
    ):
        assert text in page, text


def test_detail_of_another_tenant_is_a_404(client_b, tenant_a, partnership):
    message = message_make(tenant_a, partnership)
    assert client_b.get(f"/tracklog/{message.pk}/").status_code == 404


def test_downloads_need_a_login_and_the_right_tenant(
    client, client_a, client_b, tenant_a, partnership
):
    message = message_make(tenant_a, partnership, payload=b"ISA*00~", mdn=b"MDN", raw=b"RAW\r\n")
    for kind, body in (("raw", b"RAW\r\n"), ("edi", b"ISA*00~"), ("mdn", b"MDN")):
        url = f"/tracklog/{message.pk}/download/{kind}/"
        response = client_a.get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == body
        assert "attachment" in response["Content-Disposition"]
        assert client_b.get(url).status_code == 404
        assert client.get(url).status_code == 302  # to the login page
    assert client_a.get(f"/tracklog/{message.pk}/download/other/").status_code == 404


def test_a_missing_file_is_a_404(client_a, tenant_a, partnership):
    message = message_make(tenant_a, partnership)
    assert client_a.get(f"/tracklog/{message.pk}/download/mdn/").status_code == 404


def test_partnership_page_offers_send_test_message(client_a, partnership):
    page = client_a.get(f"/partnerships/{partnership.pk}/").content.decode()
    assert f'action="/partnerships/{partnership.pk}/send-test/"' in page
    assert "Send test message" in page


def test_send_test_message_only_posts(client_a, partnership):
    assert client_a.get(f"/partnerships/{partnership.pk}/send-test/").status_code == 405


def test_send_file_lists_only_the_tenants_enabled_partnerships(client_a, tenant_a, tenant_b):
    usable = make_partnership(tenant_a)
    make_partnership(tenant_a, usable.instance, make_partner(tenant_a, "offline", enabled=False))
    make_partnership(
        tenant_a, make_instance(tenant_a, "switched-off", enabled=False), usable.partner
    )
    make_partnership(
        tenant_b, make_instance(tenant_b, "tenant-b-me"), make_partner(tenant_b, "tenant-b-them")
    )
    page = client_a.get("/send/").content.decode()
    options = re.findall(r'<option value="(\d+)"', page)
    assert options == [str(usable.pk)]
    assert 'enctype="multipart/form-data"' in page and "multiple" in page


def test_send_file_prefills_from_the_partnership(client_a, partnership):
    partnership.subject = "Orders $filename$"
    partnership.content_type = "application/EDIFACT"
    partnership.save()
    page = client_a.get(f"/send/?partnership={partnership.pk}").content.decode()
    assert 'value="application/EDIFACT"' in page and 'value="Orders $filename$"' in page


def test_send_file_refuses_an_empty_file_and_a_missing_partnership(client_a, partnership):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_a.post(
        "/send/",
        {"partnership": partnership.pk, "files": [SimpleUploadedFile("empty.edi", b"")]},
    )
    assert response.status_code == 200
    assert "“empty.edi” is empty: there is nothing to send." in response.content.decode()
    response = client_a.post("/send/", {"files": [SimpleUploadedFile("a.edi", b"ISA")]})
    assert "Choose the partnership to send through." in response.content.decode()
    response = client_a.post("/send/", {"partnership": partnership.pk})
    assert "Choose at least one file to send." in response.content.decode()


def test_send_file_refuses_a_header_in_the_subject_or_content_type(client_a, partnership):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_a.post(
        "/send/",
        {
            "partnership": partnership.pk,
            "files": [SimpleUploadedFile("a.edi", b"ISA")],
            "subject": "hi\r\nBcc: x",
            "content_type": "text/plain\r\nX-Evil: 1",
        },
    )
    page = response.content.decode()
    assert "The subject must fit on one line." in page
    assert "Write a content type like application/EDI-X12." in page


def test_send_file_refuses_a_file_over_the_size_limit(client_a, partnership, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MAX_MESSAGE_BYTES = 10
    response = client_a.post(
        "/send/",
        {"partnership": partnership.pk, "files": [SimpleUploadedFile("big.edi", b"x" * 11)]},
    )
    assert "“big.edi” is larger than 10\xa0bytes" in response.content.decode()


def test_the_list_shows_a_repeat_and_warnings(client_a, tenant_a, partnership):
    message_make(
        tenant_a,
        partnership,
        direction=Direction.INBOUND,
        status=Status.MDN_SENT,
        details={"duplicates": 2, "warnings": ["The signer's certificate expired on 2026-11-01."]},
    )
    page = client_a.get("/tracklog/").content.decode()
    assert "received again 2× (duplicate)" in page and "1 warning<" in page


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        (
            {"status": Status.ORIGINAL_SAVED, "attempts": 0},
            "Queued: “order.edi” is waiting to be sent.",
        ),
        (
            {"status": Status.ENCRYPTED, "attempts": 2, "error": "The partner answered HTTP 503."},
            "Not delivered yet (attempt 2): The partner answered HTTP 503.",
        ),
        (
            {"status": Status.SENT, "mdn_mode": "async"},
            "Sent “order.edi”; waiting for the partner&#x27;s asynchronous MDN.",
        ),
        (
            {"status": Status.SENT, "mdn_mode": "none"},
            "Sent “order.edi”; this partnership asks for no MDN, so there is no receipt.",
        ),
        (
            {"status": Status.OUTBOUND_FAILED, "error": "The MDN carries no MIC."},
            "This message failed: the reason is under",
        ),
        (
            {"status": Status.MDN_SENT, "direction": Direction.INBOUND},
            "Received and stored “order.edi”; the MDN was sent to the partner.",
        ),
    ],
)
def test_the_detail_says_what_happened_in_plain_words(
    client_a, tenant_a, partnership, fields, words
):
    message = message_make(tenant_a, partnership, filename="order.edi", **fields)
    page = client_a.get(f"/tracklog/{message.pk}/").content.decode()
    outcome = re.search(r'<div class="outcome[^"]*" role="status">(.*?)</div>', page, re.S).group(1)
    assert words in outcome


def test_a_file_link_answers_head(client, tenant_a, partnership):
    from tracklog import links

    message = message_make(tenant_a, partnership, payload=b"ISA~")
    token = links.file_link_token(message_pk=message.pk, kind=links.FileKind.EDI)
    assert client.head(f"/tracklog/file/{token}/").status_code == 200
    assert client.post(f"/tracklog/file/{token}/").status_code in (403, 405)


def test_pages_refresh_themselves_only_while_messages_are_pending(client_a, tenant_a, partnership):
    done = message_make(tenant_a, partnership, status=Status.MDN_SAVED)
    assert "data-refresh-seconds" not in client_a.get("/tracklog/").content.decode()
    assert "data-refresh-seconds" not in client_a.get(f"/tracklog/{done.pk}/").content.decode()
    waiting = message_make(tenant_a, partnership, status=Status.ORIGINAL_SAVED)
    assert "data-refresh-seconds" in client_a.get("/tracklog/").content.decode()
    assert "data-refresh-seconds" in client_a.get(f"/tracklog/{waiting.pk}/").content.decode()


def test_send_file_without_partnerships_says_where_to_start(client_a):
    page = client_a.get("/send/").content.decode()
    assert "You have no partnership to send through yet" in page


def test_send_file_ignores_another_tenants_partnership_in_the_link(client_b, partnership):
    partnership.subject = "Secret subject of tenant A"
    partnership.save()
    response = client_b.get(f"/send/?partnership={partnership.pk}")
    assert response.status_code == 200
    assert "Secret subject" not in response.content.decode()
