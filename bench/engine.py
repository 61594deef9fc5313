"""AS2 engine figures: build/parse/MDN times and peak memory, against the raw crypto floor.

Run: .venv/bin/python bench/engine.py
The floor is measured in the same run: cryptography's own PKCS#7 sign + encrypt, and decrypt +
a detached-signature check (digest of the bytes + RSA verify), on the same bytes, no MIME.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import pkcs7

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import as2  # noqa: E402
from as2 import Compression, Oaep, Pss, ReceiverKeys, Recipient, Signer, cms  # noqa: E402
from as2.cms import enveloped_fast, signed_fast  # noqa: E402
from bench.identities import party  # noqa: E402

SIZES = {"10 KB": 10 * 1024, "1 MB": 1024 * 1024, "20 MB": 20 * 1024 * 1024}
RUNS = {"10 KB": 200, "1 MB": 20, "20 MB": 5}


ALICE_KEY, ALICE_CERT = party("alice")
BOB_KEY, BOB_CERT = party("bob")
ALICE = Signer(ALICE_KEY, ALICE_CERT)
BOB = Signer(BOB_KEY, BOB_CERT)
TO_BOB = Recipient(BOB_CERT)
BOB_KEYS = ReceiverKeys(BOB_KEY, BOB_CERT, (ALICE_CERT,))


def medians_ms(functions: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Median time of each function, run in interleaved rounds so load hits all alike."""
    for function in functions.values():
        function()  # warm up
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(runs):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def peak_bytes(function: Callable[[], object]) -> int:
    """Peak Python-allocated bytes while ``function`` runs (its inputs excluded)."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def payload_of(size: int) -> bytes:
    text = b"LIN+1++9783898307529:EN'\r\nQTY+21:5'\nPRI+AAA:27.5'\r\n"
    half = (text * (size // len(text) + 1))[: size // 2]
    return half + os.urandom(size - len(half))


# --- The floor: cryptography alone, no MIME --------------------------------------------------


def floor_build(data: bytes) -> bytes:
    signature = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(data)
        .add_signer(ALICE_CERT, ALICE_KEY, hashes.SHA256())
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature,
                                           pkcs7.PKCS7Options.Binary])
    )  # fmt: skip
    return (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(data + signature)
        .add_recipient(BOB_CERT)
        .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )


def floor_parse(envelope: bytes, signature: bytes) -> None:
    content = pkcs7.pkcs7_decrypt_der(envelope, BOB_CERT, BOB_KEY, [])
    digest = hashes.Hash(hashes.SHA256())
    digest.update(content)
    digest.finalize()
    ALICE_CERT.public_key().verify(signature, b"x" * 100, padding.PKCS1v15(), hashes.SHA256())


# --- The CMS layer alone (as2.cms), to split our overhead into CMS and MIME ---------------------


def cms_build(data: bytes) -> bytes:
    signature = cms.sign(data, ALICE)
    return cms.encrypt(data + signature, TO_BOB)


def cms_parse(envelope: bytes, signature: bytes, data: bytes) -> None:
    cms.decrypt(envelope, key=BOB_KEY, certificate=BOB_CERT)
    cms.verify(signature, data, certificates=[ALICE_CERT])


# --- The engine ------------------------------------------------------------------------------


def engine_build(
    data: bytes,
    compress: Compression = Compression.NONE,
    signer: Signer = ALICE,
    recipient: Recipient = TO_BOB,
) -> as2.OutboundMessage:
    return as2.build_message(
        data,
        filename="bench.edi",
        content_type="application/EDIFACT",
        sender="alice",
        receiver="bob",
        subject="bench",
        signer=signer,
        recipient=recipient,
        compress=compress,
    )


def engine_parse(message: as2.OutboundMessage) -> as2.InboundMessage:
    return as2.parse_message(message.headers, message.body, keys=BOB_KEYS)


def engine_parse_one_reader(message: as2.OutboundMessage) -> as2.InboundMessage:
    """engine_parse with the ber.py readers switched off: asn1crypto reads every shape."""
    saved = (
        signed_fast.read_common_signed_data,
        enveloped_fast.read_common_recipients,
        enveloped_fast.content_encryption_by_prefix,
    )
    signed_fast.read_common_signed_data = lambda *_: None  # type: ignore[assignment]
    enveloped_fast.read_common_recipients = lambda *_: None  # type: ignore[assignment]
    enveloped_fast.content_encryption_by_prefix = lambda *_: None  # type: ignore[assignment]
    try:
        return engine_parse(message)
    finally:
        (
            signed_fast.read_common_signed_data,
            enveloped_fast.read_common_recipients,
            enveloped_fast.content_encryption_by_prefix,
        ) = saved


def measure(label: str, size: int) -> dict[str, float]:
    runs = RUNS[label]
    data = payload_of(size)
    envelope = floor_build(data)
    small_signature = ALICE_KEY.sign(b"x" * 100, padding.PKCS1v15(), hashes.SHA256())
    message = engine_build(data)
    received = engine_parse(message)
    assert received.payload == data
    mdn = as2.build_mdn(original=received, signer=BOB)
    compressed = engine_build(data, Compression.BEFORE_SIGNING)
    # as2.cms reads the common shapes with ber.py; PSS and OAEP take the asn1crypto reader.
    uncommon = engine_build(
        data,
        signer=Signer(ALICE_KEY, ALICE_CERT, padding=Pss()),
        recipient=Recipient(BOB_CERT, key_transport=Oaep()),
    )
    cms_envelope = cms_build(data)
    cms_signature = cms.sign(data, ALICE)
    timings = medians_ms(
        {
            "floor build": lambda: floor_build(data),
            "cms build": lambda: cms_build(data),
            "build": lambda: engine_build(data),
            "floor parse": lambda: floor_parse(envelope, small_signature),
            "cms parse": lambda: cms_parse(cms_envelope, cms_signature, data),
            "parse": lambda: engine_parse(message),
            "parse one reader": lambda: engine_parse_one_reader(message),
            "mdn build": lambda: as2.build_mdn(original=received, signer=BOB),
            "mdn parse": lambda: as2.parse_mdn(
                mdn.headers, mdn.body, partner_certificates=[BOB_CERT], expected_mic=message.mic
            ),
        },
        runs,
    )
    timings |= medians_ms(
        {
            "build zlib": lambda: engine_build(data, Compression.BEFORE_SIGNING),
            "parse zlib": lambda: engine_parse(compressed),
            "parse pss+oaep": lambda: engine_parse(uncommon),
        },
        max(runs // 4, 3),
    )
    return timings | {
        "message size": len(message.body),
        "build peak": peak_bytes(lambda: engine_build(data)),
        "parse peak": peak_bytes(lambda: engine_parse(message)),
    }


def main() -> None:
    print("AS2 engine bench: RSA-2048, SHA-256 signature, AES-256-CBC, binary; medians in ms")
    print("floor = cryptography's PKCS#7 sign+encrypt / decrypt + digest + RSA verify, no MIME")
    print("cms = as2.cms alone (sign+encrypt / decrypt+verify), no MIME; x = ratio to floor\n")
    results = {label: measure(label, size) for label, size in SIZES.items()}
    print(f"{'size':>6} | {'floor':>7} {'cms':>7} {'build':>7} {'x':>5} | "
          f"{'floor':>7} {'cms':>7} {'parse':>7} {'x':>5}")  # fmt: skip
    for label, r in results.items():
        print(
            f"{label:>6} | {r['floor build']:7.2f} {r['cms build']:7.2f} {r['build']:7.2f} "
            f"{r['build'] / r['floor build']:5.2f} | {r['floor parse']:7.2f} "
            f"{r['cms parse']:7.2f} {r['parse']:7.2f} {r['parse'] / r['floor parse']:5.2f}"
        )
    print(f"\n{'size':>6} | {'build zlib':>10} {'parse zlib':>10} | {'MDN build':>9} "
          f"{'MDN parse':>9} | {'peak build':>10} {'peak parse':>10}")  # fmt: skip
    for label, r in results.items():
        size = r["message size"]
        print(
            f"{label:>6} | {r['build zlib']:10.2f} {r['parse zlib']:10.2f} | "
            f"{r['mdn build']:9.2f} {r['mdn parse']:9.2f} | "
            f"{r['build peak'] / size:9.2f}x {r['parse peak'] / size:9.2f}x"
        )
    small, big = results["10 KB"], results["20 MB"]
    print("\npeak = tracemalloc peak / message size (Python allocations; inputs excluded)")
    print(
        f"goal 10 KB build <= 2x floor: {small['build'] / small['floor build']:.2f}x; "
        f"parse <= 2x floor: {small['parse'] / small['floor parse']:.2f}x "
        f"(as2.cms alone: {small['cms build'] / small['floor build']:.2f}x / "
        f"{small['cms parse'] / small['floor parse']:.2f}x)"
    )
    print(
        f"10 KB parse with the ber.py readers off (asn1crypto reads all): "
        f"{small['parse one reader']:.2f} ms, "
        f"{small['parse one reader'] / small['floor parse']:.2f}x"
    )
    print(
        f"10 KB parse of a PSS-signed, OAEP-encrypted message (asn1crypto path): "
        f"{small['parse pss+oaep']:.2f} ms, {small['parse pss+oaep'] / small['floor parse']:.2f}x"
    )
    print(
        f"goal 20 MB parse peak < 4x message: {big['parse peak'] / big['message size']:.2f}x "
        f"({big['parse peak'] / 2**20:.1f} MiB for a {big['message size'] / 2**20:.1f} MiB message)"
    )


if __name__ == "__main__":
    main()
