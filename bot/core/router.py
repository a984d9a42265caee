"""Routes a Turn to its command or card verb, once the route's item is found where the turn comes
from and its permission holds, and turns every failure into a friendly answer."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from bot.core.permissions import Access, Rule
from bot.core.registry import Command, Registry, Verb
from bot.core.scope import Scoped, card_id, check_chat, find
from bot.core.services import Services
from bot.core.turn import Reply, Turn, TurnKind
from bot.i18n import inert, t
from facilitation.errors import DomainError

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 10_000
MAX_WORD_SHOWN = 30


class Router:
    def __init__(self, registry: Registry, services: Services) -> None:
        self.registry = registry
        self.services = services

    async def handle(self, turn: Turn) -> Reply:
        """Run the turn's handler. Domain errors become translated answers; anything else is
        logged with a reference and answered with an apology naming that reference."""
        try:
            return await self._dispatch(turn)
        except DomainError as error:
            if turn.kind is TurnKind.EVENT:
                # Events get no answer; the code says why (no ids, no user data).
                logger.warning("meeting event %s refused: %s", turn.verb, error.code)
                return Reply()
            params = {key: inert(value) if isinstance(value, str) else value
                      for key, value in error.params.items()}
            return self._answer(turn, t(error.code, turn.language, **params))
        except Exception:
            reference = secrets.token_hex(4)
            # No user data in the log line: the kind and verb say enough to find the bug.
            logger.exception("turn failed (reference %s, kind %s, verb %s)",
                             reference, turn.kind.value, turn.verb)
            return self._answer(turn, t("error.internal", turn.language, ref=reference))

    async def _dispatch(self, turn: Turn) -> Reply:
        if turn.kind is TurnKind.MESSAGE:
            return await self._message(turn)
        if turn.kind is TurnKind.CARD_ACTION:
            return await self._card_action(turn)
        if turn.kind is TurnKind.INSTALLED:
            return await self._welcome(turn)
        if turn.kind is TurnKind.EVENT:
            return await self._event(turn)
        return Reply()

    async def _event(self, turn: Turn) -> Reply:
        """Every listener of a meeting event runs, once the event's conversation is known
        under its tenant (or not known yet); their replies are combined. An event naming a
        conversation stored under another tenant changes nothing and gets no answer."""
        async with self.services.storage.unit_of_work() as uow:
            await check_chat(uow, turn)
        combined = Reply()
        for handler in self.registry.event_handlers(turn.verb or ""):
            reply = await handler(turn, self.services)
            combined.messages += reply.messages
            combined.edits += reply.edits
        return combined

    async def _welcome(self, turn: Turn) -> Reply:
        """Added to a chat: introduce ourselves with the help card."""
        command = self.registry.named("help")
        return await command.handler(turn, "", self.services) if command else Reply()

    async def _message(self, turn: Turn) -> Reply:
        text = turn.text.strip()
        word, arguments = _split_command(text) if text else ("", "")
        command = self.registry.find(word)
        if not turn.addressed and not _meant_as(command, arguments, text):
            # A group chat message without @mention that is no command: people talking to each
            # other. No answer, and nothing of it is kept or logged.
            return Reply()
        if len(text) > MAX_MESSAGE_CHARS:
            return Reply.say(t("error.message_too_long", turn.language, length=len(text),
                               limit=MAX_MESSAGE_CHARS))
        if not text:
            return Reply.say(t("command.empty", turn.language))
        if command is None:
            return Reply.say(self._unknown(word, turn))
        await self._admit(turn, command.who, arguments)
        return await command.handler(turn, arguments, self.services)

    def _unknown(self, word: str, turn: Turn) -> str:
        shown = inert(word[:MAX_WORD_SHOWN]) + ("…" if len(word) > MAX_WORD_SHOWN else "")
        suggestion = self.registry.suggest(word)
        if suggestion:
            return t("command.suggest", turn.language, word=shown, suggestion=suggestion)
        return t("command.unknown", turn.language, word=shown)

    async def _card_action(self, turn: Turn) -> Reply:
        route = self.registry.route(turn.verb or "")
        if route is None:
            return Reply.personal(message=t("error.unknown_action", turn.language))
        found = await self._found(turn, route)
        reply = await route.handler(turn, self.services, found)
        if isinstance(found, Scoped):  # what the click posts goes to the item's stored chat
            reply.address = found.address
        return reply

    async def _found(self, turn: Turn, route: Verb) -> Any:
        """What the verb acts on, found in the click's own chat and tenant, once the clicker
        may act on it (else a DomainError: no such item, elsewhere, or the refusal)."""
        if route.item is None:
            await self._admit(turn, route.who)
            return None
        item_id = card_id(turn.data, route.item.field)
        if route.batched:
            return item_id  # found and placed in the group commit (see Verb)
        async with self.services.storage.unit_of_work() as uow:
            scoped = await find(uow, turn, route.item, item_id)
        # Outside the transaction: the rule may ask Teams for the meeting role.
        await route.who.check(Access(turn, self.services, scoped.place, route.item.creator_key,
                                     service_url=scoped.chat.service_url))
        return scoped

    async def _admit(self, turn: Turn, who: Rule, arguments: str = "") -> None:
        """A command or a form acts in the turn's own chat: check its tenant, then `who`."""
        async with self.services.storage.unit_of_work() as uow:
            chat = await check_chat(uow, turn)
        await who.check(Access(turn, self.services, arguments=arguments,
                               service_url=chat.service_url if chat else None))

    @staticmethod
    def _answer(turn: Turn, message: str) -> Reply:
        if turn.kind is TurnKind.EVENT:
            return Reply()  # Teams' events are nobody's messages: nobody to answer
        if turn.kind is TurnKind.CARD_ACTION:
            return Reply.personal(message=message)
        return Reply.say(message)


def _meant_as(command: Command | None, arguments: str, text: str) -> bool:
    """Whether a message without the @mention is really this command."""
    return (command is not None and command.unmentioned is not None
            and len(text) <= MAX_MESSAGE_CHARS and command.unmentioned(arguments))


def _split_command(text: str) -> tuple[str, str]:
    """The first word (the command) and the rest, split on any white space."""
    parts = text.split(maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""
