"""The report page's SVG charts as geometry: pure functions that place bars, segments, lines and
rings and write their figures; `templates/charts.html.j2` draws them (escaped like all text)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.i18n import Language, t
from bot.i18n.formatting import integer, percent

ACCENT = "#4f52b2"
GREEN = "#2f7d4f"
AMBER = "#b7791f"
GREY = "#8a8f98"
RED = "#c2410c"
LILAC = "#9a9ddf"
CHART_WIDTH = 640
BAR_ROW = 46  # height of one bar with its label
BAR_ROOM = CHART_WIDTH - 130  # the track; the figure stands right of it
LABEL_CHARS = 78
LINE_WIDTH, LINE_HEIGHT, LINE_PAD, LINE_TOP, LINE_BOTTOM = 300, 180, 26, 30, 36
RING_RADIUS = 42


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: `label` is plain text, `value` None for a hidden small bucket."""

    label: str
    value: int | None
    color: str = ACCENT


def value_text(value: int | None, total: int | None, language: Language, minimum: int) -> str:
    """A figure as plain text: `12 (48 %)`, or `fewer than 3` for a hidden bucket."""
    if value is None:
        return t("report.count.hidden", language, minimum=minimum)
    if total:
        return f"{integer(value, language)} ({percent(value / total, language)})"
    return integer(value, language)


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _at(value: float) -> str:
    """A coordinate as SVG gets it: one decimal, always with a point."""
    return f"{value:.1f}"


# ---------------------------------------------------------------------------- bars


@dataclass(frozen=True)
class BarRow:
    label: str
    y: int  # the row's top; its label stands there, the bar below it
    figure: str
    width: str | None  # None: no bar (a hidden bucket or zero)
    color: str
    height: int = 18

    @property
    def label_y(self) -> int:
        return self.y + 14

    @property
    def top(self) -> int:
        return self.y + 20

    @property
    def figure_y(self) -> int:
        return self.top + 14


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, a label above each, the figures again as text in the caption."""

    label: str
    height: int
    rows: tuple[BarRow, ...]
    caption: tuple[tuple[str, str], ...]
    width: int = CHART_WIDTH
    room: int = BAR_ROOM


def bar_chart(bars: Sequence[Bar], *, subject: str, total: int | None, language: Language,
              minimum: int) -> BarChart:
    """`total` (if any) is 100 % for the percentages; else the largest bar fills the track."""
    scale = max([total or 0, *(bar.value or 0 for bar in bars)]) or 1
    figures = [value_text(bar.value, total, language, minimum) for bar in bars]
    rows = tuple(
        BarRow(shorten(bar.label), index * BAR_ROW, figure,
               _at(max(BAR_ROOM * bar.value / scale, 3.0)) if bar.value else None, bar.color)
        for index, (bar, figure) in enumerate(zip(bars, figures, strict=True)))
    return BarChart(t("report.chart.bars", language, subject=subject), len(bars) * BAR_ROW, rows,
                    tuple((bar.label, figure) for bar, figure in zip(bars, figures, strict=True)))


# ---------------------------------------------------------------------------- stacked bar


@dataclass(frozen=True)
class Segment:
    x: str
    width: str
    color: str
    inside: str | None  # the percentage, written inside when the segment is wide enough
    middle: str


@dataclass(frozen=True)
class StackedBar:
    """One bar split into parts; the legend gives each part's count and percentage."""

    label: str
    segments: tuple[Segment, ...]
    legend: tuple[tuple[str, str, str], ...]  # colour, label, figure
    width: int = CHART_WIDTH


def stacked_bar(parts: Sequence[Bar], *, subject: str, language: Language,
                minimum: int) -> StackedBar:
    total = sum(part.value or 0 for part in parts) or 1
    x, segments = 0.0, []
    for part in parts:
        width = CHART_WIDTH * (part.value or 0) / total
        if width > 0:
            inside = percent((part.value or 0) / total, language) if width >= 48 else None
            segments.append(Segment(_at(x), _at(width), part.color, inside, _at(x + width / 2)))
        x += width
    legend = tuple((part.color, part.label, value_text(part.value, total, language, minimum))
                   for part in parts)
    return StackedBar(t("report.chart.stacked", language, subject=subject), tuple(segments),
                      legend)


# ---------------------------------------------------------------------------- line chart


@dataclass(frozen=True)
class Dot:
    x: str
    y: str
    label_y: str
    shown: str


@dataclass(frozen=True)
class Mark:
    """What the chart shows at one point of the series: the dot with its figure (None for a
    missing value) and the label under the axis (None where labels would crowd)."""

    dot: Dot | None
    tick: tuple[str, str] | None  # x, label


@dataclass(frozen=True)
class LineChart:
    """A small line chart over a series; a missing value is bridged by a dashed line."""

    label: str
    lines: tuple[tuple[str, str], ...]  # css class, points
    marks: tuple[Mark, ...]
    caption: tuple[tuple[str, str], ...]
    width: int = LINE_WIDTH
    height: int = LINE_HEIGHT
    pad: int = LINE_PAD
    axis_y: int = LINE_HEIGHT - LINE_BOTTOM
    tick_y: int = LINE_HEIGHT - 12


def line_chart(labels: Sequence[str], values: Sequence[float | None], *, subject: str,
               shown: Sequence[str], language: Language, peak: float | None = None) -> LineChart:
    """From zero to `peak` (default: the largest value)."""
    peak = peak or max((value for value in values if value is not None), default=0) or 1
    step = (LINE_WIDTH - 2 * LINE_PAD) / max(len(values) - 1, 1)

    def point(index: int, value: float) -> tuple[float, float]:
        room = LINE_HEIGHT - LINE_TOP - LINE_BOTTOM
        return LINE_PAD + index * step, LINE_TOP + room * (1 - value / peak)

    known = [None if v is None else point(i, v) for i, v in enumerate(values)]
    marks = tuple(
        Mark(None if spot is None else Dot(_at(spot[0]), _at(spot[1]), _at(spot[1] - 11),
                                           shown[index]),
             (_at(LINE_PAD + index * step), shorten(label, 12))
             if len(labels) <= 6 or index in (0, len(labels) - 1) else None)
        for index, (label, spot) in enumerate(zip(labels, known, strict=True)))
    return LineChart(t("report.chart.line", language, subject=subject), _line_runs(known), marks,
                     tuple(zip(labels, shown, strict=True)))


def _line_runs(points: Sequence[tuple[float, float] | None]) -> tuple[tuple[str, str], ...]:
    """A dashed line through all known points, solid where consecutive points are known."""
    def line(run: Sequence[tuple[float, float]], css_class: str) -> tuple[str, str]:
        return css_class, " ".join(f"{_at(x)},{_at(y)}" for x, y in run)

    runs: list[list[tuple[float, float]]] = [[]]
    for spot in points:
        if spot is None:
            runs.append([])
        else:
            runs[-1].append(spot)
    every = [spot for spot in points if spot is not None]
    bridge = [line(every, "bridge")] if len(runs) > 1 and len(every) > 1 else []
    return tuple(bridge + [line(run, "solid") for run in runs if len(run) > 1])


# ---------------------------------------------------------------------------- ring


@dataclass(frozen=True)
class Ring:
    """A progress ring showing one share, with the percentage in its middle."""

    label: str
    filled: str
    circumference: str
    text: str
    radius: int = RING_RADIUS


def ring(share: float, *, label: str, language: Language) -> Ring:
    circumference = 2 * 3.14159265 * RING_RADIUS
    return Ring(label, _at(circumference * share), _at(circumference),
                percent(share, language))
