"""Every user-visible string, from one catalogue per language (bot/i18n/catalogues/*.json),
chosen by the Teams locale: `t(key, language, **params)` for texts, `words()` for words users
type. Numbers in texts are written by the language's CLDR rules (bot/i18n/formatting.py)."""

from __future__ import annotations

import re
from typing import Any

from bot.i18n.catalogue import (
    ENGLISH,
    Catalogue,
    CatalogueError,
    Language,
    Plural,
    catalogue,
    catalogues,
    placeholders,
)
from bot.i18n.formatting import integer

__all__ = ["ENGLISH", "Catalogue", "CatalogueError", "Language", "inert", "known", "language_of",
           "languages", "placeholders", "t", "words", "words_in_any_language"]

FALLBACK_KEY = "error.generic"


def languages() -> tuple[Language, ...]:
    """The languages that have a catalogue, English first."""
    return tuple(catalogues())


def language_of(locale: str | None) -> Language:
    """The language of a Teams locale (`de-AT` is German) if it has a catalogue, else English."""
    primary = (locale or "").strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in catalogues() else ENGLISH


def t(key: str, language: Language, **params: Any) -> str:
    """The message `key` in `language` (English where the language has no catalogue), with
    `{placeholders}` filled in and whole numbers written the language's way. Plural forms are
    chosen by the language's CLDR plural rule; an unknown key gives the generic error."""
    found = catalogue(language)
    entry = found.messages.get(key) or found.messages[FALLBACK_KEY]
    if isinstance(entry, tuple):
        raise TypeError(f"{key!r} is a word list: use words()")
    template = found.plural_form(entry, params.get(entry.count)) if isinstance(entry, Plural) \
        else entry
    if not params:
        return template
    return template.format_map(_Defaulting({name: _shown(value, found.language)
                                            for name, value in params.items()}))


def known(key: str) -> bool:
    """Whether `key` has a message (every catalogue has the same keys)."""
    return key in catalogue(ENGLISH).messages


def words(key: str, language: Language) -> tuple[str, ...]:
    """The word list `key` in `language`: what users of that language may type."""
    entry = catalogue(language).messages.get(key)
    if not isinstance(entry, tuple):
        raise KeyError(f"{key!r} is not a word list")
    return entry


def words_in_any_language(key: str) -> tuple[str, ...]:
    """The word list `key` of every language, each word once: typed words work for everyone."""
    return tuple(dict.fromkeys(word for language in catalogues()
                               for word in words(key, language)))


def _shown(value: Any, language: Language) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return integer(value, language)
    return value


_FORMATTING = re.compile(r"[\\`*_~#<>\[\]()|]+")


def inert(value: str) -> str:
    """User text quoted in a chat message (which Teams reads as Markdown), made unable to
    format, link or mention: formatting characters become spaces, addresses stop being links."""
    return " ".join(_FORMATTING.sub(" ", value).replace("://", ": //").split())


class _Defaulting(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
