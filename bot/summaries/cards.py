"""The engagement summary card: aggregates only, charts with plain-text fallbacks."""

from __future__ import annotations

import json
from typing import Any

from bot.cards.elements import (
    Element,
    caption,
    card,
    container,
    execute,
    heading,
    literal,
    text,
)
from bot.i18n import Language, t
from bot.i18n.formatting import decimal, integer, percent
from bot.summaries.headline import headline
from facilitation.disclosure import Withheld
from facilitation.policy import Policy
from facilitation.summaries import Count, EngagementSummary, PollSummary

MAX_POLLS = 5
MAX_QUESTIONS = 3
MAX_RESULTS = 3
MAX_ANSWERS = 5
MAX_LABEL_CHARS = 80
MAX_CARD_BYTES = 25_000  # Teams refuses messages over about 28 KB


class SummaryVerbs:
    REPORT_LINK = "summary.report_link"


def render_summary_card(summary: EngagementSummary, *, meeting_id: str, language: Language,
                        policy: Policy) -> Element:
    """The summary posted to the meeting chat when the meeting ends (or on request), its figures
    as `policy` allows; with many long polls fewer are shown, so the card stays within Teams'
    message size."""
    for polls in range(MAX_POLLS, -1, -1):
        result = _render(summary, meeting_id, language, policy, polls)
        if len(json.dumps(result)) <= MAX_CARD_BYTES:
            break
    return result


def _render(summary: EngagementSummary, meeting_id: str, language: Language, policy: Policy,
            max_polls: int) -> Element:
    body: list[Element] = [heading(t("summary.title", language)), _date_line(summary)]
    if summary.is_empty:
        body.append(text(t("summary.empty", language)))
    else:
        body.append(text(headline(summary, language), weight="Bolder"))
        if summary.reach.share is not None:  # "18 of 25 people took part (72%)"
            body.append(caption(_reach_line(summary, language)))
        body += _polls(summary, language, policy, max_polls) + _qna(summary, language)
        body += _themes(summary, language, policy) + _sentiment(summary, language, policy)
        body += _breakouts(summary, language)
    if summary.texts_removed:
        body.append(caption(t("summary.texts_removed", language)))
    body.append(caption(t("summary.measured", language, minimum=policy.min_group)))
    actions = [execute(SummaryVerbs.REPORT_LINK, t("summary.open_report", language),
                       {"meeting": meeting_id})]
    return card(body, actions)


def _date_line(summary: EngagementSummary) -> Element:
    """The meeting's title (typed by its organizer, so shown literally) and its date, which
    Teams renders in the reader's own format."""
    moment = summary.held_on.strftime("%Y-%m-%dT%H:%M:%SZ")
    date = caption("{{DATE(" + moment + ", LONG)}}")
    if not summary.title:
        return date
    return container([literal((summary.title, {"isSubtle": True, "size": "Small"})), date],
                     spacing="Small")


def _reach_line(summary: EngagementSummary, language: Language) -> str:
    reach = summary.reach
    if reach.attendees and reach.share is not None:
        # Someone can take part without Teams reporting their join: never "27 of 25".
        return t("summary.reach_of", language, reached=reach.reached,
                 attendees=max(reach.attendees, reach.reached),
                 share=percent(reach.share, language))
    return t("summary.reach", language, reached=reach.reached)


def _section(title: str, items: list[Element]) -> list[Element]:
    return [container([text(title, weight="Bolder"), *items], separator=True, spacing="Medium")]


def _chart(kind: str, counts: tuple[Count, ...], language: Language, policy: Policy
           ) -> Element:
    """A Teams chart; clients without charts show the same numbers as plain lines (labels may
    be typed by users, so never as Markdown)."""
    counts = tuple(Count(_short(c.label), c.value) for c in counts)
    shown = [c for c in counts if c.value is not None]
    lines = [literal((f"{c.label}: ", {"weight": "Bolder"}),
                     _figure(c.value, language, policy),
                     spacing="None") for c in counts]
    return {"type": kind, "data": [{"legend": c.label, "value": c.value} for c in shown],
            "fallback": container(lines)}


def _figure(value: int | None, language: Language, policy: Policy) -> str:
    """A count, or "fewer than <minimum>" for a group too small to show."""
    if value is None:
        return t("summary.few", language, minimum=policy.min_group)
    return integer(value, language)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def _polls(summary: EngagementSummary, language: Language, policy: Policy,
           max_polls: int) -> list[Element]:
    if not summary.polls:
        return []
    items: list[Element] = []
    for number, poll in enumerate(summary.polls[:max_polls], start=1):
        items += _poll(poll, number, language, policy)
    if len(summary.polls) > max_polls:
        items.append(caption(t("summary.more_polls", language,
                               count=len(summary.polls) - max_polls)))
    return _section(t("summary.polls", language), items)


def _poll(poll: PollSummary, number: int, language: Language, policy: Policy
          ) -> list[Element]:
    # A kept summary's polls have no question once the retention period has passed.
    question = poll.question or t("summary.poll_number", language, number=number)
    items: list[Element] = [literal((question, {"weight": "Bolder"}), spacing="Medium"),
                            caption(t("summary.turnout", language, count=poll.ballots))]
    if poll.withheld is Withheld.UNTIL_CLOSED:
        items.append(caption(t("card.poll.until_closed", language)))
        return items
    if poll.withheld is not None:
        items.append(caption(t("summary.withheld", language, minimum=policy.min_group)))
        return items
    if poll.kind == "text":
        return items + _answers(poll, language, policy)
    if poll.average is not None:
        items.append(text(t("card.poll.average", language,
                            value=decimal(poll.average, language))))
    items.append(_chart("Chart.Donut", poll.results, language, policy))
    return items


def _answers(poll: PollSummary, language: Language, policy: Policy) -> list[Element]:
    """The most frequent answer groups as lines ("Mehr Pausen: 4"), then how many more."""
    shown = poll.results[:MAX_ANSWERS]
    items: list[Element] = [
        literal((f"{_short(c.label)}: ", {"weight": "Bolder"}), _figure(c.value, language, policy),
                spacing="None") for c in shown]
    more = poll.more + sum(c.value or 0 for c in poll.results[MAX_ANSWERS:])
    if more:
        items.append(caption(t("summary.more_answers", language, count=more)))
    return items


def _qna(summary: EngagementSummary, language: Language) -> list[Element]:
    qna = summary.qna
    if not qna.asked:
        return []
    items: list[Element] = [text(t("summary.qna_counts", language, asked=qna.asked,
                                   answered=qna.answered, open=qna.open,
                                   dismissed=qna.dismissed, merged=qna.merged))]
    for question in qna.top[:MAX_QUESTIONS]:
        mark = "✓ " if question.answered else ""
        items.append(literal((f"▲ {integer(question.votes, language)} ", {"weight": "Bolder"}),
                             mark + question.text, spacing="Small"))
    if qna.open_items:
        items.append(text(t("summary.open_items", language), weight="Bolder", spacing="Medium"))
        items += [literal(q.text, spacing="Small") for q in qna.open_items[:MAX_QUESTIONS]]
    return _section(t("summary.qna", language), items)


def _themes(summary: EngagementSummary, language: Language, policy: Policy) -> list[Element]:
    if not summary.themes:
        return []
    line = ", ".join(f"{c.label} ({_figure(c.value, language, policy)})" for c in summary.themes)
    return _section(t("summary.themes", language), [literal(line)])


def _sentiment(summary: EngagementSummary, language: Language, policy: Policy
               ) -> list[Element]:
    mood = summary.sentiment
    if not mood.total:
        return []
    counts = (Count(t("summary.positive", language), mood.positive),
              Count(t("summary.neutral", language), mood.neutral),
              Count(t("summary.negative", language), mood.negative))
    return _section(t("summary.sentiment", language, count=mood.total),
                    [_chart("Chart.Donut", counts, language, policy),
                     caption(t("summary.sentiment_caveat", language))])


def _breakouts(summary: EngagementSummary, language: Language) -> list[Element]:
    rounds = summary.breakouts
    if not rounds.rounds:
        return []
    items: list[Element] = [text(t("summary.breakout_counts", language, rounds=rounds.rounds,
                                   groups=rounds.groups, reported=rounds.reported))]
    for result in rounds.results[:MAX_RESULTS]:
        label = (t("summary.round_group", language, round=result.round, group=result.group)
                 if rounds.rounds > 1 else t("breakout.group", language, number=result.group))
        said = "; ".join([*result.points, result.note] if result.note else result.points)
        runs: list[Any] = [(label + (f" · {result.topic}" if result.topic else "") + ": ",
                            {"weight": "Bolder"}), said]
        items.append(literal(*runs, spacing="Small"))
    return _section(t("summary.breakouts", language), items)


def render_report_link(url: str, *, language: Language, hours: int) -> Element:
    """Only for moderators: the report page's address, which expires."""
    return card([text(t("summary.link_title", language), weight="Bolder"),
                 caption(t("summary.link_expires", language, hours=hours))],
                [{"type": "Action.OpenUrl", "title": t("summary.open_report", language),
                  "url": url}])
