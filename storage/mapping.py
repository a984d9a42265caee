"""Conversion between engine objects (frozen dataclasses) and table rows."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from facilitation.polls import AnswerGroup, Poll, PollKind, PollStatus, ResultsMode, Tally
from storage.tables import PollRow

# A chat's columns besides its conversation id (a joined row carries them as chat_<name>).
CHAT_FIELDS = ("service_url", "tenant_id", "bot_id", "meeting_id")


@dataclass(frozen=True)
class Chat:
    """Where to post into a chat outside a turn."""

    conversation_id: str
    service_url: str
    tenant_id: str = ""
    bot_id: str = ""
    meeting_id: str | None = None


def chat_from_row(row: Any, prefix: str = "") -> Chat | None:
    """The chat of a chat row, or of a row joined with its chat's columns named `prefix` +
    field (None when the join found no chat)."""
    service_url = getattr(row, prefix + "service_url")
    if service_url is None:
        return None
    return Chat(row.conversation_id, service_url, getattr(row, prefix + "tenant_id"),
                getattr(row, prefix + "bot_id"), getattr(row, prefix + "meeting_id"))


def poll_from_row(row: PollRow) -> Poll:
    return Poll(
        id=row.id, question=row.question, options=tuple(json.loads(row.options_json)),
        kind=PollKind(row.kind), anonymous=row.anonymous, results=ResultsMode(row.results),
        status=PollStatus(row.status), created_at=row.created_at, revealed=row.revealed,
        closes_at=row.closes_at, closed_at=row.closed_at,
    )


def apply_poll(row: PollRow, poll: Poll) -> PollRow:
    """Copy a poll's state onto its row (the row's placement fields stay as they are)."""
    row.question = poll.question
    row.options_json = json.dumps(list(poll.options), ensure_ascii=False)
    row.kind = poll.kind.value
    row.anonymous = poll.anonymous
    row.results = poll.results.value
    row.status = poll.status.value
    row.revealed = poll.revealed
    row.created_at = poll.created_at
    row.closes_at = poll.closes_at
    row.closed_at = poll.closed_at
    return row


def tally_to_json(tally: Tally) -> str:
    return json.dumps({"ballots": tally.ballots, "counts": list(tally.counts),
                       "answers": [[group.text, group.count] for group in tally.answers]},
                      ensure_ascii=False)


def tally_from_json(text: str) -> Tally:
    data = json.loads(text)
    return Tally(ballots=data["ballots"], counts=tuple(data["counts"]),
                 answers=tuple(AnswerGroup(text, count) for text, count in data["answers"]))
