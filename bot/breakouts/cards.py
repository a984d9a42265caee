"""Breakout cards: the form, the moderator's draft, the assignment, reports and the results wall."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.cards.elements import (
    FORM_OWNER_FIELD,
    Element,
    caption,
    card,
    choice_set,
    container,
    execute,
    heading,
    literal,
    local_time,
    number_input,
    text,
    text_input,
)
from bot.i18n import Language, t
from facilitation.breakout_rounds import (
    EXTENSION_MINUTES,
    MAX_DURATION_MINUTES,
    MAX_NOTE_CHARS,
    MAX_POINT_CHARS,
    MAX_POINTS,
    Report,
    Source,
)

MAX_NAMES_LISTED = 60
MAX_PREVIEW_GROUPS = 12
MAX_CARD_BYTES = 24_000

_T = TypeVar("_T")


class BreakoutVerbs:
    """Card verbs of breakouts; each has a route in the bot's registry."""

    CREATE = "breakout.create"
    UPDATE = "breakout.update"
    JOIN = "breakout.join"
    PUBLISH = "breakout.publish"
    CANCEL = "breakout.cancel"
    EXTEND = "breakout.extend"
    END = "breakout.end"
    BROADCAST = "breakout.broadcast"
    RECONVENE = "breakout.reconvene"
    COPY = "breakout.copy"
    REPORT_FORM = "breakout.report_form"
    REPORT = "breakout.report"


@dataclass(frozen=True)
class GroupView:
    number: int
    members: tuple[str, ...]  # names
    topic: str | None = None
    facilitator: str | None = None
    presenter: str | None = None


@dataclass(frozen=True)
class DraftView:
    round_id: str
    source: Source
    included: tuple[str, ...]
    excluded: tuple[str, ...]
    groups: tuple[GroupView, ...]  # the preview; empty when it cannot be planned yet
    duration_minutes: int | None = None
    topics: tuple[str, ...] = ()
    apart: str = ""
    together: str = ""
    problem: str | None = None  # why there is no preview (translated)
    notice: str | None = None


# ---------------------------------------------------------------------------- form


@dataclass(frozen=True)
class FormValues:
    """What the form shows (what the user typed, after an error)."""

    split: str = "groups"
    number: int | None = 4
    topics: str = ""
    minutes: int | None = None


def render_breakout_form(*, language: Language, owner: str, error: str | None = None,
                         values: FormValues | None = None) -> Element:
    """`breakout` alone: number of groups or a group size, topics and a duration. `owner` is
    the owner tag of the person it is posted for (bot/core/permissions.py): only they, or a
    meeting's moderators, may send it."""
    values = values or FormValues()
    body: list[Element] = [heading(t("breakout.form_title", language))]
    if error:
        body.append(literal((error, {"color": "Attention", "weight": "Bolder"})))
    body += [
        choice_set("split", [(t("breakout.split.groups", language), "groups"),
                             (t("breakout.split.size", language), "size")],
                   label=t("breakout.split", language),
                   value=values.split if values.split in ("groups", "size") else "groups",
                   compact=True),
        number_input("number", label=t("breakout.number", language), minimum=1, maximum=500,
                     value=values.number),
        text_input("topics", label=t("breakout.topics", language), multiline=True,
                   value=values.topics or None),
        number_input("minutes", label=t("breakout.minutes", language), minimum=1,
                     maximum=MAX_DURATION_MINUTES, value=values.minutes),
    ]
    return card(body, [execute(BreakoutVerbs.CREATE, t("breakout.prepare", language),
                               {FORM_OWNER_FIELD: owner}, style="positive")])


# ---------------------------------------------------------------------------- draft


def render_draft(view: DraftView, *, language: Language) -> Element:
    """The draft every moderator can adjust before publishing (shown in the chat)."""
    data = {"breakout": view.round_id}
    body: list[Element] = [
        heading(t("breakout.draft_title", language)),
        caption(t(f"breakout.source.{view.source.value}", language,
                  count=len(view.included) + len(view.excluded))),
    ]
    if view.notice:
        body.append(text(view.notice, color="Good", weight="Bolder"))
    if view.problem:
        body.append(literal((view.problem, {"color": "Attention", "weight": "Bolder"})))
    body.append(_names_line("breakout.included", view.included, language))
    if view.excluded:
        body.append(_names_line("breakout.excluded_list", view.excluded, language))
    body += _preview(view.groups, language)
    body += _draft_inputs(view, language)
    actions = [execute(BreakoutVerbs.UPDATE, t("breakout.update", language), data)]
    if view.groups:
        actions.append(execute(BreakoutVerbs.PUBLISH, t("breakout.publish", language), data,
                               style="positive"))
    actions += [execute(BreakoutVerbs.JOIN, t("breakout.join", language), data),
                execute(BreakoutVerbs.CANCEL, t("breakout.cancel", language), data)]
    return card(body, actions)


def _names_line(key: str, names: tuple[str, ...], language: Language) -> Element:
    shown = ", ".join(names[:MAX_NAMES_LISTED])
    if len(names) > MAX_NAMES_LISTED:
        shown += " " + t("breakout.and_more", language, count=len(names) - MAX_NAMES_LISTED)
    return literal((t(key, language, count=len(names)) + " ", {"weight": "Bolder"}), shown,
                   spacing="Small")


def _preview(groups: tuple[GroupView, ...], language: Language) -> list[Element]:
    if not groups:
        return []
    items: list[Element] = [text(t("breakout.preview", language), weight="Bolder")]
    items += [_group_block(group, language, capped=True)
              for group in groups[:MAX_PREVIEW_GROUPS]]
    if len(groups) > MAX_PREVIEW_GROUPS:
        items.append(caption(t("breakout.more_groups", language,
                               count=len(groups) - MAX_PREVIEW_GROUPS)))
    return [container(items, separator=True, spacing="Medium")]


def _draft_inputs(view: DraftView, language: Language) -> list[Element]:
    return [
        text_input("exclude", label=t("breakout.exclude", language),
                   value=", ".join(view.excluded) or None,
                   placeholder=t("breakout.names_placeholder", language)),
        text_input("apart", label=t("breakout.apart", language), value=view.apart or None,
                   placeholder=t("breakout.sets_placeholder", language)),
        text_input("together", label=t("breakout.together", language),
                   value=view.together or None,
                   placeholder=t("breakout.sets_placeholder", language)),
        text_input("topics", label=t("breakout.topics", language), multiline=True,
                   value="\n".join(view.topics) or None),
        number_input("minutes", label=t("breakout.minutes", language), minimum=1,
                     maximum=MAX_DURATION_MINUTES, value=view.duration_minutes),
    ]


def _group_block(group: GroupView, language: Language, *, capped: bool = False,
                 continued: bool = False) -> Element:
    """A group: title and topic, its members (at most MAX_NAMES_LISTED when `capped`), roles."""
    key = "breakout.group_continued" if continued else "breakout.group"
    runs: list[str | tuple[str, dict[str, str]]] = [(t(key, language, number=group.number),
                                                      {"weight": "Bolder"})]
    if group.topic:
        runs.append(" · " + group.topic)
    names = ", ".join(group.members[:MAX_NAMES_LISTED] if capped else group.members)
    if capped and len(group.members) > MAX_NAMES_LISTED:
        names += " " + t("breakout.and_more", language,
                         count=len(group.members) - MAX_NAMES_LISTED)
    lines: list[Element] = [literal(*runs), literal(names, spacing="None")]
    roles = []
    if group.facilitator:
        roles.append(t("breakout.facilitator", language, name=group.facilitator))
    if group.presenter:
        roles.append(t("breakout.presenter", language, name=group.presenter))
    if roles:
        lines.append(literal((" · ".join(roles), {"isSubtle": True}), spacing="None"))
    return container(lines, spacing="Small")


# ---------------------------------------------------------------------------- assignment


def render_assignment(round_id: str, groups: tuple[GroupView, ...], *, language: Language,
                      ends_at_iso: str | None, round_number: int) -> list[Element]:
    """The published groups: one card, or several when a town hall's list is too long for one
    message. The first card carries the buttons."""
    chunks = _chunks(groups, language)
    cards = []
    for index, chunk in enumerate(chunks):
        body: list[Element] = [heading(t("breakout.assignment_title", language,
                                         round=round_number))]
        if len(chunks) > 1:
            body.append(caption(t("breakout.part", language, part=index + 1, parts=len(chunks))))
        if index == 0:
            body.append(caption(_timer_line(ends_at_iso, language)))
        body += [_group_block(piece, language, continued=continued)
                 for piece, continued in chunk]
        actions = _assignment_actions(round_id, language) if index == 0 else []
        cards.append(card(body, actions))
    return cards


def _pieces(groups: tuple[GroupView, ...]) -> list[tuple[GroupView, bool]]:
    """Groups cut into pieces of at most MAX_NAMES_LISTED members (a town hall's group of
    hundreds spans several cards); True marks a continuation."""
    pieces: list[tuple[GroupView, bool]] = []
    for group in groups:
        for start in range(0, max(len(group.members), 1), MAX_NAMES_LISTED):
            piece = GroupView(group.number, group.members[start:start + MAX_NAMES_LISTED],
                              group.topic, group.facilitator, group.presenter)
            pieces.append((piece, start > 0))
    return pieces


def _timer_line(ends_at_iso: str | None, language: Language) -> str:
    if ends_at_iso is None:
        return t("breakout.no_timer", language)
    return t("breakout.ends_at", language, time=local_time(ends_at_iso))


def _chunks(groups: tuple[GroupView, ...],
            language: Language) -> list[list[tuple[GroupView, bool]]]:
    return chunked(_pieces(groups),
                   lambda piece: len(json.dumps(_group_block(piece[0], language,
                                                             continued=piece[1]))))


def chunked(items: list[_T], size_of: Callable[[_T], int]) -> list[list[_T]]:
    """Items in consecutive chunks of at most MAX_CARD_BYTES each (at least one chunk)."""
    chunks: list[list[_T]] = [[]]
    size = 0
    for item in items:
        block = size_of(item)
        if chunks[-1] and size + block > MAX_CARD_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += block
    return chunks


def _assignment_actions(round_id: str, language: Language) -> list[Element]:
    data = {"breakout": round_id}
    broadcast = card([text_input("message", label=t("breakout.broadcast_label", language),
                                 multiline=True, max_length=1000)],
                     [execute(BreakoutVerbs.BROADCAST, t("breakout.broadcast_send", language),
                              data)])
    return [
        execute(BreakoutVerbs.REPORT_FORM, t("breakout.report_button", language), data,
                style="positive"),
        execute(BreakoutVerbs.EXTEND, t("breakout.extend", language, minutes=EXTENSION_MINUTES),
                data),
        execute(BreakoutVerbs.END, t("breakout.end", language), data),
        execute(BreakoutVerbs.RECONVENE, t("breakout.reconvene", language), data),
        execute(BreakoutVerbs.COPY, t("breakout.copy", language), data),
        {"type": "Action.ShowCard", "title": t("breakout.broadcast", language),
         "card": broadcast},
    ]


def render_private_assignment(round_id: str, group: GroupView, *, is_presenter: bool,
                              language: Language) -> Element:
    """The personal message to each participant (where the app is installed for them)."""
    body: list[Element] = [heading(t("breakout.your_group", language, number=group.number)),
                           _group_block(group, language, capped=True)]
    actions = []
    if is_presenter:
        body.append(text(t("breakout.you_present", language), weight="Bolder"))
        actions.append(execute(BreakoutVerbs.REPORT_FORM, t("breakout.report_button", language),
                               {"breakout": round_id}, style="positive"))
    return card(body, actions)


def render_copy_list(round_id: str, groups: tuple[GroupView, ...], *, language: Language,
                     part: int = 0) -> Element:
    """The groups as plain text, ready to copy into Teams' breakout rooms; a town hall's list
    comes in parts."""
    lines = [f"{t('breakout.group', language, number=g.number)}: {', '.join(g.members)}"
             for g in groups]
    parts = chunked(lines, lambda line: len(json.dumps(line)) + 2)
    part = min(max(part, 0), len(parts) - 1)
    body: list[Element] = [text(t("breakout.copy_title", language), weight="Bolder")]
    if len(parts) > 1:
        body.append(caption(t("breakout.part", language, part=part + 1, parts=len(parts))))
    body.append(text_input("list", label=t("breakout.copy_hint", language),
                           value="\n".join(parts[part]), multiline=True))
    actions = []
    if part + 1 < len(parts):
        actions.append(execute(BreakoutVerbs.COPY, t("breakout.copy_more", language),
                               {"breakout": round_id, "part": part + 1}))
    return card(body, actions)


# ---------------------------------------------------------------------------- report-back


def render_report_form(round_id: str, group: GroupView, *, language: Language,
                       error: str | None = None, points: tuple[str, ...] = (),
                       note: str = "") -> Element:
    body: list[Element] = [heading(t("breakout.report_title", language, number=group.number))]
    if group.topic:
        body.append(literal(group.topic))
    if error:
        body.append(literal((error, {"color": "Attention", "weight": "Bolder"})))
    for index in range(MAX_POINTS):
        value = points[index][:MAX_POINT_CHARS] if index < len(points) else None
        body.append(text_input(f"point{index + 1}",
                               label=t("breakout.point", language, number=index + 1),
                               value=value, max_length=MAX_POINT_CHARS))
    body.append(text_input("note", label=t("breakout.note", language),
                           value=note[:MAX_NOTE_CHARS] or None,
                           multiline=True, max_length=MAX_NOTE_CHARS))
    return card(body, [execute(BreakoutVerbs.REPORT, t("breakout.submit", language),
                               {"breakout": round_id, "group": group.number},
                               style="positive")])


def render_results_wall(groups: tuple[GroupView, ...], reports: dict[int, Report], *,
                        language: Language, round_number: int) -> list[Element]:
    """Every group's results in presentation order; groups that did not submit are marked.
    A town hall's wall comes as several cards."""
    entries = [_wall_entry(group, reports.get(group.number), language) for group in groups]
    parts = chunked(entries, lambda entry: len(json.dumps(entry)))
    cards = []
    for index, part in enumerate(parts):
        body: list[Element] = [heading(t("breakout.wall_title", language, round=round_number))]
        if index == 0:
            body.append(caption(t("breakout.wall_counts", language, submitted=len(reports),
                                  groups=len(groups))))
        if len(parts) > 1:
            body.append(caption(t("breakout.part", language, part=index + 1, parts=len(parts))))
        cards.append(card(body + part))
    return cards


def _wall_entry(group: GroupView, report: Report | None, language: Language) -> Element:
    title = t("breakout.group", language, number=group.number)
    runs: list[str | tuple[str, dict[str, str | bool]]] = [(title, {"weight": "Bolder"})]
    if group.topic:
        runs.append(" · " + group.topic)
    if group.presenter:
        runs.append((" · " + t("breakout.presented_by", language, name=group.presenter),
                     {"isSubtle": True}))
    items: list[Element] = [literal(*runs)]
    if report is None:
        items.append(text(t("breakout.no_report", language), color="Warning", spacing="None"))
    else:
        items += [literal(f"• {point}", spacing="None") for point in report.points]
        if report.note:
            items.append(literal((report.note, {"isSubtle": True}), spacing="Small"))
    return container(items, separator=True, spacing="Medium")


def render_closed_note(message: str) -> Element:
    """What a used draft turns into."""
    return card([text(message, isSubtle=True)])


