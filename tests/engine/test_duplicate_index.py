"""The duplicate index finds exactly what the brute-force find_duplicate finds."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from facilitation.duplicate_index import DuplicateIndex
from facilitation.similarity import (
    _FUZZY_FLOOR,
    _Profile,
    _profile,
    _profile_in,
    _score,
    find_duplicate,
    similarity,
)


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


def _possible_terms(a: _Profile, b: _Profile) -> int:
    """How many of a's terms may earn credit against b or be a typed stop word of it, read
    straight from _credit's rules (the count the index's filter bounds the score with)."""
    count = 0
    for _, grams, word, key in a.term_grams:
        near = {key - 1, key, key + 1}
        if (len(grams & b.grams) / len(grams) >= _FUZZY_FLOOR or not near.isdisjoint(b.keys)
                or (len(word) <= 5 and not near.isdisjoint(b.stop_keys))):
            count += 1
    return count


@settings(max_examples=500, deadline=None)
@given(a=queries, b=st.sampled_from(TEXTS), other=st.sampled_from(("de", "en")))
def test_no_score_exceeds_the_share_of_terms_that_may_earn_credit(a: str, b: str,
                                                                  other: str) -> None:
    # Profiles as _score compares them, after re-stemming the weaker language guess:
    for first, second in ((_profile(a), _profile(b)), (_profile_in(a, other), _profile(b)),
                          (_profile(a), _profile_in(b, other))):
        if not first.terms or not second.terms or (
                first.language != second.language and first.certainty != second.certainty):
            continue  # _score would re-stem one of them: the pair compared is another one
        terms = len(first.terms) + len(second.terms)
        bound = (_possible_terms(first, second) + _possible_terms(second, first)) / terms
        assert _score(first, second) <= bound + 1e-9


@settings(max_examples=200, deadline=None)
@given(board=boards, query=queries, threshold=st.floats(0.05, 1.0))
def test_the_index_matches_what_scoring_every_question_matches(board: list[str], query: str,
                                                               threshold: float) -> None:
    index = DuplicateIndex()
    index.add_all((f"q{i}", text) for i, text in enumerate(board))
    expected = [(f"q{i}", score) for i, text in enumerate(board)
                if f"q{i}" in index and (score := similarity(query, text)) >= threshold]
    assert index.matches(query, threshold) == expected
