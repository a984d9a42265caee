"""Translations: complete, consistent, and covering every message code the code can raise."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import facilitation
from bot.i18n import MESSAGES, language_of, placeholders, t
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


# ---------------------------------------------------------------------------- the catalogue


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_has_a_non_empty_english_and_german_text(key: str):
    entry = MESSAGES[key]
    assert set(entry) == {"en", "de"}
    assert entry["en"].strip() and entry["de"].strip()


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_english_and_german_use_the_same_placeholders(key: str):
    assert placeholders(MESSAGES[key]["en"]) == placeholders(MESSAGES[key]["de"])


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_message_can_be_filled_in_both_languages(key: str):
    params = {name: f"<{name}>" for name in placeholders(MESSAGES[key]["en"])}
    for language in ("en", "de"):
        filled = t(key, language, **params)
        assert all(f"<{name}>" in filled and "{" + name + "}" not in filled for name in params)


def test_an_unknown_key_falls_back_to_the_generic_error():
    assert t("no.such.key", "de") == MESSAGES["error.generic"]["de"]


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
    assert code in MESSAGES, f"{code} is raised at {codes_raised_in(FACILITATION)[code]}"


def test_every_message_code_raised_by_the_bot_has_a_translation():
    codes = codes_raised_in(BOT)
    assert "poll.already_closed" in codes
    missing = {code: places for code, places in codes.items() if code not in MESSAGES}
    assert missing == {}


def test_every_literal_message_key_used_by_the_bot_exists():
    keys = re.compile(r"\bt\(\s*[\"']([\w.]+)[\"']")
    card_keys = re.compile(r"[\"']((?:card|receipt|form|help)\.[\w.]+)[\"']")
    missing = {}
    for path in sorted(BOT.rglob("*.py")):
        if path.name == "i18n.py":
            continue
        source = path.read_text(encoding="utf-8")
        patterns = (keys, card_keys) if "cards" in path.parts else (keys,)
        for pattern in patterns:
            for match in pattern.finditer(source):
                if match.group(1) not in MESSAGES:
                    missing[match.group(1)] = str(path.relative_to(ROOT))
    assert missing == {}


def test_every_poll_kind_and_results_mode_has_a_form_label():
    assert {f"form.kind.{kind.value}" for kind in PollKind} <= set(MESSAGES)
    assert {f"form.results.{mode.value}" for mode in ResultsMode} <= set(MESSAGES)


def test_every_registered_command_has_help_texts():
    from bot.app import build_registry

    for command in build_registry().commands:
        assert f"{command.help_key}.usage" in MESSAGES
        assert f"{command.help_key}.summary" in MESSAGES
