"""Send files to a partner through a partnership: manage.py send_as2 --from ID --to ID FILE…"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from partnerships.models import Partnership
from tracklog.services import SendRefused, message_deliver, message_queue


class Command(BaseCommand):
    help = (
        "Queue files for sending from one of our AS2 IDs to a partner's AS2 ID; the worker "
        "delivers them (or --now delivers here and prints the result)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="sender", required=True, help="our AS2 ID (my_as2_id)")
        parser.add_argument("--to", dest="receiver", required=True, help="the partner's AS2 ID")
        parser.add_argument("--tenant", help="tenant name, when several tenants use these IDs")
        parser.add_argument("--now", action="store_true", help="deliver now instead of queuing")
        parser.add_argument("files", nargs="+", help="files to send, one message each")

    def handle(
        self, *args, sender: str, receiver: str, tenant: str | None, now: bool, files, **options
    ):
        rows = Partnership.objects.select_related("instance", "partner", "tenant").filter(
            instance__my_as2_id=sender, partner__partner_as2_id=receiver
        )
        if tenant:
            rows = rows.filter(tenant__name=tenant)
        found = list(rows[:2])
        if not found:
            raise CommandError(f"No partnership from {sender!r} to {receiver!r}.")
        if len(found) > 1:
            raise CommandError(
                f"Several tenants have a partnership from {sender!r} to {receiver!r}: "
                "name one with --tenant."
            )
        partnership = found[0]
        paths = [Path(name) for name in files]
        for path in paths:
            if not path.is_file():
                raise CommandError(f"{path} is not a readable file.")
        for path in paths:
            try:
                message = message_queue(
                    partnership=partnership, payload=path.read_bytes(), filename=path.name
                )
            except SendRefused as error:
                raise CommandError(str(error)) from None
            if now:
                message = message_deliver(message=message)
            self.stdout.write(
                f"{path.name}: {message.message_id} status {message.status} "
                f"({message.get_status_display()}){': ' + message.error if message.error else ''}"
            )
