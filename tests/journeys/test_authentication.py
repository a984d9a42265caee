"""With an app id, only tokens the channel signed for this bot get in; others get 401."""

from __future__ import annotations

import time

import pytest

from tests.support.channel import quiet_activity, signing_key, token
from tests.support.teams import BotUnderTest


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
