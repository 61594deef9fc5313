"""Secrets at rest (keystore passwords, HTTP passwords), sealed with the key-encryption key.

Two ways, chosen by settings; a token sealed either way keeps opening when settings change:

- AWS KMS (``KMS_KEY_ID`` set): envelope encryption. A data key from KMS GenerateDataKey seals
  the secret with Fernet; the data key, wrapped by KMS, is stored with it as
  ``kms1:<base64 wrapped data key>:<Fernet token>``. Plaintext data keys are cached per process,
  so sealing calls KMS once per process and opening once per distinct wrapped key.
- the local key (``KEY_ENCRYPTION_KEY``): a bare Fernet token. Several keys may be given,
  comma-separated and newest first: the first seals, every one opens, and
  ``manage.py rotate_key_encryption_key`` re-seals everything with the first.

Stored secrets live in model fields whose name ends in ``_sealed``: ``sealed_fields()`` finds
them all. Plaintexts never leave this module in logs or errors.
"""

import base64
import binascii
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models, transaction

if TYPE_CHECKING:
    # cryptography loads when a secret is sealed or opened, not at start-up (cold starts).
    from cryptography.fernet import Fernet, MultiFernet

    from serverless_as2.kms import DataKey

KMS_PREFIX = "kms1:"
SEALED_FIELD_SUFFIX = "_sealed"


class SecretUnreadable(Exception):
    """A sealed secret could not be opened: the key-encryption key changed or the data is damaged."""


class SecretSealFailed(Exception):
    """A secret could not be sealed (KMS refused or is unreachable); nothing was stored."""


def secret_seal(plaintext: str) -> str:
    """Encrypt a secret for storage in a database column."""
    if settings.KMS_KEY_ID:
        from serverless_as2.kms import KmsUnavailable

        try:
            data_key = _sealing_data_key(settings.KMS_KEY_ID, *_kms_place())
        except KmsUnavailable as error:
            raise SecretSealFailed(f"The secret could not be sealed: {error}") from None
        wrapped = base64.b64encode(data_key.wrapped).decode()
        token = _data_key_fernet(data_key.plaintext).encrypt(plaintext.encode()).decode()
        return f"{KMS_PREFIX}{wrapped}:{token}"
    return _local_fernet(settings.KEY_ENCRYPTION_KEY).encrypt(plaintext.encode()).decode()


def secret_open(token: str) -> str:
    """Decrypt a secret sealed by secret_seal, with KMS or the local key, whichever sealed it."""
    from cryptography.fernet import InvalidToken

    if token.startswith(KMS_PREFIX):
        wrapped, fernet_token = _kms_parts(token)
        try:
            return _data_key_fernet(_unwrap(wrapped).plaintext).decrypt(fernet_token).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "A stored secret cannot be decrypted: it does not match the data key stored with "
                "it (the stored value is damaged)."
            ) from None
    try:
        return _local_fernet(settings.KEY_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted: the key-encryption key (SAS2_KEY_ENCRYPTION_KEY) "
            "is not the one it was sealed with."
        ) from None


def secret_sealed_with(token: str) -> str:
    """Which key sealed a token, in words (for reports; the token must open)."""
    from cryptography.fernet import InvalidToken

    if token.startswith(KMS_PREFIX):
        return f"KMS key {_unwrap(_kms_parts(token)[0]).key_id}"
    try:
        _local_fernets(settings.KEY_ENCRYPTION_KEY)[0].decrypt(token.encode())
    except InvalidToken:
        return "an older local key"
    return "the current local key"


def secret_sealing_key() -> str:
    """The key secret_seal uses now, in words."""
    if settings.KMS_KEY_ID:
        return f"KMS key {settings.KMS_KEY_ID}"
    return "the current local key (the first of SAS2_KEY_ENCRYPTION_KEY)"


@dataclass(frozen=True)
class ResealReport:
    sealed_with: dict[str, int]  # how many secrets each key had sealed, before
    resealed: int  # 0 in a dry run
    sealing_key: str


def secrets_reseal(*, dry_run: bool = False) -> ResealReport:
    """Open every stored secret and seal it again with the current key, all or nothing."""
    sealed_with: Counter[str] = Counter()
    resealed = 0
    with transaction.atomic():
        for model, field in sealed_fields():
            rows = (
                model._base_manager.select_for_update()
                .exclude(**{f"{field}__isnull": True})
                .exclude(**{field: ""})
                .order_by("pk")
                .values_list("pk", field)
            )
            for pk, token in rows:
                try:
                    plaintext = secret_open(token)
                    sealed_with[secret_sealed_with(token)] += 1
                except SecretUnreadable as error:
                    raise SecretUnreadable(
                        f"{model._meta.label} #{pk} ({field}): {error} Nothing was changed."
                    ) from None
                if not dry_run:
                    # update(), not save(): re-sealing changes no other column (updated, ...).
                    model._base_manager.filter(pk=pk).update(**{field: secret_seal(plaintext)})
                    resealed += 1
    return ResealReport(dict(sealed_with), resealed, secret_sealing_key())


def sealed_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, field name) that holds sealed secrets: fields named ``*_sealed``."""
    from django.apps import apps

    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.name.endswith(SEALED_FIELD_SUFFIX)
    ]


def data_key_cache_clear() -> None:
    """Forget the cached data keys (a KMS key was rotated or disabled; tests)."""
    _sealing_data_keys.clear()
    _unwrap_cached.cache_clear()


# -- local key ---------------------------------------------------------------------------------


@cache
def _local_fernets(keys: str) -> list["Fernet"]:
    """The local keys, newest first: SAS2_KEY_ENCRYPTION_KEY may list several, comma-separated."""
    from cryptography.fernet import Fernet

    return [Fernet(key.strip().encode()) for key in keys.split(",") if key.strip()]


@cache
def _local_fernet(keys: str) -> "MultiFernet":
    from cryptography.fernet import MultiFernet

    return MultiFernet(_local_fernets(keys))


# -- KMS envelope ------------------------------------------------------------------------------


def _kms_place() -> tuple[str | None, str]:
    return settings.KMS_ENDPOINT_URL, settings.AWS_REGION_NAME


# One data key per (KMS key, endpoint, region) seals every secret this process seals.
_sealing_data_keys: dict[tuple[str, str | None, str], "DataKey"] = {}


def _sealing_data_key(key_id: str, endpoint_url: str | None, region: str) -> "DataKey":
    place = (key_id, endpoint_url, region)
    if place not in _sealing_data_keys:
        from serverless_as2.kms import data_key_generate

        _sealing_data_keys[place] = data_key_generate(
            key_id=key_id, endpoint_url=endpoint_url, region=region
        )
    return _sealing_data_keys[place]


def _unwrap(wrapped: bytes) -> "DataKey":
    from serverless_as2.kms import KmsUnavailable

    for data_key in _sealing_data_keys.values():
        if data_key.wrapped == wrapped:  # sealed by this process: no call to KMS
            return data_key
    endpoint_url, region = _kms_place()
    try:
        return _unwrap_cached(wrapped, endpoint_url, region)
    except KmsUnavailable as error:
        raise SecretUnreadable(f"A stored secret cannot be decrypted: {error}") from None


@lru_cache(maxsize=256)
def _unwrap_cached(wrapped: bytes, endpoint_url: str | None, region: str) -> "DataKey":
    from serverless_as2.kms import data_key_unwrap

    return data_key_unwrap(wrapped=wrapped, endpoint_url=endpoint_url, region=region)


def _kms_parts(token: str) -> tuple[bytes, bytes]:
    try:
        wrapped, fernet_token = token.removeprefix(KMS_PREFIX).split(":")
        return base64.b64decode(wrapped, validate=True), fernet_token.encode()
    except (ValueError, binascii.Error):
        raise SecretUnreadable(
            "A stored secret cannot be decrypted: its stored value is damaged (not a kms1 token)."
        ) from None


def _data_key_fernet(plaintext_key: bytes) -> "Fernet":
    from cryptography.fernet import Fernet

    return Fernet(base64.urlsafe_b64encode(plaintext_key))
