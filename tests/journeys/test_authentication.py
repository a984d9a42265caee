"""With an app id, only tokens the channel signed for this bot get in; others get 401."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

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
    settings = settings_for_tests(tmp_path, app_id=APP_ID, app_password="not-used-offline",
                                  app_type="SingleTenant", app_tenant_id=TENANT,
                                  openid_metadata_url=keys.metadata_url)
    under_test, _ = await start_bot(settings)
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


async def _status(bot: BotUnderTest, authorization: str | None) -> int:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await bot.client.post("/api/messages", json=quiet_activity(bot), headers=headers)
    return response.status


async def test_a_request_without_a_token_is_rejected(secured):
    assert await _status(secured, None) == 401


@pytest.mark.parametrize("header", ["Bearer garbage", "Bearer a.b.c", "Basic dXNlcjpwYXNz", ""])
async def test_a_garbage_token_is_rejected_with_401_not_500(secured, header):
    assert await _status(secured, header) == 401


async def test_a_token_signed_by_someone_else_is_rejected(secured):
    assert await _status(secured, "Bearer " + token(secured, key=signing_key("attacker"))) == 401


async def test_an_expired_token_is_rejected(secured):
    expired = token(secured, exp=int(time.time()) - 3600, nbf=int(time.time()) - 7200)
    assert await _status(secured, "Bearer " + expired) == 401


async def test_a_token_for_another_bot_is_rejected(secured):
    assert await _status(secured, "Bearer " + token(secured, aud="another-bot")) == 401


async def test_a_token_from_another_issuer_is_rejected(secured):
    assert await _status(secured, "Bearer " + token(secured, iss="https://evil.example")) == 401


async def test_a_token_for_another_service_url_is_rejected(secured):
    wrong = token(secured, serviceurl="http://127.0.0.1:1/")
    assert await _status(secured, "Bearer " + wrong) == 401


async def test_a_valid_channel_token_is_accepted(secured):
    assert await _status(secured, "Bearer " + token(secured)) in (200, 201)


async def test_the_health_check_needs_no_token(secured):
    response = await secured.client.get("/healthz")
    assert response.status == 200
