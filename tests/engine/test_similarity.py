"""Near-duplicate questions in the Q&A queue, German and English (facilitation.similarity)."""

from __future__ import annotations

import csv
import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation.similarity import (
    DUPLICATE_THRESHOLD,
    find_duplicate,
    question_terms,
    similarity,
)

PAIRS = Path(__file__).parent / "data" / "question_pairs.tsv"
PROPERTY = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Floors for the labelled set at DUPLICATE_THRESHOLD. Measured when the threshold was chosen
# (python -m bench.duplicates): test split P=1.000 R=0.741, all pairs P=0.948 R=0.793; after
# the typo, number and compound rules of issue 12: test P=1.000 R=0.889, all P=0.965 R=0.891;
# after round 2 (verb stems, phrases, months, more synonyms): test P=1.000 R=0.889, all
# P=0.966 R=0.924; after round 3 (synonym groups, modal and voice slots): test P=1.000
# R=0.963, all P=0.989 R=0.967. Each floor allows a few pairs to regress before failing.
TEST_PRECISION_FLOOR = 0.90
TEST_RECALL_FLOOR = 0.80
ALL_PRECISION_FLOOR = 0.90
ALL_RECALL_FLOOR = 0.88


# --- normalisation ---------------------------------------------------------------------------

def test_word_order_does_not_matter() -> None:
    assert similarity("When will the new office in Munich open?",
                      "In Munich, the new office will open when?") == 1.0


def test_english_inflections_share_a_stem() -> None:
    assert question_terms("Are salaries rising?") == question_terms("Is the salary rising?")


def test_german_inflections_share_a_stem() -> None:
    assert question_terms("Werden die Gehälter erhöht?") == question_terms(
        "Wird das Gehalt erhöht?")


def test_case_and_punctuation_are_ignored() -> None:
    assert similarity("WHAT'S THE PLAN FOR THE PARKING GARAGE???",
                      "whats the plan for the parking garage") == 1.0


def test_stop_words_and_politeness_are_not_terms() -> None:
    assert question_terms("Could you please tell us what the roadmap is?") == question_terms(
        "the roadmap")
    assert question_terms("Könnt ihr uns bitte sagen, wann ihr die Roadmap zeigt?") == (
        question_terms("die Roadmap zeigen"))


def test_umlauts_may_be_typed_as_ae_oe_ue_or_left_out() -> None:
    assert question_terms("Werden Überstunden ausgezahlt?") == question_terms(
        "Werden Ueberstunden ausgezahlt?")
    assert question_terms("Werden Überstunden ausgezahlt?") == question_terms(
        "werden uberstunden ausgezahlt")
    assert question_terms("Werden die Gehälter erhöht?") == question_terms(
        "Werden die Gehaelter erhoeht?")


def test_sharp_s_and_ss_are_the_same_letter() -> None:
    assert question_terms("Wo ist die Straßenbahn?") == question_terms("Wo ist die Strassenbahn?")


def test_a_one_word_question_is_read_in_the_language_of_the_other() -> None:
    assert similarity("Ueberstunden?", "Überstunden") == 1.0
    assert similarity("Budget?", "Wie hoch ist das Budget?") == 1.0
    assert similarity("Wie hoch ist das Budget?", "Budget?") == 1.0


def test_du_and_sie_forms_ask_the_same_question() -> None:
    assert similarity("Kannst du die neue Reiserichtlinie erklären?",
                      "Können Sie bitte die neue Reiserichtlinie erklären?") == 1.0


def test_an_added_please_does_not_change_the_question() -> None:
    assert similarity("Can you share the slides?", "Could you please share the slides?") == 1.0


def test_a_typo_still_finds_its_duplicate() -> None:
    assert similarity("When will the new laptops arrive?",
                      "When are the new laptpos arriving?") >= DUPLICATE_THRESHOLD


def test_a_german_compound_matches_its_parts() -> None:
    assert similarity("Wird das Weiterbildungsbudget gekürzt?",
                      "Wird beim Budget für Weiterbildung gekürzt?") >= DUPLICATE_THRESHOLD


def test_a_separable_verb_matches_its_infinitive() -> None:
    assert similarity("Wann findet das Sommerfest statt?",
                      "Wann wird das Sommerfest stattfinden?") >= DUPLICATE_THRESHOLD


@pytest.mark.parametrize(("a", "b"), [
    ("Why is the wifi down again?", "Why is the wifi dwon again?"),
    ("Will the shuttle bus run in winter?", "Will the shuttle bsu run in winter?"),
    ("How long is sick leave paid?", "How long is sick leave piad?"),
    ("Ist das WLAN wieder kaputt?", "Ist das WLAN wieder kaptut?"),
    ("Wie lange wird Krankengeld gezahlt?", "Wie lnage wird Krankengeld gezahlt?"),
])
def test_one_typo_in_a_short_word_still_finds_its_duplicate(a: str, b: str) -> None:
    assert similarity(a, b) >= DUPLICATE_THRESHOLD


@pytest.mark.parametrize(("a", "b"), [
    ("What is the plan for the elevator repair?", "Waht is the plan for the elevator repair?"),
    ("Who approves the hackathon expenses?", "Who approves teh hackathon expenses?"),
    ("Fährt der Shuttlebus auch im Winter?", "Fährt der Shuttlebus acuh im Winter?"),
    ("Wann kommt der neue Drucker?", "Wann kommt dre neue Drucker?"),
])
def test_a_mistyped_stop_word_is_no_content_term(a: str, b: str) -> None:
    assert similarity(a, b) == 1.0


def test_a_short_word_with_a_typo_counts_only_when_the_rest_matches() -> None:
    assert similarity("Is the gmy open on Sunday?", "Is the gym closed on Sunday?") == (
        similarity("Is the spa open on Sunday?", "Is the gym closed on Sunday?"))


def test_same_numbers_in_other_words_are_still_a_duplicate() -> None:
    assert similarity("What is the travel budget for 2027?",
                      "What's the 2027 travel budget?") >= DUPLICATE_THRESHOLD


def test_synonyms_for_the_same_question_meet() -> None:
    assert similarity("Will we switch from Slack to Teams?",
                      "Are we moving from Slack to Teams?") >= DUPLICATE_THRESHOLD
    assert similarity("Warum ist das VPN so langsam?",
                      "Warum ist das VPN so lahm?") >= DUPLICATE_THRESHOLD


@pytest.mark.parametrize(("a", "b"), [
    ("Wer kümmert sich um die Kantine?", "Wer soll sich um die Kantine kümmern?"),
    ("Wird das Budget reduziert?", "Sollen wir das Budget reduzieren?"),
    ("Wann startet die Umfrage?", "Wann starten wir die Umfrage?"),
    ("Wann wurde die Umfrage gestartet?", "Wann startet die Umfrage?"),
])
def test_german_verb_forms_share_a_stem(a: str, b: str) -> None:
    assert question_terms(a) == question_terms(b)


@pytest.mark.parametrize(("a", "b"), [
    ("How do I sign up for the chess club?", "How can I join the chess club?"),
    ("Startet die Umfrage im dritten Quartal?", "Startet die Umfrage in Q3?"),
    ("Will the survey start in the third quarter?", "Will the survey start in Q3?"),
    ("Can we bring guests to the campus?", "Are guests allowed on the campus?"),
])
def test_phrases_ordinal_quarters_and_permission_read_as_one(a: str, b: str) -> None:
    assert similarity(a, b) >= DUPLICATE_THRESHOLD


@pytest.mark.parametrize(("a", "b"), [
    ("Is the audit due in April?", "Is the audit due in June?"),
    ("Will the audit be done by May?", "Will the audit be done by July?"),
    ("Ist das Audit im März fällig?", "Ist das Audit im Mai fällig?"),
    ("Startet die Umfrage im dritten Quartal?", "Startet die Umfrage in Q4?"),
    ("Are drones allowed on the campus?", "Are drones banned on the campus?"),
    ("Sind Drohnen auf dem Gelände erlaubt?", "Sind Drohnen auf dem Gelände verboten?"),
])
def test_other_months_quarters_or_a_ban_ask_something_else(a: str, b: str) -> None:
    assert similarity(a, b) < DUPLICATE_THRESHOLD


def test_may_is_a_month_only_after_a_date_word() -> None:
    assert question_terms("May we bring guests?") == question_terms("we bring guests")
    assert question_terms("Is it due in May?") != question_terms("Is it due?")


@pytest.mark.parametrize(("a", "b"), [
    ("Can I get a new laptop?", "Is it possible to receive a new notebook?"),
    ("Who do I contact in HR about parental leave?",
     "Who is my contact in human resources for parental leave?"),
    ("Is the cafeteria closing?", "Will the canteen shut down?"),
    ("Who is our new manager?", "Who will be our new boss?"),
    ("Bekomme ich ein neues Notebook?", "Kann ich einen neuen Laptop bekommen?"),
    ("Wer ist in der Personalabteilung für Elternzeit zuständig?",
     "Wer in HR kümmert sich um Elternzeit?"),
    ("Wer wird unser neuer Chef?", "Wer wird unsere neue Führungskraft?"),
    ("Gibt es ein Budget für Weiterbildung?", "Gibt es Geld für Fortbildungen?"),
])
def test_workplace_synonyms_and_abbreviations_meet(a: str, b: str) -> None:
    assert similarity(a, b) >= DUPLICATE_THRESHOLD


@pytest.mark.parametrize(("a", "b"), [
    ("Please explain the new travel policy.", "What is the new travel policy?"),
    ("Can you clarify the rules for working remotely?", "What are the rules for remote work?"),
    ("Bitte erklären Sie die neue Bonusregelung.", "Wie funktioniert die neue Bonusregelung?"),
    ("Können Sie die neue Reiserichtlinie erklären?",
     "Kannst du die neue Reiserichtlinie erklären?"),
])
def test_a_request_to_explain_asks_the_question_itself(a: str, b: str) -> None:
    assert similarity(a, b) >= DUPLICATE_THRESHOLD


@pytest.mark.parametrize(("a", "b"), [
    ("Do we have to come to the office on Fridays?", "May we come to the office on Fridays?"),
    ("Can we bring guests to the summer party?", "Must we bring guests to the summer party?"),
    ("Darf ich freitags im Homeoffice arbeiten?", "Muss ich freitags im Homeoffice arbeiten?"),
    ("Are we going to acquire a competitor?", "Are we going to be acquired by a competitor?"),
    ("Kaufen wir einen Wettbewerber?", "Werden wir von einem Wettbewerber gekauft?"),
    ("What time does the party start?", "Where does the party start?"),
])
def test_may_and_must_or_acting_and_being_acted_on_ask_something_else(a: str, b: str) -> None:
    assert similarity(a, b) < DUPLICATE_THRESHOLD


def test_what_time_asks_when() -> None:
    assert similarity("What time does the party start?", "When does the party start?") == 1.0


def test_each_synonym_stem_belongs_to_one_group() -> None:
    from facilitation.similarity import _base_stem
    from facilitation.synonyms import GROUPS
    for language, groups in GROUPS.items():
        owner: dict[str, str] = {}
        for group in groups:
            for word in group.split():
                stem = _base_stem(word, language)
                assert owner.setdefault(stem, group) == group, (language, word)


@pytest.mark.parametrize("word", ["what", "when", "why", "how", "who"])
def test_english_question_words_are_not_terms(word: str) -> None:
    assert question_terms(f"{word} is the budget?") == question_terms("the budget")


@pytest.mark.parametrize("word", ["wie", "was", "wann", "warum", "wieso", "weshalb", "wer"])
def test_german_question_words_are_not_terms(word: str) -> None:
    assert question_terms(f"{word} ist das Budget?") == question_terms("das Budget")


# --- different questions ---------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b"), [
    ("When will the new office open?", "When will the old office close?"),
    ("Do we get a bonus this year?", "Do we get a bonus next year?"),
    ("Gibt es dieses Jahr einen Bonus?", "Gibt es nächstes Jahr einen Bonus?"),
    ("Why are we not hiring juniors?", "Why are we hiring juniors?"),
    ("Warum stellen wir keine Junioren ein?", "Warum stellen wir Junioren ein?"),
    ("Is the Munich office closing?", "Is the Berlin office closing?"),
    ("Wird das Büro in München geschlossen?", "Wird das Büro in Berlin geschlossen?"),
    ("When will we get the new coffee machine?", "Who decided on the new coffee machine?"),
    ("Will there be layoffs?", "When is the summer party?"),
    # different numbers or years
    ("Will the shuttle bus run in 2027?", "Will the shuttle bus run in 2028?"),
    ("Fährt der Shuttlebus 2027?", "Fährt der Shuttlebus 2028?"),
    ("Is the release planned for week 12?", "Is the release planned for week 14?"),
    ("Wächst der Umsatz im Q1?", "Wächst der Umsatz im Q2?"),
    # one letter replaced in a short word, or by a key far from it: another word
    ("Is the new CEO starting in spring?", "Is the new CFO starting in spring?"),
    ("Who was hired last week?", "Who was fired last week?"),
    # words that share a beginning or an end, not a part
    ("Will salaries increase this year?", "Will salaries decrease this year?"),
    ("Ist die Kundenhotline nachts erreichbar?", "Ist die Kundenzentrale nachts erreichbar?"),
    ("How are the server costs developing?", "How are the service costs developing?"),
    # someone else than the company
    ("What did the customer say about the delay?", "What did the company say about the delay?"),
])
def test_questions_that_share_words_but_ask_different_things_are_not_duplicates(
        a: str, b: str) -> None:
    assert similarity(a, b) < DUPLICATE_THRESHOLD


@pytest.mark.parametrize(("a", "b"), [
    ("Will the budget for training be cut?", "Is the training budget being cut?"),
    ("After the merger, what happens to the team in Berlin?",
     "What happens to the Berlin team after the merger?"),
    ("Werden Überstunden ausgezahlt?", "Werden Ueberstunden ausbezahlt?"),
    ("Status of the ERP migration?", "What is the status of the ERP migration?"),
    ("Wie messen wir den Erfolg der neuen Strategie?",
     "Wie wird der Erfolg der neuen Strategie gemessen?"),
])
def test_the_same_question_asked_differently_is_a_duplicate(a: str, b: str) -> None:
    assert similarity(a, b) >= DUPLICATE_THRESHOLD


# --- contentless texts and the range of the score --------------------------------------------

@pytest.mark.parametrize("empty", ["", "   ", "?", "???", "Why?", "Warum?", "What? How? When?",
                                   "Bitte, wie und wann?", "...!!!", "🙂"])
def test_a_text_without_content_terms_is_never_a_duplicate(empty: str) -> None:
    assert question_terms(empty) == frozenset()
    assert similarity(empty, empty) == 0.0
    assert similarity(empty, "Why is the VPN so slow?") == 0.0
    assert similarity("Why is the VPN so slow?", empty) == 0.0
    assert find_duplicate(empty, [("q1", empty), ("q2", "Why?")], threshold=0.0) is None


def test_a_contentless_candidate_is_never_chosen() -> None:
    assert find_duplicate("Why is the VPN so slow?", [("q1", "Why?"), ("q2", "???")],
                          threshold=0.0) is None


def test_similarity_is_symmetric_on_examples() -> None:
    a, b = "Gibt es dieses Jahr eine Gehaltserhöhung?", "Werden die Gehälter dieses Jahr erhöht?"
    assert similarity(a, b) == similarity(b, a)


WORDS = ["the", "new", "old", "office", "bonus", "this", "next", "year", "why", "when", "not",
         "salaries", "salary", "remote", "work", "please", "das", "neue", "Büro", "Gehälter",
         "Gehaelter", "nicht", "kein", "dieses", "nächstes", "Jahr", "Weiterbildungsbudget",
         "Budget", "warum", "wann", "bitte", "Straße", "ChatGPT", "Q3", "2025", "?", "!", ",",
         "teh", "dsa", "fnid", "find", "company", "customer", "Kunden", "Kundenportal"]
QUESTIONS = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join),
    st.text(max_size=60),
)


@PROPERTY
@given(QUESTIONS)
def test_every_question_with_content_terms_is_identical_to_itself(text: str) -> None:
    if question_terms(text):
        assert similarity(text, text) == 1.0
    else:
        assert similarity(text, text) == 0.0


@PROPERTY
@given(QUESTIONS, QUESTIONS)
def test_similarity_is_symmetric_and_between_zero_and_one(a: str, b: str) -> None:
    score = similarity(a, b)
    assert 0.0 <= score <= 1.0
    assert score == similarity(b, a)


@PROPERTY
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=10), st.randoms())
def test_shuffling_the_words_never_changes_the_terms(words: list[str], rng: random.Random,
                                                   ) -> None:
    shuffled = list(words)
    rng.shuffle(shuffled)
    assert question_terms(" ".join(words)) == question_terms(" ".join(shuffled))


# --- find_duplicate --------------------------------------------------------------------------

OPEN_QUESTIONS = [
    ("q1", "When will the old office close?"),
    ("q2", "When does the new Munich office open?"),
    ("q3", "Is the canteen open during the holidays?"),
    ("q4", "Wann öffnet das neue Büro in München?"),
]


def test_find_duplicate_picks_the_most_similar_candidate() -> None:
    found = find_duplicate("When will the new office in Munich open?", OPEN_QUESTIONS)
    assert found is not None
    assert found[0] == "q2"
    assert found[1] == pytest.approx(
        similarity("When will the new office in Munich open?", OPEN_QUESTIONS[1][1]))


def test_find_duplicate_returns_none_below_the_threshold() -> None:
    assert find_duplicate("Will salaries increase next year?", OPEN_QUESTIONS) is None
    text = "When will the new office in Munich open?"
    assert find_duplicate(text, OPEN_QUESTIONS, threshold=1.01) is None


def test_find_duplicate_accepts_a_score_exactly_at_the_threshold() -> None:
    text = "When will the new office in Munich open?"
    score = similarity(text, OPEN_QUESTIONS[1][1])
    assert find_duplicate(text, OPEN_QUESTIONS, threshold=score) == ("q2", score)


def test_find_duplicate_returns_none_without_candidates() -> None:
    assert find_duplicate("Why is the VPN so slow?", []) is None


def test_find_duplicate_breaks_ties_by_taking_the_first() -> None:
    candidates = [("a", "Why is the VPN slow?"), ("b", "why is the vpn so slow"),
                  ("c", "Why is the VPN so slow?")]
    assert find_duplicate("VPN slow?", candidates) == ("a", 1.0)


def test_find_duplicate_reads_candidates_from_any_iterable() -> None:
    found = find_duplicate("Wann öffnet das neue Büro in München?",
                           (pair for pair in OPEN_QUESTIONS))
    assert found == ("q4", 1.0)


def test_find_duplicate_searches_2000_candidates_well_under_50_ms() -> None:
    topics = [f"{name} {n}" for name in ("Projekt", "project", "Standort", "site", "team")
              for n in range(100)]
    forms = ["When is the launch of {}?", "Wann startet {}?", "Who leads {}?",
             "Wie groß wird {}?"]
    candidates = [(f"q{i}", form.format(topic)) for i, (topic, form)
                  in enumerate((t, f) for t in topics for f in forms)]
    assert len(candidates) == 2000
    text = "Who will lead project 42?"
    assert find_duplicate(text, candidates) is not None
    times = []
    for _ in range(5):
        start = time.perf_counter()
        find_duplicate(text, candidates)
        times.append(time.perf_counter() - start)
    assert min(times) < 0.050


# --- the labelled set ------------------------------------------------------------------------

def load_pairs() -> list[dict[str, str]]:
    with PAIRS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def precision_recall(rows: list[dict[str, str]]) -> tuple[float, float]:
    tp = fp = fn = 0
    for row in rows:
        said = similarity(row["a"], row["b"]) >= DUPLICATE_THRESHOLD
        label = row["label"] == "1"
        tp += said and label
        fp += said and not label
        fn += label and not said
    return tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0


def test_the_labelled_set_is_large_balanced_and_split() -> None:
    rows = load_pairs()
    with PAIRS.open(encoding="utf-8") as handle:
        assert handle.readline().rstrip("\n").split("\t")[:4] == ["label", "language", "a", "b"]
    assert len(rows) >= 150
    assert {row["label"] for row in rows} == {"0", "1"}
    assert {row["split"] for row in rows} == {"tune", "test"}
    german = sum(row["language"] == "de" for row in rows) / len(rows)
    duplicates = sum(row["label"] == "1" for row in rows) / len(rows)
    tested = sum(row["split"] == "test" for row in rows) / len(rows)
    assert 0.4 <= german <= 0.6
    assert 0.35 <= duplicates <= 0.45
    assert 0.25 <= tested <= 0.35
    assert len({(row["a"], row["b"]) for row in rows}) == len(rows)


def test_precision_and_recall_on_the_labelled_questions_stay_above_their_floors(
        capsys: pytest.CaptureFixture[str]) -> None:
    rows = load_pairs()
    test_p, test_r = precision_recall([row for row in rows if row["split"] == "test"])
    all_p, all_r = precision_recall(rows)
    with capsys.disabled():
        print(f"\nduplicates at {DUPLICATE_THRESHOLD}: test split P={test_p:.3f} R={test_r:.3f};"
              f" all {len(rows)} pairs P={all_p:.3f} R={all_r:.3f}")
    assert test_p >= TEST_PRECISION_FLOOR
    assert test_r >= TEST_RECALL_FLOOR
    assert all_p >= ALL_PRECISION_FLOOR
    assert all_r >= ALL_RECALL_FLOOR
