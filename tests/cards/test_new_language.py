"""Adding a language is adding a catalogue: with one more file in the catalogue folder (a test
catalogue made from the English one, tests/support/pseudo_language.py) every card, the report
page, the help, the command words and the Teams app package speak that language, and no English
or German text is left over."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_registry
from bot.i18n import language_of, languages, t, words
from bot.i18n.catalogue import catalogue, using
from bot.i18n.formatting import decimal, percent
from bot.summaries.report_page import render_not_found_page, render_report_page
from bot.teams.app_package import package_files
from facilitation.policy import Policy
from facilitation.summaries import EngagementSummary
from tests.cards import states
from tests.cards.states import Case
from tests.report.samples import empty_summary, english_summary, german_summary
from tests.report.test_report_page import minimal_summary, parse
from tests.support.pseudo_language import (
    LANGUAGE,
    LOCALE,
    SHIPPED,
    plural_marker,
    pseudo,
    write_catalogues,
)

ENGLISH = json.loads((SHIPPED / "en.json").read_text(encoding="utf-8"))["messages"]
# Text that is no interface text: Teams' own date and time functions (Teams writes them in the
# reader's language).
TEAMS_FUNCTIONS = re.compile(r"\{\{(?:DATE|TIME)\([^)]*\)\}\}")
VISIBLE_KEYS = {"text", "title", "label", "placeholder", "legend", "errorMessage", "altText",
                "fallbackText"}
LATIN_WORD = re.compile(r"[A-Za-zÄÖÜäöüß]{2,}")


@pytest.fixture(scope="module", autouse=True)
def new_language(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    folder = write_catalogues(tmp_path_factory.mktemp("catalogues"))
    with using(folder):
        yield


def english_params(key: str) -> dict[str, Any]:
    entry = ENGLISH[key]
    forms = [entry] if isinstance(entry, str) else [v for k, v in entry.items() if k != "plural"]
    return {name: f"<{name}>" for form in forms for name in re.findall(r"\{(\w+)\}", form)}


def leftovers(text: str, user_texts: tuple[str, ...]) -> list[str]:
    """Latin words in `text` once user text (also where a card shortened it with "…") and
    Teams' functions are taken out: every one of them is English or German text that did not
    come from the catalogue."""
    for typed in sorted(user_texts, key=len, reverse=True):
        if typed:
            text = _without_shortened(text.replace(typed, " "), typed)
    return LATIN_WORD.findall(TEAMS_FUNCTIONS.sub(" ", text))


def _without_shortened(text: str, typed: str) -> str:
    if "…" not in text or typed[:20] not in text:
        return text
    for end in range(len(typed) - 1, 19, -1):
        for shortened in (typed[:end] + "…", typed[:end].rstrip() + "…"):
            if shortened in text:
                return text.replace(shortened, " ")
    return text


def interface_texts() -> set[str]:
    """Every English and German catalogue text (and plural form)."""
    found: set[str] = set()
    for language in ("en", "de"):
        for entry in catalogue(language).messages.values():
            if isinstance(entry, str):
                found.add(entry)
            elif not isinstance(entry, tuple):
                found |= set(entry.forms.values())
    return found


@cache
def typed_in_states() -> tuple[str, ...]:
    """What people typed in the card states: the module's names, topics, points and questions
    (states.py holds no interface text: that comes from t()); never a catalogue text, so that
    no leaked interface text can hide behind it."""
    found: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, tuple | list | frozenset | set):
            for item in value:
                collect(item)

    for name, value in vars(states).items():
        if name.isupper():
            collect(value)
    return tuple(found - interface_texts() - {""})


# User text written inline in a state, not in a module constant.
INLINE_TYPED = {"breakout_malicious_draft": (" (away)", "Plain topic"),
                "breakout_malicious_assignment": ("Plain topic",),
                "breakout_malicious_results_wall": ("Plain topic",)}


def visible(card: Any) -> list[str]:
    return [value for _, parent, key, value in states.walk(card)
            if isinstance(value, str) and key in VISIBLE_KEYS
            and not (key == "title" and str(parent.get("type", "")).startswith("Input."))]


# ---------------------------------------------------------------------------- the catalogue


def test_the_new_language_is_loaded_beside_the_shipped_ones():
    assert languages() == ("en", "de", LANGUAGE)
    assert language_of(LOCALE) == LANGUAGE
    assert language_of("fr-FR") == "en"


@pytest.mark.parametrize("key", sorted(key for key, entry in ENGLISH.items()
                                       if not isinstance(entry, list)))
def test_every_key_resolves_in_the_new_language(key: str):
    params = english_params(key)
    shown = t(key, LANGUAGE, **params)
    if leftovers(t(key, "en", **params), tuple(params.values())):  # it has words to change
        assert shown != t(key, "en", **params)
    assert leftovers(shown, tuple(params.values())) == []
    assert all(value in shown for value in params.values())


def test_every_word_list_has_the_new_languages_words():
    for key, entry in ENGLISH.items():
        if isinstance(entry, list):
            assert words(key, LANGUAGE) == tuple(pseudo(word) for word in entry)


@pytest.mark.parametrize(("count", "category"), [
    (1, "one"), (21, "one"), (2, "few"), (34, "few"), (5, "many"), (11, "many"), (0, "many"),
    (112, "many"),
])
def test_plural_forms_follow_the_new_languages_cldr_rule(count: int, category: str):
    shown = t("summary.turnout", LANGUAGE, count=count)
    assert shown.startswith(plural_marker(category))


def test_numbers_are_written_the_new_languages_way():
    assert t("summary.turnout", LANGUAGE, count=12345).endswith("12\u00a0345 " + pseudo("votes"))
    assert decimal(4.1, LANGUAGE) == "4,1"
    assert percent(0.72, LANGUAGE) == "72\u00a0%"


# ---------------------------------------------------------------------------- every card


def built(build: Any) -> Case:
    return build(LANGUAGE)


@pytest.mark.parametrize("build", states.BUILDERS, ids=lambda build: build.__name__)
def test_every_card_is_in_the_new_language_with_no_english_or_german_text(build: Any):
    case = built(build)
    assert case.language == LANGUAGE
    shown = visible(case.card)
    assert shown, "a card shows some text"
    user_texts = (*case.user_texts, *case.names, *typed_in_states(),
                  *INLINE_TYPED.get(case.state, ()))
    assert {text: leftovers(text, user_texts) for text in shown
            if leftovers(text, user_texts)} == {}
    everything = json.dumps(case.card, ensure_ascii=False)
    assert t("error.generic", LANGUAGE) not in everything or "error" in case.state
    assert re.search(r"(?<!\{)\{[a-z_]+\}(?!\})", everything) is None, "a placeholder unfilled"


def test_the_help_card_lists_the_new_languages_command_words():
    registry = build_registry()
    case = states.help_from_registry(LANGUAGE)
    usage_lines = [text for text in visible(case.card)
                   if any(text.startswith(c.word(LANGUAGE)) for c in registry.commands)]
    assert len(usage_lines) == len(registry.commands)
    assert {c.word(LANGUAGE) for c in registry.commands} == {
        pseudo(word) for word in ("help", "poll", "questions", "ask", "breakout", "summary")}


# ---------------------------------------------------------------------------- commands


def test_the_new_languages_command_words_run_the_commands_for_everyone():
    registry = build_registry()
    for command in registry.commands:
        assert command.words == (command.word("en"), command.word("de"), pseudo(command.word("en")))
        assert all(registry.find(word) is command for word in command.words)
    assert registry.suggest(pseudo("poll")[:-1]) == pseudo("poll")


async def test_a_user_of_the_new_language_runs_a_poll_in_their_words(bot):
    from tests.journeys.helpers import texts_in
    from tests.support.teams import Participant, card_of

    voter = Participant.numbered(1)
    before = len(bot.connector.sent())
    command = f"{pseudo('poll')} Mittag? | Pizza | Salat"
    assert await bot.say(voter, command, locale=LOCALE) == 201
    await bot.settle()
    sent = bot.connector.sent()[before:]
    card = card_of(sent[-1])
    assert t("card.poll.anonymous", LANGUAGE) in " ".join(texts_in(card))
    assert leftovers(" ".join(texts_in(card)), ("Mittag?", "Pizza", "Salat")) == []

    before = len(bot.connector.sent())
    assert await bot.say(voter, pseudo("help"), locale="en-US") == 201  # any language's word
    await bot.settle()
    assert t("help.title", "en") in texts_in(card_of(bot.connector.sent()[before:][-1]))

    before = len(bot.connector.sent())
    assert await bot.say(voter, pseudo("questions") + " " + pseudo("reviewed"),
                         locale=LOCALE) == 201
    await bot.settle()
    assert t("qna.mode.reviewed", LANGUAGE) in " ".join(
        text for message in bot.connector.sent()[before:] for text in texts_in(card_of(message)))


# ---------------------------------------------------------------------------- the report page


def report_user_texts(summary: EngagementSummary) -> tuple[str, ...]:
    texts = [summary.title, *(point.label for point in summary.trends)]
    for poll in summary.polls:
        texts += [poll.question, *(count.label for count in poll.results)]
    texts += [q.text for q in (*summary.qna.top, *summary.qna.open_items)]
    texts += [theme.label for theme in summary.themes]
    for result in summary.breakouts.results:
        texts += [result.topic or "", *result.points, result.note]
    return tuple(text for text in texts if text)


@pytest.mark.parametrize("summary", [german_summary(), english_summary(), empty_summary(),
                                     minimal_summary()], ids=["german", "english", "empty",
                                                               "minimal"])
def test_the_report_page_is_in_the_new_language_with_no_english_or_german_text(
        summary: EngagementSummary):
    page = render_report_page(summary, language=LANGUAGE, policy=Policy())
    parsed = parse(page)
    assert parsed.problems == [] and f'<html lang="{LANGUAGE}">' in page
    labels = re.findall(r'aria-label="([^"]*)"', page)
    user_texts = report_user_texts(summary)
    # "Resonanz" is the product's name, written in the catalogues too (so transformed there).
    assert [word for text in (*parsed.text, *labels) for word in leftovers(text, user_texts)
            if word != "DOCTYPE"] == []
    assert t("report.page.heading", LANGUAGE) in page


def test_the_report_page_writes_dates_and_numbers_the_new_languages_way():
    page = render_report_page(german_summary(), language=LANGUAGE, policy=Policy())
    assert "14 марта 2025" in page  # CLDR's long date in Russian
    assert "4,1" in page and "72\u00a0%" in page


def test_the_not_found_page_adds_the_new_languages_sentence():
    assert t("report.not_found", LANGUAGE) in render_not_found_page()


# ---------------------------------------------------------------------------- the app package


def test_the_app_package_gets_a_localisation_file_for_the_new_language(tmp_path: Path):
    from tests.manifest.schemas import LOCALIZATION_SCHEMA, errors, schemas_folder, validator

    files = package_files(app_id="2b6a3c0e-1111-4a2b-9c3d-0123456789ab",
                          bot_id="2b6a3c0e-1111-4a2b-9c3d-0123456789ab", version="1.0.0",
                          registry=build_registry())
    manifest = json.loads(files["manifest.json"])
    assert {"languageTag": "ru-ru", "file": f"{LANGUAGE}.json"} in \
        manifest["localizationInfo"]["additionalLanguages"]
    localised = json.loads(files[f"{LANGUAGE}.json"])
    titles = [value for key, value in localised.items() if key.endswith(".title")]
    assert titles[:len(build_registry().commands)] == [c.word(LANGUAGE)
                                                       for c in build_registry().commands]
    assert localised["name.full"] == t("app.name.full", LANGUAGE)
    assert all(leftovers(value, ()) == [] for key, value in localised.items() if key != "$schema")
    checker = validator(schemas_folder(), manifest["manifestVersion"], LOCALIZATION_SCHEMA)
    assert errors(checker, localised) == []
    assert catalogue(LANGUAGE).locale.language == "ru"
