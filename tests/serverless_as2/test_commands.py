import pytest
from django.core.management import CommandError, call_command

from serverless_as2.models import Tenant, User


def test_create_tenant_makes_a_tenant_and_a_user_who_can_log_in(db, client):
    call_command("create_tenant", name="Acme", email="edi@acme.example", password="pw-long-enough")
    user = User.objects.get(email="edi@acme.example")
    assert user.tenant == Tenant.objects.get(name="Acme")
    assert client.login(username="edi@acme.example", password="pw-long-enough")


def test_create_tenant_refuses_a_duplicate_name(db):
    call_command("create_tenant", name="Acme", email="a@acme.example", password="pw-long-enough")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_tenant", name="Acme", email="b@acme.example", password="pw")


def test_create_tenant_refuses_a_bad_email(db):
    with pytest.raises(CommandError, match="not a valid e-mail"):
        call_command("create_tenant", name="Acme", email="not-an-email", password="pw")


def test_bootstrap_demo_creates_a_login_once_and_prints_it(db, capsys, client):
    call_command("bootstrap_demo")
    out = capsys.readouterr().out
    password = out.split("password:")[1].split()[0]
    assert client.login(username="demo@example.com", password=password)
    call_command("bootstrap_demo")
    assert "Tenants exist already" in capsys.readouterr().out
    assert Tenant.objects.count() == 1
