"""Which requests an address over its refusal budget still gets a signature check for
(bot.teams.endpoint.TeamsEndpoint._over_budget), on a clock that stands still: tokens accepted
before always, new ones up to NEW_TOKEN_CHECKS, one refused unchecked that comes again up to
REPEATED_TOKEN_CHECKS more, and anything without a token never."""

from __future__ import annotations

from bot.core.rate_limits import Rate
from bot.settings import Settings
from bot.teams import endpoint as teams_endpoint
from bot.teams.endpoint import TeamsEndpoint

CLIENT = "127.0.0.2"


async def logic(turn):  # never called: no request reaches a turn here
    raise AssertionError(turn)


def endpoint(new_per_burst: int = 2) -> TeamsEndpoint:
    return TeamsEndpoint(Settings(app_id="00000000-0000-0000-0000-0000000000aa"), logic,
                         new_token_checks=Rate(burst=new_per_burst, per_minute=60),
                         monotonic=lambda: 0.0)


def bearer(name: str) -> str:
    return f"Bearer {name}.{name}.{name}"


def test_new_tokens_are_checked_up_to_the_budget_then_refused_unchecked():
    edge = endpoint()
    assert [edge._over_budget(CLIENT, bearer(f"t{n}")) for n in range(4)] == [
        False, False, True, True]


def test_a_token_refused_unchecked_is_checked_when_it_comes_again():
    edge = endpoint(new_per_burst=1)
    assert edge._over_budget(CLIENT, bearer("forged")) is False  # the budget's one check
    assert edge._over_budget(CLIENT, bearer("teams-next")) is True  # the budget is empty
    assert edge._over_budget(CLIENT, bearer("teams-next")) is False  # Teams repeats it


def test_repeats_get_only_their_own_few_checks():
    edge = endpoint(new_per_burst=1)
    edge._over_budget(CLIENT, bearer("first"))  # takes the one check for new tokens
    tokens = [bearer(f"forged{n}") for n in range(50)]
    for header in tokens:
        edge._over_budget(CLIENT, header)
    repeated = [edge._over_budget(CLIENT, header) for header in tokens]
    assert repeated.count(False) == teams_endpoint.REPEATED_TOKEN_CHECKS.burst


def test_without_a_token_nothing_is_checked():
    assert endpoint()._over_budget(CLIENT, "") is True
    assert endpoint()._over_budget(CLIENT, "Basic dXNlcjpwdw==") is True
