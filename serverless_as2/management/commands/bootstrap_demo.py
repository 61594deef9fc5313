"""On first run, create a demo tenant, print its login, and seed a loopback partnership that
shows a full send → receive → MDN cycle in the TrackLog (used by `make run`)."""

import secrets

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from serverless_as2.models import Tenant
from serverless_as2.services import tenant_create

DEMO_EMAIL = "demo@example.com"


class Command(BaseCommand):
    help = (
        "Create a demo tenant and user when there is no tenant yet, print the login, and seed "
        "two AS2 instances with a loopback partnership between them and one demo message."
    )

    def handle(self, *args, **options):
        if Tenant.objects.exists():
            self.stdout.write(
                f"Tenants exist already; log in with your account (demo: {DEMO_EMAIL}, "
                "password printed on first run; reset it with `manage.py changepassword`)."
            )
            return
        password = secrets.token_urlsafe(12)
        tenant = tenant_create(name="Demo", email=DEMO_EMAIL, password=password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created demo tenant. Log in at {settings.SELF_BASE_URL}/ with\n"
                f"  e-mail:   {DEMO_EMAIL}\n  password: {password}"
            )
        )
        # By name: the messaging app (above this one) seeds its part; nothing is imported upward.
        call_command("demo_partnerships", "--tenant", str(tenant.id), stdout=self.stdout)
