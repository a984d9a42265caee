"""The registry: one table of commands and verbs; duplicates fail at start-up."""

from __future__ import annotations

import pytest

from bot.app import build_registry
from bot.core.permissions import EVERYONE, MODERATORS, STARTERS, AllOf
from bot.core.registry import BadRoute, Command, DuplicateName, Registry
from bot.core.turn import Reply
from bot.polls.item import POLL


async def nothing(*args):
    return Reply()


def test_every_command_has_an_english_and_a_german_word_and_help_in_both_languages():
    registry = build_registry()
    assert {c.name for c in registry.commands} >= {"help", "poll"}
    assert {c.word("en") for c in registry.commands} >= {"help", "poll"}
    assert {c.word("de") for c in registry.commands} >= {"hilfe", "umfrage"}
    for language in ("en", "de"):
        for usage, summary in registry.help_entries(language):
            assert usage and summary and "help." not in summary


@pytest.mark.parametrize("language", ["en", "de"])
def test_each_usage_line_starts_with_the_command_word_of_its_language(language):
    registry = build_registry()
    for command, (usage, _) in zip(registry.commands, registry.help_entries(language),
                                   strict=True):
        assert usage.split()[0] == command.word(language)


def test_the_words_of_every_language_run_the_command():
    registry = build_registry()
    poll = registry.named("poll")
    assert poll is not None and poll.words == ("poll", "umfrage")
    assert registry.find("poll") is registry.find("umfrage") is poll


def test_command_names_are_found_in_any_case():
    registry = build_registry()
    assert registry.find("UMFRAGE") is registry.find("poll")


def test_a_duplicate_command_name_fails_at_start_up():
    registry = Registry()
    registry.command(Command("poll", "help.poll", nothing, who=EVERYONE))
    with pytest.raises(DuplicateName):
        registry.command(Command("vote", "help.poll", nothing, who=EVERYONE))  # the same words
    with pytest.raises(DuplicateName):
        registry.command(Command("poll", "help.ask", nothing, who=EVERYONE))  # the same name


def test_a_duplicate_verb_fails_at_start_up():
    registry = Registry()
    registry.verb("poll.vote", nothing, who=EVERYONE)
    with pytest.raises(DuplicateName):
        registry.verb("poll.vote", nothing, who=EVERYONE)


def test_a_mistyped_command_gets_a_suggestion():
    registry = build_registry()
    assert registry.suggest("pol") == "poll"
    assert registry.suggest("hilf") == "hilfe"
    assert registry.suggest("xyzzy") is None


def test_a_verb_for_moderators_must_name_the_item_they_moderate():
    with pytest.raises(BadRoute):
        Registry().verb("poll.close", nothing, who=MODERATORS)


@pytest.mark.parametrize("rule", ["moderators", "starters and moderators"])
def test_a_command_cannot_be_for_the_moderators_of_an_item(rule):
    """A command has no item: a rule about an item's moderators would refuse everyone (or,
    worse, be skipped), so it is refused when the route is registered."""
    who = MODERATORS if rule == "moderators" else AllOf(STARTERS, MODERATORS)
    with pytest.raises(BadRoute):
        Registry().command(Command("questions", "help.questions", nothing, who=who))


def test_a_batched_verb_acts_on_an_item_and_is_open_to_everyone():
    with pytest.raises(BadRoute):
        Registry().verb("poll.vote", nothing, who=MODERATORS, item=POLL, batched=True)
    with pytest.raises(BadRoute):
        Registry().verb("poll.vote", nothing, who=EVERYONE, batched=True)


def test_a_command_without_a_declared_permission_cannot_be_written():
    with pytest.raises(TypeError):
        Command("poll", "help.poll", nothing)  # type: ignore[call-arg]


@pytest.mark.parametrize("language", ["en", "de"])
def test_help_says_who_may_start_things_in_meetings(language):
    note = {"en": "In meetings: organizers and presenters only.",
            "de": "In Besprechungen: nur Organisator:innen und Referent:innen."}[language]
    registry = build_registry()
    noted = {command.name for command, (_, summary)
             in zip(registry.commands, registry.help_entries(language), strict=True)
             if summary.endswith(note)}
    assert noted == {"poll", "questions", "breakout", "summary"}
    relaxed = registry.help_entries(language, attendees_start=True)
    assert not any(note in summary for _, summary in relaxed)
