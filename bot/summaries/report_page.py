"""A meeting's engagement summary as one self-contained, printable HTML page for managers,
rendered from `templates/report.html.j2` with autoescaping on for the whole page: user text
(titles, questions, options, answers, themes, group results) is escaped wherever it lands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from bot.i18n import ENGLISH, Language, known, languages, t
from bot.i18n.formatting import decimal, integer, long_date, percent, short_date
from bot.summaries.charts import (
    ACCENT,
    AMBER,
    GREEN,
    GREY,
    LILAC,
    RED,
    Bar,
    BarChart,
    LineChart,
    Ring,
    StackedBar,
    bar_chart,
    line_chart,
    ring,
    stacked_bar,
    value_text,
)
from bot.summaries.headline import headline
from facilitation.disclosure import Withheld
from facilitation.policy import Policy
from facilitation.summaries import (
    BreakoutSummary,
    Count,
    EngagementSummary,
    GroupResult,
    PollSummary,
    QnaSummary,
    Reach,
    Sentiment,
    TrendPoint,
)

TEMPLATE, STYLESHEET = "report.html.j2", "report.css"


def render_report_page(summary: EngagementSummary, *, language: Language,
                       policy: Policy) -> str:
    """The engagement summary of one meeting as a complete, self-contained HTML5 page (its
    stylesheet inlined, nothing fetched from anywhere), its figures as `policy` allows."""
    page = Page(language, policy)
    return _environment().get_template(TEMPLATE).render(
        summary=summary, page=page, t=page.t, language=language, minimum=page.minimum,
        style=_stylesheet())


def render_not_found_page() -> str:
    """The page for an unknown or expired report link, in every language (nothing tells whose
    link it was, so nothing tells its language either)."""
    return _environment().get_template("not_found.html.j2").render(
        language=ENGLISH, texts=[t("report.not_found", language) for language in languages()])


@cache
def _environment() -> Environment:
    # autoescape=True for every template: no file name decides whether text is escaped.
    return Environment(loader=PackageLoader("bot.summaries", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


@cache
def _stylesheet() -> Markup:
    """templates/report.css as it is (read through the loader, never run as a template)."""
    environment = _environment()
    assert environment.loader is not None
    source, _, _ = environment.loader.get_source(environment, STYLESHEET)
    return Markup(source)


@dataclass(frozen=True)
class Page:
    """What the template asks for: texts in the page's language and the charts' geometry.
    Everything it returns is plain text or plain data; the template escapes it."""

    language: Language
    policy: Policy  # what the figures may show

    @property
    def minimum(self) -> int:
        """The smallest group whose figure is shown."""
        return self.policy.min_group

    def t(self, key: str, **params: Any) -> str:
        return t(key, self.language, **params)

    def integer(self, value: int) -> str:
        return integer(value, self.language)

    def held_on(self, moment: datetime) -> str:
        return self.t("report.page.held_on", date=long_date(moment, self.language))

    def headline(self, summary: EngagementSummary) -> str:
        return headline(summary, self.language)

    def more_answers(self, poll: PollSummary) -> str | None:
        """"and 8 more answers" below an open-text poll's answer groups, when there are more."""
        return self.t("summary.more_answers", count=poll.more) if poll.more else None

    def reach_line(self, reach: Reach) -> str:
        if reach.share is None or reach.attendees is None:
            return self.t("report.reach.only", reached=reach.reached)
        return self.t("report.reach.of", reached=reach.reached, attendees=reach.attendees,
                      percent=percent(reach.share, self.language))

    def reach_ring(self, reach: Reach) -> Ring | None:
        if reach.share is None:
            return None
        label = self.t("report.reach.chart", percent=percent(reach.share, self.language))
        return ring(reach.share, label=label, language=self.language)

    def poll_kind(self, poll: PollSummary) -> str | None:
        key = f"form.kind.{poll.kind}"
        return self.t(key) if known(key) else None

    def withheld(self, poll: PollSummary) -> str | None:
        """Why only the poll's turnout is shown, or None when its results are."""
        if poll.withheld is Withheld.UNTIL_CLOSED:
            return self.t("report.polls.until_closed")
        if poll.withheld is not None:
            return self.t("report.polls.withheld", minimum=self.minimum)
        return None

    def average(self, poll: PollSummary) -> str | None:
        if poll.average is None:
            return None
        return self.t("report.polls.average", average=decimal(poll.average, self.language))

    def poll_chart(self, poll: PollSummary) -> BarChart:
        bars = [Bar(count.label, count.value) for count in poll.results]
        return bar_chart(bars, subject=poll.question, total=poll.ballots or None,
                         language=self.language, minimum=self.minimum)

    def qna_chart(self, qna: QnaSummary) -> BarChart:
        figures = (("asked", qna.asked, ACCENT), ("answered", qna.answered, GREEN),
                   ("open", qna.open, AMBER), ("dismissed", qna.dismissed, GREY),
                   ("merged", qna.merged, LILAC))
        bars = [Bar(self.t(f"report.qna.{name}"), value, color)
                for name, value, color in figures]
        return bar_chart(bars, subject=self.t("report.qna.chart"), total=None,
                         language=self.language, minimum=self.minimum)

    def themes(self, themes: Sequence[Count]) -> list[tuple[str, str, str]]:
        """(label, font size, figure) per theme: the most frequent theme is written largest."""
        peak = max((theme.value or 0 for theme in themes), default=0) or 1
        return [(theme.label, f"{0.95 + 0.75 * (theme.value or 0) / peak:.2f}",
                 value_text(theme.value, None, self.language, self.minimum))
                for theme in themes]

    def sentiment_chart(self, sentiment: Sentiment) -> StackedBar:
        """Positive, neutral and negative as one stacked bar, each with its count."""
        moods = (("positive", sentiment.positive, GREEN), ("neutral", sentiment.neutral, GREY),
                 ("negative", sentiment.negative, RED))
        parts = [Bar(self.t(f"report.sentiment.{mood}"), value, color)
                 for mood, value, color in moods]
        return stacked_bar(parts, subject=self.t("report.sentiment.title"),
                           language=self.language, minimum=self.minimum)

    def groups(self, breakouts: BreakoutSummary) -> list[GroupResult]:
        return sorted(breakouts.results, key=lambda result: (result.round, result.group))

    def trend_charts(self, points: Sequence[TrendPoint]) -> list[tuple[str, LineChart]]:
        """(subject, chart) for people reached, questions and the positive share."""
        labels = [_axis_date(point.label, self.language) for point in points]
        shares = [point.positive_share for point in points]
        series: list[tuple[str, list[float | None], list[str], float | None]] = [
            ("reached", [p.reached for p in points], [self.integer(p.reached) for p in points],
             None),
            ("questions", [p.questions for p in points],
             [self.integer(p.questions) for p in points], None),
            ("positive", [None if s is None else s * 100 for s in shares],
             [self.t("report.trends.no_value") if s is None else percent(s, self.language)
              for s in shares], 100),
        ]
        charts = []
        for key, values, shown, peak in series:
            subject = self.t(f"report.trends.{key}")
            charts.append((subject, line_chart(labels, values, subject=subject, shown=shown,
                                               language=self.language, peak=peak)))
        return charts


def _axis_date(label: str, language: Language) -> str:
    """A trend point's day (kept as an ISO date) as the reader writes it, short enough for the
    axis: 11/25 in English, 25.11. in German."""
    try:
        return short_date(date.fromisoformat(label), language)
    except ValueError:
        return label
