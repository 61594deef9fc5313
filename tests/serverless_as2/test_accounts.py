"""Log-in by e-mail address, whatever its case."""

from serverless_as2.models import User
from serverless_as2.services import tenant_create


def test_login_does_not_depend_on_the_case_of_the_email(db, client):
    tenant_create(name="Acme", email="Edi@Acme.Example", password="a-long-password")
    assert User.objects.get().email == "edi@acme.example"
    response = client.post(
        "/accounts/login/", {"username": "EDI@acme.example", "password": "a-long-password"}
    )
    assert response.status_code == 302
    assert client.get("/instances/").context["user"].email == "edi@acme.example"


def test_admin_stores_a_new_users_email_in_lower_case_and_refuses_a_case_twin(admin_client):
    tenant = tenant_create(name="Acme", email="edi@acme.example", password="a-long-password")
    form = {"tenant": tenant.pk, "password1": "a-long-password-2", "password2": "a-long-password-2"}
    response = admin_client.post(
        "/admin/serverless_as2/user/add/", {**form, "email": "Ops@Acme.Example"}
    )
    assert response.status_code == 302
    assert User.objects.filter(email="ops@acme.example").exists()

    response = admin_client.post(
        "/admin/serverless_as2/user/add/", {**form, "email": "EDI@acme.example"}
    )
    assert response.status_code == 200
    assert "User with this Email already exists." in response.content.decode()
    assert User.objects.filter(email__iexact="edi@acme.example").count() == 1
