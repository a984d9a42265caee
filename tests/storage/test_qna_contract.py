"""The Q&A storage contract (storage.qna_repository), run on SQLite and on a real PostgreSQL
server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, inspect, select, text

from facilitation.qna import (
    Board,
    BoardMode,
    Question,
    QuestionStatus,
    ask,
    dismiss,
    mark_answered,
    merge,
)
from storage.qna_repository import StoredBoard
from storage.repositories import Chat, Storage
from storage.tables import UpvoteRow
from tests.storage.waiting import wait_until_blocked

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
CHAT = "19:qna@thread.v2"



def _board(board_id: str = "b1", *, chat: str = CHAT, mode: BoardMode = BoardMode.OPEN,
           created_at: datetime = NOW) -> StoredBoard:
    return StoredBoard(Board(id=board_id, mode=mode, created_at=created_at), chat,
                       creator_key="c" * 64, locale="de", meeting_id="MCMx")


async def _add_board(storage: Storage, board_id: str = "b1", *, chat: str = CHAT,
                     mode: BoardMode = BoardMode.OPEN,
                     created_at: datetime = NOW) -> StoredBoard:
    stored = _board(board_id, chat=chat, mode=mode, created_at=created_at)
    async with storage.unit_of_work() as uow:
        await uow.chats.remember(Chat(chat, "http://127.0.0.1:9/", "tenant", "28:bot", "MCMx"))
        await uow.qna.add_board(stored)
        await uow.commit()
    return stored


async def _add_questions(storage: Storage, *questions: Question) -> list[Question]:
    """The questions stored in this order, as they came back (with their places)."""
    async with storage.unit_of_work() as uow:
        stored = [await uow.qna.add_question(question) for question in questions]
        await uow.commit()
    return stored


def _question(question_id: str, board_id: str = "b1", *, minutes: float = 0,
              author: str | None = None) -> Question:
    board = Board(id=board_id, mode=BoardMode.OPEN, created_at=NOW)
    return ask(board, f"Question {question_id}?", question_id=question_id,
               now=NOW + timedelta(minutes=minutes), author=author)


async def _upvote_rows(storage: Storage, question_id: str | None = None) -> list[tuple[str, str]]:
    async with storage.unit_of_work() as uow:
        statement = select(UpvoteRow.question_id, UpvoteRow.voter_key)
        if question_id is not None:
            statement = statement.where(UpvoteRow.question_id == question_id)
        rows = await uow.session.execute(statement.order_by(UpvoteRow.question_id,
                                                            UpvoteRow.voter_key))
        return [tuple(row) for row in rows.all()]


# ---------------------------------------------------------------------------- boards


async def test_a_board_comes_back_as_it_was_stored_with_aware_utc_times(storage):
    berlin = timezone(timedelta(hours=1))
    stored = await _add_board(storage, created_at=datetime(2026, 11, 25, 10, 0, 0, 123456,
                                                           tzinfo=berlin))
    async with storage.unit_of_work() as uow:
        by_id = await uow.qna.board("b1")
        by_chat = await uow.qna.board_in(CHAT)
    assert by_id == by_chat == stored
    assert by_id.board.created_at == NOW.replace(microsecond=123456)
    assert by_id.board.created_at.utcoffset() == timedelta(0)
    assert (by_id.locale, by_id.meeting_id, by_id.creator_key) == ("de", "MCMx", "c" * 64)
    assert by_id.card_activity_id is None


async def test_unknown_boards_are_none(storage):
    await _add_board(storage)
    async with storage.unit_of_work() as uow:
        assert await uow.qna.board("nope") is None
        assert await uow.qna.board_in("19:other@thread.v2") is None


async def test_a_chat_has_at_most_one_board_and_adding_another_gives_back_the_first(storage):
    first = await _add_board(storage, "b1")
    async with storage.unit_of_work() as uow:
        again = await uow.qna.add_board(_board("b2", mode=BoardMode.REVIEWED))
        await uow.commit()
    assert again == first
    async with storage.unit_of_work() as uow:
        assert await uow.qna.board_in(CHAT) == first
        assert await uow.qna.board("b2") is None


async def test_two_boards_added_to_one_chat_at_the_same_moment_become_one(storage):
    """Two people open a chat's first board at once: the second waits and gets the first's."""
    async with storage.unit_of_work() as uow:
        await uow.chats.remember(Chat(CHAT, "http://127.0.0.1:9/", "tenant", "28:bot", "MCMx"))
        await uow.commit()

    async def add_second() -> StoredBoard:
        async with storage.unit_of_work() as uow:
            added = await uow.qna.add_board(_board("b2"))
            await uow.commit()
            return added

    async with storage.unit_of_work() as first:
        mine = await first.qna.add_board(_board("b1"))  # not committed yet
        second = asyncio.create_task(add_second())
        await wait_until_blocked(storage, first, second)
        await first.commit()
    theirs = await asyncio.wait_for(second, timeout=15)
    assert mine == theirs == _board("b1")
    async with storage.unit_of_work() as uow:
        assert await uow.qna.board("b2") is None


async def test_mode_and_card_can_be_changed(storage):
    await _add_board(storage)
    async with storage.unit_of_work() as uow:
        await uow.qna.set_mode("b1", BoardMode.REVIEWED)
        await uow.qna.set_card("b1", "msg-42")
        await uow.commit()
    async with storage.unit_of_work() as uow:
        loaded = await uow.qna.board("b1")
    assert loaded.board.mode is BoardMode.REVIEWED
    assert loaded.card_activity_id == "msg-42"
    async with storage.unit_of_work() as uow:
        await uow.qna.set_mode("b1", BoardMode.OPEN)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert (await uow.qna.board_in(CHAT)).board.mode is BoardMode.OPEN


# ---------------------------------------------------------------------------- questions


async def test_questions_come_back_as_they_were_stored(storage):
    await _add_board(storage)
    named, anonymous = await _add_questions(storage, _question("q1", author="Anna"),
                                            _question("q2", minutes=1))
    assert (named.number, anonymous.number) == (1, 2)
    async with storage.unit_of_work() as uow:
        assert await uow.qna.question("q1") == named
        assert await uow.qna.question("q2") == anonymous
        assert await uow.qna.question("nope") is None
        assert (await uow.qna.question("q1")).asked_at.utcoffset() == timedelta(0)


async def test_saving_a_question_persists_its_status_merge_target_and_answer_time(storage):
    await _add_board(storage)
    q1, q2, q3 = await _add_questions(storage, _question("q1"), _question("q2", minutes=1),
                                      _question("q3", minutes=2))
    answered = mark_answered(q1, now=NOW + timedelta(minutes=30, microseconds=7))
    merged = merge(q2, q3)
    async with storage.unit_of_work() as uow:
        await uow.qna.save_question(answered)
        await uow.qna.save_question(merged)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.qna.question("q1") == answered
        assert await uow.qna.question("q2") == merged
        assert (await uow.qna.question("q2")).merged_into == "q3"
        assert (await uow.qna.question("q1")).answered_at.utcoffset() == timedelta(0)
        await uow.qna.save_question(dismiss(q3))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert (await uow.qna.question("q3")).status is QuestionStatus.DISMISSED


async def test_an_unsaved_change_to_a_question_is_rolled_back(storage):
    await _add_board(storage)
    await _add_questions(storage, _question("q1"))
    async with storage.unit_of_work() as uow:
        await uow.qna.save_question(dismiss(_question("q1")))
    async with storage.unit_of_work() as uow:
        assert (await uow.qna.question("q1")).status is QuestionStatus.OPEN


async def test_a_boards_questions_are_ordered_by_asking_minute_then_place_on_the_board(storage):
    """Times are kept to the minute: within one, the order of asking (not the id) decides."""
    await _add_board(storage, "b1")
    await _add_board(storage, "b2", chat="19:other@thread.v2")
    stored = await _add_questions(
        storage,
        _question("q-late", minutes=5),
        _question("q-b", minutes=1), _question("q-a", minutes=1.9),
        _question("q-early", minutes=0.5),
        _question("q-other-board", "b2", minutes=0),
    )
    assert [q.number for q in stored] == [1, 2, 3, 4, 1]
    async with storage.unit_of_work() as uow:
        assert [q.id for q in await uow.qna.questions("b1")] == ["q-early", "q-b", "q-a",
                                                                  "q-late"]
        assert [q.id for q in await uow.qna.questions("b2")] == ["q-other-board"]
        assert await uow.qna.questions("nope") == []


async def test_an_anonymous_question_stores_no_author(storage):
    await _add_board(storage)
    await _add_questions(storage, _question("anon"), _question("named", author="Zoe"))
    async with storage.unit_of_work() as uow:
        rows = await uow.session.execute(
            text("SELECT id, author_name FROM question ORDER BY id"))
        assert [tuple(row) for row in rows.all()] == [("anon", None), ("named", "Zoe")]


# ---------------------------------------------------------------------------- upvotes


async def test_toggling_an_upvote_adds_it_takes_it_back_and_adds_it_again(storage):
    await _add_board(storage)
    await _add_questions(storage, _question("q1"))
    outcomes = []
    for _ in range(3):
        async with storage.unit_of_work() as uow:
            outcomes.append(await uow.qna.toggle_upvote("q1", "k1"))
            await uow.commit()
    assert outcomes == [True, False, True]
    assert await _upvote_rows(storage) == [("q1", "k1")]


async def test_toggling_within_one_unit_of_work_alternates_too(storage):
    await _add_board(storage)
    await _add_questions(storage, _question("q1"))
    async with storage.unit_of_work() as uow:
        assert [await uow.qna.toggle_upvote("q1", "k1") for _ in range(4)] == [
            True, False, True, False]
        await uow.commit()
    assert await _upvote_rows(storage) == []


async def test_a_repeated_upvote_changes_nothing(storage):
    await _add_board(storage)
    await _add_questions(storage, _question("q1"))
    for _ in range(3):
        async with storage.unit_of_work() as uow:
            await uow.qna.upvote("q1", "k1")
            await uow.qna.upvote("q1", "k1")
            await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.qna.votes("b1") == {"q1": 1}
        assert await uow.qna.toggle_upvote("q1", "k1") is False  # it was upvoted
        await uow.commit()
    assert await _upvote_rows(storage) == []


async def test_votes_are_counted_per_question_of_the_board(storage):
    await _add_board(storage, "b1")
    await _add_board(storage, "b2", chat="19:other@thread.v2")
    await _add_questions(storage, _question("q1"), _question("q2"), _question("q3"),
                         _question("x1", "b2"))
    async with storage.unit_of_work() as uow:
        for key in ("a", "b", "c"):
            await uow.qna.upvote("q1", key)
        await uow.qna.upvote("q2", "a")
        await uow.qna.upvote("x1", "a")
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.qna.votes("b1") == {"q1": 3, "q2": 1}  # q3 has none: absent
        assert await uow.qna.votes("b2") == {"x1": 1}
        assert await uow.qna.votes("nope") == {}


async def test_upvoted_by_returns_only_this_keys_questions_of_this_board(storage):
    await _add_board(storage, "b1")
    await _add_board(storage, "b2", chat="19:other@thread.v2")
    await _add_questions(storage, _question("q1"), _question("q2"), _question("q3"),
                         _question("x1", "b2"))
    async with storage.unit_of_work() as uow:
        await uow.qna.upvote("q1", "me")
        await uow.qna.upvote("q3", "me")
        await uow.qna.upvote("q2", "someone-else")
        await uow.qna.upvote("x1", "me")
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.qna.upvoted_by("b1", "me") == {"q1", "q3"}
        assert await uow.qna.upvoted_by("b2", "me") == {"x1"}
        assert await uow.qna.upvoted_by("b1", "someone-else") == {"q2"}
        assert await uow.qna.upvoted_by("b1", "nobody") == set()


async def test_merging_moves_upvotes_and_whoever_upvoted_both_counts_once(storage):
    await _add_board(storage)
    await _add_questions(storage, _question("src"), _question("dst"), _question("bystander"))
    async with storage.unit_of_work() as uow:
        for key in ("a", "b"):
            await uow.qna.upvote("src", key)
        for key in ("b", "c"):
            await uow.qna.upvote("dst", key)
        await uow.qna.upvote("bystander", "a")
        await uow.commit()
    async with storage.unit_of_work() as uow:
        await uow.qna.merge_upvotes("src", "dst")
        await uow.commit()
    assert await _upvote_rows(storage, "dst") == [("dst", "a"), ("dst", "b"), ("dst", "c")]
    assert await _upvote_rows(storage, "src") == []
    async with storage.unit_of_work() as uow:
        assert await uow.qna.votes("b1") == {"dst": 3, "bystander": 1}
        assert await uow.qna.upvoted_by("b1", "a") == {"dst", "bystander"}


async def test_merging_a_question_without_upvotes_changes_nothing(storage):
    await _add_board(storage)
    await _add_questions(storage, _question("src"), _question("dst"))
    async with storage.unit_of_work() as uow:
        await uow.qna.upvote("dst", "a")
        await uow.qna.merge_upvotes("src", "dst")
        await uow.commit()
    assert await _upvote_rows(storage) == [("dst", "a")]


# ---------------------------------------------------------------------------- concurrency


async def test_concurrent_upvotes_by_different_people_are_neither_lost_nor_doubled(storage):
    await _add_board(storage)
    await _add_questions(storage, _question("q1"))

    async def toggle(key: str) -> bool:
        async with storage.unit_of_work() as uow:
            upvoted = await uow.qna.toggle_upvote("q1", key)
            await uow.commit()
            return upvoted

    outcomes = await asyncio.gather(*(toggle(f"voter-{i:03d}") for i in range(100)))
    assert outcomes == [True] * 100
    async with storage.unit_of_work() as uow:
        assert await uow.qna.votes("b1") == {"q1": 100}


@pytest.mark.parametrize("already_upvoted", [False, True], ids=["from-none", "from-upvoted"])
async def test_one_person_toggling_concurrently_never_leaves_more_than_one_upvote(
        storage, already_upvoted):
    await _add_board(storage)
    await _add_questions(storage, _question("q1"))
    if already_upvoted:
        async with storage.unit_of_work() as uow:
            await uow.qna.upvote("q1", "same-person")
            await uow.commit()

    async def toggle() -> bool:
        async with storage.unit_of_work() as uow:
            upvoted = await uow.qna.toggle_upvote("q1", "same-person")
            await uow.commit()
            return upvoted

    outcomes = await asyncio.gather(*(toggle() for _ in range(30)))  # any exception fails here
    assert all(isinstance(outcome, bool) for outcome in outcomes)
    rows = await _upvote_rows(storage)
    assert len(rows) <= 1
    async with storage.unit_of_work() as uow:
        counted = await uow.session.execute(
            select(UpvoteRow.voter_key, func.count()).group_by(UpvoteRow.voter_key))
        assert all(count <= 1 for _, count in counted.all())
    # The final state is one some toggle reported.
    assert (bool(rows) in outcomes)


async def test_a_merge_racing_an_upvote_on_the_target_by_a_source_voter_keeps_one_upvote(
        storage):
    await _add_board(storage)
    await _add_questions(storage, _question("src"), _question("dst"))
    async with storage.unit_of_work() as uow:
        await uow.qna.upvote("src", "k")
        await uow.qna.upvote("src", "other")
        await uow.commit()

    async def merge_all() -> None:
        async with storage.unit_of_work() as uow:
            await uow.qna.merge_upvotes("src", "dst")
            await uow.commit()

    async with storage.unit_of_work() as upvoting:
        await upvoting.qna.upvote("dst", "k")  # not committed yet
        merging = asyncio.create_task(merge_all())
        await wait_until_blocked(storage, upvoting, merging)
        await upvoting.commit()
    await asyncio.wait_for(merging, timeout=15)
    assert await _upvote_rows(storage) == [("dst", "k"), ("dst", "other")]


# ---------------------------------------------------------------------------- what is stored


async def _columns(storage: Storage, table: str) -> set[str]:
    async with storage.engine.connect() as connection:
        columns = await connection.run_sync(lambda sync: inspect(sync).get_columns(table))
    return {column["name"] for column in columns}


async def test_upvotes_store_no_name_no_time_and_no_teams_id(storage):
    assert await _columns(storage, "upvote") <= {"id", "question_id", "voter_key"}
    assert "asker_key" not in await _columns(storage, "question")
    assert {"author_name", "text", "status"} <= await _columns(storage, "question")


async def test_the_upvote_table_has_only_question_and_voter_key_columns(storage):
    assert await _columns(storage, "upvote") == {"question_id", "voter_key"}


async def test_boards_are_read_with_their_chats_in_one_go(storage):
    first = await _add_board(storage, "b1")
    second = await _add_board(storage, "b2", chat="19:other@thread.v2")
    async with storage.unit_of_work() as uow:
        found = await uow.qna.boards_in_chats(["b1", "b2", "nope"])
    assert found == {
        "b1": (first, Chat(CHAT, "http://127.0.0.1:9/", "tenant", "28:bot", "MCMx")),
        "b2": (second, Chat("19:other@thread.v2", "http://127.0.0.1:9/", "tenant", "28:bot",
                            "MCMx"))}
