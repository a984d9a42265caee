"""Snapshots of the engagement summary card and the report link card in English and German, plus
the facts about each state that matter most (so a snapshot update cannot silently lose them).
The rules every card keeps (user text only in text runs and chart legends, charts only with a
fallback, no participant in any card, size) are checked over these states in
test_card_invariants."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest

from bot.i18n import Language, t
from bot.summaries.cards import (
    MAX_POLLS,
    MAX_QUESTIONS,
    render_report_link,
    render_summary_card,
)
from facilitation.summaries import BreakoutSummary, EngagementSummary, GroupResult, Reach
from tests.cards import states
from tests.cards.snapshot import SNAPSHOT_DIR, assert_snapshot
from tests.cards.states import (
    EVE,
    HEADING,
    MALICIOUS,
    MEETING_ID,
    POLICY,
    REPORT_HOURS,
    REPORT_URL,
    SUMMARY_HELD_ON,
    Case,
    elements_of_type,
    lines_of,
    texts_of,
    walk,
)
from tests.cards.test_card_invariants import TEAMS_CHART_TYPES

language = pytest.mark.parametrize("language", states.LANGUAGES)

SUMMARY_BUILDERS = list(states.SUMMARY_BUILDERS)


def said(key: str, language: Language) -> str:
    """A summary text that names the minimum group size, as the default policy fills it in."""
    return t(key, language, minimum=POLICY.min_group)
SUMMARY_CARD_BUILDERS = [build for build in SUMMARY_BUILDERS
                         if build is not states.summary_report_link]


def snap(case: Case) -> Case:
    assert_snapshot(case.id, case.card)
    return case


def date_line(held_on: Any = SUMMARY_HELD_ON) -> str:
    return "{{DATE(" + held_on.strftime("%Y-%m-%dT%H:%M:%SZ") + ", LONG)}}"


def section(card: dict[str, Any], title: str) -> list[dict[str, Any]]:
    """The items of the section headed `title` (after its heading)."""
    found = [container["items"][1:] for container in elements_of_type(card, "Container")
             if container["items"][0].get("type") == "TextBlock"
             and container["items"][0]["text"] == title]
    assert len(found) == 1, f"no section {title!r}" if not found else f"{title!r} twice"
    return found[0]


def has_section(card: dict[str, Any], title: str) -> bool:
    return any(container["items"][0].get("text") == title
               for container in elements_of_type(card, "Container"))


def line(element: dict[str, Any]) -> str:
    """A TextBlock's text or a RichTextBlock's runs joined."""
    if element["type"] == "TextBlock":
        return element["text"]
    return "".join(run["text"] for run in element["inlines"])


@dataclass
class PollBlock:
    """One poll of the polls section: its question, turnout, other lines and chart."""

    question: str
    turnout: str
    lines: list[str] = field(default_factory=list)
    chart: dict[str, Any] | None = None

    @property
    def figures(self) -> list[tuple[str, int]]:
        return figures(self.chart) if self.chart else []

    @property
    def fallback(self) -> list[str]:
        return lines_of(self.chart["fallback"]) if self.chart else []


def polls(card: dict[str, Any], language: Language) -> tuple[list[PollBlock], list[str]]:
    """The polls listed, and the captions after the last one ("… and 2 more polls")."""
    found: list[PollBlock] = []
    after: list[str] = []
    for item in section(card, t("summary.polls", language)):
        if item["type"] == "RichTextBlock" and item.get("spacing") == "Medium":  # a question
            found.append(PollBlock(line(item), ""))
        elif str(item["type"]).startswith("Chart."):
            found[-1].chart = item
        elif line(item).startswith("…"):
            after.append(line(item))
        elif not found[-1].turnout:
            found[-1].turnout = line(item)
        else:
            found[-1].lines.append(line(item))
    return found, after


def figures(chart: dict[str, Any]) -> list[tuple[str, int]]:
    return [(point["legend"], point["value"]) for point in chart["data"]]


def charts(card: dict[str, Any]) -> list[dict[str, Any]]:
    return elements_of_type(card, *TEAMS_CHART_TYPES)


def execute_actions(card: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(action["verb"], action["data"]) for action in elements_of_type(card, "Action.Execute")]


def title_runs(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The text runs of the block that carries the meeting's title (above the date line)."""
    header = card["body"][1]
    if header["type"] != "Container":
        return []
    return [run for block in header["items"] if block["type"] == "RichTextBlock"
            for run in block["inlines"]]


# ---------------------------------------------------------------------------- empty meeting


@language
def test_an_empty_meeting_gets_a_friendly_line_the_measured_line_and_the_report_button(
        language: Language):
    case = snap(states.summary_empty(language))
    texts = texts_of(case.card, "TextBlock")
    assert texts[0] == t("summary.title", language)
    assert t("summary.empty", language) in texts
    assert texts[-1] == said("summary.measured", language)
    assert date_line(states.EMPTY_HELD_ON) in texts
    assert [run["text"] for run in title_runs(case.card)] == \
        [states.SUMMARY_TITLES[language]["empty"]]
    assert execute_actions(case.card) == [("summary.report_link", {"meeting": MEETING_ID})]
    assert elements_of_type(case.card, "Action.Execute")[0]["title"] == \
        t("summary.open_report", language)
    assert charts(case.card) == []
    everything = json.dumps(case.card, ensure_ascii=False)
    assert t("error.generic", language) not in everything
    assert "None" not in everything and "{" + "reached" not in everything


# ---------------------------------------------------------------------------- full meeting


@language
def test_a_full_meeting_shows_how_many_of_the_attendees_took_part_in_the_languages_style(
        language: Language):
    case = snap(states.summary_full(language))
    expected = {"en": "18 of 25 people took part (72%)",
                "de": "18 von 25 Leuten haben mitgemacht (72\u00a0%)"}[language]
    assert expected in texts_of(case.card, "TextBlock")
    assert date_line() in texts_of(case.card, "TextBlock")
    assert [run["text"] for run in title_runs(case.card)] == \
        [states.SUMMARY_TITLES[language]["full"]]


@language
def test_a_full_meeting_lists_its_sections_in_order_between_the_reach_and_the_measured_line(
        language: Language):
    card = states.summary_full(language).card
    headings = [container["items"][0]["text"] for container in card["body"]
                if container["type"] == "Container" and container.get("separator")]
    assert headings == [t("summary.polls", language), t("summary.qna", language),
                        t("summary.themes", language),
                        t("summary.sentiment", language, count=14),
                        t("summary.breakouts", language)]
    assert texts_of(card, "TextBlock")[-1] == said("summary.measured", language)


@language
def test_a_poll_shows_its_question_turnout_and_a_donut_whose_fallback_has_the_same_figures(
        language: Language):
    listed, after = polls(states.summary_full(language).card, language)
    (question, options), _, _ = states.FULL_POLLS[language]
    first = listed[0]
    assert (first.question, first.turnout) == (question, t("summary.turnout", language,
                                                           count=18))
    assert first.chart is not None and first.chart["type"] == "Chart.Donut"
    assert first.figures == list(zip(options, (8, 6, 4), strict=True))
    assert first.fallback == [f"{option}: {count}" for option, count in first.figures]
    assert first.chart["fallback"]["type"] != "FactSet"  # facts are Markdown in Teams
    assert len(listed) == 3 and after == []


@language
def test_a_poll_with_fewer_than_3_votes_shows_only_its_turnout(language: Language):
    case = states.summary_full(language)
    withheld = polls(case.card, language)[0][2]
    _, _, (question, options) = states.FULL_POLLS[language]
    assert (withheld.question, withheld.turnout) == (question,
                                                    t("summary.turnout", language, count=2))
    assert withheld.lines == [said("summary.withheld", language)]
    assert withheld.chart is None
    everything = json.dumps(case.card, ensure_ascii=False)
    assert [option for option in options if option in everything] == []


@language
def test_a_rating_poll_shows_its_average_with_the_languages_decimal_separator(language):
    rating = polls(states.summary_full(language).card, language)[0][1]
    assert rating.question == states.FULL_POLLS[language][1]
    assert rating.turnout == t("summary.turnout", language, count=15)
    assert rating.lines == [{"en": "Average: 3.6 of 5", "de": "Durchschnitt: 3,6 von 5"}[language]]
    assert rating.figures == [("1", 0), ("2", 3), ("3", 3), ("4", 6), ("5", 3)]


@language
def test_the_questions_section_counts_by_status_and_lists_top_questions_and_follow_ups(
        language: Language):
    items = section(states.summary_full(language).card, t("summary.qna", language))
    text = partial(states.question_text_of, language)
    assert line(items[0]) == t("summary.qna_counts", language, asked=14, answered=5, open=6,
                               dismissed=1, merged=2)
    assert [line(item) for item in items[1:]] == [
        f"▲ 17 {text(5)}", f"▲ 14 ✓ {text(1)}", f"▲ 12 {text(9)}",
        t("summary.open_items", language), text(5), text(9), text(11)]
    assert len(items) - 2 == 2 * MAX_QUESTIONS
    everything = json.dumps(states.summary_full(language).card, ensure_ascii=False)
    assert text(10) not in everything  # dismissed, though it had 7 upvotes
    assert text(7) not in everything and text(8) not in everything  # merged


@language
def test_themes_are_listed_with_how_often_they_came_up(language: Language):
    items = section(states.summary_full(language).card, t("summary.themes", language))
    expected = ", ".join(f"{label} ({count})" for label, count in states.FULL_THEMES[language])
    assert [line(item) for item in items] == [expected]
    assert [item["type"] for item in items] == ["RichTextBlock"]


@language
def test_the_mood_section_has_a_donut_of_positive_neutral_and_negative_texts(language):
    items = section(states.summary_full(language).card,
                    t("summary.sentiment", language, count=14))
    chart, caveat = items
    assert chart["type"] == "Chart.Donut"
    # The reading is automatic and can miss irony: the card says so under the chart.
    assert (caveat["text"], caveat["isSubtle"]) == (t("summary.sentiment_caveat", language), True)
    assert figures(chart) == [(t("summary.positive", language), 6),
                              (t("summary.neutral", language), 5),
                              (t("summary.negative", language), 3)]
    assert lines_of(chart["fallback"]) == [f"{label}: {value}" for label, value in figures(chart)]


@language
def test_the_breakout_section_counts_rounds_groups_and_results_and_shows_the_key_points(
        language: Language):
    items = section(states.summary_full(language).card, t("summary.breakouts", language))
    topics = states.RETRO_TOPICS[language]
    reports = states.RETRO_REPORTS[language]
    group = partial(t, "breakout.group", language)
    assert [line(item) for item in items] == [
        t("summary.breakout_counts", language, rounds=1, groups=3, reported=2),
        # Key points, then the group's note.
        f"{group(number=1)} · {topics[0]}: " + "; ".join([*reports[1][0], reports[1][1]]),
        f"{group(number=3)} · {topics[2]}: " + "; ".join(
            [*reports[3][0], reports[3][1]] if reports[3][1] else reports[3][0])]


@language
def test_a_full_summary_carries_no_participant_though_two_of_its_questions_had_askers(
        language: Language):
    case = states.summary_full(language)
    askers = [q.author for q in states.full_qna(language).questions if q.author]
    assert len(askers) == 2 and set(askers) <= set(case.hidden_texts)
    shown = " ".join(texts_of(case.card, "TextRun"))
    assert all(q.text in shown for q in states.full_qna(language).questions if q.author)
    for encoded in (json.dumps(case.card), json.dumps(case.card, ensure_ascii=False)):
        assert [who for who in states.summary_participants(language) if who in encoded] == []
        assert "29:" not in encoded and "mri:" not in encoded


# ---------------------------------------------------------------------------- small figures


@language
def test_every_option_shows_its_count_as_the_closed_card_did(language: Language):
    """Nothing folded into "other": a 6/5/2/1 poll is 6/5/2/1 on the summary too."""
    case = snap(states.summary_small_figures(language))
    days, snacks, _ = polls(case.card, language)[0]
    (_, day_options), (_, snack_options), _ = states.SMALL_FIGURE_POLLS[language]
    assert days.turnout == t("summary.turnout", language, count=14)
    assert days.figures == list(zip(day_options, (6, 5, 2, 1), strict=True))
    assert days.fallback == [f"{o}: {n}" for o, n in zip(day_options, (6, 5, 2, 1), strict=True)]
    assert snacks.figures == list(zip(snack_options, (5, 4, 2), strict=True))
    everything = json.dumps(case.card, ensure_ascii=False)
    assert t("summary.other", language) not in everything


@language
def test_open_text_shows_its_answer_groups_with_counts(language: Language):
    case = states.summary_small_figures(language)
    answers = states.SMALL_FIGURE_POLLS[language][2][1]
    _, _, better = polls(case.card, language)[0]
    expected = sorted(Counter(answers).items(), key=lambda item: (-item[1], item[0].casefold()))
    assert better.lines == [f"{answer}: {count}" for answer, count in expected]


@language
def test_the_mood_shows_positive_neutral_and_negative_with_their_counts(language: Language):
    chart, _caveat = section(states.summary_small_figures(language).card,
                             t("summary.sentiment", language, count=8))
    moods = [t(f"summary.{mood}", language) for mood in ("positive", "neutral", "negative")]
    assert figures(chart) == list(zip(moods, (3, 3, 2), strict=True))
    assert lines_of(chart["fallback"]) == [f"{m}: {n}" for m, n in zip(moods, (3, 3, 2),
                                                                        strict=True)]


@language
def test_a_meeting_without_a_known_number_of_attendees_says_only_how_many_took_part(language):
    """The headline's "14 people" and no share of those present."""
    texts = texts_of(states.summary_small_figures(language).card, "TextBlock")
    assert {"en": "14 people · 3 polls", "de": "14 Personen · 3 Umfragen"}[language] in texts
    assert not [text for text in texts if "%" in text]


@language
def test_the_headline_counts_people_polls_questions_and_breakout_groups(language: Language):
    expected = {"en": "18 people · 3 polls · 14 questions · 3 breakout groups",
                "de": "18 Personen · 3 Umfragen · 14 Fragen · 3 Breakout-Gruppen"}[language]
    texts = texts_of(states.summary_full(language).card, "TextBlock")
    assert texts[2] == expected
    small = texts_of(states.summary_small_figures(language).card, "TextBlock")
    assert {"en": "14 people · 3 polls", "de": "14 Personen · 3 Umfragen"}[language] in small


# ---------------------------------------------------------------------------- many polls


@pytest.mark.parametrize(("build", "language", "caption"), [
    pytest.param(states.summary_six_polls, "en", "… and 1 more poll", id="six-en"),
    pytest.param(states.summary_six_polls, "de", "… und 1 weitere Umfrage", id="six-de"),
    pytest.param(states.summary_seven_polls, "en", "… and 2 more polls", id="seven-en"),
    pytest.param(states.summary_seven_polls, "de", "… und 2 weitere Umfragen", id="seven-de"),
])
def test_more_polls_than_fit_end_with_a_caption_saying_how_many_more(build, language: Language,
                                                                     caption: str):
    case = snap(build(language))
    listed, after = polls(case.card, language)
    questions = [question for question, _, _ in states.WORKSHOP_POLLS[language]]
    assert [poll.question for poll in listed] == questions[:MAX_POLLS]
    assert after == [caption]
    everything = json.dumps(case.card, ensure_ascii=False)
    assert [q for q in questions[MAX_POLLS:] if q in everything] == []
    reach = {"en": "16 of 16 people took part (100%)",
             "de": "16 von 16 Leuten haben mitgemacht (100\u00a0%)"}[language]
    assert reach in texts_of(case.card, "TextBlock")


# ---------------------------------------------------------------------------- singular


@language
def test_one_person_and_one_vote_are_written_in_the_singular(language: Language):
    case = snap(states.summary_one_person(language))
    person = {"en": "1 person · 1 poll", "de": "1 Person · 1 Umfrage"}[language]
    vote = {"en": "1 vote", "de": "1 Stimme"}[language]
    assert person in texts_of(case.card, "TextBlock")
    poll, = polls(case.card, language)[0]
    assert (poll.turnout, poll.lines, poll.chart) == (vote, [said("summary.withheld", language)],
                                                      None)


def _reach_one_of_twelve(language: Language) -> str:
    summary = EngagementSummary("", SUMMARY_HELD_ON, Reach(reached=1, attendees=12),
                                polls=(states.choice_poll(language, "?", ("A1", "B1"), 1, 0),))
    card = render_summary_card(summary, meeting_id=MEETING_ID, language=language, policy=POLICY)
    return texts_of(card, "TextBlock")[3]  # below the headline


def _link_for_one_hour(language: Language) -> str:
    return texts_of(render_report_link(REPORT_URL, language=language, hours=1), "TextBlock")[1]


@pytest.mark.parametrize(("render", "language", "plural"), [
    pytest.param(_reach_one_of_twelve, "en", "1 of 12 people took part (8%)",
                 id="one-of-twelve-en"),
    pytest.param(_reach_one_of_twelve, "de", "1 von 12 Leuten haben mitgemacht",
                 id="one-of-twelve-de"),
    pytest.param(_link_for_one_hour, "en", "1 hours", id="one-hour-en"),
    pytest.param(_link_for_one_hour, "de", "1 Stunden", id="one-hour-de"),
])
def test_a_count_of_one_in_a_summary_is_written_in_the_singular(render, language: Language,
                                                                plural: str):
    text = render(language)
    assert "1" in text
    if language == "en" and render is _reach_one_of_twelve:
        assert text == plural  # "1 of 12 people" is right in English
    else:
        assert plural not in text


# ---------------------------------------------------------------------------- odd figures


@language
def test_the_reach_line_never_says_more_people_took_part_than_attended(language: Language):
    summary = EngagementSummary("", SUMMARY_HELD_ON, Reach(reached=27, attendees=25),
                                polls=(states.choice_poll(language, "?", ("A1", "B1"), 3, 2),))
    card = render_summary_card(summary, meeting_id=MEETING_ID, language=language, policy=POLICY)
    reach = texts_of(card, "TextBlock")[3]  # below the headline
    numbers = [int(number) for number in re.findall(r"\d+", reach)]
    assert numbers[0] <= numbers[1], reach


@language
def test_results_of_two_breakout_rounds_can_be_told_apart(language: Language):
    points = states.RETRO_REPORTS[language][1][0]
    summary = EngagementSummary("", SUMMARY_HELD_ON, Reach(reached=12), breakouts=BreakoutSummary(
        rounds=2, groups=6, reported=2, results=(GroupResult(1, 1, None, points[:1]),
                                                 GroupResult(2, 1, None, points[1:2]))))
    card = render_summary_card(summary, meeting_id=MEETING_ID, language=language, policy=POLICY)
    labels = [item["inlines"][0]["text"]
              for item in section(card, t("summary.breakouts", language))[1:]]
    assert len(set(labels)) == 2, labels


# ---------------------------------------------------------------------------- report link


@language
def test_the_report_link_card_opens_the_address_and_says_when_it_expires(language: Language):
    case = snap(states.summary_report_link(language))
    action, = case.card["actions"]
    assert action == {"type": "Action.OpenUrl", "title": t("summary.open_report", language),
                      "url": REPORT_URL}
    assert texts_of(case.card, "TextBlock") == [
        t("summary.link_title", language),
        t("summary.link_expires", language, hours=REPORT_HOURS)]
    expires = {"en": "72 hours", "de": "72 Stunden"}[language]
    assert expires in texts_of(case.card, "TextBlock")[1]
    assert elements_of_type(case.card, "Action.Execute") == []


# ---------------------------------------------------------------------------- every summary


@pytest.mark.parametrize("build", SUMMARY_CARD_BUILDERS, ids=lambda build: build.__name__)
@language
def test_the_summarys_only_button_asks_for_the_report_of_this_meeting(build, language):
    case = build(language)
    assert execute_actions(case.card) == [("summary.report_link", {"meeting": MEETING_ID})]
    assert texts_of(case.card, "TextBlock")[-1] == said("summary.measured", language)


@pytest.mark.parametrize("build", SUMMARY_CARD_BUILDERS, ids=lambda build: build.__name__)
@language
def test_every_chart_of_a_summary_is_a_donut_with_a_fallback_of_plain_text_runs(build,
                                                                              language):
    for chart in charts(build(language).card):
        assert chart["type"] == "Chart.Donut"
        fallback = chart["fallback"]
        assert fallback["type"] == "Container"
        assert {item["type"] for item in fallback["items"]} == {"RichTextBlock"}


@pytest.mark.parametrize("build", SUMMARY_BUILDERS, ids=lambda build: build.__name__)
@language
def test_summaries_are_built_from_aggregates_and_name_no_participant(build, language):
    case = build(language)
    participants = states.summary_participants(language)
    assert states.BREAKOUT_TEAM[language][0] in participants
    assert set(participants) <= set(case.hidden_texts)
    for encoded in (json.dumps(case.card), json.dumps(case.card, ensure_ascii=False)):
        assert [who for who in participants if who in encoded] == []


# ---------------------------------------------------------------------------- hostile text


@language
def test_malicious_text_appears_only_as_plain_text_runs_and_chart_legends(language: Language):
    case = states.summary_malicious(language)
    places = set()
    for ancestors, parent, key, value in walk(case.card):
        if isinstance(value, str) and ("evil.example" in value or "<at>" in value
                                       or "**" in value or value.startswith("#")):
            places.add(f"{parent.get('type') or ancestors[-1].get('type') + '.data'}.{key}")
    assert places == {"TextRun.text", "Chart.Donut.data.legend"}
    hostile = [run for run in elements_of_type(case.card, "TextRun")
               if "evil.example" in run["text"] or "<at>" in run["text"]]
    assert all(set(run) <= {"type", "text", "weight", "isSubtle", "size"} for run in hostile)
    markdown = texts_of(case.card, "TextBlock") + [
        value for facts in elements_of_type(case.card, "FactSet")
        for fact in facts["facts"] for value in fact.values()]
    assert not [text for text in markdown if "evil" in text or "<at>" in text or "**" in text]


@language
def test_a_malicious_title_question_option_theme_and_breakout_point_reach_the_card_unchanged(
        language: Language):
    card = states.summary_malicious(language).card
    assert [run["text"] for run in title_runs(card)] == [MALICIOUS]
    listed, _ = polls(card, language)
    assert [poll.question for poll in listed] == [MALICIOUS, HEADING]
    assert [label for label, _ in listed[0].figures] == [MALICIOUS + " A", "Plain option",
                                                         "<at>Jonas</at>"]
    assert f"{MALICIOUS} A: 4" in listed[0].fallback
    assert [answer.rsplit(": ", 1)[0] for answer in listed[1].lines] == sorted(
        [MALICIOUS, EVE, states.MALLORY], key=str.casefold)
    runs = texts_of(card, "TextRun")
    assert f"{MALICIOUS} (4), {EVE} (3)" in runs  # the themes
    assert MALICIOUS in runs  # a question on the board, and a follow-up item
    assert any(run.startswith("; ".join([MALICIOUS, EVE])) for run in runs)  # group 1's points
    group = t("breakout.group", language, number=1)
    assert f"{group} · {MALICIOUS}: " in runs  # the topic
    assert f"✓ {EVE} {states.MALLORY}" in runs  # an answered question


@language
def test_the_meeting_title_from_teams_events_is_shown_as_a_plain_text_run(language: Language):
    """The title comes from Teams' meetingStart/meetingEnd events (what the organizer typed):
    it must never land in a TextBlock, which Teams reads as Markdown."""
    card = states.summary_malicious(language).card
    assert not [text for text in texts_of(card, "TextBlock") if MALICIOUS in text]
    run, = title_runs(card)
    assert run["text"] == MALICIOUS and "selectAction" not in run


# ---------------------------------------------------------------------------- bookkeeping


def test_every_summary_state_to_snapshot_has_a_reviewed_snapshot_in_both_languages():
    expected = {f"{build(language).id}.json" for build in SUMMARY_BUILDERS
                for language in states.LANGUAGES if build(language).snapshot}
    stored = {path.name for path in SNAPSHOT_DIR.glob("summary_*.json")}
    assert stored == expected
    assert len(expected) == 2 * 7
