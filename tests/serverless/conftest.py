"""Fixtures for the serverless tests: KMS keys on the moto server."""

import logging
import os
import sys
from collections.abc import Iterator

import pytest

from serverless_as2.encryption import data_key_cache_clear
from tests.serverless_as2.test_settings import ROOT


@pytest.fixture
def aws_credentials(monkeypatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def kms(moto_s3_url, aws_credentials):
    """A boto3 KMS client on the moto server (the same server that serves S3)."""
    import boto3

    return boto3.client("kms", endpoint_url=moto_s3_url, region_name="us-east-1")


def kms_key_create(kms) -> str:
    return kms.create_key(Description="serverless-as2 test key")["KeyMetadata"]["Arn"]


@pytest.fixture
def kms_key(settings, kms, moto_s3_url) -> Iterator[str]:
    """A fresh KMS key on the moto server, set as SAS2_KMS_KEY_ID; data key caches emptied."""
    key_arn = kms_key_create(kms)
    settings.KMS_KEY_ID = key_arn
    settings.KMS_ENDPOINT_URL = moto_s3_url
    settings.AWS_REGION_NAME = "us-east-1"
    data_key_cache_clear()
    yield key_arn
    data_key_cache_clear()


@pytest.fixture
def zappa_lambda(tmp_path, monkeypatch, settings, s3_storage, kms_key):
    """Zappa's own `handler.lambda_handler`, in this process, as `zappa package` sets it up.

    Zappa writes a `zappa_settings.py` module into the zip from zappa_settings.json; the handler
    imports it by name. We generate it the same way (Zappa's CLI, stage production) into a folder
    on sys.path. Django is the test one (test database; S3 and KMS on the moto server); what the
    handler changes for the whole process (os.environ, the root logger, the script prefix) is
    put back afterwards.
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.urls import get_script_prefix, set_script_prefix
    from zappa import handler
    from zappa.cli import ZappaCLI

    cli = ZappaCLI()
    cli.api_stage = "production"
    cli.load_credentials = False
    cli.load_settings(str(ROOT / "zappa_settings.json"))
    (tmp_path / "zappa_settings.py").write_text(cli.get_zappa_settings_string())
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "zappa_settings", raising=False)
    monkeypatch.setattr(handler.LambdaHandler, "_LambdaHandler__instance", None)
    settings.ALLOWED_HOSTS = [API_HOST, "localhost"]
    environ, log_level, script_prefix = (
        dict(os.environ),
        logging.getLogger().level,
        get_script_prefix(),
    )
    # As Django's test client does: the test database connection must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield handler.lambda_handler
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        os.environ.clear()
        os.environ.update(environ)
        logging.getLogger().setLevel(log_level)
        set_script_prefix(script_prefix)  # each request set it from SCRIPT_NAME (/production)
        sys.modules.pop("zappa_settings", None)


API_HOST = "abc123.execute-api.us-east-1.amazonaws.com"
