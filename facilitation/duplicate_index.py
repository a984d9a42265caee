"""An index of a board's questions for find_duplicate: profiles kept, only likely ones scored."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import Any

# The index scores exactly as find_duplicate does, so it shares the scorer's private parts.
from facilitation.similarity import (
    _FUZZY_FLOOR,
    DUPLICATE_THRESHOLD,
    _Profile,
    _profile,
    _profile_in,
    _score,
)

__all__ = ["DuplicateIndex"]

_LANGUAGES = ("de", "en")
# A term of this many letters or fewer may be a typed stop word of the other text (_credit).
_SHORT_WORD = 5
_Entry = tuple[str, int]  # (question id, position of the term in its profile)
_first = itemgetter(0)
_Table = dict[Any, set[Any]]


def _needed(grams: int) -> int:
    """The fewest shared trigrams at which _credit's fuzzy share reaches _FUZZY_FLOOR."""
    return next(shared for shared in range(grams + 1) if shared / grams >= _FUZZY_FLOOR)


def _near(keys: Iterable[int]) -> set[int]:
    return {near for key in keys for near in (key - 1, key, key + 1)}


@dataclass
class _Postings:
    """The profiles of one kind (questions of one language and certainty, profiled in one
    language) filed for the term-count bound (see DuplicateIndex)."""

    terms: dict[str, int] = field(default_factory=dict)  # question id -> its terms
    by_gram: dict[str, set[str]] = field(default_factory=dict)  # gram -> questions
    by_key: dict[int, set[str]] = field(default_factory=dict)  # content word key -> questions
    by_stop_key: dict[int, set[str]] = field(default_factory=dict)
    # The question's terms: under a few of their trigrams (enough that a term sharing half of
    # its trigrams with a text shares one of these), their key, and their key if short.
    term_by_gram: dict[str, set[_Entry]] = field(default_factory=dict)
    term_by_key: dict[int, set[_Entry]] = field(default_factory=dict)
    short_by_key: dict[int, set[_Entry]] = field(default_factory=dict)

    def _filings(self, question_id: str, profile: _Profile
                 ) -> Iterator[tuple[_Table, object, object]]:
        for gram in profile.grams:
            yield self.by_gram, gram, question_id
        for key in profile.keys:
            yield self.by_key, key, question_id
        for key in profile.stop_keys:
            yield self.by_stop_key, key, question_id
        for position, (_, grams, word, key) in enumerate(profile.term_grams):
            entry = (question_id, position)
            # Any len - needed + 1 of a term's trigrams hold one of every `needed` of them.
            for gram in sorted(grams)[:len(grams) - _needed(len(grams)) + 1]:
                yield self.term_by_gram, gram, entry
            yield self.term_by_key, key, entry
            if len(word) <= _SHORT_WORD:
                yield self.short_by_key, key, entry

    def add(self, question_id: str, profile: _Profile) -> None:
        self.terms[question_id] = len(profile.terms)
        for table, key, item in self._filings(question_id, profile):
            table.setdefault(key, set()).add(item)

    def remove(self, question_id: str, profile: _Profile) -> None:
        if self.terms.pop(question_id, None) is None:
            return
        for table, key, item in self._filings(question_id, profile):
            holders = table.get(key)
            if holders is not None:
                holders.discard(item)
                if not holders:
                    del table[key]

    def candidates(self, query: _Profile, threshold: float) -> Iterator[str]:
        """The questions whose term-count bound reaches threshold (a superset of those whose
        score does)."""
        counts: Counter[str] = Counter()  # query terms each question may credit, per question
        for _, grams, word, key in query.term_grams:
            possible: set[str] = set()
            ordered = sorted(grams, key=lambda gram: len(self.by_gram.get(gram, ())))
            for gram in ordered[:len(grams) - _needed(len(grams)) + 1]:
                possible |= self.by_gram.get(gram, set())
            for near in (key - 1, key, key + 1):
                possible |= self.by_key.get(near, set())
                if len(word) <= _SHORT_WORD:
                    possible |= self.by_stop_key.get(near, set())
            counts.update(possible)
        entries: set[_Entry] = set()
        for gram in query.grams:
            entries |= self.term_by_gram.get(gram, set())
        for near in _near(query.keys):
            entries |= self.term_by_key.get(near, set())
        for near in _near(query.stop_keys):
            entries |= self.short_by_key.get(near, set())
        counts.update(map(_first, entries))  # + the question's terms the query may credit
        size = len(query.terms)
        for question_id, possible_terms in counts.items():
            if possible_terms >= threshold * (size + self.terms[question_id]) - 1e-9:
                yield question_id


class DuplicateIndex:
    """Questions by id, each profiled once, filed so that a query scores only the questions
    that could reach the threshold.

    The filter is exact, not a heuristic. `_score` is (credit of a's terms + credit of b's
    terms) / (terms of both - typed stop words), then multiplied by factors at most 1; a term
    earns at most 1, and only if it is a term of the other text or one typo from one of its
    words (same first letter, length within one: its key within one of a key there), or
    shares at least half of its trigrams with the other text; it is a typed stop word only if
    it is short and its key is within one of a stop word's key there. With K the terms of both
    for which one of this is possible and M the others, the score is at most |K| / (|K| + |M|)
    = |K| / (terms of both). The index counts K per question from postings (a term sharing
    half of its n trigrams shares one of any n - half + 1 of them) and scores a question only
    if |K| reaches threshold × (terms of both).

    When the languages differ `_score` re-stems the text of the weaker guess in the other's
    language, so each question is filed by (language, certainty) in each language, and a query
    is compared with the variant `_score` would use. `find` returns what find_duplicate
    returns for the questions in the order they were added.
    """

    def __init__(self) -> None:
        self._profiles: dict[str, _Profile] = {}
        self._order: dict[str, int] = {}  # insertion rank, for find_duplicate's tie rule
        # (language, certainty) of the questions -> language profiled in -> postings
        self._groups: dict[tuple[str, int], dict[str, _Postings]] = {}
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
        group = self._groups.setdefault((profile.language, profile.certainty), {})
        for language, variant in _variants(profile):
            group.setdefault(language, _Postings()).add(question_id, variant)

    def add_all(self, questions: Iterable[tuple[str, str]]) -> None:
        for question_id, text in questions:
            self.add(question_id, text)

    def remove(self, question_id: str) -> None:
        profile = self._profiles.pop(question_id, None)
        if profile is None:
            return
        del self._order[question_id]
        group = self._groups[(profile.language, profile.certainty)]
        for language, variant in _variants(profile):
            group[language].remove(question_id, variant)

    def matches(self, text: str, threshold: float = DUPLICATE_THRESHOLD
                ) -> list[tuple[str, float]]:
        """Every question scoring at or above threshold, with its score, in the order the
        questions were added (so that the first of the highest is find_duplicate's answer)."""
        query = _profile(text)
        if not query.terms:
            return []
        if threshold <= 0:  # every question matches: no bound to filter with
            candidates: Iterable[str] = self._profiles
        else:
            candidates = chain.from_iterable(
                postings.candidates(variant, threshold)
                for variant, postings in self._compared(query))
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

    def _compared(self, query: _Profile) -> Iterator[tuple[_Profile, _Postings]]:
        """Per group of questions, the query's profile and the questions' postings that
        `_score` compares (it re-stems the weaker guess when the languages differ)."""
        for (language, certainty), group in self._groups.items():
            if language == query.language or certainty == query.certainty:
                compared, postings = query, group.get(language)
            elif query.certainty < certainty:
                compared, postings = _profile_in(query.text, language), group.get(language)
            else:
                compared, postings = query, group.get(query.language)
            if postings is not None:
                yield compared, postings


def _variants(profile: _Profile) -> Iterator[tuple[str, _Profile]]:
    """A question's profile in its own language and in each other one."""
    yield profile.language, profile
    for language in _LANGUAGES:
        if language != profile.language:
            yield language, _profile_in(profile.text, language)
