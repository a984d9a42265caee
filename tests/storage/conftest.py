"""The storage tests' fixtures: every test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from itertools import count
from pathlib import Path

import pytest

from storage.database import create_engine, create_schema
from storage.repositories import Storage


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Makes empty databases for this test, as many as it asks for: SQLite files, or databases
    on the session's PostgreSQL server."""
    if request.param == "postgres":
        databases: Callable[[], str] = request.getfixturevalue("postgres_databases")
        return databases
    numbers = count(1)
    return lambda: f"sqlite:///{tmp_path / f'database-{next(numbers)}.db'}"


@pytest.fixture
async def storage(new_database: Callable[[], str]) -> AsyncIterator[Storage]:
    engine = create_engine(new_database())
    await create_schema(engine)
    store = Storage(engine)
    try:
        yield store
    finally:
        await store.close()
