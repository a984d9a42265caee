"""Engagement summaries: posted when a meeting ends or on request; report links for moderators."""

from __future__ import annotations

import secrets
from datetime import timedelta

from bot.core.meeting_ids import token_hash
from bot.core.permissions import ORGANIZERS_IN_MEETINGS, STARTERS
from bot.core.registry import Command, Registry, alone
from bot.core.scope import Scoped
from bot.core.services import Services
from bot.core.turn import Reply, Turn
from bot.i18n import Language, language_of
from bot.summaries.cards import SummaryVerbs, render_report_link, render_summary_card
from bot.summaries.gathering import compose, summary_material, summary_to_json
from bot.summaries.item import MEETING
from storage.meeting_repository import Meeting

EVENT_START = "meetingStart"
EVENT_END = "meetingEnd"
MAX_TITLE_CHARS = 200


def register(registry: Registry) -> None:
    registry.command(Command("summary", "help.summary", summary_command,
                              unmentioned=alone, who=STARTERS))
    # The report is for the meeting's organizers and presenters; in other chats, its members.
    registry.verb(SummaryVerbs.REPORT_LINK, report_link, who=ORGANIZERS_IN_MEETINGS,
                  item=MEETING)
    registry.on_event(EVENT_START, meeting_started)
    registry.on_event(EVENT_END, meeting_ended)


def _title(turn: Turn) -> str:
    value = turn.data.get("Title") or turn.data.get("title")
    return " ".join(value.split())[:MAX_TITLE_CHARS] if isinstance(value, str) else ""


async def meeting_started(turn: Turn, services: Services) -> Reply:
    """A new meeting of the chat begins (an unfinished earlier one ends here)."""
    async with services.storage.unit_of_work() as uow:
        earlier = await uow.meetings.current(turn.address.conversation_id)
        if earlier is not None:
            await uow.meetings.end(earlier.id, at=services.clock(), attendees=earlier.attendees)
        await services.meetings.start(uow, turn, title=_title(turn))
        await uow.commit()
    return Reply()


async def meeting_ended(turn: Turn, services: Services) -> Reply:
    """Teams says the meeting is over: close it, keep its aggregates, post the summary."""
    now = services.clock()
    locale = await _chat_language(services, turn)
    async with services.storage.unit_of_work() as uow:
        meeting = await uow.meetings.current(turn.address.conversation_id)
        if meeting is None:
            meeting = await services.meetings.start(uow, turn, title=_title(turn))
        attendees = (await uow.meetings.attendees_now(turn.address.conversation_id,
                                                      turn.meeting_id)
                     if turn.meeting_id else None)
        await uow.meetings.end(meeting.id, at=now, attendees=attendees)
        if _title(turn) and not meeting.title:
            await uow.meetings.set_title(meeting.id, _title(turn))
        ended = await uow.meetings.get(meeting.id)
        assert ended is not None
        material = await summary_material(uow, ended, now=now,
                                          policy=services.policy,
                                          held=services.meetings.held(ended.id), final=True)
        await uow.commit()
    summary = await compose(material)
    async with services.storage.unit_of_work() as uow:
        await uow.meetings.keep_summary(ended.id, summary_to_json(summary))
        await uow.commit()
    if summary.is_empty:
        return Reply()  # nothing was recorded: no card in the chat (`summary` still answers)
    return Reply.post(render_summary_card(summary, meeting_id=ended.id, language=locale,
                                          policy=services.policy))


async def _chat_language(services: Services, turn: Turn) -> Language:
    """Meeting events carry the locale of no one in particular: use the chat's polls' or
    board's language when known, else the event's."""
    async with services.storage.unit_of_work() as uow:
        polls = await uow.polls.in_conversation(turn.address.conversation_id)
        board = await uow.qna.board_in(turn.address.conversation_id)
    if polls:
        return language_of(polls[-1].locale)
    if board is not None:
        return language_of(board.locale)
    return turn.language


async def summary_command(turn: Turn, arguments: str, services: Services) -> Reply:
    """The summary of the meeting so far (or of the last one, if it has ended)."""
    now = services.clock()
    async with services.storage.unit_of_work() as uow:
        meeting = await uow.meetings.current(turn.address.conversation_id) \
            or await uow.meetings.latest(turn.address.conversation_id) \
            or await services.meetings.start(uow, turn)
        material = await summary_material(uow, meeting, now=now,
                                          policy=services.policy,
                                          held=services.meetings.held(meeting.id))
        await uow.commit()
    summary = await compose(material)
    return Reply.post(render_summary_card(summary, meeting_id=meeting.id,
                                          language=turn.language, policy=services.policy))


def report_token() -> str:
    """A report link's secret: 32 random bytes, URL-safe; never starting with "-", so that it
    can be given to `resonanz export --meeting` as it is (a leading dash reads as an option)."""
    while (token := secrets.token_urlsafe(32)).startswith("-"):
        pass
    return token


async def report_link(turn: Turn, services: Services, found: Scoped[Meeting]) -> Reply:
    """An expiring link to the report page of the meeting."""
    meeting = found.item
    token = report_token()
    hours = services.report_link_hours
    async with services.storage.unit_of_work() as uow:
        await uow.meetings.add_link(token_hash(token), meeting.id, turn.language,
                                    services.clock() + timedelta(hours=hours))
        await uow.commit()
    url = f"{services.public_url.rstrip('/')}/reports/{token}"
    return Reply.personal(render_report_link(url, language=turn.language, hours=hours))

