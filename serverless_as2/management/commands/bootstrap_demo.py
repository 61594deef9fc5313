"""On first run, create a demo tenant and print its login (used by `make run`)."""

import secrets

from django.core.management.base import BaseCommand

from serverless_as2.models import Tenant
from serverless_as2.services import tenant_create

DEMO_EMAIL = "demo@example.com"


class Command(BaseCommand):
    help = "Create a demo tenant and user when there is no tenant yet, and print the login."

    def handle(self, *args, **options):
        if Tenant.objects.exists():
            self.stdout.write(
                f"Tenants exist already; log in with your account (demo: {DEMO_EMAIL}, "
                "password printed on first run; reset it with `manage.py changepassword`)."
            )
            return
        password = secrets.token_urlsafe(12)
        tenant_create(name="Demo", email=DEMO_EMAIL, password=password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created demo tenant. Log in at http://127.0.0.1:8000/ with\n"
                f"  e-mail:   {DEMO_EMAIL}\n  password: {password}"
            )
        )
