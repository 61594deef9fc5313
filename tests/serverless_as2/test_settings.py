import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("DJANGO_SECRET_KEY", "SAS2_KEY_ENCRYPTION_KEY")
# The fresh process keeps everything in its data folder, its SQLite database included, even
# when the test run itself uses PostgreSQL (scripts/run-tests).
NOT_INHERITED = (*SECRETS, "DATABASE_URL")


def app_env(data_dir: Path, **variables: str) -> dict[str, str]:
    """The environment of a fresh app process: real settings, this data folder, no secrets."""
    env = {name: value for name, value in os.environ.items() if name not in NOT_INHERITED}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "serverless_as2.settings",
        "SAS2_DATA_DIR": str(data_dir),
        **variables,
    }


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    env = app_env(
        tmp_path,
        SAS2_PRODUCTION="1",
        DJANGO_SECRET_KEY="k" * 20 + "a-long-random-production-secret-key-value-0123456789",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_first_run_generates_its_secrets_into_the_data_folder(tmp_path):
    env = app_env(tmp_path)
    subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, check=True)
    for name in ("secret_key", "key_encryption_key"):
        secret = tmp_path / name
        assert secret.stat().st_mode & 0o077 == 0, f"{name} must be readable by its owner only"
        assert len(secret.read_text()) >= 40


def test_processes_starting_together_make_and_read_one_secret(tmp_path):
    env = app_env(tmp_path)
    read = "import serverless_as2.settings as s; print(s.SECRET_KEY, s.KEY_ENCRYPTION_KEY)"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", read], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(8)
    ]
    outputs = {process.communicate(timeout=60)[0] for process in processes}
    assert len(outputs) == 1 and len(outputs.pop().split()) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key_encryption_key", "secret_key"]


def test_pages_carry_a_strict_csp_and_security_headers(client_a):
    response = client_a.get("/instances/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_admin_is_for_staff_only(client_a):
    response = client_a.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_admin_lists_every_model_with_its_tenant(admin_client):
    from django.contrib import admin

    for model, model_admin in admin.site._registry.items():
        if hasattr(model, "tenant") and model._meta.app_label != "auth":
            assert "tenant" in model_admin.list_display, model
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert admin_client.get(url).status_code == 200, url


def test_on_lambda_the_secrets_must_come_from_the_environment(tmp_path):
    env = app_env(
        tmp_path,
        AWS_LAMBDA_FUNCTION_NAME="serverless-as2-production",
        DJANGO_SECRET_KEY="a-long-random-production-secret-key-value-0123456789",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SAS2_KEY_ENCRYPTION_KEY must be set in the function's environment" in result.stderr
    assert list(tmp_path.iterdir()) == [], "no key may be made up on Lambda's passing disk"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


STORE_A_FILE = """
import django
django.setup()
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
print(default_storage.save("private/tenant/partner/me/cert/me-partner.cer", ContentFile(b"x")))
"""


def test_data_folder_database_and_stored_files_are_the_owners_alone(tmp_path):
    data = tmp_path / "data"
    env = app_env(data)
    old_umask = os.umask(0o022)  # the usual umask, which leaves new files world-readable
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        stored = subprocess.run(
            [sys.executable, "-c", STORE_A_FILE],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    finally:
        os.umask(old_umask)
    assert mode_of(data) == 0o700
    for name in ("serverless_as2.sqlite3", "secret_key", "key_encryption_key"):
        assert mode_of(data / name) == 0o600, name
    assert (data / "serverless_as2.sqlite3").stat().st_size > 0, "migrate wrote the database"
    path = data / "files" / stored
    assert mode_of(path) == 0o600
    folder = path.parent
    while folder != data:
        assert mode_of(folder) == 0o700, folder
        folder = folder.parent


def test_an_older_world_readable_data_folder_and_database_are_tightened(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    database = data / "serverless_as2.sqlite3"
    database.touch(mode=0o644)
    data.chmod(0o755)
    database.chmod(0o644)
    subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=app_env(data), check=True)
    assert mode_of(data) == 0o700
    assert mode_of(database) == 0o600


def self_base_url(tmp_path: Path, **variables: str) -> str:
    """SELF_BASE_URL as a fresh process reads it from these variables (and no inherited URL)."""
    unset = {"SAS2_SELF_URL": "", "SAS2_PUBLIC_BASE_URL": "", "SAS2_BIND": ""}
    env = app_env(tmp_path, **{**unset, **variables})
    read = "import serverless_as2.settings as s; print(s.SELF_BASE_URL)"
    result = subprocess.run(
        [sys.executable, "-c", read], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_this_servers_own_url_follows_where_make_run_listens(tmp_path):
    """The demo's loopback partnership and our async MDN URL must reach the port gunicorn binds
    (scripts/serve reads SAS2_BIND), not a fixed :8000."""
    assert self_base_url(tmp_path) == "http://127.0.0.1:8000"
    assert self_base_url(tmp_path, SAS2_BIND="127.0.0.1:8765") == "http://127.0.0.1:8765"
    assert self_base_url(tmp_path, SAS2_BIND="0.0.0.0:9000") == "http://127.0.0.1:9000"
    assert self_base_url(tmp_path, SAS2_BIND="[::]:8080") == "http://[::1]:8080"
    assert self_base_url(tmp_path, SAS2_BIND="localhost") == "http://localhost:8000"
    assert self_base_url(tmp_path, SAS2_BIND="unix:/run/sas2.sock") == "http://127.0.0.1:8000"
    explicit = {"SAS2_BIND": "0.0.0.0:9000", "SAS2_SELF_URL": "https://as2.example.com/"}
    assert self_base_url(tmp_path, **explicit) == "https://as2.example.com"


def test_the_demo_login_and_loopback_partnership_use_the_bound_port(tmp_path):
    import sqlite3

    env = app_env(tmp_path, SAS2_SELF_URL="", SAS2_PUBLIC_BASE_URL="", SAS2_BIND="0.0.0.0:8765")
    for command in (["migrate", "--noinput"], ["bootstrap_demo"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
    assert "Log in at http://127.0.0.1:8765/ with" in result.stdout
    assert ":8000" not in result.stdout
    with sqlite3.connect(next(tmp_path.glob("*.sqlite3"))) as database:
        urls = [row[0] for row in database.execute("SELECT as2_url FROM partnerships_partnership")]
    assert urls and all(url.startswith("http://127.0.0.1:8765/as2/") for url in urls)
