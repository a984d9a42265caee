"""Open-text answers that say the same: case, punctuation, inflection and simple spelling
variants merged ("Mehr Pausen!", "mehr pause", "Mehr Pasuen" are one answer)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from facilitation.words import fold, guess_language, snowball_stem, word_tokens

MIN_VARIANT_CHARS = 5  # shorter words are too often another word with one letter changed
MAX_VARIANT_WORDS = 8  # longer answers are grouped by reading and spacing only (no typo search)


@dataclass(frozen=True)
class AnswerForms:
    """One answer as people wrote it (each spelling with how often), under its reading."""

    key: tuple[str, ...]
    forms: Counter[str]

    @property
    def count(self) -> int:
        return sum(self.forms.values())


def answer_key(text: str) -> tuple[str, ...]:
    """How an answer reads: its words stemmed in its language, without case or punctuation
    (an answer of no letters or digits at all keeps its casefolded text)."""
    tokens = word_tokens(text)
    if not tokens:
        return (text.casefold(),)
    language, _ = guess_language(tokens)
    return tuple(snowball_stem(token, language) for token in tokens)


def group_answers(answers: Iterable[str]) -> list[AnswerForms]:
    """The answers grouped by reading; then a group merged into a larger one whose words are
    the same but for one typo (a letter left out, added, mistyped or two swapped, not the first
    letter, in a word of at least MIN_VARIANT_CHARS letters, numbers alike) or but for spaces
    ("Homeoffice", "Home office")."""
    by_key: dict[tuple[str, ...], Counter[str]] = {}
    for answer in answers:
        by_key.setdefault(answer_key(answer), Counter())[answer] += 1
    groups = sorted((AnswerForms(key, forms) for key, forms in by_key.items()),
                    key=lambda g: (-g.count, g.key))
    merged: list[AnswerForms] = []
    index: dict[tuple[object, ...], list[tuple[AnswerForms, tuple[str, ...]]]] = {}
    for group in groups:
        spellings = sorted(_written(group))  # sorted: the same groups in every process
        matches = [known for words in spellings for s in _signatures(words)
                   for known, other in index.get(s, ()) if _same_but_typing(other, words)]
        target = min(matches, key=lambda g: (-g.count, g.key), default=None)
        if target is not None:
            target.forms.update(group.forms)
        else:
            merged.append(target := group)
        for words in spellings:
            for signature in _signatures(words):
                index.setdefault(signature, []).append((target, words))
    return sorted(merged, key=lambda g: (-g.count, g.key))


def _written(group: AnswerForms) -> set[tuple[str, ...]]:
    """The words of each form of the group, unstemmed, without accents."""
    return {tuple(fold(token) for token in word_tokens(form)) for form in group.forms}


def _same_but_typing(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return (bool(a) and "".join(a) == "".join(b)) or _one_typo_apart(a, b)


def _signatures(words: tuple[str, ...]) -> list[tuple[object, ...]]:
    """The words run together; and each long word with one letter (not the first) left out,
    the other words as they are: two answers one typo apart share at least one."""
    found: list[tuple[object, ...]] = [("joined", "".join(words))] if words else []
    if len(words) > MAX_VARIANT_WORDS:
        return found
    for position, word in enumerate(words):
        if len(word) < MIN_VARIANT_CHARS or word.isdigit():
            continue
        rest = (*words[:position], "", *words[position + 1:])
        found += [(rest, position, word[:cut] + word[cut + 1:])
                  for cut in range(1, len(word))]
        found.append((rest, position, word))
    return found


def _one_typo_apart(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if len(a) != len(b):
        return False
    different = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    if len(different) != 1:
        return False
    x, y = different[0]
    return (min(len(x), len(y)) >= MIN_VARIANT_CHARS - 1 and x[0] == y[0]
            and not any(ch.isdigit() for ch in x + y) and _typo(x, y))


def _typo(x: str, y: str) -> bool:
    """One letter left out, added, mistyped, or two neighbours swapped."""
    if abs(len(x) - len(y)) > 1:
        return False
    if len(x) == len(y):
        diff = [i for i in range(len(x)) if x[i] != y[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and x[diff[0]] == y[diff[1]] and x[diff[1]] == y[diff[0]])
    short, long = (x, y) if len(x) < len(y) else (y, x)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))
