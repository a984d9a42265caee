"""What handlers may use: storage, keys, clock, ids, meeting roles, delivery, the disclosure
policy, and each feature's own long-lived parts (looked up by type, so that the core knows no
feature)."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar, cast

from bot.core.meetings import Meetings
from bot.core.turn import Turn
from bot.delivery.outbox import Outbox
from bot.delivery.private import PrivateMessages
from bot.teams.roles import MODERATOR_ROLES, MeetingRoles, RoleUnavailable
from bot.teams.roster import Roster
from facilitation.anonymity import creator_key
from facilitation.errors import DomainError, NotModerator
from facilitation.policy import Policy
from storage.repositories import Storage, StoredPoll

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
    private: PrivateMessages
    outbox: Outbox
    meetings: Meetings
    policy: Policy  # what any surface may show of the figures; hand it to every one
    parts: Parts = field(default_factory=Parts)
    public_url: str = "http://127.0.0.1:3978"
    report_link_hours: int = 72

    def part(self, kind: type[P]) -> P:
        """A feature's own parts, e.g. `services.part(PollParts)`."""
        return self.parts[kind]

    async def require_moderator(self, turn: Turn, stored: StoredPoll) -> None:
        """Moderators of a poll: in a meeting its organizers and presenters, elsewhere the
        poll's creator. Raises NotModerator (or a role-unknown DomainError)."""
        await self.require_meeting_role_or_creator(
            turn, stored.meeting_id, stored.creator_key,
            creator_key(self.secret, stored.poll.id, turn.person))

    async def is_moderator(self, turn: Turn, meeting_id: str | None, creator: str,
                           mine: str) -> bool:
        try:
            await self.require_meeting_role_or_creator(turn, meeting_id, creator, mine)
        except NotModerator:
            return False
        return True

    async def require_meeting_role_or_creator(self, turn: Turn, meeting_id: str | None,
                                              creator: str, mine: str) -> None:
        """In a meeting: organizers and presenters (asked from Teams every time, since roles
        change). Outside: whoever holds the creator key. Raises NotModerator, or a role-unknown
        DomainError when Teams cannot tell the role."""
        if meeting_id:
            await self.require_meeting_role(turn, meeting_id)
        elif not hmac.compare_digest(mine, creator):
            raise NotModerator()

    async def require_meeting_role(self, turn: Turn, meeting_id: str) -> None:
        """The person is an organizer or presenter of the meeting (else NotModerator)."""
        try:
            role = await self.roles.role(turn.address.service_url, meeting_id,
                                         turn.tenant_id, turn.person.aad_object_id)
        except RoleUnavailable as error:
            raise DomainError("moderator.role_unknown") from error
        if role not in MODERATOR_ROLES:
            raise NotModerator()
