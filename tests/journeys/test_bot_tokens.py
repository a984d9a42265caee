"""The bot's own tokens to the Bot Connector, from the Entra authority RESONANZ_LOGIN_URL names:
a local token endpoint here (devtools/local_login.py, https with a self-signed certificate), so
the whole authenticated path runs offline: a signed channel token in, a vote stored, and the card
edited with a bearer token the bot got from that endpoint."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, check_start
from devtools.local_login import LocalLogin
from tests.support.channel import APP_ID, TENANT, token
from tests.support.keys import KeyServer
from tests.support.teams import BotUnderTest, Participant, settings_for_tests, start_bot

PASSWORD = "the-bots-client-secret"


@pytest.fixture
async def login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LocalLogin]:
    server = LocalLogin(tmp_path, APP_ID, PASSWORD)
    await server.start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.certificate))
    try:
        yield server
    finally:
        await server.stop()


async def _bot(tmp_path: Path, keys: KeyServer, login: LocalLogin,
               **overrides: object) -> BotUnderTest:
    values: dict[str, object] = dict(app_id=APP_ID, app_password=PASSWORD,
                                     app_type="SingleTenant", app_tenant_id=TENANT,
                                     openid_metadata_url=keys.metadata_url, login_url=login.url)
    values.update(overrides)
    bot, _ = await start_bot(settings_for_tests(tmp_path, **values))
    return bot


async def _signed(bot: BotUnderTest, activity: dict) -> int:
    response = await bot.client.post("/api/messages", json=activity,
                                     headers={"Authorization": "Bearer " + token(bot)})
    return response.status


async def _posted(bot: BotUnderTest, count: int = 1, timeout: float = 10.0) -> list:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        sent = [r for r in bot.connector.requests if r.kind in ("send", "reply")]
        if len(sent) >= count:
            return sent
        await asyncio.sleep(0.05)
    raise AssertionError(f"only {bot.connector.requests} reached the connector")


async def test_a_vote_in_authenticated_mode_edits_the_card_with_the_bots_own_token(
        tmp_path, keys, login):
    bot = await _bot(tmp_path, keys, login)
    try:
        organizer, voter = Participant.numbered(0), Participant.numbered(1)
        assert await _signed(bot, bot.chat.message(organizer, "poll Lunch? | Pizza | Soup")) < 300
        [card] = await _posted(bot)
        assert card.authorization == "Bearer local-token-1"
        poll = next(a["data"]["poll"] for a in _actions(card.body) if "poll" in a["data"])
        vote = bot.chat.click(voter, "poll.vote", {"poll": poll, "rz_choice": "0"},
                              reply_to_id=card.activity_id)
        assert await _signed(bot, vote) == 200
        await bot.connector.wait_for(
            lambda c: any(r.kind == "edit" and r.status < 300 for r in c.requests), timeout=10)
        edits = [r for r in bot.connector.requests if r.kind == "edit"]
        assert {r.authorization for r in edits} == {"Bearer local-token-1"}  # MSAL caches it
        assert login.issued == ["local-token-1"] and login.refused == 0
    finally:
        await bot.client.close()
        await bot.connector.stop()


async def test_a_wrong_password_gets_no_token_and_nothing_is_sent_without_one(
        tmp_path, keys, login):
    bot = await _bot(tmp_path, keys, login, app_password="not-the-password")
    try:
        organizer = Participant.numbered(0)
        assert await _signed(bot, bot.chat.message(organizer, "poll Lunch? | Pizza | Soup")) < 300
        await asyncio.sleep(1.0)
        assert login.refused >= 1 and login.issued == []
        assert all(r.authorization.startswith("Bearer local-token") for r in
                   bot.connector.requests)  # nothing went out without a real token
    finally:
        await bot.client.close()
        await bot.connector.stop()


@pytest.mark.parametrize("url", ["http://login.example.org", "ftp://login.example.org",
                                 "https://", "login.microsoftonline.com"])
def test_a_login_url_that_is_not_https_refuses_to_start(tmp_path, url):
    settings = Settings.from_env({"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": PASSWORD,
                                  "RESONANZ_LOGIN_URL": url,
                                  "RESONANZ_SECRET_FILE": str(tmp_path / "secret"),
                                  "RESONANZ_SECRET": secrets.token_hex(32)})
    with pytest.raises(SettingsError, match="RESONANZ_LOGIN_URL"):
        check_start(settings)


def test_the_login_url_defaults_to_microsofts_and_loses_a_trailing_slash():
    assert Settings.from_env({}).login_url == "https://login.microsoftonline.com"
    assert Settings.from_env(
        {"RESONANZ_LOGIN_URL": "https://login.example.org/"}).login_url == (
        "https://login.example.org")


def _actions(card_body: dict) -> list[dict]:
    found: list[dict] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(card_body)
    return found
