"""A failed Create Cert keeps the chosen files for the retry, in the user's own session only."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile

from certificates.models import Certificate
from tests.certificates.factories import partner_pem
from tests.conftest import logged_in_client

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
