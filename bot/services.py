"""What handlers may use: storage, keys, clock, ids, meeting roles and the live poll cards."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.live_polls import LivePolls
from bot.roles import MODERATOR_ROLES, MeetingRoles, RoleUnavailable
from bot.turn import Turn
from facilitation.anonymity import creator_key
from facilitation.errors import DomainError, NotModerator
from storage.repositories import Storage, StoredPoll


@dataclass
class Services:
    storage: Storage
    secret: bytes
    clock: Callable[[], datetime]
    new_id: Callable[[], str]
    roles: MeetingRoles
    live: LivePolls

    async def require_moderator(self, turn: Turn, stored: StoredPoll) -> None:
        """Moderators: in a meeting its organizers and presenters, elsewhere the poll's creator.

        Raises NotModerator (or a role-unknown DomainError when Teams cannot tell the role).
        """
        if stored.meeting_id:
            try:
                role = await self.roles.role(turn.address.service_url, stored.meeting_id,
                                             turn.tenant_id, turn.person.aad_object_id)
            except RoleUnavailable as error:
                raise DomainError("moderator.role_unknown") from error
            if role in MODERATOR_ROLES:
                return
            raise NotModerator()
        mine = creator_key(self.secret, stored.poll.id, turn.person)
        if not hmac.compare_digest(mine, stored.creator_key):
            raise NotModerator()
