"""AS2 messages (inbound and outbound) and the steps each went through (the TrackLog)."""

from typing import Any

from django.db import models
from django.db.models import Q

from partnerships.models import Partnership
from partnerships.validators import AS2_ID_MAX_LENGTH
from serverless_as2.models import TenantOwned


def recordable(value: object) -> object:
    """`value` with every NUL character (U+0000) replaced by U+FFFD, in strings, lists and dicts.

    A partner can put NUL in any header, file name or MDN field; PostgreSQL's text and jsonb
    cannot hold it, and the row would never be saved (the partner told to send again, forever).
    """
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {recordable(key): recordable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [recordable(item) for item in value]
    return value


class Direction(models.TextChoices):
    INBOUND = "in", "Inbound"
    OUTBOUND = "out", "Outbound"


class Status(models.IntegerChoices):
    """TrackLog status codes (DESIGN.md): 1x inbound, 2x outbound, x9 failed."""

    WAIT_TO_DECRYPT = 11, "Wait to Decrypt EDI"
    DECRYPTED = 12, "Decrypt EDI Successfully"
    SAVED = 13, "Save Decrypt EDI Successfully"
    MDN_CREATED = 14, "Create MDN Successfully"
    MDN_SENT = 15, "Send MDN Successfully"
    INBOUND_FAILED = 19, "Failed"
    WAITING_TO_ENCRYPT = 21, "Waiting to Encrypt"
    ORIGINAL_SAVED = 22, "Original File Saved"
    ENCRYPTED = 23, "Encryption Success"
    SENT = 24, "Send Success"
    MDN_RECEIVED = 25, "MDN Received"
    MDN_SAVED = 26, "MDN Saved"
    OUTBOUND_FAILED = 29, "Failed"


class StatusGroup(models.TextChoices):
    SUCCESSFUL = "successful", "Successful"
    FAILED = "failed", "Failed"
    PENDING = "pending", "Pending"


class MdnMode(models.TextChoices):
    """What the MDN of one message is: none requested, in the HTTP response, or posted later."""

    NONE = "none", "none"
    SYNC = "sync", "sync"
    ASYNC = "async", "async"


class MicCheck(models.TextChoices):
    """Outbound: how the partner's Received-Content-MIC compares with ours."""

    MATCHED = "matched", "matched"
    MISMATCHED = "mismatched", "mismatched"
    MISSING = "missing", "missing"
    NOT_CHECKED = "", "not checked"


SUCCESSFUL_STATUSES = frozenset({Status.MDN_SENT, Status.MDN_SAVED})
FAILED_STATUSES = frozenset({Status.INBOUND_FAILED, Status.OUTBOUND_FAILED})
# A message that asked for no MDN is done once its payload is stored (inbound) or sent (outbound).
DONE_WITHOUT_MDN_STATUSES = frozenset({Status.SAVED, Status.SENT})


def status_group(status: int, mdn_mode: str | None = None) -> StatusGroup:
    """Successful / failed / pending for a status (and the message's MDN mode when known).

    Without an MDN, 13 (inbound saved) and 24 (outbound sent) are the last steps, so they count as
    successful when `mdn_mode` is "none"; otherwise they are pending.
    """
    if status in SUCCESSFUL_STATUSES:
        return StatusGroup.SUCCESSFUL
    if status in FAILED_STATUSES:
        return StatusGroup.FAILED
    if mdn_mode == MdnMode.NONE and status in DONE_WITHOUT_MDN_STATUSES:
        return StatusGroup.SUCCESSFUL
    return StatusGroup.PENDING


def status_group_q(group: str) -> Q:
    """A filter on Message rows for one status group (agrees with `status_group`)."""
    done_without_mdn = Q(mdn_mode=MdnMode.NONE, status__in=DONE_WITHOUT_MDN_STATUSES)
    if group == StatusGroup.SUCCESSFUL:
        return Q(status__in=SUCCESSFUL_STATUSES) | done_without_mdn
    if group == StatusGroup.FAILED:
        return Q(status__in=FAILED_STATUSES)
    if group == StatusGroup.PENDING:
        return ~Q(status__in=SUCCESSFUL_STATUSES | FAILED_STATUSES) & ~done_without_mdn
    raise ValueError(f"Unknown status group {group!r}.")


class Message(TenantOwned):
    """One AS2 message, received or sent, with everything needed to explain what happened."""

    partnership = models.ForeignKey(
        Partnership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        help_text="Empty when no partnership matched (unknown partner) or it was deleted since.",
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    message_id = models.CharField("Message ID", max_length=998)
    sender = models.CharField("From", max_length=AS2_ID_MAX_LENGTH, help_text="AS2-From")
    receiver = models.CharField("To", max_length=AS2_ID_MAX_LENGTH, help_text="AS2-To")
    status = models.IntegerField(choices=Status.choices)
    subject = models.CharField(max_length=998, blank=True)
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=255, blank=True)
    size = models.BigIntegerField(default=0, help_text="Bytes of the payload.")
    created = models.DateTimeField(auto_now_add=True)  # indexed with tenant (Meta.indexes)
    updated = models.DateTimeField(auto_now=True)
    mic = models.CharField(max_length=200, blank=True, help_text='Ours: "<base64>, sha-256".')
    mdn_mode = models.CharField(max_length=5, choices=MdnMode.choices, default=MdnMode.NONE)
    mdn_url = models.CharField(
        max_length=1000, blank=True, help_text="Inbound async MDNs: Receipt-Delivery-Option."
    )
    mdn_disposition = models.CharField(max_length=500, blank=True)
    mdn_mic = models.CharField(max_length=200, blank=True, help_text="Theirs, from the MDN.")
    mdn_mic_check = models.CharField(
        max_length=10, choices=MicCheck.choices, blank=True, default=MicCheck.NOT_CHECKED
    )
    mdn_signed = models.BooleanField(default=False)
    raw_key = models.CharField(max_length=1000, blank=True)
    payload_key = models.CharField(max_length=1000, blank=True)
    mdn_key = models.CharField(max_length=1000, blank=True)
    error = models.TextField(blank=True, help_text="What went wrong, in plain words.")
    details = models.JSONField(default=dict, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "direction", "message_id", "sender"], name="unique_message"
            )
        ]
        indexes = [models.Index(fields=["tenant", "-created"], name="message_tenant_created")]

    def __str__(self) -> str:
        return self.message_id

    def save(self, *args: Any, **kwargs: Any) -> None:
        for field in self._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField | models.JSONField):
                setattr(self, field.attname, recordable(getattr(self, field.attname)))
        super().save(*args, **kwargs)

    @property
    def group(self) -> StatusGroup:
        return status_group(self.status, self.mdn_mode)


class MessageEvent(models.Model):
    """One step of a message (a status reached, a retry, a duplicate) with its time."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    status = models.IntegerField(choices=Status.choices)
    at = models.DateTimeField()
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.status} {self.text}"[:80]
