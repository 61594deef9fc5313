"""Run the due messaging work now: sends and retries, async MDNs out, expired MDN waits."""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.backend import DatabaseBackend

from tracklog.tasks import due_work_run

PRUNE_EVERY_SECONDS = 3600


class Command(BaseCommand):
    help = (
        "Do the messaging work that is due (sends, retries, async MDNs, expired MDN waits). "
        "The worker's tasks normally do it; this picks up whatever a lost task left behind. "
        "Run it from a scheduler every minute, or with --every to loop. It also deletes the "
        "task worker's finished results older than --keep-days (at most once an hour)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            help="Repeat every this many seconds until stopped (0: run once).",
        )
        parser.add_argument(
            "--keep-days",
            type=int,
            default=14,
            help="Keep finished task results this many days (the messages keep their history).",
        )

    def handle(self, *args, every: float = 0, keep_days: int = 14, **options):
        pruned_at = 0.0
        while True:
            handled = due_work_run()
            if handled or not every:
                self.stdout.write(f"Handled {handled} due message(s).")
            if time.monotonic() - pruned_at >= PRUNE_EVERY_SECONDS or not every:
                _task_results_prune(keep_days)
                pruned_at = time.monotonic()
            if not every:
                return
            time.sleep(every)


def _task_results_prune(keep_days: int) -> None:
    # Only the database backend keeps results; on Lambda (LambdaBackend) there are none to prune.
    if isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        call_command("prune_db_task_results", min_age_days=keep_days, verbosity=0)
