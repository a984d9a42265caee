"""Shared fixtures: a real PostgreSQL server, and the real bot app over HTTP."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.support.postgres import (  # noqa: F401
    postgres_databases,
    postgres_server,
    postgres_url,
)
from tests.support.teams import BotUnderTest, ListHandler, settings_for_tests, start_bot

LONG_TESTS_ENV = "RESONANZ_LONG_TESTS"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--long", action="store_true", default=False,
                     help=f"also run tests marked `long` (or set {LONG_TESTS_ENV}=1)")


def long_tests_wanted(config: pytest.Config) -> bool:
    flag = os.environ.get(LONG_TESTS_ENV, "").strip().lower()
    return bool(config.getoption("--long")) or flag not in ("", "0", "false", "no")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `long` (minutes, not seconds) are skipped unless asked for."""
    if long_tests_wanted(config):
        return
    skip = pytest.mark.skip(reason=f"long variant: run with --long or {LONG_TESTS_ENV}=1")
    for item in items:
        if item.get_closest_marker("long") is not None:
            item.add_marker(skip)


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
def bot_settings(tmp_path: Path) -> Settings:
    """The settings the `bot` fixture runs with; a test module overrides this fixture to run
    the bot with other settings."""
    return settings_for_tests(tmp_path)


@pytest.fixture
async def bot(bot_settings: Settings, log_lines: list[str]) -> AsyncIterator[BotUnderTest]:
    """The real app (CloudAdapter, SQLite) on 127.0.0.1, replies going to a local connector."""
    under_test, _ = await start_bot(bot_settings)
    under_test.log_lines = log_lines
    try:
        yield under_test
    finally:
        await under_test.client.close()
        await under_test.connector.stop()
