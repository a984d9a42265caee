"""The top of a board read with SQL (storage/qna_board.py) is rank_board's order and counts,
on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from facilitation.qna import Board, BoardMode, Question, QuestionStatus, rank_board
from storage.qna_repository import StoredBoard, UpvoteClick
from storage.repositories import Chat, Storage

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
CHAT = "19:qna-top@thread.v2"
STATES = [QuestionStatus.OPEN] * 6 + [QuestionStatus.ANSWERED, QuestionStatus.PENDING,
                                      QuestionStatus.DISMISSED, QuestionStatus.MERGED,
                                      QuestionStatus.ANSWERING]


async def _random_board(storage: Storage, seed: int) -> tuple[Board, list[Question]]:
    rng = random.Random(seed)
    board = Board(id=f"b{seed}", mode=BoardMode.OPEN, created_at=NOW)
    async with storage.unit_of_work() as uow:
        await uow.chats.remember(Chat(CHAT, "http://127.0.0.1:9/", "tenant", "28:bot", None))
        await uow.qna.add_board(StoredBoard(board, CHAT, creator_key="c" * 64))
        stored = []
        for i in range(rng.randint(0, 120)):
            # Few distinct minutes and votes: many ties, broken by place and id.
            asked = NOW + timedelta(minutes=rng.randint(0, 5))
            status = rng.choice(STATES)
            answered = (asked + timedelta(minutes=rng.randint(0, 3))
                        if status is QuestionStatus.ANSWERED and rng.random() < 0.8 else None)
            stored.append(await uow.qna.add_question(Question(
                id=f"{rng.getrandbits(64):016x}", board_id=board.id, text=f"Frage {i}?",
                asked_at=asked, status=status, answered_at=answered)))
        voters = [f"{k:064x}" for k in range(8)]
        await uow.qna.click_upvotes([UpvoteClick(q.id, voter, add=True) for q in stored
                                     for voter in rng.sample(voters, rng.choice([0, 0, 1, 2, 8]))])
        await uow.commit()
    return board, stored


@pytest.mark.parametrize("seed", range(6))
async def test_the_sql_top_of_a_board_is_rank_boards_order(storage: Storage, seed: int) -> None:
    board, _ = await _random_board(storage, seed)
    async with storage.unit_of_work() as uow:
        full = rank_board(board, await uow.qna.questions(board.id), await uow.qna.votes(board.id))
        for open_rows, answered_rows, pending_rows in ((8, 3, 30), (1, 1, 1), (500, 500, 500)):
            top = await uow.qna.top(board, open_rows=open_rows, answered_rows=answered_rows,
                                    pending_rows=pending_rows)
            assert top.counts == full.counts
            assert top.answering == full.answering
            assert top.open == full.open[:open_rows]
            assert top.answered == full.answered[:answered_rows]
            assert top.pending == full.pending[:pending_rows]
        assert await uow.qna.counts(board.id) == full.counts


async def test_ranked_by_id_carries_each_questions_upvotes(storage: Storage) -> None:
    board, stored = await _random_board(storage, 7)
    async with storage.unit_of_work() as uow:
        votes = await uow.qna.votes(board.id)
        ranked = await uow.qna.ranked_by_id([q.id for q in stored] + ["unknown"])
    assert {qid: r.votes for qid, r in ranked.items()} == {
        q.id: votes.get(q.id, 0) for q in stored}
    assert all(replace(r.question) == q for q in stored if (r := ranked[q.id]))


async def test_the_question_stamp_counts_questions_and_the_highest_place(
        storage: Storage) -> None:
    board, stored = await _random_board(storage, 3)
    async with storage.unit_of_work() as uow:
        assert await uow.qna.question_stamp(board.id) == (len(stored), len(stored))
        assert await uow.qna.question_stamp("none") == (0, 0)
        texts = await uow.qna.question_texts(board.id, from_number=len(stored) - 1)
    assert [number for _, _, number, _ in texts] == [
        n for n in (len(stored) - 1, len(stored)) if n >= 1]
    by_id = {q.id: q for q in stored}
    assert all(by_id[qid].text == text and by_id[qid].status is status
               for qid, text, _, status in texts)
