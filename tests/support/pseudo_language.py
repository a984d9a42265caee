"""A complete test catalogue for a language Resonanz does not ship, made from the English one.

Every text is visibly transformed (each ASCII letter becomes an accented look-alike, so any
English or German text that does not come from the catalogue shows up as plain ASCII letters),
every command word and every typed word changes, placeholders stay. The language is Russian as
far as CLDR is concerned: four plural categories (one, few, many, other) instead of English's
two, Cyrillic month names, a decimal comma and no-break spaces in numbers, so the test also shows
that plural rules and formats come from the language and not from English.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from babel import Locale

from bot.i18n.catalogue import FOLDER

LANGUAGE = "ru"
LOCALE = "ru-RU"  # the Teams locale of its users
SHIPPED = Path(__file__).resolve().parents[2] / "bot" / "i18n" / FOLDER
LOWER = "ȧƀċđéƒġħíĵķŀḿńőṗǫŕšţűṽŵẋÿž"
UPPER = "ȦɃĊĐÉƑĠĦÍĴĶĿḾŃŐṖǪŔŠŢŰṼŴẊŸŽ"
_ACCENTED = str.maketrans("abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                          LOWER + UPPER)
_PLACEHOLDER = re.compile(r"(\{[^{}]*\})")


def pseudo(text: str) -> str:
    """`text` with every ASCII letter accented, `{placeholders}` left as they are."""
    return "".join(part if _PLACEHOLDER.fullmatch(part) else part.translate(_ACCENTED)
                   for part in _PLACEHOLDER.split(text))


def plural_marker(category: str) -> str:
    """What starts each plural form, so a test can tell which category was chosen."""
    return pseudo(f"[{category}] ")


def pseudo_entry(entry: Any, categories: frozenset[str]) -> Any:
    if isinstance(entry, str):
        return pseudo(entry)
    if isinstance(entry, list):
        return [pseudo(word) for word in entry]
    forms = {category: plural_marker(category)
             + pseudo(entry["one"] if category == "one" else entry["other"])
             for category in sorted(categories)}
    return {"plural": entry["plural"], **forms}


def pseudo_catalogue() -> dict[str, Any]:
    english = json.loads((SHIPPED / "en.json").read_text(encoding="utf-8"))
    categories = frozenset(Locale.parse(LANGUAGE).plural_form.tags) | {"other"}
    return {"locale": LANGUAGE,
            "messages": {key: pseudo_entry(entry, categories)
                         for key, entry in english["messages"].items()}}


def write_catalogues(folder: Path) -> Path:
    """The shipped catalogues and the test catalogue in `folder` (a new language is one more
    file there, nothing else)."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in SHIPPED.glob("*.json"):
        shutil.copy(path, folder / path.name)
    assert not (folder / f"{LANGUAGE}.json").exists(), \
        f"{LANGUAGE} is shipped now: choose another language for the test catalogue"
    (folder / f"{LANGUAGE}.json").write_text(
        json.dumps(pseudo_catalogue(), ensure_ascii=False, indent=2), encoding="utf-8")
    return folder
