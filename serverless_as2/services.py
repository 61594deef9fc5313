"""Services that create tenants and their users."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from serverless_as2.models import Tenant, User


def tenant_validate(*, name: str, email: str, password: str) -> None:
    """Refuse a taken name or e-mail, a bad address or a weak password, with sentences."""
    errors: dict[str, list[str]] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [f"{email!r} is not a valid e-mail address."]
    if Tenant.objects.filter(name=name).exists():
        errors["name"] = [f"A tenant named {name!r} already exists."]
    if User.objects.filter(email__iexact=email).exists():
        errors["email"] = [f"A user with e-mail {email} already exists."]
    try:
        # The user-similarity check compares the password with the user's e-mail address.
        validate_password(password, user=User(email=email))
    except ValidationError as weak:
        errors["password"] = list(weak.messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def tenant_create(*, name: str, email: str, password: str) -> Tenant:
    """Create a tenant and its first user, who logs in with email + password."""
    tenant_validate(name=name, email=email, password=password)
    tenant = Tenant.objects.create(name=name)
    User.objects.create_user(email, password, tenant=tenant)
    return tenant
