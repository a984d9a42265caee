"""Meeting roles from Teams' participant API, called over REST (the SDK's own call is broken)."""

from __future__ import annotations

from urllib.parse import quote

from bot.teams.connector_reads import ConnectorReads, ReadFailed

MODERATOR_ROLES = frozenset({"Organizer", "Presenter"})


class RoleUnavailable(Exception):
    """Teams could not tell the role (app not installed in the meeting, network trouble)."""


class MeetingRoles:
    """Asks `GET {serviceUrl}/v1/meetings/{meetingId}/participants/{aadId}?tenantId=...`.

    Roles change during a meeting (someone is made presenter), so answers are not cached.
    """

    def __init__(self, reads: ConnectorReads) -> None:
        self._reads = reads

    async def role(self, service_url: str, meeting_id: str, tenant_id: str,
                   aad_object_id: str | None) -> str | None:
        """The person's role (Organizer, Presenter, Attendee), or None if not a participant."""
        if not aad_object_id:
            return None  # anonymous guests have no Entra id and cannot be looked up
        url = (f"{service_url.rstrip('/')}/v1/meetings/{quote(meeting_id, safe='')}"
               f"/participants/{quote(aad_object_id, safe='')}")
        try:
            body = await self._reads.get_json(service_url, url, {"tenantId": tenant_id},
                                              what="participant lookup", missing_ok=True)
        except ReadFailed as error:
            raise RoleUnavailable(error.status) from error
        meeting = body.get("meeting") if isinstance(body, dict) else None
        role = meeting.get("role") if isinstance(meeting, dict) else None
        return role if isinstance(role, str) else None
