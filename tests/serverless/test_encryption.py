"""Secrets at rest: envelope encryption with AWS KMS (moto server), and the local Fernet key."""

import base64
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from serverless_as2.encryption import (
    SecretSealFailed,
    SecretUnreadable,
    data_key_cache_clear,
    secret_open,
    secret_seal,
)
from serverless_as2.kms import ENCRYPTION_CONTEXT
from tests.serverless_as2.test_settings import ROOT, app_env

SECRET = "keystore-Pa55word-é"


def test_with_kms_a_secret_is_sealed_under_a_data_key_that_kms_wrapped(kms_key, kms):
    token = secret_seal(SECRET)
    prefix, wrapped, fernet_token = token.split(":")
    assert prefix == "kms1" and SECRET not in token
    # Open it without our code: KMS unwraps the data key, Fernet opens the secret with it.
    answer = kms.decrypt(
        CiphertextBlob=base64.b64decode(wrapped), EncryptionContext=ENCRYPTION_CONTEXT
    )
    assert answer["KeyId"] == kms_key
    data_key = Fernet(base64.urlsafe_b64encode(answer["Plaintext"]))
    assert data_key.decrypt(fernet_token.encode()).decode() == SECRET
    assert secret_open(token) == SECRET


def test_a_process_seals_with_one_data_key_and_opens_other_processes_tokens(kms_key):
    first, second = secret_seal("one"), secret_seal("two")
    assert first.split(":")[1] == second.split(":")[1]  # one GenerateDataKey per process
    assert first.split(":")[2] != second.split(":")[2]
    data_key_cache_clear()  # as a fresh process: the data key is unwrapped by KMS Decrypt
    assert (secret_open(first), secret_open(second)) == ("one", "two")


def test_local_key_tokens_keep_opening_once_kms_is_configured(settings, kms_key):
    local = Fernet(settings.KEY_ENCRYPTION_KEY.encode()).encrypt(SECRET.encode()).decode()
    assert secret_open(local) == SECRET
    assert secret_seal(SECRET).startswith("kms1:")


def test_without_kms_the_token_is_a_fernet_token_of_the_local_key(settings):
    assert not settings.KMS_KEY_ID
    token = secret_seal(SECRET)
    assert Fernet(settings.KEY_ENCRYPTION_KEY.encode()).decrypt(token.encode()).decode() == SECRET


def test_a_damaged_kms_token_says_so(kms_key):
    prefix, wrapped, fernet_token = secret_seal(SECRET).split(":")
    other = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    for damaged in (f"kms1:{wrapped}:{other}", f"kms1:{wrapped}", "kms1:@@@:x"):
        with pytest.raises(SecretUnreadable, match="damaged"):
            secret_open(damaged)


def test_kms_refusals_are_sentences_not_tracebacks(settings, kms_key):
    _, wrapped, fernet_token = secret_seal(SECRET).split(":")
    forged = base64.b64encode(b"not a blob KMS made" * 4).decode()
    with pytest.raises(SecretUnreadable, match="AWS KMS refused Decrypt") as opened:
        secret_open(f"kms1:{forged}:{fernet_token}")
    assert SECRET not in str(opened.value)
    settings.KMS_KEY_ID = kms_key.replace(
        kms_key.rsplit("/", 1)[1], "0" * 8 + "-0000-0000-0000-" + "0" * 12
    )
    with pytest.raises(SecretSealFailed, match="AWS KMS refused GenerateDataKey"):
        secret_seal(SECRET)


def test_an_unreachable_kms_is_a_sentence(settings, kms_key):
    from tests.conftest import free_port

    settings.KMS_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(SecretSealFailed, match="could not be reached"):
        secret_seal(SECRET)


def test_boto3_is_not_imported_when_kms_is_not_configured(tmp_path):
    script = (
        "import sys, django; django.setup()\n"
        "from serverless_as2.encryption import secret_open, secret_seal\n"
        "assert secret_open(secret_seal('x')) == 'x'\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=app_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"
