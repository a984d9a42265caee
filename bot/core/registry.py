"""One table of every chat command and card verb; help and routing are derived from it."""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.turn import Reply, Turn
from bot.i18n import Language, languages, t

if TYPE_CHECKING:
    from bot.core.services import Services

CommandHandler = Callable[["Turn", str, "Services"], Awaitable[Reply]]
VerbHandler = Callable[["Turn", "Services"], Awaitable[Reply]]
Unmentioned = Callable[[str], bool]


def alone(arguments: str) -> bool:
    """Only the command word, nothing after it."""
    return not arguments.strip()


@dataclass(frozen=True)
class Command:
    """A chat command: its name, its help text keys and its handler. The words users type come
    from the catalogues (`<help_key>.name` in each language), and every language's word works
    for everyone.

    Who may run it is decided inside the handler, per object (a poll's moderators).
    """

    name: str  # the command's own name in the code (`registry.named("help")`), never shown
    help_key: str
    handler: CommandHandler
    # Whether a group chat message without the @mention is this command, judged by what follows
    # the word: chat talk often starts with "Frage", "Hilfe" or "Summary". None: only with the
    # @mention (or in a personal chat).
    unmentioned: Unmentioned | None = None

    def word(self, language: Language) -> str:
        """The word that runs the command in `language`."""
        return t(f"{self.help_key}.name", language)

    @property
    def words(self) -> tuple[str, ...]:
        """The command's word in every language, each once."""
        return tuple(dict.fromkeys(self.word(language) for language in languages()))


class DuplicateName(ValueError):
    """Two commands or verbs share a name: found at start-up, not in a meeting."""


class Registry:
    def __init__(self) -> None:
        self._commands: list[Command] = []
        self._by_name: dict[str, Command] = {}
        self._verbs: dict[str, VerbHandler] = {}
        self._events: dict[str, list[VerbHandler]] = {}

    def command(self, command: Command) -> None:
        if any(c.name == command.name for c in self._commands):
            raise DuplicateName(f"command {command.name!r} is registered twice")
        for word in dict.fromkeys(word.casefold() for word in command.words):
            if word.split() != [word]:
                raise ValueError(f"the command word {word!r} of {command.name!r} is not one word")
            if word in self._by_name:
                raise DuplicateName(f"command word {word!r} is registered twice")
            self._by_name[word] = command
        self._commands.append(command)

    def verb(self, verb: str, handler: VerbHandler) -> None:
        if verb in self._verbs:
            raise DuplicateName(f"card verb {verb!r} is registered twice")
        self._verbs[verb] = handler

    def on_event(self, name: str, handler: VerbHandler) -> None:
        """Run `handler` for a Teams meeting event (several handlers may listen to one)."""
        self._events.setdefault(name, []).append(handler)

    def event_handlers(self, name: str) -> tuple[VerbHandler, ...]:
        return tuple(self._events.get(name, ()))

    def find(self, word: str) -> Command | None:
        """The command a typed word (of any language) runs."""
        return self._by_name.get(word.casefold())

    def named(self, name: str) -> Command | None:
        return next((command for command in self._commands if command.name == name), None)

    def suggest(self, word: str) -> str | None:
        """The closest command word (of any language) to a mistyped one, if any is close."""
        matches = difflib.get_close_matches(word.casefold(), list(self._by_name), n=1, cutoff=0.6)
        return matches[0] if matches else None

    def handler_for(self, verb: str) -> VerbHandler | None:
        return self._verbs.get(verb)

    @property
    def verbs(self) -> frozenset[str]:
        return frozenset(self._verbs)

    @property
    def commands(self) -> tuple[Command, ...]:
        return tuple(self._commands)

    def help_entries(self, language: Language) -> list[tuple[str, str]]:
        """(usage, summary) per command, in the user's language."""
        return [(t(f"{c.help_key}.usage", language), t(f"{c.help_key}.summary", language))
                for c in self._commands]
