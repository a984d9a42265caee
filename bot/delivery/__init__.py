"""Everything the bot sends to Teams passes through here: queue, throttle, coalescing, retries."""

from bot.delivery.outbox import Outbox, OutboxStats
from bot.delivery.throttle import DEFAULT_WINDOWS, SlidingWindows
from bot.delivery.transport import (
    Address,
    ConnectorTransport,
    DeliveryError,
    TransientDeliveryError,
    Transport,
    parse_retry_after,
)

__all__ = [
    "DEFAULT_WINDOWS",
    "Address",
    "ConnectorTransport",
    "DeliveryError",
    "Outbox",
    "OutboxStats",
    "SlidingWindows",
    "TransientDeliveryError",
    "Transport",
    "parse_retry_after",
]
