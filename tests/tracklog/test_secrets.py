"""Secrets never leave: the main flows, with every log at DEBUG, show no password, private key
or key-encryption key in the logs, the pages, the error messages, the TrackLog or the admin."""

import base64
import logging
import re
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.db.backends.signals import connection_created
from django.test import Client
from django.urls import reverse

from certificates.models import Certificate
from tests.certificates.factories import KEYSTORE_PASSWORD, p12, partner_pem
from tests.conftest import logged_in_client, make_partner, make_partnership
from tests.tracklog.conftest import endpoint_url, identity
from tracklog.models import Message, MessageEvent
from tracklog.tasks import due_work_run

GENERATED_PASSWORD = "Generated-Keystore-Secret-7"
WRONG_PASSWORD = "Typed-Wrong-Secret-93"


def key_fingerprints(key) -> list[bytes]:
    """Pieces that any copy of the private key would show: its DER, and its PEM's lines."""
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pem = base64.b64encode(der)
    # Stretches past the public modulus (which certificates show): the private exponent, the
    # primes and the coefficient, in base64 and in DER.
    return [pem[600:640], pem[1000:1040], pem[-200:-160], der[500:540]]


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


# Loggers that Django's logging configuration sets (django: INFO) or that log on our flows; any
# other logger that exists when the test starts is added to them.
LOGGERS = (
    "django",
    "django.request",
    "django.server",
    "django.security",
    "django.db.backends",
    "django.template",
    "axes",
    "as2",
    "certificates",
    "partnerships",
    "tracklog",
    "serverless_as2",
)


@pytest.fixture
def every_logger_at_debug(caplog) -> Iterator[list[str]]:
    """Every logger at DEBUG, SQL included: caplog.set_level(DEBUG) alone sets only the root,
    and Django's `django` logger (INFO) would still drop what its children log at DEBUG."""
    existing = {
        name
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    names = sorted(existing | set(LOGGERS))
    caplog.set_level(logging.DEBUG)
    for name in names:
        caplog.set_level(logging.DEBUG, logger=name)

    # django.db.backends logs each query only on a connection that records its queries.
    def record_queries(sender, connection, **kwargs) -> None:
        connection.force_debug_cursor = True

    for connection in connections.all():
        connection.force_debug_cursor = True
    connection_created.connect(record_queries)
    yield names
    connection_created.disconnect(record_queries)
    for connection in connections.all():
        connection.force_debug_cursor = False


def everything_recorded() -> str:
    """The TrackLog as stored: every message and event row, every field."""
    rows = []
    for model in (Message, MessageEvent):
        for row in model.objects.all().values():
            rows.append(repr(row))
    return "\n".join(rows)


@pytest.mark.django_db(transaction=True)
def test_no_secret_appears_in_logs_pages_errors_tracklog_or_admin(
    pair, caplog, every_logger_at_debug, admin_user
):
    assert all(
        logging.getLogger(name).isEnabledFor(logging.DEBUG) for name in every_logger_at_debug
    )
    client = logged_in_client(pair.tenant_a)
    seen: list[bytes] = []

    def visit(response) -> None:
        assert response.status_code < 500
        content = b"".join(response.streaming_content) if response.streaming else response.content
        seen.append(content)
        seen.append(str(response.headers).encode())

    # A certificate generated through the page, and an import with a wrong password.
    tenant = pair.tenant_a
    partnership = make_partnership(tenant, pair.a_to_b.instance, make_partner(tenant, "gamma"))
    form = {
        "instance": partnership.instance.pk,
        "partner": partnership.partner.pk,
        "password": GENERATED_PASSWORD,
        "password_again": GENERATED_PASSWORD,  # Option A asks twice; ignored by Option B
        "partner_certificate": upload("gamma.cer", partner_pem("gamma")),
        "partner_alias": "gamma",
    }
    generate = {**form, "mode": "generate", "private_key_alias": "alpha", "key_size": "2048"}
    visit(client.post("/certificates/new/", {**generate, "validity_days": "730"}))
    generated = Certificate.objects.get(partnership=partnership)
    wrong = {**form, "mode": "import", "password": WRONG_PASSWORD, "private_key_alias": "x"}
    key, certificate = identity("alpha")
    wrong["keystore_file"] = upload("mine.p12", p12(key, certificate, alias="alpha"))
    visit(client.post("/certificates/new/", wrong))
    visit(client.post("/certificates/keystore-aliases/", {**wrong}))

    # Downloads of both certificates, and the certificate pages.
    for certificate_row in (pair.a_to_b.certificate, generated):
        for name in ("keystore_download", "partner_keystore_download", "public_key_download"):
            visit(client.get(reverse(f"certificates:{name}", args=[certificate_row.pk])))
        visit(client.get(reverse("certificates:certificate_edit", args=[certificate_row.pk])))
    visit(client.get("/certificates/"))

    # Send File (delivered by the worker, received by tenant B), a send test, and a tampered
    # message posted to B's endpoint.
    visit(client.post("/send/", {"partnership": pair.a_to_b.pk, "files": [upload("a.edi", b"X")]}))
    due_work_run()
    visit(client.post(reverse("tracklog:partnership_send_test", args=[pair.a_to_b.pk])))
    visit(
        Client().post(
            endpoint_url("", pair.tenant_b),
            b"garbage",
            content_type="application/pkcs7-mime",
            headers={"as2-from": "alpha", "as2-to": "beta", "message-id": "<x@y>"},
        )
    )

    # Every TrackLog page of both tenants, the file links, and the admin.
    for tenant in (pair.tenant_a, pair.tenant_b):
        tenant_client = logged_in_client(tenant)
        visit(tenant_client.get("/tracklog/"))
        for message in Message.objects.filter(tenant=tenant):
            visit(tenant_client.get(reverse("tracklog:message_detail", args=[message.pk])))
    for link in re.findall(rb'/tracklog/file/[^"<\s]+/', b"".join(seen)):
        visit(Client().get(link.decode()))
    admin = Client()
    admin.force_login(admin_user)
    for path in ("certificates/certificate", "tracklog/message", "axes/accessattempt"):
        visit(admin.get(f"/admin/{path}/"))
    for row in Certificate.objects.all():
        visit(admin.get(f"/admin/certificates/certificate/{row.pk}/change/"))
    for row in Message.objects.all():
        visit(admin.get(f"/admin/tracklog/message/{row.pk}/change/"))

    assert Message.objects.filter(tenant=pair.tenant_b).exists(), "the flows ran"
    texts = {
        "logs": "\n".join(
            f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records
        ).encode(),
        "pages": b"\n".join(seen),
        "tracklog": everything_recorded().encode(),
    }
    secrets = {
        "keystore password": KEYSTORE_PASSWORD.encode(),
        "generated keystore password": GENERATED_PASSWORD.encode(),
        "wrong password typed": WRONG_PASSWORD.encode(),
        "key-encryption key": settings.KEY_ENCRYPTION_KEY.encode(),
        "private key marker": b"PRIVATE KEY",
    }
    for as2_id in ("alpha", "beta"):
        for n, piece in enumerate(key_fingerprints(identity(as2_id)[0])):
            secrets[f"{as2_id}'s private key ({n})"] = piece
    assert len(caplog.records) > 20, "the flows logged at DEBUG"
    debug_from = {record.name for record in caplog.records if record.levelno == logging.DEBUG}
    assert "django.db.backends" in debug_from, "every query, with its parameters, was logged"
    leaks = [
        f"{secret} in {where}"
        for where, text in texts.items()
        for secret, value in secrets.items()
        if value in text
    ]
    assert not leaks, leaks
