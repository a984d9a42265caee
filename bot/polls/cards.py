"""The poll cards: the shared card in the chat and the voter's personal receipt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, timedelta

from bot.cards.elements import (
    Element,
    caption,
    card,
    choice_set,
    container,
    execute,
    literal,
    local_time,
    text,
    text_input,
)
from bot.i18n import Language, t
from bot.i18n.formatting import decimal, integer, percent
from facilitation.disclosure import Disclosure, Withheld
from facilitation.policy import Policy
from facilitation.polls import (
    MAX_ANSWER_CHARS,
    BallotChoice,
    Poll,
    PollKind,
    ResultsMode,
    Tally,
    rating_average,
)

BAR_WIDTH = 12
MAX_NAMES_SHOWN = 20


class Verbs:
    """Card verbs of polls; each has a route in the bot's registry."""

    VOTE = "poll.vote"
    CHANGE = "poll.change"
    CLOSE = "poll.close"
    REOPEN = "poll.reopen"
    REVEAL = "poll.reveal"
    CREATE = "poll.create"


@dataclass(frozen=True)
class PollView:
    """What a poll card shows: the poll, what the policy lets it disclose, and names for named
    polls."""

    poll: Poll
    disclosure: Disclosure
    policy: Policy
    names: tuple[tuple[str, ...], ...] = ()


def render_poll_card(view: PollView, *, language: Language,
                     selected: BallotChoice | None = None) -> Element:
    """The shared poll card (or, with `selected`, a voter's own card to change a vote)."""
    poll = view.poll
    body: list[Element] = [_header(poll, language), literal((poll.question, _QUESTION_STYLE))]
    if poll.is_open:
        body += _ballot_inputs(poll, language, selected)
    body += _results(view, language)
    body.append(caption(_privacy_line(poll, language)))
    return card(body, _actions(poll, language))


_QUESTION_STYLE = {"size": "Medium", "weight": "Bolder"}


def _header(poll: Poll, language: Language) -> Element:
    kind = t("card.poll.anonymous" if poll.anonymous else "card.poll.named", language)
    status = t("card.poll.open" if poll.is_open else "card.poll.closed", language)
    line = f"{kind} · {status}"
    if poll.is_open and poll.closes_at is not None:
        line += " · " + t("card.poll.closes_at", language, time=_closing_time(poll))
    return caption(line)


def _closing_time(poll: Poll) -> str:
    """Rendered by Teams in each reader's time zone; with the date when it is not soon."""
    assert poll.closes_at is not None
    moment = poll.closes_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if poll.closes_at - poll.created_at < timedelta(hours=12):
        return local_time(moment)
    return "{{DATE(" + moment + ", SHORT)}} " + local_time(moment)


def _ballot_inputs(poll: Poll, language: Language, selected: BallotChoice | None) -> list[Element]:
    if poll.kind is PollKind.TEXT:
        return [text_input("text", label=t("card.poll.answer", language),
                           placeholder=t("card.poll.answer_placeholder", language),
                           value=selected.text if selected else None, multiline=True,
                           max_length=MAX_ANSWER_CHARS)]
    label = {PollKind.SINGLE: "card.poll.choose", PollKind.MULTIPLE: "card.poll.choose_many",
             PollKind.RATING: "card.poll.rate"}[poll.kind]
    value = ",".join(str(i) for i in selected.indexes) if selected else None
    choices = [(option, str(index)) for index, option in enumerate(poll.options)]
    return [choice_set("choice", choices, label=t(label, language),
                       multi=poll.kind is PollKind.MULTIPLE, value=value)]


def _actions(poll: Poll, language: Language) -> list[Element]:
    data = {"poll": poll.id}
    if not poll.is_open:
        return [execute(Verbs.REOPEN, t("card.poll.reopen", language), data)]
    actions = [execute(Verbs.VOTE, t("card.poll.vote", language), data, style="positive"),
               execute(Verbs.CLOSE, t("card.poll.close", language), data)]
    if poll.results is ResultsMode.ON_CLOSE and not poll.revealed:
        actions.append(execute(Verbs.REVEAL, t("card.poll.reveal", language), data))
    return actions


def _privacy_line(poll: Poll, language: Language) -> str:
    return t("card.poll.privacy_anonymous" if poll.anonymous else "card.poll.privacy_named",
             language)


# ---------------------------------------------------------------------------- results


def vote_count(count: int, language: Language, *, answers: bool = False) -> str:
    """"12 votes" (or "12 answers" for open-text polls), in the user's language."""
    noun = "answers" if answers else "votes"
    if count == 0:
        return t(f"card.poll.no_{noun}", language)
    return t(f"card.poll.{noun}", language, count=count)


def _results(view: PollView, language: Language) -> list[Element]:
    disclosure = view.disclosure
    items: list[Element] = [text(_count_line(view, language), weight="Bolder", spacing="Medium")]
    if disclosure.withheld is Withheld.TOO_FEW:
        items.append(caption(t("card.poll.too_few", language, minimum=view.policy.min_group)))
    elif disclosure.withheld is Withheld.UNTIL_CLOSED:
        items.append(caption(t("card.poll.until_closed", language)))
    elif disclosure.breakdown is not None:
        items += _breakdown(view, disclosure.breakdown, language)
        if not disclosure.is_current:
            items.append(caption(t("card.poll.as_of", language,
                                   count=disclosure.breakdown.ballots)))
    if _moves_in_steps(view):
        items.append(caption(t("card.poll.steps", language, minimum=view.policy.min_group)))
    return [container(items, separator=True, spacing="Medium")]


def _moves_in_steps(view: PollView) -> bool:
    """Whether the card states the step rule: on an open anonymous poll whose results are
    shown while it runs (facilitation/disclosure.py)."""
    poll = view.poll
    return (poll.is_open and poll.anonymous and poll.results_visible
            and poll.kind is not PollKind.TEXT and view.policy.min_group > 1)


def _count_line(view: PollView, language: Language) -> str:
    count = vote_count(view.disclosure.ballots, language,
                       answers=view.poll.kind is PollKind.TEXT)
    if not view.poll.is_open and view.disclosure.breakdown is not None:
        return f"{t('card.poll.final', language)} · {count}"
    return count


def _breakdown(view: PollView, tally: Tally, language: Language) -> list[Element]:
    poll = view.poll
    if poll.kind is PollKind.TEXT:
        return _top_answers(view, tally, language)
    items = [_option_row(option, tally, index, language)
             for index, option in enumerate(poll.options)]
    if poll.kind is PollKind.RATING:
        average = rating_average(tally)
        if average is not None:
            items.insert(0, text(t("card.poll.average", language,
                                   value=decimal(average, language))))
    if not poll.anonymous:
        items += _names(view, language)
    return items


def _option_row(option: str, tally: Tally, index: int, language: Language) -> Element:
    share = tally.share(index)
    filled = round(share * BAR_WIDTH)
    bar = "█" * filled + "░" * (BAR_WIDTH - filled)
    return {"type": "ColumnSet", "spacing": "Small", "columns": [
        {"type": "Column", "width": "stretch", "items": [literal(option)]},
        {"type": "Column", "width": "auto", "items": [
            text(f"{bar} {percent(share, language)} ({integer(tally.counts[index], language)})",
                 fontType="Monospace")]},
    ]}


def _top_answers(view: PollView, tally: Tally, language: Language) -> list[Element]:
    if not view.policy.lists_answers(view.poll):
        return [caption(t("card.poll.answers_after_close", language))]
    rows: list[Element] = [text(t("card.poll.top_answers", language), weight="Bolder")]
    for group in tally.answers:
        rows.append(literal((f"{integer(group.count, language)} × ", {"weight": "Bolder"}),
                            group.text,
                            spacing="Small"))
    return rows


def _names(view: PollView, language: Language) -> list[Element]:
    rows: list[Element] = []
    for option, names in zip(view.poll.options, view.names, strict=False):
        if not names:
            continue
        shown = ", ".join(names[:MAX_NAMES_SHOWN])
        if len(names) > MAX_NAMES_SHOWN:
            shown += f" (+{len(names) - MAX_NAMES_SHOWN})"
        rows.append(literal((f"{option}: ", {"weight": "Bolder"}),
                            t("card.poll.who", language, names=shown), spacing="Small"))
    return rows


# ---------------------------------------------------------------------------- personal receipt


def describe_choice(poll: Poll, choice: BallotChoice) -> str:
    """A ballot in words, e.g. "Pizza, Salad" or the open answer."""
    if poll.kind is PollKind.TEXT:
        return choice.text or ""
    return ", ".join(poll.options[i] for i in choice.indexes if i < len(poll.options))


def render_receipt(poll: Poll, choice: BallotChoice, *, language: Language,
                   changed: bool = False) -> Element:
    """The card only the voter sees after voting: "You voted B · change"."""
    label = "receipt.answered" if poll.kind is PollKind.TEXT else "receipt.voted"
    body: list[Element] = [
        _header(poll, language),
        literal((poll.question, _QUESTION_STYLE)),
        literal((t(label, language), {"weight": "Bolder"}), describe_choice(poll, choice)),
    ]
    if changed:
        body.append(text(t("receipt.changed", language), color="Good", spacing="Small"))
    body.append(caption(t("receipt.can_change", language)))
    body.append(caption(_privacy_line(poll, language)))
    actions = [execute(Verbs.CHANGE, t("receipt.change", language), {"poll": poll.id})]
    return card(body, actions)
