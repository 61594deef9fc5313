"""keytool and openssl, run on downloaded files as an independent check."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

KEYTOOL = shutil.which("keytool")
OPENSSL = shutil.which("openssl")
needs_keytool = pytest.mark.skipif(KEYTOOL is None, reason="keytool (Java) is not installed")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="the openssl CLI is not installed")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60)


def keytool_entries(path: Path, password: str) -> dict[str, str]:
    """{alias: entry type} as `keytool -list -v` prints them."""
    result = run(
        KEYTOOL, "-J-Duser.language=en", "-list", "-v", "-storetype", "PKCS12",
        "-keystore", str(path), "-storepass", password,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    aliases = re.findall(r"^Alias name: (.*)$", result.stdout, re.MULTILINE)
    types = re.findall(r"^Entry type: (.*)$", result.stdout, re.MULTILINE)
    return dict(zip(aliases, types, strict=True))


def keytool_genkeypair(path: Path, *, alias: str, password: str) -> None:
    result = run(
        KEYTOOL, "-J-Duser.language=en", "-genkeypair", "-keyalg", "RSA", "-keysize", "2048",
        "-storetype", "PKCS12", "-keystore", str(path), "-storepass", password,
        "-alias", alias, "-dname", f"CN={alias}, O=Test", "-validity", "30",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def openssl_pkcs12_info(path: Path, password: str) -> str:
    """What `openssl pkcs12 -info` prints (certificates and key, unencrypted), or fail."""
    result = run(
        OPENSSL, "pkcs12", "-info", "-in", str(path), "-passin", f"pass:{password}", "-nodes"
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def openssl_x509_subject(path: Path) -> str:
    result = run(OPENSSL, "x509", "-in", str(path), "-noout", "-subject")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()
