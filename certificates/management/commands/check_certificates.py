"""manage.py check_certificates: list expiring certificates and e-mail each tenant's users."""

from django.core.management.base import BaseCommand

from certificates.selectors import expiring_certificates
from certificates.services import expiry_warnings_send


class Command(BaseCommand):
    help = (
        "List our and partners' certificates that expire within 30 days or have expired, and "
        "e-mail each tenant's users once per warning level (30, 7, 1 days, expired). Run daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-email", action="store_true", help="Only list; send no e-mail, record nothing."
        )

    def handle(self, *args, no_email: bool = False, **options):
        expiring = expiring_certificates() if no_email else expiry_warnings_send()
        if not expiring:
            self.stdout.write("No certificate expires within 30 days.")
            return
        for item in expiring:
            partnership = item.certificate.partnership
            self.stdout.write(
                f"{item.certificate.tenant.name}\t{partnership.instance.my_as2_id}\t"
                f"{partnership.partner.partner_as2_id}\t{item.whose}\t"
                f"{item.expiry.not_after:%Y-%m-%d %H:%M} UTC\t{item.expiry.text}"
            )
        self.stdout.write(f"{len(expiring)} certificate(s) expire within 30 days or have expired.")
