"""Fixtures for the delivery tests: a running LocalConnector and an unauthenticated transport."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.delivery.transport import ConnectorTransport
from devtools.local_connector import LocalConnector
from tests.delivery.helpers import no_token


@pytest.fixture
async def connector() -> AsyncIterator[LocalConnector]:
    async with LocalConnector() as running:
        yield running


@pytest.fixture
async def transport() -> AsyncIterator[ConnectorTransport]:
    wire = ConnectorTransport(token_provider=no_token)
    yield wire
    await wire.close()
