"""Quality and speed of the Q&A duplicate detector: `python -m bench.duplicates`.

Scores every labelled pair in tests/engine/data/question_pairs.tsv (and the extra tuning
pairs of question_pairs_tune_extra.tsv and question_pairs_tune_round5.tsv), prints precision, recall
and F1 per split and language at DUPLICATE_THRESHOLD, a threshold sweep, a difflib baseline
whose threshold is chosen on the tune split only, a leave-one-set-out section (each tuning
file held out in turn, the threshold chosen on the others), and the time of find_duplicate against
2,000 candidates next to the baseline's time in the same run.

The held-out sets of rounds 1 to 4, tests/engine/data/question_pairs_fresh.tsv to
question_pairs_fresh4.tsv, have been seen (their results were read after their rounds), so they
are tuning data now: their pairs form the split "seen", reported on their own and counted as
tuning when the difflib threshold is chosen.

The FRESH section scores tests/engine/data/question_pairs_fresh5.tsv, written by a separate
session that never saw the rules, after round 4's rules and before any later change, and never
used to tune them: per language precision and recall at DUPLICATE_THRESHOLD, the difflib
baseline (threshold from the tuning splits) in the same run, and the targets of issue 12
(precision >= 0.9, recall >= 0.8 per language) as MET / NOT MET.
"""

from __future__ import annotations

import csv
import difflib
import gc
import itertools
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from facilitation import similarity as sim
from facilitation.similarity import DUPLICATE_THRESHOLD, find_duplicate, similarity

PAIRS = Path(__file__).resolve().parents[1] / "tests" / "engine" / "data" / "question_pairs.tsv"
EXTRA = (PAIRS.with_name("question_pairs_tune_extra.tsv"),  # more tuning pairs, split "tune"
         PAIRS.with_name("question_pairs_tune_round5.tsv"))
SEEN = (PAIRS.with_name("question_pairs_fresh.tsv"),  # rounds 1 to 4's fresh sets, now tuning
        PAIRS.with_name("question_pairs_fresh2.tsv"), PAIRS.with_name("question_pairs_fresh3.tsv"),
        PAIRS.with_name("question_pairs_fresh4.tsv"))
FRESH = PAIRS.with_name("question_pairs_fresh5.tsv")
TUNING_SPLITS = ("tune", "seen")
CANDIDATES = 2000
TARGET_PRECISION = 0.9
TARGET_RECALL = 0.8


@dataclass(frozen=True)
class Pair:
    label: bool
    language: str
    a: str
    b: str
    split: str


@dataclass(frozen=True)
class Quality:
    precision: float
    recall: float
    f1: float
    pairs: int

    def row(self) -> str:
        return (f"P={self.precision:.3f}  R={self.recall:.3f}  F1={self.f1:.3f}  "
                f"(n={self.pairs})")


def load_pairs(path: Path = PAIRS, split: str | None = None) -> list[Pair]:
    """The pairs of one file; `split` replaces the file's own split column when given."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [Pair(row["label"] == "1", row["language"], row["a"], row["b"],
                     split or row["split"])
                for row in csv.DictReader(handle, delimiter="\t")]


def quality(scored: Iterable[tuple[float, bool]], threshold: float) -> Quality:
    tp = fp = fn = n = 0
    for score, label in scored:
        n += 1
        said = score >= threshold
        tp += said and label
        fp += said and not label
        fn += label and not said
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Quality(precision, recall, f1, n)


def best_threshold(scored: list[tuple[float, bool]]) -> tuple[float, float, float]:
    """Best F1 over thresholds 0.30..0.95, and the lowest and highest threshold reaching it."""
    grid = [round(0.30 + 0.01 * i, 2) for i in range(66)]
    f1s = [(round(quality(scored, t).f1, 6), t) for t in grid]
    best = max(f1 for f1, _ in f1s)
    ties = [t for f1, t in f1s if f1 == best]
    return best, ties[0], ties[-1]


def difflib_ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio()


def difflib_threshold(pairs: list[Pair]) -> float:
    """The difflib threshold in the middle of its best F1 plateau on the tuning splits."""
    _, low, high = best_threshold([(difflib_ratio(p.a, p.b), p.label) for p in pairs
                                   if p.split in TUNING_SPLITS])
    return round((low + high) / 2, 2)


def report_fresh(tuning: list[Pair], fresh: list[Pair]) -> None:
    """Held-out pairs: never used to choose a rule or a threshold."""
    base_t = difflib_threshold(tuning)
    print(f"\n=== FRESH held-out set ({FRESH.name}): {len(fresh)} pairs, "
          f"{sum(p.label for p in fresh)} duplicates; written after round 4, "
          "not used for tuning ===")
    print(f"  targets per language: precision >= {TARGET_PRECISION}, recall >= {TARGET_RECALL}")
    for language in ("en", "de", "all"):
        chosen = [p for p in fresh if language in ("all", p.language)]
        ours = quality(((similarity(p.a, p.b), p.label) for p in chosen), DUPLICATE_THRESHOLD)
        base = quality(((difflib_ratio(p.a, p.b), p.label) for p in chosen), base_t)
        met = ours.precision >= TARGET_PRECISION and ours.recall >= TARGET_RECALL
        verdict = "" if language == "all" else ("   MET" if met else "   NOT MET")
        print(f"  FRESH {language:<4} similarity@{DUPLICATE_THRESHOLD:.2f} {ours.row()}{verdict}")
        print(f"  FRESH {language:<4} difflib@{base_t:.2f}    {base.row()}")


def report_quality(pairs: list[Pair]) -> None:
    scored = {id(p): similarity(p.a, p.b) for p in pairs}
    print(f"Labelled pairs: {len(pairs)} ({sum(p.label for p in pairs)} duplicates)")
    print(f"\nSimilarity at DUPLICATE_THRESHOLD = {DUPLICATE_THRESHOLD}")
    for split in ("tune", "seen", "test", "all"):
        for language in ("en", "de", "all"):
            chosen = [p for p in pairs if split in ("all", p.split)
                      and language in ("all", p.language)]
            q = quality(((scored[id(p)], p.label) for p in chosen), DUPLICATE_THRESHOLD)
            print(f"  {split:<5} {language:<4} {q.row()}")

    print("\nThreshold sweep (similarity)")
    print("  (tune = the tuning splits, tune and seen)")
    print("  thr    tune P  tune R  tune F1   test P  test R  test F1")
    for step in range(11):
        t = round(0.30 + 0.05 * step, 2)
        tune = quality(((scored[id(p)], p.label) for p in pairs
                        if p.split in TUNING_SPLITS), t)
        test = quality(((scored[id(p)], p.label) for p in pairs if p.split == "test"), t)
        print(f"  {t:.2f}   {tune.precision:.3f}   {tune.recall:.3f}   {tune.f1:.3f}"
              f"     {test.precision:.3f}   {test.recall:.3f}   {test.f1:.3f}")
    best, low, high = best_threshold(
        [(scored[id(p)], p.label) for p in pairs if p.split in TUNING_SPLITS])
    print(f"  best tune F1 {best:.3f} for thresholds {low:.2f}..{high:.2f}")

    base = {id(p): difflib_ratio(p.a, p.b) for p in pairs}
    tune_scored = [(base[id(p)], p.label) for p in pairs if p.split in TUNING_SPLITS]
    base_f1, base_low, base_high = best_threshold(tune_scored)
    base_t = round((base_low + base_high) / 2, 2)
    print(f"\nBaseline difflib.SequenceMatcher ratio on lowercased text, threshold {base_t:.2f}"
          f" (best tuning F1 {base_f1:.3f} for {base_low:.2f}..{base_high:.2f})")
    for split in ("tune", "seen", "test", "all"):
        for language in ("en", "de", "all"):
            chosen = [p for p in pairs if split in ("all", p.split)
                      and language in ("all", p.language)]
            q = quality(((base[id(p)], p.label) for p in chosen), base_t)
            print(f"  {split:<5} {language:<4} {q.row()}")

    # The F1-best difflib threshold calls nearly everything a duplicate; also show difflib at
    # the lowest threshold where its tune precision matches ours, to compare recall.
    ours = quality(((scored[id(p)], p.label) for p in pairs if p.split in TUNING_SPLITS),
                   DUPLICATE_THRESHOLD).precision
    grid = [round(0.30 + 0.01 * i, 2) for i in range(70)]
    matched = next((t for t in grid if quality(tune_scored, t).precision >= ours), None)
    if matched is None:
        print(f"  difflib never reaches tune precision {ours:.3f}")
    else:
        print(f"  at {matched:.2f}, the lowest threshold with tune precision >= {ours:.3f}:")
        for split in ("tune", "seen", "test"):
            q = quality(((base[id(p)], p.label) for p in pairs if p.split == split), matched)
            print(f"  {split:<5} all  {q.row()}")


def report_leave_one_out(sets: dict[str, list[Pair]]) -> None:
    """Each tuning file held out in turn: the threshold is the middle of the best-F1 plateau on
    the other files, precision and recall are read on the held-out one. (Only the threshold is
    re-chosen; the rules were written looking at all tuning files except as said in the
    commit messages, so a set's figure is honest only for the rounds that did not see it.)"""
    print("\nLeave one tuning set out (threshold chosen on the others)")
    for held, pairs in sets.items():
        rest = [(similarity(p.a, p.b), p.label) for name, others in sets.items()
                if name != held for p in others]
        _, low, high = best_threshold(rest)
        threshold = round((low + high) / 2, 2)
        rows = []
        for language in ("en", "de"):
            chosen = [p for p in pairs if p.language == language]
            q = quality(((similarity(p.a, p.b), p.label) for p in chosen), threshold)
            rows.append(f"{language} P={q.precision:.3f} R={q.recall:.3f}")
        print(f"  {held:<28} thr {threshold:.2f}   " + "   ".join(rows))


def candidate_texts(pairs: list[Pair], count: int = CANDIDATES) -> list[str]:
    """Realistic-looking open questions: the labelled texts plus templated ones, shuffled."""
    topics_en = ["the new office", "the bonus", "remote work", "the roadmap", "the reorg",
                 "the travel budget", "the hiring plan", "the AI strategy", "the pension plan",
                 "the canteen", "the parking garage", "the VPN", "the laptops",
                 "the summer party", "the ERP migration", "the Munich site", "the Lisbon team",
                 "overtime", "the training budget", "the coffee machine"]
    forms_en = ["When will {} change?", "Why was {} cancelled?", "Who decides about {}?",
                "What happens to {} next year?", "Can we discuss {} in the next all-hands?",
                "Is {} going to be cut?", "How does {} affect part-time staff?",
                "Will {} be announced soon?", "Why is {} delayed again?",
                "What is the status of {} in Q{}?"]
    topics_de = ["das neue Büro", "der Bonus", "das Homeoffice", "die Roadmap",
                 "die Umstrukturierung", "das Reisebudget", "die Einstellungsplanung",
                 "die KI-Strategie", "die Betriebsrente", "die Kantine", "die Tiefgarage",
                 "das VPN", "die Laptops", "das Sommerfest", "die SAP-Migration",
                 "der Standort München", "das Team in Lissabon", "die Überstundenregelung",
                 "das Weiterbildungsbudget", "die Kaffeemaschine"]
    forms_de = ["Wann ändert sich {}?", "Warum wurde {} gestrichen?", "Wer entscheidet über {}?",
                "Was passiert nächstes Jahr mit {}?", "Können wir {} im nächsten Meeting klären?",
                "Wird {} gekürzt?", "Wie wirkt sich {} auf Teilzeitkräfte aus?",
                "Wird {} bald angekündigt?", "Warum verzögert sich {} schon wieder?",
                "Wie ist der Stand von {} in Q{}?"]
    texts = [text for p in pairs for text in (p.a, p.b)]
    for topics, forms in ((topics_en, forms_en), (topics_de, forms_de)):
        for topic, form, n in itertools.product(topics, forms, range(1, 6)):
            texts.append(form.format(topic, n) if "Q{}" in form else
                         form.format(topic) + ("" if n == 1 else f" (#{n})"))
    unique = list(dict.fromkeys(texts))
    random.Random(7).shuffle(unique)
    return unique[:count]


def clear_caches() -> None:
    """Forget every per-text and per-word result, so the next call pays for all of them."""
    for cached in (sim._profile, sim._profile_in, sim._term, sim._stem):
        cached.cache_clear()


def timed(call: Callable[[], object], repeat: int, before: Callable[[], None] | None = None,
          ) -> float:
    times = []
    for _ in range(repeat):
        if before:
            before()
        gc.collect()
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def baseline_find(text: str, candidates: list[tuple[str, str]], threshold: float,
                  ) -> tuple[str, float] | None:
    best: tuple[str, float] | None = None
    lowered = text.lower()
    for candidate_id, candidate in candidates:
        score = difflib.SequenceMatcher(None, lowered, candidate.lower()).ratio()
        if score >= threshold and (best is None or score > best[1]):
            best = (candidate_id, score)
    return best


def report_speed(pairs: list[Pair]) -> None:
    texts = candidate_texts(pairs)
    candidates = [(f"q{i}", text) for i, text in enumerate(texts)]
    queries = ["When will the new office in Munich open?",
               "Wird das Reisebudget nächstes Jahr gekürzt?"]
    similarity("warm up the English stemmer", "Deutschen Stemmer aufwärmen")
    print(f"\nfind_duplicate against {len(candidates)} candidates (median ms per call)")
    for query in queries:
        ours = partial(find_duplicate, query, candidates)
        cold = timed(ours, 9, clear_caches)
        warm = timed(ours, 21)
        base = timed(partial(baseline_find, query, candidates, 0.7), 3)
        print(f"  {query!r}\n    cold caches {cold:6.1f} ms   warm caches {warm:6.1f} ms"
              f"   difflib baseline {base:6.1f} ms")


def main() -> None:
    started = time.perf_counter()
    pairs = load_pairs() + [pair for path in EXTRA for pair in load_pairs(path)] + [
        pair for path in SEEN for pair in load_pairs(path, split="seen")]
    # No fresh question is in the tuning data, alone or in a pair of either order.
    tuning_texts = {p.a for p in pairs} | {p.b for p in pairs}
    assert not {text for p in load_pairs(FRESH) for text in (p.a, p.b)} & tuning_texts
    report_quality(pairs)
    report_leave_one_out({path.name: load_pairs(path) for path in (PAIRS, *EXTRA, *SEEN)})
    if "--no-fresh" not in sys.argv:
        report_fresh(pairs, load_pairs(FRESH))
    report_speed(load_pairs())  # the candidates of earlier runs, so timings compare
    print(f"\n(bench ran {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
