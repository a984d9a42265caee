"""Translations: complete, consistent, and covering every message code the code can raise."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import bot.i18n
import facilitation
from bot.i18n import known, language_of, languages, placeholders, t, words
from bot.i18n.catalogue import CatalogueError, catalogue, load_catalogues
from facilitation import errors
from facilitation.polls import PollKind, ResultsMode

ROOT = Path(__file__).resolve().parents[2]
FACILITATION = Path(facilitation.__file__).parent
BOT = ROOT / "bot"


def _error_classes() -> set[str]:
    """DomainError and every subclass of it (so a new error class is scanned too)."""
    found, todo = set(), [errors.DomainError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo += cls.__subclasses__()
    return found


def codes_raised_in(directory: Path) -> dict[str, list[str]]:
    """Message codes in the source: string literals passed first (or as `code=`) to an error
    class, and `code = "..."` class attributes. Maps code -> places it was found."""
    names = "|".join(sorted(_error_classes()))
    call = re.compile(rf"\b(?:{names})\(\s*(?:code\s*=\s*)?[\"']([^\"']+)[\"']")
    attribute = re.compile(r"^\s+code\s*(?::\s*str\s*)?=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
    found: dict[str, list[str]] = {}
    for path in sorted(directory.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for pattern in (call, attribute):
            for match in pattern.finditer(source):
                line = source.count("\n", 0, match.start()) + 1
                found.setdefault(match.group(1), []).append(f"{path.relative_to(ROOT)}:{line}")
    return found


# ---------------------------------------------------------------------------- the catalogues

CATALOGUES = Path(bot.i18n.__file__).parent / "catalogues"


def shipped() -> dict[str, dict[str, Any]]:
    """Every catalogue file as JSON, read here and not by the loader under test."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8"))["messages"]
            for path in sorted(CATALOGUES.glob("*.json"))}


def texts_of(entry: Any) -> list[str]:
    """The texts of an entry: itself, its plural forms, or none for a word list."""
    if isinstance(entry, str):
        return [entry]
    if isinstance(entry, dict):
        return [form for category, form in entry.items() if category != "plural"]
    return []


ENGLISH = shipped()["en"]
OTHERS = {language: messages for language, messages in shipped().items() if language != "en"}


def test_german_and_english_are_shipped():
    assert {"en", "de"} <= set(shipped())
    assert languages()[0] == "en" and set(languages()) == set(shipped())


@pytest.mark.parametrize("language", sorted(OTHERS))
def test_every_catalogue_has_exactly_the_keys_of_the_english_one(language: str):
    assert set(OTHERS[language]) == set(ENGLISH)


@pytest.mark.parametrize("language", sorted(OTHERS))
def test_every_catalogue_uses_the_placeholders_of_the_english_one(language: str):
    for key, entry in OTHERS[language].items():
        expected = set().union(*map(placeholders, texts_of(ENGLISH[key])))
        assert type(entry) is type(ENGLISH[key]), key
        assert [placeholders(text) for text in texts_of(entry)] == \
            [expected] * len(texts_of(entry)), key


@pytest.mark.parametrize("language", sorted(shipped()))
def test_plural_forms_are_exactly_the_cldr_categories_of_the_language(language: str):
    rule = catalogue(language).locale.plural_form
    categories = set(rule.tags) | {"other"}
    plurals = {key: entry for key, entry in shipped()[language].items() if isinstance(entry, dict)}
    assert len(plurals) >= 15
    for key, entry in plurals.items():
        assert set(entry) - {"plural"} == categories, key
        assert entry["plural"] == ENGLISH[key]["plural"], key
        assert all("{" + entry["plural"] + "}" in text for text in texts_of(entry)), key


@pytest.mark.parametrize("language", sorted(shipped()))
def test_every_text_is_non_empty_and_every_word_list_holds_single_words(language: str):
    for key, entry in shipped()[language].items():
        assert all(text.strip() for text in texts_of(entry)), key
        if isinstance(entry, list):
            assert entry and all(isinstance(word, str) and word.split() == [word]
                                 for word in entry), key


@pytest.mark.parametrize("key", sorted(ENGLISH))
def test_every_message_can_be_filled_in_every_language(key: str):
    if isinstance(ENGLISH[key], list):
        return
    params: dict[str, Any] = {name: f"<{name}>" for text in texts_of(ENGLISH[key])
                              for name in placeholders(text)}
    for language in languages():
        filled = t(key, language, **params)
        assert all(f"<{name}>" in filled and "{" + name + "}" not in filled for name in params)


def test_an_unknown_key_falls_back_to_the_generic_error():
    assert t("no.such.key", "de") == shipped()["de"]["error.generic"]


def test_a_language_without_a_catalogue_reads_english():
    assert t("poll.closed_by_moderator", "fr") == ENGLISH["poll.closed_by_moderator"]


# ---------------------------------------------------------------------------- plurals and numbers


@pytest.mark.parametrize(("language", "count", "expected"), [
    ("en", 0, "0 votes"), ("en", 1, "1 vote"), ("en", 2, "2 votes"), ("en", 21, "21 votes"),
    ("de", 0, "0 Stimmen"), ("de", 1, "1 Stimme"), ("de", 2, "2 Stimmen"),
    ("en", 12345, "12,345 votes"), ("de", 12345, "12.345 Stimmen"),
])
def test_the_plural_form_follows_the_cldr_rule_and_numbers_are_grouped(language, count, expected):
    assert t("summary.turnout", language, count=count) == expected


def test_the_plural_is_chosen_by_the_counted_parameter_not_the_first_number():
    # "{reached} von {attendees} Leuten hat/haben mitgemacht": the verb agrees with `reached`.
    one = t("summary.reach_of", "de", reached=1, attendees=12, share="8 %")
    many = t("summary.reach_of", "de", reached=12, attendees=1, share="100 %")
    assert one == "1 von 12 Leuten hat mitgemacht (8 %)"
    assert many == "12 von 1 Leuten haben mitgemacht (100 %)"


def test_a_word_list_is_not_a_text():
    with pytest.raises(TypeError):
        t("qna.mode_words.open", "en")
    assert words("qna.mode_words.open", "de") == ("offen",)


# ---------------------------------------------------------------------------- locales


@pytest.mark.parametrize("locale", ["de-DE", "de-AT", "de", "DE-ch", "de_CH"])
def test_german_locales_map_to_german(locale: str):
    assert language_of(locale) == "de"


@pytest.mark.parametrize("locale", ["en-US", "fr-FR", None, "", "en", "deu", "nl-BE"])
def test_other_locales_map_to_english(locale: str | None):
    assert language_of(locale) == "en"


# ---------------------------------------------------------------------------- codes in the code


def test_the_source_scan_finds_the_known_engine_codes():
    """Guards the scans below: a regex that matches nothing would pass them trivially."""
    codes = codes_raised_in(FACILITATION)
    assert {"poll.question_empty", "poll.too_few_options", "ballot.pick_one", "poll.invalid",
            "ballot.invalid", "poll.unknown", "poll.closed", "moderator.only",
            "error.generic"} <= set(codes)


@pytest.mark.parametrize("code", sorted(codes_raised_in(FACILITATION)))
def test_every_message_code_raised_by_the_engine_has_a_translation(code: str):
    assert known(code), f"{code} is raised at {codes_raised_in(FACILITATION)[code]}"


def test_every_message_code_raised_by_the_bot_has_a_translation():
    codes = codes_raised_in(BOT)
    assert "poll.already_closed" in codes
    missing = {code: places for code, places in codes.items() if not known(code)}
    assert missing == {}


def test_every_literal_message_key_used_by_the_bot_exists():
    keys = re.compile(r"\bt\(\s*[\"']([\w.]+)[\"']")
    card_keys = re.compile(r"[\"']((?:card|receipt|form|help)\.[\w.]+)[\"']")
    missing = {}
    for path in sorted(BOT.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        patterns = (keys, card_keys) if "cards" in path.parts else (keys,)
        for pattern in patterns:
            for match in pattern.finditer(source):
                if not known(match.group(1)):
                    missing[match.group(1)] = str(path.relative_to(ROOT))
    assert missing == {}


def test_every_poll_kind_and_results_mode_has_a_form_label():
    assert all(known(f"form.kind.{kind.value}") for kind in PollKind)
    assert all(known(f"form.results.{mode.value}") for mode in ResultsMode)


def test_every_registered_command_has_help_texts():
    from bot.app import build_registry

    for command in build_registry().commands:
        assert known(f"{command.help_key}.usage")
        assert known(f"{command.help_key}.summary")


# ---------------------------------------------------------------------------- the loader


def write_catalogues(folder: Path, **changes: Any) -> Path:
    """The shipped English and German catalogues in `folder`, German with `changes` applied
    (a value None removes the key)."""
    folder.mkdir(exist_ok=True)
    for path in CATALOGUES.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        if path.stem == "de":
            for key, value in changes.items():
                if value is None:
                    del data["messages"][key]
                else:
                    data["messages"][key] = value
        (folder / path.name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return folder


def test_the_loader_accepts_the_shipped_catalogues_unchanged(tmp_path: Path):
    loaded = load_catalogues(write_catalogues(tmp_path))
    assert list(loaded) == ["en", "de"]
    assert str(loaded["de"].locale) == "de_DE"


@pytest.mark.parametrize(("changes", "complaint"), [
    ({"poll.closed": None}, "de.json: 'poll.closed' is missing"),
    ({"poll.gesperrt": "Gesperrt."}, "de.json: 'poll.gesperrt' is not in en.json"),
    ({"poll.too_many_options": "Höchstens {max} Optionen."}, "has the placeholders ['max']"),
    ({"summary.turnout": "{count} Stimmen"}, "is a text, but a set of plural forms"),
    ({"summary.turnout": {"plural": "count", "other": "{count} Stimmen"}},
     "needs exactly ['one', 'other']"),
    ({"summary.turnout": {"plural": "count", "one": "{count} Stimme", "few": "{count} Stimmen",
                          "other": "{count} Stimmen"}}, "needs exactly ['one', 'other']"),
    ({"summary.turnout": {"plural": "count", "one": "eine Stimme", "other": "{count} Stimmen"}},
     "form 'one' has the placeholders []"),
    ({"qna.mode_words.open": ["offen", "ganz offen"]}, "must be a text, a list of single words"),
    ({"qna.mode_words.open": []}, "must be a text, a list of single words"),
])
def test_the_loader_refuses_a_catalogue_that_does_not_match_the_english_one(
        tmp_path: Path, changes: dict[str, Any], complaint: str):
    with pytest.raises(CatalogueError, match=re.escape(complaint)):
        load_catalogues(write_catalogues(tmp_path, **changes))


def test_the_loader_refuses_broken_json_a_foreign_locale_and_a_missing_english_catalogue(
        tmp_path: Path):
    folder = write_catalogues(tmp_path)
    (folder / "fr.json").write_text('{"messages": {', encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"fr\.json is not valid JSON"):
        load_catalogues(folder)
    (folder / "fr.json").write_text('{"locale": "de_DE", "messages": {}}', encoding="utf-8")
    with pytest.raises(CatalogueError, match="locale 'de_DE' is not a CLDR locale of language"):
        load_catalogues(folder)
    (folder / "fr.json").unlink()
    (folder / "en.json").unlink()
    with pytest.raises(CatalogueError, match="no English catalogue"):
        load_catalogues(folder)
