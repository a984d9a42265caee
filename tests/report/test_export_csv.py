"""The export's CSV writer (bot/summaries/export.py): a byte order mark, the locale's delimiter,
and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import itertools
from typing import Any

import pytest

from bot.summaries.export import CSV_COLUMNS, as_csv, delimiter_for, neutralised

ATTACKS = ['=HYPERLINK("http://127.0.0.1/x","click")', "@SUM(1+1)", "+1", "-1", "\t=1",
           "\r=1", "=1+1;2"]
UMLAUTS = "Größere Büros für Übermorgen? ä ö ü ß"


def occurrence(date: str, meeting: str | None, texts: list[str]) -> dict[str, Any]:
    """An occurrence whose every text field holds one of `texts`, in turn."""
    said = itertools.cycle(texts)
    return {
        "id": meeting, "date": date, "chat": "19:chat", "title": next(said),
        "started_at": None, "ended_at": None,
        "polls": [
            {"id": "p1", "question": next(said), "status": "closed", "ballots": 5,
             "results": [{"option": next(said), "votes": 3}, {"option": next(said), "votes": 2}]},
            {"id": "p2", "question": next(said), "status": "closed", "ballots": 4,
             "answers": [{"text": next(said), "count": 3}], "answers_not_listed": 1,
             "not_listed": "1 answer in groups smaller than 3, not listed"},
            {"id": "p3", "question": next(said), "status": "open", "ballots": 2,
             "withheld": "fewer than 3 ballots"}],
        "questions": [{"id": f"q{i}", "text": text, "status": "open", "votes": i,
                       "asked_by": None} for i, text in enumerate(texts)],
        "breakouts": [{"id": "b1", "groups": [
            {"group": 1, "topic": next(said), "size": 3, "points": [next(said), next(said)],
             "note": next(said)},
            {"group": 2, "topic": None, "size": 3, "points": [], "note": None}]}],
    }


def read_back(text: str, delimiter: str) -> list[list[str]]:
    """As a spreadsheet would: the byte order mark first, then rows split by `delimiter`."""
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""),
                           delimiter=delimiter))


@pytest.mark.parametrize("cell", ATTACKS)
def test_a_cell_that_a_spreadsheet_would_run_gets_a_quote(cell: str) -> None:
    assert neutralised(cell) == "'" + cell


@pytest.mark.parametrize("cell", [" =1", "  +1", "\u00a0@SUM(A1)", "\u3000-2", " \t=1",
                                  "\u200b=1+1", "\ufeff =HYPERLINK(\"x\")", "\u2060\u200d-3"])
def test_a_formula_after_leading_spaces_gets_a_quote_too(cell: str) -> None:
    """An import that trims spaces would otherwise run it."""
    assert neutralised(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Retro", "1-2", "a=b", "", " ", "'quoted", UMLAUTS])
def test_other_texts_and_numbers_stay_as_they_are(cell: str) -> None:
    assert neutralised(cell) == cell
    assert neutralised(-1) == -1 and neutralised(None) is None


def test_a_german_csv_reads_back_with_every_attack_as_text_and_umlauts_whole() -> None:
    texts = [*ATTACKS, UMLAUTS]
    text = as_csv({"language": "de", "occurrences": [occurrence("2025-03-14", "m1", texts)]},
                  delimiter=delimiter_for("de"))
    rows = read_back(text, ";")
    assert rows[0] == list(CSV_COLUMNS)
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    questions = [row for row in rows if row[2] == "question"]
    assert [row[4] for row in questions] == ["'" + t for t in ATTACKS] + [UMLAUTS]
    details = {row[7] for row in rows}
    assert "'" + ATTACKS[2] in details  # a poll option
    assert any(cell.startswith("'") for row in rows if row[2] == "breakout_group"
               for cell in row[4:])  # a topic, point or note
    assert "Ergebnis berichtet" in {row[5] for row in rows}


def test_each_row_carries_its_occurrences_date_and_id() -> None:
    export = {"language": "en", "occurrences": [
        occurrence("2025-03-07", "m1", ["First week"]),
        occurrence("2025-03-14", "m2", ["Second week"]),
        occurrence("2025-03-15", None, ["Outside a meeting"])]}
    rows = read_back(as_csv(export, delimiter=","), ",")
    by_date = {(row[0], row[1]) for row in rows[1:]}
    assert by_date == {("2025-03-07", "m1"), ("2025-03-14", "m2"), ("2025-03-15", "")}
    week = {row[0]: row[4] for row in rows[1:] if row[2] == "question"}
    assert week == {"2025-03-07": "First week", "2025-03-14": "Second week",
                    "2025-03-15": "Outside a meeting"}


def test_withheld_answers_are_counted_in_a_row_of_their_own() -> None:
    rows = read_back(as_csv({"language": "en", "occurrences": [
        occurrence("2025-03-14", "m1", ["Less meetings"])]}), ",")
    answers = [(row[6], row[7]) for row in rows if row[3] == "p2"]
    assert answers == [("3", "Less meetings"),
                       ("1", "1 answer in groups smaller than 3, not listed")]
    assert [(row[6], row[7]) for row in rows if row[3] == "p3"] == [("2", "fewer than 3 ballots")]


def test_german_spreadsheets_get_semicolons_and_english_ones_commas() -> None:
    assert delimiter_for("de") == ";" and delimiter_for("en") == ","
