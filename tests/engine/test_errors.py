"""Domain errors carry a message code (translated by the shell) and the params that fill it."""

from __future__ import annotations

import pytest

from facilitation.errors import (
    DomainError,
    InvalidBallot,
    InvalidPoll,
    NotModerator,
    PollClosed,
    UnknownPoll,
)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (DomainError, "error.generic"),
        (InvalidPoll, "poll.invalid"),
        (InvalidBallot, "ballot.invalid"),
        (UnknownPoll, "poll.unknown"),
        (PollClosed, "poll.closed"),
        (NotModerator, "moderator.only"),
    ],
)
def test_each_error_without_a_code_uses_its_class_code(error: type[DomainError], code: str) -> None:
    raised = error()
    assert raised.code == code
    assert raised.params == {}
    assert str(raised) == code


def test_an_explicit_code_and_params_are_kept() -> None:
    raised = InvalidPoll("poll.too_many_options", maximum=10, count=11)
    assert raised.code == "poll.too_many_options"
    assert raised.params == {"maximum": 10, "count": 11}
    assert str(raised) == "poll.too_many_options"


def test_an_explicit_code_does_not_change_the_class_default() -> None:
    InvalidBallot("ballot.pick_one")
    assert InvalidBallot().code == "ballot.invalid"


def test_every_domain_error_is_a_domain_error_and_an_exception() -> None:
    for error in (InvalidPoll, InvalidBallot, UnknownPoll, PollClosed, NotModerator):
        assert issubclass(error, DomainError)
        assert issubclass(error, Exception)
