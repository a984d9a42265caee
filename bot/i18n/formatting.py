"""Numbers, percentages and dates in the user's language, by CLDR's rules (Babel): the only place
that knows that German writes 4,1 and 72 % and English 4.1 and 72%."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal, format_percent

from bot.i18n.catalogue import Language, catalogue

# Babel's formatting costs tens of microseconds a number, and the same numbers come back with
# every edit of a card (a poll's shares, a town hall's group numbers): the results are cached.
CACHED = 4096


def integer(value: int, language: Language) -> str:
    """A whole number with the language's digit grouping: 12,345 / 12.345."""
    return _integer(value, catalogue(language).locale)


@lru_cache(maxsize=CACHED)
def _integer(value: int, locale: Locale) -> str:
    return format_decimal(value, locale=locale)


def decimal(value: float, language: Language, *, digits: int = 1) -> str:
    """A number with exactly `digits` decimals: 3.7 / 3,7."""
    return _decimal(value, digits, catalogue(language).locale)


@lru_cache(maxsize=CACHED)
def _decimal(value: float, digits: int, locale: Locale) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=locale)


def percent(share: float, language: Language) -> str:
    """A share between 0 and 1 as a whole percentage: 72% / 72 % (German with a no-break
    space, as CLDR writes it, so that a line never breaks between the number and its sign)."""
    return _percent(share, catalogue(language).locale)


@lru_cache(maxsize=CACHED)
def _percent(share: float, locale: Locale) -> str:
    return format_percent(share, locale=locale)


def long_date(moment: date, language: Language) -> str:
    """A date written out: 14 March 2025 / 14. März 2025."""
    return format_date(moment, "long", locale=catalogue(language).locale)


def short_date(moment: date, language: Language) -> str:
    """Day and month only, in figures (a chart's axis): 11/25 / 25.11."""
    return format_skeleton("Md", moment, locale=catalogue(language).locale)
