"""Small builders for Adaptive Card 1.5 elements, and neutralising of user text."""

from __future__ import annotations

from typing import Any

CARD_VERSION = "1.5"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
INPUT_PREFIX = "rz_"
# A form posted publicly into a chat sends, in this field, the owner tag of the person it was
# opened for (see bot/core/permissions.py); inputs cannot overwrite it (their ids are prefixed).
FORM_OWNER_FIELD = "for"

Element = dict[str, Any]


def literal(*runs: str | tuple[str, dict[str, Any]], **options: Any) -> Element:
    """Text shown exactly as typed. Text runs are never read as Markdown, so a question or an
    option cannot bring formatting, links or mentions into a card. A run is a string or a
    `(string, style)` pair, e.g. `("Question", {"weight": "Bolder"})`."""
    inlines = []
    for run in runs:
        value, style = (run, {}) if isinstance(run, str) else run
        inlines.append({"type": "TextRun", "text": value, **style})
    return {"type": "RichTextBlock", "inlines": inlines, **options}


def card(body: list[Element], actions: list[Element] | None = None, **extra: Any) -> Element:
    """A complete Adaptive Card 1.5."""
    result: Element = {"type": "AdaptiveCard", "$schema": CARD_SCHEMA, "version": CARD_VERSION,
                       "body": body}
    if actions:
        result["actions"] = actions
    result.update(extra)
    return result


def text(value: str, **options: Any) -> Element:
    return {"type": "TextBlock", "text": value, "wrap": True, **options}


def heading(value: str) -> Element:
    return text(value, size="Medium", weight="Bolder", style="heading")


def caption(value: str) -> Element:
    return text(value, size="Small", isSubtle=True, spacing="Small")


def fact_set(pairs: list[tuple[str, str]]) -> Element:
    facts = [{"title": title, "value": value} for title, value in pairs]
    return {"type": "FactSet", "facts": facts}


def container(items: list[Element], **options: Any) -> Element:
    return {"type": "Container", "items": items, **options}


def execute(verb: str, title: str, data: dict[str, Any] | None = None, **options: Any) -> Element:
    """A Universal Action button; its verb must have a route in the bot's registry."""
    return {"type": "Action.Execute", "verb": verb, "title": title, "data": dict(data or {}),
            **options}


def action_set(actions: list[Element], **options: Any) -> Element:
    return {"type": "ActionSet", "actions": actions, **options}


def input_id(name: str) -> str:
    """Input ids carry a prefix so they never clash with the action's own data keys."""
    return INPUT_PREFIX + name


def choice_set(name: str, choices: list[tuple[str, str]], *, label: str, multi: bool = False,
               value: str | None = None, compact: bool = False, required: bool = False,
               error: str | None = None) -> Element:
    element: Element = {
        "type": "Input.ChoiceSet", "id": input_id(name), "label": label,
        "style": "compact" if compact else "expanded", "isMultiSelect": multi,
        "choices": [{"title": title, "value": val} for title, val in choices],
        "wrap": True,
    }
    if value is not None:
        element["value"] = value
    if required:
        element.update(isRequired=True, errorMessage=error or label)
    return element


def text_input(name: str, *, label: str, placeholder: str = "", value: str | None = None,
               multiline: bool = False, max_length: int | None = None, required: bool = False,
               error: str | None = None) -> Element:
    element: Element = {"type": "Input.Text", "id": input_id(name), "label": label,
                        "placeholder": placeholder, "isMultiline": multiline}
    if value is not None:
        element["value"] = value
    if max_length:
        element["maxLength"] = max_length
    if required:
        element.update(isRequired=True, errorMessage=error or label)
    return element


def toggle(name: str, *, title: str, value: bool) -> Element:
    return {"type": "Input.Toggle", "id": input_id(name), "title": title,
            "value": "true" if value else "false", "valueOn": "true", "valueOff": "false"}


def number_input(name: str, *, label: str, minimum: int, maximum: int,
                 value: int | None = None, placeholder: str = "") -> Element:
    element: Element = {"type": "Input.Number", "id": input_id(name), "label": label,
                        "min": minimum, "max": maximum, "placeholder": placeholder}
    if value is not None:
        element["value"] = value
    return element


def local_time(moment_iso: str) -> str:
    """Card text that Teams renders in the reader's own time zone."""
    return "{{TIME(" + moment_iso + ")}}"


def verbs_in(element: Any) -> set[str]:
    """All Action.Execute verbs anywhere inside a card (for route checks)."""
    found: set[str] = set()
    if isinstance(element, dict):
        if element.get("type") == "Action.Execute" and "verb" in element:
            found.add(element["verb"])
        for value in element.values():
            found |= verbs_in(value)
    elif isinstance(element, list):
        for value in element:
            found |= verbs_in(value)
    return found


def as_activity(content: Element) -> dict[str, Any]:
    """A message activity carrying one Adaptive Card."""
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "content": content}]}
