"""Mood and themes of German and English meeting texts (facilitation.text_analysis)."""

from __future__ import annotations

import csv
import random
from collections import Counter
from pathlib import Path

import pytest
from textblob import TextBlob  # type: ignore[import-untyped]

from facilitation import text_analysis
from facilitation.text_analysis import (
    Mood,
    english_score,
    german_score,
    language_of_text,
    mood,
    mood_counts,
    themes,
)
from facilitation.words import snowball_stem

SAMPLE = Path(__file__).parent / "data" / "sentiment_sample.tsv"
TUNE_MORE = Path(__file__).parent / "data" / "sentiment_tune_more.tsv"
FRESH = Path(__file__).parent / "data" / "sentiment_fresh.tsv"
LABELS = (Mood.POSITIVE, Mood.NEUTRAL, Mood.NEGATIVE)

# Accuracy on the test split when the lexicons and thresholds were frozen (python -m
# bench.sentiment): German 1.000 (45/45), English 0.889 (40/45). The same person wrote the sample
# and the lexicons, so these are optimistic; texts written after freezing (EARLIER in the bench)
# scored 0.750 (German) and 0.778 (English), 0.806 and 0.889 with the phrase rules of issue 12.
# On FRESH (data/sentiment_fresh.tsv, written before those rules, never tuned on) accuracy went
# from 0.712 to 0.833 and negative recall from 0.364 to 0.727 in each language (targets 0.85
# and 0.75 not met). Round 3 put a learnt word model on top of the rules (trained on every
# tuning set but the sample's test split): leave-one-set-out on round 2 (the set no rule had
# been tuned on) went from 0.712 / 0.455 (accuracy / negative recall) to 0.773 / 0.818 in
# German and from 0.758 / 0.545 to 0.803 / 0.727 in English; on round 3's FRESH set from
# 0.627 / 0.280 to 0.787 / 0.640 (German) and 0.693 / 0.240 to 0.760 / 0.560 (English), targets
# still not met. Round 4 made round 3 tuning data, added two writers' tuning sets (4a, 4b) and
# trained 300 steps instead of 150: leave-one-set-out on round 3 (nothing chosen on it before)
# went from 0.787 / 0.640 to 0.813 / 0.560 (German) and 0.760 / 0.560 to 0.840 / 0.600
# (English); on round 2 from 0.773 / 0.818 to 0.818 / 0.818 and 0.803 / 0.727 to 0.879 / 0.818.
# Round 5 made round 4's fresh set tuning data, added two writers' sets (5a, 5b: 480 English and
# 90 German texts), an opening-word feature and NEGATIVE_LEAN: on round 5's FRESH set from
# 0.833 / 0.700 to 0.825 / 0.700 (German) and from 0.825 / 0.675 to 0.842 / 0.775 (English).
# Each floor lets two or three texts regress.
TEST_ACCURACY_FLOOR = {"de": 0.93, "en": 0.84}
# Every class must be found reasonably often, not only the easy ones.
TEST_RECALL_FLOOR = 0.66


# --- language --------------------------------------------------------------------------------

def test_german_stop_words_make_a_text_german() -> None:
    assert language_of_text("Wann gibt es endlich Klarheit zur Umstrukturierung?") == "de"
    assert language_of_text("Ich arbeite meistens von zu Hause.") == "de"


def test_english_stop_words_make_a_text_english() -> None:
    assert language_of_text("When will we finally get clarity on the restructuring?") == "en"
    assert language_of_text("Will the slides be shared afterwards?") == "en"


def test_umlauts_decide_a_tie_for_german() -> None:
    assert language_of_text("Überstunden") == "de"
    assert language_of_text("Super Workshop, hat Spaß gemacht") == "de"


def test_mood_words_decide_a_text_without_stop_words() -> None:
    assert language_of_text("Toller Vortrag!") == "de"
    assert language_of_text("Great talk!") == "en"
    assert language_of_text("kein Problem") == "de"
    assert language_of_text("no problem") == "en"


def test_english_contractions_are_not_read_as_german() -> None:
    # The shared tokenizer turns "I'm" into "im", which is a German stop word.
    assert language_of_text("Honestly, I'm quite frustrated.") == "en"


# --- German mood -----------------------------------------------------------------------------

def test_german_praise_is_positive_and_complaints_negative() -> None:
    assert mood("Super Workshop, hat Spaß gemacht!") is Mood.POSITIVE
    assert mood("Die Kommunikation ist chaotisch.") is Mood.NEGATIVE


def test_a_negated_positive_word_is_negative() -> None:
    assert mood("Das ist nicht gut.") is Mood.NEGATIVE
    assert mood("Das war kein guter Plan.") is Mood.NEGATIVE
    assert mood("Die Präsentation war nicht hilfreich.") is Mood.NEGATIVE


def test_a_negated_negative_word_is_not_negative() -> None:
    assert mood("nicht schlecht") is not Mood.NEGATIVE
    assert mood("Kein Problem mit dem neuen Tool.") is not Mood.NEGATIVE
    assert mood("Ohne Probleme gestartet.") is not Mood.NEGATIVE


def test_a_negation_reaches_three_words_but_not_across_a_comma() -> None:
    assert mood("Das war nicht besonders hilfreich.") is Mood.NEGATIVE
    assert mood("Nicht vergessen, das war super!") is Mood.POSITIVE


def test_a_negation_after_the_verb_flips_the_word_before_it() -> None:
    assert mood("Das gefällt mir nicht.") is Mood.NEGATIVE
    assert mood("Die Abstimmung funktioniert nicht.") is Mood.NEGATIVE


def test_a_missing_wanted_thing_is_negative() -> None:
    assert mood("Keine Antworten auf unsere Fragen.") is Mood.NEGATIVE
    assert mood("Kaum Zeit für echte Arbeit.") is Mood.NEGATIVE
    assert mood("Ich vermisse eine klare Linie.") is Mood.NEGATIVE


def test_intensifiers_strengthen_and_diminishers_weaken_a_word() -> None:
    assert german_score("sehr gut") > german_score("gut") > german_score("etwas gut") > 0
    assert german_score("total chaotisch") < german_score("chaotisch") < german_score(
        "etwas chaotisch") < 0
    assert mood("etwas unklar") is Mood.NEGATIVE


def test_too_much_of_something_is_a_complaint() -> None:
    assert mood("Viel zu viele Meetings.") is Mood.NEGATIVE
    assert mood("Zu lang, zu viel Theorie.") is Mood.NEGATIVE


def test_what_follows_aber_outweighs_what_precedes_it() -> None:
    assert mood("Inhaltlich gut, aber viel zu lang.") is Mood.NEGATIVE
    assert mood("Etwas chaotisch, aber am Ende ein toller Erfolg.") is Mood.POSITIVE


def test_a_plain_question_is_neutral_even_with_a_mood_word() -> None:
    assert mood("Wann kommt das neue Ticketsystem?") is Mood.NEUTRAL
    assert mood("Ist das neue Büro gut mit der Bahn erreichbar?") is Mood.NEUTRAL
    assert mood("Ist das Problem mit dem VPN gelöst?") is Mood.NEUTRAL
    assert mood("Danke vorab – wann werden die Folien verschickt?") is Mood.NEUTRAL


def test_impatience_and_criticism_in_a_question_are_negative() -> None:
    assert mood("Wann gibt es endlich Klarheit zur Umstrukturierung?") is Mood.NEGATIVE
    assert mood("Warum ist das VPN schon wieder ausgefallen?") is Mood.NEGATIVE
    assert mood("Warum ist die Kommunikation so schlecht?") is Mood.NEGATIVE


def test_worry_counts_fully_in_a_question() -> None:
    assert mood("Wird es Entlassungen geben?") is Mood.NEGATIVE


def test_endlich_in_a_statement_is_relief() -> None:
    assert mood("Endlich Klarheit, danke!") is Mood.POSITIVE


def test_german_compounds_and_typed_out_umlauts_are_recognised() -> None:
    assert mood("Das Projektchaos nervt.") is Mood.NEGATIVE
    assert mood("Ich bin enttaeuscht.") is Mood.NEGATIVE


def test_german_lexicon_stems_each_have_one_weight() -> None:
    weights: dict[str, set[float]] = {}
    for groups in (text_analysis._DE_WORDS, text_analysis._DE_CONCERN):
        for value, words in groups.items():
            for word in words.split():
                key = word[1:] if word.startswith("=") else snowball_stem(word, "de")
                weights.setdefault(key, set()).add(value)
    assert {stem: values for stem, values in weights.items() if len(values) > 1} == {}
    assert len(weights) >= 250


# --- English mood ----------------------------------------------------------------------------

def test_english_goes_through_textblob() -> None:
    assert mood("Great workshop, really enjoyed it!") is Mood.POSITIVE
    assert mood("The food is awful.") is Mood.NEGATIVE
    assert mood("That was not a good plan.") is Mood.NEGATIVE
    assert mood("Not bad at all.") is Mood.POSITIVE
    assert english_score("Great workshop!", extension=False) == pytest.approx(
        TextBlob("Great workshop!").sentiment.polarity)


def test_the_workplace_extension_catches_what_textblob_misses() -> None:
    for text in ("I'm worried about the layoffs.", "The goals are unclear.",
                 "The presentation wasn't helpful."):
        assert english_score(text, extension=False) == 0.0
        assert mood(text) is Mood.NEGATIVE, text
    assert mood("Really appreciate the transparency.") is Mood.POSITIVE


def test_too_many_is_not_positive_in_english() -> None:
    assert TextBlob("Way too many meetings.").sentiment.polarity > 0  # what TextBlob says
    assert mood("Way too many meetings.") is Mood.NEGATIVE


def test_english_questions_are_neutral_unless_they_complain() -> None:
    assert mood("Is the new tool any good?") is Mood.NEUTRAL
    assert mood("Can you share the link again?") is Mood.NEUTRAL
    assert mood("Why is the VPN down again?") is Mood.NEGATIVE
    assert mood("When will we finally get clarity on the restructuring?") is Mood.NEGATIVE
    assert mood("Are layoffs planned for next year?") is Mood.NEGATIVE


def test_english_extension_words_are_ones_textblob_does_not_score() -> None:
    for groups in (text_analysis._EN_WORDS, text_analysis._EN_CONCERN):
        for words in groups.values():
            for word in words.split():
                assert TextBlob(word.lstrip("=")).sentiment.polarity == 0.0, word


# --- phrases: idioms, sarcasm, rhetorical questions ------------------------------------------
# (examples from the tuning texts and issue 12; the fresh set is never quoted here)

def test_idioms_are_read_as_whole_phrases() -> None:
    assert mood("Die Stimmung im Team ist im Keller.") is Mood.NEGATIVE
    assert mood("Wir gehen auf dem Zahnfleisch.") is Mood.NEGATIVE
    assert mood("Das ist nur ein Tropfen auf den heißen Stein.") is Mood.NEGATIVE
    assert mood("The travel approval flow is a nightmare.") is Mood.NEGATIVE
    assert mood("Morale is at rock bottom.") is Mood.NEGATIVE
    assert mood("That was the straw that broke the camel's back.") is Mood.NEGATIVE
    assert mood("This meeting could have been an email.") is Mood.NEGATIVE


def test_a_sarcastic_opener_is_negative_and_sincere_praise_stays_positive() -> None:
    assert mood("Oh great, another reshuffle.") is Mood.NEGATIVE
    assert mood("Great, yet another survey.") is Mood.NEGATIVE
    assert mood("Na toll.") is Mood.NEGATIVE
    assert mood("Prima, schon wieder eine neue Vorlage.") is Mood.NEGATIVE
    assert mood("Toll, dass wir wieder gemeinsam im Büro sind.") is Mood.POSITIVE
    assert mood("Great that we're back in the office together.") is Mood.POSITIVE
    assert mood("Great workshop, thanks!") is Mood.POSITIVE


def test_rhetorical_questions_criticise() -> None:
    assert mood("Who decided that without asking us first?") is Mood.NEGATIVE
    assert mood("Wer hat sich das denn ausgedacht?") is Mood.NEGATIVE
    assert mood("Schon wieder eine neue App?") is Mood.NEGATIVE
    assert mood("Another survey?") is Mood.NEGATIVE
    assert mood("Könnten wir endlich mal über die Gehälter reden?") is Mood.NEGATIVE
    # Asking who decides, or for something again, is information seeking.
    assert mood("Who decides which projects get priority next year?") is Mood.NEUTRAL
    assert mood("Wer entscheidet, welche Projekte Priorität haben?") is Mood.NEUTRAL
    assert mood("Could the presentation be shared again?") is Mood.NEUTRAL
    assert mood("Wird die Umfrage wieder anonym sein?") is Mood.NEUTRAL


def test_negated_complaints_are_positive() -> None:
    assert mood("Gar nicht so übel, das neue Buchungstool.") is Mood.POSITIVE
    assert mood("Ich habe nichts zu meckern, alles bestens.") is Mood.POSITIVE
    assert mood("Nothing to complain about, all good.") is Mood.POSITIVE
    assert mood("No worries, happy to help.") is Mood.POSITIVE


def test_suggestions_are_neutral() -> None:
    # TextBlob reads "more" as +0.5: "More breaks!" would be praise.
    assert mood("More breaks!") is Mood.NEUTRAL
    assert mood("Less travel, please.") is Mood.NEUTRAL
    assert mood("Mehr Pausen!") is Mood.NEUTRAL
    assert mood("Kürzere Meetings.") is Mood.NEUTRAL


def test_why_do_we_have_to_criticises() -> None:
    assert mood("Why do we have to fill in the same report twice?") is Mood.NEGATIVE
    assert mood("Warum müssen wir das Formular zweimal ausfüllen?") is Mood.NEGATIVE


def test_a_complaint_before_the_question_counts_fully() -> None:
    assert mood("The new expense process is a nightmare, when will it be fixed?") is Mood.NEGATIVE
    assert mood("Das neue Spesenverfahren ist ein Albtraum, wann wird das behoben?") is (
        Mood.NEGATIVE)
    # Praise before the question stays damped: a polite question.
    assert mood("Thanks in advance, when will the slides be sent?") is Mood.NEUTRAL


def test_the_word_model_catches_implicit_complaints_the_rules_miss() -> None:
    for text in ("Nobody from HR has answered our emails for weeks.",
                 "Seit Wochen beantwortet niemand aus der Personalabteilung unsere Mails."):
        assert text_analysis.rule_mood(text) is Mood.NEUTRAL
        assert mood(text) is Mood.NEGATIVE


def test_the_stored_word_model_is_the_one_trained_on_the_tuning_texts() -> None:
    # Trained on every tuning set, never on a FRESH one nor on the sample's test split.
    from bench.sentiment import training_texts, tuning_sets

    weights = text_analysis.train_mood_model(training_texts(tuning_sets()))
    stored = Path(text_analysis.__file__).with_name("mood_model.py").read_text(encoding="utf-8")
    assert text_analysis.model_source(weights) == stored


def test_mood_counts_lists_every_mood() -> None:
    counts = mood_counts(["Toller Vortrag!", "Great talk!", "Wann ist Pause?", "So chaotisch."])
    assert counts == {Mood.POSITIVE: 2, Mood.NEUTRAL: 1, Mood.NEGATIVE: 1}
    assert mood_counts([]) == {Mood.POSITIVE: 0, Mood.NEUTRAL: 0, Mood.NEGATIVE: 0}


def test_empty_and_punctuation_only_texts_are_neutral() -> None:
    assert mood("") is Mood.NEUTRAL
    assert mood("?!") is Mood.NEUTRAL
    assert language_of_text("") in ("de", "en")


# --- themes ----------------------------------------------------------------------------------

def test_themes_merge_inflections() -> None:
    assert themes(["Das Büro ist kalt.", "Neue Büros?", "Wann wird das Büro renoviert?"]) == [
        ("Büro", 3)]
    assert themes(["Workshops sind super", "Der Workshop war lang"]) == [("Workshop", 1 + 1)]


def test_themes_count_each_text_once() -> None:
    assert themes(["Budget, Budget, Budget!", "Wie hoch ist das Budget?"]) == [("Budget", 2)]
    assert themes(["Budget, Budget, Budget!", "Reisekosten?"]) == []


def test_themes_prefer_a_recurring_phrase_over_its_words() -> None:
    found = themes(["Home office please", "More home office days?", "Home-Office bitte",
                    "The office is cold", "New office plants?"])
    assert found == [("home office", 3), ("office", 2)]


def test_a_phrase_said_once_does_not_hide_its_words() -> None:
    assert themes(["home office", "office chairs"], min_mentions=1) == [
        ("office", 2), ("chairs", 1), ("home", 1)]


def test_a_hyphenated_phrase_keeps_its_hyphen() -> None:
    assert themes(["Home-Office bitte", "Wie viele Home-Office-Tage?"]) == [("Home-Office", 2)]


def test_a_phrase_and_its_compound_are_one_theme() -> None:
    assert themes(["Homeoffice bitte beibehalten", "Wie viele Home-Office-Tage?",
                   "I love home office"]) == [("home office", 2 + 1)]


def test_themes_merge_a_word_across_german_and_english_texts() -> None:
    assert themes(["Zu viele Meetings", "Meetings are too long", "Can we have fewer meetings?"
                   ]) == [("Meetings", 3)]


def test_themes_ignore_stop_words_numbers_and_short_tokens() -> None:
    texts = ["Was ist das?", "Was ist das denn?", "What is this?", "What is this about?",
             "2024", "2024 und 2025", "ok ok", "ok"]
    assert themes(texts) == []


def test_describing_words_are_themes_only_inside_a_phrase() -> None:
    assert themes(["The new tool is slow", "New hires?", "Is the new office ready?",
                   "When does the new office open?"]) == [("new office", 2)]
    assert themes(["Das neue Tool funktioniert.", "Es funktioniert nicht.",
                   "Hilfreich war das nicht.", "Das war hilfreich."]) == []


def test_themes_keep_short_acronyms() -> None:
    assert themes(["Die IT ist überlastet", "IT support is slow"]) == [("IT", 2)]


def test_themes_order_by_count_then_alphabetically_and_respect_the_limit() -> None:
    texts = ["Reisekosten und Kantine", "Kantine und Parkplätze", "Reisekosten, Parkplätze",
             "Kantine"]
    assert themes(texts) == [("Kantine", 3), ("Parkplätze", 2), ("Reisekosten", 2)]
    assert themes(texts, limit=2) == [("Kantine", 3), ("Parkplätze", 2)]
    assert themes(texts, min_mentions=3) == [("Kantine", 3)]


def test_themes_show_the_most_frequent_form() -> None:
    assert themes(["Die Reisekostenrichtlinie?", "Reisekostenrichtlinien bitte",
                   "Reisekostenrichtlinien ändern"]) == [("Reisekostenrichtlinien", 3)]


def test_themes_do_not_depend_on_the_order_of_the_texts() -> None:
    texts = [row[2] for row in _sample_rows()]
    expected = themes(texts)
    assert expected  # the sample has recurring topics
    shuffled = texts[:]
    random.Random(7).shuffle(shuffled)
    assert themes(shuffled) == expected
    assert themes(iter(texts)) == expected


# --- themes of a meeting of ten --------------------------------------------------------------

def test_themes_of_ten_english_answers_find_the_key_phrases() -> None:
    answers = ["The new expense process takes far too long.",
               "Why is the expense process so complicated?",
               "Expense process needs fewer approval steps.",
               "More home office days please.",
               "Can we keep two home-office days?",
               "I'd like more home office flexibility.",
               "Travel booking is slow.",
               "The canteen is too expensive.",
               "Travel booking keeps crashing.",
               "Nothing to add."]
    assert themes(answers, min_mentions=3) == [("expense process", 3), ("home office", 3)]


def test_themes_of_ten_mixed_answers_merge_homeoffice_across_spellings_and_languages() -> None:
    answers = ["Homeoffice-Regelung bitte beibehalten!",
               "Wie sieht die neue Homeoffice-Regelung aus?",
               "Die Homeoffice-Regelung ist unklar.",
               "Mehr Home-Office, bitte.",
               "Please keep home office on Fridays.",
               "Die Reisekostenabrechnung dauert ewig.",
               "Reisekostenabrechnung bitte digitalisieren!",
               "Wann kommt die digitale Reisekostenabrechnung?",
               "Onboarding dauert zu lange.",
               "Die Kaffeemaschine ist kaputt."]
    found = themes(answers, min_mentions=3)
    # Every text naming home office counts for it, the narrower policy theme as well.
    assert found == [("Homeoffice", 5), ("Homeoffice-Regelung", 3),
                     ("Reisekostenabrechnung", 3)]


def test_themes_below_the_minimum_of_mentions_are_left_out() -> None:
    answers = ["Parkplätze fehlen.", "Parkplätze bitte!", "Kantine zu teuer.",
               "Kantine?", "Mehr Parkplätze", "Gutes Meeting", "Danke", "Alles gut",
               "Nichts", "Weiter so"]
    assert themes(answers, min_mentions=3) == [("Parkplätze", 3)]


def test_themes_of_nothing_are_empty() -> None:
    assert themes([]) == []
    assert themes(["", "   "]) == []


# --- the labelled sample ---------------------------------------------------------------------

def _sample_rows() -> list[tuple[Mood, str, str, str]]:
    with SAMPLE.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        assert reader.fieldnames == ["label", "language", "text", "split"]
        return [(Mood(row["label"]), row["language"], row["text"], row["split"])
                for row in reader]


def test_the_sample_is_balanced_and_split_stratified() -> None:
    rows = _sample_rows()
    per_language = Counter(language for _, language, _, _ in rows)
    assert per_language["de"] >= 120 and per_language["en"] >= 120
    groups = Counter((label, language) for label, language, _, _ in rows)
    assert len(set(groups.values())) == 1  # every label equally often in each language
    for (label, language), size in groups.items():
        test = sum(1 for row in rows if row[:2] == (label, language) and row[3] == "test")
        assert 0.25 <= test / size <= 0.35, (label, language)
    assert len({text for _, _, text, _ in rows}) == len(rows)


@pytest.mark.parametrize("language", ["de", "en"])
def test_mood_beats_the_baselines_on_the_test_split(language: str) -> None:
    rows = _sample_rows()
    tune = [label for label, lang, _, split in rows if lang == language and split == "tune"]
    test = [(label, text) for label, lang, text, split in rows
            if lang == language and split == "test"]
    counts = Counter(tune)
    majority = max((Mood.NEUTRAL, *LABELS), key=counts.__getitem__)  # a tie goes to neutral
    baseline = sum(label is majority for label, _ in test) / len(test)
    confusion = Counter((label, mood(text)) for label, text in test)
    accuracy = sum(confusion[label, label] for label in LABELS) / len(test)
    print(f"\n{language} test (n={len(test)}): accuracy {accuracy:.3f}, "
          f"majority-class baseline ({majority.value}) {baseline:.3f}")
    recalls = {}
    for label in LABELS:
        predicted = sum(confusion[other, label] for other in LABELS)
        actual = sum(confusion[label, other] for other in LABELS)
        precision = confusion[label, label] / predicted if predicted else 0.0
        recalls[label] = confusion[label, label] / actual
        print(f"  {label.value:<8} precision {precision:.3f}  recall {recalls[label]:.3f}")
    assert accuracy >= TEST_ACCURACY_FLOOR[language]
    assert accuracy >= baseline + 0.4
    assert min(recalls.values()) >= TEST_RECALL_FLOOR


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        assert reader.fieldnames == ["label", "language", "text", "split"]
        return list(reader)


def test_the_fresh_set_is_balanced_and_apart_from_every_tuning_text() -> None:
    fresh = _rows(FRESH)
    groups = Counter((row["label"], row["language"]) for row in fresh)
    assert len(groups) == 6 and min(groups.values()) >= 20  # >= 60 per language
    assert {row["split"] for row in fresh} == {"fresh"}
    tuning = {row["text"] for row in _rows(SAMPLE) + _rows(TUNE_MORE)}
    assert not tuning & {row["text"] for row in fresh}
    assert {row["split"] for row in _rows(TUNE_MORE)} == {"tune"}
