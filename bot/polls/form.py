"""The poll creation form that `poll` alone posts."""

from __future__ import annotations

from dataclasses import dataclass

from bot.cards.elements import (
    FORM_OWNER_FIELD,
    Element,
    card,
    choice_set,
    execute,
    heading,
    literal,
    number_input,
    text_input,
    toggle,
)
from bot.i18n import Language, t
from bot.polls.cards import Verbs
from facilitation.polls import (
    MAX_AUTO_CLOSE_MINUTES,
    MAX_QUESTION_CHARS,
    PollKind,
    ResultsMode,
)


@dataclass(frozen=True)
class FormValues:
    """What the form shows in its fields (what the user typed, after an error)."""

    question: str = ""
    options: str = ""
    kind: str = PollKind.SINGLE.value
    anonymous: bool = True
    results: str = ResultsMode.LIVE.value
    minutes: str = ""


def render_poll_form(*, language: Language, owner: str, values: FormValues | None = None,
                     error: str | None = None) -> Element:
    """The form: question, options, type, anonymity, results timing and auto-close. `owner` is
    the owner tag of the person it is posted for (bot/core/permissions.py): only they, or a
    meeting's moderators, may send it."""
    values = values or FormValues()
    body: list[Element] = [heading(t("form.title", language))]
    if error:
        # The message may quote what the user typed: never read it as Markdown.
        body.append(literal((error, {"color": "Attention", "weight": "Bolder"})))
    body += [
        text_input("question", label=t("form.question", language),
                   placeholder=t("form.question_placeholder", language),
                   value=values.question or None, max_length=MAX_QUESTION_CHARS),
        text_input("options", label=t("form.options", language), value=values.options or None,
                   multiline=True),
        choice_set("kind", [(t(f"form.kind.{kind.value}", language), kind.value)
                            for kind in PollKind],
                   label=t("form.kind", language), value=values.kind, compact=True),
        toggle("anonymous", title=t("form.anonymous", language), value=values.anonymous),
        choice_set("results", [(t(f"form.results.{mode.value}", language), mode.value)
                               for mode in ResultsMode],
                   label=t("form.results", language), value=values.results, compact=True),
        number_input("minutes", label=t("form.minutes", language), minimum=1,
                     maximum=MAX_AUTO_CLOSE_MINUTES,
                     value=int(values.minutes) if values.minutes.isdigit() else None),
    ]
    return card(body, [execute(Verbs.CREATE, t("form.create", language),
                               {FORM_OWNER_FIELD: owner}, style="positive")])
