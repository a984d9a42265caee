"""Shared fixtures: a real PostgreSQL server, and the real bot app over HTTP."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.postgres import postgres_server, postgres_url  # noqa: F401
from tests.support.teams import BotUnderTest, ListHandler, settings_for_tests, start_bot


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    """Every log line of every logger, at DEBUG, while the test runs."""
    lines: list[str] = []
    handler = ListHandler(lines)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lines
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.fixture
async def bot(tmp_path: Path, log_lines: list[str]) -> AsyncIterator[BotUnderTest]:
    """The real app (CloudAdapter, SQLite) on 127.0.0.1, replies going to a local connector."""
    under_test, _ = await start_bot(settings_for_tests(tmp_path))
    under_test.log_lines = log_lines
    try:
        yield under_test
    finally:
        await under_test.client.close()
        await under_test.connector.stop()
