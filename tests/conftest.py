"""Fixtures shared by every test: tenants, logged-in clients, rows, a moto S3 server.

Also the one rule for the real tools the tests drive (keytool, openssl, Chromium,
PostgreSQL): `require_tool(name)` (or `@pytest.mark.requires_tool(name)`) skips a test here
when the tool is missing, and fails it under CI (CI=true), where every test must run. Under
CI any other skip fails too, so a quiet `pytest.skip` cannot hide a missing tool.
"""

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from django.test import Client

from partnerships.models import As2Instance, Partner, Partnership
from serverless_as2.models import Tenant, User
from serverless_as2.services import tenant_create

PASSWORD = "a-long-test-password"

# Where each tool the tests drive is found when it is not on PATH.
TOOL_PLACES = {
    "chromium": ["/usr/bin/chromium"],
    "postgresql": sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")),
}
TOOL_NAMES = {"postgresql": "initdb", "keytool": "keytool", "openssl": "openssl"}
INSTALL_HINT = "scripts/install-test-tools installs it"


def running_in_ci() -> bool:
    """Whether the tests run under CI (CI=true, as CI services set it)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require_tool(name: str) -> str:
    """The tool's path; if it is missing, skip the test here but fail it under CI."""
    found = shutil.which(TOOL_NAMES.get(name, name))
    found = found or next((p for p in TOOL_PLACES.get(name, []) if os.access(p, os.X_OK)), None)
    if found:
        return found
    missing = f"{name} is not installed ({INSTALL_HINT})"
    if running_in_ci():
        pytest.fail(f"{missing}: CI must run every test that drives it.", pytrace=False)
    pytest.skip(missing)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "requires_tool(name): the test drives this tool (see require_tool)"
    )


def pytest_runtest_setup(item):
    for marker in item.iter_markers("requires_tool"):
        require_tool(*marker.args)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and running_in_ci() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        reason = str(reason).removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = f"Skipped under CI, where every test must run: {reason}"
    return report


@pytest.fixture
def tenant_a(db) -> Tenant:
    return tenant_create(name="Tenant A", email="a@example.com", password=PASSWORD)


@pytest.fixture
def tenant_b(db) -> Tenant:
    return tenant_create(name="Tenant B", email="b@example.com", password=PASSWORD)


def logged_in_client(tenant: Tenant) -> Client:
    client = Client()
    client.force_login(User.objects.get(tenant=tenant))
    return client


@pytest.fixture
def client_a(tenant_a) -> Client:
    return logged_in_client(tenant_a)


@pytest.fixture
def client_b(tenant_b) -> Client:
    return logged_in_client(tenant_b)


def make_instance(tenant: Tenant, as2_id: str = "mycompany", **fields) -> As2Instance:
    defaults = {"my_name": as2_id, "my_as2_alias": as2_id, "my_email": f"edi@{as2_id}.example"}
    return As2Instance.objects.create(tenant=tenant, my_as2_id=as2_id, **{**defaults, **fields})


def make_partner(tenant: Tenant, as2_id: str = "amazon", **fields) -> Partner:
    defaults = {
        "partner_name": as2_id,
        "partner_as2_alias": as2_id,
        "partner_email": f"edi@{as2_id}.example",
    }
    return Partner.objects.create(tenant=tenant, partner_as2_id=as2_id, **{**defaults, **fields})


def make_partnership(
    tenant: Tenant, instance: As2Instance | None = None, partner: Partner | None = None, **fields
) -> Partnership:
    # The row as given (a disabled partner, say): partnerships.services' tests go through
    # partnership_create; the database's check constraints still apply.
    return Partnership.objects.create(
        tenant=tenant,
        instance=instance or make_instance(tenant),
        partner=partner or make_partner(tenant),
        as2_url=fields.pop("as2_url", "https://partner.example/as2"),
        **fields,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_s3_url() -> Iterator[str]:
    """A real moto S3 server on 127.0.0.1, for the duration of the test session."""
    # Run moto from this interpreter: a `moto_server` found on PATH may be a pyenv shim for
    # another Python that has no moto installed.
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"moto server exited with code {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("moto server did not start within 30 s")
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def s3_storage(settings, moto_s3_url, monkeypatch):
    """Point Django's default storage at a fresh bucket on the moto S3 server."""
    import boto3
    from django.core.files.storage import storages

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = f"sas2-test-{time.monotonic_ns()}"
    boto3.client("s3", endpoint_url=moto_s3_url, region_name="us-east-1").create_bucket(
        Bucket=bucket
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": moto_s3_url,
                "region_name": "us-east-1",
                "default_acl": None,
                "signature_version": "s3v4",
                "file_overwrite": True,
            },
        },
    }
    storages._storages.pop("default", None)
    yield storages["default"]
    storages._storages.pop("default", None)
