"""manage.py rotate_key_encryption_key: re-seal every stored secret with the current key."""

from django.core.management.base import BaseCommand, CommandError

from serverless_as2.encryption import SecretSealFailed, SecretUnreadable, secrets_reseal


class Command(BaseCommand):
    help = (
        "Open every stored secret (keystore passwords and the other *_sealed columns) with the "
        "keys that can open it, and seal it again with the current key: SAS2_KMS_KEY_ID when set, "
        "else the first key of SAS2_KEY_ENCRYPTION_KEY. Give old and new local keys as "
        "SAS2_KEY_ENCRYPTION_KEY=new,old; an old KMS key only needs to stay enabled. All or "
        "nothing: one secret that does not open changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Open every secret and say which key sealed it; change nothing.",
        )

    def handle(self, *args, dry_run: bool = False, **options):
        try:
            report = secrets_reseal(dry_run=dry_run)
        except (SecretUnreadable, SecretSealFailed) as error:
            raise CommandError(str(error)) from None
        total = sum(report.sealed_with.values())
        for key, count in sorted(report.sealed_with.items()):
            self.stdout.write(f"{count} secret(s) sealed with {key}")
        if dry_run:
            self.stdout.write(
                f"Dry run: {total} secret(s) open and would be sealed with {report.sealing_key}; "
                "nothing was changed."
            )
        else:
            self.stdout.write(f"{report.resealed} secret(s) sealed with {report.sealing_key}.")
