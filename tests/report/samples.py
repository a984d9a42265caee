"""Hand-built engagement summaries, as the summary builder would produce them."""

from __future__ import annotations

from datetime import datetime

from facilitation.disclosure import Withheld
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
    TrendPoint,
)

HELD_ON = datetime(2025, 3, 14, 10, 0)


def german_summary() -> EngagementSummary:
    """A full all-hands meeting in German: every section has something to show."""
    open_question = QuestionSummary("Wann kommt das neue Zeiterfassungssystem?", 9, False)
    return EngagementSummary(
        title="Quartals-All-Hands Vertrieb",
        held_on=HELD_ON,
        reach=Reach(reached=18, attendees=25),
        polls=(
            PollSummary("Wie sollen wir die Teamtage organisieren?", "single", 15,
                        (Count("Vor Ort in Köln", 8), Count("Hybrid", 5),
                         Count("Komplett remote", 2))),
            PollSummary("Wie zufrieden bist du mit dem Onboarding?", "rating", 12,
                        (Count("5", 4), Count("4", 5), Count("3", 3)), average=4.1),
            PollSummary("Soll das Meeting länger dauern?", "single", 2,
                        withheld=Withheld.TOO_FEW),
        ),
        qna=QnaSummary(
            asked=12, answered=7, open=3, dismissed=1, merged=1,
            top=(open_question,
                 QuestionSummary("Gibt es ein Budget für Weiterbildungen?", 6, True),
                 QuestionSummary("Wie verteilen wir die Leads im Sommer?", 4, True)),
            open_items=(open_question,
                        QuestionSummary("Wer betreut künftig die Partnerkunden?", 3, False)),
        ),
        themes=(Count("Budget", 7), Count("Zeiterfassung", 5), Count("Onboarding", 4),
                Count("Urlaub", 3)),
        sentiment=Sentiment(positive=9, neutral=6, negative=3),
        breakouts=BreakoutSummary(
            rounds=1, groups=3, reported=2,
            results=(GroupResult(1, 1, "Kundenbindung", ("Quartalsgespräche einführen",
                                                          "Newsletter auffrischen")),
                     GroupResult(1, 2, None, ("Mehr Austausch mit dem Support",),
                                 note="Wir brauchen dafür ein festes Zeitfenster.")),
        ),
        # Six meetings, the most the report shows: dates kept as ISO days, as gathered.
        trends=(TrendPoint("2024-10-11", 14, 6, 0.45), TrendPoint("2024-11-15", 16, 9, 0.3),
                TrendPoint("2024-12-13", 12, 4, None), TrendPoint("2025-01-14", 15, 8, 0.4),
                TrendPoint("2025-02-11", 17, 10, None), TrendPoint("2025-03-14", 18, 12, 0.5)),
    )


def english_summary() -> EngagementSummary:
    """A full team meeting in English, without a known number of attendees."""
    return EngagementSummary(
        title="Platform team retro",
        held_on=datetime(2025, 6, 3, 15, 30),
        reach=Reach(reached=11),
        polls=(PollSummary("Which topic first?", "multiple", 11,
                           (Count("Deployments", 7), Count("On-call", 6), Count("Docs", 3))),),
        qna=QnaSummary(asked=4, answered=2, open=2,
                       top=(QuestionSummary("Can we pin the base images?", 1, False),),
                       open_items=(QuestionSummary("Can we pin the base images?", 1, False),)),
        themes=(Count("deployments", 4), Count("on-call", 3)),
        sentiment=Sentiment(positive=2, neutral=3, negative=1),
        breakouts=BreakoutSummary(rounds=2, groups=4, reported=4, results=(
            GroupResult(1, 1, "Release cadence", ("Ship every Tuesday",)),
            GroupResult(1, 2, "Alerts", ("Fewer pages at night", "Runbooks for every alert")),
            GroupResult(2, 1, "Docs", ()),
            GroupResult(2, 2, "Testing", ("Contract tests for the API",)),
        )),
        trends=(TrendPoint("2025-05-06", 9, 3, 0.25), TrendPoint("2025-06-03", 11, 4, 0.33)),
    )


def empty_summary() -> EngagementSummary:
    return EngagementSummary(title="Weekly sync", held_on=HELD_ON, reach=Reach(reached=0))
