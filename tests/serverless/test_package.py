"""`make package`: the Lambda zip, built offline by `zappa package`, and that it runs as Lambda would.

Building takes a while (a runtime-only virtualenv the first time, then ~30 s): one build per
test session, shared by the tests below.
"""

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.serverless_as2.test_settings import ROOT

ZIP = ROOT / "dist" / "serverless-as2-production.zip"
SITE_PACKAGES = Path(__import__("boto3").__file__).resolve().parents[1]
HOST = "abc123.execute-api.us-east-1.amazonaws.com"
# What test and lint tools leave in the working tree; zappa_settings.json excludes them. The
# __pycache__ folders stay: scripts/lambda-zip-compile recompiles them for Lambda's read-only
# /var/task (without them every cold start compiles every module; see docs/deploy.md).
DEV_CACHES = {".hypothesis", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".coverage", "htmlcov"}


@pytest.fixture(scope="session")
def lambda_zip() -> zipfile.ZipFile:
    result = subprocess.run(["make", "package"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(r"serverless-as2-production\.zip: [\d.]+ MB zipped", result.stdout)
    with zipfile.ZipFile(ZIP) as archive:
        yield archive


def top_level(archive: zipfile.ZipFile) -> set[str]:
    return {name.split("/")[0] for name in archive.namelist()}


def test_the_zip_holds_zappas_handler_our_packages_and_collected_static_files(lambda_zip):
    names = set(lambda_zip.namelist())
    assert {"handler.py", "zappa_settings.py", "django_zappa_app.py", "manage.py"} <= names
    for package in ("serverless_as2", "as2", "partnerships", "certificates", "tracklog"):
        assert f"{package}/__init__.py" in names
    assert "serverless_as2/lambda_events.py" in names
    assert "templates/registration/login.html" in names
    assert "staticfiles/staticfiles.json" in names  # the manifest the production storage reads
    assert {"django", "cryptography", "asn1crypto", "storages", "psycopg", "zappa"} <= top_level(
        lambda_zip
    )
    settings = lambda_zip.read("zappa_settings.py").decode()
    assert "DEBUG=False" in settings and "BINARY_SUPPORT=True" in settings
    assert "SECRET" not in settings and "KEY_ENCRYPTION_KEY" not in settings


def test_the_zip_holds_no_test_packages_and_not_what_lambda_provides(lambda_zip):
    forbidden = {"pytest", "_pytest", "moto", "playwright", "hypothesis", "pytest_django", "ruff"}
    forbidden |= {"boto3", "botocore", "s3transfer"}  # the python3.12 runtime has them
    forbidden |= {"tests", "bench", "var", "build", "dist", ".venv", ".git"}
    forbidden |= DEV_CACHES
    assert not top_level(lambda_zip) & forbidden
    # The caches are left wherever a tool ran, so look for them at any depth.
    cached = [name for name in lambda_zip.namelist() if DEV_CACHES & set(name.split("/"))]
    assert not cached, cached[:20]
    assert ZIP.stat().st_size < 50_000_000


def test_the_zipped_bytecode_is_valid_whatever_the_file_dates(lambda_zip):
    pyc = lambda_zip.read("serverless_as2/__pycache__/settings.cpython-312.pyc")
    flags = int.from_bytes(pyc[4:8], "little")
    assert flags == 0b01  # PEP 552: hash-based, source not checked
    sources = [n for n in lambda_zip.namelist() if n.endswith(".py") and "/" in n]
    compiled = set(lambda_zip.namelist())
    missing = [
        source
        for source in sources
        if f"{source.rsplit('/', 1)[0]}/__pycache__/{source.rsplit('/', 1)[1][:-3]}.cpython-312.pyc"
        not in compiled
    ]
    assert len(missing) < len(sources) * 0.01, missing[:20]  # a few files are not Python 3


CHILD = """
import base64, json, re, sys
sys.path[:0] = [{task!r}, {runtime!r}]
from handler import lambda_handler

def get(path):
    event = {{
        "resource": "/{{proxy+}}", "path": path, "httpMethod": "GET",
        "headers": {{"Host": {host!r}, "X-Forwarded-Proto": "https"}},
        "multiValueHeaders": {{}}, "queryStringParameters": None,
        "requestContext": {{"stage": "production"}}, "body": None, "isBase64Encoded": False,
    }}
    return lambda_handler(event, None)

page = get("/accounts/login/")
css = re.search(r'href="/static/(css/[^"]+)"', page["body"]).group(1)
style = get("/static/" + css)
print(json.dumps({{"page": page["statusCode"], "css": css, "style": style["statusCode"],
                  "type": style["headers"].get("Content-Type"),
                  "modules": sorted(m for m in sys.modules if m.split(".")[0] in ("pytest", "moto"))}}))
"""


def test_the_extracted_zip_serves_the_login_page_and_its_static_files_as_on_lambda(
    lambda_zip, tmp_path
):
    task, runtime = tmp_path / "task", tmp_path / "runtime"
    lambda_zip.extractall(task)
    runtime.mkdir()
    for name in ("boto3", "botocore", "s3transfer"):  # what Lambda's runtime adds
        (runtime / name).symlink_to(SITE_PACKAGES / name)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_FUNCTION_NAME": "serverless-as2-production",
        "DJANGO_SECRET_KEY": "test-" + "s" * 50,
        "SAS2_KEY_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": HOST,
    }
    code = CHILD.format(task=str(task), runtime=str(runtime), host=HOST)
    # -I -S: only the zip and boto3 on the path; -B: /var/task is read-only on Lambda.
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", code],
        cwd=task,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["page"] == 200, result.stderr[-3000:]
    assert re.fullmatch(r"css/app\.[0-9a-f]{12}\.css", answer["css"])  # the manifest's name
    assert answer["style"] == 200 and answer["type"].startswith("text/css")
    assert answer["modules"] == []
