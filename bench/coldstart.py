"""Lambda cold start: a fresh process imports Zappa's handler and serves its first request.

Run: .venv/bin/python bench/coldstart.py [--runs 10] [--zip dist/serverless-as2-production.zip]
     .venv/bin/python bench/coldstart.py --importtime   (the slowest imports on our path)

Both sides go through Zappa's `handler.lambda_handler` with an API Gateway REST event for a
login page, in a new interpreter each time, runs interleaved:
- ours: this project with the settings module `zappa package` writes for stage production (the
  Lambda environment of zappa_settings.json, static files collected as `make package` does);
  with --zip, the extracted `make package` zip instead, with boto3 beside it as on Lambda;
- the baseline: a bare project from `django-admin startproject` of the same Django, its admin
  login page.
Each child times its own import + first request (interpreter start-up is the same for both);
the figure is the median. Goal: ours under 1.5x the bare project and under 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE_PACKAGES = Path(__import__("django").__file__).resolve().parents[1]
HOST = "abc123.execute-api.us-east-1.amazonaws.com"

CHILD = """
import json, sys, time
started = time.perf_counter()
sys.path[:0] = {path!r}
from {handler_module} import lambda_handler
imported = time.perf_counter()
event = {{
    "resource": "/{{proxy+}}", "path": {page!r}, "httpMethod": "GET",
    "headers": {{"Host": {host!r}, "X-Forwarded-Proto": "https"}},
    "multiValueHeaders": {{}}, "queryStringParameters": None,
    "requestContext": {{"stage": "production"}}, "body": None, "isBase64Encoded": False,
}}
response = lambda_handler(event, None)
served = time.perf_counter()
heavy = sorted({{name.split(".")[0] for name in sys.modules}} & {heavy!r})
print(json.dumps({{"status": response["statusCode"], "import": imported - started,
                  "total": served - started, "heavy": heavy}}))
"""
HEAVY = {"asn1crypto", "boto3", "botocore", "as2", "cryptography", "storages"}


def zappa_settings_module(folder: Path) -> str:
    """The zappa_settings.py `zappa package` writes for stage production."""
    from zappa.cli import ZappaCLI

    cli = ZappaCLI()
    cli.api_stage = "production"
    cli.load_credentials = False
    cli.load_settings(str(ROOT / "zappa_settings.json"))
    return cli.get_zappa_settings_string()


def bare_project(folder: Path, settings_text: str) -> list[str]:
    """A `django-admin startproject` in folder, and the path for its Zappa handler."""
    subprocess.run(  # noqa: S603
        [str(Path(sys.executable).parent / "django-admin"), "startproject", "bare", str(folder)],
        check=True,
    )
    settings = folder / "bare" / "settings.py"
    settings.write_text(settings.read_text() + '\nDEBUG = False\nALLOWED_HOSTS = ["*"]\n')
    settings_text = re.sub(r"APP_MODULE='[^']*'", "APP_MODULE='bare.wsgi'", settings_text)
    settings_text = re.sub(
        r"DJANGO_SETTINGS='[^']*'", "DJANGO_SETTINGS='bare.settings'", settings_text
    )
    settings_text = re.sub(r"ENVIRONMENT_VARIABLES=.*", "ENVIRONMENT_VARIABLES={}", settings_text)
    zappa_dir = folder / "zappa"
    zappa_dir.mkdir()
    (zappa_dir / "zappa_settings.py").write_text(settings_text)
    return [str(zappa_dir), str(folder)]


def ours_from_worktree(folder: Path, settings_text: str) -> tuple[list[str], dict[str, str]]:
    static = folder / "static"
    # Zappa's handler sets the stage's environment over the process's: point its static folder
    # (`staticfiles`, what `make package` collects into the zip) at the one collected here.
    settings_text = settings_text.replace(
        "'SAS2_STATIC_ROOT': 'staticfiles'", f"'SAS2_STATIC_ROOT': {str(static)!r}"
    )
    zappa_dir = folder / "zappa"
    zappa_dir.mkdir()
    (zappa_dir / "zappa_settings.py").write_text(settings_text)
    env = {
        "SAS2_DATA_DIR": str(folder / "data"),
        "SAS2_STATIC_ROOT": str(static),
        "SAS2_STATICFILES_BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "DJANGO_SETTINGS_MODULE": "serverless_as2.settings",
    }
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env={**lambda_env(), **env},
        check=True,
    )
    return [str(zappa_dir), str(ROOT)], {"SAS2_STATIC_ROOT": str(static)}


def ours_from_zip(folder: Path, zip_path: Path) -> list[str]:
    task = folder / "task"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(task)
    runtime = folder / "runtime"  # what Lambda's python3.12 runtime provides: boto3
    runtime.mkdir()
    for name in ("boto3", "botocore", "s3transfer"):
        (runtime / name).symlink_to(SITE_PACKAGES / name)
    return [str(task), str(runtime)]


def lambda_env() -> dict[str, str]:
    """A Lambda function's environment: the secrets it is given, its name, nothing of ours."""
    from cryptography.fernet import Fernet

    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_FUNCTION_NAME": "serverless-as2-production",
        "DJANGO_SECRET_KEY": "bench-" + "k" * 50,
        "SAS2_KEY_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": HOST,
    }


def child_flags(handler_module: str) -> list[str]:
    """-I: nothing from the environment. For the zip (module `handler` at its root) also -S, only
    the zip and boto3 on the path as on Lambda, and -B: /var/task is read-only there, so no
    bytecode is written and stale .pyc files would be compiled again at every cold start."""
    return ["-I", "-S", "-B"] if handler_module == "handler" else ["-I"]


def run_child(path: list[str], handler_module: str, page: str, env: dict[str, str], cwd: Path):
    code = CHILD.format(path=path, handler_module=handler_module, page=page, host=HOST, heavy=HEAVY)
    result = subprocess.run(  # noqa: S603
        [sys.executable, *child_flags(handler_module), "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        sys.exit(f"child failed:\n{result.stderr[-3000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    if figures["status"] != 200:
        sys.exit(f"the first request answered {figures['status']}:\n{result.stderr[-3000:]}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--zip", type=Path, help="bench the extracted `make package` zip")
    parser.add_argument("--importtime", action="store_true", help="list the slowest imports")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="coldstart-") as temp:
        folder = Path(temp)
        settings_text = zappa_settings_module(folder)
        (folder / "ours").mkdir()
        env = lambda_env()
        if arguments.zip:
            ours_path, handler_module = ours_from_zip(folder / "ours", arguments.zip), "handler"
            ours_cwd, ours_env = Path(ours_path[0]), env
        else:
            ours_path, extra = ours_from_worktree(folder / "ours", settings_text)
            ours_cwd, handler_module, ours_env = ROOT, "zappa.handler", {**env, **extra}
        ours_env = {**ours_env, "SAS2_DATA_DIR": str(folder / "ours" / "data")}
        bare_path = bare_project(folder / "bare", settings_text)

        if arguments.importtime:
            importtime(ours_path, handler_module, ours_env, ours_cwd)
            return

        ours, bare = [], []
        for _ in range(arguments.runs):
            ours.append(
                run_child(ours_path, handler_module, "/accounts/login/", ours_env, ours_cwd)
            )
            bare.append(
                run_child(bare_path, "zappa.handler", "/admin/login/", env, folder / "bare")
            )

    def median(figures: list[dict], key: str) -> float:
        return statistics.median(figure[key] for figure in figures)

    print(f"Cold start, median of {arguments.runs} fresh processes (import handler + 1st request)")
    print(f"{'':32} {'import':>8} {'total':>8}")
    source = f"zip {arguments.zip}" if arguments.zip else "worktree"
    for name, figures in ((f"Serverless AS2 ({source})", ours), ("bare Django project", bare)):
        print(
            f"{name:32} {median(figures, 'import') * 1000:6.0f} ms {median(figures, 'total') * 1000:6.0f} ms"
        )
    ratio = median(ours, "total") / median(bare, "total")
    print(
        f"ratio ours/bare: {ratio:.2f}x (goal < 1.5x); ours {median(ours, 'total'):.2f} s (goal < 1 s)"
    )
    print(f"heavy modules loaded by ours: {', '.join(ours[0]['heavy']) or 'none'}")
    print(f"heavy modules loaded by bare: {', '.join(bare[0]['heavy']) or 'none'}")


def importtime(path: list[str], handler_module: str, env: dict[str, str], cwd: Path) -> None:
    code = CHILD.format(
        path=path, handler_module=handler_module, page="/accounts/login/", host=HOST, heavy=HEAVY
    )
    # Imports made while serving the request count too: they are on the first request's path.
    result = subprocess.run(  # noqa: S603
        [sys.executable, *child_flags(handler_module), "-X", "importtime", "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if match:
            rows.append((int(match[2]), len(match[3]) // 2, match[4]))
    top_level = sorted((row for row in rows if row[1] <= 1), reverse=True)[:25]
    print("Slowest top-level imports (cumulative, µs) on the path of the first request:")
    for cumulative, _, name in top_level:
        print(f"{cumulative:>9}  {name}")
    for package in sorted(HEAVY):
        own = [row for row in rows if row[2].split(".")[0] == package]
        if own:
            print(f"{package}: {max(own)[0]} µs for its outermost import")


if __name__ == "__main__":
    main()
