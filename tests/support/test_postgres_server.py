"""Self-test for the throwaway PostgreSQL server and its fixtures."""

import os
import pwd
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support.postgres import (
    ENV_URL,
    SERVER_USER,
    PostgresServer,
)

pytestmark = pytest.mark.postgres
local_only = pytest.mark.skipif(bool(os.environ.get(ENV_URL)), reason=f"{ENV_URL} is set")


async def _fetchval(url: str, query: str) -> object:
    connection = await asyncpg.connect(url.replace("+asyncpg", "", 1))
    try:
        return await connection.fetchval(query)
    finally:
        await connection.close()


async def test_accepts_asyncpg_connections(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql+asyncpg://")
    assert await _fetchval(postgres_url, "select 1") == 1


async def test_url_works_with_sqlalchemy(postgres_url: str) -> None:
    engine = create_async_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            database = await connection.scalar(text("select current_database()"))
    finally:
        await engine.dispose()
    assert postgres_url.endswith(f"/{database}")


@pytest.mark.parametrize("attempt", [1, 2])
async def test_each_test_gets_a_fresh_database(postgres_url: str, attempt: int) -> None:
    # Both runs create the same table: the second would fail if the database were shared.
    connection = await asyncpg.connect(postgres_url.replace("+asyncpg", "", 1))
    try:
        tables = await connection.fetchval("select count(*) from pg_tables where tablename = 't'")
        assert tables == 0
        await connection.execute("create table t (id int)")
    finally:
        await connection.close()


@local_only
async def test_listens_only_on_loopback(postgres_url: str) -> None:
    assert await _fetchval(postgres_url, "show listen_addresses") == "127.0.0.1"
    assert postgres_url.startswith("postgresql+asyncpg://postgres@127.0.0.1:")


@local_only
async def test_runs_unprivileged(postgres_server: PostgresServer, postgres_url: str) -> None:
    data_dir = Path(str(await _fetchval(postgres_url, "show data_directory")))
    expected = SERVER_USER if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    assert pwd.getpwuid(data_dir.stat().st_uid).pw_name == expected


@local_only
def test_stop_removes_server_and_files(postgres_server: PostgresServer) -> None:
    # postgres_server is requested only for its skip/fail handling of missing binaries.
    server = PostgresServer()
    server.start()
    process, tempdir = server._process, server._tempdir
    assert process is not None and tempdir is not None and tempdir.is_dir()
    server.stop()
    assert process.poll() is not None
    assert not tempdir.exists()
