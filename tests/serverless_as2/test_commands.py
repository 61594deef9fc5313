import io
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from serverless_as2.models import Tenant, User
from tests.serverless_as2.test_settings import ROOT, app_env


def logs_in(client, email: str, password: str) -> bool:
    """Whether the login page accepts these credentials (through the rate limit, as users do)."""
    response = client.post("/accounts/login/", {"username": email, "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session


def create_tenant(name: str, email: str, password: str) -> None:
    """create_tenant with the password piped on standard input (--password-stdin)."""
    stdin = io.StringIO(password + "\n")
    call_command("create_tenant", name=name, email=email, password_stdin=True, stdin=stdin)


def test_create_tenant_makes_a_tenant_and_a_user_who_can_log_in(db, client):
    create_tenant("Acme", "edi@acme.example", "pw-long-enough")
    user = User.objects.get(email="edi@acme.example")
    assert user.tenant == Tenant.objects.get(name="Acme")
    assert logs_in(client, "edi@acme.example", "pw-long-enough")


def test_create_tenant_refuses_a_duplicate_name(db):
    create_tenant("Acme", "a@acme.example", "pw-long-enough")
    with pytest.raises(CommandError, match="already exists"):
        create_tenant("Acme", "b@acme.example", "pw-long-enough")


def test_create_tenant_refuses_a_bad_email(db):
    with pytest.raises(CommandError, match="not a valid e-mail"):
        create_tenant("Acme", "not-an-email", "pw-long-enough")


@pytest.mark.parametrize(
    ("password", "sentence"),
    [
        ("pw", "This password is too short. It must contain at least 12 characters."),
        ("password1234", "This password is too common."),
        ("123456789012345", "This password is entirely numeric."),
        ("edi@acme.example", "The password is too similar to the email."),
    ],
)
def test_create_tenant_refuses_a_weak_password_with_a_sentence(db, password, sentence):
    with pytest.raises(CommandError, match=sentence):
        create_tenant("Acme", "edi@acme.example", password)
    assert Tenant.objects.count() == 0 and User.objects.count() == 0


def test_create_tenant_refuses_a_password_on_the_command_line(db):
    with pytest.raises(CommandError, match="leaks through ps and shell history"):
        call_command(
            "create_tenant", name="Acme", email="a@acme.example", password="pw-long-enough"
        )
    assert Tenant.objects.count() == 0


def test_create_tenant_without_a_terminal_asks_for_password_stdin(db):
    with pytest.raises(CommandError, match="pipe it with --password-stdin"):
        call_command("create_tenant", name="Acme", email="a@acme.example", stdin=io.StringIO())
    with pytest.raises(CommandError, match="No password on standard input"):
        create_tenant("Acme", "a@acme.example", "")


# Runs in its own single-threaded process (forking the test process, which has threads, could
# deadlock): starts the command on a new terminal, answers each prompt, prints what it showed.
TYPE_AT_PROMPTS = """
import os, pty, select, sys

def read_until(terminal, marker):
    output = b""
    while marker not in output:
        if not select.select([terminal], [], [], 60)[0]:
            sys.exit(f"no {marker!r} after 60 s: {output!r}")
        try:
            chunk = os.read(terminal, 1024)
        except OSError:  # the command exited and closed its terminal
            chunk = b""
        if not chunk:
            return output
        output += chunk
    return output

answer, *command = sys.argv[1:]
pid, terminal = pty.fork()  # getpass reads the controlling terminal, as for a person
if pid == 0:
    os.execv(command[0], command)
shown = b""
for prompt in (b"Password: ", b"(again): "):
    shown += read_until(terminal, prompt)
    os.write(terminal, answer.encode() + b"\\n")
shown += read_until(terminal, b"\\0")  # to the end
sys.stdout.buffer.write(shown)
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


def test_create_tenant_prompts_twice_on_a_terminal(tmp_path):
    env = app_env(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    command = [sys.executable, "manage.py", "create_tenant", "--name", "Acme", "--email", "a@x.ex"]
    typed = "typed-at-the-prompt"
    result = subprocess.run(
        [sys.executable, "-c", TYPE_AT_PROMPTS, typed, *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert b"Created tenant Acme" in result.stdout
    assert typed.encode() not in result.stdout, "the password must not be echoed"


def test_bootstrap_demo_creates_a_login_once_and_prints_it(db, capsys, client):
    call_command("bootstrap_demo")
    out = capsys.readouterr().out
    password = out.split("password:")[1].split()[0]
    assert logs_in(client, "demo@example.com", password)
    call_command("bootstrap_demo")
    assert "Tenants exist already" in capsys.readouterr().out
    assert Tenant.objects.count() == 1
