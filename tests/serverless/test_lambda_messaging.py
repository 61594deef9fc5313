"""AS2 messaging through Zappa's Lambda handler: inbound POST with a sync MDN, the minute schedule,
and Send File whose message reaches a live partner server through the schedule.

S3 and KMS are the moto server; the database the test one (PostgreSQL when DATABASE_URL is set).
"""

import base64
import hashlib
import logging
import re
import shutil

import boto3
import pytest
from django.core.management import get_commands
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

import as2
from tests.serverless.test_lambda_handler import (
    CONTEXT,
    ORIGIN,
    body_of,
    header,
    http_event,
    rest_event,
    scheduled_event,
    set_cookies,
)
from tests.tracklog.conftest import (
    Partner,
    beta_mdn,
    endpoint_url,
    identity,
    partnership_with_certificate,
)
from tests.tracklog.test_receive import ENTITY, PAYLOAD, openssl
from tracklog.models import Direction, Message, MicCheck, Status


@pytest.fixture
def messaging(settings):
    settings.ALLOW_PRIVATE_PARTNER_URLS = True  # the partner's server is on 127.0.0.1
    settings.SEND_ATTEMPTS = 2
    settings.SEND_RETRY_BASE_SECONDS = 0.0
    settings.SEND_TIMEOUT_SECONDS = 5.0
    settings.SEND_CONNECT_TIMEOUT_SECONDS = 2.0
    return settings


def s3_object(storage, key: str) -> bytes:
    """A stored object read straight from the moto server, not through our storage."""
    client = boto3.client("s3", endpoint_url=storage.endpoint_url, region_name="us-east-1")
    return client.get_object(Bucket=storage.bucket_name, Key=key)["Body"].read()


def openssl_message(tmp_path) -> bytes:
    """ENTITY signed by alpha (SHA-256) and encrypted for beta (AES-256), made by openssl."""
    from cryptography.hazmat.primitives import serialization

    key, certificate = identity("alpha")
    (tmp_path / "alpha.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "alpha.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "beta.pem").write_bytes(
        identity("beta")[1].public_bytes(serialization.Encoding.PEM)
    )
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
    return (tmp_path / "body.p7m").read_bytes()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
@pytest.mark.parametrize("event", [rest_event, http_event], ids=["rest-v1", "http-v2"])
def test_an_inbound_as2_post_gets_a_signed_sync_mdn_whose_mic_matches(
    zappa_lambda, s3_storage, tenant_b, messaging, tmp_path, event
):
    partnership_with_certificate(tenant_b, "beta", "alpha", "http://127.0.0.1:9/as2/")
    body = openssl_message(tmp_path)
    assert b"\x00" in body or any(byte > 127 for byte in body)  # binary: base64 in the event
    headers = {
        "AS2-Version": "1.2",
        "AS2-From": "alpha",
        "AS2-To": "beta",
        "Message-ID": "<lambda-1@alpha.example>",
        "Subject": "through Lambda",
        "Content-Type": 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"',
        "Disposition-Notification-To": "edi@alpha.example",
        "Disposition-Notification-Options": (
            "signed-receipt-protocol=optional, pkcs7-signature; "
            "signed-receipt-micalg=optional, sha-256"
        ),
    }
    if event is http_event:
        headers = {name.lower(): value for name, value in headers.items()}

    answer = zappa_lambda(event("POST", endpoint_url("", tenant_b), body=body, **headers), CONTEXT)

    assert answer["statusCode"] == 200, body_of(answer)
    assert answer["isBase64Encoded"] is True  # the MDN is binary-safe through API Gateway
    mdn_body = base64.b64decode(answer["body"])
    mdn_headers = {name: value for name, value in answer["headers"].items()}
    mdn = as2.parse_mdn(
        mdn_headers, mdn_body, partner_certificates=[identity("beta")[1]], require_signature=True
    )
    assert mdn.disposition_type == "processed" and mdn.modifier is None
    assert mdn.signed == "sha256"
    # RFC 4130 7.3.1: the MIC is over the signed entity as openssl signed it, computed by hashlib.
    assert mdn.mic == f"{base64.b64encode(hashlib.sha256(ENTITY).digest()).decode()}, sha-256"
    (message,) = Message.objects.filter(tenant=tenant_b, direction=Direction.INBOUND)
    assert message.status == Status.MDN_SENT
    assert message.payload_key.startswith(f"private/{tenant_b.id}/")
    assert s3_object(s3_storage, message.payload_key) == PAYLOAD  # byte for byte, on S3


def test_the_minute_schedule_runs_the_messaging_due_work_command(
    zappa_lambda, settings, capsys, transactional_db
):
    assert settings.DUE_WORK_COMMAND == "as2_run_due"
    assert get_commands()["as2_run_due"] == "tracklog"  # the worker's sweep, not a stand-in
    result = zappa_lambda(scheduled_event("serverless_as2.lambda_events.run_due_work"), CONTEXT)
    assert result == {"command": "as2_run_due", "ran": True}
    assert "Handled 0 due message(s)." in capsys.readouterr().out


def test_send_file_through_the_handler_reaches_the_partner_on_the_minute_schedule(
    zappa_lambda, s3_storage, transactional_db, tenant_a, messaging, moto_s3_url, caplog
):
    from django.test import Client

    from serverless_as2.models import User

    # On Lambda, a task is an asynchronous invocation of the function. Here the function does not
    # exist (moto answers ResourceNotFound): the invocation is dropped, and the schedule catches it.
    messaging.LAMBDA_FUNCTION_NAME = "serverless-as2-production"
    messaging.TASKS = {
        "default": {
            "BACKEND": "serverless_as2.lambda_tasks.LambdaBackend",
            "QUEUES": ["default"],
            "OPTIONS": {"endpoint_url": moto_s3_url},
        }
    }
    partner = Partner(beta_mdn)
    try:
        partnership = partnership_with_certificate(
            tenant_a, "alpha", "beta", partner.url, mdn_mode="sync", mdn_sign="sha256"
        )
        browser = Client()
        browser.force_login(User.objects.get(tenant=tenant_a))
        session = f"sessionid={browser.cookies['sessionid'].value}"
        page = zappa_lambda(rest_event("GET", "/send/", cookies=session), CONTEXT)
        assert page["statusCode"] == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body_of(page)).group(1)
        cookies = f"{session}; csrftoken={set_cookies(page)['csrftoken']}"
        payload = b"ISA*00*LAMBDA~\r\n\x00\xffbinary order\r\n"

        from django.core.files.uploadedfile import SimpleUploadedFile

        form = encode_multipart(
            BOUNDARY,
            {
                "csrfmiddlewaretoken": token,
                "partnership": str(partnership.pk),
                "files": [SimpleUploadedFile("order 7.edi", payload)],
                "content_type": "application/EDI-X12",
                "subject": "from Lambda",
            },
        )
        posted = zappa_lambda(
            rest_event(
                "POST",
                "/send/",
                cookies=cookies,
                body=form,
                **{"Content-Type": MULTIPART_CONTENT, "Origin": ORIGIN},
            ),
            CONTEXT,
        )
        assert posted["statusCode"] == 302, body_of(posted)
        assert header(posted, "Location").startswith("/production/tracklog/?id=")
        (queued,) = Message.objects.filter(tenant=tenant_a, direction=Direction.OUTBOUND)
        assert queued.status == Status.ORIGINAL_SAVED
        assert "was not handed to Lambda" in caplog.text
        assert partner.requests == []

        result = zappa_lambda(scheduled_event("serverless_as2.lambda_events.run_due_work"), CONTEXT)

        assert result == {"command": "as2_run_due", "ran": True}
        (request,) = partner.requests
        assert request[0]["AS2-From"] == "alpha" and request[0]["AS2-To"] == "beta"
        key, certificate = identity("beta")
        received = as2.parse_message(
            request[0], request[1], keys=as2.ReceiverKeys(key, certificate, (identity("alpha")[1],))
        )
        assert received.payload == payload  # what the partner's server got, decrypted by it
        queued.refresh_from_db()
        assert queued.status == Status.MDN_SAVED, queued.error
        assert queued.mdn_mic_check == MicCheck.MATCHED
        assert s3_object(s3_storage, queued.payload_key) == payload
    finally:
        partner.close()


def test_a_retry_on_lambda_is_left_to_the_schedule_without_an_error_logged(
    settings, db, caplog, moto_s3_url, aws_credentials
):
    from tracklog.tasks import message_deliver_enqueue

    settings.LAMBDA_FUNCTION_NAME = "serverless-as2-production"
    settings.TASKS = {
        "default": {
            "BACKEND": "serverless_as2.lambda_tasks.LambdaBackend",
            "QUEUES": ["default"],
            "OPTIONS": {"endpoint_url": moto_s3_url},
        }
    }
    with caplog.at_level(logging.INFO):
        message_deliver_enqueue(message_pk=1, delay=60)  # Lambda cannot defer an invocation
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []
