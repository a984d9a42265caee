"""Q&A commands and card actions: the board, asking, upvoting, moderating."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import partial

from bot.cards.elements import input_id
from bot.core.permissions import (
    EVERYONE,
    MODERATORS,
    STARTERS,
    Access,
    AllOf,
    PostedFor,
    Rule,
    tag_for,
)
from bot.core.registry import Command, Registry
from bot.core.scope import Scoped, card_id, chat_of
from bot.core.services import Services
from bot.core.turn import Binding, CardEdit, Message, Reply, Turn
from bot.delivery.transport import Address
from bot.i18n import language_of, t, words_in_any_language
from bot.qna.cards import QnaVerbs, Viewer, render_board_moved, render_duplicate_offer
from bot.qna.item import BOARD, place_of
from bot.qna.live import render_personal
from bot.qna.parts import QnaParts
from bot.qna.upvote_box import UpvoteRequest
from facilitation.anonymity import asking_key, board_creator_key, upvoter_key
from facilitation.errors import DomainError
from facilitation.qna import (
    QUESTIONS_PER_WINDOW,
    RATE_WINDOW,
    Board,
    BoardMode,
    Question,
    QuestionStatus,
    RankedQuestion,
    approve,
    ask,
    dismiss,
    mark_answered,
    merge,
    question_on_board,
    question_text,
    start_answering,
    stop_answering,
)
from storage.qna_repository import StoredBoard, UpvoteClick
from storage.repositories import UnitOfWork

POSTED_BOARD = "board"  # a board's shared card: its id is kept with the board


def register(registry: Registry) -> None:
    registry.command(Command("questions", "help.questions", board_command,
                             unmentioned=_board_words, who=AllOf(STARTERS, CHANGING_THE_MODE)))
    # Never without the @mention: "Frage an alle: ..." in a chat must not become a question,
    # let alone one with the writer's name.
    registry.command(Command("ask", "help.ask", ask_command, who=EVERYONE))
    registry.verb(QnaVerbs.ASK, ask_from_card, who=POSTING_ANYWAY, item=BOARD)
    registry.on_posted(POSTED_BOARD, _card_posted)
    registry.verb(QnaVerbs.UPVOTE, upvote, who=EVERYONE, item=BOARD, batched=True)
    registry.verb(QnaVerbs.ALL, show_all, who=EVERYONE, item=BOARD)
    registry.verb(QnaVerbs.VIEW, show_board, who=EVERYONE, item=BOARD)
    registry.verb(QnaVerbs.MODERATE, moderate, who=MODERATORS, item=BOARD)
    for verb, change in ((QnaVerbs.APPROVE, _approve), (QnaVerbs.ANSWERING, _answer_now),
                         (QnaVerbs.ANSWERED, _answered), (QnaVerbs.REQUEUE, _requeue),
                         (QnaVerbs.DISMISS, _dismiss)):
        registry.verb(verb, partial(_moderate_question, change=change), who=MODERATORS,
                      item=BOARD)
    registry.verb(QnaVerbs.MERGE, merge_questions, who=MODERATORS, item=BOARD)
    registry.verb(QnaVerbs.MODE, change_mode, who=MODERATORS, item=BOARD)


async def _card_posted(services: Services, board_id: str, address: Address,
                       activity_id: str) -> None:
    await services.part(QnaParts).boards.posted(board_id, address, activity_id)


class _ChangingTheMode(Rule):
    """`questions reviewed` when the chat's board is open (or the reverse) changes the board:
    only its moderators may (creating a board in a mode needs no one's leave)."""

    async def check(self, access: Access) -> None:
        mode = _mode_from(access.arguments)
        if mode is None:
            return
        async with access.services.storage.unit_of_work() as uow:
            stored = await uow.qna.board_in(access.turn.address.conversation_id)
        if stored is not None and stored.board.mode is not mode:
            await MODERATORS.check(access.about(place_of(stored), BOARD.creator_key))


CHANGING_THE_MODE = _ChangingTheMode()
# "Post anyway" on a duplicate offer (`force`) is the asker's own button.
POSTING_ANYWAY = PostedFor("asker", "qna.not_yours", only_if=lambda data: data.get("force") is True)


# ---------------------------------------------------------------------------- the board


async def board_command(turn: Turn, arguments: str, services: Services) -> Reply:
    """Post the chat's board (creating it on first use); an old board card is retired."""
    mode = _mode_from(arguments)
    stored = await _board_of_chat(turn, services, mode or BoardMode.OPEN)
    if mode is not None and mode is not stored.board.mode:  # allowed: see CHANGING_THE_MODE
        stored = await _set_mode(stored, mode, services)
    reply = Reply()
    if stored.card_activity_id:
        # The chat's own board, found by this chat's conversation id.
        reply.edits.append(CardEdit(stored.card_activity_id,
                                    render_board_moved(language_of(stored.locale)),
                                    turn.address))
    reply.messages.append(await _board_message(turn, stored, services))
    return reply


def _board_words(arguments: str) -> bool:
    """`questions` alone or with a board mode."""
    return arguments.strip().casefold() in ("", *_mode_words())


def _mode_from(arguments: str) -> BoardMode | None:
    word = arguments.strip().casefold()
    if not word:
        return None
    mode = _mode_words().get(word)
    if mode is None:
        raise DomainError("qna.unknown_mode")
    return mode


def _mode_words() -> dict[str, BoardMode]:
    """The words for each board mode (`qna.mode_words.<mode>`), of every language."""
    return {word.casefold(): mode for mode in BoardMode
            for word in words_in_any_language(f"qna.mode_words.{mode.value}")}


async def _board_message(turn: Turn, stored: StoredBoard, services: Services) -> Message:
    card = await services.part(QnaParts).boards.shared_card(stored.board.id)
    return Message(card=card, binds=Binding(POSTED_BOARD, stored.board.id))


async def _board_of_chat(turn: Turn, services: Services, mode: BoardMode) -> StoredBoard:
    """The chat's board, created on first use."""
    async with services.storage.unit_of_work() as uow:
        existing = await uow.qna.board_in(turn.address.conversation_id)
        if existing is not None:
            return existing
        board = Board(id=services.new_id(), mode=mode, created_at=services.clock())
        stored = StoredBoard(
            board=board, conversation_id=turn.address.conversation_id,
            creator_key=board_creator_key(services.secret, board.id, turn.person),
            locale=turn.language, meeting_id=turn.meeting_id)
        await uow.chats.remember(chat_of(turn))
        stored = await uow.qna.add_board(stored)  # theirs if someone made one at the same moment
        await uow.commit()
    return stored


async def _set_mode(stored: StoredBoard, mode: BoardMode, services: Services) -> StoredBoard:
    async with services.storage.unit_of_work() as uow:
        await uow.qna.set_mode(stored.board.id, mode)
        await uow.commit()
    return replace(stored, board=replace(stored.board, mode=mode))


async def _personal(turn: Turn, services: Services, stored: StoredBoard, *,
                    notice: str | None = None, moderator: bool = False,
                    page: int | None = None) -> Reply:
    key = upvoter_key(services.secret, stored.board.id, turn.person)
    card = await services.part(QnaParts).boards.personal_card(
        stored.board.id, turn.language,
        Viewer(moderator=moderator, page=page, notice=notice), voter_key=key)
    if card is None:
        raise DomainError("qna.no_board")
    return Reply.personal(card)


async def show_board(turn: Turn, services: Services, found: Scoped[StoredBoard]) -> Reply:
    return await _personal(turn, services, found.item)


async def show_all(turn: Turn, services: Services, found: Scoped[StoredBoard]) -> Reply:
    page = turn.data.get("page", 0)
    if not isinstance(page, int) or not 0 <= page <= 1000:
        raise DomainError("error.bad_card_data")
    return await _personal(turn, services, found.item, page=page)


# ---------------------------------------------------------------------------- asking


@dataclass(frozen=True)
class _Similar:
    existing: RankedQuestion


async def ask_command(turn: Turn, arguments: str, services: Services) -> Reply:
    """`ask <text>`: a question with the asker's name (their chat message is public anyway)."""
    question_text(arguments)  # fail before creating a board for an empty question
    stored = await _board_of_chat(turn, services, BoardMode.OPEN)
    # The chat's own board, found by this chat's conversation id.
    outcome = await _submit(turn, stored, turn.address, arguments, named=True, force=False,
                            services=services)
    if isinstance(outcome, _Similar):
        return Reply.post(render_duplicate_offer(
            stored.board.id, outcome.existing, text_asked=question_text(arguments), named=True,
            asker=tag_for(services, turn, stored.board.id), language=turn.language))
    if stored.card_activity_id is None:
        return Reply(messages=[await _board_message(turn, stored, services)])
    key = "qna.asked_pending" if outcome.status is QuestionStatus.PENDING else "qna.asked_in_chat"
    return Reply.say(t(key, turn.language))


async def ask_from_card(turn: Turn, services: Services, found: Scoped[StoredBoard]) -> Reply:
    """Ask from the board card; "post anyway" (`force`, only the asker's: POSTING_ANYWAY)
    sends the text of the duplicate offer."""
    stored = found.item
    named = turn.data.get("named") is True
    force = turn.data.get("force") is True
    raw = turn.data.get("text" if force else input_id("question"))
    outcome = await _submit(turn, stored, found.address, raw if isinstance(raw, str) else None,
                            named=named, force=force, services=services)
    if isinstance(outcome, _Similar):
        return Reply.personal(render_duplicate_offer(
            stored.board.id, outcome.existing, text_asked=question_text(raw), named=named,
            asker=tag_for(services, turn, stored.board.id), language=turn.language))
    key = "qna.asked_pending" if outcome.status is QuestionStatus.PENDING else "qna.asked"
    return await _personal(turn, services, stored, notice=t(key, turn.language))


async def _submit(turn: Turn, stored: StoredBoard, address: Address, raw: str | None, *,
                  named: bool, force: bool, services: Services) -> Question | _Similar:
    """Validate, offer an existing similar question, rate-limit, then store the question."""
    text = question_text(raw)
    if not force:
        similar = await _similar_question(stored, text, services)
        if similar is not None:
            return _Similar(similar)
    now = services.clock()
    asker = asking_key(services.secret, stored.board.id, turn.person)
    if not await services.part(QnaParts).asking.admit(asker, now):
        raise DomainError("qna.rate_limited", limit=QUESTIONS_PER_WINDOW,
                          minutes=int(RATE_WINDOW.total_seconds() // 60))
    async with services.storage.unit_of_work() as uow:
        running = await uow.meetings.current(stored.conversation_id)
        question = await uow.qna.add_question(ask(
            stored.board, text, question_id=services.new_id(), now=now,
            author=(turn.display_name or None) if named else None,
            not_before=None if running is None else running.started_at))
        await services.meetings.took_part(uow, turn, since=question.asked_at)
        await uow.commit()
    services.part(QnaParts).boards.refresh(stored, address)
    return question


async def _similar_question(stored: StoredBoard, text: str,
                            services: Services) -> RankedQuestion | None:
    """The open question most like `text` (bot/qna/duplicates.py: find_duplicate's answer
    over the visible questions in display order, from an index, off the event loop)."""
    return await services.part(QnaParts).boards.duplicates.similar(stored.board.id, text)


# ---------------------------------------------------------------------------- upvoting


async def upvote(turn: Turn, services: Services, board_id: str) -> Reply:
    """Upvote, or take an upvote back ("upvote that one instead" only ever adds). Stored with
    the clicks that come in meanwhile (bot/qna/upvote_box.py), which also checks the board lives
    in the click's chat and reads it for the answer."""
    question_id = card_id(turn.data, "question")
    done = await services.part(QnaParts).upvotes.click(UpvoteRequest(turn, board_id, UpvoteClick(
        question_id, upvoter_key(services.secret, board_id, turn.person),
        add=turn.data.get("add") is True)))
    services.part(QnaParts).boards.refresh(done.stored, done.address)
    notice = t("qna.upvote_added" if done.upvoted else "qna.upvote_removed", turn.language)
    return Reply.personal(render_personal(done.view, done.mine, turn.language,
                                          Viewer(notice=notice)))


async def _question_on(uow: UnitOfWork, stored: StoredBoard, question_id: str) -> Question:
    return question_on_board(await uow.qna.question(question_id), stored.board.id)


# ---------------------------------------------------------------------------- moderating


async def moderate(turn: Turn, services: Services, found: Scoped[StoredBoard]) -> Reply:
    """The moderator's own view of the board: pending questions and moderation buttons."""
    return await _personal(turn, services, found.item, moderator=True)


Change = Callable[[UnitOfWork, Question, Services], Awaitable[None]]


async def _moderate_question(turn: Turn, services: Services, found: Scoped[StoredBoard], *,
                             change: Change) -> Reply:
    question_id = card_id(turn.data, "question")
    async with services.storage.unit_of_work() as uow:
        question = await _question_on(uow, found.item, question_id)
        await change(uow, question, services)
        await uow.commit()
    return await _moderated(turn, found, services)


async def _moderated(turn: Turn, found: Scoped[StoredBoard], services: Services) -> Reply:
    services.part(QnaParts).boards.refresh(found.item, found.address)
    return await _personal(turn, services, found.item, moderator=True,
                           notice=t("qna.done", turn.language))


async def _approve(uow: UnitOfWork, question: Question, services: Services) -> None:
    await uow.qna.save_question(approve(question))


async def _answer_now(uow: UnitOfWork, question: Question, services: Services) -> None:
    """One question is answered at a time: the previous one goes back to the queue."""
    for other in await uow.qna.questions(question.board_id, QuestionStatus.ANSWERING):
        if other.id != question.id:
            await uow.qna.save_question(stop_answering(other))
    await uow.qna.save_question(start_answering(question))


async def _requeue(uow: UnitOfWork, question: Question, services: Services) -> None:
    await uow.qna.save_question(stop_answering(question))


async def _answered(uow: UnitOfWork, question: Question, services: Services) -> None:
    await uow.qna.save_question(mark_answered(question, now=services.clock()))


async def _dismiss(uow: UnitOfWork, question: Question, services: Services) -> None:
    await uow.qna.save_question(dismiss(question))


async def merge_questions(turn: Turn, services: Services, found: Scoped[StoredBoard]) -> Reply:
    """Merge one question into another: upvotes become the union, nobody counted twice."""
    source_id = card_id(turn.data, input_id("merge_from"))
    target_id = card_id(turn.data, input_id("merge_into"))
    async with services.storage.unit_of_work() as uow:
        source = await _question_on(uow, found.item, source_id)
        target = await _question_on(uow, found.item, target_id)
        await uow.qna.save_question(merge(source, target))
        await uow.qna.merge_upvotes(source.id, target.id)
        await uow.commit()
    return await _moderated(turn, found, services)


async def change_mode(turn: Turn, services: Services, found: Scoped[StoredBoard]) -> Reply:
    try:
        mode = BoardMode(str(turn.data.get("mode")))
    except ValueError as error:
        raise DomainError("error.bad_card_data") from error
    stored = await _set_mode(found.item, mode, services)
    services.part(QnaParts).boards.refresh(stored, found.address)
    return await _personal(turn, services, stored, moderator=True,
                           notice=t(f"qna.mode_changed.{mode.value}", turn.language))
