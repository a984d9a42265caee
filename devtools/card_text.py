"""Cards as plain text lines, for the demo's transcript and for logs-free inspection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def card_lines(element: Any) -> list[str]:
    """What a person would read on the card, one line per block, buttons last."""
    if isinstance(element, list):
        return [line for item in element for line in card_lines(item)]
    if not isinstance(element, dict):
        return []
    kind = element.get("type", "")
    if kind == "AdaptiveCard":
        lines = card_lines(element.get("body", []))
        buttons = [f"[{a.get('title', '')}]" for a in element.get("actions", [])]
        return lines + ([" ".join(buttons)] if buttons else [])
    if kind not in _BLOCKS and "fallback" in element and not str(kind).startswith("Container"):
        return card_lines(element["fallback"])  # what clients without this element show
    return _BLOCKS.get(kind, _children)(element)


def _text_block(element: dict[str, Any]) -> list[str]:
    return [str(element.get("text", ""))]


def _rich_text(element: dict[str, Any]) -> list[str]:
    return ["".join(str(run.get("text", "")) for run in element.get("inlines", []))]


def _columns(element: dict[str, Any]) -> list[str]:
    cells = [" ".join(card_lines(column.get("items", []))) for column in element.get("columns", [])]
    return ["  ".join(cell for cell in cells if cell)]


def _choices(element: dict[str, Any]) -> list[str]:
    mark = "[ ]" if element.get("isMultiSelect") else "( )"
    return [f"{element.get('label', '')}:"] + [
        f"  {mark} {choice.get('title', '')}" for choice in element.get("choices", [])]


def _input(element: dict[str, Any]) -> list[str]:
    return [f"{element.get('label') or element.get('title', '')}: ____"]


def _facts(element: dict[str, Any]) -> list[str]:
    facts = element.get("facts", [])
    return [f"{fact.get('title', '')}: {fact.get('value', '')}" for fact in facts]


def _children(element: dict[str, Any]) -> list[str]:
    return card_lines(element.get("items", [])) + card_lines(element.get("actions", []))


_BLOCKS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "TextBlock": _text_block,
    "RichTextBlock": _rich_text,
    "ColumnSet": _columns,
    "Input.ChoiceSet": _choices,
    "Input.Text": _input,
    "Input.Number": _input,
    "Input.Toggle": _input,
    "FactSet": _facts,
    "ActionSet": lambda element: [" ".join(f"[{a.get('title', '')}]"
                                           for a in element.get("actions", []))],
}
