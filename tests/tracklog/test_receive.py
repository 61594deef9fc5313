"""The AS2 endpoint as partners meet it: openssl-made messages, duplicates, tampering, unknown
partners and tenants, security rules, rotated certificates, size limits, storage failures."""

import base64
import hashlib
import subprocess
import tracemalloc
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

import as2
from as2.mime import Headers, entity_from_headers, split_multipart
from certificates.models import PartnerCertificate
from certificates.services import partner_certificate_rotate
from serverless_as2.storage_keys import message_key
from tests.certificates.factories import pem_of, rsa_key, self_signed
from tests.conftest import free_port
from tests.tracklog.conftest import (
    endpoint_url,
    identity,
    partnership_with_certificate,
    retry_delays,
)
from tracklog.models import Direction, Message, Status
from tracklog.services import message_receive
from tracklog.tasks import due_work_run

PAYLOAD = b"ISA*00*\nGS*PO\r\nST*850\rx\x00\xff\xfe binary tail\r\n"
ENTITY = (
    b"Content-Type: application/EDI-X12\r\n"
    b"Content-Transfer-Encoding: binary\r\n"
    b'Content-Disposition: attachment; filename="po.x12"\r\n'
    b"\r\n" + PAYLOAD
)


@pytest.fixture
def beta(db, tenant_a, tenant_b, messaging_settings):
    """Tenant B's partnership beta → alpha (what receives), and A's alpha → beta (a sender)."""
    b_to_a = partnership_with_certificate(tenant_b, "beta", "alpha", "http://127.0.0.1:9/as2/")
    a_to_b = partnership_with_certificate(tenant_a, "alpha", "beta", "http://127.0.0.1:9/as2/")
    return b_to_a, a_to_b


def url_of(tenant) -> str:
    return endpoint_url("", tenant)


def post(client, url: str, headers: dict[str, str], body: bytes):
    headers = dict(headers)
    content_type = headers.pop("Content-Type")
    return client.post(url, data=body, content_type=content_type, headers=headers)


_DEFAULT = object()


def alpha_message(
    *,
    sign_key=_DEFAULT,
    sign_certificate=_DEFAULT,
    encrypt_certificate=_DEFAULT,
    mdn_mode: str = "sync",
    async_mdn_url: str | None = None,
    message_id: str | None = None,
) -> as2.OutboundMessage:
    """What alpha's AS2 software sends to beta (signed and encrypted unless told otherwise)."""
    key, certificate = identity("alpha")
    sign_key = key if sign_key is _DEFAULT else sign_key
    sign_certificate = certificate if sign_certificate is _DEFAULT else sign_certificate
    if encrypt_certificate is _DEFAULT:
        encrypt_certificate = identity("beta")[1]
    return as2.build_message(
        PAYLOAD,
        filename="po.x12",
        content_type="application/EDI-X12",
        sender="alpha",
        receiver="beta",
        subject="test",
        signer=as2.Signer(sign_key, sign_certificate) if sign_key else None,
        recipient=as2.Recipient(encrypt_certificate) if encrypt_certificate else None,
        mdn=as2.MdnRequest(mode=as2.MdnMode(mdn_mode), url=async_mdn_url),
        message_id=message_id,
    )


def mdn_of(response) -> as2.InboundMdn:
    headers = {name: value for name, value in response.headers.items()}
    return as2.parse_mdn(headers, response.content, partner_certificates=None)


def inbox(tenant) -> list[Message]:
    return list(Message.objects.filter(tenant=tenant, direction=Direction.INBOUND))


def stored(key: str) -> bytes:
    with default_storage.open(key, "rb") as file:
        return file.read()


# --- openssl as the partner --------------------------------------------------------------------


def openssl(*arguments) -> bytes:
    result = subprocess.run(["openssl", *map(str, arguments)], capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


@pytest.mark.requires_tool("openssl")
def test_a_message_made_by_openssl_is_accepted_byte_exact_with_the_right_mic(
    client, beta, tenant_b, tmp_path
):
    key, certificate = identity("alpha")
    from cryptography.hazmat.primitives import serialization

    (tmp_path / "alpha.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "alpha.pem").write_bytes(pem_of(certificate))
    (tmp_path / "beta.pem").write_bytes(pem_of(identity("beta")[1]))
    (tmp_path / "entity.mime").write_bytes(ENTITY)
    openssl(
        "cms", "-sign", "-binary", "-md", "sha256", "-in", tmp_path / "entity.mime",
        "-signer", tmp_path / "alpha.pem", "-inkey", tmp_path / "alpha.key",
        "-outform", "SMIME", "-out", tmp_path / "signed.eml",
    )  # fmt: skip
    openssl(
        "cms", "-encrypt", "-binary", "-aes-256-cbc", "-in", tmp_path / "signed.eml",
        "-outform", "DER", "-out", tmp_path / "body.p7m", tmp_path / "beta.pem",
    )  # fmt: skip
    headers = {
        "AS2-Version": "1.2",
        "AS2-From": "alpha",
        "AS2-To": "beta",
        "Message-ID": "<openssl-1@alpha.example>",
        "Subject": "made by openssl",
        "Content-Type": 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"',
        "Disposition-Notification-To": "edi@alpha.example",
        "Disposition-Notification-Options": (
            "signed-receipt-protocol=optional, pkcs7-signature; "
            "signed-receipt-micalg=optional, sha-256"
        ),
    }

    response = post(client, url_of(tenant_b), headers, (tmp_path / "body.p7m").read_bytes())

    assert response.status_code == 200
    mdn = mdn_of(response)
    assert mdn.disposition_type == "processed" and mdn.modifier is None
    # RFC 4130 7.3.1: the MIC is over the signed entity, headers included (openssl kept ENTITY).
    expected = base64.b64encode(hashlib.sha256(ENTITY).digest()).decode()
    assert mdn.mic == f"{expected}, sha-256"
    assert mdn.signed == "sha256"
    (message,) = inbox(tenant_b)
    assert message.status == Status.MDN_SENT
    assert stored(message.payload_key) == PAYLOAD
    assert message.filename == "po.x12"
    assert message.details["signer"]["serial"] == format(certificate.serial_number, "X")


# --- duplicates --------------------------------------------------------------------------------


def test_a_large_message_is_decrypted_and_stored_with_one_copy_of_its_payload(beta, tenant_b):
    payload = bytes(range(256)) * 40_000  # 10 MB
    key, certificate = identity("alpha")
    message = as2.build_message(
        payload,
        filename="big.bin",
        content_type="application/octet-stream",
        sender="alpha",
        receiver="beta",
        subject="large",
        signer=as2.Signer(key, certificate),
        recipient=as2.Recipient(identity("beta")[1]),
        mdn=as2.MdnRequest(),
    )
    tracemalloc.start()
    try:
        answer = message_receive(
            tenant_id=str(tenant_b.id), headers=dict(message.headers), body=message.body
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status == 200 and b"processed" in answer.body
    received = Message.objects.get(tenant=tenant_b, message_id=message.message_id)
    assert received.size == len(payload)
    assert hashlib.sha256(stored(received.payload_key)).digest() == hashlib.sha256(payload).digest()
    # The decrypted content once (the payload is stored from it, not from a copy of it).
    assert peak < 1.4 * len(payload)


def test_a_duplicate_gets_the_stored_mdn_again_and_the_tracklog_shows_the_repeat(
    client, beta, tenant_b
):
    built = alpha_message()
    first = post(client, url_of(tenant_b), built.headers, built.body)
    second = post(client, url_of(tenant_b), built.headers, built.body)
    third = post(client, url_of(tenant_b), built.headers, built.body)

    assert first.status_code == second.status_code == third.status_code == 200
    assert second.content == first.content == third.content  # the very MDN sent the first time
    assert second.headers["Message-ID"] == first.headers["Message-ID"]
    (message,) = inbox(tenant_b)
    assert message.details["duplicates"] == 2
    texts = [event.text for event in message.events.all()]
    assert sum("Duplicate received" in text for text in texts) == 2
    assert message.status == Status.MDN_SENT


def test_one_receive_writes_its_steps_in_one_insert_and_commits_once(
    transactional_db, client, beta, tenant_b
):
    """Steps are collected while the message is processed and written with the message in one
    transaction: one INSERT for all of them, one COMMIT, no savepoint per step."""
    built = alpha_message()
    post(client, url_of(tenant_b), alpha_message().headers, alpha_message().body)  # keys cached
    with CaptureQueriesContext(connection) as queries:
        response = post(client, url_of(tenant_b), built.headers, built.body)
    assert mdn_of(response).successful
    (message,) = Message.objects.filter(message_id=built.message_id)
    assert [event.status for event in message.events.all()] == [11, 12, 13, 14, 15]
    statements = [query["sql"] for query in queries.captured_queries]
    step_inserts = [
        sql for sql in statements if sql.startswith('INSERT INTO "tracklog_messageevent"')
    ]
    assert len(step_inserts) == 1  # all five steps, one statement
    transaction = [sql for sql in statements if sql.split()[0] in ("BEGIN", "COMMIT", "SAVEPOINT")]
    assert [sql.split()[0] for sql in transaction] == ["BEGIN", "COMMIT"]
    begin, commit = (statements.index(sql) for sql in transaction)
    assert begin < statements.index(step_inserts[0]) < commit


def test_the_raw_request_is_stored_before_decryption_starts(client, beta, tenant_b, monkeypatch):
    """A spy on the engine's parse entry point looks at storage when decryption starts (then
    calls the real parser): the raw request is there already, headers and body."""
    built = alpha_message()
    raw_key = message_key(
        tenant_b,
        partner_as2_id="alpha",
        my_as2_id="beta",
        direction="inbox",
        message_id=built.message_id.strip("<>"),
        name="message.raw",
    )
    parse = as2.parse_message
    seen_at_parse = []

    def spy(headers, body, **options):
        seen_at_parse.append(stored(raw_key) if default_storage.exists(raw_key) else None)
        return parse(headers, body, **options)

    monkeypatch.setattr(as2, "parse_message", spy)
    response = post(client, url_of(tenant_b), built.headers, built.body)

    assert mdn_of(response).successful
    (raw,) = seen_at_parse
    assert raw is not None, "decryption started before the raw request was stored"
    head, _, body = raw.partition(b"\r\n\r\n")
    assert body == built.body
    assert built.message_id.encode() in head  # with the HTTP headers as received
    (message,) = inbox(tenant_b)
    assert message.raw_key == raw_key


# --- failures that get an error MDN ------------------------------------------------------------


def test_a_tampered_message_fails_with_19_and_an_error_mdn_and_no_payload(client, beta, tenant_b):
    built = alpha_message(encrypt_certificate=None)
    body = built.body.replace(b"ST*850", b"ST*851")
    assert body != built.body

    response = post(client, url_of(tenant_b), built.headers, body)

    assert response.status_code == 200
    mdn = mdn_of(response)
    assert mdn.disposition_type == "processed"
    assert mdn.modifier in ("error: integrity-check-failed", "error: authentication-failed")
    (message,) = inbox(tenant_b)
    assert message.status == Status.INBOUND_FAILED
    assert message.payload_key == ""
    assert "altered" in message.error
    assert message.raw_key and stored(message.raw_key).endswith(body)  # kept for support


def test_an_unsigned_message_where_the_partnership_signs_is_insufficient_security(
    client, beta, tenant_b
):
    built = alpha_message(sign_key=None, sign_certificate=None)
    response = post(client, url_of(tenant_b), built.headers, built.body)
    assert mdn_of(response).modifier == "error: insufficient-message-security"
    (message,) = inbox(tenant_b)
    assert message.status == Status.INBOUND_FAILED
    assert "requires signed messages" in message.error


def test_an_unencrypted_message_where_the_partnership_encrypts_is_insufficient_security(
    client, beta, tenant_b
):
    b_to_a, _ = beta
    assert b_to_a.encrypt != "none"
    built = alpha_message(encrypt_certificate=None)  # signed, not encrypted
    response = post(client, url_of(tenant_b), built.headers, built.body)
    mdn = mdn_of(response)
    assert mdn.modifier == "error: insufficient-message-security"
    assert mdn.signed  # we can sign the error MDN: the partnership has our key
    (message,) = inbox(tenant_b)
    assert message.status == Status.INBOUND_FAILED
    assert "requires encrypted messages" in message.error
    assert message.payload_key == ""


def test_a_message_for_another_of_our_certificates_names_both(client, beta, tenant_b):
    other = self_signed(rsa_key(name="tracklog-other"), "beta-old")
    built = alpha_message(encrypt_certificate=other)
    response = post(client, url_of(tenant_b), built.headers, built.body)
    assert mdn_of(response).modifier == "error: decryption-failed"
    (message,) = inbox(tenant_b)
    assert format(other.serial_number, "X") in message.error  # what it was encrypted for
    assert message.details["our_certificate"]["serial"] == format(
        identity("beta")[1].serial_number, "X"
    )


# --- unknown partners and tenants: the same answer ---------------------------------------------


def test_unknown_partner_gets_an_unsigned_mdn_that_says_what_to_check(client, beta, tenant_b):
    built = alpha_message()
    headers = {**built.headers, "AS2-From": "gamma"}
    response = post(client, url_of(tenant_b), headers, built.body)
    assert response.status_code == 200
    mdn = mdn_of(response)
    assert mdn.modifier == "error: unknown-trading-partner"
    assert mdn.signed is None
    assert "AS2-From 'gamma' and AS2-To 'beta'" in mdn.text
    (message,) = inbox(tenant_b)
    assert message.partnership is None and message.status == Status.INBOUND_FAILED


def test_unknown_and_known_tenants_answer_a_bad_request_the_same_way(client, beta, tenant_b):
    import uuid

    unknown = f"/as2/{uuid.uuid4()}/"
    garbage = {"Content-Type": "text/plain"}
    known_bad = post(client, url_of(tenant_b), garbage, b"hello")
    unknown_bad = post(client, unknown, garbage, b"hello")
    assert known_bad.status_code == unknown_bad.status_code == 400
    assert known_bad.content == unknown_bad.content

    built = alpha_message()
    stranger = {**built.headers, "AS2-From": "gamma"}
    known = mdn_of(post(client, url_of(tenant_b), stranger, built.body))
    unknown_tenant = mdn_of(post(client, unknown, stranger, built.body))
    assert known.disposition == unknown_tenant.disposition
    assert known.text == unknown_tenant.text


def test_tenant_a_url_with_tenant_b_as2_ids_is_an_unknown_partnership(
    client, beta, tenant_a, tenant_b
):
    """alpha → beta is B's partnership; posted to A's URL, A must not route it to B."""
    built = alpha_message()
    response = post(client, url_of(tenant_a), built.headers, built.body)
    assert mdn_of(response).modifier == "error: unknown-trading-partner"
    assert inbox(tenant_b) == []


def test_a_partnership_without_certificate_says_to_create_one(client, db, tenant_b, settings):
    from tests.conftest import make_instance, make_partner, make_partnership

    make_partnership(tenant_b, make_instance(tenant_b, "beta"), make_partner(tenant_b, "alpha"))
    built = alpha_message()
    response = post(client, url_of(tenant_b), built.headers, built.body)
    mdn = mdn_of(response)
    assert mdn.modifier == "error: unknown-trading-partner" and mdn.signed is None
    assert "has no certificate yet" in mdn.text


def test_a_disabled_partner_is_refused_saying_so(client, beta, tenant_b):
    b_to_a, _ = beta
    b_to_a.partner.enabled = False
    b_to_a.partner.save()
    built = alpha_message()
    mdn = mdn_of(post(client, url_of(tenant_b), built.headers, built.body))
    assert "partner 'alpha' is disabled" in mdn.text


def test_a_disabled_instance_is_refused_with_an_mdn_saying_so(client, beta, tenant_b):
    b_to_a, _ = beta
    b_to_a.instance.enabled = False
    b_to_a.instance.save()
    built = alpha_message()
    response = post(client, url_of(tenant_b), built.headers, built.body)
    assert response.status_code == 200
    mdn = mdn_of(response)
    assert mdn.modifier == "error: unknown-trading-partner"
    assert "AS2 instance 'beta' is disabled" in mdn.text
    (message,) = inbox(tenant_b)
    assert message.status == Status.INBOUND_FAILED and message.payload_key == ""
    assert "is disabled" in message.error


# --- rotated partner certificates ---------------------------------------------------------------


def test_signed_with_the_previous_certificate_is_accepted_with_a_warning_during_the_overlap(
    client, beta, tenant_b, settings
):
    b_to_a, _ = beta
    new_alpha = self_signed(rsa_key(name="tracklog-alpha-new"), "alpha")
    partner_certificate_rotate(
        certificate=b_to_a.certificate, partner_certificate_file=pem_of(new_alpha)
    )
    built = alpha_message()  # still signed with the old key
    response = post(client, url_of(tenant_b), built.headers, built.body)
    assert mdn_of(response).modifier is None
    (message,) = inbox(tenant_b)
    assert message.status == Status.MDN_SENT
    today = timezone.now().date().isoformat()
    assert message.details["previous_certificate_replaced_on"] == today
    assert any("previous certificate" in warning for warning in message.details["warnings"])
    assert message.details["expected_signer"]["serial"] == format(new_alpha.serial_number, "X")


def test_signed_with_a_certificate_replaced_long_ago_fails_saying_when(client, beta, tenant_b):
    b_to_a, _ = beta
    new_alpha = self_signed(rsa_key(name="tracklog-alpha-new"), "alpha")
    partner_certificate_rotate(
        certificate=b_to_a.certificate, partner_certificate_file=pem_of(new_alpha)
    )
    long_ago = timezone.now() - timedelta(days=45)
    PartnerCertificate.objects.filter(in_use_until__isnull=False).update(in_use_until=long_ago)
    built = alpha_message()
    response = post(client, url_of(tenant_b), built.headers, built.body)
    assert mdn_of(response).modifier == "error: authentication-failed"
    (message,) = inbox(tenant_b)
    assert f"replaced on {long_ago.date().isoformat()}" in message.error
    assert message.payload_key == ""


# --- limits and failures of ours ---------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_before_it_is_read(client, beta, tenant_b, settings):
    settings.MAX_MESSAGE_BYTES = 1000
    built = alpha_message()
    response = post(client, url_of(tenant_b), built.headers, built.body)
    assert response.status_code == 413
    assert b"larger than this endpoint accepts" in response.content
    assert inbox(tenant_b) == []


def test_when_storage_fails_the_partner_gets_503_and_nothing_is_recorded(
    client, beta, tenant_b, settings, tmp_path
):
    built = alpha_message()
    post(client, url_of(tenant_b), alpha_message().headers, alpha_message().body)  # keys cached
    Message.objects.all().delete()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the storage folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "files")},
        },
    }
    response = post(client, url_of(tenant_b), built.headers, built.body)
    assert response.status_code == 503
    assert b"Send it again later" in response.content
    assert inbox(tenant_b) == []


def test_a_get_is_not_a_message(client, beta, tenant_b):
    assert client.get(url_of(tenant_b)).status_code == 405


def test_split_signed_mdn_is_recognised_as_an_mdn():
    from tracklog import engine

    key, certificate = identity("beta")
    envelope = as2.read_envelope(alpha_message().headers)
    mdn = as2.build_mdn(original=envelope, signer=as2.Signer(key, certificate))
    assert engine.is_mdn(dict(mdn.headers), mdn.body)
    parts = split_multipart(entity_from_headers(Headers.of(mdn.headers), mdn.body))
    assert parts[0].content_type.value == "multipart/report"
    built = alpha_message(encrypt_certificate=None)
    assert not engine.is_mdn(dict(built.headers), built.body)


# --- never a 500 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"AS2-From": "x" * 200},
        {"AS2-To": "béta"},
        {"Message-ID": "<" + "m" * 1200 + "@x>"},
        {"Content-Type": "multipart/signed; boundary="},
        {"Content-Type": "application/pkcs7-mime; smime-type=enveloped-data\r0"},
        {"Content-Type": "multipart/report; boundary=zz"},
        {"Disposition-Notification-Options": "signed-receipt-micalg=optional, md5, ;;;"},
        {"Receipt-Delivery-Option": "http://169.254.169.254/latest/"},
    ],
)
def test_odd_headers_get_a_sentence_never_a_500(client, beta, tenant_b, changes):
    built = alpha_message()
    response = post(client, url_of(tenant_b), {**built.headers, **changes}, built.body)
    assert response.status_code in (200, 400)
    assert response.content


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.binary(max_size=2000), cut=st.integers(min_value=0, max_value=4000))
def test_any_body_gets_an_answer_never_a_500(client, beta, tenant_b, body, cut):
    built = alpha_message()
    mangled = built.body[:cut] + body
    headers = {**built.headers, "Message-ID": f"<fuzz-{hashlib.sha1(mangled).hexdigest()}@x>"}  # noqa: S324
    response = post(client, url_of(tenant_b), headers, mangled)
    assert response.status_code == 200  # an MDN, processed or error
    assert mdn_of(response).disposition


# --- async MDNs we send ----------------------------------------------------------------------------


def test_an_async_mdn_is_posted_by_the_worker_and_retried_until_it_arrives(
    client, beta, tenant_b, partner_server
):
    answers = iter([(503, {}, b"busy"), (200, {}, b"thanks")])
    partner = partner_server(lambda headers, body: next(answers))
    built = alpha_message(mdn_mode="async", async_mdn_url=partner.url)
    response = post(client, url_of(tenant_b), built.headers, built.body)
    assert response.status_code == 200 and b"asynchronously" in response.content
    (message,) = inbox(tenant_b)
    assert message.status == Status.MDN_CREATED and partner.requests == []

    due_work_run()  # first POST: 503, retried (the retry delay is 0 in tests)
    message.refresh_from_db()
    assert (
        message.status == Status.MDN_CREATED
        and "HTTP 503" in message.details["attempts"][0]["error"]
    )
    due_work_run()
    message.refresh_from_db()
    assert message.status == Status.MDN_SENT
    headers, body = partner.requests[-1]
    mdn = as2.parse_mdn(headers, body, partner_certificates=[identity("beta")[1]])
    assert mdn.original_message_id == built.message_id and mdn.mic == built.mic


def test_an_async_mdn_that_cannot_be_delivered_backs_off_exponentially(
    client, beta, tenant_b, messaging_settings
):
    messaging_settings.SEND_RETRY_BASE_SECONDS = 45.0
    messaging_settings.SEND_ATTEMPTS = 4
    built = alpha_message(mdn_mode="async", async_mdn_url=f"http://127.0.0.1:{free_port()}/mdn")
    post(client, url_of(tenant_b), built.headers, built.body)
    (message,) = inbox(tenant_b)
    assert due_work_run() == 1  # the first attempt is due at once

    assert retry_delays(message) == [45.0, 90.0, 180.0]  # base × 2^n, n = 0 … 2
    assert message.status == Status.INBOUND_FAILED and message.attempts == 4
    assert len(message.details["attempts"]) == 4


def test_an_async_mdn_to_an_internal_address_is_refused_not_posted(
    client, beta, tenant_b, messaging_settings
):
    messaging_settings.ALLOW_PRIVATE_PARTNER_URLS = False
    built = alpha_message(mdn_mode="async", async_mdn_url="http://10.0.0.5/mdn")
    post(client, url_of(tenant_b), built.headers, built.body)
    due_work_run()
    (message,) = inbox(tenant_b)
    assert message.status == Status.INBOUND_FAILED
    assert "internal address" in message.error
    assert stored(message.payload_key) == PAYLOAD  # the payload itself was received


def test_an_mdn_for_no_message_of_ours_is_refused_with_a_sentence(client, beta, tenant_a):
    key, certificate = identity("beta")
    envelope = as2.read_envelope(
        {"AS2-From": "alpha", "AS2-To": "beta", "Message-ID": "<never-sent@alpha>"}
    )
    mdn = as2.build_mdn(original=envelope, signer=as2.Signer(key, certificate))
    response = post(client, url_of(tenant_a), mdn.headers, mdn.body)
    assert response.status_code == 400
    assert b"<never-sent@alpha>" in response.content


def test_an_mdn_naming_an_unprintable_message_id_is_refused_not_answered_503(
    client, beta, tenant_a
):
    """None of our Message-IDs has a NUL, and PostgreSQL cannot even look one up."""
    key, certificate = identity("beta")
    envelope = as2.read_envelope(
        {"AS2-From": "alpha", "AS2-To": "beta", "Message-ID": "<never\x00sent@alpha>"}
    )
    mdn = as2.build_mdn(original=envelope, signer=as2.Signer(key, certificate))
    response = post(client, url_of(tenant_a), mdn.headers, mdn.body)
    assert response.status_code == 400
    assert b"that this MDN answers" in response.content


def test_a_signer_whose_certificate_expired_is_accepted_with_a_warning(client, beta, tenant_b):
    """Time passes: the partner's certificate on record (and in their signature) has expired."""
    from datetime import UTC, datetime

    b_to_a, _ = beta
    key = identity("alpha")[0]
    expired = self_signed(
        key,
        "alpha",
        not_before=datetime.now(UTC) - timedelta(days=400),
        not_after=datetime.now(UTC) - timedelta(days=3),
    )
    PartnerCertificate.objects.filter(certificate__partnership=b_to_a).update(
        pem=pem_of(expired).decode()
    )
    built = alpha_message(sign_certificate=expired)
    response = post(client, url_of(tenant_b), built.headers, built.body)
    assert mdn_of(response).modifier is None
    (message,) = inbox(tenant_b)
    assert message.status == Status.MDN_SENT
    (warning,) = message.details["warnings"]
    assert "expired on" in warning and "accepted" in warning


def test_a_failed_message_sent_again_is_processed_again_on_the_same_row(client, beta, tenant_b):
    """The partner encrypted for an old certificate of ours, fixed it, and resent the same
    Message-ID: a failure was not processed, so the resend is (not answered as a duplicate)."""
    other = self_signed(rsa_key(name="tracklog-other"), "beta-old")
    wrong = alpha_message(encrypt_certificate=other)
    post(client, url_of(tenant_b), wrong.headers, wrong.body)
    (failed,) = inbox(tenant_b)
    assert failed.status == Status.INBOUND_FAILED

    fixed = alpha_message(message_id=wrong.message_id)
    response = post(client, url_of(tenant_b), fixed.headers, fixed.body)

    assert mdn_of(response).modifier is None
    (message,) = inbox(tenant_b)
    assert message.pk == failed.pk and message.status == Status.MDN_SENT
    assert message.error == ""
    assert stored(message.payload_key) == PAYLOAD
    texts = [event.text for event in message.events.all()]
    assert any("after a failure" in text for text in texts)
    again = post(client, url_of(tenant_b), fixed.headers, fixed.body)  # now a true duplicate
    assert again.content == response.content


def test_a_chunked_upload_without_content_length_is_read(client, beta, tenant_b, settings):
    """gunicorn passes chunked bodies with wsgi.input_terminated and no CONTENT_LENGTH."""
    import io

    built = alpha_message()
    headers = {
        f"HTTP_{name.upper().replace('-', '_')}": value for name, value in built.headers.items()
    }
    environ = {
        **headers,
        "CONTENT_TYPE": built.headers["Content-Type"],
        "wsgi.input": io.BytesIO(built.body),
        "wsgi.input_terminated": True,
    }
    response = client.generic("POST", url_of(tenant_b), b"", **environ)
    assert response.status_code == 200 and mdn_of(response).modifier is None

    settings.MAX_MESSAGE_BYTES = 1000
    environ["wsgi.input"] = io.BytesIO(built.body)
    environ["HTTP_MESSAGE_ID"] = "<another@alpha>"
    assert client.generic("POST", url_of(tenant_b), b"", **environ).status_code == 413


def test_a_message_signed_by_a_stranger_names_both_certificates(client, beta, tenant_b):
    stranger_key = rsa_key(name="tracklog-stranger")
    stranger = self_signed(stranger_key, "mallory")
    built = alpha_message(sign_key=stranger_key, sign_certificate=stranger)
    response = post(client, url_of(tenant_b), built.headers, built.body)
    assert mdn_of(response).modifier == "error: authentication-failed"
    (message,) = inbox(tenant_b)
    assert message.details["signer"]["subject"] == "CN=mallory"
    assert message.details["signer"]["serial"] == format(stranger.serial_number, "X")
    assert message.details["expected_signer"]["subject"] == "CN=alpha"
    assert message.payload_key == ""


def test_partner_credentials_are_not_kept_with_the_message(client, beta, tenant_b):
    built = alpha_message()
    headers = {**built.headers, "Authorization": "Basic YWxwaGE6czNjcmV0"}
    post(client, url_of(tenant_b), headers, built.body)
    (message,) = inbox(tenant_b)
    assert message.headers["Authorization"] == "(hidden)"
    assert b"YWxwaGE6czNjcmV0" not in stored(message.raw_key)


@pytest.mark.parametrize("filename", ["message.raw", "mdn.raw", "../message.raw"])
def test_a_payload_named_like_the_messages_own_files_replaces_none_of_them(
    client, beta, tenant_b, filename
):
    """The raw message and the MDN we sent stay what they were, whatever the partner's file
    name: the payload has a folder of its own."""
    built = as2.build_message(
        PAYLOAD,
        filename=filename,
        content_type="application/EDI-X12",
        sender="alpha",
        receiver="beta",
        subject="test",
        signer=as2.Signer(*identity("alpha")),
        recipient=as2.Recipient(identity("beta")[1]),
    )
    response = post(client, url_of(tenant_b), built.headers, built.body)
    assert mdn_of(response).successful
    message = Message.objects.get(message_id=built.message_id)
    keys = {message.raw_key, message.payload_key, message.mdn_key}
    assert len(keys) == 3
    with default_storage.open(message.raw_key, "rb") as file:
        assert file.read().endswith(built.body)
    with default_storage.open(message.payload_key, "rb") as file:
        assert file.read() == PAYLOAD
