"""The Q&A storage contract for groups of clicks (boards_by_id, questions_by_id, click_upvotes,
upvoted_by_each), run on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import event

from facilitation.qna import dismiss
from storage.qna_repository import UpvoteClick
from storage.repositories import Storage
from tests.storage.test_qna_contract import _add_board, _add_questions, _question, _upvote_rows

OTHER_CHAT = "19:other@thread.v2"
T = TypeVar("T")


@contextmanager
def statements(storage: Storage) -> Iterator[list[tuple[str, bool]]]:
    """(first word of the SQL, whether it ran for many rows) of every query or change sent
    meanwhile; transaction control (SQLite's BEGIN IMMEDIATE) is left out."""
    seen: list[tuple[str, bool]] = []

    def record(_conn: Any, _cursor: Any, sql: str, _params: Any, _context: Any,
               executemany: bool) -> None:
        word = sql.split(None, 1)[0].upper()
        if word not in ("BEGIN", "COMMIT", "ROLLBACK"):
            seen.append((word, executemany))

    event.listen(storage.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(storage.engine.sync_engine, "before_cursor_execute", record)


async def _click(storage: Storage, *clicks: UpvoteClick) -> list[bool]:
    async with storage.unit_of_work() as uow:
        outcomes = await uow.qna.click_upvotes(list(clicks))
        await uow.commit()
    return outcomes


# ---------------------------------------------------------------------------- reading in groups


async def _in_one_query(storage: Storage, read: Awaitable[T]) -> T:
    with statements(storage) as sent:
        found = await read
    assert [word for word, _ in sent] == ["SELECT"]
    return found


async def test_boards_and_questions_that_exist_are_read_by_id_in_one_query_each(storage):
    first = await _add_board(storage, "b1")
    second = await _add_board(storage, "b2", chat=OTHER_CHAT)
    named, other = _question("q1", author="Anna"), _question("x1", "b2", minutes=3)
    named, _, other = await _add_questions(storage, named, _question("q2"), other)
    async with storage.unit_of_work() as uow:
        assert await _in_one_query(storage, uow.qna.boards_by_id(["b2", "nope", "b1", "b1"])) \
            == {"b1": first, "b2": second}
        assert await _in_one_query(storage, uow.qna.questions_by_id(["q1", "x1", "gone"])) \
            == {"q1": named, "x1": other}
        assert await uow.qna.boards_by_id([]) == {}
        assert await uow.qna.questions_by_id([]) == {}


async def test_upvoted_by_each_gives_every_key_its_own_questions_of_the_board(storage):
    await _add_board(storage, "b1")
    await _add_board(storage, "b2", chat=OTHER_CHAT)
    await _add_questions(storage, _question("q1"), _question("q2"), _question("x1", "b2"))
    await _click(storage, UpvoteClick("q1", "ann"), UpvoteClick("q2", "ann"),
                 UpvoteClick("q2", "bob"), UpvoteClick("x1", "bob"), UpvoteClick("x1", "cy"))
    async with storage.unit_of_work() as uow:
        mine = await _in_one_query(storage, uow.qna.upvoted_by_each(
            "b1", ["ann", "bob", "cy", "nobody"]))
        assert mine == {"ann": {"q1", "q2"}, "bob": {"q2"}, "cy": set(), "nobody": set()}
        assert await uow.qna.upvoted_by_each("b2", ["bob"]) == {"bob": {"x1"}}
        assert await uow.qna.upvoted_by_each("b1", []) == {}


# ---------------------------------------------------------------------------- clicking in groups


async def test_clicks_apply_in_order_and_the_same_key_clicking_twice_toggles_twice(storage):
    await _add_board(storage)
    await _add_questions(storage, _question("q1"), _question("q2"))
    await _click(storage, UpvoteClick("q1", "was-up"), UpvoteClick("q2", "was-up"))
    outcomes = await _click(
        storage,
        UpvoteClick("q1", "new"),        # adds
        UpvoteClick("q1", "was-up"),     # takes back
        UpvoteClick("q1", "twice"),      # adds ...
        UpvoteClick("q1", "twice"),      # ... and takes back
        UpvoteClick("q2", "thrice"), UpvoteClick("q2", "thrice"), UpvoteClick("q2", "thrice"),
        UpvoteClick("q1", "was-up"),     # adds again after taking back
    )
    assert outcomes == [True, False, True, False, True, False, True, True]
    assert await _upvote_rows(storage) == [("q1", "new"), ("q1", "was-up"), ("q2", "thrice"),
                                           ("q2", "was-up")]


async def test_an_add_click_only_ever_adds(storage):
    await _add_board(storage)
    await _add_questions(storage, _question("q1"))
    await _click(storage, UpvoteClick("q1", "was-up"))
    outcomes = await _click(storage, UpvoteClick("q1", "was-up", add=True),
                            UpvoteClick("q1", "new", add=True),
                            UpvoteClick("q1", "new", add=True),
                            UpvoteClick("q1", "new"),  # a plain click after that takes it back
                            UpvoteClick("q1", "new", add=True))
    assert outcomes == [True, True, True, False, True]
    assert await _upvote_rows(storage) == [("q1", "new"), ("q1", "was-up")]


async def test_a_group_is_one_read_then_one_delete_and_one_insert_for_many_rows(storage):
    await _add_board(storage)
    await _add_questions(storage, _question("q1"), _question("q2"))
    await _click(storage, *(UpvoteClick("q1", f"old-{i:02d}") for i in range(20)))
    clicks = [UpvoteClick("q1", f"old-{i:02d}") for i in range(0, 20, 2)]  # ten take back
    clicks += [UpvoteClick(f"q{1 + i % 2}", f"new-{i:02d}") for i in range(30)]
    async with storage.unit_of_work() as uow:
        with statements(storage) as sent:
            outcomes = await uow.qna.click_upvotes(clicks)
        await uow.commit()
    assert outcomes == [False] * 10 + [True] * 30
    assert [word for word, _ in sent] == ["SELECT", "DELETE", "INSERT"]
    assert sent[1][1], "the DELETE should run for many rows at once (executemany)"
    async with storage.unit_of_work() as uow:
        assert await uow.qna.votes("b1") == {"q1": 10 + 15, "q2": 15}


async def test_clicks_that_change_nothing_write_nothing(storage):
    await _add_board(storage)
    await _add_questions(storage, _question("q1"))
    await _click(storage, UpvoteClick("q1", "up"))
    async with storage.unit_of_work() as uow:
        with statements(storage) as sent:
            outcomes = await uow.qna.click_upvotes([
                UpvoteClick("q1", "up", add=True), UpvoteClick("q1", "back-and-forth"),
                UpvoteClick("q1", "back-and-forth")])
            assert await uow.qna.click_upvotes([]) == []
        await uow.commit()
    assert outcomes == [True, True, False]
    assert [word for word, _ in sent] == ["SELECT"]
    assert await _upvote_rows(storage) == [("q1", "up")]


async def test_clicks_of_one_group_span_questions_of_several_boards(storage):
    await _add_board(storage, "b1")
    await _add_board(storage, "b2", chat=OTHER_CHAT)
    await _add_questions(storage, _question("q1"), _question("x1", "b2"))
    # The same key on two questions: each pair is its own upvote.
    assert await _click(storage, UpvoteClick("q1", "k"), UpvoteClick("x1", "k"),
                        UpvoteClick("x1", "j")) == [True, True, True]
    assert await _click(storage, UpvoteClick("x1", "k"), UpvoteClick("q1", "j")) == [False, True]
    async with storage.unit_of_work() as uow:
        assert await uow.qna.votes("b1") == {"q1": 2}
        assert await uow.qna.votes("b2") == {"x1": 1}


async def test_clicks_not_committed_are_rolled_back(storage):
    await _add_board(storage)
    await _add_questions(storage, _question("q1"))
    await _click(storage, UpvoteClick("q1", "stays"))
    async with storage.unit_of_work() as uow:
        await uow.qna.click_upvotes([UpvoteClick("q1", "stays"), UpvoteClick("q1", "never")])
    assert await _upvote_rows(storage) == [("q1", "stays")]


async def test_concurrent_groups_are_neither_lost_nor_doubled(storage):
    await _add_board(storage)
    await _add_questions(storage, _question("q1"), _question("q2"))

    async def group(number: int) -> list[bool]:
        # Each group: 25 people of its own, and five people who are in every group ("add").
        return await _click(storage, *(UpvoteClick(f"q{1 + i % 2}", f"g{number}-{i}")
                                       for i in range(25)),
                            *(UpvoteClick("q1", f"everywhere-{i}", add=True) for i in range(5)))

    outcomes = await asyncio.gather(*(group(n) for n in range(8)))
    assert all(outcome == [True] * 30 for outcome in outcomes)
    async with storage.unit_of_work() as uow:
        assert await uow.qna.votes("b1") == {"q1": 8 * 13 + 5, "q2": 8 * 12}


async def test_the_single_click_methods_behave_as_a_group_of_one(storage):
    await _add_board(storage)
    await _add_questions(storage, _question("q1"))
    async with storage.unit_of_work() as uow:
        await uow.qna.upvote("q1", "a")
        await uow.qna.upvote("q1", "a")  # a repeat changes nothing
        assert await uow.qna.toggle_upvote("q1", "a") is False
        assert await uow.qna.toggle_upvote("q1", "b") is True
        await uow.qna.save_question(dismiss(_question("q1")))  # storage does not judge status
        assert await uow.qna.click_upvotes([UpvoteClick("q1", "a", add=True)]) == [True]
        await uow.commit()
    assert await _upvote_rows(storage) == [("q1", "a"), ("q1", "b")]
