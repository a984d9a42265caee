"""Small cards: help (generated from the command registry) and notices."""

from __future__ import annotations

from collections.abc import Sequence

from bot.cards.elements import Element, caption, card, heading, literal, text
from bot.i18n import Language, t


def render_help(entries: Sequence[tuple[str, str]], *, language: Language) -> Element:
    """The help card: one (usage, summary) pair per command."""
    body: list[Element] = [heading(t("help.title", language)), text(t("help.intro", language))]
    for usage, summary in entries:
        # A text run, not Markdown: clients read "<question>" in Markdown as a tag and drop it.
        body.append(literal((usage, {"weight": "Bolder", "fontType": "Monospace"}),
                            spacing="Medium"))
        body.append(text(summary, spacing="None"))
    body.append(caption(t("help.footer", language)))
    return card(body)


def render_notice(label: str, user_text: str = "") -> Element:
    """A one-line card answering a card action: a label, then user text shown literally."""
    return card([literal((label, {"weight": "Bolder"}), user_text)])
