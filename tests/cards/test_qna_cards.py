"""Snapshots of the Q&A board cards in English and German, plus the facts about each state that
matter most (so a snapshot update cannot silently lose them). The rules every card keeps are
checked over these states in test_card_invariants."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from bot.i18n import Language, t
from bot.qna.cards import PAGE_SIZE, SHARED_TOP, Viewer, render_board, render_duplicate_offer
from facilitation.qna import (
    MAX_QUESTION_CHARS,
    BoardMode,
    QuestionStatus,
    RankedQuestion,
    rank_board,
)
from tests.cards import states
from tests.cards.snapshot import SNAPSHOT_DIR, assert_snapshot
from tests.cards.states import BOARD_ID, MALICIOUS, Case, elements_of_type, texts_of, walk
from tests.cards.test_card_invariants import TEAMS_MESSAGE_LIMIT, wire_bytes

language = pytest.mark.parametrize("language", states.LANGUAGES)

QNA_BUILDERS = [build for build in states.BUILDERS if build.__name__.startswith("qna_")]


def snap(case: Case) -> Case:
    assert_snapshot(case.id, case.card)
    return case


@dataclass(frozen=True)
class Row:
    """One question row of a board, as the reader sees it."""

    question: str  # the id its buttons send
    votes: str
    text: str
    author: str | None  # the run after the text (" — Name"), if any
    button: str


def rows(card: dict[str, Any]) -> list[Row]:
    found = []
    for column_set in elements_of_type(card, "ColumnSet"):
        count, question, button = (column["items"][0] for column in column_set["columns"])
        runs = [run["text"] for run in question["inlines"]]
        upvote, = button["actions"]
        assert upvote["verb"] == "qna.upvote"
        found.append(Row(upvote["data"]["question"], count["text"], runs[0],
                         runs[1] if len(runs) > 1 else None, upvote["title"]))
    return found


def ids(card: dict[str, Any]) -> list[str]:
    return [row.question for row in rows(card)]


def containers(card: dict[str, Any], style: str) -> list[dict[str, Any]]:
    return [element for element in elements_of_type(card, "Container")
            if element.get("style") == style]


def card_actions(card: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(verb or action type, title, data) of the actions at the bottom of the card."""
    return [(action.get("verb", action["type"]), action["title"], action.get("data"))
            for action in card.get("actions", [])]


def verbs(card: dict[str, Any]) -> list[str]:
    return [action["verb"] for action in elements_of_type(card, "Action.Execute")]


def encoded(card: dict[str, Any]) -> tuple[str, str]:
    return json.dumps(card), json.dumps(card, ensure_ascii=False)


def text_of(language: Language, *numbers: int) -> list[str]:
    return [states.question_text_of(language, number) for number in numbers]


def q(*numbers: int) -> list[str]:
    return [f"q-{number:02d}" for number in numbers]


COUNTS_14 = {"en": "14 asked · 5 answered · 2 merged · 1 dismissed",
             "de": "14 gestellt · 5 beantwortet · 2 zusammengeführt · 1 abgelehnt"}


# ---------------------------------------------------------------------------- the shared board


@language
def test_an_empty_board_counts_nothing_and_invites_the_first_question(language: Language):
    case = snap(states.qna_empty(language))
    texts = texts_of(case.card, "TextBlock")
    assert texts[:3] == [t("qna.title", language),
                         t("qna.counts", language, asked=0, answered=0, merged=0, dismissed=0),
                         t("qna.mode.open", language)]
    assert t("qna.no_questions", language) in texts
    assert rows(case.card) == []
    question, = elements_of_type(case.card, "Input.Text")
    assert question["id"] == "rz_question" and question["maxLength"] == MAX_QUESTION_CHARS
    assert verbs(case.card) == ["qna.ask", "qna.ask", "qna.moderate"]
    assert [action["data"]["named"] for action in elements_of_type(case.card, "Action.Execute")
            if action["verb"] == "qna.ask"] == [False, True]
    assert texts[-1] == t("qna.privacy", language)


@language
def test_open_questions_are_listed_by_votes_and_equal_votes_by_age(language: Language):
    case = snap(states.qna_five_open(language))
    shown = rows(case.card)
    assert [row.question for row in shown] == q(3, 1, 5, 2, 4)  # q-01 and q-05: 4 each
    assert [row.votes for row in shown] == ["▲ 7", "▲ 4", "▲ 4", "▲ 1", "▲ 0"]
    assert [row.text for row in shown] == text_of(language, 3, 1, 5, 2, 4)
    assert {row.button for row in shown} == {t("qna.upvote", language)}
    assert texts_of(case.card, "TextBlock")[1] == t("qna.counts", language, asked=5, answered=0,
                                                   merged=0, dismissed=0)
    assert card_actions(case.card) == [("qna.moderate", t("qna.moderate", language),
                                        {"board": BOARD_ID})]


@language
def test_a_question_asked_with_a_name_shows_the_name_and_anonymous_ones_show_none(language):
    case = states.qna_five_open(language)
    authors = {row.question: row.author for row in rows(case.card)}
    assert authors == {"q-03": None, "q-01": None, "q-05": f" — {states.JONAS}",
                       "q-02": f" — {states.ANNA}", "q-04": None}
    author_runs = [run for run in elements_of_type(case.card, "TextRun")
                   if run["text"].startswith(" — ")]
    assert all(run.get("isSubtle") is True for run in author_runs) and len(author_runs) == 2


@language
def test_the_question_being_answered_is_highlighted_at_the_top_of_the_board(language: Language):
    case = snap(states.qna_answering(language))
    highlighted, = containers(case.card, "accent")
    assert case.card["body"].index(highlighted) == 3  # right after title, counts and mode
    assert highlighted["items"][0]["text"] == t("qna.now_answering", language)
    now, = rows(highlighted)
    assert now == Row("q-02", "▲ 8", text_of(language, 2)[0], f" — {states.ANNA}",
                      t("qna.upvote", language))
    assert ids(case.card) == q(2, 3, 5, 4)  # not listed again among the open questions
    answered_section, = [c for c in elements_of_type(case.card, "Container")
                         if c["items"][0].get("text") == t("qna.answered_section", language,
                                                           count=1)]
    assert texts_of(answered_section, "TextRun") == ["✓ ", *text_of(language, 1)]


@language
def test_the_counts_line_tells_how_many_were_asked_answered_merged_and_dismissed(language):
    case = snap(states.qna_counts_open(language))
    assert texts_of(case.card, "TextBlock")[1] == COUNTS_14[language]
    assert ids(case.card) == q(5, 9, 11, 12, 13, 14)  # q-07 and q-08 merged, q-10 dismissed
    answered_section, = [c for c in elements_of_type(case.card, "Container")
                         if c["items"][0].get("text") == t("qna.answered_section", language,
                                                           count=5)]
    runs = texts_of(answered_section, "TextRun")
    assert runs[1::2] == text_of(language, 6, 4, 3)  # the 3 answered last, newest first


@language
def test_a_reviewed_board_adds_how_many_questions_wait_for_review(language: Language):
    case = snap(states.qna_counts_reviewed(language))
    waiting = {"en": " · 3 waiting for review", "de": " · 3 warten auf Freigabe"}[language]
    assert texts_of(case.card, "TextBlock")[1] == COUNTS_14[language] + waiting
    assert texts_of(case.card, "TextBlock")[2] == t("qna.mode.reviewed", language)
    assert ids(case.card) == q(5, 9, 11)


@language
def test_the_shared_card_shows_the_top_8_open_questions_and_how_many_more(language):
    case = snap(states.qna_many_open_shared(language))
    assert len(rows(case.card)) == SHARED_TOP == 8
    assert ids(case.card) == q(*range(3, 11))
    assert t("qna.more", language, count=14) in texts_of(case.card, "TextBlock")
    assert {"en": "… and 14 more open questions",
            "de": "… und 14 weitere offene Fragen"}[language] in texts_of(case.card, "TextBlock")
    assert card_actions(case.card) == [
        ("qna.all", t("qna.show_all", language), {"board": BOARD_ID, "page": 0}),
        ("qna.moderate", t("qna.moderate", language), {"board": BOARD_ID})]


# ---------------------------------------------------------------------------- personal views


@language
def test_the_first_page_of_all_questions_lists_15_and_offers_more(language: Language):
    case = snap(states.qna_show_all_page_0(language))
    assert len(rows(case.card)) == PAGE_SIZE == 15
    assert ids(case.card) == q(*range(3, 18))
    assert t("qna.more", language, count=7) in texts_of(case.card, "TextBlock")
    assert card_actions(case.card) == [
        ("qna.all", t("qna.next_page", language), {"board": BOARD_ID, "page": 1}),
        ("qna.view", t("qna.back", language), {"board": BOARD_ID}),
        ("qna.moderate", t("qna.moderate", language), {"board": BOARD_ID})]


@language
def test_the_second_page_lists_the_rest_and_leads_back_to_the_board(language: Language):
    case = snap(states.qna_show_all_page_1(language))
    assert ids(case.card) == q(*range(18, 25))
    assert not [text for text in texts_of(case.card, "TextBlock") if text.startswith("…")]
    assert card_actions(case.card) == [
        ("qna.view", t("qna.back", language), {"board": BOARD_ID}),
        ("qna.moderate", t("qna.moderate", language), {"board": BOARD_ID})]


def test_the_pages_together_show_every_open_question_exactly_once():
    first, second = states.qna_show_all_page_0("en"), states.qna_show_all_page_1("en")
    assert ids(first.card) + ids(second.card) == q(*range(3, 25))


@language
def test_the_pages_mark_the_readers_upvotes_on_each_page(language: Language):
    upvoted = t("qna.upvoted", language)
    for case in (states.qna_show_all_page_0(language), states.qna_show_all_page_1(language)):
        assert {row.question for row in rows(case.card) if row.button == upvoted} \
            == {"q-04", "q-20"} & set(ids(case.card))


@language
def test_a_participants_own_view_marks_the_questions_they_upvoted(language: Language):
    case = snap(states.qna_participant_upvoted(language))
    buttons = {row.question: row.button for row in rows(case.card)}
    upvoted, upvote = t("qna.upvoted", language), t("qna.upvote", language)
    assert buttons == {"q-03": upvoted, "q-01": upvote, "q-05": upvoted, "q-02": upvote,
                       "q-04": upvote}
    assert {"en": ("✓ Upvoted", "▲ Upvote"), "de": ("✓ Unterstützt", "▲ Unterstützen")}[
        language] == (upvoted, upvote)
    shared = states.qna_five_open(language)  # nobody's upvotes on the shared card
    assert {row.button for row in rows(shared.card)} == {upvote}


@language
def test_a_notice_line_confirms_what_the_reader_just_did(language: Language):
    case = snap(states.qna_notice(language))
    notice = case.card["body"][3]
    assert notice["type"] == "TextBlock" and notice["text"] == t("qna.asked", language)
    assert notice["color"] == "Good" and notice["weight"] == "Bolder"
    without = states.qna_participant_upvoted(language)
    assert t("qna.asked", language) not in texts_of(without.card, "TextBlock")


# ---------------------------------------------------------------------------- moderators


@language
def test_the_moderator_sees_questions_waiting_for_review_with_approve_and_dismiss(language):
    case = snap(states.qna_moderator(language))
    section, = containers(case.card, "warning")
    items = section["items"]
    assert items[0]["text"] == t("qna.pending_section", language, count=2)
    assert [item["inlines"][0]["text"] for item in items[1::2]] == text_of(language, 7, 8)
    # A question asked with a name shows the name before the moderator approves it.
    named = [run["text"] for item in items[1::2] for run in item["inlines"][1:]]
    assert named == [" — Noah Weber"]
    for number, buttons in zip((7, 8), items[2::2], strict=True):
        assert [(a["verb"], a["title"], a["data"]) for a in buttons["actions"]] == [
            ("qna.approve", t("qna.approve", language), {"board": BOARD_ID,
                                                          "question": f"q-{number:02d}"}),
            ("qna.dismiss", t("qna.dismiss", language), {"board": BOARD_ID,
                                                          "question": f"q-{number:02d}"})]


@language
def test_the_moderator_can_answer_mark_answered_or_dismiss_every_question_on_the_board(language):
    case = states.qna_moderator(language)
    question_rows = elements_of_type(case.card, "ColumnSet")
    assert ids(case.card) == q(2, 4, 3, 5)
    for question_id, column_set in zip(ids(case.card), question_rows, strict=True):
        parent = next(items for _, _, key, items in walk(case.card)
                      if key == "items" and column_set in items)
        buttons = parent[parent.index(column_set) + 1]
        assert buttons["type"] == "ActionSet"
        # The question being answered can go back to the queue instead of "answer now".
        first = (("qna.requeue", "qna.requeue") if question_id == "q-02"
                 else ("qna.answering", "qna.mark_answering"))
        assert [(a["verb"], a["title"], a["data"]) for a in buttons["actions"]] == [
            (verb, t(key, language), {"board": BOARD_ID, "question": question_id})
            for verb, key in (first, ("qna.answered", "qna.mark_answered"),
                              ("qna.dismiss", "qna.dismiss"))]


@language
def test_the_moderator_can_switch_the_mode_and_merge_but_is_not_offered_moderate(language):
    case = states.qna_moderator(language)
    assert "qna.moderate" not in verbs(case.card)
    switch, merge_action = case.card["actions"]
    assert (switch["verb"], switch["title"], switch["data"]) == (
        "qna.mode", t("qna.switch_to.open", language), {"board": BOARD_ID, "mode": "open"})
    assert merge_action["type"] == "Action.ShowCard"
    assert merge_action["title"] == t("qna.merge_title", language)
    form = merge_action["card"]
    choice_sets = elements_of_type(form, "Input.ChoiceSet")
    assert [c["id"] for c in choice_sets] == ["rz_merge_from", "rz_merge_into"]
    assert [c["label"] for c in choice_sets] == [t("qna.merge_from", language),
                                                 t("qna.merge_into", language)]
    live = q(2, 4, 3, 5, 7, 8)  # being answered, open by votes, pending by age
    for choice_set in choice_sets:
        assert choice_set["style"] == "compact" and choice_set["isMultiSelect"] is False
        assert [c["value"] for c in choice_set["choices"]] == live
        assert [c["title"] for c in choice_set["choices"]] == [  # cut to 80 characters
            text if len(text) <= 80 else text[:79] + "…"
            for text in text_of(language, 2, 4, 3, 5, 7, 8)]
        assert all(len(c["title"]) <= 80 for c in choice_set["choices"])
    merge_button, = form["actions"]
    assert (merge_button["verb"], merge_button["data"]) == ("qna.merge", {"board": BOARD_ID})


@language
def test_on_an_open_board_the_moderator_is_offered_to_review_questions_first(language):
    card = render_board(states.five_open_board(language).view, language=language,
                        viewer=Viewer(moderator=True))
    switch = card["actions"][0]
    assert (switch["verb"], switch["title"], switch["data"]) == (
        "qna.mode", t("qna.switch_to.reviewed", language), {"board": BOARD_ID, "mode": "reviewed"})
    assert containers(card, "warning") == []


@language
def test_participants_never_see_the_questions_waiting_for_review(language: Language):
    board = states.reviewed_board(language)
    waiting = board.texts(QuestionStatus.PENDING)
    assert waiting == tuple(text_of(language, 7, 8))
    participant = snap(states.qna_reviewed_participant(language))
    shared = snap(states.qna_reviewed_shared(language))
    for case in (participant, shared):
        assert not [text for text in waiting for dump in encoded(case.card) if text in dump]
        assert states.NOAH not in encoded(case.card)[1]  # who asked one of them, by name
        assert containers(case.card, "warning") == []
        assert not {"qna.approve", "qna.answering", "qna.answered", "qna.dismiss",
                    "qna.merge", "qna.mode"} & set(verbs(case.card))
        assert ids(case.card) == q(2, 4, 3, 5)
        assert texts_of(case.card, "TextBlock")[1].endswith(
            t("qna.counts_pending", language, pending=2))
    assert {row.question: row.button for row in rows(participant.card)}["q-04"] \
        == t("qna.upvoted", language)


# ---------------------------------------------------------------------------- small cards


@language
def test_the_duplicate_offer_lets_the_asker_upvote_the_similar_question_or_post_anyway(language):
    case = snap(states.qna_duplicate_offer(language))
    texts = texts_of(case.card, "TextBlock")
    assert texts == [t("qna.similar_title", language), t("qna.similar_votes", language, count=6),
                     t("qna.similar_hint", language)]
    assert texts_of(case.card, "TextRun") == text_of(language, 5)
    upvote, post = case.card["actions"]
    assert (upvote["verb"], upvote["title"], upvote["style"]) == (
        "qna.upvote", t("qna.upvote_instead", language), "positive")
    assert upvote["data"] == {"board": BOARD_ID, "question": "q-05", "add": True}
    assert (post["verb"], post["title"]) == ("qna.ask", t("qna.post_anyway", language))
    assert post["data"] == {"board": BOARD_ID, "named": True, "force": True,
                            "text": states.SIMILAR_TO_5[language == "de"],
                            "asker": states.ASKER_TAG}


def test_an_anonymous_asker_posting_anyway_stays_anonymous():
    existing = states.duplicate_existing("en")
    card = render_duplicate_offer(BOARD_ID, existing, text_asked="Remote days?", named=False,
                                  asker=states.ASKER_TAG, language="en")
    assert card["actions"][1]["data"]["named"] is False


@language
def test_an_old_board_card_says_the_board_has_moved(language: Language):
    case = snap(states.qna_board_moved(language))
    assert texts_of(case.card, "TextBlock") == [t("qna.moved", language)]
    assert "actions" not in case.card and verbs(case.card) == []


# ---------------------------------------------------------------------------- hostile text


MALICIOUS_CASES = [pytest.param(build, language, id=f"{build.__name__}-{language}")
                   for build in (states.qna_malicious_shared, states.qna_malicious_moderator,
                                 states.qna_malicious_duplicate_offer)
                   for language in states.LANGUAGES]


@pytest.mark.parametrize(("build", "language"), MALICIOUS_CASES)
def test_a_malicious_question_or_author_name_appears_only_as_plain_text_run_text(build,
                                                                                language):
    case = build(language)
    places = set()
    for ancestors, parent, key, value in walk(case.card):
        if isinstance(value, str) and "evil.example" in value:
            if key == "title" and ancestors[-1].get("type") == "Input.ChoiceSet":
                places.add("merge choice title")  # plain text in a choice list
            elif key == "text" and ancestors[-1].get("type") == "Action.Execute":
                places.add("action data")  # never displayed
            else:
                places.add(f"{parent.get('type')}.{key}")
    expected = {"TextRun.text"} | {
        "qna_malicious_moderator": {"merge choice title"},
        "qna_malicious_duplicate_offer": {"action data"}}.get(case.state, set())
    assert places == expected
    hostile = [run for run in elements_of_type(case.card, "TextRun") if MALICIOUS in run["text"]]
    assert hostile and all(set(run) <= {"type", "text", "isSubtle", "color"} for run in hostile)


@pytest.mark.parametrize("language", states.LANGUAGES)
def test_a_malicious_author_name_is_shown_after_the_question_as_a_plain_run(language: Language):
    case = states.qna_malicious_shared(language)
    authors = {row.question: row.author for row in rows(case.card)}
    assert authors["q-02"] == authors["q-04"] == f" — {MALICIOUS}"
    assert authors["q-05"] == " — # Heading"


# ---------------------------------------------------------------------------- size


def largest_questions(language: Language) -> states.QnaBoard:
    board = states.largest_board(language)
    assert all(len(question.text) == MAX_QUESTION_CHARS for question in board.questions)
    assert all(len(question.author or "") > 70 for question in board.questions)
    assert len(board.view.open) == 40 and len(board.view.pending) == 40
    return board


@language
def test_the_moderator_view_of_40_open_500_character_questions_stays_under_28_kb(language):
    """The same questions, all of them open (none pending, answered or being answered)."""
    largest = largest_questions(language)
    view = rank_board(largest.board, largest.questions[4:44], largest.votes)
    assert len(view.open) == 40 and not (view.pending or view.answering or view.answered)
    card = render_board(view, language=language, viewer=Viewer(moderator=True))
    assert wire_bytes(card) < TEAMS_MESSAGE_LIMIT


@language
def test_the_shared_card_and_the_pages_of_the_largest_board_stay_under_28_kb(language):
    view = largest_questions(language).view
    for viewer in (None, Viewer(page=0), Viewer(page=1), Viewer(page=2)):
        assert wire_bytes(render_board(view, language=language, viewer=viewer)) \
            < TEAMS_MESSAGE_LIMIT


@language
def test_the_moderator_view_of_40_open_and_40_pending_long_questions_stays_under_28_kb(language):
    case = states.qna_largest_moderator_board(language)
    largest_questions(language)
    assert wire_bytes(case.card) < TEAMS_MESSAGE_LIMIT
    # Fewer questions fit, and the card says how many more are waiting.
    assert any("…" in text for text in texts_of(case.card, "TextBlock"))


# ---------------------------------------------------------------------------- wording


def _more(language: Language) -> str:
    board = states.many_open_board(language)
    view = rank_board(board.board, board.questions[:SHARED_TOP + 3], board.votes)  # 9 open
    return next(text for text in texts_of(render_board(view, language=language), "TextBlock")
                if text.startswith("…"))


def _similar(language: Language) -> str:
    existing = RankedQuestion(states.duplicate_existing(language).question, 1)
    card = render_duplicate_offer(BOARD_ID, existing, text_asked="?", named=False,
                                  asker=states.ASKER_TAG, language=language)
    return texts_of(card, "TextBlock")[1]


def _waiting(language: Language) -> str:
    board = states.fourteen_asked_board(language, BoardMode.REVIEWED)
    view = rank_board(board.board, board.questions[:12], board.votes)  # only q-12 pending
    return texts_of(render_board(view, language=language), "TextBlock")[1].rsplit(" · ", 1)[1]


@pytest.mark.parametrize(("render", "language", "expected"), [
    pytest.param(_more, "en", "… and 1 more open question", id="one-more-en"),
    pytest.param(_more, "de", "… und 1 weitere offene Frage", id="one-more-de"),
    pytest.param(_similar, "en", "1 upvote so far", id="one-upvote-en"),
    pytest.param(_similar, "de", "bisher 1-mal unterstützt", id="one-upvote-de"),
    pytest.param(_waiting, "en", "1 waiting for review", id="one-waiting-en"),
    pytest.param(_waiting, "de", "1 wartet auf Freigabe", id="one-waiting-de"),
])
def test_a_count_of_one_is_written_in_the_singular(render, language: Language, expected: str):
    assert render(language) == expected


# ---------------------------------------------------------------------------- bookkeeping


def test_every_q_and_a_state_to_snapshot_has_a_reviewed_snapshot_in_both_languages():
    expected = {f"{build(language).id}.json" for build in QNA_BUILDERS
                for language in states.LANGUAGES if build(language).snapshot}
    stored = {path.name for path in SNAPSHOT_DIR.glob("qna_*.json")}
    assert stored == expected
