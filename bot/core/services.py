"""What handlers may use: storage, keys, clock, ids, meeting roles, delivery, the disclosure
policy, and each feature's own long-lived parts (looked up by type, so that the core knows no
feature). Who may act is not decided here but declared with each route
(bot/core/permissions.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar, cast

from bot.core.meetings import Meetings
from bot.delivery.durable import DurableSends
from bot.delivery.outbox import Outbox
from bot.teams.roles import MeetingRoles
from bot.teams.roster import Roster
from facilitation.policy import Policy
from storage.repositories import Storage

P = TypeVar("P")


class Parts:
    """Each feature's long-lived parts (the live poll cards, the Q&A board's upvote box...), one
    object per feature, found by its class. The composition root (bot/app.py) adds them; a
    feature asks only for its own, so features stay independent of each other."""

    def __init__(self, *parts: object) -> None:
        self._by_class: dict[type, object] = {}
        for part in parts:
            if type(part) in self._by_class:
                raise ValueError(f"two parts of class {type(part).__name__}")
            self._by_class[type(part)] = part

    def __getitem__(self, kind: type[P]) -> P:
        try:
            return cast(P, self._by_class[kind])
        except KeyError:
            raise LookupError(f"no {kind.__name__} was added to the services") from None

    def __iter__(self) -> Iterator[object]:
        return iter(self._by_class.values())


@dataclass
class Services:
    storage: Storage
    secret: bytes
    clock: Callable[[], datetime]
    new_id: Callable[[], str]
    roles: MeetingRoles
    roster: Roster
    sends: DurableSends  # every new message (written down before the turn is answered)
    outbox: Outbox  # card edits
    meetings: Meetings
    policy: Policy  # what any surface may show of the figures; hand it to every one
    parts: Parts = field(default_factory=Parts)
    public_url: str = "http://127.0.0.1:3978"
    report_link_hours: int = 72
    # In meetings, attendees may start polls, boards, breakouts and summaries too (see
    # bot/core/permissions.py; RESONANZ_ATTENDEES_START).
    attendees_start: bool = False

    def part(self, kind: type[P]) -> P:
        """A feature's own parts, e.g. `services.part(PollParts)`."""
        return self.parts[kind]
