"""The one line a manager reads first: "8 people · 5 polls · 3 questions · 2 breakout groups"."""

from __future__ import annotations

from bot.i18n import Language, t
from facilitation.summaries import EngagementSummary


def headline(summary: EngagementSummary, language: Language) -> str:
    """People reached, then polls, questions and breakout groups where there were any."""
    figures = [("people", summary.reach.reached), ("polls", len(summary.polls)),
               ("questions", summary.qna.asked), ("groups", summary.breakouts.groups)]
    return " · ".join(t(f"summary.headline.{name}", language, count=count)
                      for name, count in figures if count or name == "people")
