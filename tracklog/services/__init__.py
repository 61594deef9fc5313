"""Messaging services: receive (the AS2 endpoint), queue and deliver (sending), async MDNs."""

from tracklog.services.receive import EndpointAnswer, message_receive
from tracklog.services.send import (
    SendRefused,
    async_mdn_expire,
    mdn_apply,
    mdn_deliver,
    message_deliver,
    message_queue,
)

__all__ = [
    "EndpointAnswer",
    "SendRefused",
    "async_mdn_expire",
    "mdn_apply",
    "mdn_deliver",
    "message_deliver",
    "message_queue",
    "message_receive",
]
