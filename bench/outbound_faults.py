"""Outbound to a partner that is down, slow, failing or answering garbage: retries, then 29.

Run: .venv/bin/python bench/outbound_faults.py [--attempts 10000]

In this process, against partners on 127.0.0.1 (loopback only): a closed port (down), a server
that answers after the read timeout (slow), one that answers 500, one that resets the
connection, and one that answers 200 with random bytes (garbage). Messages of the partnership
beta → alpha of bench/inbound.py are queued and delivered with message_deliver, the function
the task worker calls, with the retry delay set to 0, until SAS2_SEND_ATTEMPTS (5) attempts or
a final answer each, about --attempts attempts in all. Prints per partner the final statuses,
attempts per message and a sample reason, and this process's memory every 1,000 attempts
(flat: no leak per attempt), against the memory after the first 200 attempts (the baseline).
"""

from __future__ import annotations

import argparse
import collections
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.update(
    SAS2_ALLOW_PRIVATE_PARTNER_URLS="1",
    SAS2_SEND_RETRY_BASE_SECONDS="0",
    SAS2_SEND_ATTEMPTS="5",
    SAS2_SEND_CONNECT_TIMEOUT_SECONDS="0.5",
    SAS2_SEND_TIMEOUT_SECONDS="0.1",
)
os.environ.setdefault("SAS2_LOG_LEVEL", "CRITICAL")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import inbound  # noqa: E402  (sets up Django in a throwaway data folder)

from partnerships.models import Partnership  # noqa: E402
from tracklog.models import Status  # noqa: E402
from tracklog.services import message_deliver, message_queue  # noqa: E402

FINAL = {Status.OUTBOUND_FAILED, Status.MDN_SAVED, Status.SENT}


def rss_mb() -> tuple[float, float]:
    """(anonymous, file-backed) resident memory in MB: the heap, and mapped files (SQLite maps
    its database, PRAGMA mmap_size, so the file part grows with the database, not a leak)."""
    values = {}
    with open("/proc/self/status") as file:
        for line in file:
            if line.startswith(("RssAnon:", "RssFile:")):
                values[line.split(":")[0]] = int(line.split()[1]) / 1024
    return values["RssAnon"], values["RssFile"]


def partner(kind: str) -> str:
    """A misbehaving partner's URL."""
    if kind == "down":
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        return f"http://127.0.0.1:{port}/as2"  # nothing listens there

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if kind == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
                self.connection.close()
                return
            if kind == "slow":
                time.sleep(0.3)
            status, body = (500, b"Internal error\n") if kind == "error" else (200, os.urandom(700))
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the sender gave up waiting (slow): nobody reads this answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}/as2"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    args = parser.parse_args()
    inbound.setup()
    partnership = Partnership.objects.get()
    # Slow partners cost the read timeout per attempt: fewer of them.
    kinds = ["down", "error", "reset", "garbage", "down", "error", "reset", "slow"]
    urls = {kind: partner(kind) for kind in set(kinds)}
    outcomes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    attempts_of: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    reasons: dict[str, str] = {}
    memory: list[tuple[int, tuple[float, float]]] = []
    total = 0
    n = 0
    started = time.perf_counter()
    while total < args.attempts:
        kind = kinds[n % len(kinds)]
        n += 1
        Partnership.objects.filter(pk=partnership.pk).update(as2_url=urls[kind])
        message = message_queue(
            partnership=partnership, payload=b"ISA*fault~" + os.urandom(1000), filename="f.edi"
        )
        while message.status not in FINAL:
            message = message_deliver(message=message)
            total += 1
            if total % 1000 == 0 or total == 200:
                memory.append((total, rss_mb()))
        outcomes[kind][message.get_status_display()] += 1
        attempts_of[kind][message.attempts] += 1
        reasons.setdefault(kind, message.error)
    seconds = time.perf_counter() - started
    print(f"{total:,} attempts, {n:,} messages, {seconds:.0f} s")
    for kind in sorted(outcomes):
        print(
            f"{kind:8} {dict(outcomes[kind])}; attempts per message {dict(attempts_of[kind])}\n"
            f"         reason: {reasons[kind][:160]}"
        )
    print(
        "memory by attempts, anonymous (heap) + file-mapped MB: "
        + ", ".join(f"{a:,}: {anon:.1f} + {mapped:.1f}" for a, (anon, mapped) in memory)
    )
    (anon0, mapped0), (anon1, mapped1) = memory[0][1], memory[-1][1]
    print(
        f"growth after the first 200 attempts: heap {anon1 - anon0:+.1f} MB, "
        f"file-mapped {mapped1 - mapped0:+.1f} MB"
    )


if __name__ == "__main__":
    main()
