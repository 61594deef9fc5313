"""Run the due messaging work now: sends and retries, async MDNs out, expired MDN waits."""

import time

from django.core.management.base import BaseCommand

from tracklog.tasks import due_work_run


class Command(BaseCommand):
    help = (
        "Do the messaging work that is due (sends, retries, async MDNs, expired MDN waits). "
        "The worker's tasks normally do it; this picks up whatever a lost task left behind. "
        "Run it from a scheduler every minute, or with --every to loop."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            help="Repeat every this many seconds until stopped (0: run once).",
        )

    def handle(self, *args, every: float = 0, **options):
        while True:
            handled = due_work_run()
            if handled or not every:
                self.stdout.write(f"Handled {handled} due message(s).")
            if not every:
                return
            time.sleep(every)
