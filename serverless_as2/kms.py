"""AWS KMS for envelope encryption: make a data key, unwrap a stored one.

boto3 is imported here only, and only when a KMS key is configured, so that processes that
don't use KMS (one machine, and every Lambda request that opens no secret) never load it.
"""

from dataclasses import dataclass
from functools import cache
from typing import Any

# Bound to every wrapped key: KMS refuses to unwrap it for a caller that doesn't name the same
# context, and IAM policies can require it (kms:EncryptionContext:purpose).
ENCRYPTION_CONTEXT = {"purpose": "serverless-as2-secrets"}


class KmsUnavailable(Exception):
    """KMS refused or could not be reached; the message says which key and why, never a secret."""


@dataclass(frozen=True)
class DataKey:
    plaintext: bytes  # 32 bytes, kept in memory only
    wrapped: bytes  # the same key encrypted under the KMS key, stored beside each secret
    key_id: str  # ARN of the KMS key that wrapped it


def data_key_generate(*, key_id: str, endpoint_url: str | None, region: str) -> DataKey:
    """A new 256-bit data key from KMS GenerateDataKey, in plaintext and wrapped."""
    answer = _call(
        "generate_data_key",
        endpoint_url,
        region,
        KeyId=key_id,
        KeySpec="AES_256",
        EncryptionContext=ENCRYPTION_CONTEXT,
    )
    return DataKey(answer["Plaintext"], answer["CiphertextBlob"], answer["KeyId"])


def data_key_unwrap(*, wrapped: bytes, endpoint_url: str | None, region: str) -> DataKey:
    """The plaintext of a wrapped data key (KMS Decrypt finds the key from the blob)."""
    answer = _call(
        "decrypt",
        endpoint_url,
        region,
        CiphertextBlob=wrapped,
        EncryptionContext=ENCRYPTION_CONTEXT,
    )
    return DataKey(answer["Plaintext"], wrapped, answer["KeyId"])


def _call(operation: str, endpoint_url: str | None, region: str, **arguments: Any) -> Any:
    """Call a KMS client method (snake_case name); errors become KmsUnavailable."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = _client(endpoint_url, region)
    try:
        return getattr(client, operation)(**arguments)
    except ClientError as error:
        details = error.response.get("Error", {})
        raise KmsUnavailable(
            f"AWS KMS refused {client.meta.method_to_api_mapping[operation]}: "
            f"{details.get('Code', 'error')} {details.get('Message', '')}".strip()
        ) from None
    except BotoCoreError as error:
        raise KmsUnavailable(
            f"AWS KMS could not be reached ({client.meta.method_to_api_mapping[operation]}): {error}"
        ) from None


@cache
def _client(endpoint_url: str | None, region: str) -> Any:
    import boto3

    return boto3.client("kms", endpoint_url=endpoint_url, region_name=region)
