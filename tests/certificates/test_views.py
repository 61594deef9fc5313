"""The certificate pages and downloads, as a user uses them; downloads checked with keytool/openssl."""

import json
import re

import pytest
from botocore.exceptions import ClientError
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.views.debug import ExceptionReporter

from certificates import keystore, views
from certificates.models import Certificate, PartnerCertificate
from serverless_as2.models import User
from tests.certificates.cli import (
    keytool_entries,
    needs_keytool,
    needs_openssl,
    openssl_pkcs12_info,
    openssl_x509_subject,
)
from tests.certificates.factories import (
    KEYSTORE_PASSWORD,
    certificate_for,
    p12,
    partner_der,
    partner_pem,
    pem_of,
    rsa_key,
    self_signed,
    stored_files,
)
from tests.conftest import make_partnership


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def generate_form(partnership, **changes) -> dict:
    form = {
        "instance": partnership.instance.pk,
        "partner": partnership.partner.pk,
        "mode": "generate",
        "password": KEYSTORE_PASSWORD,
        "private_key_alias": "mycompany",
        "key_size": "2048",
        "validity_days": "730",
        "partner_certificate": upload("amazon.cer", partner_pem()),
        "partner_alias": "amazon",
        **changes,
    }
    # Option A asks for the password twice; a test that changes it types it twice too.
    form.setdefault("password_again", form["password"])
    return form


def import_form(partnership, data: bytes, **changes) -> dict:
    return {
        "instance": partnership.instance.pk,
        "partner": partnership.partner.pk,
        "mode": "import",
        "password": KEYSTORE_PASSWORD,
        "private_key_alias": "mykey",
        "keystore_file": upload("mine.p12", data),
        "partner_certificate": upload("amazon.der", partner_der()),
        "partner_alias": "amazon",
        **changes,
    }


def errors_of(response) -> list[str]:
    return re.findall(r'<p class="error" role="alert">(.*?)</p>', response.content.decode())


def download(client, name: str, certificate: Certificate, tmp_path, filename: str):
    response = client.get(reverse(f"certificates:{name}", args=[certificate.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["Cache-Control"] == "no-store"
    path = tmp_path / filename
    path.write_bytes(response.content)
    return response, path


# -- list --------------------------------------------------------------------------------------


def test_list_shows_the_certificate_with_its_storage_key_and_downloads(client_a, partnership):
    certificate = certificate_for(partnership)
    page = client_a.get("/certificates/").content.decode()
    for text in ("My AS2 ID", "Partner AS2 ID", "PublicKeyURL", "+ Create Cert", "1 - 1 / 1"):
        assert text in page
    assert certificate.public_key_key in page
    assert "Complete KeyStore (.p12)" in page and "Partner Certificate (.p12)" in page
    assert reverse("certificates:keystore_download", args=[certificate.pk]) in page
    assert reverse("certificates:partner_keystore_download", args=[certificate.pk]) in page


def test_list_search_and_expiring_filter(client_a, tenant_a, partnership):
    from tests.conftest import make_partner

    certificate_for(partnership)
    soon = self_signed(rsa_key(name="soon"), "soon", not_after=_days_from_now(10))
    other = make_partnership(tenant_a, partnership.instance, make_partner(tenant_a, "walmart"))
    certificate_for(other, partner_certificate_file=pem_of(soon))
    page = client_a.get("/certificates/?q=walm").content.decode()
    assert "walmart" in page and "amazon" not in page
    page = client_a.get("/certificates/expiring/").content.decode()
    assert "walmart" in page and "amazon" not in page and "expires in 9 days" in page
    assert "1 - 1 / 1" in page


def _days_from_now(days: float):
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) + timedelta(days=days)


def test_pages_need_a_login(client, db):
    for url in ("/certificates/", "/certificates/new/", "/certificates/expiring/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# -- create ------------------------------------------------------------------------------------


def test_create_from_a_partnership_page_starts_with_it_chosen(client_a, partnership):
    page = client_a.get(f"/certificates/new/?partnership={partnership.pk}").content.decode()
    assert f'<option value="{partnership.instance.pk}" selected>' in page
    assert f'<option value="{partnership.partner.pk}" selected>' in page
    assert 'name="private_key_alias" value="mycompany"' in page
    assert 'name="partner_alias" value="amazon"' in page
    for label in ("my_as2_id", "partner_as2_id", "password", "privateKeyAlias", "alias"):
        assert f">{label}<" in page or f">{label} <" in page
    assert "Option A: Auto-Generate Certificate" in page
    assert "Option B: Import Your Own Certificate" in page
    assert 'enctype="multipart/form-data"' in page


def test_create_generates_and_goes_to_the_list(client_a, partnership):
    response = client_a.post("/certificates/new/", generate_form(partnership))
    assert response.status_code == 302 and response["Location"] == "/certificates/"
    certificate = Certificate.objects.get()
    assert certificate.partnership == partnership and certificate.private_key_alias == "mycompany"
    assert "Saved the certificate" in client_a.get("/certificates/").content.decode()


def test_create_fills_blank_aliases_from_the_instance_and_partner(client_a, partnership):
    form = generate_form(partnership, private_key_alias="", partner_alias="")
    assert client_a.post("/certificates/new/", form).status_code == 302
    certificate = Certificate.objects.get()
    assert (certificate.private_key_alias, certificate.partner_alias) == ("mycompany", "amazon")


def test_create_imports_a_keytool_p12(client_a, partnership, keytool_keystores):
    response = client_a.post(
        "/certificates/new/", import_form(partnership, keytool_keystores["one"])
    )
    assert response.status_code == 302
    assert Certificate.objects.get().private_key_alias == "mykey"


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"password": "wrong-password"}, "The password does not open this keystore."),
        ({"private_key_alias": "gamma"}, "it has: &#x27;alpha&#x27;, &#x27;beta&#x27;"),
        ({"private_key_alias": ""}, "Enter the alias of the private key"),
        ({"keystore_file": ""}, "Choose your .p12 or .pfx file."),
    ],
)
def test_import_mistakes_get_a_sentence_and_save_nothing(
    client_a, partnership, keytool_keystores, changes, words
):
    form = import_form(partnership, keytool_keystores["two"], **changes)
    response = client_a.post("/certificates/new/", form)
    assert response.status_code == 200
    assert any(words in error for error in errors_of(response)), errors_of(response)
    assert not Certificate.objects.exists()
    assert KEYSTORE_PASSWORD not in response.content.decode()
    assert "wrong-password" not in response.content.decode()


def test_import_alias_mistake_offers_the_aliases_found(client_a, partnership, keytool_keystores):
    form = import_form(partnership, keytool_keystores["two"], private_key_alias="gamma")
    page = client_a.post("/certificates/new/", form).content.decode()
    assert '<option value="alpha"></option><option value="beta"></option>' in page
    assert "Private keys in this file: alpha, beta" in page


@pytest.mark.parametrize(
    ("changes", "field_words"),
    [
        (
            {"partner_certificate": upload("a.cer", b"\0" * (keystore.MAX_UPLOAD_BYTES + 1))},
            "larger than 1 MB",
        ),
        ({"partner_certificate": upload("a.cer", b"random bytes")}, "not an X.509 certificate"),
        ({"password": "short"}, "at least 8 characters"),
        ({"partner_alias": "MYCOMPANY"}, "must differ"),
    ],
)
def test_generate_mistakes_get_a_sentence_and_save_nothing(
    client_a, tenant_a, partnership, changes, field_words
):
    response = client_a.post("/certificates/new/", generate_form(partnership, **changes))
    assert response.status_code == 200
    assert any(field_words in error for error in errors_of(response)), errors_of(response)
    assert not Certificate.objects.exists() and stored_files(f"private/{tenant_a.id}") == []


def test_password_is_never_echoed_back(client_a, partnership):
    form = generate_form(partnership, partner_certificate=upload("a.cer", b"junk"))
    page = client_a.post("/certificates/new/", form).content.decode()
    assert KEYSTORE_PASSWORD not in page
    assert re.search(r'<input type="password" name="password"[^>]*>', page)
    assert 'type="password" name="password" value' not in page


@pytest.mark.parametrize(
    "form",
    [
        generate_form,
        lambda partnership: import_form(partnership, p12(rsa_key(), self_signed(rsa_key(), "me"))),
    ],
    ids=["generate", "import"],
)
def test_password_stays_out_of_error_reports(partnership, s3_storage, settings, form):
    # A real unexpected failure: the S3 bucket is gone when the files are written.
    default = settings.STORAGES["default"]
    missing = {**default, "OPTIONS": {**default["OPTIONS"], "bucket_name": "no-such-bucket"}}
    settings.STORAGES = {**settings.STORAGES, "default": missing}
    request = RequestFactory().post("/certificates/new/", form(partnership))
    request.user = User.objects.get(tenant=partnership.tenant)
    request.session = SessionStore()  # where Create Cert keeps files for a retry
    request._dont_enforce_csrf_checks = True
    with pytest.raises(ClientError) as failure:
        views.certificate_create(request)
    # What Django e-mails to ADMINS (and shows with DEBUG) for an unexpected error.
    report = ExceptionReporter(
        request, failure.type, failure.value, failure.tb
    ).get_traceback_html()
    assert "NoSuchBucket" in report
    assert KEYSTORE_PASSWORD not in report
    assert not Certificate.objects.exists()


def test_weak_partner_key_shows_a_warning_and_a_checkbox(client_a, partnership):
    weak = pem_of(self_signed(rsa_key(1024), "weak"))
    form = generate_form(partnership, partner_certificate=upload("weak.cer", weak))
    page = client_a.post("/certificates/new/", form).content.decode()
    assert "1024-bit RSA key" in page and 'name="accept_weak_key"' in page
    # A confirmation: a plain checkbox followed by its sentence, not an On/Off switch.
    assert re.search(
        r'<span class="check"><input type="checkbox" name="accept_weak_key" [^>]*> '
        r'<label for="id_accept_weak_key">Accept a weak key</label></span>',
        page,
    )
    assert 'role="switch"' not in page and 'class="toggle"' not in page
    assert not Certificate.objects.exists()
    form = generate_form(
        partnership, partner_certificate=upload("weak.cer", weak), accept_weak_key="on"
    )
    assert client_a.post("/certificates/new/", form).status_code == 302


def test_a_partnership_that_has_a_certificate_is_refused(client_a, partnership):
    certificate_for(partnership)
    response = client_a.post("/certificates/new/", generate_form(partnership))
    assert any("already has a certificate" in error for error in errors_of(response))
    assert Certificate.objects.count() == 1


def test_a_pair_without_a_partnership_is_refused(client_a, tenant_a, partnership):
    from tests.conftest import make_partner

    other = make_partner(tenant_a, "walmart")
    form = generate_form(partnership, partner=other.pk)
    response = client_a.post("/certificates/new/", form)
    assert any("no partnership with walmart" in error for error in errors_of(response))


def test_keystore_aliases_endpoint_lists_the_aliases(client_a, keytool_keystores):
    response = client_a.post(
        "/certificates/keystore-aliases/",
        {
            "keystore_file": upload("two.p12", keytool_keystores["two"]),
            "password": KEYSTORE_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert json.loads(response.content)["private_key_aliases"] == ["alpha", "beta"]
    response = client_a.post(
        "/certificates/keystore-aliases/",
        {"keystore_file": upload("two.p12", keytool_keystores["two"]), "password": "nope"},
    )
    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "The password does not open this keystore."
    assert client_a.get("/certificates/keystore-aliases/").status_code == 405


# -- detail, rotation, delete ------------------------------------------------------------------


def test_detail_shows_both_certificates_and_the_fixed_fields(client_a, partnership):
    certificate = certificate_for(partnership)
    page = client_a.get(f"/certificates/{certificate.pk}/").content.decode()
    ours = keystore.certificate_info(
        __import__("cryptography.x509", fromlist=["x"]).load_pem_x509_certificate(
            certificate.my_cert_pem.encode()
        )
    )
    for text in (
        ours.subject,
        ours.serial,
        ours.sha256_fingerprint,
        "RSA 2048 bits",
        "CN=amazon",
        "privateKeyAlias",
        "fixed: set at creation",
        "Upload a new partner certificate",
        certificate.public_key_key,
    ):
        assert text in page, text
    assert KEYSTORE_PASSWORD not in page


def test_uploading_a_new_partner_certificate_rotates_and_lists_the_old_one(client_a, partnership):
    certificate = certificate_for(partnership)
    url = f"/certificates/{certificate.pk}/"
    response = client_a.post(url, {"partner_certificate": upload("new.pem", partner_pem("amz-2"))})
    assert response.status_code == 302 and response["Location"] == url
    page = client_a.get(url).content.decode()
    assert "CN=amz-2" in page and "Earlier partner certificates" in page
    earlier = page.split("Earlier partner certificates")[1]
    assert "CN=amazon" in earlier
    assert PartnerCertificate.objects.filter(certificate=certificate).count() == 2


def test_uploading_a_bad_partner_certificate_says_so(client_a, partnership):
    certificate = certificate_for(partnership)
    response = client_a.post(
        f"/certificates/{certificate.pk}/", {"partner_certificate": upload("x.cer", partner_pem())}
    )
    assert any("already in use" in error for error in errors_of(response))
    response = client_a.post(
        f"/certificates/{certificate.pk}/",
        {"partner_certificate": upload("x.p12", keystore_bytes(certificate))},
    )
    assert any("PKCS#12 keystore" in error for error in errors_of(response))
    assert PartnerCertificate.objects.count() == 1


def keystore_bytes(certificate: Certificate) -> bytes:
    from tests.certificates.factories import stored

    return stored(certificate.keystore_key)


def test_delete_asks_then_removes_the_certificate(
    client_a, tenant_a, partnership, django_capture_on_commit_callbacks
):
    certificate = certificate_for(partnership)
    url = f"/certificates/{certificate.pk}/delete/"
    assert "This cannot be undone" in client_a.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client_a.post(url).status_code == 302
    assert not Certificate.objects.exists() and stored_files(f"private/{tenant_a.id}") == []


# -- downloads ---------------------------------------------------------------------------------


@needs_keytool
@needs_openssl
def test_complete_keystore_download_lists_both_aliases_in_keytool_and_openssl(
    client_a, partnership, tmp_path
):
    certificate = certificate_for(partnership)
    response, path = download(
        client_a, "keystore_download", certificate, tmp_path, "mycompany-amazon.p12"
    )
    assert response["Content-Type"] == "application/x-pkcs12"
    assert keytool_entries(path, KEYSTORE_PASSWORD) == {
        "mycompany": "PrivateKeyEntry",
        "amazon": "trustedCertEntry",
    }
    info = openssl_pkcs12_info(path, KEYSTORE_PASSWORD)
    assert "PRIVATE KEY" in info and "subject=CN = amazon" in info
    assert re.search(r"subject=.*CN = mycompany", info)


@needs_keytool
@needs_openssl
def test_partner_certificate_download_lists_the_partner_alias(client_a, partnership, tmp_path):
    certificate = certificate_for(partnership)
    _, path = download(
        client_a, "partner_keystore_download", certificate, tmp_path, "mycompany-amazon-partner.p12"
    )
    assert keytool_entries(path, KEYSTORE_PASSWORD) == {"amazon": "trustedCertEntry"}
    info = openssl_pkcs12_info(path, KEYSTORE_PASSWORD)
    assert "PRIVATE KEY" not in info and "subject=CN = amazon" in info


@needs_keytool
@needs_openssl
def test_imported_and_rotated_keystores_download_with_the_right_entries(
    client_a, partnership, keytool_keystores, tmp_path
):
    client_a.post(
        "/certificates/new/",
        import_form(partnership, keytool_keystores["two"], private_key_alias="beta"),
    )
    certificate = Certificate.objects.get()
    client_a.post(
        f"/certificates/{certificate.pk}/",
        {"partner_certificate": upload("n.cer", partner_pem("amz-3"))},
    )
    certificate.refresh_from_db()
    _, path = download(client_a, "keystore_download", certificate, tmp_path, "mycompany-amazon.p12")
    assert keytool_entries(path, KEYSTORE_PASSWORD) == {
        "beta": "PrivateKeyEntry",
        "amazon": "trustedCertEntry",
    }
    info = openssl_pkcs12_info(path, KEYSTORE_PASSWORD)
    assert re.search(r"subject=.*CN = amz-3", info) and re.search(r"subject=.*CN = beta", info)
    _, path = download(
        client_a, "partner_keystore_download", certificate, tmp_path, "mycompany-amazon-partner.p12"
    )
    assert keytool_entries(path, KEYSTORE_PASSWORD) == {"amazon": "trustedCertEntry"}
    assert "subject=CN = amz-3" in openssl_pkcs12_info(path, KEYSTORE_PASSWORD)


@needs_openssl
def test_public_key_download_is_our_pem_certificate(client_a, partnership, tmp_path):
    certificate = certificate_for(partnership)
    response, path = download(
        client_a, "public_key_download", certificate, tmp_path, "mycompany-amazon.cer"
    )
    assert response.content.startswith(b"-----BEGIN CERTIFICATE-----")
    assert b"PRIVATE" not in response.content
    assert "CN = mycompany" in openssl_x509_subject(path)


def test_downloads_answer_only_get(client_a, partnership):
    certificate = certificate_for(partnership)
    response = client_a.post(reverse("certificates:keystore_download", args=[certificate.pk]))
    assert response.status_code == 405


# -- partnership page --------------------------------------------------------------------------


def test_partnership_page_offers_create_then_download_public_key(client_a, partnership):
    url = f"/partnerships/{partnership.pk}/"
    page = client_a.get(url).content.decode()
    assert "There is currently no associated certificate" in page
    assert f"/certificates/new/?partnership={partnership.pk}" in page
    certificate = certificate_for(partnership)
    page = client_a.get(url).content.decode()
    assert f"certificate: <code>{certificate.public_key_key}</code>" in page
    assert reverse("certificates:public_key_download", args=[certificate.pk]) in page
    assert "Download PublicKey" in page


def test_a_partnership_with_a_certificate_cannot_be_deleted(client_a, partnership):
    from partnerships.models import Partnership

    certificate_for(partnership)
    response = client_a.post(f"/partnerships/{partnership.pk}/delete/", follow=True)
    assert (
        "Partnership mycompany → amazon cannot be deleted while 1 other record(s) use it "
        "(certificate mycompany → amazon). Delete those first."
    ) in response.content.decode()
    assert Partnership.objects.filter(pk=partnership.pk).exists() and Certificate.objects.exists()


# -- tenant isolation --------------------------------------------------------------------------

CERTIFICATE_URLS = [
    "certificate_edit",
    "certificate_delete",
    "public_key_download",
    "keystore_download",
    "partner_keystore_download",
]


@pytest.mark.parametrize("name", CERTIFICATE_URLS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_tenants_certificate_is_a_404(client_b, partnership, name, method):
    certificate = certificate_for(partnership)
    url = reverse(f"certificates:{name}", args=[certificate.pk])
    assert getattr(client_b, method)(url).status_code == 404
    assert Certificate.objects.filter(pk=certificate.pk).exists()
    assert PartnerCertificate.objects.filter(certificate=certificate).count() == 1


def test_another_tenants_partnership_cannot_be_chosen(client_b, tenant_b, partnership):
    assert client_b.get(f"/certificates/new/?partnership={partnership.pk}").status_code == 404
    mine = make_partnership(tenant_b)
    form = generate_form(mine, instance=partnership.instance.pk, partner=partnership.partner.pk)
    response = client_b.post("/certificates/new/", form)
    assert response.status_code == 200 and not Certificate.objects.exists()
    assert "Select a valid choice" in response.content.decode()


def test_lists_show_only_the_tenants_certificates(client_b, partnership):
    certificate_for(partnership)
    for url in ("/certificates/", "/certificates/expiring/", "/certificates/?q=amazon"):
        page = client_b.get(url).content.decode()
        assert "mycompany" not in page and "/cert/" not in page and "0 - 0 / 0" in page


# -- admin -------------------------------------------------------------------------------------


def test_admin_shows_certificates_read_only_without_secrets(client, partnership):
    from serverless_as2.models import User

    certificate = certificate_for(partnership)
    admin = User.objects.create_superuser("ops@example.com", "an-operator-password")
    client.force_login(admin)
    page = client.get("/admin/certificates/certificate/").content.decode()
    assert certificate.public_key_key in page
    page = client.get(f"/admin/certificates/certificate/{certificate.pk}/change/").content.decode()
    assert "CN=amazon" in page and certificate.keystore_key in page
    assert certificate.password_sealed not in page and KEYSTORE_PASSWORD not in page
    assert client.get("/admin/certificates/certificate/add/").status_code == 403
