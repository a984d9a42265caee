"""What a kept summary holds once the retention period has passed (aggregates_only)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from bot.summaries.gathering import summary_from_json, summary_to_json
from facilitation.summaries import (
    BreakoutSummary,
    Count,
    EngagementSummary,
    GroupResult,
    PollSummary,
    QnaSummary,
    QuestionSummary,
    Reach,
    Sentiment,
    aggregates_only,
)

TYPED = ["1:1 with Ottilie", "Which vendor?", "Acme", "Globex", "Mood in one word?",
         "exhausted", "Why was Ottilie's team cut?", "Pricing", "Ask Ottilie first", "see notes"]


def full_summary() -> EngagementSummary:
    return EngagementSummary(
        TYPED[0], datetime(2025, 3, 14, tzinfo=UTC), Reach(9, 11),
        polls=(PollSummary(TYPED[1], "single", 7, (Count(TYPED[2], 4), Count(TYPED[3], 3))),
               PollSummary(TYPED[4], "text", 5, (Count(TYPED[5], 3), Count("other", 2, True))),
               PollSummary("Rate it", "rating", 6, tuple(Count(str(i), 1 + i % 2)
                                                         for i in range(1, 6)), 3.2)),
        qna=QnaSummary(4, 1, 3, top=(QuestionSummary(TYPED[6], 5, False),),
                       open_items=(QuestionSummary(TYPED[6], 5, False),)),
        themes=(Count("budget", 3),), sentiment=Sentiment(1, 2, 3),
        breakouts=BreakoutSummary(1, 2, 1, (GroupResult(1, 1, TYPED[7], (TYPED[8],),
                                                        TYPED[9]),)),
        min_group=3)


def test_only_figures_remain_and_no_typed_text():
    kept = aggregates_only(full_summary())
    dumped = repr(asdict(kept))
    assert [text for text in TYPED if text in dumped] == []
    assert kept.texts_removed and kept.title == ""
    choice, text, rating = kept.polls
    assert [(c.label, c.value) for c in choice.results] == [("#1", 4), ("#2", 3)]
    assert choice.ballots == 7 and text.ballots == 5 and text.results == ()
    assert rating.results == full_summary().polls[2].results and rating.average == 3.2
    assert (kept.qna.asked, kept.qna.answered, kept.qna.open) == (4, 1, 3)
    assert kept.qna.top == () and kept.qna.open_items == ()
    assert kept.themes == (Count("budget", 3),) and kept.sentiment == Sentiment(1, 2, 3)
    assert (kept.breakouts.rounds, kept.breakouts.groups, kept.breakouts.reported) == (1, 2, 1)
    assert kept.breakouts.results == () and kept.reach == Reach(9, 11)


def test_the_reduced_form_is_kept_and_loaded_as_such():
    kept = aggregates_only(full_summary())
    assert summary_from_json(summary_to_json(kept)) == kept
    assert aggregates_only(kept) == kept
    assert not summary_from_json(summary_to_json(full_summary())).texts_removed
