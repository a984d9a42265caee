"""The registry: one table of commands and verbs; duplicates fail at start-up."""

from __future__ import annotations

import pytest

from bot.app import build_registry
from bot.core.registry import Command, DuplicateName, Registry
from bot.core.turn import Reply


async def nothing(*args):
    return Reply()


def test_every_command_has_an_english_and_a_german_name_and_help_in_both_languages():
    registry = build_registry()
    assert {c.name for c in registry.commands} >= {"help", "poll"}
    assert {c.german for c in registry.commands} >= {"hilfe", "umfrage"}
    for language in ("en", "de"):
        for usage, summary in registry.help_entries(language):
            assert usage and summary and "help." not in summary


def test_command_names_are_found_in_any_case():
    registry = build_registry()
    assert registry.find("UMFRAGE") is registry.find("poll")


def test_a_duplicate_command_name_fails_at_start_up():
    registry = Registry()
    registry.command(Command("poll", "umfrage", "help.poll", nothing))
    with pytest.raises(DuplicateName):
        registry.command(Command("vote", "Umfrage", "help.poll", nothing))


def test_a_duplicate_verb_fails_at_start_up():
    registry = Registry()
    registry.verb("poll.vote", nothing)
    with pytest.raises(DuplicateName):
        registry.verb("poll.vote", nothing)


def test_a_mistyped_command_gets_a_suggestion():
    registry = build_registry()
    assert registry.suggest("pol") == "poll"
    assert registry.suggest("hilf") == "hilfe"
    assert registry.suggest("xyzzy") is None
