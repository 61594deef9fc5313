"""Hostile AS2 requests for the inbound endpoint: real messages mutated, and raw garbage.

Shared by tests/tracklog/test_fuzz_inbound.py (a bounded number, in CI) and
bench/fuzz_inbound.py (20,000 and more, with time and memory per request). A case is
(name, headers, body); the caller posts it and checks the answer: an MDN or a 4xx, never a 5xx.
A Content-Length among a case's headers is what the client claims (see content_length_lies);
without one, the body's length is sent.
"""

import base64
import io
import random
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from as2.cms.compressed import compress

type Case = tuple[str, dict[str, str], bytes]
type Seed = tuple[dict[str, str], bytes]

VECTORS = Path(__file__).resolve().parents[1] / "as2" / "vectors"
AS2_HEADERS = (
    "AS2-From",
    "AS2-To",
    "Message-ID",
    "Content-Type",
    "Disposition-Notification-To",
    "Disposition-Notification-Options",
    "Receipt-Delivery-Option",
    "Content-Transfer-Encoding",
    "MIME-Version",
    "AS2-Version",
    "Subject",
)
# The captured HTTP headers that belong to that one exchange, not to the message.
NOT_FROM_THE_VECTOR = {"as2-from", "as2-to", "host", "content-length", "connection"}
ODD_VALUES = (
    "",
    " ",
    "\t",
    "x" * 70_000,
    "béta",
    "\x00\x01",
    "a\r\nInjected: 1",
    "<>",
    "<@>",
    '"quoted',
    "multipart/signed; boundary=",
    "multipart/signed; protocol=application/pkcs7-signature; micalg=sha-256; boundary=x",
    "application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m",
    "application/pkcs7-mime; smime-type=compressed-data",
    "multipart/report; report-type=disposition-notification; boundary=b",
    "signed-receipt-protocol=required, pkcs7-signature; signed-receipt-micalg=required, md5",
    "http://169.254.169.254/latest/meta-data/",
    "file:///etc/passwd",
    "%s%s%n",
    "../../../../etc/passwd",
)


def vector_seeds(sender: str, receiver: str) -> list[Seed]:
    """The real products' messages of tests/as2/vectors, addressed to our partnership."""
    seeds = []
    for path in sorted(VECTORS.glob("*.as2")) + sorted(VECTORS.glob("*.mdn")):
        headers, body = split_message(path.read_bytes())
        headers = {k: v for k, v in headers.items() if k.lower() not in NOT_FROM_THE_VECTOR}
        headers["AS2-From"], headers["AS2-To"] = sender, receiver
        seeds.append((headers, body))
    return seeds


def split_message(data: bytes) -> Seed:
    """Headers and body of a message as a file holds it (lines end in LF or CRLF, and a header
    goes on on lines that start with a space)."""
    lines, body = data, b""
    headers: dict[str, str] = {}
    name = ""
    while lines:
        line, _, lines = lines.partition(b"\n")
        text = line.rstrip(b"\r").decode("latin-1")
        if not text:
            body = lines
            break
        if text[:1] in " \t" and name:
            headers[name] += " " + text.strip()
            continue
        name, _, value = text.partition(":")
        name = name.strip()
        headers[name] = value.strip()
    return headers, body


def openssl_seeds(
    *, sender: str, receiver: str, signer_key, signer_certificate, recipient_certificate
) -> list[Seed]:
    """Messages made by the openssl CLI, another CMS implementation than ours, signed then
    encrypted as a partnership asks: signed by `cms` (SHA-256, SHA-512) and by the older PKCS#7
    of `smime` (SHA-1), or inside the signed-data (not detached, SHA-384); encrypted with AES
    128/192/256 or 3DES, with RSA PKCS#1 v1.5 or OAEP; and compressed, when this openssl has
    zlib. Each asks for a signed sync MDN; the Message-IDs are <openssl-N@fuzz>."""
    from cryptography.hazmat.primitives import serialization

    entity = (
        b"Content-Type: application/EDI-X12\r\n"
        b"Content-Transfer-Encoding: binary\r\n"
        b'Content-Disposition: attachment; filename="openssl.x12"\r\n'
        b"\r\nISA*00*openssl~GS*PO~\r\nST*850\x00\xff tail\r\n"
    )
    with tempfile.TemporaryDirectory(prefix="openssl-seeds-") as folder:
        here = Path(folder)
        key = signer_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        (here / "signer.key").write_bytes(key)
        pem = serialization.Encoding.PEM
        (here / "signer.pem").write_bytes(signer_certificate.public_bytes(pem))
        (here / "recipient.pem").write_bytes(recipient_certificate.public_bytes(pem))
        (here / "entity").write_bytes(entity)
        signer = ["-signer", here / "signer.pem", "-inkey", here / "signer.key"]

        def run(*arguments) -> bytes:
            result = subprocess.run(
                ["openssl", *map(str, arguments)], capture_output=True, check=False
            )
            if result.returncode:
                raise RuntimeError(result.stderr.decode(errors="replace"))
            return result.stdout

        def smime(*arguments) -> Seed:
            return split_message(run(*arguments, "-in", here / "entity", "-outform", "SMIME"))

        def encrypted(content: bytes, *options) -> Seed:
            (here / "content").write_bytes(content)
            cipher, *recipient_options = options  # -keyopt applies to the -recip before it
            der = run(
                "cms", "-encrypt", "-binary", cipher, "-recip", here / "recipient.pem",
                *recipient_options, "-in", here / "content", "-outform", "DER",
            )  # fmt: skip
            return {"Content-Type": ENVELOPED}, der

        def entity_of(seed: Seed) -> bytes:
            head = b"".join(f"{name}: {value}\r\n".encode() for name, value in seed[0].items())
            return head + b"\r\n" + seed[1]

        opaque = run(
            "cms", "-sign", "-binary", "-nodetach", "-md", "sha384", *signer,
            "-in", here / "entity", "-outform", "DER",
        )  # fmt: skip
        opaque_entity = (
            b"Content-Type: application/pkcs7-mime; smime-type=signed-data\r\n"
            b"Content-Transfer-Encoding: binary\r\n\r\n" + opaque
        )
        cms_sha256 = entity_of(smime("cms", "-sign", "-binary", "-md", "sha256", *signer))
        smime_sha1 = entity_of(smime("smime", "-sign", "-binary", "-md", "sha1", *signer))
        cms_sha512 = entity_of(smime("cms", "-sign", "-binary", "-md", "sha512", *signer))
        made = [
            encrypted(cms_sha256, "-aes-256-cbc"),
            encrypted(smime_sha1, "-des3"),
            encrypted(cms_sha256, "-aes-128-cbc", "-keyopt", "rsa_padding_mode:oaep"),
            encrypted(cms_sha512, "-aes-192-cbc"),
            encrypted(opaque_entity, "-aes-256-cbc"),
        ]
        try:
            der = run("cms", "-compress", "-binary", "-in", here / "entity", "-outform", "DER")
        except RuntimeError:
            pass  # this openssl was built without zlib
        else:  # compressed, then signed and encrypted (RFC 5402's compress-before-signing)
            (here / "entity").write_bytes(
                f"Content-Type: {COMPRESSED}\r\nContent-Transfer-Encoding: binary\r\n\r\n".encode()
                + der
            )
            signed = entity_of(smime("cms", "-sign", "-binary", "-md", "sha256", *signer))
            made.append(encrypted(signed, "-aes-256-cbc"))
    seeds = []
    for n, (headers, body) in enumerate(made):
        seeds.append(({**as2_headers(sender, receiver, f"<openssl-{n}@fuzz>"), **{
            name: value for name, value in headers.items() if name.lower() == "content-type"
        }}, body))  # fmt: skip
    return seeds


ENVELOPED = 'application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"'
COMPRESSED = 'application/pkcs7-mime; smime-type=compressed-data; name="smime.p7z"'


def as2_headers(sender: str, receiver: str, message_id: str) -> dict[str, str]:
    """The AS2 headers of a message that asks for a signed sync MDN."""
    return {
        "AS2-Version": "1.2",
        "MIME-Version": "1.0",
        "AS2-From": sender,
        "AS2-To": receiver,
        "Message-ID": message_id,
        "Subject": "made by openssl",
        "Disposition-Notification-To": f"edi@{sender}.example",
        "Disposition-Notification-Options": (
            "signed-receipt-protocol=optional, pkcs7-signature; "
            "signed-receipt-micalg=optional, sha-256"
        ),
    }


def nested_multipart(depth: int) -> Seed:
    """A multipart/signed whose first part is a multipart, `depth` levels down."""
    body = b"Content-Type: text/plain\r\n\r\nEDI\r\n"
    for level in range(depth):
        boundary = f"b{level}".encode()
        body = (
            b"Content-Type: multipart/mixed; boundary=" + boundary + b"\r\n\r\n--" + boundary
            + b"\r\n" + body + b"\r\n--" + boundary + b"--\r\n"
        )  # fmt: skip
    head, _, inner = body.partition(b"\r\n\r\n")
    content_type = head.decode().partition(": ")[2]
    return {"Content-Type": content_type}, inner


def nested_compression(depth: int) -> Seed:
    """compressed-data inside compressed-data, `depth` times."""
    content = b"Content-Type: application/EDI-X12\r\n\r\nISA~"
    for _ in range(depth):
        der = compress(content)
        content = (
            b"Content-Type: application/pkcs7-mime; smime-type=compressed-data\r\n"
            b"Content-Transfer-Encoding: binary\r\n\r\n" + der
        )
    head, _, der = content.partition(b"\r\n\r\n")
    return {"Content-Type": "application/pkcs7-mime; smime-type=compressed-data"}, der


def decompression_bomb(size: int) -> Seed:
    """A compressed-data whose content is `size` bytes of zeros (about size/1000 on the wire)."""
    content = b"Content-Type: application/EDI-X12\r\n\r\n" + bytes(size)
    return {"Content-Type": "application/pkcs7-mime; smime-type=compressed-data"}, compress(
        content, level=9
    )


# --- mutations: (rng, headers, body) -> (headers, body) ----------------------------------------

type Mutation = Callable[[random.Random, dict[str, str], bytes], tuple[dict[str, str], bytes]]


def drop_header(rng, headers, body):
    headers = dict(headers)
    headers.pop(rng.choice(AS2_HEADERS), None)
    return headers, body


def odd_header(rng, headers, body):
    return {**headers, rng.choice(AS2_HEADERS): rng.choice(ODD_VALUES)}, body


def repeated_header(rng, headers, body):
    # A header sent twice reaches the application joined with a comma (RFC 9110, 5.3).
    name = rng.choice(AS2_HEADERS)
    value = headers.get(name, "x")
    return {**headers, name: f"{value}, {rng.choice([value, *ODD_VALUES[:8]])}"}, body


def many_headers(rng, headers, body):
    extra = {f"X-Junk-{n}": "y" * rng.randint(0, 200) for n in range(rng.randint(50, 300))}
    return {**headers, **extra}, body


def truncate(rng, headers, body):
    return headers, body[: rng.randint(0, max(len(body) - 1, 0))]


def flip_bits(rng, headers, body):
    data = bytearray(body)
    for _ in range(rng.randint(1, 16)):
        if data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return headers, bytes(data)


def splice_garbage(rng, headers, body):
    at = rng.randint(0, len(body))
    return headers, body[:at] + rng.randbytes(rng.randint(1, 512)) + body[at:]


def duplicate_slice(rng, headers, body):
    if not body:
        return headers, body
    start = rng.randrange(len(body))
    piece = body[start : start + rng.randint(1, 4096)]
    return headers, body[:start] + piece * rng.randint(2, 50) + body[start:]


def cut_mime_framing(rng, headers, body):
    for needle in (b"\r\n\r\n", b"\n\n", b"--", b"boundary=", b"Content-Type"):
        if needle in body and rng.random() < 0.5:
            body = body.replace(needle, rng.choice([b"", b"\r\n", needle * 2]), 1)
    return headers, body


def base64_wrapped(rng, headers, body):
    return {**headers, "Content-Transfer-Encoding": "base64"}, base64.encodebytes(body)


def garbage_body(rng, headers, body):
    return headers, rng.randbytes(rng.choice([0, 1, 17, 500, 5000, 60_000]))


# What a client may claim in Content-Length; wsgi_post passes it on as the server would.
ABSENT = "(absent)"  # no Content-Length: Django reads no body
CHUNKED = "(chunked)"  # no Content-Length, the server ends the stream (gunicorn, chunked)
NOT_A_NUMBER = ("", "abc", "12abc", "0x10", "1e3", " 7", "+5", "1_000", "１２", "5, 5", "-0")


def content_length_lies(body: bytes) -> list[tuple[str, str]]:
    """(name, claimed Content-Length) for a body: missing, larger, smaller, negative, not a
    number, and larger than any message the endpoint accepts."""
    size = len(body)
    return [
        ("Content-Length missing", ABSENT),
        ("Content-Length missing, chunked", CHUNKED),
        ("Content-Length larger by 1", str(size + 1)),
        ("Content-Length larger by 1 MB", str(size + 1_000_000)),
        ("Content-Length 10 GB", str(10 * 1024**3)),
        ("Content-Length 0", "0"),
        ("Content-Length smaller by 1", str(max(size - 1, 0))),
        ("Content-Length half", str(size // 2)),
        ("Content-Length -1", "-1"),
        ("Content-Length negative size", str(-size)),
        *((f"Content-Length {value!r}", value) for value in NOT_A_NUMBER),
    ]


def lying_content_length(rng, headers, body):
    _, claimed = rng.choice(content_length_lies(body))
    return {**headers, "Content-Length": claimed}, body


MUTATIONS: tuple[Mutation, ...] = (
    drop_header,
    odd_header,
    repeated_header,
    many_headers,
    truncate,
    flip_bits,
    splice_garbage,
    duplicate_slice,
    cut_mime_framing,
    base64_wrapped,
    garbage_body,
    lying_content_length,
)


def raw_garbage(rng: random.Random, sender: str, receiver: str) -> Seed:
    """A request that was never an AS2 message: random headers and bytes."""
    headers = {
        "Content-Type": rng.choice(ODD_VALUES[9:15] + ("text/plain", "application/octet-stream")),
    }
    for name in rng.sample(AS2_HEADERS, rng.randint(0, 4)):
        headers[name] = rng.choice((sender, receiver, *ODD_VALUES))
    return headers, rng.randbytes(rng.randint(0, 3000))


def cases(
    seeds: list[Seed], *, count: int, seed: int = 0, sender: str, receiver: str
) -> Iterator[Case]:
    """`count` hostile requests: each seed once, the structural ones, then random mutations."""
    rng = random.Random(seed)
    structural = []
    for depth in (2, 10, 100):
        structural.append((f"multipart nested {depth} deep", *nested_multipart(depth)))
        structural.append((f"compressed nested {depth} deep", *nested_compression(depth)))
    structural.append(("decompression bomb 50 MB", *decompression_bomb(50 * 1024**2)))
    base = {"AS2-From": sender, "AS2-To": receiver, "Message-ID": "<structure@fuzz>"}
    fixed = [("seed", headers, body) for headers, body in seeds]
    fixed += [(name, {**base, **headers}, body) for name, headers, body in structural]
    # The first seed (a whole message) with each lie about its length, under a fresh ID.
    headers, body = seeds[0]
    for number, (name, claimed) in enumerate(content_length_lies(body)):
        lie = {**headers, "Content-Length": claimed, "Message-ID": f"<length-{number}@fuzz>"}
        fixed.append((name, lie, body))
    for name, headers, body in fixed[:count]:
        yield name, headers, body
    for n in range(len(fixed), count):
        if rng.random() < 0.15:
            yield "raw garbage", *raw_garbage(rng, sender, receiver)
            continue
        headers, body = rng.choice(seeds)
        names = []
        for mutation in rng.sample(MUTATIONS, rng.choice([1, 1, 2, 3])):
            headers, body = mutation(rng, headers, body)
            names.append(mutation.__name__)
        # A fresh Message-ID most of the time, so that cases are processed, not answered as
        # duplicates of the first one.
        if "Message-ID" in headers and rng.random() < 0.9:
            headers = {**headers, "Message-ID": f"<fuzz-{seed}-{n}@fuzz>"}
        yield "+".join(names), headers, body


# --- posting a case through the production WSGI application -------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def wsgi_post(path: str, headers: dict[str, str], body: bytes) -> Answer:
    """POST through serverless_as2.wsgi.application as a WSGI server would (gunicorn, Zappa):
    the real entry point, so that a failure while Django builds the request shows too."""
    from django.core import signals
    from django.db import close_old_connections

    from serverless_as2.wsgi import application

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": False,
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ[key] = value
        elif key == "CONTENT_LENGTH":  # what the client claims, a lie included
            if value in (ABSENT, CHUNKED):
                del environ[key]
                environ["wsgi.input_terminated"] = value == CHUNKED
            else:
                environ[key] = value
        elif "_" not in name:  # gunicorn drops header names with underscores
            environ[f"HTTP_{key}"] = value
    started: list = []

    def start_response(status: str, response_headers: list) -> None:
        started.append((int(status.split()[0]), dict(response_headers)))

    # As Django's test client does: a test's transaction is not a connection to close.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        result = application(environ, start_response)
        data = b"".join(result)
        if hasattr(result, "close"):
            result.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    status, response_headers = started[0]
    return Answer(status, response_headers, data)
