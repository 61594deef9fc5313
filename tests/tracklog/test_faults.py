"""Storage unavailable during a receive: the moto S3 server stopped under the endpoint."""

import subprocess
import sys
import time

import boto3
import pytest
from botocore.config import Config
from django.core.files.storage import storages

from tests.conftest import free_port
from tests.tracklog import fuzz_cases
from tests.tracklog.conftest import endpoint_url, partnership_with_certificate
from tests.tracklog.test_receive import alpha_message
from tracklog.models import Direction, Message, Status


class MotoServer:
    """A moto S3 server of this test's own, that the test stops and starts again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = boto3.client("s3", endpoint_url=self.url, region_name="us-east-1")
        deadline = time.monotonic() + 30
        while True:
            try:
                client.create_bucket(Bucket="faults")
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def moto(settings, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    server = MotoServer()
    server.start()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "faults",
                "endpoint_url": server.url,
                "region_name": "us-east-1",
                "default_acl": None,
                "file_overwrite": True,
                "client_config": Config(
                    retries={"max_attempts": 1}, connect_timeout=1, read_timeout=2
                ),
            },
        },
    }
    storages._storages.pop("default", None)
    yield server
    storages._storages.pop("default", None)
    if server.process and server.process.poll() is None:
        server.stop()


def test_with_storage_down_a_receive_is_a_503_then_processed_once_when_it_is_back(
    db, tenant_a, tenant_b, messaging_settings, moto
):
    partnership_with_certificate(tenant_b, "beta", "alpha", "http://127.0.0.1:9/as2/")
    endpoint = endpoint_url("", tenant_b)
    first = alpha_message()
    answer = fuzz_cases.wsgi_post(endpoint, dict(first.headers), first.body)
    assert answer.status == 200 and b"processed" in answer.body  # keys loaded, storage works

    moto.stop()
    built = alpha_message()
    answer = fuzz_cases.wsgi_post(endpoint, dict(built.headers), built.body)
    assert answer.status == 503, answer.body
    assert b"Send it again later" in answer.body
    assert answer.headers["Content-Type"].startswith("text/plain")  # a sentence, not an MDN
    assert not Message.objects.filter(message_id=built.message_id).exists()

    moto.start()  # an empty bucket again: the sender sends the same message again
    answer = fuzz_cases.wsgi_post(endpoint, dict(built.headers), built.body)
    assert answer.status == 200 and b"processed" in answer.body
    received = Message.objects.get(direction=Direction.INBOUND, message_id=built.message_id)
    assert received.status == Status.MDN_SENT
    with storages["default"].open(received.payload_key, "rb") as file:
        assert file.read() == b"ISA*00*\nGS*PO\r\nST*850\rx\x00\xff\xfe binary tail\r\n"
