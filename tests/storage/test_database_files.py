"""The SQLite files themselves: private to the bot's user, and the write-ahead log emptied."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.database import checkpoint, create_engine, create_schema
from storage.repositories import Storage

FILES = ("", "-wal", "-shm")


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The usual umask (files readable by everyone unless the program says otherwise)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def write_something(storage: Storage) -> None:
    async with storage.unit_of_work() as uow:
        await uow.session.execute(text("INSERT INTO chat (conversation_id, service_url, "
                                       "tenant_id, bot_id) "
                                       "VALUES ('c1', 'https://example.invalid', '', '')"))
        await uow.commit()


async def test_a_fresh_database_and_its_log_are_private_to_the_bot(tmp_path: Path,
                                                                    permissive_umask: None):
    path = tmp_path / "fresh.db"
    storage = Storage(create_engine(f"sqlite:///{path}"))
    try:
        await create_schema(storage.engine)
        await write_something(storage)
        for suffix in FILES:
            assert mode(Path(f"{path}{suffix}")) == 0o600, suffix
    finally:
        await storage.close()


async def test_the_files_of_an_earlier_start_are_made_private(tmp_path: Path,
                                                              permissive_umask: None):
    path = tmp_path / "old.db"
    storage = Storage(create_engine(f"sqlite:///{path}"))
    await create_schema(storage.engine)
    await write_something(storage)
    for suffix in FILES:  # as an older version (or a copy) left them
        Path(f"{path}{suffix}").chmod(0o644)
    try:
        reopened = Storage(create_engine(f"sqlite:///{path}"))
        for suffix in FILES:
            assert mode(Path(f"{path}{suffix}")) == 0o600, suffix
        await reopened.close()
    finally:
        await storage.close()


async def test_a_checkpoint_empties_the_write_ahead_log(tmp_path: Path):
    path = tmp_path / "log.db"
    storage = Storage(create_engine(f"sqlite:///{path}"))
    try:
        await create_schema(storage.engine)
        await write_something(storage)
        wal = Path(f"{path}-wal")
        assert wal.stat().st_size > 0
        assert await checkpoint(storage.engine) is True
        assert wal.stat().st_size == 0
        async with storage.unit_of_work() as uow:  # and the data is in the database
            rows = (await uow.session.execute(text("SELECT conversation_id FROM chat"))).all()
        assert [r[0] for r in rows] == ["c1"]
    finally:
        await storage.close()


async def test_deleted_content_is_overwritten(tmp_path: Path):
    # Debian's SQLite is built with secure_delete on by default; others (python.org's, macOS)
    # are not: the engine switches it on either way.
    path = tmp_path / "deleted.db"
    storage = Storage(create_engine(f"sqlite:///{path}"))
    try:
        await create_schema(storage.engine)
        await write_something(storage)
        async with storage.unit_of_work() as uow:
            assert (await uow.session.execute(text("PRAGMA secure_delete"))).scalar() == 1
            await uow.session.execute(text("DELETE FROM chat"))
            await uow.commit()
        await checkpoint(storage.engine)
        assert b"example.invalid" not in path.read_bytes()
    finally:
        await storage.close()
