"""Poll commands and card actions: create, vote, change, close, reopen, reveal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from bot.cards.elements import input_id
from bot.cards.messages import render_notice
from bot.core.permissions import EVERYONE, FORM_OWNER, MODERATORS, STARTERS, form_owner_tag
from bot.core.registry import Command, Registry, alone
from bot.core.scope import Scoped, chat_of
from bot.core.services import Services
from bot.core.turn import Binding, CardEdit, Reply, Turn
from bot.delivery.transport import Address
from bot.i18n import t
from bot.polls.ballot_box import VoteRequest
from bot.polls.cards import Verbs, render_poll_card, render_receipt
from bot.polls.form import FormValues, render_poll_form
from bot.polls.item import POLL
from bot.polls.parts import PollParts
from facilitation.anonymity import counting_key, creator_key, voter_key
from facilitation.errors import DomainError, InvalidPoll, PollClosed, UnknownPoll
from facilitation.polls import (
    Poll,
    PollDraft,
    PollKind,
    ResultsMode,
    close_poll,
    draft_from_command,
    open_poll,
    reopen_poll,
    reveal_results,
    validate_draft,
)
from storage.repositories import BallotOutcome, StoredPoll, UnitOfWork

POSTED_POLL = "poll"  # a poll's shared card: its id is kept with the poll


def register(registry: Registry) -> None:
    # Without the @mention only the form (the word alone) or `poll question | a | b`.
    registry.command(Command("poll", "help.poll", poll_command,
                             unmentioned=lambda arguments: alone(arguments) or "|" in arguments,
                             who=STARTERS))
    registry.verb(Verbs.CREATE, create_from_form, who=FORM_OWNER)
    registry.on_posted(POSTED_POLL, _card_posted)
    registry.verb(Verbs.VOTE, vote, who=EVERYONE, item=POLL, batched=True)
    registry.verb(Verbs.CHANGE, change_vote, who=EVERYONE, item=POLL)
    registry.verb(Verbs.CLOSE, close, who=MODERATORS, item=POLL)
    registry.verb(Verbs.REOPEN, reopen, who=MODERATORS, item=POLL)
    registry.verb(Verbs.REVEAL, reveal, who=MODERATORS, item=POLL)


async def _card_posted(services: Services, poll_id: str, address: Address,
                       activity_id: str) -> None:
    await services.part(PollParts).live.posted(poll_id, address, activity_id)


# ---------------------------------------------------------------------------- creating


async def poll_command(turn: Turn, arguments: str, services: Services) -> Reply:
    """`poll` alone posts the form; `poll question | a | b` starts a single-choice poll."""
    if not arguments.strip():
        return Reply.post(render_poll_form(language=turn.language,
                                           owner=form_owner_tag(services, turn)))
    return await _start(turn, draft_from_command(arguments), services)


async def create_from_form(turn: Turn, services: Services, _: None) -> Reply:
    values = _form_values(turn.data)
    try:
        draft = _draft_from_form(values)
    except DomainError as error:
        message = t(error.code, turn.language, **error.params)
        return Reply.personal(render_poll_form(language=turn.language, values=values,
                                               error=message,
                                               owner=form_owner_tag(services, turn)))
    reply = await _start(turn, draft, services)
    notice = render_notice(t("poll.created", turn.language), draft.question)
    reply.invoke = Reply.personal(notice).invoke
    if turn.reply_to_id:
        # The used form (in the chat the click came from) becomes a note for everyone, so
        # nobody fills it in a second time.
        reply.edits.append(CardEdit(turn.reply_to_id, notice, turn.address))
    return reply


def _form_values(data: dict[str, Any]) -> FormValues:
    def field(name: str) -> str:
        value = data.get(input_id(name))
        return value if isinstance(value, str) else ""

    kinds = {kind.value for kind in PollKind}
    modes = {mode.value for mode in ResultsMode}
    return FormValues(
        question=field("question"), options=field("options"),
        kind=field("kind") if field("kind") in kinds else PollKind.SINGLE.value,
        anonymous=field("anonymous") != "false",
        results=field("results") if field("results") in modes else ResultsMode.LIVE.value,
        minutes=field("minutes").strip(),
    )


def _draft_from_form(values: FormValues) -> PollDraft:
    minutes: int | None = None
    if values.minutes:
        try:
            minutes = int(float(values.minutes))
        except ValueError as error:
            raise InvalidPoll("form.bad_minutes") from error
    options = tuple(line for line in values.options.splitlines() if line.strip())
    return validate_draft(PollDraft(
        question=values.question, options=options, kind=PollKind(values.kind),
        anonymous=values.anonymous, results=ResultsMode(values.results),
        auto_close_minutes=minutes,
    ))


async def _start(turn: Turn, draft: PollDraft, services: Services) -> Reply:
    poll = open_poll(draft, poll_id=services.new_id(), now=services.clock())
    stored = StoredPoll(
        poll=poll, conversation_id=turn.address.conversation_id,
        creator_key=creator_key(services.secret, poll.id, turn.person),
        locale=turn.language, meeting_id=turn.meeting_id,
    )
    async with services.storage.unit_of_work() as uow:
        await uow.chats.remember(chat_of(turn))
        await uow.polls.add(stored)
        await services.meetings.current(uow, turn, since=poll.created_at)
        await uow.commit()
    return Reply.post(services.part(PollParts).live.new_card(stored),
                      binds=Binding(POSTED_POLL, poll.id))


# ---------------------------------------------------------------------------- voting


def _input(turn: Turn, name: str) -> str | None:
    value = turn.data.get(input_id(name))
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # some clients send a choice's value as a number
    return value if isinstance(value, str) else None


async def vote(turn: Turn, services: Services, poll_id: str) -> Reply:
    """Cast or change a ballot; the voter gets a personal receipt, the shared card an edit.
    The ballot box checks that the poll lives in the click's chat (in its group commit)."""
    counted = await services.part(PollParts).ballots.cast(VoteRequest(
        turn, poll_id, voter_key(services.secret, poll_id, turn.person),
        counting_key(services.secret, poll_id, turn.person),
        _input(turn, "choice"), _input(turn, "text")))
    live = services.part(PollParts).live
    if counted.stored.card_activity_id is None and turn.reply_to_id:
        # The card's POST got no answer (so it is not posted again), yet the click comes from
        # it: Teams names the message clicked. Taken only once its post is over and if that
        # message is no other item's card (see PollRepository.adopt_card).
        await live.adopt(poll_id, counted.address, turn.reply_to_id)
    else:
        live.ballot_recorded(counted.stored, counted.address)
    receipt = render_receipt(counted.stored.poll, counted.choice, language=turn.language,
                             changed=counted.outcome is BallotOutcome.CHANGED)
    return Reply.personal(receipt)


async def change_vote(turn: Turn, services: Services, found: Scoped[StoredPoll]) -> Reply:
    """Show the voter the poll again with their current choice selected."""
    poll_id = found.item.poll.id
    key = voter_key(services.secret, poll_id, turn.person)
    current = await services.part(PollParts).live.current_view(poll_id)
    if current is None:
        raise UnknownPoll()
    stored, view = current
    if not stored.poll.is_open:
        raise PollClosed()
    async with services.storage.unit_of_work() as uow:
        mine = await uow.ballots.mine(poll_id, key)
    return Reply.personal(render_poll_card(view, language=turn.language, selected=mine))


# ---------------------------------------------------------------------------- moderating


async def close(turn: Turn, services: Services, found: Scoped[StoredPoll]) -> Reply:
    return await _moderate(turn, services, found, _close, "poll.closed_by_moderator")


async def reopen(turn: Turn, services: Services, found: Scoped[StoredPoll]) -> Reply:
    return await _moderate(turn, services, found, _reopen, "poll.reopened")


async def reveal(turn: Turn, services: Services, found: Scoped[StoredPoll]) -> Reply:
    return await _moderate(turn, services, found, _reveal, "poll.revealed")


async def _close(poll: Poll, services: Services, uow: UnitOfWork) -> Poll:
    """Close, if the policy lets it: the people counted since the last breakdown are read with
    the poll's disclosure row locked, so no ballot is counted between the check and the close."""
    if not poll.is_open:
        raise DomainError("poll.already_closed")
    state = await uow.disclosures.state(poll.id, lock=True)
    since = state.changes
    if state.shown is not None:  # at least one person a ballot, should none be counted (upgrade)
        since = max(since, await uow.ballots.count(poll.id) - state.shown.ballots)
    if not services.policy.may_close(poll, people_since_shown=since):
        raise DomainError("poll.close_too_few_since_reopened", minimum=services.policy.min_group)
    return close_poll(poll, now=services.clock())


async def _reopen(poll: Poll, services: Services, uow: UnitOfWork) -> Poll:
    if poll.is_open:
        raise DomainError("poll.already_open")
    return reopen_poll(poll)


async def _reveal(poll: Poll, services: Services, uow: UnitOfWork) -> Poll:
    return reveal_results(poll)


async def _moderate(turn: Turn, services: Services, found: Scoped[StoredPoll],
                    change: Callable[[Poll, Services, UnitOfWork], Awaitable[Poll]],
                    done_key: str) -> Reply:
    """Change the poll (the router has checked the clicker moderates it) and its card, deciding
    on the poll as it is in the same transaction."""
    async with services.storage.unit_of_work() as uow:
        await uow.disclosures.lock([found.item.poll.id])  # then two moderators take turns
        fresh = await uow.polls.get(found.item.poll.id)
        if fresh is None:
            raise UnknownPoll()
        changed = await change(fresh.poll, services, uow)
        await uow.polls.save(changed)
        await uow.commit()
    stored = replace(fresh, poll=changed)
    services.part(PollParts).live.refresh(stored, found.address)
    current = await services.part(PollParts).live.current_view(stored.poll.id)
    assert current is not None
    card = render_poll_card(current[1], language=turn.language)
    card["body"].insert(0, {"type": "TextBlock", "text": t(done_key, turn.language),
                            "color": "Good", "weight": "Bolder", "wrap": True})
    return Reply.personal(card)
