"""The Q&A board card: the shared board, personal views for participants and moderators."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.cards.elements import (
    Element,
    action_set,
    caption,
    card,
    choice_set,
    container,
    execute,
    heading,
    literal,
    text,
    text_input,
)
from bot.i18n import Language, t
from bot.i18n.formatting import integer
from facilitation.qna import (
    MAX_QUESTION_CHARS,
    BoardMode,
    BoardView,
    QuestionStatus,
    RankedQuestion,
)

SHARED_TOP = 8  # open questions on the shared card; the rest behind "show all"
PAGE_SIZE = 15
ANSWERED_SHOWN = 3
MERGE_CHOICES = 30
# Teams refuses messages over about 28 KB; keep the card well below, as sent (JSON, ASCII).
MAX_CARD_BYTES = 25_000


class QnaVerbs:
    """Card verbs of the Q&A board; each has a route in the bot's registry."""

    ASK = "qna.ask"
    UPVOTE = "qna.upvote"
    ALL = "qna.all"
    VIEW = "qna.view"
    MODERATE = "qna.moderate"
    APPROVE = "qna.approve"
    ANSWERING = "qna.answering"
    ANSWERED = "qna.answered"
    REQUEUE = "qna.requeue"
    DISMISS = "qna.dismiss"
    MERGE = "qna.merge"
    MODE = "qna.mode"


@dataclass(frozen=True)
class Viewer:
    """Whose view this is: none for the shared card; a participant's upvotes, or a moderator."""

    upvoted: frozenset[str] = frozenset()
    moderator: bool = False
    page: int | None = None  # a page of "show all", or None for the board
    notice: str | None = None


@dataclass(frozen=True)
class _Limits:
    """How many questions of each section a card holds."""

    open: int
    pending: int
    merge: int


def rows_needed(viewer: Viewer | None) -> tuple[int, int, int]:
    """How many open, answered and pending questions (from the top of each) a card for this
    viewer can show: the board is read only that far (bot/qna/live.py)."""
    me = viewer or Viewer()
    shown = SHARED_TOP if me.page is None else (me.page + 1) * PAGE_SIZE
    return max(shown, MERGE_CHOICES), ANSWERED_SHOWN, max(PAGE_SIZE, MERGE_CHOICES)


def open_total(view: BoardView) -> int:
    """All the open questions, also those the view was cut before (the counts are whole)."""
    return view.counts.open - len(view.answering)


def render_board(view: BoardView, *, language: Language, viewer: Viewer | None = None
                 ) -> Element:
    """The board (shared when `viewer` is None), within Teams' message size: with long
    questions, fewer are shown per section (the rest stay behind "more")."""
    me = viewer or Viewer()
    limits = _Limits(open=PAGE_SIZE if me.page is not None else SHARED_TOP,
                     pending=PAGE_SIZE, merge=MERGE_CHOICES)
    while True:
        result = _render(view, language, me, limits)
        if _size(result) <= MAX_CARD_BYTES or limits == _Limits(1, 1, 2):
            return result
        limits = _Limits(open=max(1, limits.open // 2), pending=max(1, limits.pending // 2),
                         merge=max(2, limits.merge // 2))


def _size(content: Element) -> int:
    return len(json.dumps(content))


def _render(view: BoardView, language: Language, me: Viewer, limits: _Limits) -> Element:
    data = {"board": view.board.id}
    body: list[Element] = [heading(t("qna.title", language)),
                           caption(_counts_line(view, language)),
                           caption(t(f"qna.mode.{view.board.mode.value}", language))]
    if me.notice:
        body.append(text(me.notice, color="Good", weight="Bolder"))
    for ranked in view.answering:
        body.append(container([caption(t("qna.now_answering", language)),
                               *_question_rows(ranked, data, me, language)], style="accent"))
    body += _open_questions(view, data, me, language, limits.open)
    body += _answered(view, language)
    if me.moderator:
        body += _pending(view, data, language, limits.pending)
    body += _ask_form(data, language)
    body.append(caption(t("qna.privacy", language)))
    return card(body, _card_actions(view, data, me, language, limits))


def _counts_line(view: BoardView, language: Language) -> str:
    counts = view.counts
    line = t("qna.counts", language, asked=counts.asked, answered=counts.answered,
             merged=counts.merged, dismissed=counts.dismissed)
    if counts.pending:
        line += " · " + t("qna.counts_pending", language, pending=counts.pending)
    return line


def _open_questions(view: BoardView, data: dict[str, str], me: Viewer,
                    language: Language, size: int) -> list[Element]:
    if not view.open:
        return [text(t("qna.no_questions", language), isSubtle=True, spacing="Medium")]
    start = (me.page or 0) * PAGE_SIZE if me.page is not None else 0
    shown = view.open[start:start + size]
    rows: list[Element] = []
    for ranked in shown:
        rows += _question_rows(ranked, data, me, language)
    rest = open_total(view) - start - len(shown)
    if rest > 0:
        rows.append(caption(t("qna.more", language, count=rest)))
    return [container(rows, spacing="Medium")]


def _question_rows(ranked: RankedQuestion, data: dict[str, str], me: Viewer,
                   language: Language) -> list[Element]:
    question = ranked.question
    mine = question.id in me.upvoted
    upvote = execute(QnaVerbs.UPVOTE, t("qna.upvoted" if mine else "qna.upvote", language),
                     {**data, "question": question.id})
    row: Element = {"type": "ColumnSet", "spacing": "Medium", "separator": True, "columns": [
        {"type": "Column", "width": "auto", "verticalContentAlignment": "Center",
         "items": [text(f"▲ {integer(ranked.votes, language)}", weight="Bolder")]},
        {"type": "Column", "width": "stretch", "verticalContentAlignment": "Center",
         "items": [literal(*_question_runs(ranked))]},
        {"type": "Column", "width": "auto", "items": [action_set([upvote])]},
    ]}
    if not me.moderator:
        return [row]
    question_data = {**data, "question": question.id}
    if question.status is QuestionStatus.ANSWERING:
        first = execute(QnaVerbs.REQUEUE, t("qna.requeue", language), question_data)
    else:
        first = execute(QnaVerbs.ANSWERING, t("qna.mark_answering", language), question_data)
    return [row, action_set([
        first,
        execute(QnaVerbs.ANSWERED, t("qna.mark_answered", language), question_data),
        execute(QnaVerbs.DISMISS, t("qna.dismiss", language), question_data),
    ], spacing="Small")]


def _question_runs(ranked: RankedQuestion) -> list[str | tuple[str, dict[str, Any]]]:
    """The question, and the name of whoever asked it with their name."""
    runs: list[str | tuple[str, dict[str, Any]]] = [ranked.question.text]
    if ranked.question.author:
        runs.append((f" — {ranked.question.author}", {"isSubtle": True}))
    return runs


def _answered(view: BoardView, language: Language) -> list[Element]:
    if not view.answered:
        return []
    items: list[Element] = [caption(t("qna.answered_section", language,
                                      count=view.counts.answered))]
    for ranked in view.answered[:ANSWERED_SHOWN]:
        items.append(literal(("✓ ", {"color": "Good"}), (ranked.question.text, {"isSubtle": True}),
                             spacing="Small"))
    return [container(items, separator=True, spacing="Medium")]


def _pending(view: BoardView, data: dict[str, str], language: Language,
             size: int) -> list[Element]:
    if not view.pending:
        return []
    items: list[Element] = [text(t("qna.pending_section", language, count=view.counts.pending),
                                 weight="Bolder")]
    for ranked in view.pending[:size]:
        question_data = {**data, "question": ranked.question.id}
        items.append(literal(*_question_runs(ranked), spacing="Small"))
        items.append(action_set([
            execute(QnaVerbs.APPROVE, t("qna.approve", language), question_data),
            execute(QnaVerbs.DISMISS, t("qna.dismiss", language), question_data),
        ], spacing="Small"))
    if view.counts.pending > size:
        rest = view.counts.pending - size
        items.append(caption(t("qna.more_pending", language, count=rest)))
    return [container(items, style="warning", separator=True, spacing="Medium")]


def _ask_form(data: dict[str, str], language: Language) -> list[Element]:
    return [
        text_input("question", label=t("qna.ask_label", language),
                   placeholder=t("qna.ask_placeholder", language), multiline=True,
                   max_length=MAX_QUESTION_CHARS),
        action_set([
            execute(QnaVerbs.ASK, t("qna.ask_anonymously", language), {**data, "named": False},
                    style="positive"),
            execute(QnaVerbs.ASK, t("qna.ask_named", language), {**data, "named": True}),
        ]),
    ]


def _card_actions(view: BoardView, data: dict[str, str], me: Viewer,
                  language: Language, limits: _Limits) -> list[Element]:
    actions: list[Element] = []
    if me.page is not None:
        if open_total(view) > (me.page + 1) * PAGE_SIZE:
            actions.append(execute(QnaVerbs.ALL, t("qna.next_page", language),
                                   {**data, "page": me.page + 1}))
        actions.append(execute(QnaVerbs.VIEW, t("qna.back", language), data))
    elif open_total(view) > SHARED_TOP:
        actions.append(execute(QnaVerbs.ALL, t("qna.show_all", language), {**data, "page": 0}))
    if me.moderator:
        other = BoardMode.OPEN if view.board.mode is BoardMode.REVIEWED else BoardMode.REVIEWED
        actions.append(execute(QnaVerbs.MODE, t(f"qna.switch_to.{other.value}", language),
                               {**data, "mode": other.value}))
        actions += _merge_action(view, data, language, limits.merge)
    else:
        actions.append(execute(QnaVerbs.MODERATE, t("qna.moderate", language), data))
    return actions


def _merge_action(view: BoardView, data: dict[str, str], language: Language,
                  size: int) -> list[Element]:
    live = [*view.answering, *view.open, *view.pending][:size]
    if len(live) < 2:
        return []
    choices = [(_short(r.question.text), r.question.id) for r in live]
    form = card([
        choice_set("merge_from", choices, label=t("qna.merge_from", language), compact=True),
        choice_set("merge_into", choices, label=t("qna.merge_into", language), compact=True),
    ], [execute(QnaVerbs.MERGE, t("qna.merge", language), data)])
    return [{"type": "Action.ShowCard", "title": t("qna.merge_title", language), "card": form}]


def _short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


# ---------------------------------------------------------------------------- small cards


def render_duplicate_offer(board_id: str, existing: RankedQuestion, *, text_asked: str,
                           named: bool, asker: str, language: Language) -> Element:
    """Offered to an asker whose question is very similar to an open one."""
    data = {"board": board_id}
    body: list[Element] = [
        text(t("qna.similar_title", language), weight="Bolder"),
        literal(existing.question.text, spacing="Small"),
        caption(t("qna.similar_votes", language, count=existing.votes)),
        caption(t("qna.similar_hint", language)),
    ]
    return card(body, [
        execute(QnaVerbs.UPVOTE, t("qna.upvote_instead", language),
                {**data, "question": existing.question.id, "add": True}, style="positive"),
        execute(QnaVerbs.ASK, t("qna.post_anyway", language),
                {**data, "named": named, "force": True, "text": text_asked, "asker": asker}),
    ])


def render_board_moved(language: Language) -> Element:
    """What an old board card turns into when the board is posted again."""
    return card([text(t("qna.moved", language), isSubtle=True)])
