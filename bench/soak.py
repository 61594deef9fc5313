"""Load and faults: messages from concurrent senders to the app as `make run` serves it.

Run: .venv/bin/python bench/soak.py [--messages 2000] [--senders 8] [--kill-every 1]

Loopback only, bounded in time and count. A throwaway data folder (SQLite, local files) with
the partnership beta ← alpha of bench/inbound.py; scripts/serve starts gunicorn with 2 sync
workers, the task worker and the minute sweep. Two runs:

1. steady: N different messages (signed SHA-256, AES-256, signed sync MDN asked) from S sender
   threads. Every MDN is verified by the sender (beta's signature, disposition processed, the
   Received-Content-MIC equal to the one computed when the message was built).
2. faults: the same while a gunicorn worker is killed (kill -9) every K seconds and the whole
   server (gunicorn and the task worker) is stopped and started again once, after the third
   kill. A sender whose request fails (no answer, a reset,
   a 5xx) sends it again with the same Message-ID until it gets a verified MDN.

After each run the store is checked against what the senders sent: every message that got a
2xx is a TrackLog row (status 15) with its payload stored byte for byte; no message has two
rows or two payloads (processed exactly once); 5xx answers counted, 0 expected in the steady run.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import signal
import socket
import sys
import threading
import time

os.environ.setdefault("SAS2_LOG_LEVEL", "ERROR")
os.environ.setdefault("SAS2_ACCESS_LOG", "0")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import inbound  # noqa: E402  (sets up Django in a throwaway data folder)
from django.core.files.storage import default_storage  # noqa: E402

import as2  # noqa: E402
from tracklog.models import Direction, Message, Status  # noqa: E402


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    answer = b"".join(chunks)
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    return status, headers, body


def verified(message: as2.OutboundMessage, headers: dict[str, str], body: bytes) -> str:
    """'' when the answer is a signed MDN from beta saying processed with our MIC; else why not."""
    try:
        mdn = as2.parse_mdn(
            headers,
            body,
            partner_certificates=[inbound.BETA[1]],
            expected_mic=message.mic,
            expected_message_id=message.message_id,
            require_signature=True,
        )
    except as2.As2Error as error:
        return f"MDN refused: {error}"
    if mdn.disposition_type != "processed" or mdn.modifier:
        return f"MDN says {mdn.disposition}"
    if mdn.mic_check is not as2.MicCheck.MATCHED:
        return f"MIC {mdn.mic_check.value}"
    return ""


class Run:
    """Senders posting every message until each has a verified MDN (or the deadline passes)."""

    def __init__(self, path: str, count: int, senders: int, deadline: float):
        self.path = path
        self.payloads = [secrets.token_bytes(64) + os.urandom(4000) for _ in range(count)]
        self.messages = [inbound.build(payload) for payload in self.payloads]
        self.requests = [inbound.request_bytes(path, message) for message in self.messages]
        self.senders = senders
        self.deadline = deadline
        self.lock = threading.Lock()
        self.queue = iter(range(count))
        self.done: set[int] = set()
        self.statuses: dict[int, int] = {}
        self.retries = 0
        self.bad_mdns: list[str] = []
        self.latencies: list[float] = []

    def send(self, port_of) -> None:
        while True:
            with self.lock:
                index = next(self.queue, None)
            if index is None:
                return
            while time.monotonic() < self.deadline:
                started = time.perf_counter()
                try:
                    with socket.create_connection(("127.0.0.1", port_of()), timeout=60) as sock:
                        sock.sendall(self.requests[index])
                        status, headers, body = read_answer(sock)
                except OSError:
                    status, headers, body = -1, {}, b""
                with self.lock:
                    self.statuses[status] = self.statuses.get(status, 0) + 1
                if 200 <= status < 300:
                    problem = verified(self.messages[index], headers, body)
                    with self.lock:
                        self.latencies.append(time.perf_counter() - started)
                        if problem:
                            self.bad_mdns.append(f"{self.messages[index].message_id}: {problem}")
                        self.done.add(index)
                    break
                with self.lock:
                    self.retries += 1
                time.sleep(0.05 + random.random() * 0.2)  # noqa: S311

    def go(self, port_of) -> float:
        started = time.perf_counter()
        threads = [threading.Thread(target=self.send, args=(port_of,)) for _ in range(self.senders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started


def store_check(run: Run) -> dict[str, int]:
    """What the store holds for the run's messages, compared with what was sent."""
    ids = {message.message_id.strip("<>"): n for n, message in enumerate(run.messages)}
    wanted = [*ids, *(f"<{key}>" for key in ids)]
    rows = Message.objects.filter(direction=Direction.INBOUND, message_id__in=wanted)
    counts = {"rows": 0, "status 15": 0, "byte-exact": 0, "lost (2xx, not stored)": 0}
    seen: dict[str, int] = {}
    for row in rows:
        key = row.message_id.strip("<>")
        seen[key] = seen.get(key, 0) + 1
        counts["rows"] += 1
        counts["status 15"] += row.status == Status.MDN_SENT
        if row.payload_key:
            with default_storage.open(row.payload_key, "rb") as file:
                counts["byte-exact"] += file.read() == run.payloads[ids[key]]
    counts["duplicated rows"] = sum(n - 1 for n in seen.values() if n > 1)
    counts["lost (2xx, not stored)"] = sum(
        1 for n in run.done if run.messages[n].message_id.strip("<>") not in seen
    )
    counts["repeats answered from the stored MDN"] = sum(
        int((row.details or {}).get("duplicates", 0)) for row in rows
    )
    return counts


def report(name: str, run: Run, seconds: float, server: inbound.Server | None) -> None:
    latencies = sorted(run.latencies)
    answered = len(run.done)
    print(f"\n== {name}: {len(run.messages):,} messages, {run.senders} senders, {seconds:.0f} s")
    print(f"verified MDNs: {answered - len(run.bad_mdns):,} of {len(run.messages):,}", end="")
    print(f" ({answered / seconds:.0f} messages/s)")
    print("answers: " + ", ".join(f"{k}: {v:,}" for k, v in sorted(run.statuses.items())))
    print(
        f"5xx answers: {sum(v for k, v in run.statuses.items() if k >= 500)}, resent: {run.retries}"
    )
    if latencies:
        print(
            f"latency p50/p95/max: {latencies[len(latencies) // 2] * 1000:.0f}/"
            f"{latencies[int(len(latencies) * 0.95)] * 1000:.0f}/{latencies[-1] * 1000:.0f} ms"
        )
    for problem in run.bad_mdns[:5]:
        print(f"  bad MDN: {problem}")
    print("store: " + ", ".join(f"{k}: {v:,}" for k, v in store_check(run).items()))
    if server is not None:
        largest, total = server.peak_memory_mb()
        print(f"gunicorn peak memory: largest worker {largest:.0f} MB, all {total:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--kill-every", type=float, default=1.0, help="seconds between kills")
    parser.add_argument("--minutes", type=float, default=2.0, help="deadline of each run")
    parser.add_argument("--skip-steady", action="store_true")
    args = parser.parse_args()
    path = inbound.setup()
    port = inbound.free_port()
    server = inbound.Server(port)
    try:
        if not args.skip_steady:
            run = Run(path, args.messages, args.senders, time.monotonic() + args.minutes * 60)
            report("steady", run, run.go(lambda: port), server)

        run = Run(path, args.messages, args.senders, time.monotonic() + args.minutes * 60)
        state = {"server": server, "kills": 0, "restarts": 0}
        stop = threading.Event()

        def faults() -> None:
            while not stop.wait(args.kill_every):
                if state["restarts"] == 0 and state["kills"] == 3:
                    state["server"].stop()
                    time.sleep(1)
                    state["server"] = inbound.Server(port)
                    state["restarts"] += 1
                    continue
                master = state["server"].process.pid
                workers = [pid for pid in state["server"].gunicorn_pids() if pid != master]
                workers = [pid for pid in workers if _is_gunicorn_worker(pid)]
                if workers:
                    try:
                        os.kill(random.choice(workers), signal.SIGKILL)  # noqa: S311
                        state["kills"] += 1
                    except ProcessLookupError:
                        pass

        killer = threading.Thread(target=faults)
        killer.start()
        try:
            seconds = run.go(lambda: port)
        finally:
            stop.set()
            killer.join()
        server = state["server"]
        print(f"\nfaults: {state['kills']} workers killed (kill -9), {state['restarts']} restart")
        report("faults", run, seconds, None)
    finally:
        server.stop()


def _is_gunicorn_worker(pid: int) -> bool:
    """A gunicorn worker: its parent is a gunicorn process too (the master)."""
    try:
        stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        parent = open(f"/proc/{stat[1]}/cmdline", "rb").read()
    except OSError:
        return False
    return b"gunicorn" in parent


if __name__ == "__main__":
    main()
