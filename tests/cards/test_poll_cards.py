"""Snapshots of the poll, receipt, form and help cards in English and German, plus the few facts
about each state that matter most (so a snapshot update cannot silently lose them)."""

from __future__ import annotations

import json
import re
from datetime import timedelta, timezone

import pytest

from bot.i18n import Language, t
from bot.i18n.catalogue import catalogue
from bot.polls.cards import render_poll_card
from tests.cards import states
from tests.cards.snapshot import assert_snapshot
from tests.cards.states import Case, elements_of_type, texts_of

language = pytest.mark.parametrize("language", states.LANGUAGES)


def snap(case: Case) -> Case:
    assert_snapshot(case.id, case.card)
    return case


def all_text(case: Case) -> str:
    """Every visible text of a card, in order (TextBlocks, TextRuns, labels, choice titles)."""
    return "\n".join(value for _, _, key, value in states.walk(case.card)
                     if key in {"text", "title", "label", "placeholder"}
                     and isinstance(value, str))


def verbs(case: Case) -> list[str]:
    return [action["verb"] for action in elements_of_type(case.card, "Action.Execute")]


# ---------------------------------------------------------------------------- shared poll card


@language
def test_a_new_single_choice_poll_shows_no_votes_and_when_results_will_appear(language: Language):
    case = snap(states.single_no_votes(language))
    assert t("card.poll.no_votes", language) in texts_of(case.card, "TextBlock")
    assert t("card.poll.too_few", language, minimum=3) in texts_of(case.card, "TextBlock")
    assert verbs(case) == ["poll.vote", "poll.close"]
    choice_set, = elements_of_type(case.card, "Input.ChoiceSet")
    assert [c["title"] for c in choice_set["choices"]] == list(states.OPTIONS)
    assert "value" not in choice_set


@language
def test_two_votes_are_counted_but_their_breakdown_is_withheld(language: Language):
    case = snap(states.single_two_votes_withheld(language))
    assert t("card.poll.votes", language, count=2) in texts_of(case.card, "TextBlock")
    assert elements_of_type(case.card, "ColumnSet") == []


@language
def test_five_votes_show_a_live_breakdown_with_bars_and_percentages(language: Language):
    case = snap(states.single_five_votes_live(language))
    rows = [text for text in texts_of(case.card, "TextBlock") if "█" in text or "░" in text]
    # English writes 60%, German 60 % with a no-break space (CLDR): never split over two lines
    percent = {"en": "%", "de": "\u00a0%"}[language]
    assert rows == [f"███████░░░░░ 60{percent} (3)", f"█████░░░░░░░ 40{percent} (2)",
                    f"░░░░░░░░░░░░ 0{percent} (0)"]
    assert t("card.poll.as_of", language, count=5, minimum=3) not in all_text(case)


@language
def test_an_open_live_poll_states_the_step_rule_in_one_line(language: Language):
    rule = t("card.poll.steps", language, minimum=3)
    for state in (states.single_five_votes_live, states.single_stale_breakdown):
        assert rule in texts_of(snap(state(language)).card, "TextBlock")
    assert "\n" not in rule
    for state in (states.closed_final_result, states.named_with_names, states.on_close_still_open):
        assert rule not in all_text(snap(state(language)))


@language
def test_a_stale_breakdown_says_how_many_votes_it_is_as_of(language: Language):
    case = snap(states.single_stale_breakdown(language))
    texts = texts_of(case.card, "TextBlock")
    assert t("card.poll.votes", language, count=5) in texts
    assert t("card.poll.as_of", language, count=3, minimum=3) in texts
    assert any(text.endswith("(0)") for text in texts)  # the third option's vote is not shown


@language
def test_an_on_close_poll_withholds_results_until_closed_and_offers_to_reveal(language: Language):
    case = snap(states.on_close_still_open(language))
    assert t("card.poll.until_closed", language) in texts_of(case.card, "TextBlock")
    assert verbs(case) == ["poll.vote", "poll.close", "poll.reveal"]
    assert elements_of_type(case.card, "ColumnSet") == []


@language
def test_a_revealed_on_close_poll_shows_results_and_no_reveal_button(language: Language):
    case = snap(states.on_close_revealed(language))
    assert verbs(case) == ["poll.vote", "poll.close"]
    assert len(elements_of_type(case.card, "ColumnSet")) == 3


@language
def test_a_closed_poll_shows_its_final_result_and_can_only_be_reopened(language: Language):
    case = snap(states.closed_final_result(language))
    final = f"{t('card.poll.final', language)} · {t('card.poll.votes', language, count=6)}"
    assert final in texts_of(case.card, "TextBlock")
    assert t("card.poll.closed", language) in texts_of(case.card, "TextBlock")[0]
    assert verbs(case) == ["poll.reopen"]
    assert elements_of_type(case.card, "Input.ChoiceSet") == []


@language
def test_a_rating_poll_shows_its_average_with_the_languages_decimal_separator(language):
    case = snap(states.rating_average(language))
    expected = {"en": "Average: 3.7 of 5", "de": "Durchschnitt: 3,7 von 5"}[language]
    assert expected in texts_of(case.card, "TextBlock")
    choice_set, = elements_of_type(case.card, "Input.ChoiceSet")
    assert [c["title"] for c in choice_set["choices"]] == ["1", "2", "3", "4", "5"]
    assert choice_set["label"] == t("card.poll.rate", language)


@language
def test_a_multiple_choice_poll_allows_several_choices_and_counts_each(language: Language):
    case = snap(states.multiple_choice_live(language))
    choice_set, = elements_of_type(case.card, "Input.ChoiceSet")
    assert choice_set["isMultiSelect"] is True
    assert choice_set["label"] == t("card.poll.choose_many", language)
    counts = [text.rsplit("(", 1)[1].rstrip(")") for text in texts_of(case.card, "TextBlock")
              if "█" in text or "░" in text]
    assert counts == ["4", "3", "2", "1"]  # shares of 5 ballots, adding up to more than 100 %


@language
def test_a_closed_open_text_poll_lists_the_most_frequent_answers_first(language: Language):
    case = snap(states.text_closed_top_answers(language))
    runs = texts_of(case.card, "TextRun")
    answers = [runs[i + 1] for i, run in enumerate(runs) if run.endswith(" × ")]
    assert answers == ["More breaks", "Shorter meetings", "A quiet room", "Remote Fridays"]
    assert "3 × " in runs and "2 × " in runs
    assert t("card.poll.top_answers", language) in texts_of(case.card, "TextBlock")


@language
def test_an_open_text_poll_takes_answers_and_keeps_them_hidden_until_it_closes(language):
    case = snap(states.text_open(language))
    answer, = elements_of_type(case.card, "Input.Text")
    assert answer["id"] == "rz_text" and answer["isMultiline"] is True
    assert answer["maxLength"] == 500
    assert t("card.poll.answers_after_close", language) in texts_of(case.card, "TextBlock")
    assert "More breaks" not in json.dumps(case.card)


@language
def test_a_named_poll_says_it_is_not_anonymous_and_lists_who_chose_what(language: Language):
    case = snap(states.named_with_names(language))
    runs = texts_of(case.card, "TextRun")
    who = t("card.poll.who", language, names=f"{states.ANNA}, {states.JONAS}")
    assert who in runs
    assert t("card.poll.named", language) in texts_of(case.card, "TextBlock")[0]
    assert t("card.poll.privacy_named", language) in texts_of(case.card, "TextBlock")


@language
def test_ten_options_and_a_long_german_question_are_all_shown(language: Language):
    case = snap(states.ten_options_long_german_question(language))
    assert states.LONG_GERMAN_QUESTION in texts_of(case.card, "TextRun")
    choice_set, = elements_of_type(case.card, "Input.ChoiceSet")
    assert len(choice_set["choices"]) == 10
    assert len(elements_of_type(case.card, "ColumnSet")) == 10


@language
def test_an_auto_closing_poll_shows_its_closing_time_in_the_readers_time_zone(language):
    case = snap(states.auto_close(language))
    header = texts_of(case.card, "TextBlock")[0]
    assert header.endswith(t("card.poll.closes_at", language,
                             time="{{TIME(2024-05-14T10:00:00Z)}}"))


def test_the_closing_time_is_converted_to_utc_before_it_is_labelled_z():
    berlin = timezone(timedelta(hours=2))
    poll = states.make_poll(minutes=30, now=states.T0.astimezone(berlin))
    card = render_poll_card(states.view(poll, states.single(poll, 0, 0, 0)), language="en")
    assert "{{TIME(2024-05-14T10:00:00Z)}}" in texts_of(card, "TextBlock")[0]


@language
def test_the_change_vote_card_preselects_the_voters_current_choice(language: Language):
    case = snap(states.change_vote_single(language))
    choice_set, = elements_of_type(case.card, "Input.ChoiceSet")
    assert choice_set["value"] == "1"


@language
def test_the_change_vote_card_of_a_multiple_choice_poll_preselects_all_choices(language):
    case = snap(states.change_vote_multiple(language))
    choice_set, = elements_of_type(case.card, "Input.ChoiceSet")
    assert choice_set["value"] == "0,2"


@language
def test_the_change_vote_card_of_an_open_text_poll_prefills_the_answer(language: Language):
    case = snap(states.change_vote_text(language))
    answer, = elements_of_type(case.card, "Input.Text")
    assert answer["value"] == "A quiet room"


def test_a_named_poll_with_a_stale_breakdown_lists_as_many_names_as_the_counts_it_shows():
    poll = states.make_poll(anonymous=False)
    names = ((states.ANNA, states.JONAS, states.LEA), (states.NOAH,), ("Mia Wagner",))
    stale = states.view(poll, states.single(poll, 3, 1, 1), shown=states.single(poll, 2, 1, 0),
                        changes=2, names=names)
    card = render_poll_card(stale, language="en")
    shown_counts = [int(text.rsplit("(", 1)[1].rstrip(")")) for text in texts_of(card, "TextBlock")
                    if "█" in text or "░" in text]
    listed = [len(group) for group in names]
    assert shown_counts == listed


# ---------------------------------------------------------------------------- personal receipt


@language
def test_the_receipt_tells_voters_what_they_chose_and_that_only_they_see_it(language):
    case = snap(states.receipt_voted(language))
    assert [t("receipt.voted", language), "Salad bar"] == texts_of(case.card, "TextRun")[1:]
    assert t("receipt.can_change", language) in texts_of(case.card, "TextBlock")
    assert verbs(case) == ["poll.change"]


@language
def test_the_receipt_after_a_change_confirms_the_change(language: Language):
    case = snap(states.receipt_changed(language))
    assert "Roadmap, Budget" in texts_of(case.card, "TextRun")
    assert t("receipt.changed", language) in texts_of(case.card, "TextBlock")


@language
def test_the_receipt_of_an_open_text_poll_repeats_the_answer(language: Language):
    case = snap(states.receipt_text_answer(language))
    runs = texts_of(case.card, "TextRun")
    assert runs[1:] == [t("receipt.answered", language), "A quiet room for focused work"]


# ---------------------------------------------------------------------------- form and help


@language
def test_the_empty_creation_form_defaults_to_an_anonymous_live_single_choice_poll(language):
    case = snap(states.form_empty(language))
    inputs = {element["id"]: element for element in elements_of_type(
        case.card, "Input.Text", "Input.ChoiceSet", "Input.Toggle", "Input.Number")}
    assert set(inputs) == {"rz_question", "rz_options", "rz_kind", "rz_anonymous", "rz_results",
                           "rz_minutes"}
    assert inputs["rz_kind"]["value"] == "single"
    assert inputs["rz_anonymous"]["value"] == "true"
    assert inputs["rz_results"]["value"] == "live"
    assert "value" not in inputs["rz_question"] and "value" not in inputs["rz_minutes"]
    assert verbs(case) == ["poll.create"]


@language
def test_the_creation_form_comes_back_with_the_error_and_everything_typed(language):
    case = snap(states.form_error_filled(language))
    inputs = {element["id"]: element for element in elements_of_type(
        case.card, "Input.Text", "Input.ChoiceSet", "Input.Toggle", "Input.Number")}
    assert inputs["rz_question"]["value"] == states.FILLED_FORM.question
    assert inputs["rz_options"]["value"] == states.FILLED_FORM.options
    assert inputs["rz_kind"]["value"] == "multiple"
    assert inputs["rz_anonymous"]["value"] == "false"
    assert inputs["rz_results"]["value"] == "on_close"
    assert inputs["rz_minutes"]["value"] == 45
    error = t("poll.duplicate_option", language, option="salad bar")
    assert error in all_text(case)


@language
def test_the_help_card_lists_each_command_with_its_summary(language: Language):
    case = snap(states.help_card(language))
    texts = texts_of(case.card, "TextBlock")
    assert texts[0] == t("help.title", language)
    # usage lines are text runs, so "<question>" is shown, not read as a tag
    assert "poll <question> | <option>…" in texts_of(case.card, "TextRun")
    assert not any("<" in text for text in texts)
    assert "Start a poll" in texts
    assert texts[-1] == t("help.footer", language)


# Text that is the same in both languages: words German shares with English ("neutral"), and
# Teams' date and time functions, which Teams itself writes in the reader's language.
SAME_IN_BOTH = re.compile("|".join(
    [re.escape(english) for key, english in catalogue("en").messages.items()
     if isinstance(english, str) and catalogue("de").messages[key] == english]
    + [r"\{\{(?:DATE|TIME)\([^)]*\)\}\}"]))


@pytest.mark.parametrize("build", [b for b in states.BUILDERS if b.__name__ != "help_card"],
                         ids=lambda build: build.__name__)
def test_german_cards_share_no_interface_text_with_english_ones(build):
    english, german = build("en"), build("de")
    shared = set(texts_of(english.card, "TextBlock")) & set(texts_of(german.card, "TextBlock"))
    shared |= set(texts_of(english.card, "TextRun")) & set(texts_of(german.card, "TextRun"))
    user_texts = (*english.user_texts, "Start a poll", "**poll <question> | <option>…**")
    interface = {SAME_IN_BOTH.sub("", text) for text in shared
                 if not any(user in text or text.rstrip(": ").rstrip("…") in user
                            for user in user_texts)}
    assert {text for text in interface if sum(ch.isalpha() for ch in text) > 2} == set()
