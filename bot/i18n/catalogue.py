"""The language catalogues: one JSON file per language in `bot/i18n/catalogues/`, loaded once and
checked against the English one, so a new language is a new file and nothing else.

A catalogue file is `{"locale": "<CLDR locale>", "messages": {key: entry}}`; its name is the
language code (`de.json` is German). The locale (default: the language code) says whose
conventions numbers, dates and plural rules follow. An entry is one of:

- a text: `"Poll closed."`, with `{placeholders}` filled in by `t()`;
- plural forms: `{"plural": "count", "one": "{count} vote", "other": "{count} votes"}`, one text
  per CLDR plural category of the language, chosen by the number passed as `count`;
- a word list: `["reviewed", "review", "moderated"]`, words users may type.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from babel import Locale, UnknownLocaleError

Language = str
ENGLISH: Language = "en"  # the fallback, and the catalogue every other one must match
FOLDER = "catalogues"


class CatalogueError(ValueError):
    """A catalogue that cannot be used; the message names the file and every problem in it."""


@dataclass(frozen=True)
class Plural:
    """Texts per CLDR plural category ("one", "few", "other", ...), chosen by `count`."""

    count: str
    forms: Mapping[str, str]


Entry = str | Plural | tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    language: Language
    locale: Locale
    messages: Mapping[str, Entry]

    def plural_form(self, entry: Plural, count: object) -> str:
        """The form of `entry` for `count` under this language's plural rule ("other" for
        anything that is not a number)."""
        number = count if isinstance(count, int | float) and not isinstance(count, bool) else None
        category = "other" if number is None else self.locale.plural_form(number)
        return entry.forms.get(category) or entry.forms["other"]


def placeholders(template: str) -> set[str]:
    """Names of the `{placeholders}` in a template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def plural_categories(locale: Locale) -> frozenset[str]:
    """The CLDR plural categories of a locale, "other" included."""
    return frozenset(locale.plural_form.tags) | {"other"}


# ---------------------------------------------------------------------------- loading


def load_catalogues(folder: Traversable) -> dict[Language, Catalogue]:
    """Every `<language>.json` in `folder`, checked against the English one: the same keys, each
    of the same kind with the same placeholders, plural forms for exactly the language's CLDR
    categories. Raises CatalogueError naming every problem."""
    raw = {entry.name.removesuffix(".json"): entry for entry in folder.iterdir()
           if entry.name.endswith(".json")}
    if ENGLISH not in raw:
        raise CatalogueError(f"no English catalogue {ENGLISH}.json in {folder}")
    found = {language: _parse(language, file) for language, file in sorted(raw.items())}
    english = found[ENGLISH]
    problems = [problem for catalogue in found.values()
                for problem in _differences(catalogue, english)]
    if problems:
        raise CatalogueError("unusable catalogues:\n  " + "\n  ".join(problems))
    return {ENGLISH: english} | {language: c for language, c in found.items() if c is not english}


def _parse(language: str, file: Traversable) -> Catalogue:
    where = f"{language}.json"
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CatalogueError(f"{where} is not valid JSON: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("messages"), dict):
        raise CatalogueError(f'{where} must be an object with "messages": {{key: entry}}')
    locale = _locale(where, language, data.get("locale", language))
    messages = {key: _entry(where, key, value) for key, value in data["messages"].items()}
    return Catalogue(language, locale, messages)


def _locale(where: str, language: str, name: Any) -> Locale:
    try:
        locale = Locale.parse(name) if isinstance(name, str) else None
    except (ValueError, UnknownLocaleError):
        locale = None
    if locale is None or locale.language != language:
        raise CatalogueError(f"{where}: locale {name!r} is not a CLDR locale of language "
                             f"{language!r} (the file name is the language code)")
    return locale


def _entry(where: str, key: str, value: Any) -> Entry:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(word, str) and word.split() == [word]
                                                 for word in value):
        return tuple(value)
    if (isinstance(value, dict) and isinstance(value.get("plural"), str)
            and all(isinstance(form, str) for form in value.values())):
        forms = {category: form for category, form in value.items() if category != "plural"}
        return Plural(value["plural"], forms)
    raise CatalogueError(f"{where}: {key!r} must be a text, a list of single words, or plural "
                         f'forms {{"plural": "<parameter>", "one": "…", "other": "…"}}')


def _differences(catalogue: Catalogue, english: Catalogue) -> Iterator[str]:
    where = f"{catalogue.language}.json"
    for key in english.messages.keys() - catalogue.messages.keys():
        yield f"{where}: {key!r} is missing"
    for key in catalogue.messages.keys() - english.messages.keys():
        yield f"{where}: {key!r} is not in {ENGLISH}.json"
    for key, entry in catalogue.messages.items():
        reference = english.messages.get(key)
        if reference is not None:
            yield from (f"{where}: {key!r} {problem}"
                        for problem in _entry_problems(entry, reference, catalogue.locale))


def _entry_problems(entry: Entry, reference: Entry, locale: Locale) -> Iterator[str]:
    if type(entry) is not type(reference):
        yield f"is a {_kind(entry)}, but a {_kind(reference)} in {ENGLISH}.json"
        return
    expected = _placeholders_of(reference)
    if isinstance(entry, Plural) and isinstance(reference, Plural):
        if entry.count != reference.count:
            yield f"counts {entry.count!r}, but {reference.count!r} in {ENGLISH}.json"
        categories = plural_categories(locale)
        if set(entry.forms) != categories:
            yield (f"has the plural forms {sorted(entry.forms)}, but {locale} needs exactly "
                   f"{sorted(categories)}")
        if entry.count not in expected:
            yield f"counts {entry.count!r}, which none of its forms shows"
        for category, form in entry.forms.items():
            if placeholders(form) != expected:
                yield f"form {category!r} has the placeholders {sorted(placeholders(form))}, " \
                      f"not {sorted(expected)}"
    elif isinstance(entry, str):
        if placeholders(entry) != expected:
            yield f"has the placeholders {sorted(placeholders(entry))}, not {sorted(expected)}"
        if not entry.strip():
            yield "is empty"


def _placeholders_of(entry: Entry) -> set[str]:
    if isinstance(entry, Plural):
        return set().union(*(placeholders(form) for form in entry.forms.values()))
    return placeholders(entry) if isinstance(entry, str) else set()


def _kind(entry: Entry) -> str:
    return {str: "text", Plural: "set of plural forms", tuple: "word list"}[type(entry)]


# ---------------------------------------------------------------------------- the active set


class _Active:
    catalogues: dict[Language, Catalogue] | None = None


def catalogues() -> Mapping[Language, Catalogue]:
    """The shipped catalogues (loaded on first use), English first."""
    if _Active.catalogues is None:
        _Active.catalogues = load_catalogues(resources.files("bot.i18n").joinpath(FOLDER))
    return _Active.catalogues


def catalogue(language: Language) -> Catalogue:
    """The catalogue of `language`, or the English one for a language without a catalogue."""
    found = catalogues()
    return found.get(language) or found[ENGLISH]


@contextmanager
def using(folder: Traversable) -> Iterator[Mapping[Language, Catalogue]]:
    """Use the catalogues in `folder` instead of the shipped ones until the block ends (how a
    test proves that a new catalogue is all a new language needs)."""
    previous = _Active.catalogues
    _Active.catalogues = load_catalogues(folder)
    try:
        yield _Active.catalogues
    finally:
        _Active.catalogues = previous
