"""One table of every chat command and card verb; help and routing are derived from it."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.core.permissions import Rule
from bot.core.scope import Item
from bot.core.turn import Reply, Turn
from bot.delivery.transport import Address
from bot.i18n import Language, languages, t

if TYPE_CHECKING:
    from bot.core.services import Services

CommandHandler = Callable[["Turn", str, "Services"], Awaitable[Reply]]
# A verb's third argument is what its route declared: the item found in the click's chat
# (a `Scoped`), only the item's id for batched routes, or None for routes without an item.
VerbHandler = Callable[["Turn", "Services", Any], Awaitable[Reply]]
EventHandler = Callable[["Turn", "Services"], Awaitable[Reply]]
# Told that a message bound to an item (`Binding`) arrived: the item's id, where the message is,
# its new id.
PostedHandler = Callable[["Services", str, Address, str], Awaitable[None]]
Unmentioned = Callable[[str], bool]


def alone(arguments: str) -> bool:
    """Only the command word, nothing after it."""
    return not arguments.strip()


@dataclass(frozen=True)
class Command:
    """A chat command: its name, its help text keys, its handler, and who may run it (`who`,
    checked by the router before the handler runs). The words users type come from the
    catalogues (`<help_key>.name` in each language), and every language's word works for
    everyone."""

    name: str  # the command's own name in the code (`registry.named("help")`), never shown
    help_key: str
    handler: CommandHandler
    # Whether a group chat message without the @mention is this command, judged by what follows
    # the word: chat talk often starts with "Frage", "Hilfe" or "Summary". None: only with the
    # @mention (or in a personal chat).
    unmentioned: Unmentioned | None = None
    who: Rule = field(kw_only=True)

    def word(self, language: Language) -> str:
        """The word that runs the command in `language`."""
        return t(f"{self.help_key}.name", language)

    @property
    def words(self) -> tuple[str, ...]:
        """The command's word in every language, each once."""
        return tuple(dict.fromkeys(self.word(language) for language in languages()))


@dataclass(frozen=True)
class Verb:
    """A card verb: its handler, who may click it and the item it acts on. The router loads
    the item from the card's id in the click's own conversation and tenant and checks `who`
    against it before the handler runs. `batched` routes (votes, upvotes) get only the id:
    their group commit loads the item and checks its place in the transaction it runs anyway,
    so the hot path gets no transaction of its own; they are open to everyone in the chat."""

    name: str
    handler: VerbHandler
    who: Rule
    item: Item[Any] | None = None
    batched: bool = False


class DuplicateName(ValueError):
    """Two commands or verbs share a name: found at start-up, not in a meeting."""


class BadRoute(ValueError):
    """A route declares a permission it cannot be checked for: found at start-up."""


class Registry:
    def __init__(self) -> None:
        self._commands: list[Command] = []
        self._by_name: dict[str, Command] = {}
        self._verbs: dict[str, Verb] = {}
        self._events: dict[str, list[EventHandler]] = {}
        self._posted: dict[str, PostedHandler] = {}

    def command(self, command: Command) -> None:
        if any(c.name == command.name for c in self._commands):
            raise DuplicateName(f"command {command.name!r} is registered twice")
        if command.who.needs_item:
            raise BadRoute(f"command {command.name!r} acts on no item, so its rule (which "
                           "needs one) could never be checked")
        for word in dict.fromkeys(word.casefold() for word in command.words):
            if word.split() != [word]:
                raise ValueError(f"the command word {word!r} of {command.name!r} is not one word")
            if word in self._by_name:
                raise DuplicateName(f"command word {word!r} is registered twice")
            self._by_name[word] = command
        self._commands.append(command)

    def verb(self, verb: str, handler: VerbHandler, *, who: Rule, item: Item[Any] | None = None,
             batched: bool = False) -> None:
        if verb in self._verbs:
            raise DuplicateName(f"card verb {verb!r} is registered twice")
        if who.needs_item and item is None:
            raise BadRoute(f"card verb {verb!r} names no item to moderate")
        if batched and (item is None or not who.everyone):
            raise BadRoute(f"batched card verb {verb!r} must act on an item, for everyone")
        self._verbs[verb] = Verb(verb, handler, who, item, batched)

    def on_event(self, name: str, handler: EventHandler) -> None:
        """Run `handler` for a Teams meeting event (several handlers may listen to one)."""
        self._events.setdefault(name, []).append(handler)

    def event_handlers(self, name: str) -> tuple[EventHandler, ...]:
        return tuple(self._events.get(name, ()))

    def on_posted(self, kind: str, handler: PostedHandler) -> None:
        """Run `handler` when a message bound to an item of `kind` has arrived."""
        if kind in self._posted:
            raise DuplicateName(f"posted messages of kind {kind!r} are bound twice")
        self._posted[kind] = handler

    @property
    def posted_handlers(self) -> dict[str, PostedHandler]:
        return dict(self._posted)

    def find(self, word: str) -> Command | None:
        """The command a typed word (of any language) runs."""
        return self._by_name.get(word.casefold())

    def named(self, name: str) -> Command | None:
        return next((command for command in self._commands if command.name == name), None)

    def suggest(self, word: str) -> str | None:
        """The closest command word (of any language) to a mistyped one, if any is close."""
        matches = difflib.get_close_matches(word.casefold(), list(self._by_name), n=1, cutoff=0.6)
        return matches[0] if matches else None

    def route(self, verb: str) -> Verb | None:
        return self._verbs.get(verb)

    @property
    def routes(self) -> tuple[Verb, ...]:
        return tuple(self._verbs.values())

    @property
    def verbs(self) -> frozenset[str]:
        return frozenset(self._verbs)

    @property
    def commands(self) -> tuple[Command, ...]:
        return tuple(self._commands)

    def help_entries(self, language: Language, *, attendees_start: bool = False
                     ) -> list[tuple[str, str]]:
        """(usage, summary) per command, in the user's language; the summary ends with a note
        when it matters who may run the command (see Services.attendees_start)."""
        entries = []
        for command in self._commands:
            summary = t(f"{command.help_key}.summary", language)
            note = command.who.help_note(attendees_start)
            if note is not None:
                summary = f"{summary} {t(note, language)}"
            entries.append((t(f"{command.help_key}.usage", language), summary))
        return entries
