"""Copy EDI URL / Copy MDN URL on S3: presigned GETs of one object, fetched over HTTP.

The moto server serves presigned URLs but does not check their signature or expiry (it checks
neither without IAM users). What S3 checks is played by `S3Check`, a small HTTP server in front
of moto that recomputes the SigV4 query signature with botocore (not with our code) for the host
the URL names, refuses a mismatch or an expired link with 403 as S3 does, and forwards the rest.
"""

import html
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.conftest import make_partnership
from tests.tracklog.factories import message_make
from tests.tracklog.test_links import copied_links as copied_html_links

PAYLOAD = b"ISA*00*on S3~\r\n\x00\xff binary"


def http_get(url: str) -> tuple[int, dict[str, str], bytes]:
    """GET over HTTP (the test's own local servers only): status, headers, body."""
    assert url.startswith("http://127.0.0.1:"), url
    try:
        with urllib.request.urlopen(url) as answer:  # noqa: S310 (checked just above)
            return answer.status, dict(answer.headers.items()), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


class S3Check:
    """S3's check of a presigned URL (signature over method, host, path, query; expiry)."""

    def __init__(self, moto_url: str):
        self.moto = urlsplit(moto_url)
        self.clock = lambda: datetime.now(UTC)
        check = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                refusal = check.refusal(self.path)
                if refusal:
                    self.send_response(403)
                    self.end_headers()
                    self.wfile.write(refusal.encode())
                    return
                body = http_get(check.moto._replace(path="").geturl() + self.path)[2]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def refusal(self, path_and_query: str) -> str:
        path, _, query = path_and_query.partition("?")
        params = parse_qsl(query, keep_blank_values=True)
        given = dict(params)
        if "X-Amz-Signature" not in given:
            return "AccessDenied: not signed"
        signed_at = datetime.strptime(given["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        expires = int(given["X-Amz-Expires"])
        if self.clock() > signed_at + timedelta(seconds=expires):
            return "AccessDenied: Request has expired"
        unsigned = [(name, value) for name, value in params if not name.startswith("X-Amz-")]
        request = AWSRequest(
            method="GET",
            url=f"{self.moto.scheme}://{self.moto.netloc}{path}?{urlencode(unsigned, quote_via=quote)}",
            headers={},
        )
        region = given["X-Amz-Credential"].split("/")[2]
        signer = S3SigV4QueryAuth(Credentials("testing", "testing"), "s3", region, expires=expires)
        # add_auth's steps, at the time the link says it was signed: add_auth itself signs for
        # the current second, so a check in the next second would refuse a good link.
        request.context["timestamp"] = given["X-Amz-Date"]
        signer._modify_request_before_signing(request)
        canonical_request = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical_request), request)
        return "" if expected == given["X-Amz-Signature"] else "SignatureDoesNotMatch"

    def fetch(self, url: str) -> tuple[int, bytes]:
        """GET a presigned URL of the moto server through this check."""
        parts = urlsplit(url)
        assert parts.netloc == self.moto.netloc, url
        status, _, body = http_get(self.url + parts.path + "?" + parts.query)
        return status, body

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def copied_links(client, message) -> dict[str, str]:
    """The links as the page's copy buttons copy them (the attribute's &amp; unescaped)."""
    return {label: html.unescape(url) for label, url in copied_html_links(client, message).items()}


@pytest.fixture
def s3_check(moto_s3_url):
    check = S3Check(moto_s3_url)
    yield check
    check.close()


@pytest.fixture
def on_s3(s3_storage, settings):
    settings.TRACKLOG_LINK_MAX_AGE = 900
    return s3_storage


def test_copied_links_are_presigned_urls_of_that_one_object_with_the_link_lifetime(
    on_s3, client_a, tenant_a, moto_s3_url
):
    message = message_make(tenant_a, make_partnership(tenant_a), payload=PAYLOAD, mdn=b"MDN")
    urls = copied_links(client_a, message)
    edi = urlsplit(urls["Copy EDI URL"])
    assert f"{edi.scheme}://{edi.netloc}" == moto_s3_url
    assert edi.path == f"/{on_s3.bucket_name}/{message.payload_key}"
    query = dict(parse_qsl(edi.query))
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256" and query["X-Amz-Expires"] == "900"
    assert query["response-content-disposition"].startswith("attachment; filename=")
    assert urlsplit(urls["Copy MDN URL"]).path == f"/{on_s3.bucket_name}/{message.mdn_key}"


def test_a_presigned_link_fetched_over_http_returns_the_stored_bytes(
    on_s3, client_a, tenant_a, s3_check
):
    message = message_make(tenant_a, make_partnership(tenant_a), payload=PAYLOAD, mdn=b"MDN")
    urls = copied_links(client_a, message)
    status, headers, body = http_get(urls["Copy EDI URL"])  # moto itself
    assert (status, body) == (200, PAYLOAD)
    assert headers["Content-Disposition"].startswith("attachment")
    assert s3_check.fetch(urls["Copy EDI URL"]) == (200, PAYLOAD)
    assert s3_check.fetch(urls["Copy MDN URL"]) == (200, b"MDN")


def test_an_altered_link_never_reaches_another_tenants_object(
    on_s3, client_a, client_b, tenant_a, tenant_b, s3_check
):
    mine = message_make(tenant_a, make_partnership(tenant_a), payload=PAYLOAD)
    theirs = message_make(tenant_b, make_partnership(tenant_b), payload=b"tenant B's secret")
    assert mine.payload_key.startswith(f"private/{tenant_a.id}/")
    assert theirs.payload_key.startswith(f"private/{tenant_b.id}/")
    url = copied_links(client_a, mine)["Copy EDI URL"]
    assert client_a.get(f"/tracklog/{theirs.pk}/").status_code == 404  # no link to B's file for A

    other_key = url.replace(mine.payload_key, theirs.payload_key)
    assert other_key != url
    status, body = s3_check.fetch(other_key)
    assert status == 403 and b"SignatureDoesNotMatch" in body and b"secret" not in body
    stretched = url.replace("X-Amz-Expires=900", "X-Amz-Expires=604800")
    assert s3_check.fetch(stretched)[0] == 403
    assert s3_check.fetch(url) == (200, PAYLOAD)  # the link as copied still works


def test_an_expired_link_is_refused(on_s3, client_a, tenant_a, s3_check):
    message = message_make(tenant_a, make_partnership(tenant_a), payload=PAYLOAD)
    url = copied_links(client_a, message)["Copy EDI URL"]
    # From the signing time the link carries (whole seconds), not from a clock read after
    # signing: that could be in the next second and make "899 s later" already expired.
    amz_date = dict(parse_qsl(urlsplit(url).query))["X-Amz-Date"]
    signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    s3_check.clock = lambda: signed_at + timedelta(seconds=899)
    assert s3_check.fetch(url) == (200, PAYLOAD)
    s3_check.clock = lambda: signed_at + timedelta(seconds=901)  # the link lifetime is 900 s
    status, body = s3_check.fetch(url)
    assert status == 403 and b"expired" in body


def test_a_presigned_link_to_a_deleted_object_serves_nothing(on_s3, client_a, tenant_a):
    message = message_make(tenant_a, make_partnership(tenant_a), payload=PAYLOAD)
    url = copied_links(client_a, message)["Copy EDI URL"]
    on_s3.delete(message.payload_key)
    status, _, body = http_get(url)
    # S3 answers 404, or 403 when the signer may not list the bucket (moto: 403).
    assert status in (403, 404) and PAYLOAD not in body
