"""Copy EDI URL / Copy MDN URL: signed, time-limited links that open one file without a login."""

import json
import re
import time

import pytest
from django.core import signing
from django.test import Client

from tests.conftest import make_partnership
from tests.tracklog.factories import message_make
from tracklog import links


@pytest.fixture
def message(tenant_a):
    return message_make(
        tenant_a, make_partnership(tenant_a), payload=b"ISA*00*payload~\n", mdn=b"MDN bytes"
    )


def copied_links(client, message) -> dict[str, str]:
    page = client.get(f"/tracklog/{message.pk}/").content.decode()
    found = dict(re.findall(r'data-copy="([^"]+)"[^>]*>(Copy (?:EDI|MDN) URL)<', page))
    return {label: url for url, label in found.items()}


def fetch(url: str):
    response = Client().get(url)  # a fresh client: no cookies, no login
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body


def test_copied_links_open_their_file_without_a_login(client_a, message):
    urls = copied_links(client_a, message)
    assert set(urls) == {"Copy EDI URL", "Copy MDN URL"}
    assert urls["Copy EDI URL"].startswith("http://testserver/tracklog/file/")
    assert fetch(urls["Copy EDI URL"]) == (200, b"ISA*00*payload~\n")
    assert fetch(urls["Copy MDN URL"]) == (200, b"MDN bytes")


def test_the_list_offers_the_same_links(client_a, message):
    page = client_a.get("/tracklog/").content.decode()
    assert page.count("Copy EDI URL") == 1 and page.count("Copy MDN URL") == 1


def test_no_link_is_offered_for_a_file_that_is_not_stored(client_a, tenant_a):
    bare = message_make(tenant_a, make_partnership(tenant_a))
    assert copied_links(client_a, bare) == {}


def test_an_altered_link_is_refused(message):
    other = message_make(message.tenant, message.partnership, payload=b"other payload")
    token = links.file_link_token(message_pk=message.pk, kind=links.FileKind.EDI)
    value, stamp, signature = token.split(":")
    altered = [
        f"{value}:{stamp}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
        # another message's pk under this link's stamp and signature
        signing.b64_encode(json.dumps({"m": other.pk, "k": "edi"}).encode()).decode()
        + f":{stamp}:{signature}",
        token[:-3],
        "garbage",
        ":::",
    ]
    for bad in altered:
        status, body = fetch(f"/tracklog/file/{bad}/")
        assert status == 404, bad
        assert b"payload" not in body and b"This link is not valid" in body


def test_a_link_names_one_file_only(message):
    """Swapping the kind inside a signed link breaks it: an EDI link never opens the MDN."""
    token = links.file_link_token(message_pk=message.pk, kind=links.FileKind.EDI)
    value, stamp, signature = token.split(":")
    swapped = signing.b64_encode(json.dumps({"m": message.pk, "k": "mdn"}).encode()).decode()
    assert fetch(f"/tracklog/file/{swapped}:{stamp}:{signature}/")[0] == 404
    other_salt = signing.TimestampSigner(salt="another-salt").sign_object(
        {"m": message.pk, "k": "mdn"}
    )
    assert fetch(f"/tracklog/file/{other_salt}/")[0] == 404
    raw = signing.TimestampSigner(salt=links.SALT).sign_object({"m": message.pk, "k": "raw"})
    assert fetch(f"/tracklog/file/{raw}/")[0] == 404  # the raw message needs a login


class OldSigner(signing.TimestampSigner):
    """Signs as if it were two hours ago (a link copied then)."""

    def timestamp(self):
        return signing.b62_encode(int(time.time()) - 2 * 3600)


def test_an_expired_link_is_refused(message):
    old = OldSigner(salt=links.SALT).sign_object({"m": message.pk, "k": "edi"})
    status, body = fetch(f"/tracklog/file/{old}/")
    assert status == 404 and b"This link has expired" in body and b"payload" not in body


def test_the_lifetime_is_a_setting(message, settings):
    old = OldSigner(salt=links.SALT).sign_object({"m": message.pk, "k": "edi"})
    settings.TRACKLOG_LINK_MAX_AGE = 3 * 3600
    assert fetch(f"/tracklog/file/{old}/") == (200, b"ISA*00*payload~\n")


def test_a_link_to_a_deleted_message_is_a_404(message):
    token = links.file_link_token(message_pk=message.pk, kind=links.FileKind.MDN)
    message.delete()
    assert fetch(f"/tracklog/file/{token}/")[0] == 404


def test_links_and_downloads_work_on_s3(tenant_a, client_a, s3_storage):
    """The same pages on the moto S3 server: bytes come back, a deleted object is a clean 404.

    On S3 the copy buttons give presigned URLs (test_links_s3.py); a signed link of ours copied
    before still opens its file.
    """
    on_s3 = message_make(
        tenant_a, make_partnership(tenant_a), payload=b"ISA*s3~\n", mdn=b"MDN on S3"
    )
    token = links.file_link_token(message_pk=on_s3.pk, kind=links.FileKind.EDI)
    urls = {"Copy EDI URL": f"/tracklog/file/{token}/"}
    assert fetch(urls["Copy EDI URL"]) == (200, b"ISA*s3~\n")
    download = client_a.get(f"/tracklog/{on_s3.pk}/download/mdn/")
    assert b"".join(download.streaming_content) == b"MDN on S3"
    s3_storage.delete(on_s3.payload_key)
    status, body = fetch(urls["Copy EDI URL"])
    assert status == 404 and b"no longer stored" in body
    assert client_a.get(f"/tracklog/{on_s3.pk}/download/edi/").status_code == 404
