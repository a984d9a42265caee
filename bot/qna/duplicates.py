"""The duplicate search of each board: an index kept in the process, scored off the event loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from facilitation.duplicate_index import DuplicateIndex
from facilitation.qna import LIVE, VISIBLE, QuestionStatus, RankedQuestion
from storage.database import read_only_unit_of_work
from storage.repositories import Storage, UnitOfWork

# Boards whose index is kept, and questions filed over all of them; past either, the least
# recently asked boards are dropped (and rebuilt from the database when asked again). A filed
# question takes some 20-70 KB (its profiles in both languages), so 20,000 is about 0.5-1 GB.
BOARDS_KEPT = 64
QUESTIONS_KEPT = 20_000
# Searches at once: each holds a database connection (a read snapshot) while it waits for its
# board and scores; more would take the connections votes need.
SEARCHES_AT_ONCE = 4


@dataclass
class _Filed:
    """One board's index and the database state it reflects."""

    index: DuplicateIndex = field(default_factory=DuplicateIndex)
    stamp: tuple[int, int] = (0, 0)  # (questions, highest place) when last brought up to date
    seen: set[str] = field(default_factory=set)  # every id read (filed or not)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class DuplicateSearch:
    """Finds the open question most like a new one, as find_duplicate over the board's visible
    questions in display order would, without reading or profiling the board per question.

    The index holds the board's live questions (pending, open, being answered: a pending one
    may still be approved); answered, dismissed and merged ones never come back, so they are
    not filed, and one found in such a state since (states and upvotes, which other processes
    change, are read for the few matches only) is taken out. It is brought up to date from the
    database before each search, by the board's question count and highest place (so
    questions asked through another process are found). It reads without SQLite's write lock
    (read_only_unit_of_work), in one snapshot: every other unit of work of the bot takes that
    lock, and the search's reads waited behind every vote and question stored meanwhile (the
    matches' states alone took p50 69 ms, p99 359 ms at 10,000 questions, 8 asks in flight).
    """

    def __init__(self, storage: Storage, *, boards_kept: int = BOARDS_KEPT,
                 questions_kept: int = QUESTIONS_KEPT) -> None:
        self._storage = storage
        self._boards: dict[str, _Filed] = {}
        self._kept = boards_kept
        self._questions_kept = questions_kept
        self._searches = asyncio.Semaphore(SEARCHES_AT_ONCE)

    async def similar(self, board_id: str, text: str) -> RankedQuestion | None:
        async with self._searches:
            return await self._similar(board_id, text)

    async def _similar(self, board_id: str, text: str) -> RankedQuestion | None:
        filed = self._filed(board_id)
        # One snapshot for the board's stamp, its new questions and the matches' states.
        async with read_only_unit_of_work(self._storage) as uow:
            stamp = await uow.qna.question_stamp(board_id)
            rows = [] if stamp == filed.stamp else await uow.qna.question_texts(
                board_id, from_number=filed.stamp[1])  # usually only the newest questions
            async with filed.lock:  # scoring is CPU work: one search of a board at a time
                await self._catch_up(uow, board_id, filed, stamp, rows)
                self._evict()
                matches = await asyncio.to_thread(filed.index.matches, text)
            if not matches:
                return None
            ranked = await uow.qna.ranked_by_id(question_id for question_id, _ in matches)
        ended = [question_id for question_id, _ in matches if question_id in ranked
                 and ranked[question_id].question.status not in LIVE]
        if ended:
            async with filed.lock:
                for question_id in ended:
                    filed.index.remove(question_id)
        # A question removed since (retention) is no longer found here, and left out.
        visible = [(score, ranked[question_id]) for question_id, score in matches
                   if question_id in ranked and ranked[question_id].question.status in VISIBLE
                   and ranked[question_id].question.board_id == board_id]
        if not visible:
            return None
        top = max(score for score, _ in visible)
        # find_duplicate gives a tie to the first candidate: the board's display order.
        return min((r for score, r in visible if score == top), key=_display_order)

    def forget(self, board_id: str) -> None:
        self._boards.pop(board_id, None)

    def _filed(self, board_id: str) -> _Filed:
        filed = self._boards.pop(board_id, None) or _Filed()
        self._boards[board_id] = filed  # most recently used last
        self._evict()
        return filed

    def _evict(self) -> None:
        """Drop the least recently asked boards beyond the caps (never the last one asked)."""
        while len(self._boards) > 1 and (len(self._boards) > self._kept
                                         or self._filed_questions() > self._questions_kept):
            del self._boards[next(iter(self._boards))]

    def _filed_questions(self) -> int:
        return sum(len(filed.seen) for filed in self._boards.values())

    async def _catch_up(self, uow: UnitOfWork, board_id: str, filed: _Filed,
                        stamp: tuple[int, int],
                        rows: list[tuple[str, str, int, QuestionStatus]]) -> None:
        """File the rows read for `stamp`; read the whole board again when questions are
        missing still (two asked at once share a place, or one got a place below the highest
        known) or were removed."""
        if stamp == filed.stamp:
            return
        await self._file(filed, rows)
        count, _ = stamp
        if len(filed.seen) < count or count < filed.stamp[0]:
            everything = await uow.qna.question_texts(board_id)
            for gone in filed.seen - {question_id for question_id, _, _, _ in everything}:
                filed.index.remove(gone)
                filed.seen.discard(gone)
            await self._file(filed, everything)
            filed.stamp = stamp
        else:  # a search that read later rows may have been filed first
            filed.stamp = max(filed.stamp, stamp)

    @staticmethod
    async def _file(filed: _Filed, rows: list[tuple[str, str, int, QuestionStatus]]) -> None:
        new = [(question_id, text, status) for question_id, text, _, status in rows
               if question_id not in filed.seen]
        live = [(question_id, text) for question_id, text, status in new if status in LIVE]
        if live:
            await asyncio.to_thread(filed.index.add_all, live)
        filed.seen.update(question_id for question_id, _, _ in new)


def _display_order(ranked: RankedQuestion) -> tuple[int, int, tuple[object, ...]]:
    """rank_board's order of the visible questions: the one being answered, then by votes."""
    answering = ranked.question.status is QuestionStatus.ANSWERING
    return (0 if answering else 1, 0 if answering else -ranked.votes, ranked.question.age)
