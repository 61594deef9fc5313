"""Hostile input at the AS2 endpoint: 20,000 (or --cases) mutated and garbage requests.

Run: .venv/bin/python bench/fuzz_inbound.py [--cases 20000] [--seed 1]

A throwaway data folder (SQLite, local files) with the partnership beta ← alpha of
bench/inbound.py; every case goes through serverless_as2.wsgi.application, the entry point
gunicorn and Zappa call, in this process. Cases come from tests/tracklog/fuzz_cases.py: our
messages (signed and encrypted, signed, plain, compressed, async MDN asked), the real
products' vectors and messages made by the openssl CLI, mutated (headers missing, repeated,
huge, malformed; bodies truncated, bit-flipped, spliced, duplicated; MIME framing cut;
Content-Length missing, larger, smaller, negative or not a number), raw garbage, multipart and compressed-data
nested 100 deep, a 50 MB decompression bomb. Prints the answers by status, server errors (must
be 0), the time per request (median, p99, max, and the slowest case) and the process's memory
(peak, and the largest growth in one request), against the unmutated messages as the baseline.
"""

from __future__ import annotations

import argparse
import collections
import logging
import os
import sys
import time

os.environ.setdefault("SAS2_LOG_LEVEL", "ERROR")  # a 5xx shows its traceback
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import inbound  # noqa: E402  (sets up Django in a throwaway data folder)

import as2  # noqa: E402
from tests.tracklog import fuzz_cases  # noqa: E402
from tracklog.models import Direction, Message, Status  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as file:
        return int(file.read().split()[1]) * PAGE / 1024**2


def peak_reset() -> None:
    """Start the kernel's peak-RSS count (VmHWM) over from now."""
    with open("/proc/self/clear_refs", "w") as file:
        file.write("5")


def peak_mb() -> float:
    with open("/proc/self/status") as file:
        for line in file:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def seeds() -> list[fuzz_cases.Seed]:
    alpha, beta = inbound.ALPHA, inbound.BETA
    signer = as2.Signer(alpha[0], alpha[1], as2.Digest.SHA256)
    recipient = as2.Recipient(beta[1], as2.ContentCipher.AES256_CBC)
    variants = [
        {"signer": signer, "recipient": recipient},
        {"signer": signer, "recipient": None},
        {"signer": None, "recipient": None},
        {"signer": signer, "recipient": recipient, "compress": as2.Compression.BEFORE_SIGNING},
        {
            "signer": signer,
            "recipient": recipient,
            "mdn": as2.MdnRequest(mode=as2.MdnMode.ASYNC, url="http://127.0.0.1:9/mdn"),
        },
    ]
    built = []
    for n, variant in enumerate(variants):
        message = as2.build_message(
            b"ISA*00*fuzz~GS*PO~" + os.urandom(2000) + str(n).encode(),
            filename="order.edi",
            content_type="application/EDI-X12",
            sender="alpha",
            receiver="beta",
            subject="fuzz",
            **{"mdn": as2.MdnRequest(mode=as2.MdnMode.SYNC, signed=True), **variant},
        )
        built.append((dict(message.headers), message.body))
    made = fuzz_cases.openssl_seeds(
        sender="alpha",
        receiver="beta",
        signer_key=alpha[0],
        signer_certificate=alpha[1],
        recipient_certificate=beta[1],
    )
    return built + fuzz_cases.vector_seeds("alpha", "beta") + made


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    path = inbound.setup()
    base = seeds()
    logging.disable(logging.WARNING)  # one "Bad Request" line per refused case otherwise

    # Baseline of the same run: the unmutated messages, each with a fresh Message-ID.
    baseline = []
    for n in range(50):
        headers, body = base[n % 5]
        headers = {**headers, "Message-ID": f"<baseline-{n}@fuzz>"}
        started = time.perf_counter()
        answer = fuzz_cases.wsgi_post(path, headers, body)
        baseline.append(time.perf_counter() - started)
        assert answer.status == 200, answer.body[:200]

    statuses: collections.Counter[int] = collections.Counter()
    server_errors: list[str] = []
    times: list[tuple[float, str]] = []
    growth: list[tuple[float, str]] = []
    start_rss = rss_mb()
    highest = start_rss
    started_all = time.perf_counter()
    for name, headers, body in fuzz_cases.cases(
        base, count=args.cases, seed=args.seed, sender="alpha", receiver="beta"
    ):
        before = rss_mb()
        peak_reset()
        started = time.perf_counter()
        try:
            answer = fuzz_cases.wsgi_post(path, headers, body)
            status = answer.status
        except Exception as error:  # noqa: BLE001 (an exception out of the app is a 500)
            status = 500
            name = f"{name}: {type(error).__name__}: {error}"
        times.append((time.perf_counter() - started, name))
        peak = peak_mb()
        highest = max(highest, peak)
        growth.append((peak - before, name))
        statuses[status] += 1
        if status >= 500 or not (status == 200 or 400 <= status < 500):
            server_errors.append(f"{status} {name}")
    elapsed = time.perf_counter() - started_all

    processed = Message.objects.filter(direction=Direction.INBOUND, status=Status.MDN_SENT)
    durations = [duration for duration, _ in times]
    slowest = max(times)
    largest = max(growth)
    print(f"cases: {len(times):,} in {elapsed:.0f} s ({len(times) / elapsed:.0f}/s)")
    print("answers: " + ", ".join(f"{code}: {count:,}" for code, count in sorted(statuses.items())))
    print(f"server errors (5xx or an exception): {len(server_errors)}")
    for line in server_errors[:10]:
        print(f"  {line[:200]}")
    print(f"processed (15, an MDN saying processed): {processed.count():,}")
    print(
        f"time per request: median {percentile(durations, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(durations, 0.99) * 1000:.1f} ms, max {slowest[0] * 1000:.0f} ms "
        f"({slowest[1][:60]})"
    )
    print(
        f"baseline (unmutated messages, same run): median "
        f"{percentile(baseline, 0.5) * 1000:.1f} ms, max {max(baseline) * 1000:.1f} ms"
    )
    print(
        f"memory: {start_rss:.0f} MB before the cases, {rss_mb():.0f} MB after, peak {highest:.0f} MB;"
        f" largest peak above the resting size in one request {largest[0]:.0f} MB"
        f" ({largest[1][:60]})"
    )
    sys.exit(1 if server_errors else 0)


if __name__ == "__main__":
    main()
