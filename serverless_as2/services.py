"""Services that create tenants and their users."""

from django.db import transaction

from serverless_as2.models import Tenant, User


@transaction.atomic
def tenant_create(*, name: str, email: str, password: str) -> Tenant:
    """Create a tenant and its first user, who logs in with email + password."""
    tenant = Tenant.objects.create(name=name)
    User.objects.create_user(email, password, tenant=tenant)
    return tenant
