"""manage.py create_tenant --name NAME --email EMAIL --password PASSWORD"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from serverless_as2.models import Tenant, User
from serverless_as2.services import tenant_create


class Command(BaseCommand):
    help = "Create a tenant and its first user (who logs in with e-mail + password)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)

    def handle(self, *args, name: str, email: str, password: str, **options):
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{email!r} is not a valid e-mail address.") from None
        if Tenant.objects.filter(name=name).exists():
            raise CommandError(f"A tenant named {name!r} already exists.")
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"A user with e-mail {email} already exists.")
        tenant = tenant_create(name=name, email=email, password=password)
        self.stdout.write(f"Created tenant {tenant.name} ({tenant.id}) with user {email}.")
