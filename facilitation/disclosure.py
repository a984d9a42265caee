"""What a shared poll card may show, so that neither small numbers nor timing reveal a ballot."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from facilitation.polls import Poll, Tally


class Withheld(StrEnum):
    """Why results are not shown: on a poll card, a summary, the report page or an export."""

    TOO_FEW = "too_few"
    UNTIL_CLOSED = "until_closed"


@dataclass(frozen=True)
class Disclosure:
    """The ballot count that may be shown now, and the breakdown (possibly an older one)."""

    ballots: int
    breakdown: Tally | None
    withheld: Withheld | None = None
    is_current: bool = False  # the breakdown is the exact tally of now


def disclose(
    poll: Poll,
    current: Tally,
    *,
    shown: Tally | None,
    changes_since_shown: int,
    min_ballots: int,
) -> Disclosure:
    """Decide what the shared card shows (`Policy.live_card` calls this with its minimum).

    `changes_since_shown` counts the people who cast or changed a ballot since `shown` was
    published (one person changing three times counts once).

    - Results of an on-close poll stay hidden until it closes or a moderator reveals them.
    - Polls created as not anonymous show their exact tally (with names) at once.
    - Below `min_ballots` ballots nothing but the count is shown, even after closing.
    - While a poll is open, a new breakdown is shown only once at least `min_ballots` people
      cast or changed a ballot since the breakdown shown last, however long voting has been
      quiet: every change of the breakdown is the work of at least `min_ballots` people, so an
      observer who knows when each of them clicked cannot tell one of them apart. Until then the
      previous breakdown stays; the count of ballots moves freely.
    - A closed poll (with enough ballots) shows its exact final result.

    What a step still reveals is what any result of that many people reveals: if all of them
    chose the same option, that they did (docs/PRIVACY.md, "Live cards and timing").
    """
    if not poll.results_visible:
        return Disclosure(current.ballots, None, Withheld.UNTIL_CLOSED)
    if not poll.anonymous:
        # Names are shown with a named poll's results anyway; holding numbers back hides nothing.
        return Disclosure(current.ballots, current, is_current=True)
    if current.ballots < min_ballots:
        return Disclosure(current.ballots, None, Withheld.TOO_FEW)
    if not poll.is_open or shown is None or changes_since_shown >= min_ballots:
        return Disclosure(current.ballots, current, is_current=True)
    # "Current" says only whether anyone voted since, never what they chose. The count of
    # ballots is public, so a shown breakdown of fewer ballots is never current (after an
    # upgrade, say, the people counted before it are not known).
    return Disclosure(current.ballots, shown, is_current=changes_since_shown == 0
                      and shown.ballots == current.ballots)
