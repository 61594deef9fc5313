"""Writes to instances, partners and partnerships, and the rules a partnership obeys.

Whoever saves a partnership (the pages, the admin, a management command, messaging's code)
goes through `partnership_validate`: `Partnership.clean()` calls it, so every ModelForm and
`full_clean()` apply it, and `partnership_create` / `partnership_update` run it before saving.
"""

from typing import TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.deletion import Collector, ProtectedError

from partnerships.models import HEADER_FIELDS, As2Instance, Encryption, Partner, Partnership
from serverless_as2.models import Tenant


class DeleteRefused(Exception):
    """A row is still used by others; str() says by what."""


class PartnershipSettings(TypedDict, total=False):
    """The settings of a partnership: everything but its tenant, instance and partner."""

    as2_url: str
    encrypt: str
    key_transport: str
    sign: str
    signature_padding: str
    compress: str
    subject: str
    as2_mdn_to: str
    mdn_mode: str
    mdn_sign: str
    content_transfer_encoding: str
    content_type: str


class DeletePreview(TypedDict):
    """What deleting a row would remove with it, and what keeps it from being deleted."""

    removes: list[str]
    blocked_by: list[str]


def row_delete_preview(*, row: models.Model) -> DeletePreview:
    """Say, before the user confirms, what a delete removes and what blocks it."""
    collector = Collector(using=row._state.db or "default")
    try:
        collector.collect([row])
    except ProtectedError as error:
        return {
            "removes": [],
            "blocked_by": sorted({_described(o) for o in error.protected_objects}),
        }
    removed = [
        _described(obj)
        for model, objects in collector.data.items()
        for obj in objects
        if obj != row
    ]
    return {"removes": sorted(set(removed)), "blocked_by": []}


def _described(obj: models.Model) -> str:
    """A row in words: "PartnerShip mycompany → amazon", "certificate mycompany → amazon"."""
    name = {"partnership": "PartnerShip"}.get(obj._meta.model_name, obj._meta.verbose_name)
    text = str(obj)
    return text if text.lower().startswith(str(name).lower()) else f"{name} {text}"


@transaction.atomic
def row_delete(*, row: models.Model, label: str) -> None:
    """Delete a row, or refuse with a sentence naming what still depends on it."""
    try:
        row.delete()
    except ProtectedError as error:
        dependants = sorted({str(obj) for obj in error.protected_objects})
        shown = ", ".join(dependants[:5]) + (" …" if len(dependants) > 5 else "")
        raise DeleteRefused(
            f"{label} cannot be deleted while {len(dependants)} other record(s) use it "
            f"({shown}). Delete those first."
        ) from None


def url_has_scheme(url: str, *schemes: str) -> bool:
    """Whether the URL starts with one of the schemes (any case), e.g. "https"."""
    return url.lower().startswith(tuple(f"{scheme}://" for scheme in schemes))


def _pair_errors(partnership: Partnership) -> dict[str, str]:
    """Same tenant for all three, the pair fixed after creation, one partnership per pair."""
    errors: dict[str, str] = {}
    # None while the form has not found a valid choice for the field.
    instance = partnership.instance if partnership.instance_id else None
    partner = partnership.partner if partnership.partner_id else None
    tenant_id = partnership.tenant_id
    if instance and tenant_id and instance.tenant_id != tenant_id:
        errors["instance"] = (
            f"The AS2 instance {instance.my_as2_id} belongs to another tenant: a partnership "
            "joins an instance and a partner of its own tenant."
        )
    if partner and tenant_id and partner.tenant_id != tenant_id:
        errors["partner"] = (
            f"The partner {partner.partner_as2_id} belongs to another tenant: a partnership "
            "joins an instance and a partner of its own tenant."
        )
    if not partnership._state.adding:
        before = Partnership.objects.filter(pk=partnership.pk).values("instance", "partner")
        for name, was in (before.first() or {}).items():
            if was != getattr(partnership, f"{name}_id"):
                # Its certificate (our key, the partner's certificate, the storage key) and its
                # messages were made for this pair: a different pair is a new partnership.
                errors[name] = (
                    "A partnership's AS2 instance and partner cannot change after creation: "
                    "create a new partnership for another pair."
                )
    elif partner and not partner.enabled and "partner" not in errors:
        errors["partner"] = (
            f"The partner {partner.partner_as2_id} is disabled: enable it, or choose another "
            "partner for a new partnership."
        )
    if instance and partner and not errors:
        clash = Partnership.objects.filter(instance=instance, partner=partner)
        if clash.exclude(pk=partnership.pk).exists():
            errors["partner"] = (
                f"{instance.my_as2_id} already has a partnership with "
                f"{partner.partner_as2_id}; edit that one instead."
            )
    return errors


def _settings_errors(partnership: Partnership) -> dict[str, str]:
    """One-line header fields, an http(s) URL, no encryption only over https."""
    errors: dict[str, str] = {}
    for name in HEADER_FIELDS:
        # Both become message headers (Subject, Disposition-Notification-To): one line each.
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in getattr(partnership, name)):
            label = Partnership._meta.get_field(name).verbose_name
            errors[name] = (
                f"The {label} is sent as a message header: remove its line breaks and other "
                "control characters."
            )
    url = partnership.as2_url
    if url and not url_has_scheme(url, "http", "https"):
        errors["as2_url"] = "The partner's AS2 URL must start with http:// or https://."
    elif partnership.encrypt == Encryption.NONE and not url_has_scheme(url, "https"):
        errors["encrypt"] = (
            "Messages may go unencrypted only over https: choose an encryption or an https:// URL."
        )
    return errors


def partnership_validate(*, partnership: Partnership) -> None:
    """Refuse a partnership that breaks a rule, with a sentence per field (ValidationError)."""
    errors = {**_settings_errors(partnership), **_pair_errors(partnership)}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def partnership_save(*, partnership: Partnership) -> Partnership:
    """Check every rule and constraint (ValidationError says what is wrong), then save."""
    partnership.full_clean()
    partnership.save()
    return partnership


def partnership_create(
    *,
    tenant: Tenant,
    instance: As2Instance,
    partner: Partner,
    **settings: Unpack[PartnershipSettings],
) -> Partnership:
    """A new partnership of the tenant between its instance and its (enabled) partner."""
    partnership = Partnership(tenant=tenant, instance=instance, partner=partner, **settings)
    return partnership_save(partnership=partnership)


def partnership_update(
    *, partnership: Partnership, **changes: Unpack[PartnershipSettings]
) -> Partnership:
    """Change a partnership's settings; its tenant, instance and partner stay."""
    unknown = set(changes) - set(PartnershipSettings.__annotations__)
    if unknown:
        raise TypeError(f"Not a partnership setting: {', '.join(sorted(unknown))}.")
    for name, value in changes.items():
        setattr(partnership, name, value)
    return partnership_save(partnership=partnership)
