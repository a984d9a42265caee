"""A bot in authenticated mode for tests: the channel's signing key on a local key server
(tests/support/keys.py), channel tokens signed with it, and the fixtures `keys` and `secured`
(used through tests/journeys/conftest.py)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from devtools.local_login import LocalLogin
from tests.support.keys import KeyServer
from tests.support.teams import BotUnderTest, Participant, settings_for_tests, start_bot

APP_ID = "3f6a9d2e-5b1c-4d7e-8f90-1a2b3c4d5e6f"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ISSUER = "https://api.botframework.com"


@cache
def signing_key(whose: str) -> rsa.RSAPrivateKey:
    """The channel's (or an attacker's) RSA key, made when a test first needs it, not at import."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
async def keys() -> AsyncIterator[KeyServer]:
    """The channel's published signing keys, on a local key server."""
    server = await KeyServer({"channel-key": signing_key("channel")}).start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def secured(tmp_path: Path, keys: KeyServer,
                  monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BotUnderTest]:
    def no_blocking_fetch(*args, **kwargs):  # botbuilder's key fetch would block the loop
        raise AssertionError("requests.get called")

    monkeypatch.setattr(requests, "get", no_blocking_fetch)
    under_test = await secured_bot(tmp_path, keys)
    try:
        yield under_test
    finally:
        await under_test.client.close()
        await under_test.connector.stop()


def token(bot: BotUnderTest, *, key: rsa.RSAPrivateKey | None = None, **claims) -> str:
    payload = {"iss": ISSUER, "aud": APP_ID, "exp": int(time.time()) + 600,
               "nbf": int(time.time()) - 60, "serviceurl": bot.chat.service_url}
    payload.update(claims)
    return jwt.encode(payload, key or signing_key("channel"), algorithm="RS256",
                      headers={"kid": "channel-key"})


def quiet_activity(bot: BotUnderTest) -> dict:
    """An activity the bot accepts without replying (a reply would need a real Entra token)."""
    activity = bot.chat.message(Participant.numbered(1), "hello")
    activity.update(type="conversationUpdate", text=None, entities=None)
    return activity


async def secured_bot(tmp_path: Path, keys: KeyServer) -> BotUnderTest:
    """The real app with an app id, taking the channel's keys from `keys`."""
    settings = settings_for_tests(tmp_path, app_id=APP_ID, app_password="not-used-offline",
                                  app_type="SingleTenant", app_tenant_id=TENANT,
                                  openid_metadata_url=keys.metadata_url)
    bot, _ = await start_bot(settings)
    return bot


PASSWORD = "the-bots-client-secret"


@pytest.fixture
async def login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LocalLogin]:
    """An https token endpoint standing in for Entra, for the bot's own connector tokens."""
    server = LocalLogin(tmp_path, APP_ID, PASSWORD)
    await server.start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.certificate))
    try:
        yield server
    finally:
        await server.stop()
