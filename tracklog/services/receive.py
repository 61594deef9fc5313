"""Receiving at /as2/<tenant>/: messages from partners, and the async MDNs they send back.

Order of work for a message: find the partnership → store the raw request (headers + body) →
decrypt, verify, decompress → store the payload → build and store the MDN → record the message
and all its steps in ONE transaction → answer. Nothing is recorded as processed, and no
"processed" MDN leaves, unless the payload is stored: a storage or database failure answers 503
so that the partner sends the message again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from certificates.models import PartnerCertificate
from certificates.selectors import NoCertificate, PartnershipKeys, partnership_keys
from partnerships.models import Partnership
from serverless_as2.models import Tenant
from tracklog import engine
from tracklog.models import Direction, MdnMode, Message, Status
from tracklog.services.common import (
    Steps,
    file_key,
    inbound_message_pk,
    partnership_find,
    payload_key,
)
from tracklog.services.files import (
    StorageFailed,
    file_discard,
    file_read,
    file_write,
    http_message_bytes,
    http_message_split,
)
from tracklog.services.send import mdn_apply

logger = logging.getLogger(__name__)

MESSAGE_ID_MAX_LENGTH = Message._meta.get_field("message_id").max_length

TEXT = {"Content-Type": "text/plain; charset=utf-8"}
UNKNOWN_PARTNERSHIP = (
    "This endpoint has no partnership between AS2-From {sender!r} and AS2-To {receiver!r}. "
    "Check both AS2 IDs against the partnership, and that the message was posted to the "
    "endpoint URL (Copy Endpoint URI) of the account that holds the partnership."
)
RETRY_LATER = (
    "The message could not be stored just now; nothing was processed. Send it again later "
    "(same Message-ID)."
)


@dataclass(frozen=True)
class EndpointAnswer:
    """The HTTP answer of the AS2 endpoint."""

    status: int
    headers: dict[str, str] = field(default_factory=lambda: dict(TEXT))
    body: bytes = b""


def _text_answer(status: int, text: str) -> EndpointAnswer:
    return EndpointAnswer(status, dict(TEXT), (text.rstrip("\n") + "\n").encode())


def bad_request(text: str) -> EndpointAnswer:
    """A request that is not an AS2 message we can answer with an MDN: 400 and a sentence."""
    return _text_answer(400, text)


class _Refused(engine.UnknownPartner):
    """The partnership exists but cannot receive (disabled, no certificate): says what to fix."""


def message_receive(*, tenant_id: str, headers: dict[str, str], body: bytes) -> EndpointAnswer:
    """Handle one POST to a tenant's AS2 endpoint; never raises for anything a partner sends."""
    try:
        envelope = engine.envelope_read(headers)
    except engine.MalformedMessage as error:
        return bad_request(str(error))
    refused = _envelope_refused(envelope)
    if refused:
        return bad_request(refused)
    try:
        return _receive(tenant_id, envelope, headers, body)
    except Exception:  # a bug of ours: the partner may send again; never a 500 with a traceback
        logger.exception("Receiving %s failed unexpectedly", envelope.message_id)
        return _text_answer(503, RETRY_LATER)


def _envelope_refused(envelope: engine.Envelope) -> str | None:
    """A sentence when the AS2 headers cannot be those of a message we could record or answer."""
    for name, value in (("AS2-From", envelope.sender), ("AS2-To", envelope.receiver)):
        problem = engine.as2_id_problem(value)
        if problem:
            return f"The {name} header is not an AS2 ID: {problem} Check the partner's AS2 configuration."
    if len(envelope.message_id) > MESSAGE_ID_MAX_LENGTH or not envelope.message_id.isprintable():
        return (
            f"The Message-ID must be at most {MESSAGE_ID_MAX_LENGTH} printable characters; "
            "check the partner's AS2 software."
        )
    return None


def _receive(
    tenant_id: str, envelope: engine.Envelope, headers: dict[str, str], body: bytes
) -> EndpointAnswer:
    partnership = partnership_find(
        tenant_id=tenant_id, my_as2_id=envelope.receiver, partner_as2_id=envelope.sender
    )
    if engine.is_mdn(headers, body):
        if partnership is None:  # the same answer for an unknown tenant and a known one
            return bad_request(UNKNOWN_PARTNERSHIP.format(**_ids(envelope)))
        return mdn_receive(partnership=partnership, headers=headers, body=body)
    if partnership is None:
        tenant = Tenant.objects.filter(pk=tenant_id).first()
        return _unknown_partnership(tenant, envelope, headers, body)
    return _message_receive(partnership.tenant, partnership, envelope, headers, body)


def _ids(envelope: engine.Envelope) -> dict[str, str]:
    return {"sender": envelope.sender, "receiver": envelope.receiver}


# --- messages ---------------------------------------------------------------------------------


def _unknown_partnership(
    tenant: Tenant | None, envelope: engine.Envelope, headers: dict[str, str], body: bytes
) -> EndpointAnswer:
    """An unsigned error MDN in the response (never POSTed to a URL an unknown party gave), or
    400 when no MDN was asked for. Identical for unknown tenants (nothing is recorded then)."""
    text = UNKNOWN_PARTNERSHIP.format(**_ids(envelope))
    if tenant is not None:
        _record_unknown(tenant, envelope, headers, body, text)
    if envelope.mdn_request is None:
        return bad_request(text)
    mdn = engine.mdn_build(original=envelope, keys=None, error=engine.UnknownPartner(text))
    return EndpointAnswer(200, dict(mdn.headers), mdn.body)


def _record_unknown(
    tenant: Tenant,
    envelope: engine.Envelope,
    headers: dict[str, str],
    body: bytes,
    text: str,
) -> None:
    """Show the tenant that someone sent with AS2 IDs no partnership matches (once per ID)."""
    message = Message(
        tenant=tenant,
        direction=Direction.INBOUND,
        message_id=envelope.message_id,
        sender=envelope.sender,
        receiver=envelope.receiver,
        subject=envelope.subject[:998],
        status=Status.INBOUND_FAILED,
        size=len(body),
        headers=headers,
        error=text,
        mdn_mode=_mdn_mode(envelope),
    )
    steps = Steps()
    steps.add(Status.WAIT_TO_DECRYPT, "Received; no partnership matches its AS2 IDs.")
    steps.add(Status.INBOUND_FAILED, text)
    try:
        with transaction.atomic():
            message.save()
            steps.save(message)
    except IntegrityError:
        pass  # the same message again: recorded the first time
    except DatabaseError:
        logger.exception("Could not record a message from an unknown partner")


def _mdn_mode(envelope: engine.Envelope) -> str:
    return envelope.mdn_request.mode if envelope.mdn_request else MdnMode.NONE


def _message_receive(
    tenant: Tenant,
    partnership: Partnership,
    envelope: engine.Envelope,
    headers: dict[str, str],
    body: bytes,
) -> EndpointAnswer:
    existing = inbound_message_pk(
        tenant=tenant, message_id=envelope.message_id, sender=envelope.sender
    )
    previous = Message.objects.get(pk=existing) if existing is not None else None
    if previous is not None and previous.status != Status.INBOUND_FAILED:
        return _duplicate(previous, envelope)
    # A message that failed was not processed: sent again (say, after the partner fixed a
    # certificate), it is processed again, on the same row.
    now = timezone.now()
    message = Message(
        tenant=tenant,
        partnership=partnership,
        direction=Direction.INBOUND,
        message_id=envelope.message_id,
        sender=envelope.sender,
        receiver=envelope.receiver,
        subject=envelope.subject[:998],
        status=Status.WAIT_TO_DECRYPT,
        size=0,
        headers=headers,
        mdn_mode=_mdn_mode(envelope),
        mdn_url=(envelope.mdn_request.url or "")[:1000] if envelope.mdn_request else "",
        created=now,
    )
    steps = Steps()
    if previous is not None:
        message.pk, message.created = previous.pk, previous.created
        steps.add(
            Status.WAIT_TO_DECRYPT,
            f"Received again ({len(body):,} bytes) after a failure: processed again.",
            at=now,
        )
    else:
        steps.add(Status.WAIT_TO_DECRYPT, f"Received {len(body):,} bytes.", at=now)
    try:
        message.raw_key = file_write(
            file_key(message, "message.raw"), http_message_bytes(headers), body
        )
        outcome = _process(partnership, message, steps, envelope, headers, body)
    except StorageFailed:
        _discard(message, previous)
        return _text_answer(503, RETRY_LATER)
    try:
        with transaction.atomic():
            if previous is None:
                message.save(force_insert=True)
            else:
                message.save(force_update=True)
            steps.save(message)
    except IntegrityError:  # the same message, received twice at once: the other one answers
        existing = Message.objects.filter(
            tenant_id=partnership.tenant_id,
            direction=Direction.INBOUND,
            message_id=envelope.message_id,
            sender=envelope.sender,
        ).first()
        return _duplicate(existing, envelope) if existing else _text_answer(503, RETRY_LATER)
    except DatabaseError:
        logger.exception("Could not record message %s", envelope.message_id)
        _discard(message, previous)
        return _text_answer(503, RETRY_LATER)
    if message.mdn_mode == MdnMode.ASYNC and message.mdn_key:
        _enqueue_mdn(message)
    return outcome


def _discard(message: Message, previous: Message | None) -> None:
    """Nothing half-written stays: the files of a receipt that was not recorded go (a failed
    message received again keeps them: its row names the same keys)."""
    if previous is None:
        file_discard(message.raw_key, message.payload_key, message.mdn_key)


def _process(
    partnership: Partnership,
    message: Message,
    steps: Steps,
    envelope: engine.Envelope,
    headers: dict[str, str],
    body: bytes,
) -> EndpointAnswer:
    """Parse, store the payload, build and store the MDN; fills `message` and `steps`."""
    keys: PartnershipKeys | None = None
    details: dict = {}
    message.details = details
    try:
        keys = _keys_for_receiving(partnership)
        details["expected_signer"] = engine.certificate_summary(keys.partner_certificate)
        details["our_certificate"] = engine.certificate_summary(keys.certificate)
        inbound = engine.message_parse(
            partnership=partnership,
            keys=keys,
            headers=headers,
            body=body,
            max_payload_size=settings.MAX_MESSAGE_BYTES * 4,
        )
        warnings = _signer_check(partnership, keys, inbound, details)
    except engine.As2Error as error:
        unknown_signer = isinstance(error, engine.SignatureInvalid) and "signer" not in details
        if unknown_signer and keys is not None:  # say who did sign it
            signer = engine.message_signer(keys=keys, headers=headers, body=body)
            if signer is not None:
                details["signer"] = engine.certificate_summary(signer)
        return _failed(message, steps, envelope, keys, error)
    message.mic = inbound.mic
    message.filename = (inbound.filename or "")[:255]
    message.content_type = inbound.content_type[:255]
    message.size = inbound.payload_view.nbytes
    details["security"] = {
        "encryption": inbound.encrypted or "none",
        "signature": inbound.signed or "none",
        "compression": inbound.compressed,
    }
    if inbound.encrypted:
        details["encrypted_for"] = details["our_certificate"]
    steps.add(
        Status.DECRYPTED,
        f"Decrypted ({inbound.encrypted})" if inbound.encrypted else "Not encrypted.",
    )
    message.payload_key = file_write(
        payload_key(message, message.filename or "payload.edi"), inbound.payload_view
    )
    text = f"Payload stored: {message.size:,} bytes"
    if inbound.signed:
        text += f", signature verified ({inbound.signed})"
    steps.add(Status.SAVED, text + ".")
    if warnings:
        details["warnings"] = warnings
    if envelope.mdn_request is None:
        message.status = Status.SAVED
        return _text_answer(200, "Received; no MDN was requested.")
    mdn = engine.mdn_build(original=inbound, keys=keys)
    return _mdn_answer(message, steps, mdn, Status.MDN_CREATED)


def _keys_for_receiving(partnership: Partnership) -> PartnershipKeys:
    if not partnership.instance.enabled:
        raise _Refused(
            f"The AS2 instance {partnership.instance.my_as2_id!r} is disabled: it receives no "
            "messages until it is enabled again."
        )
    if not partnership.partner.enabled:
        raise _Refused(
            f"The partner {partnership.partner.partner_as2_id!r} is disabled: messages from it "
            "are refused until it is enabled again."
        )
    try:
        return partnership_keys(partnership=partnership)
    except NoCertificate:
        raise _Refused(
            f"The partnership {partnership} has no certificate yet, so messages cannot be "
            "decrypted or verified: create or import one on its Certificate page."
        ) from None


def _signer_check(
    partnership: Partnership,
    keys: PartnershipKeys,
    inbound: engine.InboundMessage,
    details: dict,
) -> list[str]:
    """Warnings about the signer; SignatureInvalid for a certificate replaced too long ago.

    A message signed with the partner's previous certificate is accepted (with a warning) for
    PREVIOUS_CERTIFICATE_GRACE_DAYS after it was replaced: partners switch to their new
    certificate a little after they send it to us, and messages in flight still carry the old
    signature. Later, it is refused (authentication-failed), saying which certificate it was.
    """
    warnings: list[str] = []
    signer = inbound.signer
    if signer is None:
        return warnings
    summary = engine.certificate_summary(signer)
    details["signer"] = summary
    now = timezone.now()
    if signer != keys.partner_certificate:
        replaced = (
            PartnerCertificate.objects.filter(
                certificate__partnership=partnership,
                sha256_fingerprint=summary["fingerprint"],
                in_use_until__isnull=False,
            )
            .order_by("-in_use_until")
            .values_list("in_use_until", flat=True)
            .first()
        )
        replaced_on = replaced.date().isoformat() if replaced else "an earlier date"
        details["previous_certificate_replaced_on"] = replaced_on
        grace = timedelta(days=settings.PREVIOUS_CERTIFICATE_GRACE_DAYS)
        if replaced is None or now - replaced > grace:
            raise engine.SignatureInvalid(
                f"The message was signed with the partner's previous certificate (serial "
                f"{summary['serial']}), replaced on {replaced_on}; the partnership now expects "
                f"serial {details['expected_signer']['serial']}. Ask the partner to sign with "
                "the certificate they sent last."
            )
        warnings.append(
            f"Signed with the partner's previous certificate (serial {summary['serial']}), "
            f"replaced on {replaced_on}: accepted during the "
            f"{settings.PREVIOUS_CERTIFICATE_GRACE_DAYS}-day overlap. Remind the partner to "
            "switch to their new certificate."
        )
    if signer.not_valid_after_utc < now:
        warnings.append(
            f"The signer's certificate (serial {summary['serial']}) expired on "
            f"{signer.not_valid_after_utc.date().isoformat()}; the message was accepted. Ask the "
            "partner for a new certificate."
        )
    return warnings


def _failed(
    message: Message,
    steps: Steps,
    envelope: engine.Envelope,
    keys: PartnershipKeys | None,
    error: engine.As2Error,
) -> EndpointAnswer:
    """Status 19 with the reason; the error MDN when one was asked for (signed if we can)."""
    message.status = Status.INBOUND_FAILED
    message.error = str(error)
    steps.add(Status.INBOUND_FAILED, str(error))
    if envelope.mdn_request is None:
        return _text_answer(200, f"Received, but not processed: {error}")
    mdn = engine.mdn_build(original=envelope, keys=keys, error=error)
    return _mdn_answer(message, steps, mdn, Status.INBOUND_FAILED)


def _mdn_answer(
    message: Message, steps: Steps, mdn: engine.OutboundMdn, status: int
) -> EndpointAnswer:
    """Store the MDN; answer it now (sync) or leave it for the worker to POST (async)."""
    message.mdn_key = file_write(
        file_key(message, "mdn.raw"), http_message_bytes(mdn.headers), mdn.body
    )
    message.mdn_disposition = mdn.disposition[:500]
    message.mdn_mic = mdn.mic or ""
    message.mdn_signed = mdn.signed is not None
    signed = f"signed ({mdn.signed})" if mdn.signed else "unsigned"
    if status == Status.MDN_CREATED:
        steps.add(Status.MDN_CREATED, f"MDN created, {signed}: {mdn.disposition}")
    if message.mdn_mode == MdnMode.ASYNC:
        message.status = status
        message.next_attempt_at = timezone.now()
        steps.add(status, f"The MDN will be sent to {message.mdn_url}.")
        return _text_answer(200, "Received; the MDN will be sent asynchronously.")
    message.status = Status.MDN_SENT if status == Status.MDN_CREATED else status
    steps.add(message.status, "MDN answered in the HTTP response.")
    return EndpointAnswer(200, dict(mdn.headers), mdn.body)


def _duplicate(existing: Message, envelope: engine.Envelope) -> EndpointAnswer:
    """The same Message-ID again from the same partner: not processed twice; the stored MDN
    answers again (async: sent again), and the TrackLog shows the repeat."""
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=existing.pk)
        repeats = int(message.details.get("duplicates", 0)) + 1
        message.details = {**message.details, "duplicates": repeats}
        resend = message.mdn_mode == MdnMode.ASYNC and bool(message.mdn_key)
        if resend:
            message.next_attempt_at = timezone.now()
        message.save(update_fields=["details", "next_attempt_at", "updated"])
        steps = Steps()
        steps.add(
            message.status,
            f"Duplicate received (repeat {repeats}): not processed again; "
            + ("the stored MDN answers it." if message.mdn_key else "no MDN to answer with."),
        )
        steps.save(message)
    if resend:
        _enqueue_mdn(message)
        return _text_answer(200, "Already received; the MDN will be sent again.")
    if not message.mdn_key or envelope.mdn_request is None:
        return _text_answer(200, "Already received.")
    try:
        mdn_headers, mdn_body = http_message_split(file_read(message.mdn_key))
    except OSError:
        logger.exception("Stored MDN of %s is unreadable", message.message_id)
        return _text_answer(503, RETRY_LATER)
    return EndpointAnswer(200, mdn_headers, mdn_body)


def _enqueue_mdn(message: Message) -> None:
    from tracklog.tasks import mdn_deliver_enqueue  # noqa: PLC0415 (tasks import services)

    mdn_deliver_enqueue(message_pk=message.pk)


# --- async MDNs from partners -----------------------------------------------------------------


def mdn_receive(
    *, partnership: Partnership, headers: dict[str, str], body: bytes
) -> EndpointAnswer:
    """An async MDN from a partner: complete the outbound message it answers."""
    original_id = engine.mdn_original_message_id(headers, body)
    message = (
        Message.objects.select_related("partnership__instance", "partnership__partner", "tenant")
        .filter(
            tenant_id=partnership.tenant_id,
            direction=Direction.OUTBOUND,
            partnership=partnership,
            message_id=original_id or "",
        )
        .first()
    )
    if message is None:
        named = f"the Message-ID {original_id!r}" if original_id else "a readable Message-ID"
        return bad_request(
            f"No message sent to {partnership.partner.partner_as2_id!r} has {named} "
            "that this MDN answers (Original-Message-ID)."
        )
    if message.status in (Status.MDN_SAVED, Status.OUTBOUND_FAILED) and message.mdn_key:
        steps = Steps()
        steps.add(message.status, "The MDN arrived again; the first one stands.")
        steps.save(message)
        return _text_answer(200, "MDN already received.")
    try:
        mdn_apply(message=message, headers=headers, body=body)
    except StorageFailed:
        return _text_answer(503, "The MDN could not be stored just now; send it again later.")
    return _text_answer(200, "MDN received.")
