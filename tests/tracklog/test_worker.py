"""Background work: the database task backend and its worker deliver; the row is the truth, so a
lost task, a repeated task or a crashed attempt neither loses nor repeats a send or an async
MDN."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

import as2
from tests.tracklog.conftest import beta_mdn, identity, partnership_with_certificate
from tests.tracklog.test_receive import alpha_message, post, url_of
from tracklog.models import Message, Status
from tracklog.services import mdn_deliver, message_deliver, message_queue
from tracklog.tasks import due_work_run, message_deliver_task


@pytest.fixture
def alpha(db, tenant_a, messaging_settings, partner_server):
    partner = partner_server(lambda headers, body: beta_mdn(headers, body))
    partnership = partnership_with_certificate(tenant_a, "alpha", "beta", partner.url)
    partnership.test_partner = partner
    return partnership


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_queueing_enqueues_a_task_that_the_db_worker_runs(transactional_db, alpha):
    # Transactional: the task is enqueued on commit, and the worker closes its connection.
    message = message_queue(partnership=alpha, payload=b"ISA~", filename="a.edi")
    (task,) = DBTaskResult.objects.all()
    assert task.args_kwargs["args"] == [message.pk]
    run_worker()
    message.refresh_from_db()
    assert message.status == Status.MDN_SAVED, message.error
    assert len(alpha.test_partner.requests) == 1


def test_a_repeated_task_does_not_send_twice(alpha):
    message = message_queue(partnership=alpha, payload=b"ISA~", filename="a.edi")
    message_deliver_task.call(message.pk)
    message_deliver_task.call(message.pk)  # e.g. the sweep's nudge and the original task
    due_work_run()
    assert len(alpha.test_partner.requests) == 1
    assert Message.objects.get(pk=message.pk).attempts == 1


def test_a_lost_task_is_picked_up_by_the_sweep(alpha):
    message = message_queue(partnership=alpha, payload=b"ISA~", filename="a.edi")
    DBTaskResult.objects.all().delete()  # the worker's queue lost it (or was never reached)
    assert due_work_run() == 1
    message.refresh_from_db()
    assert message.status == Status.MDN_SAVED


def test_an_attempt_that_crashed_is_due_again_after_its_lease_not_before(alpha):
    message = message_queue(partnership=alpha, payload=b"ISA~", filename="a.edi")
    # A worker claimed the message and died before recording anything.
    from tracklog.services.send import _claim

    assert _claim(message)
    assert due_work_run() == 0  # claimed: nobody else sends it meanwhile
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert due_work_run() == 1
    message.refresh_from_db()
    assert message.status == Status.MDN_SAVED and message.attempts == 2
    assert len(alpha.test_partner.requests) == 1


def test_a_message_not_yet_due_is_left_alone(alpha, messaging_settings):
    message = message_queue(partnership=alpha, payload=b"ISA~", filename="a.edi")
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    assert message_deliver(message=message).status == Status.ORIGINAL_SAVED
    assert due_work_run() == 0
    assert alpha.test_partner.requests == []


def test_as2_run_due_command_does_the_due_work(alpha, capsys):
    message_queue(partnership=alpha, payload=b"ISA~", filename="a.edi")
    call_command("as2_run_due")
    assert "Handled 1 due message(s)." in capsys.readouterr().out
    assert len(alpha.test_partner.requests) == 1


def test_send_as2_command_queues_and_delivers(alpha, tmp_path, capsys):
    (tmp_path / "po1.edi").write_bytes(b"ISA*1~")
    (tmp_path / "po2.edi").write_bytes(b"ISA*2~")
    call_command(
        "send_as2", "--from", "alpha", "--to", "beta", "--now",
        str(tmp_path / "po1.edi"), str(tmp_path / "po2.edi"),
    )  # fmt: skip
    out = capsys.readouterr().out
    assert out.count("status 26 (MDN Saved)") == 2
    assert [body for _, body in alpha.test_partner.requests] != []


def test_as2_run_due_deletes_old_finished_task_results_only(transactional_db, alpha):
    message = message_queue(partnership=alpha, payload=b"ISA~", filename="a.edi")
    result = message_deliver_task.enqueue(message.pk)
    run_worker()
    DBTaskResult.objects.filter(pk=result.id).update(
        finished_at=timezone.now() - timedelta(days=20)
    )
    fresh = message_deliver_task.enqueue(message.pk)
    call_command("as2_run_due")
    left = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}
    assert result.id not in left and fresh.id in left


def test_an_async_mdn_that_never_comes_fails_the_message_after_the_wait(
    alpha, messaging_settings, partner_server
):
    partner = partner_server(lambda headers, body: (200, {}, b""))
    alpha.as2_url, alpha.mdn_mode = partner.url, "async"
    alpha.save()
    message = message_deliver(
        message=message_queue(partnership=alpha, payload=b"ISA~", filename="a.edi")
    )
    assert message.status == Status.SENT
    assert "Receipt-Delivery-Option" in partner.requests[0][0]
    assert due_work_run() == 0  # still waiting
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert due_work_run() == 1
    message.refresh_from_db()
    assert message.status == Status.OUTBOUND_FAILED
    assert "No asynchronous MDN arrived within 24 hours" in message.error


def test_an_async_mdn_whose_sender_crashed_is_sent_once_after_its_lease_not_before(
    client, tenant_a, tenant_b, messaging_settings, partner_server
):
    """Alpha asked for an async MDN; a worker claimed it and died before posting it."""
    partnership_with_certificate(tenant_b, "beta", "alpha", "http://127.0.0.1:9/as2/")
    partner = partner_server(lambda headers, body: (200, {}, b"thanks"))  # alpha's MDN URL
    built = alpha_message(mdn_mode="async", async_mdn_url=partner.url)
    response = post(client, url_of(tenant_b), built.headers, built.body)
    assert response.status_code == 200 and b"asynchronously" in response.content
    message = Message.objects.get(tenant=tenant_b)
    assert message.status == Status.MDN_CREATED and message.attempts == 0
    from tracklog.services.send import _mdn_claim

    assert _mdn_claim(message)  # the crashed worker's claim
    assert not _mdn_claim(message)  # a second worker with the same view of the row
    assert due_work_run() == 0  # claimed: nobody posts it meanwhile
    assert mdn_deliver(message=message).status == Status.MDN_CREATED  # nor when asked to
    assert partner.requests == []

    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert due_work_run() == 1
    assert due_work_run() == 0
    message.refresh_from_db()
    assert message.status == Status.MDN_SENT and message.attempts == 2
    assert message.next_attempt_at is None
    ((headers, body),) = partner.requests
    mdn = as2.parse_mdn(headers, body, partner_certificates=[identity("beta")[1]])
    assert mdn.original_message_id == built.message_id and mdn.mic == built.mic
