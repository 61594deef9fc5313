"""Background work on Django's tasks framework (database backend, `manage.py db_worker`).

A task is only a nudge: the message row (status + next_attempt_at) says what is due, so a lost
or repeated task neither loses nor repeats work. `due_work_run` finds everything due and does it
inline; `manage.py as2_run_due` runs it (every minute beside the worker, or from a scheduler).
"""

import logging
from datetime import timedelta

from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from tracklog.models import Direction, MdnMode, Message, Status

logger = logging.getLogger(__name__)


@task
def message_deliver_task(message_pk: int) -> None:
    """One delivery attempt of an outbound message, if it is still due."""
    from tracklog.services import message_deliver  # noqa: PLC0415 (services enqueue us)

    message = Message.objects.filter(pk=message_pk, direction=Direction.OUTBOUND).first()
    if message is not None:
        message_deliver(message=message)


@task
def mdn_deliver_task(message_pk: int) -> None:
    """POST the async MDN of an inbound message, if it is still due."""
    from tracklog.services import mdn_deliver  # noqa: PLC0415

    message = Message.objects.filter(pk=message_pk, direction=Direction.INBOUND).first()
    if message is not None:
        mdn_deliver(message=message)


@task
def due_work_task() -> int:
    """The sweep as a task (for schedulers that enqueue rather than run commands)."""
    return due_work_run()


def _enqueue(the_task, message_pk: int, delay: float) -> None:
    try:
        if delay > 0:
            if not the_task.get_backend().supports_defer:
                return  # e.g. Lambda's: the sweep (as2_run_due) does the work when it is due
            the_task = the_task.using(run_after=timezone.now() + timedelta(seconds=delay))
        the_task.enqueue(message_pk)
    except Exception:  # the sweep picks the message up: a lost nudge loses nothing
        logger.exception("Could not enqueue %s for message %s", the_task.name, message_pk)


def message_deliver_enqueue(*, message_pk: int, delay: float = 0) -> None:
    """Ask the worker to attempt delivery (now, or after `delay` seconds)."""
    _enqueue(message_deliver_task, message_pk, delay)


def mdn_deliver_enqueue(*, message_pk: int, delay: float = 0) -> None:
    """Ask the worker to POST an inbound message's async MDN."""
    _enqueue(mdn_deliver_task, message_pk, delay)


def due_work_run(*, now=None, limit: int = 500) -> int:
    """Do everything due now, inline: sends and retries, async MDNs out, expired MDN waits.

    Returns how many messages were handled. Safe to run in several processes at once (every
    attempt claims its row first).
    """
    from tracklog.services import (  # noqa: PLC0415
        async_mdn_expire,
        mdn_deliver,
        message_deliver,
    )

    now = now or timezone.now()
    handled = 0
    outbound = Message.objects.filter(
        direction=Direction.OUTBOUND,
        status__in=(Status.WAITING_TO_ENCRYPT, Status.ORIGINAL_SAVED, Status.ENCRYPTED),
        next_attempt_at__lte=now,
    ).order_by("next_attempt_at")[:limit]
    for message in outbound:
        message_deliver(message=message)
        handled += 1
    mdns_out = (
        Message.objects.filter(
            direction=Direction.INBOUND,
            mdn_mode=MdnMode.ASYNC,
            next_attempt_at__lte=now,
        )
        .exclude(mdn_key="")
        .order_by("next_attempt_at")[:limit]
    )
    for message in mdns_out:
        mdn_deliver(message=message)
        handled += 1
    waiting = Message.objects.filter(
        Q(status=Status.SENT) | Q(status=Status.MDN_RECEIVED),
        direction=Direction.OUTBOUND,
        mdn_mode=MdnMode.ASYNC,
        next_attempt_at__lte=now,
    )[:limit]
    for message in waiting:
        async_mdn_expire(message=message)
        handled += 1
    return handled
