"""The polls feature's long-lived parts, as the services carry them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.polls.ballot_box import BallotBox
from bot.polls.live import LivePolls


@dataclass(frozen=True)
class PollParts:
    live: LivePolls  # the shared poll cards
    ballots: BallotBox  # votes written in groups
