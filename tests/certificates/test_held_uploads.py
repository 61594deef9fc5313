"""A failed Create Cert or rotation keeps the chosen files for the retry, in the user's own
session only and for a short while."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from certificates.models import Certificate
from serverless_as2 import held_uploads
from tests.certificates.factories import certificate_for, partner_pem, pem_of, rsa_key, self_signed
from tests.conftest import logged_in_client, make_partnership

PASSWORD = "Keystore-pw-42"


def first_try(partnership) -> dict:
    return {
        "instance": partnership.instance.pk,
        "partner": partnership.partner.pk,
        "mode": "generate",
        "password": PASSWORD,
        "password_again": "not-the-same-password",
        "key_size": "2048",
        "validity_days": "730",
        "partner_certificate": SimpleUploadedFile("amazon.cer", partner_pem()),
    }


def retry(partnership, page: str) -> dict:
    token = re.search(r'name="held_partner_certificate" value="([\w-]+)"', page).group(1)
    form = {**first_try(partnership), "password_again": PASSWORD}
    del form["partner_certificate"]
    return {**form, "held_partner_certificate": token}


def test_a_retry_needs_only_the_password_again(client_a, partnership):
    page = client_a.post("/certificates/new/", first_try(partnership)).content.decode()
    assert "The two passwords differ" in page
    assert "Kept from your last try: amazon.cer" in page
    assert "type it again, twice" in page
    assert PASSWORD not in page
    assert client_a.post("/certificates/new/", retry(partnership, page)).status_code == 302
    assert Certificate.objects.get().partnership == partnership


def test_a_held_file_is_taken_once(client_a, partnership):
    page = client_a.post("/certificates/new/", first_try(partnership)).content.decode()
    form = retry(partnership, page)
    client_a.post("/certificates/new/", {**form, "password": "short", "password_again": "short"})
    Certificate.objects.all().delete()
    page = client_a.post("/certificates/new/", form).content.decode()
    assert "This field is required." in page  # the old token no longer gives the file


def test_another_session_cannot_take_a_held_file(client_a, tenant_a, partnership):
    page = client_a.post("/certificates/new/", first_try(partnership)).content.decode()
    other = logged_in_client(tenant_a)  # same user, another browser: another session
    response = other.post("/certificates/new/", retry(partnership, page))
    assert response.status_code == 200 and not Certificate.objects.exists()


def held_token(page: str, field: str) -> str:
    return re.search(rf'name="held_{field}" value="([\w-]+)"', page).group(1)


def current_partner_pem(certificate: Certificate) -> str:
    return certificate.partner_certificates.get(in_use_until=None).pem.strip()


def test_a_rotation_refused_for_a_weak_key_is_accepted_without_choosing_the_file_again(
    client_a, partnership
):
    certificate = certificate_for(partnership)
    weak = pem_of(self_signed(rsa_key(1024), "weak"))
    url = f"/certificates/{certificate.pk}/"
    page = client_a.post(url, {"partner_certificate": SimpleUploadedFile("weak.cer", weak)})
    page = page.content.decode()
    assert "1024-bit RSA key" in page and 'name="accept_weak_key"' in page
    assert "Kept from your last try: weak.cer" in page
    assert "you need not choose them again" in page

    retry = {
        "accept_weak_key": "on",
        "held_partner_certificate": held_token(page, "partner_certificate"),
    }
    assert client_a.post(url, retry).status_code == 302
    assert current_partner_pem(certificate) == weak.decode().strip()


def test_a_token_from_another_users_session_or_expired_brings_no_rotation_file_back(
    client_a, tenant_b, partnership, monkeypatch
):
    certificate = certificate_for(partnership)
    before = current_partner_pem(certificate)
    weak = pem_of(self_signed(rsa_key(1024), "weak"))
    url = f"/certificates/{certificate.pk}/"
    page = client_a.post(url, {"partner_certificate": SimpleUploadedFile("weak.cer", weak)})
    retry = {
        "accept_weak_key": "on",
        "held_partner_certificate": held_token(page.content.decode(), "partner_certificate"),
    }
    other_tenant = make_partnership(tenant_b)
    other_url = f"/certificates/{certificate_for(other_tenant).pk}/"
    page = logged_in_client(tenant_b).post(other_url, retry).content.decode()
    assert "This field is required." in page
    assert other_tenant.certificate.partner_certificates.count() == 1

    monkeypatch.setattr(held_uploads, "HOLD_SECONDS", -1)  # held already expired
    page = client_a.post(url, {"partner_certificate": SimpleUploadedFile("weak.cer", weak)})
    retry["held_partner_certificate"] = held_token(page.content.decode(), "partner_certificate")
    page = client_a.post(url, retry).content.decode()
    assert "This field is required." in page
    assert current_partner_pem(certificate) == before


def test_files_past_the_sessions_budget_are_named_to_be_chosen_again(client_a, partnership):
    """Two files of the largest size fit (a keystore and a partner certificate); a third does
    not, and the page says which one to choose again."""
    url = f"/certificates/{certificate_for(partnership).pk}/"
    near_limit = b"-" * (held_uploads.HOLD_FILE_MAX_BYTES - 10)
    for name in ("first.cer", "second.cer"):
        upload = SimpleUploadedFile(name, near_limit)
        page = client_a.post(url, {"partner_certificate": upload}).content.decode()
        assert "are kept for 30 minutes" in page
    upload = SimpleUploadedFile("third.cer", near_limit)
    page = client_a.post(url, {"partner_certificate": upload}).content.decode()
    assert "Choose again: third.cer (too large to keep for a retry)." in page
