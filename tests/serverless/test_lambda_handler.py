"""The app through Zappa's Lambda handler: API Gateway REST (v1) and HTTP (v2) events, schedules.

Zappa's `handler.lambda_handler` runs in this process with the settings module `zappa package`
would write (see the zappa_lambda fixture); S3 is the moto server, the database the test one
(PostgreSQL when DATABASE_URL is set).
"""

import base64
import logging
import re
from http.cookies import SimpleCookie
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django.core import mail

from tests.certificates.factories import certificate_for
from tests.conftest import PASSWORD, make_partnership
from tests.serverless.conftest import API_HOST

CONTEXT = SimpleNamespace(
    function_name="serverless-as2-production",
    aws_request_id="c0ffee00-0000-4000-8000-000000000000",
    get_remaining_time_in_millis=lambda: 30_000,
)
ORIGIN = f"https://{API_HOST}"


def rest_event(method: str, path: str, *, cookies: str = "", body: bytes = b"", **headers) -> dict:
    """An API Gateway REST API (payload v1) proxy event, binary support on: bodies in base64."""
    headers = {"Host": API_HOST, "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443", **headers}
    if cookies:
        headers["Cookie"] = cookies
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.strip("/")},
        "stageVariables": None,
        "requestContext": {
            "stage": "production",
            "httpMethod": method,
            "path": f"/production{path}",
            "identity": {"sourceIp": "203.0.113.9"},
        },
        "body": base64.b64encode(body).decode() if body else None,
        "isBase64Encoded": bool(body),
    }


def http_event(method: str, path: str, *, cookies: str = "", body: bytes = b"", **headers) -> dict:
    """An API Gateway HTTP API (payload v2) event on the $default stage."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "cookies": [cookie.strip() for cookie in cookies.split(";") if cookie.strip()],
        "headers": {"host": API_HOST, "x-forwarded-proto": "https", **headers},
        "requestContext": {
            "stage": "$default",
            "http": {"method": method, "path": path, "sourceIp": "203.0.113.9"},
        },
        "body": base64.b64encode(body).decode() if body else None,
        "isBase64Encoded": bool(body),
    }


def set_cookies(response: dict) -> dict[str, str]:
    """The cookies a Lambda response sets (v2: `cookies`; v1: `multiValueHeaders`)."""
    lines = response.get("cookies") or [
        value
        for name, values in response.get("multiValueHeaders", {}).items()
        if name.lower() == "set-cookie"
        for value in values
    ]
    jar = SimpleCookie()
    for line in lines:
        jar.load(line)
    return {name: morsel.value for name, morsel in jar.items()}


def body_of(response: dict) -> str:
    body = response.get("body") or ""
    return base64.b64decode(body).decode() if response.get("isBase64Encoded") else body


def header(response: dict, name: str) -> str:
    return {key.lower(): value for key, value in response["headers"].items()}[name.lower()]


@pytest.mark.parametrize(
    ("event", "prefix"),
    [(rest_event, "/production"), (http_event, "")],
    ids=["rest-v1", "http-v2"],
)
def test_log_in_through_zappas_handler(zappa_lambda, tenant_a, event, prefix):
    page = zappa_lambda(event("GET", "/accounts/login/"), CONTEXT)
    assert page["statusCode"] == 200
    assert not page.get("isBase64Encoded")  # text/html stays text under binary support
    html = body_of(page)
    csrf_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    csrf_cookie = set_cookies(page)["csrftoken"]

    form = urlencode(
        {"csrfmiddlewaretoken": csrf_token, "username": "a@example.com", "password": PASSWORD}
    ).encode()
    form_headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": ORIGIN}
    if not prefix:
        form_headers = {name.lower(): value for name, value in form_headers.items()}
    posted = zappa_lambda(
        event(
            "POST",
            "/accounts/login/",
            cookies=f"csrftoken={csrf_cookie}",
            body=form,
            **form_headers,
        ),
        CONTEXT,
    )
    assert posted["statusCode"] == 302, body_of(posted)
    assert header(posted, "Location") == f"{prefix}/"  # Home, under the stage prefix
    session = set_cookies(posted)["sessionid"]

    listed = zappa_lambda(
        event("GET", "/instances/", cookies=f"sessionid={session}"),
        CONTEXT,
    )
    assert listed["statusCode"] == 200
    assert "a@example.com" in body_of(listed)


def test_keystore_downloads_come_back_as_base64_binary_bytes_for_bytes(
    zappa_lambda, tenant_a, s3_storage
):
    from cryptography.hazmat.primitives.serialization import pkcs12
    from django.test import Client

    from serverless_as2.models import User
    from tests.certificates.factories import KEYSTORE_PASSWORD

    certificate = certificate_for(make_partnership(tenant_a))
    assert certificate.password_sealed.startswith("kms1:")  # sealed with KMS (moto server)
    browser = Client()
    browser.force_login(User.objects.get(tenant=tenant_a))
    session = f"sessionid={browser.cookies['sessionid'].value}"

    complete = zappa_lambda(
        http_event("GET", f"/certificates/{certificate.pk}/keystore/", cookies=session), CONTEXT
    )
    assert complete["statusCode"] == 200 and complete["isBase64Encoded"] is True
    with s3_storage.open(certificate.keystore_key, "rb") as stored:
        assert base64.b64decode(complete["body"]) == stored.read()

    # The partner keystore is built on the fly with the keystore password, opened through KMS.
    partner = zappa_lambda(
        rest_event("GET", f"/certificates/{certificate.pk}/partner-keystore/", cookies=session),
        CONTEXT,
    )
    assert partner["statusCode"] == 200 and partner["isBase64Encoded"] is True
    opened = pkcs12.load_pkcs12(base64.b64decode(partner["body"]), KEYSTORE_PASSWORD.encode())
    assert [cert.friendly_name for cert in opened.additional_certs] == [b"amazon"]


def test_a_login_post_without_the_csrf_token_is_refused(zappa_lambda, tenant_a):
    form = urlencode({"username": "a@example.com", "password": PASSWORD}).encode()
    posted = zappa_lambda(
        rest_event(
            "POST",
            "/accounts/login/",
            body=form,
            **{"Content-Type": "application/x-www-form-urlencoded", "Origin": ORIGIN},
        ),
        CONTEXT,
    )
    assert posted["statusCode"] == 403
    assert "sessionid" not in set_cookies(posted)


def scheduled_event(function: str) -> dict:
    """The EventBridge event Zappa's schedule sends, with the rule name Zappa gives it."""
    from zappa.core import Zappa

    rule = Zappa(load_credentials=False, aws_region="us-east-1").get_scheduled_event_name(
        {}, function, "serverless-as2-production"
    )
    return {
        "version": "0",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/{rule}"],
        "detail": {},
    }


# Scheduled work closes stale database connections as a request does: no test transaction
# may wrap it (transactional_db).


def test_the_daily_schedule_mails_expiry_warnings(zappa_lambda, transactional_db, tenant_a):
    certificate = certificate_for(make_partnership(tenant_a), validity_days=5)  # S3 on moto
    assert certificate.password_sealed.startswith("kms1:")
    result = zappa_lambda(
        scheduled_event("serverless_as2.lambda_events.check_certificates"), CONTEXT
    )
    assert result == {"command": "check_certificates", "ran": True}
    assert len(mail.outbox) == 1 and "our certificate expires in 4 days" in mail.outbox[0].body


def test_the_minute_schedule_runs_the_due_work_command(
    zappa_lambda, settings, capsys, transactional_db
):
    settings.DUE_WORK_COMMAND = "check_certificates"  # stands in for the worker's command
    result = zappa_lambda(scheduled_event("serverless_as2.lambda_events.run_due_work"), CONTEXT)
    assert result == {"command": "check_certificates", "ran": True}
    assert "No certificate expires within 30 days." in capsys.readouterr().out


def test_the_minute_schedule_says_when_the_due_work_command_is_missing(
    zappa_lambda, settings, caplog, transactional_db
):
    settings.DUE_WORK_COMMAND = "no_such_command"
    with caplog.at_level(logging.WARNING, logger="serverless_as2.lambda_events"):
        result = zappa_lambda(scheduled_event("serverless_as2.lambda_events.run_due_work"), CONTEXT)
    assert result == {"command": "no_such_command", "ran": False}
    assert "there is no management command 'no_such_command'" in caplog.text
