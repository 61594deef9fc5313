"""Fixtures for the certificate service, page and command tests."""

import pytest

from tests.certificates.cli import KEYTOOL, keytool_genkeypair
from tests.certificates.factories import KEYSTORE_PASSWORD
from tests.conftest import make_partnership


@pytest.fixture
def partnership(tenant_a):
    """Tenant A's partnership mycompany -> amazon, without a certificate."""
    return make_partnership(tenant_a)


@pytest.fixture(scope="session")
def keytool_keystores(tmp_path_factory) -> dict[str, bytes]:
    """Keystores made by `keytool -genkeypair`: "one" holds "mykey"; "two" "alpha" and "beta"."""
    if KEYTOOL is None:
        pytest.skip("keytool (Java) is not installed")
    folder = tmp_path_factory.mktemp("keytool")
    keytool_genkeypair(folder / "one.p12", alias="mykey", password=KEYSTORE_PASSWORD)
    keytool_genkeypair(folder / "two.p12", alias="alpha", password=KEYSTORE_PASSWORD)
    keytool_genkeypair(folder / "two.p12", alias="beta", password=KEYSTORE_PASSWORD)
    return {name: (folder / f"{name}.p12").read_bytes() for name in ("one", "two")}
