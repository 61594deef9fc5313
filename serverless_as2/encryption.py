"""Secrets at rest (keystore passwords, HTTP passwords), sealed with the key-encryption key.

The key comes from settings.KEY_ENCRYPTION_KEY (environment, or a file made on first run in
one-machine mode). Plaintexts never leave this module in logs or errors.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class SecretUnreadable(Exception):
    """A sealed secret could not be opened: the key-encryption key changed or the data is damaged."""


@cache
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def secret_seal(plaintext: str) -> str:
    """Encrypt a secret for storage in a database column."""
    return _fernet(settings.KEY_ENCRYPTION_KEY).encrypt(plaintext.encode()).decode()


def secret_open(token: str) -> str:
    """Decrypt a secret sealed by secret_seal."""
    try:
        return _fernet(settings.KEY_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted: the key-encryption key (SAS2_KEY_ENCRYPTION_KEY) "
            "is not the one it was sealed with."
        ) from None
