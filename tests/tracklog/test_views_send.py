"""Send File and Send test message through the real services, to a real peer (the live server)."""

import re

from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from serverless_as2 import held_uploads
from tests.conftest import logged_in_client, make_partnership
from tests.tracklog.conftest import partnership_with_certificate
from tracklog.models import Direction, Message, Status
from tracklog.tasks import due_work_run


def test_send_file_queues_each_file_and_lists_them(pair):
    client = logged_in_client(pair.tenant_a)
    response = client.post(
        "/send/",
        {
            "partnership": pair.a_to_b.pk,
            "files": [
                SimpleUploadedFile("one.edi", b"ISA*one~\n"),
                SimpleUploadedFile("two.edi", b"ISA*two~\r\n\x00\xff"),
            ],
            "content_type": "application/EDIFACT",
            "subject": "Orders $filename$",
        },
    )
    sent = Message.objects.filter(tenant=pair.tenant_a).order_by("pk")
    assert [m.filename for m in sent] == ["one.edi", "two.edi"]
    assert response.status_code == 302
    assert response["Location"] == f"/tracklog/?id={sent[0].pk}&id={sent[1].pk}"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Queued 2 files for alpha → beta: they are listed below as they go out."
    ]
    for message, body in zip(sent, (b"ISA*one~\n", b"ISA*two~\r\n\x00\xff"), strict=True):
        assert message.status == Status.ORIGINAL_SAVED
        assert message.content_type == "application/EDIFACT"
        assert message.subject == f"Orders {message.filename}"
        with default_storage.open(message.payload_key) as stored:
            assert stored.read() == body

    due_work_run()
    page = client.get(response["Location"]).content.decode()
    assert page.count("26</span> MDN Saved") == 2
    received = Message.objects.filter(tenant=pair.tenant_b, direction=Direction.INBOUND)
    assert sorted(m.filename for m in received) == ["one.edi", "two.edi"]


def test_send_file_leaves_content_type_and_subject_to_the_partnership(pair):
    client = logged_in_client(pair.tenant_a)
    client.post(
        "/send/",
        {"partnership": pair.a_to_b.pk, "files": [SimpleUploadedFile("x.edi", b"ISA~")]},
    )
    message = Message.objects.get(tenant=pair.tenant_a)
    assert message.content_type == pair.a_to_b.content_type


def test_send_file_shows_a_refusal_in_the_form(client_a, tenant_a):
    no_certificate = make_partnership(tenant_a)
    response = client_a.post(
        "/send/",
        {"partnership": no_certificate.pk, "files": [SimpleUploadedFile("a.edi", b"ISA~")]},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'<div class="error" role="alert">.*certificate', page, re.S), page
    assert not Message.objects.exists()


def test_send_test_message_shows_the_mdn_in_plain_words(pair):
    client = logged_in_client(pair.tenant_a)
    response = client.post(f"/partnerships/{pair.a_to_b.pk}/send-test/", follow=True)
    message = Message.objects.get(tenant=pair.tenant_a)
    assert message.status == Status.MDN_SAVED
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == f"/partnerships/{pair.a_to_b.pk}/"
    assert "The partner received “as2-test-message.txt” and answered" in page
    assert "processed" in page and "signed MDN, MIC matched" in page
    assert f'href="/tracklog/{message.pk}/">Open it in the TrackLog' in page


def test_send_test_message_says_why_it_failed(pair):
    pair.a_to_b.as2_url = pair.base + "/no-such-endpoint/"
    pair.a_to_b.save()
    client = logged_in_client(pair.tenant_a)
    page = client.post(f"/partnerships/{pair.a_to_b.pk}/send-test/", follow=True)
    text = page.content.decode()
    message = Message.objects.get(tenant=pair.tenant_a)
    assert message.status == Status.OUTBOUND_FAILED
    assert 'class="error"' in text and "Failed: " in text and "404" in text


def test_send_test_message_refused_without_a_certificate(client_a, tenant_a):
    partnership = make_partnership(tenant_a)
    response = client_a.post(f"/partnerships/{partnership.pk}/send-test/", follow=True)
    assert "The test message was not sent:" in response.content.decode()
    assert not Message.objects.exists()


def test_the_detail_explains_a_signature_by_the_partners_previous_certificate(pair):
    """B replaced alpha's certificate today; alpha still signs with the old one."""
    from cryptography.hazmat.primitives import hashes
    from django.utils import timezone

    from certificates.services import partner_certificate_rotate
    from tests.certificates.factories import pem_of, rsa_key, self_signed
    from tests.tracklog.conftest import identity
    from tracklog.services import message_deliver, message_queue

    old = identity("alpha")[1]
    new = self_signed(rsa_key(name="tracklog-alpha-next"), "alpha")
    partner_certificate_rotate(
        certificate=pair.b_to_a.certificate, partner_certificate_file=pem_of(new)
    )
    message_deliver(
        message=message_queue(partnership=pair.a_to_b, payload=b"ISA*old~", filename="old.edi")
    )
    received = Message.objects.get(tenant=pair.tenant_b, direction=Direction.INBOUND)
    client = logged_in_client(pair.tenant_b)
    assert "1 warning<" in client.get("/tracklog/").content.decode()
    page = client.get(f"/tracklog/{received.pk}/").content.decode()
    assert "Signed with the partner&#x27;s previous certificate, replaced on" in page
    assert timezone.localdate().isoformat() in page
    signed_by = page.split("Signed by</dt>", 1)[1].split("</dd>", 1)[0]
    expected = page.split("The partnership expects</dt>", 1)[1].split("</dd>", 1)[0]
    assert format(old.serial_number, "X") in signed_by
    assert old.fingerprint(hashes.SHA256()).hex(":").upper() in signed_by
    assert format(new.serial_number, "X") in expected


FILES = {"one.edi": b"ISA*one~\n", "two.edi": b"ISA*two~\r\n\x00\xff"}


def chosen_files() -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name, body) for name, body in FILES.items()]


def held_files_token(page: str) -> str:
    return re.search(r'name="held_files" value="([\w-]+)"', page).group(1)


def test_send_file_after_an_error_keeps_the_files_for_the_retry(client_a, tenant_a):
    partnership = partnership_with_certificate(tenant_a, "alpha", "beta", "https://b.example/as2")
    form = {"partnership": partnership.pk, "content_type": "not a type", "files": chosen_files()}
    page = client_a.post("/send/", form).content.decode()
    assert "Write a content type like application/EDI-X12." in page
    assert "Kept from your last try: one.edi, two.edi" in page
    assert "you need not choose them again" in page and "Choose again" not in page

    retry = {"partnership": partnership.pk, "held_files": held_files_token(page)}
    assert client_a.post("/send/", retry).status_code == 302
    sent = Message.objects.filter(tenant=tenant_a).order_by("pk")
    assert [m.filename for m in sent] == list(FILES)
    for message in sent:
        with default_storage.open(message.payload_key) as stored:
            assert stored.read() == FILES[message.filename]


def test_send_file_says_which_files_were_too_large_to_keep(client_a, tenant_a):
    big = SimpleUploadedFile("big.edi", b"I" * (held_uploads.HOLD_FILE_MAX_BYTES + 1))
    form = {"content_type": "application/EDIFACT", "files": [big, *chosen_files()]}
    page = client_a.post("/send/", form).content.decode()
    assert "Choose the partnership to send through." in page
    assert "Kept from your last try: one.edi, two.edi" in page
    assert "Choose again: big.edi (too large to keep for a retry)." in page


def test_send_file_refuses_a_held_token_from_another_users_session_or_expired(
    client_a, tenant_a, tenant_b, monkeypatch
):
    mine = partnership_with_certificate(tenant_a, "alpha", "beta", "https://b.example/as2")
    theirs = partnership_with_certificate(tenant_b, "beta", "alpha", "https://a.example/as2")
    page = client_a.post("/send/", {"files": chosen_files()}).content.decode()
    retry = {"partnership": theirs.pk, "held_files": held_files_token(page)}
    page = logged_in_client(tenant_b).post("/send/", retry).content.decode()
    assert "Choose at least one file to send." in page

    monkeypatch.setattr(held_uploads, "HOLD_SECONDS", -1)  # held already expired
    page = client_a.post("/send/", {"files": chosen_files()}).content.decode()
    retry = {"partnership": mine.pk, "held_files": held_files_token(page)}
    page = client_a.post("/send/", retry).content.decode()
    assert "Choose at least one file to send." in page
    assert not Message.objects.exists()
