"""Fixtures for the serverless tests: KMS keys on the moto server."""

from collections.abc import Iterator

import pytest

from serverless_as2.encryption import data_key_cache_clear


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
    settings.KMS_REGION = "us-east-1"
    data_key_cache_clear()
    yield key_arn
    data_key_cache_clear()
