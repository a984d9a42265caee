"""A meeting's engagement summary as one self-contained, printable HTML page for managers."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.i18n import Language, known, t
from facilitation.summaries import (
    MIN_GROUP,
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
    fold_small,
)

MONTHS: dict[Language, tuple[str, ...]] = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
           "September", "Oktober", "November", "Dezember"),
}

ACCENT = "#4f52b2"
GREEN = "#2f7d4f"
AMBER = "#b7791f"
GREY = "#8a8f98"
RED = "#c2410c"
LILAC = "#9a9ddf"
CHART_WIDTH = 640
BAR_ROW = 46  # height of one bar with its label
LABEL_CHARS = 78


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: `label` is plain text, `value` None for a hidden small bucket."""

    label: str
    value: int | None
    color: str = ACCENT


# --- text helpers -------------------------------------------------------------------------


def _e(text: str) -> str:
    """User text made safe for HTML element content and attribute values."""
    return html.escape(text, quote=True)


def _plain(key: str, language: Language, **params: object) -> str:
    """A page string as plain text, `{placeholders}` filled in (singular forms as in t())."""
    return t(f"report.{key}", language, **params)


def _say(key: str, language: Language, **params: object) -> str:
    """A page string as safe HTML (the filled-in `params` are escaped too)."""
    return _e(_plain(key, language, **params))




def _number(value: float, language: Language, digits: int = 1) -> str:
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if language == "de" else text


def _percent(share: float) -> str:
    return f"{round(share * 100)}\u00a0%"


def _date(moment: datetime, language: Language) -> str:
    month = MONTHS[language][moment.month - 1]
    if language == "de":
        return f"{moment.day}. {month} {moment.year}"
    return f"{moment.day} {month} {moment.year}"


def _shorten(text: str, limit: int = LABEL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _value_text(value: int | None, total: int | None, language: Language) -> str:
    """A figure as plain text: `12 (48 %)`, or `fewer than 3` for a hidden bucket."""
    if value is None:
        return _plain("count.hidden", language, minimum=MIN_GROUP)
    if total:
        return f"{value} ({_percent(value / total)})"
    return str(value)


# --- charts ------------------------------------------------------------------------------


def _svg(width: int, height: int, label: str, body: str, css_class: str) -> str:
    """An accessible inline SVG: role img, an aria-label and a <title> (plain-text label)."""
    return (f'<svg class="{css_class}" role="img" aria-label="{_e(label)}" '
            f'viewBox="0 0 {width} {height}" '
            f'preserveAspectRatio="xMinYMin meet"><title>{_e(label)}</title>{body}</svg>')


def _figure(svg: str, caption: str) -> str:
    """A chart with its figures as plain text beside it (caption is safe HTML)."""
    return f'<figure class="chart">{svg}<figcaption>{caption}</figcaption></figure>'


def _figures_text(items: Iterable[tuple[str, str]]) -> str:
    """`label: figure · label: figure` as safe HTML."""
    return " · ".join(f"{_e(label)}: <strong>{_e(figure)}</strong>" for label, figure in items)


def _bar_chart(bars: Sequence[Bar], *, subject: str, total: int | None,
               language: Language) -> str:
    """Horizontal bars, a label above each; `total` (if any) is 100 % for the percentages."""
    scale = max([total or 0, *(bar.value or 0 for bar in bars)]) or 1
    rows = "".join(_bar_row(bar, index * BAR_ROW, _value_text(bar.value, total, language), scale)
                   for index, bar in enumerate(bars))
    svg = _svg(CHART_WIDTH, len(bars) * BAR_ROW,
               _plain("chart.bars", language, subject=subject), rows, "bars")
    caption = _figures_text((bar.label, _value_text(bar.value, total, language)) for bar in bars)
    return _figure(svg, caption)


def _bar_row(bar: Bar, y: int, figure: str, scale: int) -> str:
    """One bar: its label above, a track, the bar (none for a hidden bucket), the figure."""
    room, top, height = CHART_WIDTH - 130, y + 20, 18
    row = (f'<text class="label" x="0" y="{y + 14}">{_e(_shorten(bar.label))}</text>'
           f'<rect class="track" x="0" y="{top}" width="{room}" height="{height}" rx="3"/>')
    if bar.value:
        width = max(room * bar.value / scale, 3.0)
        row += (f'<rect x="0" y="{top}" width="{width:.1f}" height="{height}" rx="3" '
                f'fill="{bar.color}"/>')
    return row + f'<text class="value" x="{room + 8}" y="{top + 14}">{_e(figure)}</text>'


def _stacked_bar(parts: Sequence[Bar], *, subject: str, language: Language) -> str:
    """One bar split into parts, each with its count and percentage in a legend."""
    total = sum(part.value or 0 for part in parts) or 1
    x, segments = 0.0, []
    for part in parts:
        width = CHART_WIDTH * (part.value or 0) / total
        if width > 0:
            segments.append(f'<rect x="{x:.1f}" y="0" width="{width:.1f}" height="36" '
                            f'fill="{part.color}"/>')
            if width >= 48:
                segments.append(f'<text class="inside" x="{x + width / 2:.1f}" y="23">'
                                f'{_e(_percent((part.value or 0) / total))}</text>')
        x += width
    svg = _svg(CHART_WIDTH, 36, _plain("chart.stacked", language, subject=subject),
               "".join(segments), "stacked")
    legend = "".join(
        f'<li><span class="swatch" style="background:{part.color}"></span>{_e(part.label)}: '
        f'<strong>{_e(_value_text(part.value, total, language))}</strong></li>'
        for part in parts)
    return (f'<figure class="chart">{svg}<figcaption><ul class="legend">{legend}</ul>'
            f'</figcaption></figure>')


def _line_chart(labels: Sequence[str], values: Sequence[float | None], *, subject: str,
                shown: Sequence[str], language: Language, peak: float | None = None) -> str:
    """A small line chart over the series from zero to `peak` (default: the largest value);
    a missing value is bridged by a dashed line."""
    width, height, pad, top, bottom = 300, 180, 26, 30, 36
    peak = peak or max((value for value in values if value is not None), default=0) or 1
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def point(index: int, value: float) -> tuple[float, float]:
        return pad + index * step, top + (height - top - bottom) * (1 - value / peak)

    known = [None if v is None else point(i, v) for i, v in enumerate(values)]
    parts = [f'<line class="axis" x1="{pad}" y1="{height - bottom}" x2="{width - pad}" '
             f'y2="{height - bottom}"/>', *_line_segments(known)]
    for index, label in enumerate(labels):
        spot = known[index]
        if spot is not None:
            parts.append(f'<circle cx="{spot[0]:.1f}" cy="{spot[1]:.1f}" r="5"/>'
                         f'<text class="value" x="{spot[0]:.1f}" y="{spot[1] - 11:.1f}">'
                         f'{_e(shown[index])}</text>')
        if len(labels) <= 6 or index in (0, len(labels) - 1):
            parts.append(f'<text class="tick" x="{pad + index * step:.1f}" y="{height - 12}">'
                         f'{_e(_shorten(label, 12))}</text>')
    svg = _svg(width, height, _plain("chart.line", language, subject=subject), "".join(parts),
               "line")
    return _figure(svg, _figures_text(zip(labels, shown, strict=True)))


def _line_segments(points: Sequence[tuple[float, float] | None]) -> list[str]:
    """A dashed line through all known points, solid where consecutive points are known."""
    def line(run: Sequence[tuple[float, float]], css_class: str) -> str:
        coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
        return f'<polyline class="{css_class}" points="{coordinates}"/>'

    runs: list[list[tuple[float, float]]] = [[]]
    for spot in points:
        if spot is None:
            runs.append([])
        else:
            runs[-1].append(spot)
    every = [spot for spot in points if spot is not None]
    bridge = [line(every, "bridge")] if len(runs) > 1 and len(every) > 1 else []
    return bridge + [line(run, "solid") for run in runs if len(run) > 1]


def _ring(share: float, *, label: str) -> str:
    """A progress ring showing one share, with the percentage in its middle."""
    radius, circumference = 42, 2 * 3.14159265 * 42
    filled = circumference * share
    body = (f'<circle class="ring-track" cx="50" cy="50" r="{radius}"/>'
            f'<circle class="ring-fill" cx="50" cy="50" r="{radius}" '
            f'stroke-dasharray="{filled:.1f} {circumference:.1f}" '
            f'transform="rotate(-90 50 50)"/>'
            f'<text class="ring-text" x="50" y="57">{_e(_percent(share))}</text>')
    return _svg(100, 100, label, body, "ring")


# --- sections -----------------------------------------------------------------------------


def _section(section_id: str, title: str, body: str) -> str:
    """A report section (title is safe HTML)."""
    return (f'<section id="{section_id}" class="card" aria-labelledby="{section_id}-title">'
            f'<h2 id="{section_id}-title">{title}</h2>{body}</section>')


def _reach_line(reach: Reach, language: Language) -> str:
    if reach.share is None or reach.attendees is None:
        return _say("reach.only", language, reached=reach.reached)
    return _say("reach.of", language, reached=reach.reached, attendees=reach.attendees,
                percent=_percent(reach.share))


def _header(summary: EngagementSummary, language: Language) -> str:
    date = _say("page.held_on", language, date=_date(summary.held_on, language))
    reach = ring = ""
    if not summary.is_empty:
        reach = f'<p class="reach">{_reach_line(summary.reach, language)}</p>'
    if not summary.is_empty and summary.reach.share is not None:
        share = summary.reach.share
        ring = _ring(share, label=_plain("reach.chart", language, percent=_percent(share)))
    return (f'<header class="report-header"><div class="heading">'
            f'<p class="kicker">{_say("page.heading", language)}</p>'
            f'<h1>{_e(summary.title)}</h1><p class="date">{date}</p>{reach}</div>{ring}'
            f'</header>')


def _poll_kind(kind: str, language: Language) -> str:
    key = f"form.kind.{kind}"
    return f'<span class="tag">{_e(t(key, language))}</span>' if known(key) else ""


def _poll(poll: PollSummary, language: Language) -> str:
    head = (f'<h3>{_e(poll.question)}</h3><p class="meta">{_poll_kind(poll.kind, language)} '
            f'{_say("polls.ballots", language, ballots=poll.ballots)}</p>')
    if poll.withheld:
        body = f'<p class="withheld">{_say("polls.withheld", language, minimum=MIN_GROUP)}</p>'
    else:
        body = _poll_results(poll, language)
    return f'<article class="poll">{head}{body}</article>'


def _poll_results(poll: PollSummary, language: Language) -> str:
    parts = []
    if poll.average is not None:
        average = _number(poll.average, language)
        parts.append(f'<p class="average">{_say("polls.average", language, average=average)}'
                     f'</p>')
    if poll.results:
        bars = [Bar(count.label, count.value) for count in poll.results]
        parts.append(_bar_chart(bars, subject=poll.question, total=poll.ballots or None,
                                language=language))
    if not parts:
        parts.append(f'<p class="muted">{_say("polls.no_results", language)}</p>')
    return "".join(parts)


def _polls(polls: Sequence[PollSummary], language: Language) -> str:
    body = "".join(_poll(poll, language) for poll in polls)
    return _section("polls", _say("polls.title", language), body)


def _qna_bars(qna: QnaSummary, language: Language) -> list[Bar]:
    figures = (("asked", qna.asked, ACCENT), ("answered", qna.answered, GREEN),
               ("open", qna.open, AMBER), ("dismissed", qna.dismissed, GREY),
               ("merged", qna.merged, LILAC))
    return [Bar(_plain(f"qna.{name}", language), value, color)
            for name, value, color in figures]


def _question_list(questions: Sequence[QuestionSummary], language: Language,
                   css_class: str) -> str:
    items = []
    for question in questions:
        status = "answered" if question.answered else "open"
        items.append(f'<li><span class="votes">{_say("qna.votes", language, votes=question.votes)}'
                     f'</span><span class="text">{_e(question.text)}</span>'
                     f'<span class="status {status}">{_say(f"qna.{status}", language)}</span>'
                     f'</li>')
    return f'<ol class="questions {css_class}">{"".join(items)}</ol>'


def _qna(qna: QnaSummary, language: Language) -> str:
    if not qna.asked:
        return _section("qna", _say("qna.title", language),
                        f'<p class="muted">{_say("qna.none", language)}</p>')
    parts = [_bar_chart(_qna_bars(qna, language), subject=_plain("qna.chart", language),
                        total=None, language=language)]
    if qna.top:
        parts.append(f'<h3>{_say("qna.top", language)}</h3>'
                     f'{_question_list(qna.top, language, "top")}')
    if qna.open_items:
        parts.append(f'<div class="follow-up"><h3>{_say("qna.follow_up", language)}</h3>'
                     f'{_question_list(qna.open_items, language, "open-items")}</div>')
    return _section("qna", _say("qna.title", language), "".join(parts))


def _themes(themes: Sequence[Count], language: Language) -> str:
    peak = max((theme.value or 0 for theme in themes), default=0) or 1
    items = []
    for theme in themes:
        size = 0.95 + 0.75 * (theme.value or 0) / peak
        figure = _value_text(theme.value, None, language)
        items.append(f'<li style="font-size:{size:.2f}em">{_e(theme.label)} '
                     f'<span class="count">{_e(figure)}</span></li>')
    body = (f'<p class="muted">{_say("themes.intro", language)}</p>'
            f'<ul class="tags">{"".join(items)}</ul>')
    return _section("themes", _say("themes.title", language), body)


def _sentiment(sentiment: Sentiment, language: Language) -> str:
    """Moods as a stacked bar; a mood of 1 or 2 texts is folded into "other" (then as bars)."""
    labels = (_plain("sentiment.positive", language), _plain("sentiment.neutral", language),
              _plain("sentiment.negative", language))
    counts = (Count(labels[0], sentiment.positive), Count(labels[1], sentiment.neutral),
              Count(labels[2], sentiment.negative))
    folded = fold_small(counts, other=t("summary.other", language))
    title = _plain("sentiment.title", language)
    intro = f'<p class="muted">{_say("sentiment.intro", language, total=sentiment.total)}</p>'
    if folded == counts:
        colours = dict(zip(labels, (GREEN, GREY, RED), strict=True))
        parts = [Bar(c.label, c.value, colours[c.label]) for c in counts]
        chart = _stacked_bar(parts, subject=title, language=language)
    else:
        chart = _bar_chart([Bar(c.label, c.value) for c in folded], subject=title,
                           total=sentiment.total, language=language)
    return _section("sentiment", _e(title), intro + chart)


def _group(result: GroupResult, language: Language) -> str:
    topic = (_e(result.topic) if result.topic
             else f'<span class="muted">{_say("breakouts.no_topic", language)}</span>')
    points = "".join(f"<li>{_e(point)}</li>" for point in result.points)
    body = (f'<ul class="points">{points}</ul>' if points
            else f'<p class="muted">{_say("breakouts.no_points", language)}</p>')
    note = f'<p class="note">{_e(result.note)}</p>' if result.note.strip() else ""
    label = _say("breakouts.group", language, round=result.round, group=result.group)
    return (f'<article class="group"><p class="kicker">{label}</p><h3>{topic}</h3>{body}{note}'
            f'</article>')


def _stat(label: str, value: str) -> str:
    """A key figure tile (both arguments are safe HTML)."""
    return f'<div class="stat"><span class="figure">{value}</span><span>{label}</span></div>'


def _breakouts(breakouts: BreakoutSummary, language: Language) -> str:
    stats = (_stat(_say("breakouts.rounds", language), str(breakouts.rounds))
             + _stat(_say("breakouts.groups", language), str(breakouts.groups))
             + _stat(_say("breakouts.reported", language),
                     f"{breakouts.reported}&thinsp;/&thinsp;{breakouts.groups}"))
    ordered = sorted(breakouts.results, key=lambda result: (result.round, result.group))
    groups = "".join(_group(result, language) for result in ordered)
    if not groups:
        groups = f'<p class="muted">{_say("breakouts.no_results", language)}</p>'
    body = f'<div class="stats">{stats}</div><div class="groups">{groups}</div>'
    return _section("breakouts", _say("breakouts.title", language), body)


def _trends(points: Sequence[TrendPoint], language: Language) -> str:
    labels = [point.label for point in points]
    shares = [point.positive_share for point in points]
    charts = [
        _trend_chart("trends.reached", labels, [p.reached for p in points],
                     [str(p.reached) for p in points], language),
        _trend_chart("trends.questions", labels, [p.questions for p in points],
                     [str(p.questions) for p in points], language),
        _trend_chart("trends.positive", labels,
                     [None if s is None else s * 100 for s in shares],
                     [_plain("trends.no_value", language) if s is None else _percent(s)
                      for s in shares], language, peak=100),
    ]
    body = f'<div class="trend-grid">{"".join(charts)}</div>'
    return _section("trends", _say("trends.title", language), body)


def _trend_chart(key: str, labels: Sequence[str], values: Sequence[float | None],
                 shown: Sequence[str], language: Language, peak: float | None = None) -> str:
    subject = _plain(key, language)
    chart = _line_chart(labels, values, subject=subject, shown=shown, language=language,
                        peak=peak)
    return f'<div class="trend"><h3>{_e(subject)}</h3>{chart}</div>'


def _privacy(language: Language) -> str:
    keys = ("aggregates", "no_person", "small_groups", "anonymous", "names", "tone")
    items = "".join(f'<li>{_say(f"privacy.{key}", language, minimum=MIN_GROUP)}</li>'
                    if key == "small_groups" else f'<li>{_say(f"privacy.{key}", language)}</li>'
                    for key in keys)
    return (f'<aside id="privacy" class="card privacy" aria-labelledby="privacy-title">'
            f'<h2 id="privacy-title">{_say("privacy.title", language)}</h2>'
            f'<ul>{items}</ul></aside>')


def _empty(language: Language) -> str:
    return _section("empty", _say("empty.title", language),
                    f'<p>{_say("empty.body", language)}</p>')


def _sections(summary: EngagementSummary, language: Language) -> list[str]:
    """The content sections that have something to show."""
    if summary.is_empty:
        return [_empty(language)]
    sections = []
    if summary.polls:
        sections.append(_polls(summary.polls, language))
    if summary.qna.asked or summary.qna.top:
        sections.append(_qna(summary.qna, language))
    if summary.themes:
        sections.append(_themes(summary.themes, language))
    if summary.sentiment.total:
        sections.append(_sentiment(summary.sentiment, language))
    if summary.breakouts.rounds:
        sections.append(_breakouts(summary.breakouts, language))
    if len(summary.trends) >= 2:
        sections.append(_trends(summary.trends, language))
    return sections


# --- the page -----------------------------------------------------------------------------

STYLE = """
:root { --accent: #4f52b2; --ink: #1f2330; --muted: #5c6270; --line: #dfe1ea;
  --soft: #f4f5fb; --paper: #ffffff; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--soft); color: var(--ink);
  font: 15px/1.5 "Segoe UI", system-ui, -apple-system, "Helvetica Neue", Arial,
  "DejaVu Sans", sans-serif; }
main { max-width: 880px; margin: 0 auto; padding: 32px 20px 40px; }
h1 { font-size: 1.9em; line-height: 1.2; margin: 0.1em 0 0.2em; overflow-wrap: anywhere; }
h2 { font-size: 1.25em; margin: 0 0 0.8em; padding-bottom: 0.4em;
  border-bottom: 2px solid var(--line); }
h3 { font-size: 1.02em; margin: 1.1em 0 0.35em; overflow-wrap: anywhere; }
p { margin: 0.3em 0; }
.muted { color: var(--muted); }
.kicker { text-transform: uppercase; letter-spacing: 0.08em; font-size: 0.75em;
  font-weight: 600; color: var(--accent); margin: 0; }
.report-header { display: flex; align-items: center; justify-content: space-between;
  gap: 24px; background: var(--paper); border-top: 6px solid var(--accent);
  border-radius: 10px; padding: 24px 28px; margin-bottom: 20px;
  box-shadow: 0 1px 3px rgba(31, 35, 48, 0.08); }
.report-header .date { color: var(--muted); }
.report-header .reach { font-size: 1.1em; font-weight: 600; margin-top: 0.6em; }
svg.ring { width: 112px; height: 112px; flex: none; }
.ring-track { fill: none; stroke: var(--line); stroke-width: 11; }
.ring-fill { fill: none; stroke: var(--accent); stroke-width: 11; stroke-linecap: round; }
.ring-text { font-size: 20px; font-weight: 700; text-anchor: middle; fill: var(--ink); }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 10px;
  padding: 22px 28px; margin-bottom: 20px; box-shadow: 0 1px 3px rgba(31, 35, 48, 0.06); }
.poll + .poll { border-top: 1px solid var(--line); margin-top: 18px; padding-top: 4px; }
.poll h3 { margin-top: 0.6em; }
.meta { color: var(--muted); font-size: 0.9em; margin-bottom: 0.6em; }
.tag { display: inline-block; border: 1px solid var(--line); border-radius: 999px;
  padding: 0 8px; margin-right: 6px; font-size: 0.9em; }
.average { font-weight: 600; }
.withheld { border-left: 4px solid #b7791f; background: #fdf7ec; padding: 8px 12px;
  border-radius: 4px; }
figure.chart { margin: 10px 0 6px; }
figure.chart svg { display: block; width: 100%; height: auto; overflow: visible; }
figcaption { font-size: 0.82em; color: var(--muted); margin-top: 6px; }
svg text { font-size: 13px; fill: var(--ink); }
svg .label { font-weight: 600; }
svg .value { fill: var(--muted); }
svg .track { fill: #eef0f6; }
svg .inside { fill: #ffffff; font-weight: 700; text-anchor: middle; }
svg.line polyline { fill: none; stroke: var(--accent); stroke-width: 3; }
svg.line polyline.bridge { stroke-width: 2; stroke-dasharray: 5 5; opacity: 0.6; }
svg.line circle { fill: var(--accent); }
svg.line .value { text-anchor: middle; font-size: 15px; fill: var(--ink); font-weight: 700; }
svg.line .tick { text-anchor: middle; font-size: 14px; fill: var(--muted); }
svg.line .axis { stroke: var(--line); stroke-width: 1; }
ol.questions { list-style: none; padding: 0; margin: 0; }
ol.questions li { display: flex; align-items: baseline; gap: 12px; padding: 7px 0;
  border-bottom: 1px solid var(--line); }
ol.questions li:last-child { border-bottom: none; }
ol.questions .votes { flex: none; min-width: 6.5em; font-weight: 600; color: var(--accent); }
ol.questions .text { flex: 1; overflow-wrap: anywhere; }
.status { flex: none; font-size: 0.8em; border-radius: 999px; padding: 1px 9px; }
.status.answered { background: #e6f3ec; color: #1e5c38; }
.status.open { background: #fdf1dc; color: #7a4d0b; }
.follow-up { border-left: 4px solid #b7791f; padding-left: 14px; margin-top: 16px; }
.follow-up h3 { margin-top: 0.4em; }
ul.tags { list-style: none; padding: 0; margin: 10px 0 0; display: flex; flex-wrap: wrap;
  gap: 8px 10px; align-items: baseline; }
ul.tags li { background: #eef0fa; color: #2d3080; border-radius: 999px; padding: 2px 12px;
  overflow-wrap: anywhere; }
ul.tags .count { font-size: 0.7em; font-weight: 700; color: var(--muted); margin-left: 2px; }
ul.legend { list-style: none; padding: 0; margin: 4px 0 0; display: flex; flex-wrap: wrap;
  gap: 4px 20px; font-size: 1.15em; color: var(--ink); }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px;
  margin-right: 6px; }
.stats { display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 8px; }
.stat { flex: 1; min-width: 140px; background: var(--soft); border-radius: 8px;
  padding: 10px 14px; color: var(--muted); font-size: 0.9em; }
.stat .figure { display: block; font-size: 1.6em; font-weight: 700; color: var(--ink); }
.groups { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr));
  gap: 12px; margin-top: 12px; }
.group { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.group h3 { margin-top: 0.2em; }
.points { margin: 0.3em 0; padding-left: 1.2em; }
.points li { overflow-wrap: anywhere; }
.note { font-style: italic; color: var(--muted); overflow-wrap: anywhere; }
.trend-grid { display: grid; grid-template-columns: repeat(3, 1fr); gap: 16px; }
.trend h3 { margin-top: 0; font-size: 0.95em; }
.privacy { background: #f7f8fc; border-left: 6px solid var(--accent); }
.privacy ul { margin: 0; padding-left: 1.2em; }
.privacy li { margin: 0.25em 0; }
footer { color: var(--muted); font-size: 0.8em; text-align: center; margin-top: 8px; }
@media (max-width: 640px) {
  .trend-grid { grid-template-columns: 1fr; }
  .report-header { flex-direction: column; align-items: flex-start; }
}
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { background: #ffffff; font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  .report-header, .card { box-shadow: none; border: 1px solid #c9ccd6; border-radius: 0;
    background: #ffffff; padding: 12px 16px; margin-bottom: 12px; }
  .report-header { border-top: 4px solid var(--accent); }
  .card, .poll, .group, figure.chart, .follow-up, .trend, .stat { break-inside: avoid;
    page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  .stat, ul.tags li, .withheld, .privacy { background: #ffffff; border: 1px solid #c9ccd6; }
  svg, .swatch, .status { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .trend-grid { grid-template-columns: repeat(3, 1fr); }
}
"""


def render_report_page(summary: EngagementSummary, *, language: Language) -> str:
    """The engagement summary of one meeting as a complete, self-contained HTML5 page."""
    title = f"{_plain('page.heading', language)}: {summary.title}"
    body = "".join(_sections(summary, language)) + _privacy(language)
    return (
        f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" '
        f'content="default-src \'none\'; style-src \'unsafe-inline\'">\n'
        f'<meta name="referrer" content="no-referrer">\n'
        f'<title>{_e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n'
        f'{_header(summary, language)}\n{body}\n'
        f'<footer>{_say("page.footer", language)}</footer>\n</main>\n</body>\n</html>\n')
