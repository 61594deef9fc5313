"""manage.py rotate_key_encryption_key: every sealed secret, re-sealed all or nothing."""

import base64
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from certificates.models import Certificate
from serverless_as2.encryption import data_key_cache_clear, sealed_fields
from serverless_as2.kms import ENCRYPTION_CONTEXT
from tests.certificates.factories import KEYSTORE_PASSWORD, certificate_for
from tests.conftest import make_instance, make_partner, make_partnership
from tests.serverless.conftest import kms_key_create


@pytest.fixture
def certificates(tenant_a) -> list[Certificate]:
    instance = make_instance(tenant_a)
    return [
        certificate_for(make_partnership(tenant_a, instance, make_partner(tenant_a, name)))
        for name in ("amazon", "walmart")
    ]


def rotate(*arguments: str) -> str:
    out = StringIO()
    call_command("rotate_key_encryption_key", *arguments, stdout=out)
    return out.getvalue()


def tokens() -> dict[int, str]:
    return dict(Certificate.objects.values_list("pk", "password_sealed"))


def test_the_registry_finds_every_sealed_column():
    assert (Certificate, "password_sealed") in sealed_fields()


def test_a_new_local_key_reseals_every_secret_and_the_old_key_is_no_longer_needed(
    settings, certificates
):
    old_key, new_key = settings.KEY_ENCRYPTION_KEY, Fernet.generate_key().decode()
    updated = dict(Certificate.objects.values_list("pk", "updated"))
    settings.KEY_ENCRYPTION_KEY = f"{new_key},{old_key}"

    before = tokens()
    report = rotate("--dry-run")
    assert "2 secret(s) sealed with an older local key" in report
    assert "nothing was changed" in report and tokens() == before

    assert "2 secret(s) sealed with the current local key" in rotate()
    for token in tokens().values():
        assert Fernet(new_key.encode()).decrypt(token.encode()).decode() == KEYSTORE_PASSWORD
    assert dict(Certificate.objects.values_list("pk", "updated")) == updated


def test_one_secret_that_does_not_open_changes_nothing(settings, certificates):
    old_key = settings.KEY_ENCRYPTION_KEY
    stranger = Fernet(Fernet.generate_key()).encrypt(b"lost").decode()
    Certificate.objects.filter(pk=certificates[1].pk).update(password_sealed=stranger)
    before = tokens()
    settings.KEY_ENCRYPTION_KEY = f"{Fernet.generate_key().decode()},{old_key}"
    with pytest.raises(CommandError) as refused:
        rotate()
    message = str(refused.value)
    assert f"certificates.Certificate #{certificates[1].pk} (password_sealed)" in message
    assert "Nothing was changed" in message and "lost" not in message
    assert tokens() == before


def test_local_secrets_move_to_kms_then_from_one_kms_key_to_another(
    settings, certificates, kms_key, kms
):
    def wrapping_keys() -> set[str]:
        keys = set()
        for token in tokens().values():
            prefix, wrapped, _ = token.split(":")
            assert prefix == "kms1"
            blob = base64.b64decode(wrapped)
            keys.add(
                kms.decrypt(CiphertextBlob=blob, EncryptionContext=ENCRYPTION_CONTEXT)["KeyId"]
            )
        return keys

    assert "2 secret(s) sealed with the current local key" in rotate()
    assert wrapping_keys() == {kms_key}

    settings.KMS_KEY_ID = new_key = kms_key_create(kms)
    data_key_cache_clear()
    report = rotate()
    assert f"2 secret(s) sealed with KMS key {kms_key}" in report
    assert f"2 secret(s) sealed with KMS key {new_key}." in report
    assert wrapping_keys() == {new_key}
