"""Sending to partners that misbehave: down, slow, 500, 4xx, MDNs that prove nothing; the URL
guard; retries with the same Message-ID and every attempt's error kept."""

import base64
import dataclasses
import hashlib
import socket
import time
from collections.abc import Callable

import pytest

import as2
from tests.conftest import free_port
from tests.tracklog.conftest import (
    beta_mdn,
    identity,
    partnership_with_certificate,
    retry_delays,
)
from tracklog.models import MicCheck, Status
from tracklog.services import SendRefused, message_deliver, message_queue
from tracklog.tasks import due_work_run
from tracklog.transport import UrlRefused, partner_post, url_check


@pytest.fixture
def alpha(db, tenant_a, messaging_settings):
    return partnership_with_certificate(tenant_a, "alpha", "beta", "http://127.0.0.1:9/as2")


def send(partnership, payload=b"ISA*00~") -> object:
    return message_queue(partnership=partnership, payload=payload, filename="po.edi")


def test_partner_down_retries_then_fails_with_every_attempt_kept(alpha):
    alpha.as2_url = f"http://127.0.0.1:{free_port()}/as2"
    alpha.save()
    message = send(alpha)
    message = message_deliver(message=message)
    assert message.status == Status.ENCRYPTED and message.attempts == 1
    assert message.next_attempt_at is not None
    first_id = message.message_id
    due_work_run()
    due_work_run()
    message.refresh_from_db()
    assert message.status == Status.OUTBOUND_FAILED
    assert message.attempts == 3
    assert len(message.details["attempts"]) == 3
    assert all("refused" in attempt["error"] for attempt in message.details["attempts"])
    assert "gave up after 3 attempts" in message.error
    assert message.message_id == first_id
    assert due_work_run() == 0  # nothing left to do


def test_retries_back_off_exponentially_from_the_configured_base(alpha, messaging_settings):
    messaging_settings.SEND_RETRY_BASE_SECONDS = 90.0
    messaging_settings.SEND_ATTEMPTS = 5
    alpha.as2_url = f"http://127.0.0.1:{free_port()}/as2"
    alpha.save()
    message = message_deliver(message=send(alpha))

    assert retry_delays(message) == [90.0, 180.0, 360.0, 720.0]  # base × 2^n, n = 0 … 3
    assert message.status == Status.OUTBOUND_FAILED and message.attempts == 5
    texts = [event.text for event in message.events.all()]
    assert any("Attempt 4 of 5 failed" in t and "Next attempt in 720 seconds" in t for t in texts)


def test_retry_delays_stop_growing_at_the_configured_maximum(alpha, messaging_settings):
    messaging_settings.SEND_RETRY_BASE_SECONDS = 90.0
    messaging_settings.SEND_RETRY_MAX_SECONDS = 300.0
    messaging_settings.SEND_ATTEMPTS = 6
    alpha.as2_url = f"http://127.0.0.1:{free_port()}/as2"
    alpha.save()
    message = message_deliver(message=send(alpha))

    assert retry_delays(message) == [90.0, 180.0, 300.0, 300.0, 300.0]
    assert message.status == Status.OUTBOUND_FAILED and message.attempts == 6


def test_partner_answering_500_is_retried_with_the_same_message_id_then_29(alpha, partner_server):
    partner = partner_server(lambda headers, body: (500, {}, b"Internal error\nline two\n"))
    alpha.as2_url = partner.url
    alpha.save()
    message = send(alpha)
    message_deliver(message=message)
    due_work_run()
    due_work_run()
    message.refresh_from_db()
    assert message.status == Status.OUTBOUND_FAILED
    assert len(partner.requests) == 3
    assert {headers["Message-ID"] for headers, _ in partner.requests} == {message.message_id}
    assert [a["http_status"] for a in message.details["attempts"]] == [500, 500, 500]
    assert message.details["partner_answer"].startswith("Internal error")


def test_slow_partner_times_out_and_is_retried(alpha, partner_server, messaging_settings):
    messaging_settings.SEND_TIMEOUT_SECONDS = 0.3
    messaging_settings.SEND_ATTEMPTS = 2

    def slow(headers, body):
        time.sleep(1.0)
        return 200, {}, b""

    partner = partner_server(slow)
    alpha.as2_url = partner.url
    alpha.save()
    message = message_deliver(message=send(alpha))
    assert "did not answer within 0.3 seconds" in message.details["attempts"][0]["error"]
    due_work_run()
    message.refresh_from_db()
    assert message.status == Status.OUTBOUND_FAILED and len(message.details["attempts"]) == 2


def test_a_4xx_stops_at_once(alpha, partner_server):
    partner = partner_server(lambda headers, body: (403, {}, b"Forbidden: unknown AS2-To\n"))
    alpha.as2_url = partner.url
    alpha.save()
    message = message_deliver(message=send(alpha))
    assert message.status == Status.OUTBOUND_FAILED and message.attempts == 1
    assert "HTTP 403" in message.error and "unknown AS2-To" in message.error
    assert due_work_run() == 0
    assert len(partner.requests) == 1


def test_a_processed_mdn_without_mic_is_a_failure(alpha, partner_server):
    partner = partner_server(lambda headers, body: beta_mdn(headers, body, mic=False))
    alpha.as2_url = partner.url
    alpha.save()
    message = message_deliver(message=send(alpha))
    assert message.status == Status.OUTBOUND_FAILED
    assert message.mdn_mic_check == MicCheck.MISSING
    assert "no Received-Content-MIC" in message.error
    assert message.mdn_key  # the MDN is kept to show


def test_an_mdn_reporting_an_error_fails_the_message_and_is_not_retried(alpha, partner_server):
    partner = partner_server(
        lambda headers, body: beta_mdn(headers, body, error=as2.DecryptionFailed("no key"))
    )
    alpha.as2_url = partner.url
    alpha.save()
    message = message_deliver(message=send(alpha))
    assert message.status == Status.OUTBOUND_FAILED
    assert "decryption-failed" in message.error
    assert due_work_run() == 0 and len(partner.requests) == 1


def test_a_good_mdn_completes_the_message(alpha, partner_server):
    partner = partner_server(lambda headers, body: beta_mdn(headers, body))
    alpha.as2_url = partner.url
    alpha.save()
    message = message_deliver(message=send(alpha))
    assert message.status == Status.MDN_SAVED, message.error
    assert message.mdn_mic_check == MicCheck.MATCHED and message.mdn_signed
    assert message.details["mdn_signer"]["subject"] == "CN=beta"
    assert [e.status for e in message.events.all()] == [21, 22, 23, 24, 25, 26]


def beta_mdn_with_mic(mic_of) -> Callable:
    """Beta's signed MDN whose Received-Content-MIC is mic_of(the parsed message)."""

    def answer(headers, body):
        key, certificate = identity("beta")
        keys = as2.ReceiverKeys(key, certificate, (identity("alpha")[1],))
        parsed = as2.parse_message(headers, body, keys=keys)
        altered = dataclasses.replace(parsed, mic=mic_of(parsed))
        mdn = as2.build_mdn(original=altered, signer=as2.Signer(key, certificate))
        return 200, dict(mdn.headers), mdn.body

    return answer


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def test_a_signed_mdn_with_another_mic_fails_29_mismatched_showing_both(
    alpha, partner_server, client_a
):
    """The partner opened a different message than we sent: its MIC is the SHA-256 of other
    bytes (computed here with hashlib), in a valid MDN signed by the right certificate."""
    theirs = f"{b64(hashlib.sha256(b'ISA*00~ as the partner got it').digest())}, sha-256"
    alpha.as2_url = partner_server(beta_mdn_with_mic(lambda parsed: theirs)).url
    alpha.save()
    message = message_deliver(message=send(alpha))

    assert message.status == Status.OUTBOUND_FAILED
    assert message.mdn_mic_check == MicCheck.MISMATCHED
    assert message.mdn_signed and message.details["mdn_signer"]["subject"] == "CN=beta"
    ours = message.mic
    assert ours.endswith(", sha-256") and ours != theirs
    assert (message.details["our_mic"], message.details["their_mic"]) == (ours, theirs)
    assert ours in message.error and theirs in message.error and "differs" in message.error
    assert due_work_run() == 0  # a failed MDN is not retried
    page = client_a.get(f"/tracklog/{message.pk}/").content.decode()
    assert ours in page and theirs in page
    assert '<span class="mic mic-mismatched">mismatched</span>' in page


def test_an_mdn_with_its_mic_in_another_digest_fails_saying_so(alpha, partner_server):
    """We asked for sha-256; the partner answered a SHA-1 MIC (of the right bytes or not, it
    cannot prove the message arrived intact)."""
    theirs = f"{b64(hashlib.sha1(b'ISA*00~').digest())}, sha1"  # noqa: S324 (what the peer sends)
    alpha.as2_url = partner_server(beta_mdn_with_mic(lambda parsed: theirs)).url
    alpha.save()
    message = message_deliver(message=send(alpha))
    assert message.status == Status.OUTBOUND_FAILED
    assert message.mdn_mic_check == MicCheck.NOT_CHECKED
    assert "another digest" in message.error and theirs in message.error
    assert message.details["their_mic"] == theirs


def test_an_unsigned_mdn_where_signed_ones_are_asked_for_fails(alpha, partner_server):
    def unsigned(headers, body):
        key, certificate = identity("beta")
        parsed = as2.parse_message(headers, body, keys=as2.ReceiverKeys(key, certificate))
        mdn = as2.build_mdn(original=parsed)
        return 200, dict(mdn.headers), mdn.body

    alpha.as2_url = partner_server(unsigned).url
    alpha.save()
    message = message_deliver(message=send(alpha))
    assert message.status == Status.OUTBOUND_FAILED
    assert "not signed" in message.error


# --- the URL guard -------------------------------------------------------------------------------


def test_internal_addresses_are_refused_unless_allowed(alpha, partner_server, messaging_settings):
    partner = partner_server(lambda headers, body: (200, {}, b""))
    messaging_settings.ALLOW_PRIVATE_PARTNER_URLS = False
    alpha.as2_url = partner.url
    alpha.save()
    message = message_deliver(message=send(alpha))
    assert message.status == Status.OUTBOUND_FAILED
    assert "internal address" in message.error
    assert partner.requests == []  # never connected


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/as2",
        "http://localhost:8000/as2",
        "http://10.1.2.3/as2",
        "http://192.168.0.1/as2",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/as2",
        "http://[::ffff:127.0.0.1]/as2",
        "http://0.0.0.0/as2",
        "ftp://partner.example/as2",
        "http://user:pw@8.8.8.8/as2",
    ],
)
def test_url_guard_refuses(url, settings):
    settings.ALLOW_PRIVATE_PARTNER_URLS = False
    with pytest.raises(UrlRefused):
        url_check(url)


def test_url_guard_keeps_metadata_refused_even_in_labs(settings):
    settings.ALLOW_PRIVATE_PARTNER_URLS = True
    assert url_check("http://127.0.0.1:8000/as2/").address == "127.0.0.1"
    with pytest.raises(UrlRefused):
        url_check("http://169.254.169.254/")


def test_url_guard_connects_to_the_checked_address(settings):
    settings.ALLOW_PRIVATE_PARTNER_URLS = False
    checked = url_check("http://8.8.8.8:4080/as2?x=1")
    assert (checked.address, checked.port, checked.path) == ("8.8.8.8", 4080, "/as2?x=1")


def test_a_dns_answer_that_changes_after_the_check_does_not_move_the_connection(
    messaging_settings, partner_server, monkeypatch
):
    """DNS rebinding: partner.example resolves to the partner's server when the URL is checked,
    then to another server of this machine. The request must reach the checked address (with
    the URL's Host header), never the one a second lookup gives."""
    partner = partner_server(lambda headers, body: (200, {}, b"partner"))
    port = partner.server.server_port
    internal = partner_server(
        lambda headers, body: (200, {}, b"internal"), host="127.0.0.2", port=port
    )
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["127.0.0.1"])  # the first answer; every later one is the rebound address
    lookups = []

    def rebinding_resolver(host, port, *args, **kwargs):
        if host != "partner.example":
            return real_getaddrinfo(host, port, *args, **kwargs)
        address = next(answers, "127.0.0.2")
        lookups.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_resolver)
    answer = partner_post(url=f"http://partner.example:{port}/as2", headers={}, body=b"x")

    assert answer.body == b"partner"
    assert internal.requests == []
    ((headers, _),) = partner.requests
    assert headers["Host"] == f"partner.example:{port}"
    assert lookups[0] == "127.0.0.1"  # what the check saw


# --- refusals at queue time ----------------------------------------------------------------------


def test_queueing_for_a_partnership_without_certificate_is_refused(db, tenant_a):
    from tests.conftest import make_partnership

    with pytest.raises(SendRefused, match="no certificate"):
        send(make_partnership(tenant_a))


def test_queueing_for_a_disabled_partner_is_refused(alpha):
    alpha.partner.enabled = False
    alpha.partner.save()
    with pytest.raises(SendRefused, match="disabled"):
        send(alpha)


def test_this_servers_own_endpoint_is_allowed_for_the_demo_and_nothing_else_local(settings):
    settings.ALLOW_PRIVATE_PARTNER_URLS = False
    settings.SELF_BASE_URL = "http://127.0.0.1:8000"
    own = "http://127.0.0.1:8000/as2/6f1c1f9e-3a43-4c1b-9a4e-2f6d4b1d2c3e/"
    assert url_check(own).address == "127.0.0.1"
    for other in (
        "http://127.0.0.1:8000/admin/",
        "http://127.0.0.1:8000/as2/6f1c1f9e-3a43-4c1b-9a4e-2f6d4b1d2c3e/../../admin/",
        own + "?next=/admin/",
        own.replace(":8000", ":8001"),
    ):
        with pytest.raises(UrlRefused):
            url_check(other)


# --- HTTPS: connect to the checked address, verify the URL's host name ------------------------------


@pytest.fixture
def tls_servers(tmp_path, monkeypatch):
    """Start HTTPS servers whose certificate names "localhost" (and 127.0.0.2), trusted through
    SSL_CERT_FILE (how OpenSSL finds the default trust store): start(host, port, answer)."""
    import datetime
    import ipaddress
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    from tests.certificates.factories import rsa_key

    key = rsa_key(name="tls-localhost")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.2"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))
    servers = []

    def start(host: str = "127.0.0.1", port: int = 0, answer: bytes = b"ok"):
        seen = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                seen.append(self.headers["Host"])
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer((host, port), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_port, seen

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def tls_partner(tls_servers):
    """An HTTPS partner on 127.0.0.1: (port, the Host headers it received)."""
    return tls_servers()


def test_https_partner_is_reached_at_the_checked_address_under_its_own_name(
    tls_partner, messaging_settings
):
    from tracklog.transport import TransportError, partner_post

    port, seen = tls_partner
    answer = partner_post(url=f"https://localhost:{port}/as2", headers={}, body=b"x")
    assert answer.status == 200 and seen == [f"localhost:{port}"]
    # The certificate names localhost, not the address: asking for 127.0.0.1 must fail to verify.
    with pytest.raises(TransportError, match="certificate|hostname|match"):
        partner_post(url=f"https://127.0.0.1:{port}/as2", headers={}, body=b"x")


def test_an_async_mdn_url_only_this_machine_can_reach_is_pointed_out(
    alpha, partner_server, messaging_settings
):
    messaging_settings.SELF_BASE_URL = "http://127.0.0.1:8000"
    partner = partner_server(lambda headers, body: (200, {}, b""))
    alpha.as2_url = partner.url.replace("127.0.0.1", "partner.example")
    alpha.mdn_mode = "async"
    alpha.save()
    from tracklog.services.send import _async_mdn_url_warning

    message = send(alpha)
    warning = _async_mdn_url_warning(message, alpha)
    assert warning and "SAS2_SELF_URL" in warning
    alpha.as2_url = partner.url  # a lab partner on this machine: nothing to point out
    assert _async_mdn_url_warning(message, alpha) is None


def test_https_after_a_dns_answer_changes_the_connection_stays_on_the_checked_address(
    tls_servers, messaging_settings, monkeypatch
):
    """Rebinding over HTTPS: "localhost" resolves to 127.0.0.1 for the check, then to 127.0.0.2,
    another server whose certificate is valid for the name too. The checked one must answer."""
    from tracklog.transport import partner_post

    port, seen = tls_servers("127.0.0.1", 0, b"partner")
    _, seen_internal = tls_servers("127.0.0.2", port, b"internal")
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["127.0.0.1"])

    def rebinding_resolver(host, port, *args, **kwargs):
        if host != "localhost":
            return real_getaddrinfo(host, port, *args, **kwargs)
        address = next(answers, "127.0.0.2")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_resolver)
    answer = partner_post(url=f"https://localhost:{port}/as2", headers={}, body=b"x")
    assert answer.body == b"partner"
    assert seen == [f"localhost:{port}"] and seen_internal == []
