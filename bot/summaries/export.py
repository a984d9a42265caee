"""`resonanz export`: a meeting's polls, Q&A and breakout results as JSON or CSV, without
anything that identifies a voter, an anonymous asker or a group member."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from facilitation.breakout_rounds import RoundStatus
from facilitation.disclosure import Withheld
from facilitation.policy import Policy
from facilitation.polls import PollKind, Tally, rating_average
from facilitation.qna import QuestionStatus, RankedQuestion, rank_board
from storage.repositories import Storage, StoredPoll, UnitOfWork


class UnknownMeeting(LookupError):
    """No chat of that meeting id (or conversation id) is stored."""


async def export_meeting(storage: Storage, meeting_id: str, *, policy: Policy
                         ) -> dict[str, Any]:
    """Everything Resonanz keeps of a meeting, as aggregates: no keys, no voter names, and of
    each poll only what `policy` lets a report show."""
    async with storage.unit_of_work() as uow:
        chats = await uow.chats.of_meeting(meeting_id)
        if not chats:
            raise UnknownMeeting(meeting_id)
        polls: list[dict[str, Any]] = []
        questions: list[dict[str, Any]] = []
        breakouts: list[dict[str, Any]] = []
        for conversation_id in chats:
            for stored in await uow.polls.in_conversation(conversation_id):
                tally = await uow.ballots.tally(stored.poll)
                polls.append(_poll(stored, tally, policy))
            questions += await _questions(uow, conversation_id)
            breakouts += await _breakouts(uow, conversation_id)
    return {"meeting": meeting_id, "chats": chats, "polls": polls, "questions": questions,
            "breakouts": breakouts}


async def _breakouts(uow: UnitOfWork, conversation_id: str) -> list[dict[str, Any]]:
    """Published breakout rounds with each group's results (no member names)."""
    rounds = []
    for stored in await uow.breakouts.in_conversation(conversation_id):
        if stored.round.status not in (RoundStatus.RUNNING, RoundStatus.RECONVENED):
            continue
        members = await uow.breakouts.members(stored.round.id)
        reports = {r.group: r for r in await uow.breakouts.reports(stored.round.id)}
        topics = stored.round.topics
        groups = sorted({m.group for m in members if m.group is not None})
        rounds.append({"id": stored.round.id, "started_at": _when(stored.round.started_at),
                       "groups": [{
                           "group": number,
                           "topic": topics[number - 1] if number <= len(topics) else None,
                           "size": sum(1 for m in members if m.group == number),
                           "points": list(reports[number].points) if number in reports else [],
                           "note": reports[number].note if number in reports else None,
                       } for number in groups]})
    return rounds


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _poll(stored: StoredPoll, tally: Tally, policy: Policy) -> dict[str, Any]:
    poll = stored.poll
    entry: dict[str, Any] = {
        "id": poll.id, "question": poll.question, "kind": poll.kind.value,
        "anonymous": poll.anonymous, "status": poll.status.value,
        "created_at": _when(poll.created_at), "closed_at": _when(poll.closed_at),
        "ballots": tally.ballots,
    }
    withheld = policy.poll_result(poll, tally)
    if withheld is Withheld.UNTIL_CLOSED:
        entry["withheld"] = "results are shown when the poll closes"
    elif withheld is Withheld.TOO_FEW:
        entry["withheld"] = f"fewer than {policy.min_group} ballots"
    elif poll.kind is PollKind.TEXT:
        entry["answers"] = [{"text": g.text, "count": g.count} for g in tally.answers]
    else:
        entry["results"] = [{"option": option, "votes": tally.counts[index]}
                            for index, option in enumerate(poll.options)]
        if poll.kind is PollKind.RATING:
            entry["average"] = rating_average(tally)
    return entry


async def _questions(uow: UnitOfWork, conversation_id: str) -> list[dict[str, Any]]:
    """The board's questions in board order, then dismissed and merged ones by age."""
    stored = await uow.qna.board_in(conversation_id)
    if stored is None:
        return []
    questions = await uow.qna.questions(stored.board.id)
    votes = await uow.qna.votes(stored.board.id)
    view = rank_board(stored.board, questions, votes)
    ordered = [*view.answering, *view.open, *view.answered, *view.pending]
    ordered += [RankedQuestion(q, votes.get(q.id, 0)) for q in questions
                if q.status in (QuestionStatus.DISMISSED, QuestionStatus.MERGED)]
    return [{
        "id": r.question.id, "text": r.question.text, "status": r.question.status.value,
        "votes": r.votes, "asked_by": r.question.author, "asked_at": _when(r.question.asked_at),
        "answered_at": _when(r.question.answered_at), "merged_into": r.question.merged_into,
    } for r in ordered]


def as_json(export: dict[str, Any]) -> str:
    return json.dumps(export, ensure_ascii=False, indent=2) + "\n"


CSV_COLUMNS = ("section", "id", "text", "status", "count", "detail")


def as_csv(export: dict[str, Any]) -> str:
    """One row per poll option (or open answer) and per question."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for poll in export["polls"]:
        rows = poll.get("results") or poll.get("answers")
        if not rows:
            writer.writerow(("poll", poll["id"], poll["question"], poll["status"],
                             poll["ballots"], poll.get("withheld", "")))
        for row in rows or []:
            writer.writerow(("poll", poll["id"], poll["question"], poll["status"],
                             row.get("votes", row.get("count")),
                             row.get("option", row.get("text"))))
    for question in export["questions"]:
        writer.writerow(("question", question["id"], question["text"], question["status"],
                         question["votes"], question["asked_by"] or ""))
    for round_ in export.get("breakouts", []):
        for group in round_["groups"]:
            writer.writerow(("breakout_group", round_["id"], group["topic"] or "",
                             "reported" if group["points"] or group["note"] else "no results",
                             group["size"], "; ".join(group["points"])))
    return out.getvalue()
