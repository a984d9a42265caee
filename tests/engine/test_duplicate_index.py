"""The duplicate index finds exactly what the brute-force find_duplicate finds."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation.duplicate_index import DuplicateIndex
from facilitation.similarity import find_duplicate


def _texts() -> list[str]:
    texts: set[str] = set()
    for path in sorted((Path(__file__).parent / "data").glob("question_pairs*.tsv")):
        with path.open(encoding="utf-8") as file:
            for row in csv.DictReader(file, delimiter="\t"):
                texts.update((row["a"], row["b"]))
    return sorted(texts)


TEXTS = _texts()
boards = st.lists(st.sampled_from(TEXTS), min_size=0, max_size=60)
# Duplicates of board texts, texts without content, and mixed-language fragments too.
queries = st.one_of(st.sampled_from(TEXTS), st.sampled_from(["", "?", "und", "Budget?", "the"]),
                    st.text(alphabet="abcdeinorstuäöü ?", max_size=30))


@settings(max_examples=300, deadline=None)
@given(board=boards, query=queries, removed=st.sets(st.integers(0, 59), max_size=10))
def test_the_index_finds_what_find_duplicate_finds(board: list[str], query: str,
                                                  removed: set[int]) -> None:
    index = DuplicateIndex()
    candidates = [(f"q{i}", text) for i, text in enumerate(board)]
    index.add_all(candidates)
    for i in removed:
        index.remove(f"q{i}")
    kept = [(qid, text) for qid, text in candidates if int(qid[1:]) not in removed]
    assert index.find(query) == find_duplicate(query, kept)


def test_every_labelled_pair_scores_as_before() -> None:
    index = DuplicateIndex()
    index.add_all((f"q{i}", text) for i, text in enumerate(TEXTS))
    everything = [(f"q{i}", text) for i, text in enumerate(TEXTS)]
    for text in TEXTS[::7]:
        assert index.find(text) == find_duplicate(text, everything)


def test_a_question_without_content_terms_is_not_filed() -> None:
    index = DuplicateIndex()
    index.add("a", "und?")
    index.add("b", "When will the new office open?")
    assert len(index) == 1
    assert "b" in index
    index.remove("b")
    index.remove("unknown")
    assert len(index) == 0
