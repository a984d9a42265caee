"""Schema migrations on SQLite and PostgreSQL: the first revision is the schema Resonanz made
before it had migrations, every revision upgrades a populated database of the one before, the
migrations and the models agree, and a database made before migrations is adopted."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from asyncio.subprocess import PIPE
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Connection, MetaData, String, Table, inspect, select, text
from sqlmodel import SQLModel

from storage.database import create_engine, create_schema
from storage.migrations import (
    FIRST_REVISION,
    SchemaError,
    alembic_config,
    differences,
    first_tables,
)
from tests.storage.schema import (
    VERSION_TABLE,
    build_at,
    build_before_migrations,
    build_from_models,
    catalogue,
    on_database,
    revision_of,
    sqlite_master,
)
from tests.support.teams import settings_for_tests, start_bot

SCRIPT = ScriptDirectory.from_config(alembic_config())
REVISIONS = [script.revision for script in reversed(list(SCRIPT.walk_revisions()))]
HEAD = REVISIONS[-1]
ROOT = Path(__file__).resolve().parents[2]
ROWS_PER_TABLE = 2
# Columns the rows written below take from another table's row of the same number, where the
# product relates tables without a foreign key: presence is of its chat's meeting (0002 keeps
# presence rows by that).
RELATED = {("presence", "meeting_id"): ("chat", "meeting_id")}
# Tables a revision empties on purpose (its docstring says why), by table: that revision.
EMPTIED = {"poll_disclosure_voter": "0005"}


async def start(url: str) -> None:
    """What `resonanz serve` (and the CLI) do with the database first."""
    engine = create_engine(url)
    try:
        await create_schema(engine)
    finally:
        await engine.dispose()


def test_the_revisions_form_one_line_numbered_in_order():
    assert SCRIPT.get_heads() == [HEAD]
    assert REVISIONS[0] == FIRST_REVISION
    for number, revision in enumerate(REVISIONS, start=1):
        script = SCRIPT.get_revision(revision)
        assert revision == f"{number:04d}"
        assert script.down_revision == (REVISIONS[number - 2] if number > 1 else None)
        assert Path(script.path).name.startswith(f"{revision}_")


# ------------------------------------------------------------------ the schema, exactly


async def test_the_first_revision_is_the_schema_made_before_migrations(new_database):
    before, first = new_database(), new_database()
    await build_before_migrations(before)
    await build_at(first, FIRST_REVISION)
    assert await on_database(first, catalogue) == await on_database(before, catalogue)
    if before.startswith("sqlite"):
        master = await on_database(before, sqlite_master)
        assert await on_database(first, sqlite_master) == master
        assert sum("WITHOUT ROWID" in (sql or "") for sql in master.values()) == 4


async def test_the_migrations_make_the_schema_the_models_describe(new_database):
    models, migrated = new_database(), new_database()
    await build_from_models(models)
    await build_at(migrated, "head")
    expected = await on_database(models, lambda c: catalogue(c, column_order=False))
    assert await on_database(migrated, lambda c: catalogue(c, column_order=False)) == expected
    assert await on_database(migrated, _differences_from_models) == []


def _differences_from_models(connection: Connection) -> list[str]:
    return differences(connection, SQLModel.metadata)


async def test_a_table_changed_without_a_migration_is_noticed(new_database):
    url = new_database()
    await build_at(url, "head")
    changed = _models_with(lambda metadata: metadata.tables["poll"].append_column(
        Column("added_without_a_migration", String(16))))
    found = await on_database(url, lambda connection: differences(connection, changed))
    assert found == ["add_column poll added_without_a_migration"]


async def test_a_ballot_table_with_row_numbers_is_noticed_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'rowid.db'}"
    await build_at(url, "head")
    changed = _models_with(lambda metadata: metadata.tables["ballot"].dialect_options["sqlite"]
                           .__setitem__("with_rowid", True))
    found = await on_database(url, lambda connection: differences(connection, changed))
    assert found == ["table ballot is WITHOUT ROWID, expected with ROWID"]


def _models_with(change: Callable[[MetaData], None]) -> MetaData:
    copy = MetaData()
    for table in SQLModel.metadata.sorted_tables:
        table.to_metadata(copy)
    change(copy)
    return copy


# ------------------------------------------------------------------------- upgrades


@pytest.mark.parametrize("revision", REVISIONS)
async def test_each_revision_upgrades_a_populated_database_of_the_one_before(
        new_database, revision, tmp_path, monkeypatch):
    """For the first revision, "the one before" is a database made before migrations."""
    url = new_database()
    previous = SCRIPT.get_revision(revision).down_revision
    if previous is None:
        await build_before_migrations(url)
    else:
        await build_at(url, str(previous))
    written = await on_database(url, _write_rows, commit=True)
    monkeypatch.chdir(tmp_path)  # Alembic must find the revisions from any directory
    await start(url)
    assert await on_database(url, revision_of) == [HEAD]
    after = await on_database(url, _read_rows)
    for table, rows in written.items():
        assert len(rows) == ROWS_PER_TABLE
        if table in EMPTIED and REVISIONS.index(revision) <= REVISIONS.index(EMPTIED[table]):
            assert after[table] == [], table  # emptied on the way up
            continue
        assert _common(after[table], rows) == _common(rows, after[table]), table
    assert await on_database(url, _differences_from_models) == []


def _common(rows: list[dict[str, Any]], other: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with only the columns `other` has too (a revision may add or drop some)."""
    names = set(other[0]) if other else set()
    return [{name: value for name, value in row.items() if name in names} for row in rows]


def _write_rows(connection: Connection) -> dict[str, list[dict[str, Any]]]:
    """Rows in every table of the schema as it is (read from the database), then read back."""
    schema = MetaData()
    schema.reflect(connection)
    values: dict[str, list[dict[str, Any]]] = {}
    for table in schema.sorted_tables:
        if table.name == VERSION_TABLE:
            continue
        values[table.name] = [_row(table, number, values) for number in range(ROWS_PER_TABLE)]
        connection.execute(table.insert(), values[table.name])
    return _read_rows(connection)


def _row(table: Table, number: int, written: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in table.columns:
        target = next(iter(column.foreign_keys), None)
        if target is not None:
            row[column.name] = written[target.column.table.name][number][target.column.name]
            continue
        if (table.name, column.name) in RELATED:
            other, name = RELATED[table.name, column.name]
            row[column.name] = written[other][number][name]
            continue
        kind = column.type.python_type
        if kind is str:
            row[column.name] = f"{number}-{table.name}-{column.name}"[:column.type.length]
        elif kind is bool:
            row[column.name] = number % 2 == 0
        elif kind is datetime:
            row[column.name] = datetime(2026, 11, 25, 9, 30, tzinfo=UTC) + timedelta(days=number)
        else:
            row[column.name] = kind(number + 1) + (0.5 if kind is float else 0)
    return row


def _read_rows(connection: Connection) -> dict[str, list[dict[str, Any]]]:
    schema = MetaData()
    schema.reflect(connection)
    return {table.name: [dict(row) for row in connection.execute(
        select(table).order_by(*table.primary_key.columns)).mappings()]
        for table in schema.sorted_tables if table.name != VERSION_TABLE}


# ----------------------------------------------------------- 0002: presence by chat

PRESENCE_PERSON = ("member_id", "name", "aad_object_id", "present")


def _chats_and_presence(chats: dict[str, str | None],
                        presence: list[dict[str, Any]]) -> Callable[[Connection], None]:
    def write(connection: Connection) -> None:
        for conversation, meeting in chats.items():
            connection.execute(text(
                "INSERT INTO chat (conversation_id, service_url, tenant_id, bot_id, meeting_id) "
                "VALUES (:conversation, 'http://127.0.0.1:9/', 'tenant', '28:bot', :meeting)"),
                {"conversation": conversation, "meeting": meeting})
        for row in presence:
            names = ", ".join(row)
            values = ", ".join(f":{name}" for name in row)
            connection.execute(text(f"INSERT INTO presence ({names}) VALUES ({values})"), row)
    return write


def _presence_rows(connection: Connection) -> list[tuple[Any, ...]]:
    columns = [column["name"] for column in inspect(connection).get_columns("presence")]
    return [tuple(row) for row in connection.execute(text(
        f"SELECT {', '.join(columns)} FROM presence ORDER BY {', '.join(columns)}"))]


def _person(meeting: str, member: str, **more: Any) -> dict[str, Any]:
    return {"meeting_id": meeting, "member_id": member, "name": f"Name {member}",
            "aad_object_id": None, "present": True, **more}


async def test_0002_keeps_presence_under_the_one_chat_of_its_meeting(new_database):
    """A meeting running during the upgrade keeps its list, under its chat; a meeting id that
    several chats claim, or none, loses its rows (whose they were is not known)."""
    url = new_database()
    await build_at(url, "0001")
    await on_database(url, _chats_and_presence(
        {"19:a": "M1", "19:b": "M2", "19:c": "M2", "19:d": None},
        [_person("M1", "29:x"), _person("M1", "29:y", present=False),
         _person("M2", "29:z"), _person("M3", "29:w")]), commit=True)
    await start(url)
    assert await on_database(url, revision_of) == [HEAD]
    assert await on_database(url, _presence_rows) == [
        ("19:a", "M1", "29:x", "Name 29:x", None, True),
        ("19:a", "M1", "29:y", "Name 29:y", None, False)]


async def test_0002_undone_keeps_one_row_per_person_and_meeting(new_database):
    url, first = new_database(), new_database()
    await build_at(url, "0002")
    await on_database(url, _chats_and_presence({"19:a": "M1", "19:b": "M1"}, [
        _person("M1", "29:x", conversation_id="19:a"),
        _person("M1", "29:x", conversation_id="19:b", present=False),
        _person("M1", "29:y", conversation_id="19:b")]), commit=True)
    await on_database(url, lambda connection: command.downgrade(alembic_config(connection),
                                                                "0001"), commit=True)
    await build_at(first, "0001")
    assert await on_database(url, catalogue) == await on_database(first, catalogue)
    assert await on_database(url, _presence_rows) == [
        ("M1", "29:x", "Name 29:x", None, True), ("M1", "29:y", "Name 29:y", None, True)]


# ------------------------------------------------ 0004: question times to the minute


def _boards_and_questions(connection: Connection) -> None:
    connection.execute(text(
        "INSERT INTO chat (conversation_id, service_url, tenant_id, bot_id) "
        "VALUES ('19:a', 'http://127.0.0.1:9/', 'tenant', '28:bot')"))
    for board in ("b1", "b2"):
        connection.execute(text(
            "INSERT INTO qna_board (id, conversation_id, creator_key, locale, mode, created_at) "
            "VALUES (:board, :chat, 'k', 'en', 'open', :at)"),
            {"board": board, "chat": f"19:{board}" if board == "b2" else "19:a",
             "at": datetime(2026, 11, 25, 9, 0, tzinfo=UTC)})
    connection.execute(text(
        "INSERT INTO meeting (id, conversation_id, title, started_at, purged) "
        "VALUES ('m1', '19:a', '', :at, false)"),
        {"at": datetime(2026, 11, 25, 9, 30, 5, tzinfo=UTC)})  # b1's meeting began at 9:30:05
    asked = datetime(2026, 11, 25, 9, 30, 17, 123456, tzinfo=UTC)
    for question, board, after in (("q-z", "b1", 0), ("q-a", "b1", 2), ("q-m", "b1", 1),
                                   ("q-x", "b2", 5)):
        connection.execute(text(
            "INSERT INTO question (id, board_id, text, status, asked_at) "
            "VALUES (:id, :board, 'Why?', 'open', :at)"),
            {"id": question, "board": board, "at": asked + timedelta(seconds=after)})


def _question_rows(connection: Connection) -> list[tuple[Any, ...]]:
    return [(row.id, row.board_id, row.number, row.asked_at) for row in connection.execute(
        text("SELECT id, board_id, number, asked_at FROM question ORDER BY id"))]


async def test_0004_numbers_each_boards_questions_and_cuts_their_times_within_their_meeting(
        new_database):
    url = new_database()
    await build_at(url, "0003")
    await on_database(url, _chats_and_presence({"19:b2": None}, []), commit=True)
    await on_database(url, _boards_and_questions, commit=True)
    await start(url)
    rows = await on_database(url, _question_rows)
    assert [row[:3] for row in rows] == [("q-a", "b1", 3), ("q-m", "b1", 2), ("q-x", "b2", 1),
                                         ("q-z", "b1", 1)]
    moments = {row[0]: _as_utc(row[3]) for row in rows}
    # To the minute, but not before the meeting they were asked in (b2's chat has none).
    assert moments == {"q-a": datetime(2026, 11, 25, 9, 30, 5, tzinfo=UTC),
                       "q-m": datetime(2026, 11, 25, 9, 30, 5, tzinfo=UTC),
                       "q-x": datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
                       "q-z": datetime(2026, 11, 25, 9, 30, 5, tzinfo=UTC)}


def _as_utc(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# ------------------------------------------------------- adoption and refusals


async def test_a_database_made_before_migrations_is_adopted_once(new_database, log_lines):
    url = new_database()
    await build_before_migrations(url)
    before = await on_database(url, catalogue)
    await start(url)
    assert await on_database(url, revision_of) == [HEAD]
    assert any("adopted as that revision" in line for line in log_lines)
    if HEAD == FIRST_REVISION:
        assert await on_database(url, catalogue) == before  # stamped, not recreated
    log_lines.clear()
    await start(url)
    assert not any("adopted" in line or "upgraded" in line for line in log_lines)


@pytest.mark.parametrize("change", [
    "ALTER TABLE ballot DROP COLUMN voter_name",
    "DROP INDEX ix_poll_status",
    "DROP TABLE timer_run",
])
async def test_a_database_that_is_not_the_first_revision_is_refused_unchanged(new_database,
                                                                            change):
    url = new_database()
    await build_before_migrations(url)
    await on_database(url, lambda connection: connection.exec_driver_sql(change), commit=True)
    before = await on_database(url, catalogue)
    with pytest.raises(SchemaError, match="differ from the first revision") as refused:
        await start(url)
    assert change.split()[-1] in str(refused.value)
    assert await on_database(url, catalogue) == before
    assert await on_database(url, revision_of) == []


async def test_ballots_with_row_numbers_are_refused_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'rowid.db'}"
    await build_before_migrations(url)

    def with_row_numbers(connection: Connection) -> None:
        connection.exec_driver_sql("DROP TABLE ballot")
        create = first_tables().tables["ballot"]
        create.dialect_options["sqlite"]["with_rowid"] = True
        create.create(connection)

    await on_database(url, with_row_numbers, commit=True)
    with pytest.raises(SchemaError, match="ballot is with ROWID"):
        await start(url)
    assert await on_database(url, revision_of) == []


async def test_other_tables_in_the_database_do_not_stop_the_adoption(new_database):
    url = new_database()
    await build_before_migrations(url)
    await on_database(url, lambda connection: connection.exec_driver_sql(
        "CREATE TABLE operator_notes (note VARCHAR(100))"), commit=True)
    await start(url)
    assert await on_database(url, revision_of) == [HEAD]


async def test_a_database_a_newer_version_upgraded_is_refused_unchanged(new_database):
    url = new_database()
    await build_at(url, "head")
    await on_database(url, lambda connection: connection.execute(
        text("UPDATE alembic_version SET version_num = '9999'")), commit=True)
    before = await on_database(url, catalogue)
    with pytest.raises(SchemaError, match="revision 9999, which this version"):
        await start(url)
    assert await on_database(url, catalogue) == before


_INSTANCE = """
import asyncio, sys
from storage.database import create_engine, create_schema

async def start(url):
    engine = create_engine(url)
    try:
        await create_schema(engine)
    finally:
        await engine.dispose()

print("ready", flush=True)
sys.stdin.readline()
asyncio.run(start(sys.argv[1]))
"""


@pytest.mark.postgres
@pytest.mark.parametrize("made_before_migrations", [False, True])
async def test_instances_starting_together_upgrade_one_at_a_time_on_postgresql(
        postgres_url, made_before_migrations):
    """Separate processes, as instances are, released at the same moment once loaded."""
    if made_before_migrations:
        await build_before_migrations(postgres_url)
    instances = [await asyncio.create_subprocess_exec(
        sys.executable, "-c", _INSTANCE, postgres_url, cwd=ROOT, stdin=PIPE, stdout=PIPE,
        stderr=PIPE) for _ in range(3)]
    for instance in instances:
        assert await asyncio.wait_for(instance.stdout.readline(), 60) == b"ready\n"
    for instance in instances:
        instance.stdin.write(b"go\n")
    outcomes = await asyncio.wait_for(asyncio.gather(
        *(instance.communicate() for instance in instances)), 60)
    failures = [error.decode() for _, error in outcomes if b"Traceback" in error]
    assert not failures
    assert [instance.returncode for instance in instances] == [0, 0, 0]
    assert await on_database(postgres_url, revision_of) == [HEAD]
    assert await on_database(postgres_url, _differences_from_models) == []


async def test_upgrades_started_together_in_one_process_wait_for_each_other(tmp_path):
    """Alembic keeps the running migration in module globals; overlapping upgrades of two
    databases in one process would run each other's steps."""
    urls = [f"sqlite:///{tmp_path / f'{number}.db'}" for number in range(3)]
    await asyncio.wait_for(asyncio.gather(*(start(url) for url in urls)), 60)
    for url in urls:
        assert await on_database(url, revision_of) == [HEAD]


# ------------------------------------------------------------ through the product's doors


async def test_the_bot_adopts_a_database_made_before_migrations_when_it_starts(tmp_path):
    settings = settings_for_tests(tmp_path)
    await build_before_migrations(settings.database_url)
    written = await on_database(settings.database_url, _write_rows, commit=True)
    bot, _ = await start_bot(settings)
    try:
        health = await bot.client.get("/healthz")
        assert health.status == 200
    finally:
        await bot.client.close()
        await bot.connector.stop()
    assert await on_database(settings.database_url, revision_of) == [HEAD]
    after = await on_database(settings.database_url, _read_rows)
    for table, rows in written.items():  # columns dropped since are not compared
        assert _common(after[table], rows) == _common(rows, after[table]), table
    assert all(not after[table] for table in set(after) - set(written))  # tables added since


@pytest.mark.parametrize("command", [["export", "--meeting", "M1"], ["serve"]],
                         ids=["export", "serve"])
async def test_the_cli_refuses_a_database_a_newer_version_upgraded_in_plain_words(tmp_path,
                                                                                command):
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    await build_at(url, "head")
    await on_database(url, lambda connection: connection.execute(
        text("UPDATE alembic_version SET version_num = '9999'")), commit=True)
    env = {**os.environ, "DATABASE_URL": url, "RESONANZ_SECRET": "not-needed-here",
           "PORT": "0", "HOST": "127.0.0.1"}
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot.cli", *command], env=env, cwd=tmp_path,
        capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert "resonanz: the database is at schema revision 9999" in result.stderr
    assert "Traceback" not in result.stderr
