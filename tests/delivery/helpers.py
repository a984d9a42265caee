"""Helpers for the delivery tests: addresses, a dead port, a predictable RNG, a spy transport."""

from __future__ import annotations

import random
import time
from typing import Any

from bot.delivery.transport import Address, ConnectorTransport
from devtools.local_connector import LocalConnector, free_port


async def no_token(service_url: str) -> str | None:
    """Anonymous mode: the transport must not send an Authorization header."""
    return None


def address_in(connector: LocalConnector, conversation_id: str = "conv-a") -> Address:
    return Address(connector.service_url, conversation_id, "28:resonanz")


def closed_port_url() -> str:
    """A loopback URL nobody listens on: connecting to it is refused."""
    return f"http://127.0.0.1:{free_port()}/"


class UpperBoundRandom(random.Random):
    """Always jitters to the top of the range, and remembers every range it was asked for."""

    def __init__(self) -> None:
        super().__init__(0)
        self.ranges: list[tuple[float, float]] = []

    def uniform(self, a: float, b: float) -> float:
        self.ranges.append((a, b))
        return b


class SpyTransport:
    """Wraps a transport and notes when each request started (the outbox's own clock)."""

    def __init__(self, inner: ConnectorTransport) -> None:
        self.inner = inner
        self.put_starts: list[float] = []

    async def post(self, address: Address, activity: dict[str, Any]) -> str | None:
        return await self.inner.post(address, activity)

    async def put(self, address: Address, activity_id: str, activity: dict[str, Any]) -> None:
        self.put_starts.append(time.monotonic())
        await self.inner.put(address, activity_id, activity)
