"""Fixtures of the journeys: a bot in authenticated mode with its key server."""

from tests.support.channel import keys, login, secured  # noqa: F401  (fixtures)
