"""The board's duplicate search answers as find_duplicate over the visible questions in display
order, and sees what another process asked or moderated."""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.qna.duplicates import DuplicateSearch
from facilitation.qna import VISIBLE, Board, BoardMode, Question, QuestionStatus, rank_board
from facilitation.similarity import find_duplicate
from storage.database import create_engine, create_schema
from storage.qna_repository import StoredBoard, UpvoteClick
from storage.repositories import Chat, Storage

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
CHAT = "19:qna-dup@thread.v2"
DATA = Path(__file__).parents[1] / "engine" / "data" / "question_pairs.tsv"


def _texts() -> list[str]:
    with DATA.open(encoding="utf-8") as file:
        return sorted({text for row in csv.DictReader(file, delimiter="\t")
                       for text in (row["a"], row["b"])})


async def _storage(tmp_path: Path, name: str = "db") -> Storage:
    engine = create_engine(f"sqlite:///{tmp_path / name}.db")
    await create_schema(engine)
    return Storage(engine)


async def _fill(storage: Storage, board: Board, texts: list[str], rng: random.Random) -> None:
    async with storage.unit_of_work() as uow:
        await uow.chats.remember(Chat(CHAT, "http://127.0.0.1:9/", "tenant", "28:bot", None))
        await uow.qna.add_board(StoredBoard(board, CHAT, creator_key="c" * 64))
        stored = [await uow.qna.add_question(Question(
            id=f"q{i:04d}", board_id=board.id, text=text,
            asked_at=NOW + timedelta(minutes=rng.randint(0, 3)),
            status=rng.choice([*[QuestionStatus.OPEN] * 5, QuestionStatus.ANSWERED,
                               QuestionStatus.ANSWERING, QuestionStatus.PENDING])))
            for i, text in enumerate(texts)]
        await uow.qna.click_upvotes([UpvoteClick(q.id, f"{k:064x}", add=True) for q in stored
                                     for k in range(rng.choice([0, 0, 1, 2]))])
        await uow.commit()


async def _brute_force(storage: Storage, board: Board, text: str) -> str | None:
    """What the handler did before the index: rank the board, find_duplicate over it."""
    async with storage.unit_of_work() as uow:
        view = rank_board(board, await uow.qna.questions(board.id), await uow.qna.votes(board.id))
    visible = [r for r in (*view.answering, *view.open) if r.question.status in VISIBLE]
    match = find_duplicate(text, [(r.question.id, r.question.text) for r in visible])
    return None if match is None else match[0]


async def test_the_indexed_search_finds_what_the_brute_force_one_found(tmp_path: Path) -> None:
    rng = random.Random(13)
    texts = _texts()
    board = Board(id="b1", mode=BoardMode.OPEN, created_at=NOW)
    storage = await _storage(tmp_path)
    try:
        # Each text twice or more: ties between equal scores are broken by display order.
        await _fill(storage, board, rng.sample(texts, 150) * 2, rng)
        search = DuplicateSearch(storage)
        for text in rng.sample(texts, 80):
            found = await search.similar(board.id, text)
            assert (None if found is None else found.question.id) == await _brute_force(
                storage, board, text)
    finally:
        await storage.close()


async def test_questions_asked_and_answered_elsewhere_are_seen(tmp_path: Path) -> None:
    board = Board(id="b1", mode=BoardMode.OPEN, created_at=NOW)
    storage = await _storage(tmp_path)
    other = Storage(create_engine(f"sqlite:///{tmp_path / 'db'}.db"))  # a second process
    try:
        await _fill(storage, board, ["When will the new office in Munich open?"], random.Random(1))
        search = DuplicateSearch(storage)
        asked = "Wird das Reisebudget nächstes Jahr gekürzt?"
        assert await search.similar(board.id, asked) is None
        async with other.unit_of_work() as uow:
            await uow.qna.add_question(Question(id="late", board_id=board.id, text=asked,
                                                asked_at=NOW, status=QuestionStatus.OPEN))
            await uow.commit()
        found = await search.similar(board.id, asked)
        assert found is not None and found.question.id == "late"
        async with other.unit_of_work() as uow:
            late = await uow.qna.question("late")
            assert late is not None
            await uow.qna.save_question(Question(
                id=late.id, board_id=board.id, text=asked, asked_at=NOW,
                status=QuestionStatus.DISMISSED))
            await uow.commit()
        assert await search.similar(board.id, asked) is None
    finally:
        await other.close()
        await storage.close()


async def test_only_live_questions_are_filed_and_a_pending_one_approved_later_is_found(
        tmp_path: Path) -> None:
    board = Board(id="b1", mode=BoardMode.OPEN, created_at=NOW)
    storage = await _storage(tmp_path)
    other = Storage(create_engine(f"sqlite:///{tmp_path / 'db'}.db"))  # a second process
    office, budget = "When will the new office in Munich open?", "Is the travel budget cut?"
    try:
        await _fill(storage, board, [], random.Random(1))
        async with other.unit_of_work() as uow:
            for question_id, text, status in (("done", office, QuestionStatus.ANSWERED),
                                              ("later", budget, QuestionStatus.PENDING)):
                await uow.qna.add_question(Question(id=question_id, board_id=board.id,
                                                    text=text, asked_at=NOW, status=status))
            await uow.commit()
        search = DuplicateSearch(storage)
        assert await search.similar(board.id, office) is None
        assert await search.similar(board.id, budget) is None  # pending: not offered yet
        index = search._boards[board.id].index
        assert index.ids() == {"later"}  # the answered one is not filed
        async with other.unit_of_work() as uow:
            await uow.qna.save_question(Question(id="later", board_id=board.id, text=budget,
                                                 asked_at=NOW, status=QuestionStatus.OPEN))
            await uow.commit()
        found = await search.similar(board.id, budget)
        assert found is not None and found.question.id == "later"
        async with other.unit_of_work() as uow:
            await uow.qna.save_question(Question(id="later", board_id=board.id, text=budget,
                                                 asked_at=NOW, status=QuestionStatus.ANSWERED))
            await uow.commit()
        assert await search.similar(board.id, budget) is None
        assert index.ids() == frozenset()  # found answered since: taken out
    finally:
        await other.close()
        await storage.close()


async def test_the_boards_kept_in_memory_stay_within_the_question_cap(tmp_path: Path) -> None:
    storage = await _storage(tmp_path)
    try:
        texts = _texts()
        boards = [Board(f"b{n}", BoardMode.OPEN, NOW) for n in range(3)]
        for number, board in enumerate(boards):
            async with storage.unit_of_work() as uow:
                chat = f"19:cap-{number}@thread.v2"
                await uow.chats.remember(Chat(chat, "http://127.0.0.1:9/", "t", "28:bot", None))
                await uow.qna.add_board(StoredBoard(board, chat, creator_key="c" * 64))
                for i, text in enumerate(texts[:40]):
                    await uow.qna.add_question(Question(
                        id=f"{board.id}-q{i}", board_id=board.id, text=text, asked_at=NOW,
                        status=QuestionStatus.OPEN))
                await uow.commit()
        search = DuplicateSearch(storage, questions_kept=100)
        for board in boards:
            assert await search.similar(board.id, texts[0]) is not None
        kept = search._boards
        assert list(kept) == ["b1", "b2"]  # the least recently asked went first
        assert sum(len(filed.seen) for filed in kept.values()) <= 100
        # A dropped board is read again when asked: same answer.
        assert (await search.similar("b0", texts[0])) is not None
    finally:
        await storage.close()
