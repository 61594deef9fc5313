"""Inbound AS2 throughput of the whole app, as `make run` serves it, against the engine alone.

Run: .venv/bin/python bench/inbound.py [--messages N] [--clients C] [--big-mb 50]

Sets up a throwaway data folder (SQLite, local files) with a partnership beta ← alpha, starts
`scripts/serve` (gunicorn, 2 sync workers, and the task worker), and POSTs N different 10 KB
messages (signed SHA-256, encrypted AES-256, signed sync MDN requested) from C client threads.
Prints messages/s, p50/p95 latency, failures, the server's CPU per message (gunicorn master and
workers, from /proc) and its peak memory; then the same messages through the engine alone
(parse + signed MDN, one core) as the baseline of the same run; then one large message end to
end with the worker's peak memory against the message size.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA_DIR = Path(tempfile.mkdtemp(prefix="sas2-bench-"))
os.environ["SAS2_DATA_DIR"] = str(DATA_DIR)
os.environ["DJANGO_SETTINGS_MODULE"] = "serverless_as2.settings"
os.environ.setdefault("SAS2_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.serialization import pkcs12  # noqa: E402
from django.core.management import call_command  # noqa: E402

import as2  # noqa: E402
from bench.identities import party  # noqa: E402
from certificates.services import certificate_import  # noqa: E402
from partnerships.models import As2Instance, Partner  # noqa: E402
from partnerships.services import partnership_create  # noqa: E402
from serverless_as2.services import tenant_create  # noqa: E402
from tracklog.models import Message, Status  # noqa: E402

PASSWORD = "bench-keystore-password"  # noqa: S105 (a throwaway keystore)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


ALPHA = party("alpha")  # the partner sending to us
BETA = party("beta")  # us


def setup() -> str:
    """Migrate, make the tenant and the partnership beta ← alpha; the endpoint's path."""
    call_command("migrate", verbosity=0)
    tenant = tenant_create(name="Bench", email="bench@example.com", password=PASSWORD)
    instance = As2Instance.objects.create(
        tenant=tenant, my_as2_id="beta", my_name="beta", my_as2_alias="beta"
    )
    partner = Partner.objects.create(
        tenant=tenant,
        partner_as2_id="alpha",
        partner_name="alpha",
        partner_as2_alias="alpha",
        partner_email="edi@alpha.example",
    )
    partnership = partnership_create(
        tenant=tenant, instance=instance, partner=partner, as2_url="https://alpha.example/as2"
    )
    keystore = pkcs12.serialize_key_and_certificates(
        b"beta", BETA[0], BETA[1], None, serialization.BestAvailableEncryption(PASSWORD.encode())
    )
    certificate_import(
        partnership=partnership,
        password=PASSWORD,
        keystore_file=keystore,
        private_key_alias="beta",
        partner_certificate_file=ALPHA[1].public_bytes(serialization.Encoding.PEM),
        partner_alias="alpha",
    )
    return f"/as2/{tenant.id}/"


def build(payload: bytes) -> as2.OutboundMessage:
    return as2.build_message(
        payload,
        filename="order.edi",
        content_type="application/EDI-X12",
        sender="alpha",
        receiver="beta",
        subject="bench",
        signer=as2.Signer(ALPHA[0], ALPHA[1], as2.Digest.SHA256),
        recipient=as2.Recipient(BETA[1], as2.ContentCipher.AES256_CBC),
        mdn=as2.MdnRequest(mode=as2.MdnMode.SYNC, signed=True),
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def session_pids(session: int, marker: bytes) -> list[int]:
    """The processes of session `session` (scripts/serve's) whose command line has `marker`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if marker in cmdline and int(stat[2]) == session:  # the session id
            pids.append(int(entry.name))
    return pids


class Server:
    """scripts/serve in its own process group; its gunicorn processes found through /proc."""

    def __init__(self, port: int):
        env = {**os.environ, "SAS2_BIND": f"127.0.0.1:{port}"}
        self.log = open(DATA_DIR / "serve.log", "wb")
        self.process = subprocess.Popen(  # noqa: S603 (our own script)
            [str(ROOT / "scripts" / "serve")],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.port = port
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("gunicorn did not start; see " + str(DATA_DIR / "serve.log"))
        time.sleep(1.0)  # let both workers boot

    def gunicorn_pids(self) -> list[int]:
        return session_pids(self.process.pid, b"gunicorn")

    def cpu_seconds(self) -> tuple[float, float]:
        """(user, system) CPU seconds of the gunicorn processes so far."""
        user = system = 0
        for pid in self.gunicorn_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            user, system = user + int(fields[11]), system + int(fields[12])
        return user / CLOCK_TICKS, system / CLOCK_TICKS

    def peak_memory_mb(self) -> tuple[float, float]:
        """(largest worker's peak RSS, peak RSS of all gunicorn processes added up) in MB."""
        peaks = []
        for pid in self.gunicorn_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks, default=0.0), sum(peaks)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def request_bytes(path: str, message: as2.OutboundMessage) -> bytes:
    """The whole HTTP request, made before the clock starts so the clients cost little CPU."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    head += f"Content-Length: {len(message.body)}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in message.headers.items())
    return head.encode("latin-1") + b"\r\n" + message.body


def post(port: int, request: bytes, timeout: float = 60) -> int:
    """Send one request, read the answer to the end; its status, negative unless a processed MDN."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    status = int(answer[9:12] or b"0")
    processed = b"processed" in answer and b"processed/error" not in answer
    return status if status == 200 and processed else -status


def load(port: int, requests: list[bytes], clients: int) -> tuple[float, list[float], int]:
    """POST every message from `clients` threads; (seconds, latencies, failures)."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    queue = iter(requests)

    def client() -> None:
        nonlocal failures
        while True:
            with lock:
                request = next(queue, None)
            if request is None:
                return
            started = time.perf_counter()
            try:
                status = post(port, request)
            except OSError:
                status = -1
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                failures += status < 0

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, failures


def engine_rate(messages: list[as2.OutboundMessage]) -> float:
    """Messages/s of parse + signed MDN alone, one core (the floor of the same work)."""
    started = time.perf_counter()
    for message in messages:
        parsed = as2.parse_message(
            message.headers,
            message.body,
            keys=as2.ReceiverKeys(BETA[0], BETA[1], (ALPHA[1],)),
            require_encryption=True,
            require_signature=True,
        )
        as2.build_mdn(original=parsed, signer=as2.Signer(BETA[0], BETA[1]))
    return len(messages) / (time.perf_counter() - started)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--big-mb", type=int, default=50, help="0: skip the large message")
    options = parser.parse_args()

    path = setup()
    print(f"building {options.messages} messages of 10 KB (signed sha256, aes256, signed MDN)…")
    messages = [build(secrets.token_bytes(10 * 1024)) for _ in range(options.messages)]
    warmup = [build(secrets.token_bytes(10 * 1024)) for _ in range(50)]
    port = free_port()
    server = Server(port)
    try:
        warm = [request_bytes(path, message) for message in warmup]
        load(port, warm, options.clients)  # keys cached, code paths warm in both workers
        requests = [request_bytes(path, message) for message in messages]
        cpu_before = server.cpu_seconds()
        seconds, latencies, failures = load(port, requests, options.clients)
        (user_after, system_after), (user_before, system_before) = server.cpu_seconds(), cpu_before
        user, system = user_after - user_before, system_after - system_before
        cpu = user + system
        worker_peak, total_peak = server.peak_memory_mb()
        stored = Message.objects.filter(status=Status.MDN_SENT).count()
        rate = options.messages / seconds
        print(f"\ninbound, gunicorn 2 workers, {options.clients} clients, SQLite, local files")
        print(f"  messages/s          {rate:8.1f}   ({options.messages} in {seconds:.2f} s)")
        print(f"  latency p50 / p95   {percentile(latencies, 0.5) * 1000:6.1f} / "
              f"{percentile(latencies, 0.95) * 1000:.1f} ms")  # fmt: skip
        print(f"  failures            {failures:8d}   (recorded 15: {stored - len(warmup)})")
        print(f"  server CPU/message  {cpu / options.messages * 1000:8.2f} ms   (user "
              f"{user / options.messages * 1000:.2f}, system {system / options.messages * 1000:.2f})")  # fmt: skip
        print(f"  server peak memory  {worker_peak:8.1f} MB per worker, {total_peak:.1f} MB all")
        engine = engine_rate(messages[:1000])
        print(f"engine only (parse + signed MDN, 1 core, same messages): {engine:.1f} messages/s"
              f" = {1000 / engine:.2f} ms/message; app/engine CPU ratio "
              f"{(cpu / options.messages) / (1 / engine):.1f}x")  # fmt: skip
    finally:
        server.stop()

    if options.big_mb:
        size = options.big_mb * 1024 * 1024
        big = build(os.urandom(size))
        server = Server(free_port())
        try:
            before, _ = server.peak_memory_mb()
            started = time.perf_counter()
            status = post(server.port, request_bytes(path, big), timeout=300)
            elapsed = time.perf_counter() - started
            after, _ = server.peak_memory_mb()
        finally:
            server.stop()
        print(f"\none {options.big_mb} MB message (body {len(big.body) / 2**20:.1f} MB): "
              f"HTTP {abs(status)} {'ok' if status > 0 else 'FAILED'} in {elapsed:.1f} s; "
              f"worker peak RSS {after:.0f} MB (idle {before:.0f} MB) = "
              f"{after / (size / 2**20):.2f}x the message")  # fmt: skip
    shutil.rmtree(DATA_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
