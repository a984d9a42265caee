"""Who may run a command or card verb: the rules that routes declare and the router enforces.

- **Everyone** in the chat.
- **Moderators** of an item: in a meeting its organizers and presenters, asked from Teams at
  every action (roles change during meetings); outside meetings whoever created the item.
- **Starters** of polls, Q&A boards, breakouts and summaries: in a meeting its organizers and
  presenters (unless the deployment lets attendees start things too), elsewhere everyone.
- **Organizers in meetings**: in a meeting its organizers and presenters, elsewhere everyone.
- **Posted for**: the person a publicly posted card was opened for (it carries their owner
  tag), optionally or a meeting's organizers and presenters.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.cards.elements import FORM_OWNER_FIELD
from bot.core.scope import Place
from bot.core.turn import Turn
from bot.teams.roles import MODERATOR_ROLES, RoleUnavailable
from facilitation.anonymity import Person, owner_tag
from facilitation.errors import DomainError, NotModerator

if TYPE_CHECKING:
    from bot.core.services import Services

CreatorKey = Callable[[bytes, str, Person], str]


@dataclass
class _Asked:
    """The person's meeting role, once asked during this one action."""

    role: str | None = None
    known: bool = False


@dataclass
class Access:
    """One action being checked: who acts, where, on which item, with which arguments. The
    meeting role is asked from Teams at most once per action and forgotten after it."""

    turn: Turn
    services: Services
    place: Place | None = None  # the item acted on (None for commands and forms)
    creator_key: CreatorKey | None = None
    arguments: str = ""
    # Where Teams is asked for the role: the stored chat's service URL once the chat is known
    # (never an address the click brought), else the turn's.
    service_url: str | None = None
    _asked: _Asked = field(default_factory=_Asked)

    def about(self, place: Place, creator_key: CreatorKey | None) -> Access:
        """The same action, checked against another item (the role asked is kept)."""
        return Access(self.turn, self.services, place, creator_key, self.arguments,
                      self.service_url, self._asked)

    @property
    def meeting_id(self) -> str | None:
        """The meeting whose roles count: the item's, else the chat's."""
        return self.place.meeting_id if self.place is not None else self.turn.meeting_id

    async def has_meeting_role(self) -> bool:
        """Whether the person is an organizer or presenter of the meeting (asked from Teams;
        a DomainError when Teams cannot tell)."""
        meeting_id = self.meeting_id
        if meeting_id is None:
            return False
        if not self._asked.known:
            try:
                self._asked.role = await self.services.roles.role(
                    self.service_url or self.turn.address.service_url, meeting_id,
                    self.turn.tenant_id,
                    self.turn.person.aad_object_id)
            except RoleUnavailable as error:
                raise DomainError("moderator.role_unknown") from error
            self._asked.known = True
        return self._asked.role in MODERATOR_ROLES

    def is_creator(self) -> bool:
        if self.place is None or self.creator_key is None or not self.place.creator_key:
            return False
        mine = self.creator_key(self.services.secret, self.place.item_id, self.turn.person)
        return hmac.compare_digest(mine, self.place.creator_key)

    def owns(self, tag: object) -> bool:
        """Whether `tag` is the person's owner tag for this item (or, without one, this chat)."""
        return isinstance(tag, str) and hmac.compare_digest(
            tag, tag_for(self.services, self.turn, self.owner_scope))

    @property
    def owner_scope(self) -> str:
        return self.place.item_id if self.place is not None else self.turn.address.conversation_id


def tag_for(services: Services, turn: Turn, scope: str) -> str:
    """The owner tag a card posted for this turn's person carries (see `PostedFor`)."""
    return owner_tag(services.secret, scope, turn.person)


class Rule:
    """Who may run a route. `check` returns, or raises the refusal meant for the person."""

    everyone = False  # never refuses anybody
    needs_item = False  # only meaningful for routes that act on an item

    async def check(self, access: Access) -> None:
        raise NotImplementedError

    def help_note(self, attendees_start: bool) -> str | None:
        """The message key of a note for the help card, when it matters who may."""
        return None


class _Everyone(Rule):
    everyone = True

    async def check(self, access: Access) -> None:
        return None


class _Moderators(Rule):
    needs_item = True

    async def check(self, access: Access) -> None:
        allowed = await access.has_meeting_role() if access.meeting_id else access.is_creator()
        if not allowed:
            raise NotModerator()


class _OrganizersInMeetings(Rule):
    async def check(self, access: Access) -> None:
        if access.meeting_id and not await access.has_meeting_role():
            raise NotModerator()


class _Starters(Rule):
    async def check(self, access: Access) -> None:
        if (access.meeting_id and not access.services.attendees_start
                and not await access.has_meeting_role()):
            raise DomainError("moderator.starters")

    def help_note(self, attendees_start: bool) -> str | None:
        return None if attendees_start else "help.starters_note"


class PostedFor(Rule):
    """Only the person the card was posted for: its data carries their owner tag in `field`
    (see `tag_for`). With `or_moderators`, a meeting's organizers and presenters too. With
    `only_if`, only clicks whose data match it are limited."""

    def __init__(self, field: str, refusal: str, *, or_moderators: bool = False,
                 only_if: Callable[[Mapping[str, Any]], bool] | None = None) -> None:
        self.field = field
        self.refusal = refusal
        self.or_moderators = or_moderators
        self.only_if = only_if

    async def check(self, access: Access) -> None:
        data = access.turn.data
        if self.only_if is not None and not self.only_if(data):
            return
        if access.owns(data.get(self.field)):
            return
        if self.or_moderators and access.meeting_id and await access.has_meeting_role():
            return
        raise DomainError(self.refusal)


class AllOf(Rule):
    """Every one of the rules, in order."""

    def __init__(self, *rules: Rule) -> None:
        self.rules = rules
        self.everyone = all(rule.everyone for rule in rules)
        self.needs_item = any(rule.needs_item for rule in rules)

    async def check(self, access: Access) -> None:
        for rule in self.rules:
            await rule.check(access)

    def help_note(self, attendees_start: bool) -> str | None:
        return next((note for rule in self.rules if (note := rule.help_note(attendees_start))),
                    None)


EVERYONE: Rule = _Everyone()
MODERATORS: Rule = _Moderators()
STARTERS: Rule = _Starters()
ORGANIZERS_IN_MEETINGS: Rule = _OrganizersInMeetings()
# A form posted publicly into the chat (`poll` or `breakout` alone) is sent by the person it was
# opened for, or by a meeting's organizers and presenters; and only by someone who may start.
FORM_OWNER = AllOf(STARTERS, PostedFor(FORM_OWNER_FIELD, "form.not_yours", or_moderators=True))


def form_owner_tag(services: Services, turn: Turn) -> str:
    """The owner tag of a form posted for this turn's person into this chat."""
    return tag_for(services, turn, turn.address.conversation_id)
