"""An index of a board's questions for find_duplicate: profiles kept, only likely ones scored."""

from __future__ import annotations

from collections.abc import Iterable

# The index scores exactly as find_duplicate does, so it shares the scorer's private parts.
from facilitation.similarity import (
    DUPLICATE_THRESHOLD,
    _Profile,
    _profile,
    _profile_in,
    _score,
)

__all__ = ["DuplicateIndex"]

_LANGUAGES = ("de", "en")


class DuplicateIndex:
    """Questions by id, each profiled once, with an inverted index from character trigrams to
    the questions holding them.

    The filter is exact, not a heuristic: `_score` is 0 for two profiles without a shared
    trigram, and when the languages differ it re-stems one text in the other's language. So
    every question is filed under the trigrams of its profile in each language, and a query
    looks up the trigrams of its own profiles in each language: no question that could score
    above 0 is left out. `find` then returns what find_duplicate returns for the questions in
    the order they were added.
    """

    def __init__(self) -> None:
        self._profiles: dict[str, _Profile] = {}
        self._order: dict[str, int] = {}  # insertion rank, for find_duplicate's tie rule
        self._postings: dict[str, set[str]] = {}
        self._next = 0

    def __len__(self) -> int:
        return len(self._profiles)

    def __contains__(self, question_id: object) -> bool:
        return question_id in self._profiles

    def ids(self) -> frozenset[str]:
        return frozenset(self._profiles)

    def add(self, question_id: str, text: str) -> None:
        """File a question (a known id is left as it is: a question's text never changes)."""
        if question_id in self._profiles:
            return
        profile = _profile(text)
        if not profile.terms:
            return  # find_duplicate skips candidates without content terms
        self._profiles[question_id] = profile
        self._order[question_id] = self._next
        self._next += 1
        for gram in _grams_in_every_language(profile):
            self._postings.setdefault(gram, set()).add(question_id)

    def add_all(self, questions: Iterable[tuple[str, str]]) -> None:
        for question_id, text in questions:
            self.add(question_id, text)

    def remove(self, question_id: str) -> None:
        profile = self._profiles.pop(question_id, None)
        if profile is None:
            return
        del self._order[question_id]
        for gram in _grams_in_every_language(profile):
            holders = self._postings.get(gram)
            if holders is not None:
                holders.discard(question_id)
                if not holders:
                    del self._postings[gram]

    def matches(self, text: str, threshold: float = DUPLICATE_THRESHOLD
                ) -> list[tuple[str, float]]:
        """Every question scoring at or above threshold, with its score, in the order the
        questions were added (so that the first of the highest is find_duplicate's answer)."""
        query = _profile(text)
        if not query.terms:
            return []
        candidates: set[str] = set()
        for gram in _grams_in_every_language(query):
            holders = self._postings.get(gram)
            if holders:
                candidates |= holders
        found = [(question_id, score) for question_id in candidates
                 if (score := _score(query, self._profiles[question_id])) >= threshold]
        found.sort(key=lambda match: self._order[match[0]])
        return found

    def find(self, text: str, threshold: float = DUPLICATE_THRESHOLD
             ) -> tuple[str, float] | None:
        """As find_duplicate(text, the questions in the order added, threshold)."""
        best: tuple[str, float] | None = None
        for match in self.matches(text, threshold):
            if best is None or match[1] > best[1]:
                best = match
        return best


def _grams_in_every_language(profile: _Profile) -> frozenset[str]:
    grams = set(profile.grams)
    for language in _LANGUAGES:
        if language != profile.language:
            grams |= _profile_in(profile.text, language).grams
    return frozenset(grams)
