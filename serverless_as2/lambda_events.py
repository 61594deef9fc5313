"""What Zappa's scheduled events run on Lambda (the `events` of zappa_settings.json).

Zappa calls these as `function(event, context)` after its handler has set Django up. Each one runs
a management command, so the same work runs the same way on one machine (cron or the worker).
"""

import logging
from typing import Any

import django
from django.apps import apps
from django.core.management import call_command, get_commands
from django.db import close_old_connections

logger = logging.getLogger(__name__)


def run_due_work(event: Any = None, context: Any = None) -> dict[str, object]:
    """Run the background work that is due (sends, retries, async MDNs): every minute."""
    from django.conf import settings

    return _run_command(settings.DUE_WORK_COMMAND)


def check_certificates(event: Any = None, context: Any = None) -> dict[str, object]:
    """E-mail the expiry warnings of certificates (30, 7, 1 days ahead, expired): daily."""
    return _run_command("check_certificates")


def _run_command(name: str) -> dict[str, object]:
    if not apps.ready:  # called outside Zappa's handler, e.g. from a shell
        django.setup()
    if name not in get_commands():
        # The command belongs to a part that may not be deployed yet: say so, don't fail the
        # event (a failed scheduled event is retried by Lambda for nothing).
        logger.warning("Scheduled work skipped: there is no management command %r.", name)
        return {"command": name, "ran": False}
    # A scheduled event is not a request: close stale database connections as a request would.
    close_old_connections()
    try:
        call_command(name)
    finally:
        close_old_connections()
    logger.info("Scheduled work done: %s.", name)
    return {"command": name, "ran": True}
