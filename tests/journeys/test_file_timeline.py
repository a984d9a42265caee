"""No timeline in the database files: a copy of the live SQLite files (database and write-ahead
log, taken while the bot runs) is replayed commit by commit. No commit may write a participation
key together with what it counts (a ballot, an anonymous question, an upvote): with the secret,
that key would name the voter or asker. No ballot's commit may write a time of the day, and a
question's commit writes times to the minute only (or its meeting's start).

The replay is faithful to what SQLite itself reads: the database as it was at the last
checkpoint (automatic checkpoints off during the meeting), plus the log's first k frames for
each commit frame k (a prefix of a valid log is valid: its checksums are cumulative), opened
with the sqlite3 module; each table's rows are compared between consecutive snapshots."""

from __future__ import annotations

import asyncio
import sqlite3
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import SERVICES
from bot.core.meetings import WRITE_AT_LEAST
from bot.housekeeping import scheduler
from storage.database import checkpoint
from tests.journeys.helpers import create_poll, texts_in
from tests.journeys.test_qna_journey import ask, post_board, question_ids, shared_card
from tests.support.teams import BotUnderTest, Participant, settings_for_tests, start_bot

WAL_HEADER = 32
FRAME_HEADER = 24
CONTENT = {"ballot", "question", "upvote"}  # what participation keys count
PARTICIPATION = "participation"


@dataclass
class Commit:
    number: int
    changed: dict[str, set[tuple[Any, ...]]] = field(default_factory=dict)  # rows new or gone
    added: dict[str, set[tuple[Any, ...]]] = field(default_factory=dict)  # rows new

    @property
    def tables(self) -> set[str]:
        return {name for name, rows in self.changed.items() if rows}


def commit_frames(wal: bytes) -> tuple[bytes, int, list[int]]:
    """The log's header, its page size, and for each commit the number of frames up to it."""
    magic, _version, page_size, _seq, salt1, salt2 = struct.unpack(">6I", wal[:24])
    assert magic in (0x377F0682, 0x377F0683), "not a write-ahead log"
    frame = FRAME_HEADER + page_size
    commits = []
    for index in range((len(wal) - WAL_HEADER) // frame):
        start = WAL_HEADER + index * frame
        _page, db_size, frame_salt1, frame_salt2 = struct.unpack(">4I", wal[start:start + 16])
        if (frame_salt1, frame_salt2) != (salt1, salt2):
            break  # frames of an earlier log, overwritten in part: SQLite stops here too
        if db_size:
            commits.append(index + 1)
    return wal[:WAL_HEADER], frame, commits


def tables_of(path: Path) -> dict[str, tuple[list[str], set[tuple[Any, ...]]]]:
    with sqlite3.connect(path) as connection:
        names = [row[0] for row in connection.execute(
            "select name from sqlite_master where type = 'table'")]
        found = {}
        for name in names:
            columns = [row[1] for row in connection.execute(f'pragma table_info("{name}")')]
            found[name] = (columns, set(connection.execute(f'select * from "{name}"')))
    connection.close()
    return found


def replay(base: bytes, wal: bytes, scratch: Path) -> tuple[list[Commit], dict[str, list[str]],
                                                           dict[str, set[tuple[Any, ...]]]]:
    """Every commit of the log, as the rows it changed; the columns of each table; the rows
    of the last snapshot."""
    header, frame, commits = commit_frames(wal)
    assert commits, "the log holds no commit"
    before: dict[str, set[tuple[Any, ...]]] = {}
    columns: dict[str, list[str]] = {}
    found = []
    for number, frames in enumerate([0, *commits]):
        folder = scratch / f"snapshot-{number}"
        folder.mkdir(parents=True)
        (folder / "copy.db").write_bytes(base)
        if frames:
            (folder / "copy.db-wal").write_bytes(
                header + wal[WAL_HEADER:WAL_HEADER + frames * frame])
        snapshot = tables_of(folder / "copy.db")
        rows = {name: table_rows for name, (_, table_rows) in snapshot.items()}
        columns |= {name: table_columns for name, (table_columns, _) in snapshot.items()}
        if number:
            commit = Commit(number)
            for name in rows.keys() | before.keys():
                now, then = rows.get(name, set()), before.get(name, set())
                commit.changed[name] = now ^ then
                commit.added[name] = now - then
            found.append(commit)
        before = rows
    return found, columns, before


def times_of_today(value: Any, today: datetime) -> bool:
    """A value a reader could take for a moment of the meeting's day: a date-time text, or
    seconds or milliseconds since 1970 within the day."""
    if isinstance(value, str):
        return today.strftime("%Y-%m-%d") in value
    if isinstance(value, int | float) and not isinstance(value, bool):
        start = today.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        return any(start <= value / scale < start + 86_400 for scale in (1, 1000))
    return False


@dataclass
class Meeting:
    commits: list[Commit]
    columns: dict[str, list[str]]
    last: dict[str, set[tuple[Any, ...]]]
    reached: int
    summary: list[str]


_CACHE: list[Meeting] = []


async def scripted_meeting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Meeting:
    """Votes trickling in (one changed), anonymous questions, upvotes; the files copied while
    the bot runs. Run once per test session (the two tests read the same replay)."""
    if _CACHE:
        return _CACHE[0]
    # No periodic checkpoint during the meeting: the log must keep every commit to replay.
    monkeypatch.setattr(scheduler, "CHECKPOINT_EVERY", timedelta(days=1))
    bot, _ = await start_bot(settings_for_tests(tmp_path))
    try:
        meeting = await _run(bot, tmp_path)
    finally:
        await bot.client.close()
        await bot.connector.stop()
    _CACHE.append(meeting)
    return meeting


async def _run(bot: BotUnderTest, tmp_path: Path) -> Meeting:
    services = bot.client.app[SERVICES]
    engine = services.storage.engine
    path = tmp_path / "resonanz.db"
    await asyncio.sleep(0.5)  # the timers' first round (with its checkpoint at start) is over

    def no_automatic_checkpoints(connection: Any) -> None:
        cursor = connection.connection.dbapi_connection.cursor()
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    async with engine.connect() as connection:  # the pool's one connection: it stays set
        await connection.run_sync(no_automatic_checkpoints)
    assert await checkpoint(engine)
    assert Path(f"{path}-wal").stat().st_size == 0
    base = path.read_bytes()

    poll_id, _ = await create_poll(bot, Participant.numbered(0), "poll Ship it? | Yes | No")
    voters = [Participant.numbered(n) for n in range(1, 9)]
    for number, voter in enumerate(voters):  # a trickle: each vote its own commit
        await bot.click(voter, "poll.vote", {"poll": poll_id, "rz_choice": str(number % 2)})
        await asyncio.sleep(0.3)
    await bot.click(voters[0], "poll.vote", {"poll": poll_id, "rz_choice": "1"})  # changed
    board_id, card_id = await post_board(bot, Participant.numbered(0))
    askers = [Participant.numbered(n) for n in range(20, 24)]
    for number, asker in enumerate(askers):
        await ask(bot, asker, board_id, f"Why does release {number} take so long?")
        await asyncio.sleep(0.3)
    await bot.settle()
    ids = list(question_ids(shared_card(bot, card_id)).values())
    for number, voter in enumerate(voters[1:6]):
        await bot.click(voter, "qna.upvote", {"board": board_id, "question": ids[number % 2]})
        await asyncio.sleep(0.3)
    await bot.settle()
    await asyncio.sleep(1.0)  # the timer writes the participation keys held
    wal = Path(f"{path}-wal").read_bytes()  # the copy a reader of the files would take

    before = len(bot.message_ids())
    assert await bot.say(Participant.numbered(0), "summary") == 201
    await bot.settle()
    summary = texts_in(shared_card(bot, bot.message_ids()[before]))

    commits, columns, last = replay(base, wal, tmp_path / "replay")
    reached = len(last.get(PARTICIPATION, set()))
    return Meeting(commits, columns, last, reached, summary)


def offences(meeting: Meeting, today: datetime) -> list[str]:
    """`table.column = value` for every time of today written in a ballot's commit."""
    found = []
    for commit in meeting.commits:
        if "ballot" not in commit.tables:
            continue
        for name, rows in commit.added.items():
            for row in rows:
                found += [f"commit {commit.number}: {name}.{column} = {value!r}"
                          for column, value in zip(meeting.columns[name], row, strict=True)
                          if times_of_today(value, today)]
    return found


async def test_no_commit_writes_a_participation_key_with_what_it_counts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    meeting = await scripted_meeting(tmp_path, monkeypatch)
    tables = [commit.tables for commit in meeting.commits]
    assert any("ballot" in t for t in tables) and any("question" in t for t in tables)
    assert any("upvote" in t for t in tables)
    assert any(PARTICIPATION in t for t in tables), "no participation key was written"
    linked = [f"commit {commit.number}: {sorted(commit.tables)}" for commit in meeting.commits
              if PARTICIPATION in commit.tables and commit.tables & CONTENT]
    assert not linked, linked
    # Keys are written several at a time, never one alone after the content it counts.
    assert all(len(commit.changed[PARTICIPATION]) >= WRITE_AT_LEAST for commit in meeting.commits
               if PARTICIPATION in commit.tables), [
        len(commit.changed[PARTICIPATION]) for commit in meeting.commits]
    # Everyone who voted, asked or upvoted is counted, and the summary says so.
    assert meeting.reached >= 12 - 2  # written by the time of the copy (the rest is held)
    assert "12 people · " in " ".join(meeting.summary), meeting.summary


async def test_no_ballot_commit_writes_a_time_of_the_day(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch):
    meeting = await scripted_meeting(tmp_path, monkeypatch)
    found = offences(meeting, datetime.now(UTC))
    assert not found, found


def _seconds(value: Any) -> tuple[int, int]:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else \
        datetime.fromtimestamp(value / (1000 if value > 1e11 else 1), UTC)
    return moment.second, moment.microsecond


async def test_a_question_commit_writes_times_to_the_minute_only(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch):
    meeting = await scripted_meeting(tmp_path, monkeypatch)
    today = datetime.now(UTC)
    asked = [(commit.number, dict(zip(meeting.columns["question"], row, strict=True)))
             for commit in meeting.commits for row in commit.added.get("question", ())]
    assert len(asked) == 4
    # A question in a meeting's first minute is kept at the meeting's start: no one's moment.
    place = meeting.columns["meeting"].index("started_at")
    starts = {row[place] for commit in meeting.commits for row in commit.added.get("meeting", ())}
    found = [f"commit {number}: question.{column} = {value!r}" for number, row in asked
             for column, value in row.items()
             if times_of_today(value, today) and _seconds(value) != (0, 0)
             and value not in starts]
    assert not found, found
    assert sorted(row["number"] for _, row in asked) == [1, 2, 3, 4]


async def test_the_people_counted_since_a_breakdown_cannot_be_joined_with_their_ballots(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Who voted since the card last moved is kept until it moves again; under the ballots' own
    keys, a copy would point at those ballots and their choices."""
    meeting = await scripted_meeting(tmp_path, monkeypatch)

    def ever(table: str, column: str) -> set[Any]:
        place = meeting.columns[table].index(column)
        return {row[place] for commit in meeting.commits
                for row in commit.added.get(table, ())}

    ballot_keys = ever("ballot", "voter_key")
    counted = ever("poll_disclosure_voter", "counting_key")
    assert len(ballot_keys) == 8 and counted
    assert not counted & ballot_keys
