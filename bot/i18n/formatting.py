"""Numbers, percentages and dates in the user's language, by CLDR's rules (Babel): the only place
that knows that German writes 4,1 and 72 % and English 4.1 and 72%."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from bot.i18n.catalogue import Language, catalogue


def integer(value: int, language: Language) -> str:
    """A whole number with the language's digit grouping: 12,345 / 12.345."""
    return _integer(value, catalogue(language).locale)


@lru_cache(maxsize=4096)
def _integer(value: int, locale: Locale) -> str:
    # Counts repeat a lot (every card of a town hall shows its group numbers); Babel's
    # formatting is worth caching.
    return format_decimal(value, locale=locale)


def decimal(value: float, language: Language, *, digits: int = 1) -> str:
    """A number with exactly `digits` decimals: 3.7 / 3,7."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=catalogue(language).locale)


def percent(share: float, language: Language) -> str:
    """A share between 0 and 1 as a whole percentage: 72% / 72 % (German with a no-break
    space, as CLDR writes it, so that a line never breaks between the number and its sign)."""
    return format_percent(share, locale=catalogue(language).locale)


def long_date(moment: date, language: Language) -> str:
    """A date written out: 14 March 2025 / 14. März 2025."""
    return format_date(moment, "long", locale=catalogue(language).locale)
