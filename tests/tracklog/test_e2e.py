"""End to end over real HTTP: tenant A sends to tenant B's endpoint on the live server.

Every combination a partnership offers of encryption × signing × compression × MDN mode, the
payload compared byte for byte with what was sent, and the MICs compared with hashlib.
"""

import hashlib
import os
import subprocess

import pytest
from django.core.files.storage import default_storage

from tracklog.models import Direction, Message, MicCheck, Status
from tracklog.services import message_deliver, message_queue
from tracklog.tasks import due_work_run


def stored(key: str) -> bytes:
    with default_storage.open(key, "rb") as file:
        return file.read()


def received(pair, message_id: str) -> Message:
    return Message.objects.get(
        tenant=pair.tenant_b, direction=Direction.INBOUND, message_id=message_id
    )


PAYLOAD = b"ISA*00*          *00*          *ZZ*ALPHA*ZZ*BETA~\r\nbinary \x00\xff\r\n\n\rend"

CASES = [
    # encrypt, sign, compress, mdn_mode, mdn_sign, transfer encoding
    ("aes256", "sha256", "none", "sync", "sha256", "binary"),
    ("aes128", "sha1", "before-signing", "sync", "unsigned", "binary"),
    ("3des", "sha512", "after-signing", "sync", "sha512", "base64"),
    ("aes192", "none", "before-signing", "sync", "sha256", "binary"),
    ("none", "sha384", "none", "sync", "sha384", "base64"),
    ("none", "none", "none", "sync", "unsigned", "binary"),
    ("aes256", "sha256", "after-signing", "async", "sha256", "binary"),
    ("aes256", "none", "none", "async", "unsigned", "base64"),
    ("none", "sha256", "before-signing", "async", "sha256", "binary"),
    ("aes256", "sha256", "none", "none", "sha256", "binary"),
]


@pytest.mark.parametrize(("encrypt", "sign", "compress", "mdn_mode", "mdn_sign", "cte"), CASES)
def test_message_reaches_the_partner_byte_exact_and_the_mdn_completes_it(
    pair, encrypt, sign, compress, mdn_mode, mdn_sign, cte
):
    pair.configure(
        encrypt=encrypt,
        sign=sign,
        compress=compress,
        mdn_mode=mdn_mode,
        mdn_sign=mdn_sign,
        content_transfer_encoding=cte,
    )
    payload = PAYLOAD + os.urandom(3000)
    queued = message_queue(partnership=pair.a_to_b, payload=payload, filename="order 1.edi")
    assert queued.status == Status.ORIGINAL_SAVED
    assert stored(queued.payload_key) == payload  # the original, stored before encryption

    sent = message_deliver(message=queued)

    inbound = received(pair, sent.message_id)
    assert stored(inbound.payload_key) == payload
    assert inbound.filename == "order 1.edi"
    assert inbound.partnership == pair.b_to_a
    assert inbound.raw_key and stored(inbound.raw_key).endswith(
        stored(sent.raw_key).partition(b"\r\n\r\n")[2]
    )
    if mdn_mode == "none":
        assert sent.status == Status.SENT and inbound.status == Status.SAVED
        assert sent.group == inbound.group == "successful"
        return
    if mdn_mode == "async":
        assert sent.status == Status.SENT
        assert inbound.status == Status.MDN_CREATED
        due_work_run()  # B's worker posts the MDN to A's endpoint
        inbound.refresh_from_db()
        sent.refresh_from_db()
        assert inbound.status == Status.MDN_SENT
    assert sent.status == Status.MDN_SAVED, sent.error
    assert sent.mdn_mic_check == MicCheck.MATCHED
    assert sent.mdn_signed == (mdn_sign != "unsigned")
    assert sent.mdn_mic == sent.mic == inbound.mic
    assert "processed" in sent.mdn_disposition and "error" not in sent.mdn_disposition
    assert [event.status for event in sent.events.all()][-1] == Status.MDN_SAVED
    statuses = [event.status for event in inbound.events.all()]
    assert statuses[:4] == [11, 12, 13, 14]


def test_mic_of_a_signed_message_is_the_sha256_of_the_signed_entity(pair):
    """Computed independently: hashlib over the first part of the multipart/signed body."""
    pair.configure(encrypt="none", sign="sha256", compress="none", mdn_mode="sync")
    sent = message_deliver(
        message=message_queue(partnership=pair.a_to_b, payload=PAYLOAD, filename="a.edi")
    )
    raw = stored(sent.raw_key)
    head, _, body = raw.partition(b"\r\n\r\n")
    boundary = head.split(b'boundary="', 1)[1].split(b'"', 1)[0]
    first_part = body.split(b"--" + boundary)[1][2:-2]  # between CRLF after and CRLF before
    expected = hashlib.sha256(first_part).digest()
    import base64

    assert sent.mic == f"{base64.b64encode(expected).decode()}, sha-256"
    assert sent.status == Status.MDN_SAVED


def test_first_run_demo_shows_a_full_cycle_through_this_servers_own_endpoint(
    transactional_db, live_server, settings, capsys
):
    """bootstrap_demo's loopback partnership works with the URL guard ON: only this server's own
    endpoint is let through."""
    from django.core.management import call_command

    settings.ALLOW_PRIVATE_PARTNER_URLS = False
    settings.SELF_BASE_URL = live_server.url
    call_command("bootstrap_demo")
    assert "DEMO-SUPPLIER" in capsys.readouterr().out
    assert due_work_run() == 1
    sent = Message.objects.get(direction=Direction.OUTBOUND)
    assert sent.status == Status.MDN_SAVED, sent.error
    inbound = Message.objects.get(direction=Direction.INBOUND)
    assert inbound.status == Status.MDN_SENT
    assert stored(inbound.payload_key) == stored(sent.payload_key)
    assert inbound.filename == "invoice-1001.x12"


@pytest.mark.parametrize("key_transport", ["oaep-sha1", "oaep-sha256", "oaep-sha512"])
def test_the_partnerships_key_transport_reaches_the_wire_and_pss_signatures_are_read(
    pair, key_transport, tmp_path
):
    """What openssl reads in the sent message (not our parser): the key transport and its hash
    are the partnership's, and the partner opens the message and answers with a matching MIC."""
    pair.configure(
        encrypt="aes256", key_transport=key_transport, sign="sha256", signature_padding="pss"
    )
    sent = message_deliver(
        message=message_queue(partnership=pair.a_to_b, payload=PAYLOAD, filename="a.edi")
    )
    assert sent.status == Status.MDN_SAVED, sent.error
    assert stored(received(pair, sent.message_id).payload_key) == PAYLOAD
    envelope = tmp_path / "body.p7m"
    envelope.write_bytes(stored(sent.raw_key).partition(b"\r\n\r\n")[2])
    dump = subprocess.run(
        ["openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", str(envelope)],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    hash_name = key_transport.removeprefix("oaep-")
    assert "rsaesOaep" in dump
    # OpenSSL prints the hash of RSAES-OAEP parameters; SHA-1 is the default and omitted there.
    assert (hash_name == "sha1") == (hash_name not in dump)
