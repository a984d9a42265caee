"""`resonanz export`: a meeting's polls, Q&A and breakout results as JSON or CSV, one set per
meeting occurrence, without anything that identifies a voter, an anonymous asker or a group
member, and with times no finer than the minute."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.core.meeting_ids import LONG_AGO, Scope, scope_of
from bot.i18n import ENGLISH, Language, language_of, t
from facilitation.breakout_rounds import RoundStatus
from facilitation.disclosure import Withheld
from facilitation.policy import Policy
from facilitation.polls import PollKind, Tally, rating_average
from facilitation.qna import Question, QuestionStatus, RankedQuestion, rank_board
from storage.breakout_repository import StoredRound
from storage.meeting_repository import Meeting
from storage.qna_repository import StoredBoard
from storage.repositories import Storage, StoredPoll, UnitOfWork


class UnknownMeeting(LookupError):
    """No meeting, chat or report link of that id is stored."""


# ---------------------------------------------------------------------------- gathering


@dataclass
class Occurrence:
    """One meeting occurrence's row set (or, with `meeting` None, a chat's items of one day
    outside every recorded occurrence)."""

    chat: str
    date: str
    meeting: Meeting | None = None
    polls: list[dict[str, Any]] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    rounds: list[StoredRound] = field(default_factory=list)
    boards: list[StoredBoard] = field(default_factory=list)


class Occurrences:
    """Assigns each item by its time to the occurrence it belongs to, as the summary and the
    purge do: created in that chat between the meeting's start and its end (or now)."""

    def __init__(self, scope: Scope, now: datetime) -> None:
        self._scope, self._now = scope, now
        self._sets = {m.id: Occurrence(m.conversation_id, _day(m.started_at), m)
                      for m in scope.meetings}

    def of(self, chat: str, moment: datetime) -> Occurrence | None:
        held = [m for m in self._scope.meetings if m.conversation_id == chat
                and m.started_at <= moment <= (m.ended_at or self._now)]
        if held:
            return self._sets[max(held, key=lambda m: (m.started_at, m.id)).id]
        if chat not in self._scope.whole:
            return None
        key = f"{chat} {_day(moment)}"
        return self._sets.setdefault(key, Occurrence(chat, _day(moment)))

    def in_order(self) -> list[Occurrence]:
        return sorted(self._sets.values(), key=lambda o: (
            o.date, o.meeting.started_at if o.meeting else LONG_AGO, o.chat))


async def export_meeting(storage: Storage, meeting_id: str, *, policy: Policy, now: datetime,
                         language: Language | None = None) -> dict[str, Any]:
    """Everything Resonanz keeps of a meeting, per occurrence and as aggregates: no keys, no
    voter names, of each poll only what `policy` lets a report show. Texts of withheld
    results in `language`, by default the one most of the meeting's items were created in."""
    async with storage.unit_of_work() as uow:
        scope = await scope_of(uow, meeting_id)
        if not scope.chats:
            raise UnknownMeeting(meeting_id)
        sets = Occurrences(scope, now)
        polls: list[tuple[Occurrence, StoredPoll, Tally]] = []
        locales: list[str] = []
        for chat in scope.chats:
            for stored in await uow.polls.in_conversation(chat):
                if (found := sets.of(chat, stored.poll.created_at)) is not None:
                    polls.append((found, stored, await uow.ballots.tally(stored.poll)))
                    locales.append(stored.locale)
            locales += await _gather_qna(uow, chat, sets)
            locales += await _gather_rounds(uow, chat, sets)
        chosen = language or _most_used(locales)
        for found, stored, tally in polls:
            found.polls.append(_poll(stored, tally, policy, chosen))
        occurrences = [await _occurrence(uow, o, chosen) for o in sets.in_order()]
    return {"meeting": meeting_id, "language": chosen, "chats": list(scope.chats),
            "occurrences": occurrences}


async def _gather_qna(uow: UnitOfWork, chat: str, sets: Occurrences) -> list[str]:
    stored = await uow.qna.board_in(chat)
    if stored is None:
        return []
    for question in await uow.qna.questions(stored.board.id):
        if (found := sets.of(chat, question.asked_at)) is not None:
            found.questions.append(question)
            if stored not in found.boards:
                found.boards.append(stored)
    return [stored.locale]


async def _gather_rounds(uow: UnitOfWork, chat: str, sets: Occurrences) -> list[str]:
    """Published rounds (drafts and cancelled ones are no results)."""
    locales = []
    for stored in await uow.breakouts.in_conversation(chat):
        if stored.round.status not in (RoundStatus.RUNNING, RoundStatus.RECONVENED):
            continue
        if (found := sets.of(chat, stored.round.created_at)) is not None:
            found.rounds.append(stored)
            locales.append(stored.locale)
    return locales


def _most_used(locales: Iterable[str]) -> Language:
    counted = Counter(language_of(locale) for locale in locales)
    return max(sorted(counted), key=counted.__getitem__) if counted else ENGLISH


async def _occurrence(uow: UnitOfWork, found: Occurrence, language: Language) -> dict[str, Any]:
    meeting = found.meeting
    questions = []
    for board in found.boards:
        questions += await _questions(uow, board, found.questions)
    return {
        "id": meeting.id if meeting else None, "date": found.date, "chat": found.chat,
        "title": meeting.title if meeting else "",
        "started_at": _when(meeting.started_at) if meeting else None,
        "ended_at": _when(meeting.ended_at) if meeting else None,
        "polls": found.polls, "questions": questions,
        "breakouts": [await _breakout(uow, stored, language) for stored in found.rounds],
    }


async def _breakout(uow: UnitOfWork, stored: StoredRound, language: Language
                    ) -> dict[str, Any]:
    """A published round with each group's results (no member names)."""
    members = await uow.breakouts.members(stored.round.id)
    reports = {r.group: r for r in await uow.breakouts.reports(stored.round.id)}
    topics = stored.round.topics
    groups = sorted({m.group for m in members if m.group is not None})
    return {"id": stored.round.id, "started_at": _when(stored.round.started_at),
            "groups": [{
                "group": number,
                "topic": topics[number - 1] if number <= len(topics) else None,
                "size": sum(1 for m in members if m.group == number),
                "points": list(reports[number].points) if number in reports else [],
                "note": reports[number].note if number in reports else None,
            } for number in groups]}


def _day(moment: datetime) -> str:
    return moment.astimezone(UTC).date().isoformat()


def _when(moment: datetime | None) -> str | None:
    """A time to the minute, in UTC: no seconds that could match a click to a person."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="minutes")


def _poll(stored: StoredPoll, tally: Tally, policy: Policy, language: Language
          ) -> dict[str, Any]:
    poll = stored.poll
    entry: dict[str, Any] = {
        "id": poll.id, "question": poll.question, "kind": poll.kind.value,
        "anonymous": poll.anonymous, "status": poll.status.value,
        "created_at": _when(poll.created_at), "closed_at": _when(poll.closed_at),
        "ballots": tally.ballots,
    }
    withheld = policy.poll_result(poll, tally)
    if withheld is Withheld.UNTIL_CLOSED:
        entry["withheld"] = t("export.withheld.until_closed", language)
    elif withheld is Withheld.TOO_FEW:
        entry["withheld"] = t("export.withheld.too_few", language, minimum=policy.min_group)
    elif poll.kind is PollKind.TEXT:
        listed = policy.listed_answers(tally)
        entry["answers"] = [{"text": g.text, "count": g.count} for g in listed]
        entry["answers_not_listed"] = tally.ballots - sum(g.count for g in listed)
        if entry["answers_not_listed"]:
            entry["not_listed"] = t("export.answers_not_listed", language,
                                    count=entry["answers_not_listed"], minimum=policy.min_group)
    else:
        entry["results"] = [{"option": option, "votes": tally.counts[index]}
                            for index, option in enumerate(poll.options)]
        if poll.kind is PollKind.RATING:
            entry["average"] = rating_average(tally)
    return entry


async def _questions(uow: UnitOfWork, stored: StoredBoard, asked: Sequence[Question]
                     ) -> list[dict[str, Any]]:
    """The occurrence's questions in board order, then dismissed and merged ones by age."""
    mine = [q for q in asked if q.board_id == stored.board.id]
    votes = await uow.qna.votes(stored.board.id)
    view = rank_board(stored.board, mine, votes)
    ordered = [*view.answering, *view.open, *view.answered, *view.pending]
    ordered += [RankedQuestion(q, votes.get(q.id, 0)) for q in mine
                if q.status in (QuestionStatus.DISMISSED, QuestionStatus.MERGED)]
    return [{
        "id": r.question.id, "text": r.question.text, "status": r.question.status.value,
        "votes": r.votes, "asked_by": r.question.author, "asked_at": _when(r.question.asked_at),
        "answered_at": _when(r.question.answered_at), "merged_into": r.question.merged_into,
    } for r in ordered]


# ---------------------------------------------------------------------------- writing


def as_json(export: dict[str, Any]) -> str:
    return json.dumps(export, ensure_ascii=False, indent=2) + "\n"


CSV_COLUMNS = ("date", "occurrence", "section", "id", "text", "status", "count", "detail")
DELIMITERS: dict[Language, str] = {"de": ";"}  # what a spreadsheet of that locale splits on
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP: a spreadsheet may run such a cell


def delimiter_for(language: Language) -> str:
    """`;` where the decimal separator is a comma (German spreadsheets), else `,`."""
    return DELIMITERS.get(language, ",")


def neutralised(cell: object) -> object:
    """A text cell a spreadsheet could read as a formula, prefixed with `'` so it stays text
    (OWASP's CSV-injection rule), also after leading spaces (an import that trims them, such as
    LibreOffice's "trim spaces", would read " =1+1" as "=1+1"); numbers and other texts
    unchanged."""
    if isinstance(cell, str) and (cell.startswith(FORMULA_STARTS)
                                  or _visible(cell).startswith(FORMULA_STARTS)):
        return "'" + cell
    return cell


_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"  # zero-width characters and the BOM


def _visible(cell: str) -> str:
    """The cell from its first visible character: without leading spaces or zero-width
    characters, which an import may drop."""
    while cell and (cell[0].isspace() or cell[0] in _INVISIBLE):
        cell = cell[1:]
    return cell


def as_csv(export: dict[str, Any], *, delimiter: str = ",") -> str:
    """One row per poll option (or open answer), question and breakout group, each with its
    occurrence's date; starts with a UTF-8 byte order mark, so spreadsheets read umlauts."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(CSV_COLUMNS)
    language = export.get("language", ENGLISH)
    for occurrence in export["occurrences"]:
        where = (occurrence["date"], occurrence["id"] or "")
        for row in _csv_rows(occurrence, language):
            writer.writerow([neutralised(cell) for cell in (*where, *row)])
    return out.getvalue()


def _csv_rows(occurrence: dict[str, Any], language: Language) -> Iterable[tuple[object, ...]]:
    for poll in occurrence["polls"]:
        yield from _poll_rows(poll)
    for question in occurrence["questions"]:
        yield ("question", question["id"], question["text"], question["status"],
               question["votes"], question["asked_by"] or "")
    for round_ in occurrence["breakouts"]:
        for group in round_["groups"]:
            said = [*group["points"], *([group["note"]] if group["note"] else [])]
            status = "export.breakout.reported" if said else "export.breakout.no_results"
            yield ("breakout_group", round_["id"], group["topic"] or "", t(status, language),
                   group["size"], "; ".join(said))


def _poll_rows(poll: dict[str, Any]) -> Iterable[tuple[object, ...]]:
    head = ("poll", poll["id"], poll["question"], poll["status"])
    rows = poll.get("results") or poll.get("answers")
    if not rows and "not_listed" not in poll:
        yield (*head, poll["ballots"], poll.get("withheld", ""))
    for row in rows or []:
        yield (*head, row.get("votes", row.get("count")), row.get("option", row.get("text")))
    if "not_listed" in poll:
        yield (*head, poll["answers_not_listed"], poll["not_listed"])
