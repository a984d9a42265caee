"""Breakout commands, card actions and meeting presence: draft, publish, timer, report-back."""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import replace
from functools import partial
from typing import Any

from bot.breakouts.cards import (
    BreakoutVerbs,
    DraftView,
    FormValues,
    GroupView,
    render_assignment,
    render_breakout_form,
    render_closed_note,
    render_copy_list,
    render_draft,
    render_private_assignment,
    render_report_form,
    render_results_wall,
)
from bot.breakouts.item import ROUND
from bot.cards.elements import as_activity, input_id
from bot.core.permissions import (
    EVERYONE,
    FORM_OWNER,
    MODERATORS,
    STARTERS,
    Access,
    Rule,
    form_owner_tag,
)
from bot.core.registry import Command, Registry
from bot.core.scope import Scoped, chat_of
from bot.core.services import Services
from bot.core.turn import Binding, CardEdit, Message, Reply, Turn
from bot.delivery.transport import Address
from bot.i18n import Language, inert, language_of, t
from bot.teams.roster import RosterUnavailable
from facilitation.anonymity import breakout_creator_key
from facilitation.breakout_rounds import (
    EXTENSION_MINUTES,
    BreakoutProblem,
    BreakoutRound,
    Report,
    RoundStatus,
    Source,
    TimerEvent,
    cancel,
    check_duration,
    clean_topics,
    end_now,
    extend,
    mark_told,
    reconvene,
    report,
    start,
)
from facilitation.breakouts import (
    BreakoutPlan,
    Constraints,
    History,
    InvalidBreakout,
    Member,
    group_count,
    pairs_of,
    plan_breakout,
)
from facilitation.errors import DomainError
from storage.breakout_repository import AlreadyReported, RoundMember, StoredRound
from storage.outgoing import Outgoing
from storage.repositories import Chat, UnitOfWork

EVENT_JOIN = "meetingParticipantJoin"
EVENT_LEAVE = "meetingParticipantLeave"
EVENT_END = "meetingEnd"

POSTED_ROUND = "breakout"  # a round's card: its id is kept with the round


def register(registry: Registry) -> None:
    registry.command(Command("breakout", "help.breakout", breakout_command,
                             unmentioned=_breakout_words, who=STARTERS))
    registry.verb(BreakoutVerbs.CREATE, create_from_form, who=FORM_OWNER)
    registry.verb(BreakoutVerbs.JOIN, join, who=EVERYONE, item=ROUND)
    for verb, handler in ((BreakoutVerbs.UPDATE, update_draft), (BreakoutVerbs.PUBLISH, publish),
                          (BreakoutVerbs.CANCEL, cancel_draft),
                          (BreakoutVerbs.EXTEND, partial(_timer_change, action="extend")),
                          (BreakoutVerbs.END, partial(_timer_change, action="end")),
                          (BreakoutVerbs.BROADCAST, broadcast),
                          (BreakoutVerbs.RECONVENE, reconvene_round),
                          (BreakoutVerbs.COPY, copy_list)):
        registry.verb(verb, handler, who=MODERATORS, item=ROUND)
    registry.verb(BreakoutVerbs.REPORT_FORM, report_form, who=GROUP_PRESENTER, item=ROUND)
    registry.verb(BreakoutVerbs.REPORT, submit_report, who=GROUP_PRESENTER, item=ROUND)
    registry.on_event(EVENT_JOIN, partial(_presence, present=True))
    registry.on_event(EVENT_LEAVE, partial(_presence, present=False))
    registry.on_event(EVENT_END, _meeting_ended)
    registry.on_posted(POSTED_ROUND, _remember_card)


class _GroupPresenter(Rule):
    """Only a group's presenter gets the report form and submits the group's results."""

    needs_item = True

    async def check(self, access: Access) -> None:
        assert access.place is not None  # needs_item: the router found the round
        async with access.services.storage.unit_of_work() as uow:
            members = await uow.breakouts.members(access.place.item_id)
        if _presenter_seat(members, access.turn) is None:
            raise BreakoutProblem("breakout.not_presenter")


GROUP_PRESENTER = _GroupPresenter()


def _presenter_seat(members: list[RoundMember], turn: Turn) -> RoundMember | None:
    """The person's place in a published round, if they present their group."""
    mine = next((m for m in members if m.id == turn.person.user_id
                 or (turn.person.aad_object_id and m.aad_object_id == turn.person.aad_object_id)),
                None)
    if mine is None or mine.role != "presenter" or mine.group is None:
        return None
    return mine


# ---------------------------------------------------------------------------- preparing


def _breakout_words(arguments: str) -> bool:
    """`breakout` alone or with a number of groups."""
    words = arguments.split()
    return not words or (len(words) == 1 and words[0].isdigit())


async def breakout_command(turn: Turn, arguments: str, services: Services) -> Reply:
    """`breakout 5` prepares a draft of 5 groups; `breakout` alone posts the form."""
    if not arguments.strip():
        return Reply.post(render_breakout_form(language=turn.language,
                                               owner=form_owner_tag(services, turn)))
    word = arguments.split()[0]
    if not word.lstrip("-").isdigit() or len(word) > 6:
        raise DomainError("breakout.usage")
    return await _prepare(turn, services, groups=int(word), size=None, topics=(), minutes=None)


async def create_from_form(turn: Turn, services: Services, _: None) -> Reply:
    values = FormValues(split=_text(turn, "split") or "groups",
                        number=_quiet_number(turn.data.get(input_id("number"))),
                        topics=_text(turn, "topics"),
                        minutes=_quiet_number(turn.data.get(input_id("minutes"))))
    try:
        number = _whole_number(turn.data.get(input_id("number")))
        if number is None:
            raise DomainError("breakout.bad_number")
        minutes = _whole_number(turn.data.get(input_id("minutes")))
        topics = clean_topics(_text(turn, "topics"))
        by_size = turn.data.get(input_id("split")) == "size"
        reply = await _prepare(turn, services, groups=None if by_size else number,
                               size=number if by_size else None, topics=topics,
                               minutes=minutes)
    except DomainError as error:
        message = t(error.code, turn.language, **_inert(error.params))
        return Reply.personal(render_breakout_form(language=turn.language, error=message,
                                                   values=values,
                                                   owner=form_owner_tag(services, turn)))
    if turn.reply_to_id:
        # The used form, in the chat the click came from.
        reply.edits.append(CardEdit(turn.reply_to_id, render_closed_note(
            t("breakout.draft_below", turn.language)), turn.address))
    reply.invoke = Reply.personal(message=t("breakout.draft_below", turn.language)).invoke
    return reply


def _whole_number(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise DomainError("breakout.bad_number") from error
    if not number.is_integer() or abs(number) > 100_000:
        raise DomainError("breakout.bad_number")
    return int(number)


def _quiet_number(value: Any) -> int | None:
    """A number to show again in the form, or None when it was not one."""
    try:
        return _whole_number(value)
    except DomainError:
        return None


def _text(turn: Turn, name: str) -> str:
    value = turn.data.get(input_id(name))
    return value if isinstance(value, str) else ""


def _inert(params: dict[str, Any]) -> dict[str, Any]:
    return {key: inert(value) if isinstance(value, str) else value
            for key, value in params.items()}


async def _prepare(turn: Turn, services: Services, *, groups: int | None, size: int | None,
                   topics: tuple[str, ...], minutes: int | None) -> Reply:
    """Gather who takes part, store a draft and post it for the moderators to adjust."""
    if groups is not None and groups < 1:
        raise InvalidBreakout("breakout.groups_too_few", groups=groups)
    if size is not None and size < 2:
        raise InvalidBreakout("breakout.size_too_small", size=size)
    check_duration(minutes)
    members, source = await _participants(turn, services)
    round_ = BreakoutRound(id=services.new_id(), status=RoundStatus.DRAFT, source=source,
                           groups=groups or 0, size=size, duration_minutes=minutes,
                           topics=topics, created_at=services.clock())
    stored = StoredRound(round_, turn.address.conversation_id,
                         breakout_creator_key(services.secret, round_.id, turn.person),
                         turn.language, turn.meeting_id)
    async with services.storage.unit_of_work() as uow:
        await uow.chats.remember(chat_of(turn))
        await uow.breakouts.add_round(stored, members)
        await services.meetings.current(uow, turn, since=round_.created_at)
        await uow.commit()
        card = await _draft_card(uow, stored, language_of(stored.locale))
    return Reply(messages=[Message(card=card, binds=Binding(POSTED_ROUND, round_.id))])


async def _remember_card(services: Services, round_id: str, address: Address,
                         activity_id: str) -> None:
    async with services.storage.unit_of_work() as uow:
        await uow.breakouts.set_card(round_id, activity_id)
        await uow.commit()


async def _participants(turn: Turn, services: Services) -> tuple[list[RoundMember], Source]:
    """People present in the meeting (join/leave events), else the chat's members, else
    nobody yet: then people opt in with "I'm in"."""
    if turn.meeting_id:
        async with services.storage.unit_of_work() as uow:
            present = await uow.breakouts.present(turn.address.conversation_id, turn.meeting_id)
        if present:
            return present, Source.PRESENT
    try:
        roster = await services.roster.members(turn.address.service_url,
                                               turn.address.conversation_id)
    except RosterUnavailable:
        roster = []
    people = [RoundMember(m.id, m.name, m.aad_object_id) for m in roster
              if m.id != turn.address.bot_id]
    if people:
        return people, Source.ROSTER
    return [], Source.OPT_IN


# ---------------------------------------------------------------------------- planning


def _seed(round_id: str) -> int:
    return zlib.crc32(round_id.encode())


async def _history(uow: UnitOfWork, stored: StoredRound) -> History:
    placements = await uow.breakouts.earlier_placements(stored.conversation_id, stored.round.id)
    groups: dict[tuple[str, int], list[str]] = {}
    facilitated: Counter[str] = Counter()
    presented: Counter[str] = Counter()
    for placement in placements:
        groups.setdefault((placement.round_id, placement.group), []).append(placement.member_id)
        if placement.role == "facilitator":
            facilitated[placement.member_id] += 1
        elif placement.role == "presenter":
            presented[placement.member_id] += 1
    return History(pairs=dict(pairs_of(groups.values())), facilitated=dict(facilitated),
                   presented=dict(presented))


async def _plan(uow: UnitOfWork, stored: StoredRound,
                members: list[RoundMember]) -> BreakoutPlan:
    """Plan the round (raises InvalidBreakout with the reason when it cannot be planned)."""
    included = [Member(m.id, m.name) for m in members if not m.excluded]
    round_ = stored.round
    count = group_count(len(included), groups=round_.groups or None,
                        size=None if round_.groups else round_.size)
    return plan_breakout(included, groups=count,
                         constraints=Constraints(apart=round_.apart, together=round_.together),
                         history=await _history(uow, stored), topics=round_.topics,
                         seed=_seed(round_.id))


def _group_views(plan: BreakoutPlan, members: list[RoundMember]) -> tuple[GroupView, ...]:
    names = {m.id: m.name for m in members}
    return tuple(GroupView(number=g.number, members=tuple(names[i] for i in g.members),
                           topic=g.topic, facilitator=names.get(g.facilitator),
                           presenter=names.get(g.presenter)) for g in plan.groups)


def _set_text(sets: tuple[frozenset[str], ...], members: list[RoundMember]) -> str:
    names = {m.id: m.name for m in members}
    return "; ".join(", ".join(sorted(names.get(i, i) for i in ids)) for ids in sets)


async def _draft_card(uow: UnitOfWork, stored: StoredRound, language: Language,
                      notice: str | None = None) -> dict[str, Any]:
    members = await uow.breakouts.members(stored.round.id)
    problem, groups = None, tuple[GroupView, ...]()
    try:
        groups = _group_views(await _plan(uow, stored, members), members)
    except InvalidBreakout as error:
        problem = t(error.code, language, **_inert(error.params))
    round_ = stored.round
    view = DraftView(
        round_id=round_.id, source=round_.source,
        included=tuple(m.name for m in members if not m.excluded),
        excluded=tuple(m.name for m in members if m.excluded), groups=groups,
        duration_minutes=round_.duration_minutes, topics=round_.topics,
        apart=_set_text(round_.apart, members), together=_set_text(round_.together, members),
        problem=problem, notice=notice)
    return render_draft(view, language=language)


# ---------------------------------------------------------------------------- the draft


async def _refresh_draft(turn: Turn, services: Services, found: Scoped[StoredRound],
                         notice_key: str) -> Reply:
    """Re-render the draft: edited in its chat for everyone, and answered to the clicker."""
    async with services.storage.unit_of_work() as uow:
        fresh = await uow.breakouts.get(found.item.round.id)
        assert fresh is not None
        shared = await _draft_card(uow, fresh, language_of(fresh.locale))
        personal = await _draft_card(uow, fresh, turn.language, t(notice_key, turn.language))
    reply = Reply.personal(personal)
    if fresh.card_activity_id:
        reply.edits.append(CardEdit(fresh.card_activity_id, shared, found.address))
    return reply


async def update_draft(turn: Turn, services: Services, found: Scoped[StoredRound]) -> Reply:
    """Apply the draft's fields: who is left out, who stays apart or together, topics, time."""
    stored = found.item
    if not stored.round.is_draft:
        raise BreakoutProblem("breakout.not_draft")
    async with services.storage.unit_of_work() as uow:
        members = await uow.breakouts.members(stored.round.id)
        excluded = set().union(*_resolve(_text(turn, "exclude"), members)) \
            if _text(turn, "exclude").strip() else set()
        round_ = replace(
            stored.round, apart=tuple(_resolve(_text(turn, "apart"), members)),
            together=tuple(_resolve(_text(turn, "together"), members)),
            topics=clean_topics(_text(turn, "topics")),
            duration_minutes=check_duration(_whole_number(turn.data.get(input_id("minutes")))))
        await uow.breakouts.set_excluded(round_.id, excluded)
        await uow.breakouts.save(round_)
        await uow.commit()
    return await _refresh_draft(turn, services, found, "breakout.updated")


def _resolve(raw: str, members: list[RoundMember]) -> list[frozenset[str]]:
    """"Anna, Ben; Clara, Dana" -> sets of member ids; unknown or ambiguous names are errors."""
    sets: list[frozenset[str]] = []
    unknown: list[str] = []
    ambiguous: list[str] = []
    for chunk in raw.split(";"):
        ids: set[str] = set()
        for name in (part.strip() for part in chunk.split(",")):
            if not name:
                continue
            matches = _matching(name, members)
            if not matches:
                unknown.append(name)
            elif len(matches) > 1:
                ambiguous.append(name)
            else:
                ids.add(matches[0])
        if ids:
            sets.append(frozenset(ids))
    if unknown:
        raise InvalidBreakout("breakout.unknown_people", people=", ".join(unknown))
    if ambiguous:
        raise InvalidBreakout("breakout.ambiguous_people", people=", ".join(ambiguous))
    return sets


def _matching(name: str, members: list[RoundMember]) -> list[str]:
    """Exact name first (case-insensitive), else a unique first-name or prefix match."""
    wanted = " ".join(name.casefold().split())
    exact = [m.id for m in members if m.name.casefold() == wanted]
    if exact:
        return exact
    return [m.id for m in members if m.name.casefold().startswith(wanted)]


async def join(turn: Turn, services: Services, found: Scoped[StoredRound]) -> Reply:
    """"I'm in": anyone adds themselves to a draft."""
    stored = found.item
    if not stored.round.is_draft:
        raise BreakoutProblem("breakout.not_draft")
    member = RoundMember(turn.person.user_id, turn.display_name or "?",
                         turn.person.aad_object_id)
    async with services.storage.unit_of_work() as uow:
        await uow.breakouts.join(stored.round.id, member)
        await services.meetings.took_part(uow, turn)
        await uow.commit()
    return await _refresh_draft(turn, services, found, "breakout.joined")


async def cancel_draft(turn: Turn, services: Services, found: Scoped[StoredRound]) -> Reply:
    stored = found.item
    async with services.storage.unit_of_work() as uow:
        await uow.breakouts.save(cancel(stored.round))
        await uow.commit()
    note = render_closed_note(t("breakout.cancelled", language_of(stored.locale)))
    reply = Reply.personal(render_closed_note(t("breakout.cancelled", turn.language)))
    if stored.card_activity_id:
        reply.edits.append(CardEdit(stored.card_activity_id, note, found.address))
    return reply


# ---------------------------------------------------------------------------- publishing


async def publish(turn: Turn, services: Services, found: Scoped[StoredRound]) -> Reply:
    """Fix the groups, post them, tell each person privately, start the timer."""
    stored = found.item
    async with services.storage.unit_of_work() as uow:
        members = await uow.breakouts.members(stored.round.id)
        plan = await _plan(uow, stored, members)
        round_ = start(stored.round, now=services.clock())
        await uow.breakouts.assign(round_.id, _placements(plan))
        await uow.breakouts.save(round_)
        number = await _round_number(uow, stored)
        await uow.commit()
    stored = replace(stored, round=round_)
    groups = _group_views(plan, members)
    language = language_of(stored.locale)
    cards = render_assignment(round_.id, groups, language=language,
                              ends_at_iso=_iso(round_.ends_at), round_number=number)
    reply = Reply(messages=[Message(card=cards[0], binds=Binding(POSTED_ROUND, round_.id))])
    reply.messages += [Message(card=extra) for extra in cards[1:]]
    if stored.card_activity_id:
        reply.edits.append(CardEdit(stored.card_activity_id, render_closed_note(
            t("breakout.published_note", language)), found.address))
    await services.sends.promise(_tell_privately(found.chat, services, plan, members, groups,
                                                 round_.id, language))
    reply.invoke = Reply.personal(message=t("breakout.published_note", turn.language)).invoke
    return reply


def _placements(plan: BreakoutPlan) -> dict[str, tuple[int, str | None]]:
    placements: dict[str, tuple[int, str | None]] = {}
    for group in plan.groups:
        for member in group.members:
            role = ("facilitator" if member == group.facilitator
                    else "presenter" if member == group.presenter else None)
            placements[member] = (group.number, role)
    return placements


async def _round_number(uow: UnitOfWork, stored: StoredRound) -> int:
    rounds = await uow.breakouts.in_conversation(stored.conversation_id)
    published = [r for r in rounds if r.round.status in (RoundStatus.RUNNING,
                                                          RoundStatus.RECONVENED)]
    ids = [r.round.id for r in published]
    return ids.index(stored.round.id) + 1 if stored.round.id in ids else len(ids) + 1


def _iso(moment: Any) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _tell_privately(chat: Chat, services: Services, plan: BreakoutPlan,
                    members: list[RoundMember], groups: tuple[GroupView, ...], round_id: str,
                    language: Language) -> list[Outgoing]:
    """A personal message with their group to everyone the app is installed for (through the
    round's own chat's connector and tenant)."""
    by_number = {g.number: g for g in groups}
    messages = []
    for group in plan.groups:
        for member_id in group.members:
            content = render_private_assignment(round_id, by_number[group.number],
                                                is_presenter=member_id == group.presenter,
                                                language=language)
            messages.append(services.sends.private(chat.service_url, chat.bot_id,
                                                   chat.tenant_id, member_id,
                                                   as_activity(content)))
    return messages


# ---------------------------------------------------------------------------- running


def _running(found: Scoped[StoredRound]) -> StoredRound:
    if not found.item.round.is_running:
        raise BreakoutProblem("breakout.not_running")
    return found.item


async def _timer_change(turn: Turn, services: Services, found: Scoped[StoredRound], *,
                        action: str) -> Reply:
    stored = _running(found)
    now = services.clock()
    round_ = extend(stored.round, now=now) if action == "extend" else end_now(stored.round,
                                                                             now=now)
    language = language_of(stored.locale)
    if action == "extend":
        message = t("breakout.extended", language, minutes=EXTENSION_MINUTES)
    else:
        message = t("breakout.time_up", language)
        round_ = mark_told(round_, TimerEvent.TIME_UP)
    # Written with the change: the timer no longer calls time for a round marked told, so a
    # crash after the commit must not lose the message.
    said = services.sends.message(found.address, {"type": "message", "text": message,
                                                  "textFormat": "markdown"},
                                  notice_locale=turn.language)
    async with services.storage.unit_of_work() as uow:
        await uow.breakouts.save(round_)
        await services.sends.promise_in(uow, [said])
        await uow.commit()
    return Reply.personal(message=t("breakout.sent", turn.language))


async def broadcast(turn: Turn, services: Services, found: Scoped[StoredRound]) -> Reply:
    """A message to all groups: in the chat, and privately to everyone in a group."""
    stored = _running(found)
    text = " ".join(_text(turn, "message").split())
    if not text:
        raise BreakoutProblem("breakout.broadcast_empty")
    language = language_of(stored.locale)
    message = t("breakout.broadcast_message", language, message=inert(text[:1000]))
    async with services.storage.unit_of_work() as uow:
        members = await uow.breakouts.members(stored.round.id)
    activity = {"type": "message", "text": message, "textFormat": "markdown"}
    await services.sends.promise([
        services.sends.private(found.chat.service_url, found.chat.bot_id, found.chat.tenant_id,
                               member.id, activity)
        for member in members if member.group is not None])
    reply = Reply.say(message)
    reply.invoke = Reply.personal(message=t("breakout.sent", turn.language)).invoke
    return reply


async def _published_groups(uow: UnitOfWork, stored: StoredRound
                            ) -> tuple[tuple[GroupView, ...], list[RoundMember]]:
    members = await uow.breakouts.members(stored.round.id)
    by_group: dict[int, list[RoundMember]] = {}
    for member in members:
        if member.group is not None:
            by_group.setdefault(member.group, []).append(member)
    topics = stored.round.topics
    groups = tuple(GroupView(
        number=number, members=tuple(m.name for m in people),
        topic=topics[number - 1] if number <= len(topics) else None,
        facilitator=next((m.name for m in people if m.role == "facilitator"), None),
        presenter=next((m.name for m in people if m.role == "presenter"), None))
        for number, people in sorted(by_group.items()))
    return groups, members


async def reconvene_round(turn: Turn, services: Services, found: Scoped[StoredRound]) -> Reply:
    """Back to the plenary: the results wall, every group in order, missing ones marked."""
    stored = _running(found)
    async with services.storage.unit_of_work() as uow:
        groups, _ = await _published_groups(uow, stored)
        reports = {r.group: r for r in await uow.breakouts.reports(stored.round.id)}
        number = await _round_number(uow, stored)
        await uow.breakouts.save(reconvene(stored.round))
        await uow.commit()
    walls = render_results_wall(groups, reports, language=language_of(stored.locale),
                                round_number=number)
    reply = Reply(messages=[Message(card=wall) for wall in walls])
    reply.invoke = Reply.personal(message=t("breakout.sent", turn.language)).invoke
    return reply


async def copy_list(turn: Turn, services: Services, found: Scoped[StoredRound]) -> Reply:
    stored = found.item
    part = turn.data.get("part", 0)
    if not isinstance(part, int) or isinstance(part, bool):
        raise DomainError("error.bad_card_data")
    async with services.storage.unit_of_work() as uow:
        groups, _ = await _published_groups(uow, stored)
    return Reply.personal(render_copy_list(stored.round.id, groups, language=turn.language,
                                           part=part))


# ---------------------------------------------------------------------------- report-back


async def _presenters_group(turn: Turn, services: Services,
                            stored: StoredRound) -> GroupView:
    """The group of the presenter clicking (GROUP_PRESENTER let only presenters through)."""
    async with services.storage.unit_of_work() as uow:
        groups, members = await _published_groups(uow, stored)
    seat = _presenter_seat(members, turn)
    group = next((g for g in groups if seat is not None and g.number == seat.group), None)
    if group is None:  # no longer presenting since the router looked
        raise BreakoutProblem("breakout.not_presenter")
    return group


async def report_form(turn: Turn, services: Services, found: Scoped[StoredRound]) -> Reply:
    stored = found.item
    if not stored.round.is_running:
        raise BreakoutProblem("breakout.not_running")
    group = await _presenters_group(turn, services, stored)
    return Reply.personal(render_report_form(stored.round.id, group, language=turn.language))


async def submit_report(turn: Turn, services: Services, found: Scoped[StoredRound]) -> Reply:
    """The presenter's results; one report per group."""
    stored = found.item
    if not stored.round.is_running:
        raise BreakoutProblem("breakout.not_running")
    group = await _presenters_group(turn, services, stored)
    points = [_text(turn, f"point{i}") for i in (1, 2, 3)]
    try:
        result: Report = report(group.number, list(points), _text(turn, "note"))
    except DomainError as error:
        message = t(error.code, turn.language, **error.params)
        return Reply.personal(render_report_form(
            stored.round.id, group, language=turn.language, error=message,
            points=tuple(points), note=_text(turn, "note")))
    try:
        async with services.storage.unit_of_work() as uow:
            await uow.breakouts.add_report(stored.round.id, result, now=services.clock())
            await services.meetings.took_part(uow, turn)
            await uow.commit()
    except AlreadyReported as error:
        raise BreakoutProblem("breakout.already_reported", group=group.number) from error
    return Reply.personal(message=t("breakout.report_thanks", turn.language))


# ---------------------------------------------------------------------------- presence


async def _presence(turn: Turn, services: Services, *, present: bool) -> Reply:
    """Teams' join and leave events: who is in the chat's meeting, for breakouts (and the
    count of people present) only. They count in the chat they came from: an event elsewhere
    that names this chat's meeting id changes only its own chat's list."""
    if not turn.meeting_id:
        return Reply()
    people = turn.data.get("members")
    if not isinstance(people, list):
        return Reply()
    async with services.storage.unit_of_work() as uow:
        await uow.chats.remember(chat_of(turn))
        for entry in people:
            member = _event_member(entry)
            if member is not None:
                await uow.breakouts.set_presence(turn.address.conversation_id,
                                                 turn.meeting_id, member, present)
        await uow.commit()
    return Reply()


def _event_member(entry: Any) -> RoundMember | None:
    user = entry.get("user") if isinstance(entry, dict) else None
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return None
    name = user.get("name") if isinstance(user.get("name"), str) else ""
    aad = user.get("aadObjectId") if isinstance(user.get("aadObjectId"), str) else None
    return RoundMember(user["id"], name or "", aad)


async def _meeting_ended(turn: Turn, services: Services) -> Reply:
    """Who attended is not kept once the meeting is over (in this chat: an end event
    elsewhere naming the same meeting id leaves this chat's list alone)."""
    if turn.meeting_id:
        async with services.storage.unit_of_work() as uow:
            await uow.breakouts.forget_presence(turn.address.conversation_id, turn.meeting_id)
            await uow.commit()
    return Reply()
