"""Domain errors: each carries a message code that is safe to show and translated by the shell."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A problem the user caused or can fix. `code` names a translated message; `params` fill it."""

    code = "error.generic"

    def __init__(self, code: str | None = None, **params: Any) -> None:
        self.code = code or type(self).code
        self.params = params
        super().__init__(self.code)


class InvalidPoll(DomainError):
    """The poll as asked for cannot be created (empty question, too few options, ...)."""

    code = "poll.invalid"


class InvalidBallot(DomainError):
    """The ballot does not fit the poll (unknown option, empty answer, ...)."""

    code = "ballot.invalid"


class UnknownPoll(DomainError):
    """No poll with this id exists (or the card data is garbage)."""

    code = "poll.unknown"


class PollClosed(DomainError):
    """The poll no longer takes ballots."""

    code = "poll.closed"


class NotModerator(DomainError):
    """Only moderators may do this."""

    code = "moderator.only"
