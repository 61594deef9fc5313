"""certificates.services: generate, import, rotate, export and delete, with every bad input."""

import logging
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from certificates import keystore, services
from certificates.models import Certificate, Origin, PartnerCertificate
from certificates.services import (
    CertificateRefused,
    ExportKind,
    WeakKey,
    certificate_delete,
    certificate_export,
    certificate_import,
    create,
    partner_certificate_rotate,
)
from serverless_as2.encryption import secret_open
from tests.certificates.factories import (
    KEYSTORE_PASSWORD,
    certificate_for,
    p12,
    partner_certificate,
    partner_der,
    partner_pem,
    pem_of,
    rsa_key,
    self_signed,
    stored,
    stored_files,
)
from tests.conftest import make_instance, make_partner, make_partnership

NOW = datetime.now(UTC)


def tenant_files(tenant) -> list[str]:
    return stored_files(f"private/{tenant.id}")


def generate(partnership, **overrides) -> Certificate:
    return certificate_for(partnership, **overrides)


def import_p12(partnership, data: bytes, **overrides) -> Certificate:
    arguments = {
        "partnership": partnership,
        "password": KEYSTORE_PASSWORD,
        "keystore_file": data,
        "private_key_alias": "mykey",
        "partner_certificate_file": partner_pem(),
        "partner_alias": "amazon",
        **overrides,
    }
    return certificate_import(**arguments)


def refused(function, *args, **kwargs) -> CertificateRefused:
    with pytest.raises(CertificateRefused) as caught:
        function(*args, **kwargs)
    return caught.value


def assert_nothing_saved(tenant) -> None:
    assert not Certificate.objects.exists()
    assert not PartnerCertificate.objects.exists()
    assert tenant_files(tenant) == []


# -- generate --------------------------------------------------------------------------------


def test_generate_stores_our_cer_and_the_keystore_at_the_documented_keys(partnership, tenant_a):
    certificate = generate(partnership)
    folder = f"private/{tenant_a.id}/amazon/mycompany/cert"
    assert certificate.public_key_key == f"{folder}/mycompany-amazon.cer"
    assert certificate.keystore_key == f"{folder}/mycompany-amazon.p12"
    assert tenant_files(tenant_a) == [certificate.public_key_key, certificate.keystore_key]
    assert stored(certificate.public_key_key) == certificate.my_cert_pem.encode()
    assert certificate.tenant == tenant_a and certificate.origin == Origin.GENERATED
    assert partnership.certificate == certificate


def test_generated_certificate_is_self_signed_for_signing_and_encryption(partnership):
    certificate = generate(partnership, validity_days=365)
    ours = x509.load_pem_x509_certificate(certificate.my_cert_pem.encode())
    info = keystore.certificate_info(ours)
    assert info.subject == "CN=mycompany,emailAddress=edi@mycompany.example,O=mycompany"
    assert info.self_signed and info.key_type == "RSA" and info.key_size == 2048
    usage = ours.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.key_encipherment
    expected = datetime.now(UTC) + timedelta(days=365)
    assert abs(info.not_after - expected) < timedelta(minutes=1)
    assert certificate.my_not_after == info.not_after


def test_generate_offers_3072_and_4096_bit_keys(tenant_a):
    instance = make_instance(tenant_a)
    for bits, partner in ((3072, "p3072"), (4096, "p4096")):
        row = make_partnership(tenant_a, instance, make_partner(tenant_a, partner))
        certificate = generate(row, key_size=bits)
        assert (
            keystore.certificate_info(
                x509.load_pem_x509_certificate(certificate.my_cert_pem.encode())
            ).key_size
            == bits
        )


def test_keystore_holds_our_key_and_the_partner_certificate_under_the_aliases(partnership):
    certificate = generate(partnership)
    data = stored(certificate.keystore_key)
    contents = keystore.list_keystore_aliases(data, password=KEYSTORE_PASSWORD)
    assert contents.private_key_aliases == ("mycompany",)
    entry = keystore.load_private_keystore(data, password=KEYSTORE_PASSWORD, alias="mycompany")
    assert pem_of(entry.certificate).decode() == certificate.my_cert_pem
    assert certificate.partner_certificates.get().pem == partner_pem().decode()


def test_password_is_sealed_and_the_private_key_is_in_no_column(partnership):
    certificate = generate(partnership)
    assert KEYSTORE_PASSWORD not in certificate.password_sealed
    assert secret_open(certificate.password_sealed) == KEYSTORE_PASSWORD
    columns = [str(value) for value in Certificate.objects.values().get().values()]
    columns += [str(value) for value in PartnerCertificate.objects.values().get().values()]
    assert not any("PRIVATE KEY" in value or KEYSTORE_PASSWORD in value for value in columns)


def test_partner_certificate_in_der_is_read(partnership):
    certificate = generate(partnership, partner_certificate_file=partner_der())
    assert certificate.partner_certificates.get().pem == partner_pem().decode()


def test_partner_certificate_columns_hold_its_dates_and_serial(partnership):
    certificate = generate(partnership)
    row = certificate.partner_certificates.get()
    info = keystore.certificate_info(partner_certificate())
    assert (row.serial, row.not_after, row.subject) == (info.serial, info.not_after, "CN=amazon")
    assert row.in_use_until is None and row.in_use_from <= datetime.now(UTC)


def test_unsafe_as2_ids_make_safe_path_segments(tenant_a):
    instance = make_instance(tenant_a, "../me co", my_as2_alias="me")
    partner = make_partner(tenant_a, "a/b\\c", partner_as2_alias="them")
    certificate = generate(make_partnership(tenant_a, instance, partner))
    assert certificate.public_key_key == (
        f"private/{tenant_a.id}/a_b_c/_me_co/cert/_me_co-a_b_c.cer"
    )
    assert ".." not in certificate.public_key_key


def test_as2_ids_that_share_safe_segments_get_their_own_files(tenant_a):
    instance = make_instance(tenant_a, "me")
    first = generate(make_partnership(tenant_a, instance, make_partner(tenant_a, "a b")))
    second = generate(make_partnership(tenant_a, instance, make_partner(tenant_a, "a_b")))
    assert first.public_key_key.endswith("/me-a_b.cer")
    assert second.public_key_key.endswith("/me-a_b-2.cer")
    assert stored(first.public_key_key) != stored(second.public_key_key)


def test_long_as2_ids_keep_the_file_extension(tenant_a):
    instance = make_instance(tenant_a, "m" * 128, my_as2_alias="me")
    partner = make_partner(tenant_a, "p" * 128, partner_as2_alias="them")
    certificate = generate(make_partnership(tenant_a, instance, partner))
    assert certificate.public_key_key.endswith(".cer")
    assert certificate.keystore_key.endswith(".p12")
    assert stored(certificate.keystore_key) != stored(certificate.public_key_key)


def test_a_partnership_that_already_has_a_certificate_is_refused(partnership, tenant_a):
    first = generate(partnership)
    error = refused(generate, partnership)
    assert error.field == "partnership" and "already has a certificate" in str(error)
    assert tenant_files(tenant_a) == [first.public_key_key, first.keystore_key]
    assert Certificate.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"password": "short"}, "password", "at least 8 characters"),
        ({"password": "pässwörd-long"}, "password", "ASCII"),
        ({"private_key_alias": " "}, "private_key_alias", "Enter the privateKeyAlias"),
        ({"partner_alias": ""}, "partner_alias", "Enter the alias"),
        ({"partner_alias": "MyCompany"}, "partner_alias", "must differ"),
    ],
)
def test_generate_refuses_bad_values_with_a_sentence(
    partnership, tenant_a, overrides, field, words
):
    error = refused(generate, partnership, **overrides)
    assert error.field == field and words in str(error)
    assert_nothing_saved(tenant_a)


# -- bad partner certificates ------------------------------------------------------------------


def _private_key_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization

    return rsa_key(name="spare").private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.mark.parametrize(
    ("make_file", "words"),
    [
        (_private_key_pem, "private key, not a certificate"),
        (lambda: p12(rsa_key(), self_signed(rsa_key(), "x")), "PKCS#12 keystore"),
        (lambda: bytes(range(256)) * 4, "not an X.509 certificate"),
        (lambda: b"", "empty"),
        (lambda: partner_pem() + b"\n" * keystore.MAX_UPLOAD_BYTES, "larger than 1 MB"),
    ],
    ids=["private-key", "p12", "random-bytes", "empty", "over-1-MB"],
)
def test_partner_file_that_is_not_a_certificate_is_refused(partnership, tenant_a, make_file, words):
    error = refused(generate, partnership, partner_certificate_file=make_file())
    assert error.field == "partner_certificate" and words in str(error)
    assert_nothing_saved(tenant_a)


def test_expired_partner_certificate_is_refused_with_its_dates(partnership, tenant_a):
    old = self_signed(
        rsa_key(),
        "amazon",
        not_before=datetime(2020, 1, 1, tzinfo=UTC),
        not_after=datetime(2021, 1, 1, tzinfo=UTC),
    )
    error = refused(generate, partnership, partner_certificate_file=pem_of(old))
    assert "expired on 2021-01-01" in str(error) and "valid from 2020-01-01" in str(error)
    assert_nothing_saved(tenant_a)


def test_not_yet_valid_partner_certificate_is_refused_with_its_dates(partnership, tenant_a):
    future = self_signed(
        rsa_key(),
        "amazon",
        not_before=NOW + timedelta(days=10),
        not_after=NOW + timedelta(days=400),
    )
    error = refused(generate, partnership, partner_certificate_file=pem_of(future))
    assert "not valid yet" in str(error) and f"{(NOW + timedelta(days=10)):%Y-%m-%d}" in str(error)
    assert_nothing_saved(tenant_a)


def test_weak_partner_key_is_a_warning_until_accepted(partnership, tenant_a):
    weak = pem_of(self_signed(rsa_key(1024), "amazon"))
    with pytest.raises(WeakKey, match="1024-bit RSA key"):
        generate(partnership, partner_certificate_file=weak)
    assert_nothing_saved(tenant_a)
    certificate = generate(partnership, partner_certificate_file=weak, accept_weak_key=True)
    assert certificate.partner_certificates.get().pem == weak.decode()


def test_a_partner_upload_is_read_from_a_file_object_too(partnership):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("amazon.cer", partner_pem())
    certificate = generate(partnership, partner_certificate_file=upload)
    assert certificate.partner_certificates.get().pem == partner_pem().decode()


# -- all or nothing ----------------------------------------------------------------------------


def test_failure_writing_the_second_file_leaves_no_row_and_no_file(
    partnership, tenant_a, monkeypatch
):
    save = default_storage.save

    def failing_save(name, content, *args, **kwargs):
        if name.endswith(".p12"):
            raise OSError("disk full")
        return save(name, content, *args, **kwargs)

    monkeypatch.setattr(default_storage, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        generate(partnership)
    assert_nothing_saved(tenant_a)


def test_failure_writing_the_rows_leaves_no_row_and_no_file(partnership, tenant_a, monkeypatch):
    def failing_create(**fields):
        raise RuntimeError("database went away")

    monkeypatch.setattr(create, "partner_certificate_add", lambda *a, **k: failing_create())
    with pytest.raises(RuntimeError, match="database went away"):
        generate(partnership)
    assert_nothing_saved(tenant_a)


def test_a_file_left_over_at_the_key_is_replaced(partnership, tenant_a):
    key = f"private/{tenant_a.id}/amazon/mycompany/cert/mycompany-amazon.cer"
    default_storage.save(key, ContentFile(b"left over"))
    certificate = generate(partnership)
    assert certificate.public_key_key == key
    assert stored(key) == certificate.my_cert_pem.encode()


# -- import ------------------------------------------------------------------------------------


def test_import_p12_made_by_keytool_genkeypair(partnership, keytool_keystores):
    certificate = import_p12(partnership, keytool_keystores["one"])
    assert certificate.origin == Origin.IMPORTED and certificate.private_key_alias == "mykey"
    ours = keystore.certificate_info(
        x509.load_pem_x509_certificate(certificate.my_cert_pem.encode())
    )
    assert ours.subject == "CN=mykey,O=Test"
    data = stored(certificate.keystore_key)
    entry = keystore.load_private_keystore(data, password=KEYSTORE_PASSWORD, alias="mykey")
    original = keystore.load_private_keystore(
        keytool_keystores["one"], password=KEYSTORE_PASSWORD, alias="mykey"
    )
    assert entry.key.private_numbers() == original.key.private_numbers()


def test_import_p12_with_two_private_keys_uses_the_one_named(partnership, keytool_keystores):
    certificate = import_p12(partnership, keytool_keystores["two"], private_key_alias="beta")
    assert certificate.private_key_alias == "beta"
    assert (
        "CN=beta"
        in keystore.certificate_info(
            x509.load_pem_x509_certificate(certificate.my_cert_pem.encode())
        ).subject
    )


def test_import_keeps_the_alias_as_the_file_spells_it(partnership, keytool_keystores):
    certificate = import_p12(partnership, keytool_keystores["two"], private_key_alias="ALPHA")
    assert certificate.private_key_alias == "alpha"


def test_import_alias_not_in_the_file_says_which_aliases_it_has(
    partnership, tenant_a, keytool_keystores
):
    error = refused(import_p12, partnership, keytool_keystores["two"], private_key_alias="gamma")
    assert error.field == "private_key_alias" and error.aliases == ("alpha", "beta")
    assert "'alpha', 'beta'" in str(error)
    assert_nothing_saved(tenant_a)


def test_import_with_wrong_password_says_so(partnership, tenant_a, keytool_keystores):
    error = refused(import_p12, partnership, keytool_keystores["one"], password="wrong-password")
    assert error.field == "password" and str(error) == "The password does not open this keystore."
    assert_nothing_saved(tenant_a)


def test_import_p12_without_a_private_key_says_so(partnership, tenant_a):
    truststore = keystore.build_partner_keystore(
        password=KEYSTORE_PASSWORD,
        partner_alias="amazon",
        partner_certificate=partner_certificate(),
    )
    error = refused(import_p12, partnership, truststore)
    assert error.field == "keystore" and "holds no private key" in str(error)
    assert_nothing_saved(tenant_a)


def test_import_p12_whose_key_and_certificate_do_not_match_is_refused(partnership, tenant_a):
    mismatched = p12(rsa_key(name="ours"), None, cas=[self_signed(rsa_key(name="other"), "x")])
    error = refused(import_p12, partnership, mismatched)
    assert error.field == "keystore" and "does not match the certificate" in str(error)
    assert_nothing_saved(tenant_a)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"not a keystore at all", "not a PKCS#12 keystore"),
        (b"\0" * (keystore.MAX_UPLOAD_BYTES + 1), "larger than 1 MB"),
    ],
    ids=["not-a-p12", "over-1-MB"],
)
def test_import_file_that_is_not_a_keystore_is_refused(partnership, tenant_a, data, words):
    error = refused(import_p12, partnership, data)
    assert error.field == "keystore" and words in str(error)
    assert_nothing_saved(tenant_a)


def test_import_weak_key_is_a_warning_until_accepted(partnership, tenant_a):
    key = rsa_key(1024)
    data = p12(key, self_signed(key, "weak"))
    with pytest.raises(WeakKey, match="Your key has a 1024-bit RSA key"):
        import_p12(partnership, data)
    assert_nothing_saved(tenant_a)
    assert import_p12(partnership, data, accept_weak_key=True).private_key_alias == "mykey"


def test_import_expired_certificate_is_refused_with_its_dates(partnership, tenant_a):
    key = rsa_key(name="ours")
    old = self_signed(
        key,
        "old",
        not_before=datetime(2020, 1, 1, tzinfo=UTC),
        not_after=datetime(2021, 1, 1, tzinfo=UTC),
    )
    error = refused(import_p12, partnership, p12(key, old))
    assert error.field == "keystore" and "expired on 2021-01-01" in str(error)
    assert "partner" not in str(error)
    assert_nothing_saved(tenant_a)


def test_import_refuses_a_partner_alias_equal_to_the_key_alias(partnership, tenant_a):
    key = rsa_key(name="ours")
    error = refused(import_p12, partnership, p12(key, self_signed(key, "x")), partner_alias="MYKEY")
    assert error.field == "partner_alias"
    assert_nothing_saved(tenant_a)


def test_import_refuses_a_partnership_that_already_has_a_certificate(
    partnership, keytool_keystores
):
    generate(partnership)
    error = refused(import_p12, partnership, keytool_keystores["one"])
    assert error.field == "partnership"


def test_keystore_aliases_lists_keys_and_certificates(keytool_keystores):
    contents = services.keystore_aliases(
        keystore_file=keytool_keystores["two"], password=KEYSTORE_PASSWORD
    )
    assert contents.private_key_aliases == ("alpha", "beta")
    error = refused(
        services.keystore_aliases, keystore_file=keytool_keystores["two"], password="nope"
    )
    assert error.field == "password"


# -- rotate ------------------------------------------------------------------------------------


def test_rotation_replaces_the_partner_certificate_and_keeps_our_key(
    partnership, tenant_a, django_capture_on_commit_callbacks
):
    certificate = generate(partnership)
    old_keystore = certificate.keystore_key
    old_entry = keystore.load_private_keystore(
        stored(old_keystore), password=KEYSTORE_PASSWORD, alias="mycompany"
    )
    with django_capture_on_commit_callbacks(execute=True):
        row = partner_certificate_rotate(
            certificate=certificate, partner_certificate_file=partner_pem("amazon-2026")
        )
    new_keystore = certificate.keystore_key  # the caller's copy follows the rotation
    certificate.refresh_from_db()
    assert certificate.keystore_key == new_keystore
    assert certificate.keystore_key == old_keystore.removesuffix(".p12") + ".2.p12"
    assert tenant_files(tenant_a) == sorted([certificate.public_key_key, certificate.keystore_key])
    data = stored(certificate.keystore_key)
    entry = keystore.load_private_keystore(data, password=KEYSTORE_PASSWORD, alias="mycompany")
    assert entry.key.private_numbers() == old_entry.key.private_numbers()
    assert pem_of(entry.certificate).decode() == certificate.my_cert_pem
    partner_keystore = certificate_export(certificate=certificate, kind=ExportKind.PARTNER_KEYSTORE)
    loaded = pkcs12.load_pkcs12(partner_keystore.content, KEYSTORE_PASSWORD.encode())
    assert [bag.certificate for bag in loaded.additional_certs] == [
        partner_certificate("amazon-2026")
    ]
    history = list(certificate.partner_certificates.order_by("in_use_from", "pk"))
    assert [h.subject for h in history] == ["CN=amazon", "CN=amazon-2026"]
    assert history[0].in_use_until == row.in_use_from and history[1].in_use_until is None
    assert certificate.current_partner_certificate == row


def test_rotating_twice_keeps_every_earlier_certificate(partnership):
    certificate = generate(partnership)
    partner_certificate_rotate(certificate=certificate, partner_certificate_file=partner_pem("b"))
    partner_certificate_rotate(certificate=certificate, partner_certificate_file=partner_pem("c"))
    certificate.refresh_from_db()
    assert certificate.keystore_key.endswith("mycompany-amazon.3.p12")
    assert (
        certificate.partner_certificates.filter(in_use_until__isnull=True).get().subject == "CN=c"
    )
    assert certificate.partner_certificates.count() == 3


def test_rotation_to_the_certificate_already_in_use_is_refused(partnership):
    certificate = generate(partnership)
    error = refused(
        partner_certificate_rotate, certificate=certificate, partner_certificate_file=partner_der()
    )
    assert error.field == "partner_certificate" and "already in use" in str(error)


def test_rotation_with_a_bad_file_changes_nothing(partnership, tenant_a):
    certificate = generate(partnership)
    before = tenant_files(tenant_a)
    error = refused(
        partner_certificate_rotate, certificate=certificate, partner_certificate_file=b"junk"
    )
    assert error.field == "partner_certificate"
    assert tenant_files(tenant_a) == before and certificate.partner_certificates.count() == 1


def test_rotation_failing_midway_leaves_the_old_state(partnership, tenant_a, monkeypatch):
    certificate = generate(partnership)
    before = tenant_files(tenant_a)
    monkeypatch.setattr(
        Certificate, "save", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom"))
    )
    with pytest.raises(RuntimeError, match="boom"):
        partner_certificate_rotate(
            certificate=certificate, partner_certificate_file=partner_pem("new")
        )
    monkeypatch.undo()
    certificate.refresh_from_db()
    assert tenant_files(tenant_a) == before
    assert certificate.keystore_key == before[1]
    assert certificate.partner_certificates.get().in_use_until is None


def test_rotation_with_a_weak_key_needs_acceptance(partnership):
    certificate = generate(partnership)
    weak = pem_of(self_signed(rsa_key(1024), "weak"))
    with pytest.raises(WeakKey):
        partner_certificate_rotate(certificate=certificate, partner_certificate_file=weak)
    partner_certificate_rotate(
        certificate=certificate, partner_certificate_file=weak, accept_weak_key=True
    )
    assert certificate.partner_certificates.count() == 2


# -- export and delete -------------------------------------------------------------------------


def test_exports_carry_safe_names_and_the_stored_bytes(partnership):
    certificate = generate(partnership)
    public = certificate_export(certificate=certificate, kind=ExportKind.PUBLIC_KEY)
    assert (public.filename, public.content) == (
        "mycompany-amazon.cer",
        stored(certificate.public_key_key),
    )
    complete = certificate_export(certificate=certificate, kind=ExportKind.COMPLETE_KEYSTORE)
    assert complete.filename == "mycompany-amazon.p12"
    assert complete.content == stored(certificate.keystore_key)
    partner = certificate_export(certificate=certificate, kind=ExportKind.PARTNER_KEYSTORE)
    assert partner.filename == "mycompany-amazon-partner.p12"
    contents = keystore.list_keystore_aliases(partner.content, password=KEYSTORE_PASSWORD)
    assert contents.private_key_aliases == () and contents.certificate_aliases == ("amazon",)


def test_delete_removes_the_rows_and_then_the_files(
    partnership, tenant_a, django_capture_on_commit_callbacks
):
    certificate = generate(partnership)
    with django_capture_on_commit_callbacks(execute=True):
        certificate_delete(certificate=certificate)
    assert_nothing_saved(tenant_a)
    assert generate(partnership).public_key_key.endswith("/mycompany-amazon.cer")


# -- secrets stay secret -----------------------------------------------------------------------


def test_passwords_appear_in_no_log_and_no_error(partnership, keytool_keystores, caplog):
    caplog.set_level(logging.DEBUG)
    certificate = generate(partnership)
    partner_certificate_rotate(certificate=certificate, partner_certificate_file=partner_pem("z"))
    other = make_partnership(
        partnership.tenant, partnership.instance, make_partner(partnership.tenant, "other")
    )
    error = refused(import_p12, other, keytool_keystores["one"], password="Wrong-Secret-9")
    assert "Wrong-Secret-9" not in str(error)
    assert KEYSTORE_PASSWORD not in caplog.text and "Wrong-Secret-9" not in caplog.text
    assert "Stored certificate" in caplog.text


# -- S3 ----------------------------------------------------------------------------------------


def test_generate_on_s3_stores_the_objects_at_the_keys(partnership, tenant_a, s3_storage):
    certificate = generate(partnership)
    client = boto3.client(
        "s3",
        endpoint_url=s3_storage.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    listed = client.list_objects_v2(Bucket=s3_storage.bucket_name, Prefix="private/")
    keys = sorted(item["Key"] for item in listed["Contents"])
    folder = f"private/{tenant_a.id}/amazon/mycompany/cert"
    assert keys == [f"{folder}/mycompany-amazon.cer", f"{folder}/mycompany-amazon.p12"]
    body = client.get_object(Bucket=s3_storage.bucket_name, Key=keys[0])["Body"].read()
    assert body == certificate.my_cert_pem.encode()
    complete = certificate_export(certificate=certificate, kind=ExportKind.COMPLETE_KEYSTORE)
    assert keystore.list_keystore_aliases(complete.content, password=KEYSTORE_PASSWORD)


def test_rotation_on_s3_writes_the_new_keystore(partnership, s3_storage):
    certificate = generate(partnership)
    partner_certificate_rotate(certificate=certificate, partner_certificate_file=partner_pem("s3"))
    certificate.refresh_from_db()
    data = stored(certificate.keystore_key)
    contents = keystore.list_keystore_aliases(data, password=KEYSTORE_PASSWORD)
    assert contents.private_key_aliases == ("mycompany",)


def test_rotation_keeps_the_file_name_of_a_certificate_whose_as2_ids_collided(tenant_a):
    instance = make_instance(tenant_a, "me")
    generate(make_partnership(tenant_a, instance, make_partner(tenant_a, "a b")))
    second = generate(make_partnership(tenant_a, instance, make_partner(tenant_a, "a_b")))
    partner_certificate_rotate(certificate=second, partner_certificate_file=partner_pem("new"))
    folder = f"private/{tenant_a.id}/a_b/me/cert"
    assert second.keystore_key == f"{folder}/me-a_b-2.2.p12"
    assert certificate_export(certificate=second, kind=ExportKind.PUBLIC_KEY).filename == (
        "me-a_b-2.cer"
    )


def test_rotation_after_an_as2_id_was_renamed_onto_another_never_takes_its_files(tenant_a):
    instance = make_instance(tenant_a, "me")
    renamed_partner = make_partner(tenant_a, "old")
    renamed = generate(make_partnership(tenant_a, instance, renamed_partner))
    other = generate(make_partnership(tenant_a, instance, make_partner(tenant_a, "a b")))
    partner_certificate_rotate(certificate=other, partner_certificate_file=partner_pem("new"))
    renamed_partner.partner_as2_id = "a_b"  # same safe segment as "a b"
    renamed_partner.save()
    renamed.refresh_from_db()
    partner_certificate_rotate(certificate=renamed, partner_certificate_file=partner_pem("new"))
    other.refresh_from_db()
    assert renamed.keystore_key not in (other.keystore_key, other.public_key_key)
    assert stored(other.keystore_key) != stored(renamed.keystore_key)
