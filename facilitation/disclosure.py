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
    settled: bool = False,
    min_ballots: int,
) -> Disclosure:
    """Decide what the shared card shows (`Policy.live_card` calls this with its minimum).

    - Results of an on-close poll stay hidden until it closes or a moderator reveals them.
    - Polls created as not anonymous show their exact tally (with names) at once.
    - Below `min_ballots` ballots nothing but the count is shown, even after closing.
    - While a poll is open and ballots keep coming, a new breakdown is shown only once at least
      `min_ballots` ballots were cast or changed since the last one, so while people vote no
      single vote can be read off the difference between two consecutive cards. Until then the
      previous breakdown stays.
    - Once voting has `settled` (no ballot for a while), the card catches up with the exact
      tally, so the card always ends up exact. A lone late vote is then visible as a difference,
      as at any live count; the caller decides how long "a while" is.
    - A closed poll (with enough ballots) shows its exact final result.
    """
    if not poll.results_visible:
        return Disclosure(current.ballots, None, Withheld.UNTIL_CLOSED)
    if not poll.anonymous:
        # Names are shown with a named poll's results anyway; holding numbers back hides nothing.
        return Disclosure(current.ballots, current, is_current=True)
    if current.ballots < min_ballots:
        return Disclosure(current.ballots, None, Withheld.TOO_FEW)
    if not poll.is_open or shown is None or settled or changes_since_shown >= min_ballots:
        return Disclosure(current.ballots, current, is_current=True)
    return Disclosure(current.ballots, shown, is_current=shown == current)
