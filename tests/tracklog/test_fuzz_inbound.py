"""Hostile input at the AS2 endpoint, in CI: 300 mutated real messages and raw garbage, and
more drawn by hypothesis. Each is answered with an MDN (HTTP 200) or a 4xx, never a 5xx; a
message that is not whole is never "processed". bench/fuzz_inbound.py runs 20,000 and more."""

from functools import cache

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

import as2
from tests.tracklog import fuzz_cases
from tests.tracklog.conftest import endpoint_url, identity, partnership_with_certificate
from tests.tracklog.test_receive import alpha_message
from tracklog.models import Direction, Message, Status


@pytest.fixture
def endpoint(db, tenant_a, tenant_b, messaging_settings) -> str:
    partnership_with_certificate(tenant_b, "beta", "alpha", "http://127.0.0.1:9/as2/")
    return endpoint_url("", tenant_b)


def to_beta(payload: bytes, key, certificate, **options) -> as2.OutboundMessage:
    """`payload` from alpha to beta, signed with `key`, encrypted for beta, signed sync MDN."""
    return as2.build_message(
        payload,
        filename="fuzz.edi",
        content_type="application/EDI-X12",
        sender="alpha",
        receiver="beta",
        subject="fuzz",
        signer=as2.Signer(key, certificate),
        recipient=as2.Recipient(identity("beta")[1]),
        mdn=as2.MdnRequest(mode=as2.MdnMode.SYNC, signed=True),
        **options,
    )


@cache
def openssl_made() -> list[fuzz_cases.Seed]:
    """Alpha's messages as the openssl CLI makes them (signed, encrypted, compressed)."""
    key, certificate = identity("alpha")
    return fuzz_cases.openssl_seeds(
        sender="alpha",
        receiver="beta",
        signer_key=key,
        signer_certificate=certificate,
        recipient_certificate=identity("beta")[1],
    )


def alphas_own() -> list[fuzz_cases.Seed]:
    """Messages alpha's software sends: signed and encrypted, signed, plain, compressed."""
    key, certificate = identity("alpha")
    built = [
        alpha_message(),
        alpha_message(encrypt_certificate=None),
        alpha_message(sign_key=None, encrypt_certificate=None),
    ]
    seeds = [(dict(message.headers), message.body) for message in built]
    compressed = to_beta(
        b"ISA*compressed~", key, certificate, compress=as2.Compression.BEFORE_SIGNING
    )
    seeds.append((dict(compressed.headers), compressed.body))
    return seeds


def our_seeds() -> list[fuzz_cases.Seed]:
    """Alpha's own messages, the real products' messages of the vectors, openssl's messages."""
    return alphas_own() + fuzz_cases.vector_seeds("alpha", "beta") + openssl_made()


def check_answer(answer: fuzz_cases.Answer, name: str) -> None:
    assert answer.status < 500, f"{name}: {answer.status} {answer.body[:300]}"
    assert answer.status == 200 or 400 <= answer.status < 500, name
    assert answer.body, f"{name}: an answer says why"


@pytest.mark.requires_tool("openssl")
def test_300_hostile_requests_get_an_mdn_or_a_4xx_never_a_5xx(endpoint):
    seeds = our_seeds()
    seen = 0
    for name, headers, body in fuzz_cases.cases(
        seeds, count=300, seed=10, sender="alpha", receiver="beta"
    ):
        check_answer(fuzz_cases.wsgi_post(endpoint, headers, body), name)
        seen += 1
    assert seen == 300
    # Only whole, verified messages were processed: each processed payload is one we sent.
    processed = Message.objects.filter(direction=Direction.INBOUND, status=Status.MDN_SENT)
    assert processed.count() >= 4, "the unmutated seeds went through"
    for message in processed:
        assert message.mic, message.message_id
    # openssl's messages were whole and verified before they were mutated.
    made = {headers["Message-ID"] for headers, _ in openssl_made()}
    assert made <= set(processed.values_list("message_id", flat=True))


@pytest.mark.requires_tool("openssl")
def test_openssl_made_messages_are_processed_with_the_mic_openssl_signed(endpoint):
    """The seeds are real messages: each comes back "processed" (its signature verified)."""
    made = openssl_made()
    assert len(made) >= 5
    for headers, body in made:
        answer = fuzz_cases.wsgi_post(endpoint, headers, body)
        assert answer.status == 200, answer.body[:300]
        mdn = as2.parse_mdn(answer.headers, answer.body)
        assert mdn.disposition_type == "processed" and mdn.modifier is None, headers
    messages = Message.objects.filter(direction=Direction.INBOUND, status=Status.MDN_SENT)
    assert messages.count() == len(made)


# Lies that hand the application less than the whole message: never "processed".
CUT = ("missing", "smaller", "half", "Content-Length 0", "-1", "negative", "'")


def test_a_lying_content_length_gets_an_mdn_or_a_4xx_never_processed_when_cut(endpoint):
    headers, body = alphas_own()[0]
    lies = fuzz_cases.content_length_lies(body)
    assert len(lies) >= 15
    for number, (name, claimed) in enumerate(lies):
        lie = {**headers, "Content-Length": claimed, "Message-ID": f"<lie-{number}@fuzz>"}
        answer = fuzz_cases.wsgi_post(endpoint, lie, body)
        check_answer(answer, name)
        cut = "chunked" not in name and any(word in name for word in CUT)
        if cut and answer.status == 200:
            mdn = as2.parse_mdn(answer.headers, answer.body)
            assert mdn.modifier, f"{name}: {mdn.disposition}"  # an error, not "processed"
    whole = Message.objects.filter(direction=Direction.INBOUND, status=Status.MDN_SENT)
    # What read the whole body: chunked, and the lengths of at least the body's size.
    assert {m.message_id for m in whole} == {
        f"<lie-{number}@fuzz>"
        for number, (name, _) in enumerate(lies)
        if "chunked" in name or "larger" in name
    }


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    mutations=st.lists(st.sampled_from(fuzz_cases.MUTATIONS), min_size=1, max_size=4),
)
def test_any_chain_of_mutations_gets_an_answer_never_a_5xx(endpoint, seed, mutations):
    import random

    rng = random.Random(seed)
    headers, body = rng.choice(alphas_own())
    for mutation in mutations:
        headers, body = mutation(rng, headers, body)
    headers = {**headers, "Message-ID": f"<hypothesis-{seed}-{len(body)}@fuzz>"}
    name = "+".join(mutation.__name__ for mutation in mutations)
    check_answer(fuzz_cases.wsgi_post(endpoint, headers, body), name)


def damaged_certificate(as2_id: str):
    """A self-signed certificate whose subject (not its issuer) has a tag no parser accepts."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from tests.certificates.factories import rsa_key, self_signed

    key = rsa_key(name=f"damaged-{as2_id}")
    der = self_signed(key, as2_id).public_bytes(serialization.Encoding.DER)
    name = b"\x0c" + bytes([len(as2_id)]) + as2_id.encode()  # UTF8String as2_id
    if name not in der:
        name = b"\x13" + name[1:]  # PrintableString
    second = der.index(name, der.index(name) + 1)  # the subject comes after the issuer
    der = der[:second] + b"\x08" + der[second + 1 :]
    return key, x509.load_der_x509_certificate(der)


def test_a_message_signed_with_a_damaged_certificate_gets_an_error_mdn_not_a_503(endpoint):
    """Found by bench/fuzz_inbound.py: a bit flipped in the signer's embedded certificate made
    naming the signer raise, and the partner got 503 (send again) for a message that will
    never pass."""
    key, certificate = damaged_certificate("stranger")
    built = to_beta(b"ISA*damaged~", key, certificate)
    answer = fuzz_cases.wsgi_post(endpoint, dict(built.headers), built.body)
    assert answer.status == 200, answer.body
    mdn = as2.parse_mdn(answer.headers, answer.body)
    assert mdn.disposition_type == "processed" and "authentication-failed" in (mdn.modifier or "")
    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.status == Status.INBOUND_FAILED
    assert "damaged certificate" in str(message.details["signer"])


def stored_under(prefix: str) -> list[str]:
    from django.core.files.storage import default_storage

    folders, files = [prefix], []
    while folders:
        folder = folders.pop()
        try:
            subfolders, names = default_storage.listdir(folder)
        except FileNotFoundError:
            continue
        folders += [f"{folder}/{name}" for name in subfolders]
        files += [f"{folder}/{name}" for name in names]
    return files


def test_a_locked_database_during_a_receive_is_a_503_and_leaves_no_file(endpoint, tenant_b):
    """The database stays locked past SQLite's wait (another process holds it): the partner is
    told to send again (503, never a "processed" MDN), and the files written are removed."""
    from django.db import OperationalError, connection

    built = alpha_message()

    def locked(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith('INSERT INTO "TRACKLOG_MESSAGE"'):
            raise OperationalError("database is locked")
        return execute(sql, params, many, context)

    inbox = f"private/{tenant_b.id}"
    before = stored_under(inbox)
    with connection.execute_wrapper(locked):
        answer = fuzz_cases.wsgi_post(endpoint, dict(built.headers), built.body)
    assert answer.status == 503 and b"Send it again later" in answer.body
    assert not Message.objects.filter(direction=Direction.INBOUND).exists()
    assert stored_under(inbox) == before
    # Sent again once the lock is gone: processed, once.
    answer = fuzz_cases.wsgi_post(endpoint, dict(built.headers), built.body)
    assert answer.status == 200 and b"processed" in answer.body
    assert Message.objects.get(direction=Direction.INBOUND).status == Status.MDN_SENT


def test_nul_characters_in_headers_are_recorded_not_answered_503(endpoint):
    """Found by the fuzz test on PostgreSQL, whose text and jsonb cannot hold U+0000: a NUL in a
    header made recording fail, and the partner was told to send again, forever."""
    built = alpha_message()
    headers = {**dict(built.headers), "Subject": "PO\x00 42", "X-Partner-Note": "a\x00b"}
    answer = fuzz_cases.wsgi_post(endpoint, headers, built.body)
    assert answer.status == 200, answer.body
    assert as2.parse_mdn(answer.headers, answer.body).disposition_type == "processed"
    message = Message.objects.get(direction=Direction.INBOUND)
    assert message.status == Status.MDN_SENT
    assert message.subject == "PO\ufffd 42"
    assert message.headers["X-Partner-Note"] == "a\ufffdb"
