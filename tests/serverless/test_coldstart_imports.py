"""A cold start loads no cryptography: the first page a fresh process serves imports every view
(the URL conf), and none of them may pull in cryptography, asn1crypto or the AS2 engine's CMS at
import time. bench/coldstart.py measures the time; this keeps the imports from coming back.
"""

import json
import subprocess
import sys

from tests.serverless_as2.test_settings import ROOT, app_env

CHILD = """
import json, sys
import django
django.setup()
from django.test import Client
response = Client().get("/accounts/login/")
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("cryptography", "asn1crypto")
                or name in ("as2.cms", "as2.message", "as2.mdn", "certificates.keystore"))
print(json.dumps({"status": response.status_code, "loaded": loaded}))
"""


def test_the_first_page_of_a_fresh_process_loads_no_cryptography(tmp_path):
    env = app_env(
        tmp_path,
        DJANGO_SECRET_KEY="cold-start-" + "s" * 50,
        SAS2_KEY_ENCRYPTION_KEY="not-read-on-this-path",
        DJANGO_ALLOWED_HOSTS="testserver",
        SAS2_STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
    )
    result = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer == {"status": 200, "loaded": []}


def test_the_engine_api_names_every_export_and_each_resolves():
    import importlib

    import as2

    assert set(as2._HOMES) == set(as2.__all__)
    for name in as2.__all__:
        assert getattr(as2, name) is getattr(importlib.import_module(as2._HOMES[name]), name)


ENGINE_MODULES = {path.stem for path in (ROOT / "as2").glob("*.py")} | {
    path.name for path in (ROOT / "as2").iterdir() if (path / "__init__.py").exists()
}


def test_no_code_reaches_into_an_engine_module_through_the_package():
    """`as2.message.x` works only once something has imported as2.message: the package loads its
    modules lazily. Send File's `as2.message.make_message_id()` was a 500 in a fresh process whose
    first request it was. Code outside the engine uses `as2.<name>` or imports the module."""
    import ast

    offences = []
    for path in ROOT.glob("*/**/*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in ("as2", ".venv", "build", "dist") or parts[0].startswith("."):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and isinstance(node.value.value, ast.Name)
                and node.value.value.id == "as2"
                and node.value.attr in ENGINE_MODULES
            ):
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno} as2.{node.value.attr}")
    assert offences == []
