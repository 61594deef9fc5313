"""manage.py create_tenant --name NAME --email EMAIL [--password-stdin]

The password is typed at a prompt (twice), or read from the first line of standard input
with --password-stdin; never from the command line, where ps and shell history keep it.
"""

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from serverless_as2.services import tenant_create


class Command(BaseCommand):
    help = "Create a tenant and its first user (who logs in with e-mail + password)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of standard input instead of a prompt.",
        )
        # Gone: kept only to say why and what to use instead.
        parser.add_argument("--password", help="(removed: use the prompt or --password-stdin)")

    def handle(self, *args, name: str, email: str, password_stdin: bool, **options):
        if options["password"] is not None:
            raise CommandError(
                "--password is no longer accepted: a password on the command line leaks through "
                "ps and shell history. Type it at the prompt, or pipe it with --password-stdin."
            )
        stdin = options.get("stdin", sys.stdin)
        password = self._read_password(stdin) if password_stdin else self._prompt(stdin)
        try:
            tenant = tenant_create(name=name, email=email, password=password)
        except ValidationError as refusal:
            raise CommandError(" ".join(refusal.messages)) from None
        self.stdout.write(f"Created tenant {tenant.name} ({tenant.id}) with user {email}.")

    def _read_password(self, stdin) -> str:
        password = stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("No password on standard input: pipe one line with it.")
        return password

    def _prompt(self, stdin) -> str:
        if not stdin.isatty():
            raise CommandError("No terminal to ask the password on: pipe it with --password-stdin.")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ; nothing was created.")
        return password
