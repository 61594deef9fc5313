"""Request size limits, no-store pages, the login rate limit, secure production sessions."""

import logging
import subprocess
import sys

import pytest
from axes.models import AccessAttempt
from django.test import Client

from tests.conftest import PASSWORD
from tests.serverless_as2.test_settings import ROOT, app_env

GIGABYTE = 1024**3


class UnreadableBody:
    """A request body that must not be read: the request is refused on its headers alone."""

    def read(self, *args):
        raise AssertionError("the body of an over-large request was read")

    readline = read


def post_of_length(client: Client, path: str, length: int, content_type: str):
    return client.generic(
        "POST",
        path,
        CONTENT_TYPE=content_type,
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": UnreadableBody()},
    )


@pytest.mark.parametrize(
    "content_type", ["multipart/form-data; boundary=xyz", "application/x-www-form-urlencoded"]
)
def test_an_anonymous_1_gb_post_to_the_login_page_is_refused_before_it_is_read(db, content_type):
    response = post_of_length(Client(), "/accounts/login/", GIGABYTE, content_type)
    assert response.status_code == 413
    assert "larger than this page accepts" in response.content.decode()


def test_each_route_has_its_own_body_limit(client_a, settings):
    multipart = "multipart/form-data; boundary=xyz"
    # Certificate pages take a keystore and a certificate of up to 1 MB each, no more.
    assert post_of_length(client_a, "/certificates/new/", 4 * 1024**2, multipart).status_code == 413
    # Send File takes files up to the largest message.
    limit = settings.REQUEST_BODY_LIMITS["send/"]
    assert post_of_length(client_a, "/send/", limit + 1, multipart).status_code == 413
    # Other pages (the admin included) take a small form.
    assert post_of_length(client_a, "/admin/login/", 300_000, multipart).status_code == 413
    assert post_of_length(client_a, "/partners/new/", 300_000, multipart).status_code == 413


def test_a_body_within_the_routes_limit_reaches_the_page(client_a):
    # 2 MB of upload on a certificate page is read: the form answers (it is not a 413).
    body = b"--xyz\r\nContent-Disposition: form-data; name=a\r\n\r\n" + b"x" * 2_000_000
    body += b"\r\n--xyz--\r\n"
    response = client_a.generic(
        "POST", "/certificates/new/", body, "multipart/form-data; boundary=xyz"
    )
    assert response.status_code == 200


def test_the_as2_endpoint_keeps_its_own_limit(tenant_a, settings):
    settings.MAX_MESSAGE_BYTES = 1000
    response = post_of_length(
        Client(), f"/as2/{tenant_a.id}/", 1001, "application/pkcs7-mime; smime-type=enveloped-data"
    )
    assert response.status_code == 413
    assert "larger than this endpoint accepts (1,000 bytes)" in response.content.decode()


def test_a_malformed_content_length_is_a_clear_400(db):
    response = Client().generic(
        "POST", "/accounts/login/", b"", "text/plain", CONTENT_LENGTH="lots"
    )
    assert response.status_code == 400
    assert "Content-Length" in response.content.decode()


@pytest.mark.parametrize("path", ["/tracklog/", "/instances/", "/certificates/", "/admin/"])
def test_app_pages_are_never_stored_by_browsers_or_proxies(admin_client, client_a, path):
    client = admin_client if path == "/admin/" else client_a
    response = client.get(path)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_the_login_page_is_not_stored_either(db):
    assert "no-store" in Client().get("/accounts/login/")["Cache-Control"]


def test_static_files_stay_cacheable(db):
    response = Client().get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def login(client: Client, email: str, password: str):
    return client.post("/accounts/login/", {"username": email, "password": password})


def test_wrong_passwords_are_rate_limited_and_logged_without_the_password(
    tenant_a, settings, caplog
):
    settings.AXES_FAILURE_LIMIT = 5
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    wrong = "Wrong-Horse-Battery-1"
    with caplog.at_level(logging.DEBUG):
        answers = [login(attacker, "A@Example.com ", f"{wrong}{n}").status_code for n in range(8)]
    # The form answers the first four, the fifth failure locks the pair out: no more tries,
    # whatever the case of the e-mail.
    assert answers[:4] == [200] * 4
    assert answers[5:] == [429] * 3
    # Even the right password is refused from there until the lockout ends.
    assert login(attacker, "a@example.com", PASSWORD).status_code == 429
    # The user, from their own address, still logs in.
    assert login(Client(REMOTE_ADDR="198.51.100.7"), "a@example.com", PASSWORD).status_code == 302

    failures = [record for record in caplog.records if "failed" in record.getMessage().lower()]
    assert failures, "failed logins are logged"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "a@example.com" in logged and "203.0.113.9" in logged
    assert wrong not in logged and PASSWORD not in logged
    for attempt in AccessAttempt.objects.all():
        stored = f"{attempt.get_data} {attempt.post_data} {attempt.username}"
        assert wrong not in stored and PASSWORD not in stored


def test_a_right_password_resets_the_count(tenant_a, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client(REMOTE_ADDR="203.0.113.10")
    for _ in range(2):
        assert login(client, "a@example.com", "not-the-password-1").status_code == 200
    assert login(client, "a@example.com", PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        assert login(client, "a@example.com", "not-the-password-1").status_code == 200
    assert login(client, "a@example.com", PASSWORD).status_code == 302


def test_an_address_guessing_across_e_mails_is_refused_at_its_own_limit(tenant_a, settings):
    """A fresh e-mail per guess must not buy a fresh count (and a password hash of our CPU)."""
    settings.AXES_FAILURE_LIMIT = 5
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    guesser = Client(REMOTE_ADDR="203.0.113.11")
    answers = [
        login(guesser, f"user{n}@example.com", "Wrong-Horse-1").status_code for n in range(10)
    ]
    assert answers == [200] * 7 + [429] * 3  # axes refuses the attempt that reaches the limit
    # Refused before any password is checked: even the right one, for an e-mail never tried.
    assert login(guesser, "a@example.com", PASSWORD).status_code == 429
    # Other addresses are not affected.
    assert login(Client(REMOTE_ADDR="198.51.100.8"), "a@example.com", PASSWORD).status_code == 302


def test_logging_in_does_not_reset_the_addresss_count_of_guesses(tenant_a, settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 4
    client = Client(REMOTE_ADDR="203.0.113.12")
    for n in range(3):
        assert login(client, f"user{n}@example.com", "Wrong-Horse-1").status_code == 200
    assert login(client, "a@example.com", PASSWORD).status_code == 302  # one's own account
    client.logout()
    # The 4th guess reaches the limit (axes refuses the attempt that reaches it): had the login
    # reset the count, it would be the first.
    assert login(client, "user9@example.com", "Wrong-Horse-1").status_code == 429


def test_behind_our_proxy_logins_are_counted_by_the_address_it_saw(tenant_a, settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    settings.PROXY_COUNT = 1

    def through_proxy(client_address: str, claimed: str = "") -> Client:
        forwarded = f"{claimed}, {client_address}" if claimed else client_address
        return Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    answers = [
        login(
            through_proxy("203.0.113.13", claimed=f"10.0.0.{n}"),  # spoofed hops, ignored
            f"user{n}@example.com",
            "Wrong-Horse-1",
        ).status_code
        for n in range(3)
    ]
    assert answers == [200, 200, 429]
    assert login(through_proxy("203.0.113.13"), "x@example.com", "w").status_code == 429
    # Everyone else behind the same proxy logs in.
    assert login(through_proxy("198.51.100.9"), "a@example.com", PASSWORD).status_code == 302


def test_a_forwarded_entry_that_is_no_address_counts_as_the_proxys(tenant_a, settings):
    """Some proxies append a port, or "unknown"; PostgreSQL's inet column takes neither."""
    settings.AXES_FAILURE_LIMIT = 3
    settings.PROXY_COUNT = 1
    for forwarded in ("203.0.113.15:4711", "unknown"):
        client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
        assert login(client, "a@example.com", "Wrong-Horse-1").status_code == 200
    assert AccessAttempt.objects.get().ip_address == "127.0.0.1"


def test_behind_a_proxy_nobody_named_one_stranger_cannot_lock_everyone_out(
    tenant_a, settings, caplog
):
    """Every login seems to come from the proxy: the per-address limit would be everyone's."""
    settings.AXES_FAILURE_LIMIT = 5
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    settings.PROXY_COUNT = 0

    def through_proxy(client_address: str) -> Client:
        return Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=client_address)

    with caplog.at_level(logging.WARNING):
        for n in range(6):
            login(through_proxy("203.0.113.16"), f"user{n}@example.com", "Wrong-Horse-1")
    assert login(through_proxy("198.51.100.10"), "a@example.com", PASSWORD).status_code == 302
    assert "SAS2_PROXY_COUNT" in caplog.text
    # The per-e-mail limit still holds.
    for _ in range(5):
        login(through_proxy("203.0.113.16"), "b@example.com", "Wrong-Horse-1")
    assert login(through_proxy("198.51.100.10"), "b@example.com", "x").status_code == 429


def test_without_a_proxy_setting_x_forwarded_for_is_not_believed(tenant_a, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for n in range(2):
        client = Client(REMOTE_ADDR="203.0.113.14", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
        login(client, "a@example.com", "Wrong-Horse-1")
    client = Client(REMOTE_ADDR="203.0.113.14", HTTP_X_FORWARDED_FOR="10.0.0.99")
    assert login(client, "a@example.com", PASSWORD).status_code == 429


def test_sessions_are_secure_in_production(tmp_path):
    env = app_env(
        tmp_path,
        SAS2_PRODUCTION="1",
        DJANGO_SECRET_KEY="k" * 20 + "a-long-random-production-secret-key-value-0123456789",
    )
    show = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SESSION_COOKIE_SAMESITE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0, "
        "s.SESSION_COOKIE_AGE <= 12 * 3600)"
    )
    result = subprocess.run(
        [sys.executable, "-c", show], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.stdout.split() == ["True", "True", "True", "Lax", "True", "True", "True"], (
        result.stdout + result.stderr
    )


def test_a_content_type_django_cannot_read_is_a_400_not_a_500(db):
    from django.core.exceptions import BadRequest

    from serverless_as2.wsgi import django_application
    from tests.tracklog.fuzz_cases import wsgi_post

    headers = {"Content-Type": "text/plain; x=" + "y" * 20_000}
    answer = wsgi_post("/accounts/login/", headers, b"")
    assert answer.status == 400 and b"Content-Type" in answer.body
    # Django alone raises while it builds the request, before any middleware: a 500.
    with pytest.raises(BadRequest):
        django_application(
            {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "CONTENT_TYPE": headers["Content-Type"]},
            lambda *args: None,
        )
