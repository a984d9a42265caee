"""Rules every card must keep, checked over every state of tests/cards/states.py, in English
and German."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.app import build_registry
from bot.cards.elements import as_activity, verbs_in
from bot.polls.cards import MAX_NAMES_SHOWN, render_poll_card, render_receipt
from facilitation.polls import BallotChoice, close_poll
from tests.cards import states
from tests.cards.states import MALICIOUS, Case, elements_of_type, walk

CASES = states.all_cases()
TEAMS_MESSAGE_LIMIT = 28 * 1024



RULES: set[str] = set()  # every rule that `cases` was asked for


def cases(*, where: Any = lambda case: True, rule: str) -> list[Any]:
    """The cases as test parameters; a case with a known problem under `rule` is expected to
    fail that rule (strictly, so fixing the problem makes the test say so)."""
    RULES.add(rule)
    return [pytest.param(case, id=case.id, marks=[
        pytest.mark.xfail(strict=True, reason=reason)
        for problem_rule, reason in case.known_problems if problem_rule == rule])
        for case in CASES if where(case)]


@pytest.fixture(scope="module")
def registered_verbs() -> frozenset[str]:
    return build_registry().verbs


def wire_bytes(card: dict[str, Any]) -> int:
    """Size as sent: the activity serialised the way aiohttp's `json=` does (ASCII escapes)."""
    return max(len(json.dumps(as_activity(card)).encode()),
               len(json.dumps(as_activity(card), ensure_ascii=False).encode()))


# ---------------------------------------------------------------------------- structure


def test_every_state_is_built_in_both_languages():
    built = {(case.state, case.language) for case in CASES}
    assert len(built) == len(CASES) == 2 * len(states.BUILDERS)


def test_every_known_problem_names_a_rule_that_is_checked():
    named = {rule for case in CASES for rule, _ in case.known_problems}
    assert named <= RULES


@pytest.mark.parametrize("case", cases(rule="adaptive_card"))
def test_every_card_is_a_json_serialisable_adaptive_card_1_5(case: Case):
    encoded = json.dumps(case.card, allow_nan=False)
    assert json.loads(encoded) == case.card
    assert case.card["type"] == "AdaptiveCard"
    assert case.card["version"] == "1.5"
    assert case.card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert case.card["body"]


@pytest.mark.parametrize("case", cases(rule="verbs"))
def test_every_card_verb_has_a_route_in_the_bots_registry(case: Case, registered_verbs):
    assert verbs_in(case.card) <= registered_verbs


@pytest.mark.parametrize("case", cases(rule="actions"))
def test_every_execute_action_has_a_non_empty_title_and_a_verb(case: Case):
    for action in elements_of_type(case.card, "Action.Execute"):
        assert isinstance(action.get("title"), str) and action["title"].strip()
        assert isinstance(action.get("verb"), str) and action["verb"]
        assert isinstance(action.get("data"), dict)


@pytest.mark.parametrize("case", cases(rule="input_ids"))
def test_every_input_id_starts_with_rz_and_is_unique_in_its_card(case: Case):
    inputs = [element for _, element, key, value in walk(case.card)
              if key == "type" and isinstance(value, str) and value.startswith("Input.")]
    ids = [element["id"] for element in inputs]
    assert all(identifier.startswith("rz_") for identifier in ids), ids
    assert len(ids) == len(set(ids))


# Every element type of Adaptive Cards 1.5, the version Teams renders.
ADAPTIVE_CARD_1_5_TYPES = frozenset({
    "AdaptiveCard", "TextBlock", "RichTextBlock", "TextRun", "Image", "ImageSet", "Media",
    "MediaSource", "Container", "ColumnSet", "Column", "FactSet", "ActionSet", "Table",
    "TableRow", "TableCell", "Input.Text", "Input.Number", "Input.Date", "Input.Time",
    "Input.Toggle", "Input.ChoiceSet", "Action.Execute", "Action.Submit", "Action.OpenUrl",
    "Action.ShowCard", "Action.ToggleVisibility",
})
# Teams' own chart elements: no other Adaptive Card host knows them, and Teams clients without
# charts do not either. Such a host shows an element's fallback instead, or nothing at all.
TEAMS_CHART_TYPES = frozenset({
    "Chart.Donut", "Chart.Pie", "Chart.Gauge", "Chart.Line", "Chart.VerticalBar",
    "Chart.VerticalBar.Grouped", "Chart.HorizontalBar", "Chart.HorizontalBar.Stacked",
})


def is_chart(element: Any) -> bool:
    return isinstance(element, dict) and str(element.get("type", "")).startswith("Chart.")


def element_types(card: Any) -> set[str]:
    return {value for _, _, key, value in walk(card) if key == "type" and isinstance(value, str)}


@pytest.mark.parametrize("case", cases(rule="element_types"))
def test_every_element_is_adaptive_card_1_5_or_a_teams_chart_with_a_fallback(case: Case):
    assert element_types(case.card) <= ADAPTIVE_CARD_1_5_TYPES | TEAMS_CHART_TYPES
    for chart in elements_of_type(case.card, *TEAMS_CHART_TYPES):
        fallback = chart.get("fallback")
        assert isinstance(fallback, dict), chart  # not missing, not "drop"
        assert element_types(fallback) <= ADAPTIVE_CARD_1_5_TYPES, fallback


def test_the_chart_rules_are_checked_on_charts_in_both_languages():
    """Guards the test below: without cards that have charts it would check nothing."""
    assert {case.language for case in CASES
            if elements_of_type(case.card, *TEAMS_CHART_TYPES)} == set(states.LANGUAGES)


# Over every case, as the element rules above: which cards have charts is known only once the
# cards are built, and collection does not build them.
@pytest.mark.parametrize("case", cases(rule="charts"))
def test_every_chart_has_figures_and_its_fallback_shows_each_of_them(case: Case):
    for chart in elements_of_type(case.card, *TEAMS_CHART_TYPES):
        points = chart["data"]
        assert points and all(set(point) == {"legend", "value"} for point in points)
        assert all(isinstance(point["legend"], str) and point["legend"].strip()
                   for point in points)
        assert all(type(point["value"]) is int and point["value"] >= 0 for point in points)
        lines = states.lines_of(chart["fallback"])
        assert [f"{point['legend']}: {point['value']}" for point in points
                if f"{point['legend']}: {point['value']}" not in lines] == []
        assert len(lines) >= len(points)


@pytest.mark.parametrize("case", cases(rule="open_url"))
def test_every_open_url_action_has_a_title_and_an_https_address(case: Case):
    for action in elements_of_type(case.card, "Action.OpenUrl"):
        assert isinstance(action.get("title"), str) and action["title"].strip()
        assert isinstance(action.get("url"), str) and action["url"].startswith("https://")


def test_the_poll_actions_send_the_poll_id_and_nothing_the_inputs_could_overwrite():
    for case in CASES:
        for action in elements_of_type(case.card, "Action.Execute"):
            assert not any(key.startswith("rz_") for key in action["data"])
            if action["verb"].startswith("poll.") and action["verb"] != "poll.create":
                assert action["data"] == {"poll": states.POLL_ID}


QNA_DATA_KEYS = {"board", "question", "named", "page", "mode", "add", "force", "text", "asker"}


@pytest.mark.parametrize("case", cases(where=lambda case: case.state.startswith("qna_"),
                                       rule="qna_actions"))
def test_the_qna_actions_send_the_board_id_and_nothing_the_inputs_could_overwrite(case: Case):
    for action in elements_of_type(case.card, "Action.Execute"):
        assert action["verb"].startswith("qna.")
        assert action["data"]["board"] == states.BOARD_ID
        assert set(action["data"]) <= QNA_DATA_KEYS, action["data"]
        if "question" in action["data"]:
            assert action["data"]["question"].startswith("q-")


# ---------------------------------------------------------------------------- size


@pytest.mark.parametrize("case", cases(rule="size"))
def test_every_card_stays_under_the_teams_message_size_limit(case: Case):
    assert wire_bytes(case.card) < TEAMS_MESSAGE_LIMIT


@pytest.mark.parametrize("build", [states.largest_anonymous_poll, states.largest_closed_change_card,
                                   states.largest_named_poll], ids=lambda build: build.__name__)
@pytest.mark.parametrize("language", states.LANGUAGES)
def test_a_ten_option_poll_with_200_character_options_stays_under_28_kb(build, language):
    case = build(language)
    options = [choice["title"] for choice in elements_of_type(case.card, "Input.ChoiceSet")[0]
               ["choices"]] if elements_of_type(case.card, "Input.ChoiceSet") else []
    assert len(options) == 10 and all(len(option) == 200 for option in options)
    assert wire_bytes(case.card) < TEAMS_MESSAGE_LIMIT


def test_a_closed_ten_option_poll_and_its_receipt_stay_under_28_kb():
    question = (states.LONG_GERMAN_QUESTION + " " + "x" * 300)[:300]
    poll = states.make_poll(question, [states.long_option(i) for i in range(10)])
    closed = close_poll(poll, now=states.CLOSED_AT)
    card = render_poll_card(states.view(closed, states.single(closed, *[7] * 10)), language="de")
    assert wire_bytes(card) < TEAMS_MESSAGE_LIMIT
    receipt = render_receipt(poll, BallotChoice(mask=1 << 9), language="de")
    assert wire_bytes(receipt) < TEAMS_MESSAGE_LIMIT


# ---------------------------------------------------------------------------- user text


def _allowed_place(ancestors: tuple[Any, ...], parent: dict[str, Any], key: str) -> bool:
    """Where user text may appear: text runs (never Markdown), choice titles and input values;
    the data of an Action.Execute, which is never displayed but sent back to the bot as it is
    (the Q&A duplicate offer's "Post mine anyway" carries the question typed); and the legend
    of a Teams chart's data point (drawn as a plain label, like a choice title; a chart's
    fallback is checked like any other element, so user text there must be in text runs)."""
    if parent.get("type") == "TextRun" and key == "text":
        return True
    if key == "legend" and ancestors and is_chart(ancestors[-1]) \
            and any(point is parent for point in ancestors[-1].get("data", [])):
        return True
    if ancestors and ancestors[-1].get("type") == "Action.Execute" \
            and ancestors[-1].get("data") is parent:
        return True
    if key == "title" and "type" not in parent and ancestors \
            and ancestors[-1].get("type") == "Input.ChoiceSet":
        return True
    return str(parent.get("type", "")).startswith("Input.") and key == "value"


def misplaced_user_text(case: Case) -> list[tuple[str, str, str]]:
    """(element type, property, text) of every string holding user text outside allowed places."""
    found = []
    for ancestors, parent, key, value in walk(case.card):
        if not isinstance(value, str) or not any(user in value for user in case.user_texts):
            continue
        if not _allowed_place(ancestors, parent, key):
            found.append((str(parent.get("type", ancestors[-1].get("type") if ancestors else "")),
                          key, value))
    return found


@pytest.mark.parametrize("case", cases(where=lambda case: bool(case.user_texts),
                                       rule="user_text"))
def test_user_text_appears_only_in_text_runs_choice_titles_and_input_values(case: Case):
    assert misplaced_user_text(case) == []


@pytest.mark.parametrize("case", cases(where=lambda case: bool(case.hidden_texts),
                                       rule="hidden"))
def test_no_card_contains_user_text_its_reader_must_not_see(case: Case):
    """E.g. questions waiting for review on a participant's board, dismissed or merged ones."""
    for encoded in (json.dumps(case.card), json.dumps(case.card, ensure_ascii=False)):
        assert [text for text in case.hidden_texts if text in encoded] == []


@pytest.mark.parametrize("case", cases(where=lambda case: bool(case.user_texts),
                                       rule="user_text_shown"))
def test_every_card_given_user_text_shows_some_of_it(case: Case):
    """Guards the placement test above, which a card without any user text would pass trivially.
    Some, not all: a case holds all the text its card was built from, and many cards show part
    of it by design (one page of the board, 20 names per option, one group on a private card,
    the first groups of a town hall). Which part each card shows is pinned by its snapshot and
    its feature's card tests."""
    everything = json.dumps(case.card, ensure_ascii=False)
    shown_anywhere = [user for user in case.user_texts if user in everything
                      or json.dumps(user, ensure_ascii=False)[1:-1] in everything]
    assert shown_anywhere, case.user_texts


def _malicious_poll_cards() -> list[Any]:
    poll = states.make_poll(MALICIOUS, ("Plain A", "Plain B"))
    tally = states.single(poll, 3, 2)
    closed = close_poll(poll, now=states.CLOSED_AT)
    built = []
    for language in states.LANGUAGES:
        built += [
            pytest.param(render_poll_card(states.view(poll, tally), language=language),
                         id=f"open-{language}"),
            pytest.param(render_poll_card(states.view(closed, tally), language=language),
                         id=f"closed-{language}"),
            pytest.param(render_poll_card(states.view(poll, tally), language=language,
                                          selected=BallotChoice(mask=1)),
                         id=f"change-vote-{language}"),
            pytest.param(render_receipt(poll, BallotChoice(mask=1), language=language),
                         id=f"receipt-{language}"),
        ]
    return built


@pytest.mark.parametrize("card", _malicious_poll_cards())
def test_a_malicious_question_appears_only_as_plain_text_run_text(card: dict[str, Any]):
    places = [(parent.get("type"), key) for _, parent, key, value in walk(card)
              if isinstance(value, str) and "evil.example" in value]
    assert places == [("TextRun", "text")]
    run, = [run for run in elements_of_type(card, "TextRun") if run["text"] == MALICIOUS]
    assert set(run) <= {"type", "text", "size", "weight"}  # no selectAction, no link


@pytest.mark.parametrize("case", cases(rule="markdown"))
def test_no_textblock_or_factset_contains_markdown_from_user_text(case: Case):
    markdown_texts = [element["text"] for element in elements_of_type(case.card, "TextBlock")]
    markdown_texts += [value for fact_set in elements_of_type(case.card, "FactSet")
                       for fact in fact_set["facts"] for value in fact.values()]
    assert not [text for text in markdown_texts if "evil.example" in text or "<at>" in text
                or any(user in text for user in case.user_texts)]


# ---------------------------------------------------------------------------- anonymity


ANONYMOUS_POLL_CASES = cases(where=lambda case: case.anonymous is True and bool(case.names),
                             rule="anonymity")


def test_views_of_anonymous_polls_are_given_voter_identifiers_to_prove_they_are_dropped():
    assert len(ANONYMOUS_POLL_CASES) >= 14
    assert any(states.VOTER_IDS[0] in case.values[0].names for case in ANONYMOUS_POLL_CASES)


@pytest.mark.parametrize("case", ANONYMOUS_POLL_CASES)
def test_anonymous_poll_cards_never_contain_voter_names_or_teams_ids(case: Case):
    for encoded in (json.dumps(case.card), json.dumps(case.card, ensure_ascii=False)):
        assert not [name for name in case.names if name in encoded]
    assert "29:" not in json.dumps(case.card)
    assert "mri:" not in json.dumps(case.card)


@pytest.mark.parametrize("case", cases(where=lambda case: case.anonymous is True,
                                       rule="privacy_notice"))
def test_anonymous_poll_cards_say_who_can_see_what(case: Case):
    texts = states.texts_of(case.card, "TextBlock")
    assert any(text.startswith(("Anonymous:", "Anonym:")) for text in texts)


@pytest.mark.parametrize("case", cases(where=lambda case: case.anonymous is False
                                       and bool(case.names), rule="names_shown"))
def test_names_are_shown_only_for_polls_that_are_not_anonymous(case: Case):
    runs = " ".join(states.texts_of(case.card, "TextRun"))
    shown = [name for group in case.name_groups for name in group[:MAX_NAMES_SHOWN]]
    assert shown and all(name in runs for name in shown)
    texts = states.texts_of(case.card, "TextBlock")
    assert any(text.startswith(("Not anonymous:", "Nicht anonym:")) for text in texts)


def test_a_named_poll_shows_at_most_20_names_per_option_and_counts_the_others():
    case = states.largest_named_poll("en")
    who = [run for run in states.texts_of(case.card, "TextRun") if run.startswith("Chosen by: ")]
    assert len(who) == 10
    assert all(run.count(",") == MAX_NAMES_SHOWN - 1 and run.endswith(" (+10)") for run in who)
