"""Sending: queue a payload (original stored, 22), deliver it (23 → 24 → 25 → 26, or 29).

State lives in the message row: `status` and `next_attempt_at` say what is due; a task is only a
nudge. An attempt first claims the row (a conditional UPDATE that moves next_attempt_at past the
attempt's longest duration), so two workers never send the same message at once, and a worker
that dies mid-attempt leaves a row that becomes due again (same Message-ID: the partner sees a
duplicate and answers the MDN it sent the first time).
"""

import logging
from datetime import timedelta
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from certificates.selectors import NoCertificate, PartnershipKeys, partnership_keys
from partnerships.limits import LAMBDA_BODY_BYTES, serverless
from partnerships.models import Encryption, Partnership, Signing
from partnerships.subjects import subject_render
from tracklog import engine
from tracklog.models import Direction, MdnMode, Message, MicCheck, Status
from tracklog.services.common import Steps, file_key, payload_key
from tracklog.services.files import (
    StorageFailed,
    file_read,
    file_write,
    http_message_bytes,
    http_message_split,
)
from tracklog.transport import PartnerAnswer, TransportError, partner_post

logger = logging.getLogger(__name__)

# Statuses from which a delivery attempt may start (22 queued, 23 built: a retry is due).
SENDABLE = (Status.WAITING_TO_ENCRYPT, Status.ORIGINAL_SAVED, Status.ENCRYPTED)


class SendRefused(Exception):
    """A partnership that cannot send now (str: a sentence saying what to fix)."""


def message_queue(
    *,
    partnership: Partnership,
    payload: bytes,
    filename: str,
    content_type: str | None = None,
    subject: str | None = None,
) -> Message:
    """Store the original (status 22) and ask the worker to deliver it."""
    partnership = Partnership.objects.select_related("instance", "partner", "tenant").get(
        pk=partnership.pk
    )
    _check_sendable(partnership)
    if serverless() and len(payload) > LAMBDA_BODY_BYTES:
        raise SendRefused(
            f"The file is {len(payload):,} bytes; on Lambda a message can be at most "
            f"{LAMBDA_BODY_BYTES:,} bytes (a synchronous request carries about 6 MB): send it "
            "from the one-machine deployment, or split it."
        )
    if len(payload) > settings.MAX_MESSAGE_BYTES:
        raise SendRefused(
            f"The file is {len(payload):,} bytes; messages are limited to "
            f"{settings.MAX_MESSAGE_BYTES:,} bytes (SAS2_MAX_MESSAGE_BYTES)."
        )
    message_id = engine.new_message_id()
    sender, receiver = partnership.instance.my_as2_id, partnership.partner.partner_as2_id
    filename = filename.replace("\\", "/").rsplit("/", 1)[-1].strip() or "payload.edi"
    subject = subject_render(
        subject if subject is not None else partnership.subject,
        filename=filename,
        message_id=message_id,
        sender=sender,
        receiver=receiver,
        date=timezone.now().date().isoformat(),
    )
    message = Message(
        tenant=partnership.tenant,
        partnership=partnership,
        direction=Direction.OUTBOUND,
        message_id=message_id,
        sender=sender,
        receiver=receiver,
        status=Status.ORIGINAL_SAVED,
        subject=subject[:998],
        filename=filename[:255],
        content_type=(content_type or partnership.content_type)[:255],
        size=len(payload),
        mdn_mode=partnership.mdn_mode,
        next_attempt_at=timezone.now(),
    )
    steps = Steps()
    steps.add(Status.WAITING_TO_ENCRYPT, f"Queued {filename} ({len(payload):,} bytes).")
    try:
        message.payload_key = file_write(payload_key(message, filename), payload)
    except StorageFailed as error:
        raise SendRefused(f"The file could not be stored, so nothing was sent: {error}") from None
    steps.add(Status.ORIGINAL_SAVED, "Original file stored.")
    with transaction.atomic():
        message.save()
        steps.save(message)
        transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def _check_sendable(partnership: Partnership) -> PartnershipKeys:
    if not partnership.instance.enabled:
        raise SendRefused(
            f"The AS2 instance {partnership.instance.my_as2_id} is disabled: enable it to send."
        )
    if not partnership.partner.enabled:
        raise SendRefused(
            f"The partner {partnership.partner.partner_as2_id} is disabled: enable it to send."
        )
    try:
        return partnership_keys(partnership=partnership)
    except NoCertificate:
        raise SendRefused(
            f"The partnership {partnership} has no certificate yet: create or import one on "
            "its Certificate page before sending."
        ) from None


def _enqueue(message_pk: int) -> None:
    from tracklog.tasks import message_deliver_enqueue  # noqa: PLC0415 (tasks import services)

    message_deliver_enqueue(message_pk=message_pk)


def _lease() -> timedelta:
    """How long a claimed attempt may take before the row is due again (a crashed worker)."""
    seconds = settings.SEND_CONNECT_TIMEOUT_SECONDS + settings.SEND_TIMEOUT_SECONDS + 60
    return timedelta(seconds=seconds)


def _claim(message: Message) -> bool:
    """Take the message for one attempt; False when it is not due or another worker has it."""
    now = timezone.now()
    claimed = Message.objects.filter(
        pk=message.pk,
        direction=Direction.OUTBOUND,
        status__in=SENDABLE,
        next_attempt_at__lte=now,
        attempts=message.attempts,
    ).update(next_attempt_at=now + _lease(), attempts=message.attempts + 1, updated=now)
    return claimed == 1


def message_deliver(*, message: Message) -> Message:
    """One delivery attempt of an outbound message now; the message with its new status."""
    message = Message.objects.select_related(
        "partnership__instance", "partnership__partner", "tenant"
    ).get(pk=message.pk)
    if not _claim(message):
        message.refresh_from_db()
        return message
    message.refresh_from_db(fields=["attempts", "next_attempt_at"])
    steps = Steps()
    try:
        _attempt(message, steps)
    except Exception as error:  # a bug of ours must not leave the row claimed without a word
        logger.exception("Delivery of %s failed unexpectedly", message.message_id)
        _attempt_failed(message, steps, f"Unexpected error while sending: {error}", retry=True)
    with transaction.atomic():
        message.save()
        steps.save(message)
    return message


def _attempt(message: Message, steps: Steps) -> None:
    partnership = message.partnership
    if partnership is None:
        _attempt_failed(message, steps, "The partnership was deleted.", retry=False)
        return
    try:
        keys = _check_sendable(partnership)
    except SendRefused as error:
        _attempt_failed(message, steps, str(error), retry=False)
        return
    payload = file_read(message.payload_key)
    built = engine.message_build(
        partnership=partnership,
        keys=keys,
        payload=payload,
        filename=message.filename,
        content_type=message.content_type,
        subject=message.subject,
        message_id=message.message_id,
        async_mdn_url=_async_mdn_url(message),
    )
    del payload
    message.mic = built.mic
    message.headers = built.headers
    message.raw_key = file_write(
        file_key(message, "message.raw"), http_message_bytes(built.headers), built.body
    )
    message.status = Status.ENCRYPTED
    message.details = {**message.details, **_security(partnership, keys)}
    warning = _async_mdn_url_warning(message, partnership)
    if warning and warning not in message.details.get("warnings", []):
        message.details["warnings"] = [*message.details.get("warnings", []), warning]
    steps.add(Status.ENCRYPTED, _built_text(partnership, keys, len(built.body), message.attempts))
    try:
        answer = partner_post(url=partnership.as2_url, headers=built.headers, body=built.body)
    except TransportError as error:
        _attempt_failed(message, steps, str(error), retry=error.retry)
        return
    _answered(message, steps, answer)


def _async_mdn_url(message: Message) -> str | None:
    if message.mdn_mode != MdnMode.ASYNC:
        return None
    return settings.SELF_BASE_URL + reverse("tracklog:inbound", args=[message.tenant_id])


def _async_mdn_url_warning(message: Message, partnership: Partnership) -> str | None:
    """A sentence when the partner is asked to post its MDN to an address only we can reach."""
    url = _async_mdn_url(message)
    if url is None:
        return None
    ours, theirs = urlsplit(url).hostname or "", urlsplit(partnership.as2_url).hostname or ""
    local = ("localhost", "127.0.0.1", "::1")
    if ours in local and theirs not in local:
        return (
            f"The partner is asked to send its MDN to {url}, an address only this machine can "
            "reach: set SAS2_SELF_URL (or SAS2_PUBLIC_BASE_URL) to this server's public URL."
        )
    return None


def _security(partnership: Partnership, keys: PartnershipKeys) -> dict:
    details: dict = {
        "security": {
            "encryption": partnership.encrypt,
            "signature": partnership.sign,
            "compression": partnership.compress,
        }
    }
    if partnership.encrypt != Encryption.NONE:
        details["encrypted_for"] = engine.certificate_summary(keys.partner_certificate)
    if partnership.sign != Signing.NONE:
        details["signer"] = engine.certificate_summary(keys.certificate)
    return details


def _built_text(partnership: Partnership, keys: PartnershipKeys, size: int, attempt: int) -> str:
    parts = []
    if partnership.compress != "none":
        parts.append(f"compressed ({partnership.compress})")
    if partnership.sign != Signing.NONE:
        parts.append(f"signed ({partnership.sign})")
    if partnership.encrypt != Encryption.NONE:
        serial = format(keys.partner_certificate.serial_number, "X")
        parts.append(f"encrypted ({partnership.encrypt}) for certificate serial {serial}")
    how = ", ".join(parts) or "neither signed nor encrypted"
    return f"Attempt {attempt}: built {size:,} bytes, {how}."


def _answered(message: Message, steps: Steps, answer: PartnerAnswer) -> None:
    details = message.details
    details["partner_http_status"] = answer.status
    details["partner_answer"] = answer.first_lines()
    if answer.status >= 500:
        _attempt_failed(
            message,
            steps,
            f"The partner answered HTTP {answer.status}: {answer.first_lines(1, 200)}",
            retry=True,
            http_status=answer.status,
        )
        return
    if answer.status >= 300:
        _attempt_failed(
            message,
            steps,
            f"The partner refused the message with HTTP {answer.status}: "
            f"{answer.first_lines(1, 200)}",
            retry=False,
            http_status=answer.status,
        )
        return
    message.status = Status.SENT
    steps.add(Status.SENT, f"Sent: the partner answered HTTP {answer.status}.")
    if message.mdn_mode == MdnMode.NONE:
        message.next_attempt_at = None
        return
    if message.mdn_mode == MdnMode.ASYNC:
        message.next_attempt_at = timezone.now() + timedelta(hours=settings.ASYNC_MDN_WAIT_HOURS)
        steps.add(Status.SENT, "Waiting for the partner's asynchronous MDN.")
        return
    message.next_attempt_at = None
    try:
        _mdn_record(message, steps, answer.headers, answer.body)
    except StorageFailed as error:
        _attempt_failed(message, steps, f"The MDN could not be stored: {error}", retry=False)


def _attempt_failed(
    message: Message,
    steps: Steps,
    error: str,
    *,
    retry: bool,
    http_status: int | None = None,
) -> None:
    """Keep the attempt's error; retry later with exponential backoff, or fail (29)."""
    now = timezone.now()
    attempts = list(message.details.get("attempts", []))
    attempts.append({"at": now.isoformat(), "error": error, "http_status": http_status})
    message.details = {**message.details, "attempts": attempts}
    if retry and message.attempts < settings.SEND_ATTEMPTS:
        delay = retry_delay(message.attempts)
        message.next_attempt_at = now + timedelta(seconds=delay)
        message.status = max(message.status, Status.ORIGINAL_SAVED)
        if message.status not in SENDABLE:
            message.status = Status.ENCRYPTED
        steps.add(
            message.status,
            f"Attempt {message.attempts} of {settings.SEND_ATTEMPTS} failed: {error} "
            f"Next attempt in {delay:g} seconds.",
        )
        _enqueue_retry(message, delay)
        return
    message.status = Status.OUTBOUND_FAILED
    message.next_attempt_at = None
    if retry:
        message.error = f"{error} (gave up after {message.attempts} attempts)"
    else:
        message.error = error
    steps.add(Status.OUTBOUND_FAILED, message.error)


def retry_delay(attempts: int) -> float:
    """Seconds to wait after failed attempt number `attempts`: the base, doubled at each further
    attempt, never more than SEND_RETRY_MAX_SECONDS (20 attempts would otherwise wait months)."""
    delay = settings.SEND_RETRY_BASE_SECONDS * 2 ** min(attempts - 1, 64)
    return min(delay, settings.SEND_RETRY_MAX_SECONDS)


def _enqueue_retry(message: Message, delay: float) -> None:
    from tracklog.tasks import message_deliver_enqueue  # noqa: PLC0415

    pk = message.pk
    transaction.on_commit(lambda: message_deliver_enqueue(message_pk=pk, delay=delay))


# --- MDNs ---------------------------------------------------------------------------------------


def mdn_apply(*, message: Message, headers: dict[str, str], body: bytes) -> Message:
    """An async MDN for an outbound message: verify and record it (26, or 29 with the reason)."""
    steps = Steps()
    if message.status not in (Status.SENT, Status.ENCRYPTED, Status.MDN_RECEIVED):
        steps.add(message.status, f"An MDN arrived while the message was at {message.status}.")
    _mdn_record(message, steps, headers, body)
    message.next_attempt_at = None
    with transaction.atomic():
        message.save()
        steps.save(message)
    return message


def _mdn_record(message: Message, steps: Steps, headers: dict[str, str], body: bytes) -> None:
    """Store the MDN, verify it, compare the MICs: 26 when it proves delivery, else 29."""
    partnership = message.partnership
    message.mdn_key = file_write(file_key(message, "mdn.raw"), http_message_bytes(headers), body)
    message.status = Status.MDN_RECEIVED
    steps.add(Status.MDN_RECEIVED, f"MDN received ({len(body):,} bytes).")
    try:
        keys = partnership_keys(partnership=partnership)
        mdn = engine.mdn_parse(
            partnership=partnership,
            keys=keys,
            headers=headers,
            body=body,
            expected_mic=message.mic,
            expected_message_id=message.message_id,
        )
    except (engine.As2Error, NoCertificate) as error:
        _mdn_failed(message, steps, f"The MDN could not be accepted: {error}")
        return
    message.mdn_disposition = mdn.disposition[:500]
    message.mdn_mic = mdn.mic or ""
    message.mdn_signed = mdn.signed is not None
    details = message.details
    details["our_mic"], details["their_mic"] = message.mic, mdn.mic
    details["disposition_text"] = mdn.text[:2000]
    if mdn.signer is not None:
        details["mdn_signer"] = engine.certificate_summary(mdn.signer)
    message.mdn_mic_check = _mic_checks()[mdn.mic_check]
    if not mdn.successful:
        _mdn_failed(message, steps, f"The partner's MDN reports a failure: {mdn.disposition}")
    elif message.mdn_mic_check == MicCheck.MISSING:
        _mdn_failed(
            message,
            steps,
            "The partner's MDN says processed but carries no Received-Content-MIC: it does not "
            "prove that the message arrived intact (peers answer this for messages they could "
            "not open). Check the certificates on both sides.",
        )
    elif message.mdn_mic_check == MicCheck.MISMATCHED:
        _mdn_failed(
            message,
            steps,
            f"The MIC in the partner's MDN ({mdn.mic}) differs from ours ({message.mic}): the "
            "partner did not receive the message we sent, byte for byte.",
        )
    elif message.mdn_mic_check == MicCheck.NOT_CHECKED:
        _mdn_failed(
            message,
            steps,
            f"The partner's MDN carries its MIC ({mdn.mic}) in another digest than the one we "
            f"asked for ({message.mic.rpartition(',')[2].strip()}), so it cannot prove that the "
            "message arrived intact. Ask the partner to answer with the requested MIC algorithm.",
        )
    else:
        message.status = Status.MDN_SAVED
        signed = f"signed ({mdn.signed})" if mdn.signed else "unsigned"
        steps.add(Status.MDN_SAVED, f"MDN {signed}, {mdn.disposition}; MIC matched.")


@cache
def _mic_checks() -> dict[object, MicCheck]:
    # Built on first use: engine.MicCheck loads the engine (kept off cold starts).
    return {
        engine.MicCheck.MATCHED: MicCheck.MATCHED,
        engine.MicCheck.MISMATCHED: MicCheck.MISMATCHED,
        engine.MicCheck.MISSING: MicCheck.MISSING,
        engine.MicCheck.NOT_CHECKED: MicCheck.NOT_CHECKED,
    }


def _mdn_failed(message: Message, steps: Steps, error: str) -> None:
    message.status = Status.OUTBOUND_FAILED
    message.error = error
    message.next_attempt_at = None
    steps.add(Status.OUTBOUND_FAILED, error)


# --- async MDNs we send -------------------------------------------------------------------------


def _mdn_claim(message: Message) -> bool:
    now = timezone.now()
    return (
        Message.objects.filter(
            pk=message.pk,
            direction=Direction.INBOUND,
            mdn_mode=MdnMode.ASYNC,
            next_attempt_at__lte=now,
            attempts=message.attempts,
        ).update(next_attempt_at=now + _lease(), attempts=message.attempts + 1, updated=now)
        == 1
    )


def mdn_deliver(*, message: Message) -> Message:
    """POST the stored async MDN of an inbound message to its Receipt-Delivery-Option URL."""
    message = Message.objects.get(pk=message.pk)
    if not message.mdn_key or not _mdn_claim(message):
        return message
    message.refresh_from_db(fields=["attempts", "next_attempt_at"])
    steps = Steps()
    final_status = message.status  # 14 (created) or 19 (an error MDN)
    try:
        headers, body = http_message_split(file_read(message.mdn_key))
        answer = partner_post(url=message.mdn_url, headers=headers, body=body)
        if answer.status >= 300:
            raise TransportError(
                f"The partner answered HTTP {answer.status}: {answer.first_lines(1, 200)}"
            )
    except (TransportError, OSError) as error:
        retry = getattr(error, "retry", True)
        now = timezone.now()
        attempts = [
            *message.details.get("attempts", []),
            {"at": now.isoformat(), "error": str(error)},
        ]
        message.details = {**message.details, "attempts": attempts}
        if retry and message.attempts < settings.SEND_ATTEMPTS:
            delay = retry_delay(message.attempts)
            message.next_attempt_at = now + timedelta(seconds=delay)
            steps.add(
                final_status,
                f"Sending the MDN to {message.mdn_url} failed (attempt {message.attempts}): "
                f"{error} Next attempt in {delay:g} seconds.",
            )
            transaction.on_commit(lambda: _mdn_enqueue(message.pk, delay))
        else:
            message.next_attempt_at = None
            if message.status == Status.MDN_CREATED:
                message.status = Status.INBOUND_FAILED
            message.error = f"The MDN could not be delivered to {message.mdn_url}: {error}"
            steps.add(Status.INBOUND_FAILED, message.error)
    else:
        message.next_attempt_at = None
        if final_status == Status.MDN_CREATED:
            message.status = Status.MDN_SENT
        steps.add(message.status, f"MDN sent to {message.mdn_url}: HTTP {answer.status}.")
    with transaction.atomic():
        message.save()
        steps.save(message)
    return message


def _mdn_enqueue(message_pk: int, delay: float) -> None:
    from tracklog.tasks import mdn_deliver_enqueue  # noqa: PLC0415

    mdn_deliver_enqueue(message_pk=message_pk, delay=delay)


def async_mdn_expire(*, message: Message) -> Message:
    """An outbound message whose async MDN never came: 29, saying so."""
    steps = Steps()
    _mdn_failed(
        message,
        steps,
        f"No asynchronous MDN arrived within {settings.ASYNC_MDN_WAIT_HOURS:g} hours; ask the "
        "partner whether the message arrived, and check where they send MDNs.",
    )
    with transaction.atomic():
        message.save()
        steps.save(message)
    return message
