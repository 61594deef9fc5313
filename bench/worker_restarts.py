"""Outbound sends while the task worker is killed: each message delivered, none processed twice.

Run: .venv/bin/python bench/worker_restarts.py [--messages 1500] [--kill-every 1.5] [--minutes 4]

Loopback only. A throwaway data folder with the demo's two instances (a partnership each way
through this server's own endpoint, generated certificates); N messages are queued from the
supplier to the retailer, then scripts/serve (gunicorn, the task worker, the minute sweep) runs
them while the task worker is killed (kill -9) every K seconds. scripts/serve stops with it, and
is started again each time (a restart). At the end, each queued message should be 26 (MDN
saved) with its payload received byte for byte by the retailer, on one row, and the retailer
should have answered any repeat from its stored MDN (a send cut by the kill is sent again with
the same Message-ID: not processed twice). Attempts claimed by a killed worker wait for their
lease (connect + read timeout + 60 s) and the minute sweep: expect a run of a few minutes.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import time


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PORT = free_port()
os.environ["SAS2_SELF_URL"] = f"http://127.0.0.1:{PORT}"
os.environ.setdefault("SAS2_SEND_CONNECT_TIMEOUT_SECONDS", "2")
os.environ.setdefault("SAS2_SEND_TIMEOUT_SECONDS", "10")
os.environ.setdefault("SAS2_SEND_RETRY_BASE_SECONDS", "1")
os.environ.setdefault("SAS2_LOG_LEVEL", "WARNING")
os.environ.setdefault("SAS2_ACCESS_LOG", "0")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import inbound  # noqa: E402  (sets up Django in a throwaway data folder)
from django.core.files.storage import default_storage  # noqa: E402
from django.core.management import call_command  # noqa: E402

from serverless_as2.services import tenant_create  # noqa: E402
from tracklog.management.commands.demo_partnerships import SUPPLIER, demo_seed  # noqa: E402
from tracklog.models import Direction, Message, Status  # noqa: E402
from tracklog.services import message_queue  # noqa: E402


def task_worker_pid(server: inbound.Server) -> int | None:
    pids = inbound.session_pids(server.process.pid, b"db_worker")
    return pids[0] if pids else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1500)
    parser.add_argument("--kill-every", type=float, default=1.5)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--minutes", type=float, default=4.0)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    tenant = tenant_create(name="Restarts", email="restarts@example.com", password=inbound.PASSWORD)
    demo_seed(tenant=tenant)
    partnership = Message.objects.get().partnership
    assert partnership.instance.my_as2_id == SUPPLIER
    payloads = {}
    for n in range(args.messages):
        payload = f"ISA*{n}~".encode() + os.urandom(2000)
        message = message_queue(partnership=partnership, payload=payload, filename=f"{n}.edi")
        payloads[message.message_id] = payload

    started = time.monotonic()
    deadline = started + args.minutes * 60
    server = inbound.Server(PORT)
    kills = 0
    try:
        while time.monotonic() < deadline:
            time.sleep(args.kill_every if kills < args.kills else 2)
            done = Message.objects.filter(
                direction=Direction.OUTBOUND, message_id__in=list(payloads)
            ).filter(status__in=[Status.MDN_SAVED, Status.OUTBOUND_FAILED])
            if done.count() == len(payloads):
                break
            if kills < args.kills:
                pid = task_worker_pid(server)
                if pid:
                    os.kill(pid, signal.SIGKILL)  # scripts/serve stops with it
                    kills += 1
                    server.process.wait(timeout=30)
                    server.log.close()
                    server = inbound.Server(PORT)
    finally:
        server.stop()
    seconds = time.monotonic() - started

    sent = Message.objects.filter(direction=Direction.OUTBOUND, message_id__in=list(payloads))
    received = Message.objects.filter(direction=Direction.INBOUND, message_id__in=list(payloads))
    statuses: dict[str, int] = {}
    for row in sent:
        statuses[row.get_status_display()] = statuses.get(row.get_status_display(), 0) + 1
    exact = repeats = 0
    for row in received:
        if row.payload_key:
            with default_storage.open(row.payload_key, "rb") as file:
                exact += file.read() == payloads[row.message_id]
        repeats += int((row.details or {}).get("duplicates", 0))
    attempts = sum(row.attempts for row in sent)
    print(f"{args.messages} messages queued; task worker killed {kills} times; {seconds:.0f} s")
    print("sent (outbound): " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    print(f"delivery attempts: {attempts} for {sent.count()} messages")
    print(
        f"received (inbound): {received.count()} rows for {len(payloads)} messages, "
        f"{exact} byte-exact, {repeats} repeats answered from the stored MDN"
    )


if __name__ == "__main__":
    main()
