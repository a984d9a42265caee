"""Two "processes" in one test: two engines (own connection pools) on one PostgreSQL database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.database import create_engine, create_schema
from storage.repositories import Storage


@pytest.fixture
async def two_storages(postgres_url: str) -> AsyncIterator[tuple[Storage, Storage]]:
    """Storage of process A and of process B, sharing one fresh database."""
    first, second = Storage(create_engine(postgres_url)), Storage(create_engine(postgres_url))
    await create_schema(first.engine)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()
