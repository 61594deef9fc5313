"""Two AS2 servers in one: tenant A (AS2 ID "alpha") and tenant B ("beta") trade over real HTTP.

Each tenant has a partnership to the other, with certificates imported through the real
service from RSA-2048 keys made once per session; messages go over the live test server.
"""

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone

import as2
from certificates.services import certificate_import
from partnerships.models import Partnership
from serverless_as2.models import Tenant
from tests.certificates.factories import KEYSTORE_PASSWORD, p12, pem_of, rsa_key, self_signed
from tests.conftest import make_instance, make_partner, make_partnership
from tracklog.models import Message
from tracklog.tasks import due_work_run


@cache
def identity(as2_id: str):
    """(key, certificate) of an AS2 ID, the same within a test session."""
    key = rsa_key(name=f"tracklog-{as2_id}")
    return key, self_signed(key, as2_id)


def endpoint_url(base: str, tenant: Tenant) -> str:
    return base + reverse("tracklog:inbound", args=[tenant.id])


def partnership_with_certificate(
    tenant: Tenant, me: str, partner: str, url: str, **fields
) -> Partnership:
    """A partnership me → partner whose keys are `identity(me)` and `identity(partner)`."""
    partnership = make_partnership(
        tenant,
        make_instance(tenant, me, my_as2_alias=me),
        make_partner(tenant, partner, partner_as2_alias=partner),
        as2_url=url,
        **fields,
    )
    key, certificate = identity(me)
    certificate_import(
        partnership=partnership,
        password=KEYSTORE_PASSWORD,
        keystore_file=p12(key, certificate, alias=me),
        private_key_alias=me,
        partner_certificate_file=pem_of(identity(partner)[1]),
        partner_alias=partner,
    )
    return partnership


@dataclass
class Pair:
    """A's partnership to B (a_to_b) and B's to A (b_to_a), over `base` (the live server)."""

    base: str
    tenant_a: Tenant
    tenant_b: Tenant
    a_to_b: Partnership
    b_to_a: Partnership

    def configure(self, **fields) -> None:
        """The same security settings on both sides (what the partners agreed)."""
        for partnership in (self.a_to_b, self.b_to_a):
            for name, value in fields.items():
                setattr(partnership, name, value)
            partnership.save()


@pytest.fixture
def messaging_settings(settings):
    settings.ALLOW_PRIVATE_PARTNER_URLS = True
    settings.SEND_ATTEMPTS = 3
    settings.SEND_RETRY_BASE_SECONDS = 0.0
    settings.SEND_TIMEOUT_SECONDS = 5.0
    settings.SEND_CONNECT_TIMEOUT_SECONDS = 2.0
    return settings


@pytest.fixture
def pair(transactional_db, live_server, messaging_settings, tenant_a, tenant_b) -> Pair:
    messaging_settings.SELF_BASE_URL = live_server.url
    a_to_b = partnership_with_certificate(
        tenant_a, "alpha", "beta", endpoint_url(live_server.url, tenant_b)
    )
    b_to_a = partnership_with_certificate(
        tenant_b, "beta", "alpha", endpoint_url(live_server.url, tenant_a)
    )
    return Pair(live_server.url, tenant_a, tenant_b, a_to_b, b_to_a)


# --- a partner's server whose answers a test chooses -------------------------------------------


class Partner:
    """A partner's HTTP server (on 127.0.0.1 unless told) whose answer a test chooses."""

    def __init__(
        self,
        answer: Callable[[dict, bytes], tuple[int, dict, bytes]],
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.answer = answer
        self.requests: list[tuple[dict, bytes]] = []
        partner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = dict(self.headers.items())
                partner.requests.append((headers, body))
                status, answer_headers, answer_body = partner.answer(headers, body)
                self.send_response(status)
                for name, value in answer_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer_body)))
                self.end_headers()
                self.wfile.write(answer_body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.url = f"http://{host}:{self.server.server_port}/as2"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def partner_server() -> Iterator[Callable[..., Partner]]:
    started: list[Partner] = []

    def start(answer, **where):
        started.append(Partner(answer, **where))
        return started[-1]

    yield start
    for partner in started:
        partner.close()


def beta_mdn(headers: dict, body: bytes, *, mic: bool = True, error=None) -> tuple:
    """What beta answers: a real MDN (signed by beta), with or without the MIC."""
    key, certificate = identity("beta")
    parsed = as2.parse_message(
        headers,
        body,
        keys=as2.ReceiverKeys(key, certificate, (identity("alpha")[1],)),
    )
    original = parsed if mic else as2.read_envelope(headers)
    mdn = as2.build_mdn(original=original, error=error, signer=as2.Signer(key, certificate))
    return 200, dict(mdn.headers), mdn.body


def retry_delays(message) -> list[float]:
    """Seconds from each failed attempt to the due time it set, read from the row (attempt
    times are kept in details), making each retry due in turn instead of waiting for it."""
    delays = []
    while True:
        message.refresh_from_db()
        if message.next_attempt_at is None:
            return delays
        failed_at = datetime.fromisoformat(message.details["attempts"][-1]["at"])
        delays.append((message.next_attempt_at - failed_at).total_seconds())
        assert due_work_run() == 0  # not due before its time
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        assert due_work_run() == 1
