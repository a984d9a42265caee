"""Gathers a meeting's aggregates from storage into an EngagementSummary (and keeps it), showing
only what the disclosure policy allows."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from facilitation.breakout_rounds import RoundStatus
from facilitation.disclosure import Withheld
from facilitation.policy import DEFAULT_MIN_GROUP, Policy
from facilitation.polls import PollKind, Tally, rating_average
from facilitation.qna import QuestionStatus
from facilitation.summaries import (
    BreakoutSummary,
    Count,
    EngagementSummary,
    GroupResult,
    PollSummary,
    QnaSummary,
    QuestionSummary,
    Reach,
    Sentiment,
    TrendPoint,
    aggregates_only,
    top_questions,
)
from facilitation.text_analysis import Mood, mood_counts, themes
from storage.meeting_repository import Meeting
from storage.repositories import StoredPoll, UnitOfWork

SERIES_LENGTH = 6


def _within(moment: datetime, meeting: Meeting, now: datetime) -> bool:
    return meeting.started_at <= moment <= (meeting.ended_at or now)


@dataclass(frozen=True)
class SummaryMaterial:
    """A summary before its text analysis, read in one transaction. The analysis (themes and
    mood, a noticeable fraction of a second for a town hall's questions) runs in `compose`,
    after the transaction has ended and in a worker thread, so votes do not wait for it."""

    summary: EngagementSummary
    texts: tuple[str, ...] | None  # None: a kept summary, analysed when the meeting ended
    series: tuple[TrendPoint | None, ...]  # None marks this meeting's place
    policy: Policy  # what the summary may show, in the analysis too


async def summary_material(uow: UnitOfWork, meeting: Meeting, *, now: datetime,
                           policy: Policy, held: Collection[str] = (),
                           final: bool = False) -> SummaryMaterial:
    """What the meeting's summary is made of, as far as `policy` lets it show: its raw data
    while it has them, else the aggregates kept when it ended (raw texts are deleted after the
    retention period). `held`: the meeting's participation keys this process holds and has not
    written yet (bot/core/meetings.py), counted as reached too. `final`: the summary kept when
    the meeting ends, which shows open anonymous polls as closing them would
    (`Policy.poll_result`)."""
    if meeting.purged and meeting.summary_json:
        # Summaries kept before retention took their texts out are shown without them too.
        kept = policy.recheck(aggregates_only(summary_from_json(meeting.summary_json)))
        return SummaryMaterial(kept, None, await _series(uow, meeting, policy, kept_here=True),
                               policy)
    texts: list[str] = []
    polls = await _polls(uow, meeting, now, texts, policy, final)
    qna = await _qna(uow, meeting, now, texts)
    summary = EngagementSummary(
        title=meeting.title, held_on=meeting.started_at, reach=await _reach(uow, meeting, held),
        polls=polls, qna=qna, breakouts=await _breakouts(uow, meeting, now),
        min_group=policy.min_group)
    return SummaryMaterial(summary, tuple(texts), await _series(uow, meeting, policy), policy)


async def compose(material: SummaryMaterial) -> EngagementSummary:
    """The summary with its themes, mood and trends (the analysis in a worker thread)."""
    return await asyncio.to_thread(_compose, material)


async def build_summary(uow: UnitOfWork, meeting: Meeting, *, now: datetime,
                        policy: Policy,
                        held: Collection[str] = ()) -> EngagementSummary:
    """Material and composition in one go, inside `uow` (for tools and tests; handlers
    compose after their transaction has ended)."""
    return await compose(await summary_material(uow, meeting, now=now,
                                                policy=policy, held=held))


def _compose(material: SummaryMaterial) -> EngagementSummary:
    summary = material.summary
    if material.texts is not None:
        texts = list(material.texts)
        policy = material.policy
        summary = replace(
            summary, sentiment=_sentiment(texts, policy),
            themes=tuple(Count(term, n)
                         for term, n in themes(texts, min_mentions=policy.min_mentions)))
    trends = tuple(_trend_point(summary) if point is None else point
                   for point in material.series)
    return replace(summary, trends=trends)


async def _reach(uow: UnitOfWork, meeting: Meeting, held: Collection[str]) -> Reach:
    """People reached against those present; someone can take part without a join event
    (a late event, a chat-only guest), so never more reached than present."""
    reached = await uow.meetings.reached(meeting.id, also=held)
    attendees = meeting.attendees
    if attendees is None and meeting.teams_meeting_id and meeting.ended_at is None:
        attendees = await uow.meetings.attendees_now(meeting.conversation_id,
                                                     meeting.teams_meeting_id)
    return Reach(reached, max(attendees, reached) if attendees is not None else None)


async def _polls(uow: UnitOfWork, meeting: Meeting, now: datetime, texts: list[str],
                 policy: Policy, final: bool) -> tuple[PollSummary, ...]:
    found = []
    for stored in await uow.polls.in_conversation(meeting.conversation_id):
        if not _within(stored.poll.created_at, meeting, now):
            continue
        tally = await uow.ballots.tally(stored.poll)
        if policy.analyses_texts(stored.poll):
            texts += await uow.ballots.answers(stored.poll.id)
        found.append(_poll_summary(stored, tally, policy, final=final))
    return tuple(found)


def _poll_summary(stored: StoredPoll, tally: Tally, policy: Policy, *,
                  final: bool = False) -> PollSummary:
    """The poll as its closed card shows it: every option with its count (the average for a
    rating), or the most frequent answer groups and how many answers beyond them."""
    poll = stored.poll
    withheld = policy.poll_result(poll, tally, final=final)
    if withheld is not None:
        return PollSummary(poll.question, poll.kind.value, tally.ballots, withheld=withheld)
    if poll.kind is PollKind.TEXT:
        counts = tuple(Count(g.text, g.count) for g in tally.answers)
        return PollSummary(poll.question, poll.kind.value, tally.ballots, counts,
                           more=tally.ballots - sum(g.count for g in tally.answers))
    counts = tuple(Count(option, tally.counts[i]) for i, option in enumerate(poll.options))
    average = rating_average(tally) if poll.kind is PollKind.RATING else None
    return PollSummary(poll.question, poll.kind.value, tally.ballots, counts, average)


async def _qna(uow: UnitOfWork, meeting: Meeting, now: datetime,
               texts: list[str]) -> QnaSummary:
    board = await uow.qna.board_in(meeting.conversation_id)
    if board is None:
        return QnaSummary()
    votes = await uow.qna.votes(board.board.id)
    questions = [q for q in await uow.qna.questions(board.board.id)
                 if _within(q.asked_at, meeting, now)]
    # Dismissed, merged and still pending questions do not shape the meeting's themes or mood.
    texts += [q.text for q in questions if q.status in (
        QuestionStatus.OPEN, QuestionStatus.ANSWERING, QuestionStatus.ANSWERED)]
    status = [q.status for q in questions]
    visible = [QuestionSummary(q.text, votes.get(q.id, 0), q.status is QuestionStatus.ANSWERED)
               for q in questions if q.status in (QuestionStatus.OPEN, QuestionStatus.ANSWERING,
                                                  QuestionStatus.ANSWERED)]
    unanswered = [q for q in visible if not q.answered]
    return QnaSummary(
        asked=len(questions), answered=status.count(QuestionStatus.ANSWERED),
        open=sum(s in (QuestionStatus.OPEN, QuestionStatus.ANSWERING, QuestionStatus.PENDING)
                 for s in status),
        dismissed=status.count(QuestionStatus.DISMISSED),
        merged=status.count(QuestionStatus.MERGED),
        top=top_questions(visible), open_items=top_questions(unanswered, limit=3))


def _sentiment(texts: list[str], policy: Policy) -> Sentiment:
    """Moods of the meeting's texts; none at all for fewer texts than the policy allows."""
    if not policy.shows_mood(len(texts)):
        return Sentiment()
    counts = mood_counts(texts)
    return Sentiment(counts.get(Mood.POSITIVE, 0), counts.get(Mood.NEUTRAL, 0),
                     counts.get(Mood.NEGATIVE, 0))


async def _breakouts(uow: UnitOfWork, meeting: Meeting, now: datetime) -> BreakoutSummary:
    rounds = [r for r in await uow.breakouts.in_conversation(meeting.conversation_id)
              if r.round.status in (RoundStatus.RUNNING, RoundStatus.RECONVENED)
              and _within(r.round.created_at, meeting, now)]
    groups, results = 0, []
    for number, stored in enumerate(rounds, start=1):
        members = await uow.breakouts.members(stored.round.id)
        groups += len({m.group for m in members if m.group is not None})
        topics = stored.round.topics
        for report in await uow.breakouts.reports(stored.round.id):
            topic = topics[report.group - 1] if report.group <= len(topics) else None
            results.append(GroupResult(number, report.group, topic, report.points, report.note))
    return BreakoutSummary(rounds=len(rounds), groups=groups, reported=len(results),
                           results=tuple(results))


async def _series(uow: UnitOfWork, meeting: Meeting, policy: Policy, *,
                  kept_here: bool = False) -> tuple[TrendPoint | None, ...]:
    """The chat's series up to this meeting from kept aggregates; this meeting's own point
    (None) is filled in once its summary is composed, unless its kept one serves."""
    points: list[TrendPoint | None] = []
    for earlier in await uow.meetings.series(meeting.conversation_id, until=meeting.started_at,
                                             limit=SERIES_LENGTH):
        if earlier.id == meeting.id and not kept_here:
            points.append(None)
        elif earlier.summary_json:
            kept = policy.recheck(summary_from_json(earlier.summary_json))
            points.append(_trend_point(kept))
    return tuple(points)


def _trend_point(summary: EngagementSummary) -> TrendPoint:
    mood = summary.sentiment
    share = mood.positive / mood.total if mood.total else None
    return TrendPoint(label=summary.held_on.date().isoformat(), reached=summary.reach.reached,
                      questions=summary.qna.asked, positive_share=share)


# ---------------------------------------------------------------------------- keeping aggregates


def summary_to_json(summary: EngagementSummary) -> str:
    data = asdict(summary)
    data["held_on"] = summary.held_on.isoformat()
    data["trends"] = []
    return json.dumps(data, ensure_ascii=False)


def summary_from_json(raw: str) -> EngagementSummary:
    data: dict[str, Any] = json.loads(raw)
    return EngagementSummary(
        title=data["title"], held_on=datetime.fromisoformat(data["held_on"]),
        reach=Reach(**data["reach"]),
        polls=tuple(PollSummary(**{**p, "results": tuple(Count(**c) for c in p["results"]),
                                   "withheld": _withheld(p.get("withheld"))})
                    for p in data["polls"]),
        qna=QnaSummary(**{**data["qna"],
                          "top": tuple(QuestionSummary(**q) for q in data["qna"]["top"]),
                          "open_items": tuple(QuestionSummary(**q)
                                              for q in data["qna"]["open_items"])}),
        themes=tuple(Count(**c) for c in data["themes"]),
        sentiment=Sentiment(**data["sentiment"]),
        breakouts=BreakoutSummary(**{**data["breakouts"], "results": tuple(
            GroupResult(**{**r, "points": tuple(r["points"])})
            for r in data["breakouts"]["results"])}),
        # Summaries kept before the minimum was recorded were all gathered with the default.
        min_group=data.get("min_group", DEFAULT_MIN_GROUP),
        texts_removed=data.get("texts_removed", False))


def _withheld(kept: object) -> Withheld | None:
    """Why a kept poll shows only its turnout; summaries kept before reasons were kept say
    `true` (too few ballots, the only reason then) or `false`."""
    if isinstance(kept, str):
        return Withheld(kept)
    return Withheld.TOO_FEW if kept else None
