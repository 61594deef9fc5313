"""What AWS Lambda behind API Gateway cannot carry, and the partnership settings that meet it.

A synchronous Lambda request carries about 6 MB and API Gateway waits 29 s for the answer. With
binary support the body travels base64-encoded in that 6 MB (4 bytes for 3), beside its headers,
so a message body can be about 4.5 MB. Off Lambda (settings.SERVERLESS off) nothing here applies.
"""

from django.conf import settings

from partnerships.models import MdnMode, Partnership, TransferEncoding

LAMBDA_REQUEST_BYTES = 6 * 1024 * 1024
# What a body can be once base64-encoded into the 6 MB request, leaving room for its headers.
LAMBDA_BODY_BYTES = 4_500_000
API_GATEWAY_SECONDS = 29


def serverless() -> bool:
    """Whether this server runs on Lambda (or says it will: SAS2_SERVERLESS=1)."""
    return bool(getattr(settings, "SERVERLESS", False))


def partnership_lambda_warnings(*, partnership: Partnership) -> list[str]:
    """Sentences on the settings of a partnership that could exceed Lambda's limits."""
    if not serverless():
        return []
    size = f"{LAMBDA_BODY_BYTES / 1_000_000:.1f} MB"
    warnings = [
        f"On Lambda a message either way can be at most about {size} (a synchronous request "
        f"carries {LAMBDA_REQUEST_BYTES // (1024 * 1024)} MB, binary bodies base64-encoded): "
        "exchange larger files from the one-machine deployment."
    ]
    if partnership.mdn_mode == MdnMode.SYNC:
        warnings.append(
            f"Sync MDN on Lambda: API Gateway waits {API_GATEWAY_SECONDS} s, so a large file "
            "the partner sends must be received, decrypted, stored and answered within that "
            "time, or the partner sees a timeout and sends again. For large files, ask the "
            "partner for async MDN."
        )
    if partnership.content_transfer_encoding == TransferEncoding.BASE64:
        warnings.append(
            "content_transfer_encoding base64 makes every message a third larger: binary "
            "keeps more room under Lambda's limit."
        )
    wait = settings.SEND_CONNECT_TIMEOUT_SECONDS + settings.SEND_TIMEOUT_SECONDS
    if partnership.mdn_mode == MdnMode.SYNC and wait > API_GATEWAY_SECONDS:
        warnings.append(
            f"Sending waits up to {wait:g} s for the partner's sync MDN "
            "(SAS2_SEND_CONNECT_TIMEOUT_SECONDS + SAS2_SEND_TIMEOUT_SECONDS), longer than a "
            f"request may last on Lambda ({API_GATEWAY_SECONDS} s; Send test message runs in "
            "the request) and than the function's timeout unless you raised it: lower them, "
            "or ask for async MDN."
        )
    return warnings
