"""The bot's own tokens to the Bot Connector, from the Entra authority RESONANZ_LOGIN_URL names:
a local token endpoint here (devtools/local_login.py, https with a self-signed certificate), so
the whole authenticated path runs offline: a signed channel token in, a vote stored, and the card
edited with a bearer token the bot got from that endpoint."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from bot.settings import Settings, SettingsError, check_start
from bot.teams import endpoint
from devtools.local_login import LocalLogin
from tests.support.channel import APP_ID, PASSWORD, TENANT, token
from tests.support.keys import KeyServer
from tests.support.teams import BotUnderTest, Participant, settings_for_tests, start_bot


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


async def test_a_login_host_that_does_not_answer_holds_back_only_tokens(
        tmp_path, keys, login, monkeypatch, caplog):
    """Eight chats start a poll at once while the login host takes 30 s to answer: one token
    request goes out (not one per chat), the thread pool that DNS lookups and the Q&A search
    share stays free, the request is cut off after the read timeout, and the failure is logged
    with the host."""
    monkeypatch.setattr(endpoint, "TOKEN_REQUEST_TIMEOUT", (2.0, 1.0))
    login.stall = 30.0
    bot = await _bot(tmp_path, keys, login)
    caplog.set_level(logging.WARNING, logger="bot.teams.endpoint")
    try:
        organizer = Participant.numbered(0)
        chats = [dataclasses.replace(bot.chat, conversation_id=f"19:chat-{n}@thread.v2")
                 for n in range(8)]
        statuses = await asyncio.gather(*(
            bot.client.post("/api/messages", json=chat.message(organizer, "poll Lunch? | A | B"),
                            headers={"Authorization": "Bearer " + token(bot)})
            for chat in chats))
        assert all(answer.status < 300 for answer in statuses)
        await asyncio.sleep(0.5)  # the sends have asked for their token by now
        started = time.monotonic()
        assert await asyncio.to_thread(lambda: "free") == "free"
        assert time.monotonic() - started < 0.5
        assert (await bot.client.get("/healthz")).status == 200
        await _until(lambda: any("could not get the bot's token" in r.getMessage()
                                 for r in caplog.records), timeout=10)
        [line] = [r.getMessage() for r in caplog.records if "could not get" in r.getMessage()]
        assert f"127.0.0.1:{login.port}" in line and "ReadTimeout" in line
        assert login.most_at_once == 1 and login.asked == 1
        assert login.issued == [] and bot.connector.requests == []  # nothing without a token
    finally:
        login.stall = 0.0
        await bot.client.close()
        await bot.connector.stop()


async def test_a_refused_password_is_logged_by_its_code_and_not_asked_again_at_once(
        tmp_path, keys, login, caplog):
    bot = await _bot(tmp_path, keys, login, app_password="not-the-password")
    caplog.set_level(logging.WARNING, logger="bot.teams.endpoint")
    try:
        organizer = Participant.numbered(0)
        for n in range(4):
            chat = dataclasses.replace(bot.chat, conversation_id=f"19:chat-{n}@thread.v2")
            assert await _signed(bot, chat.message(organizer, "poll Lunch? | A | B")) < 300
        await _until(lambda: login.refused >= 1, timeout=10)
        await asyncio.sleep(1.0)
        assert login.refused == 1  # the next attempt waits TOKEN_RETRY_AFTER seconds
        lines = [r.getMessage() for r in caplog.records if "could not get" in r.getMessage()]
        assert len(lines) == 1 and "invalid_client" in lines[0]
        assert "unknown client" not in lines[0]  # the host's description is not logged
        assert "not-the-password" not in caplog.text
    finally:
        await bot.client.close()
        await bot.connector.stop()


async def _until(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("not within the time")
        await asyncio.sleep(0.05)


def _with_login_url(tmp_path: Path, url: str) -> Settings:
    return Settings.from_env({"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": PASSWORD,
                              "RESONANZ_LOGIN_URL": url,
                              "RESONANZ_SECRET_FILE": str(tmp_path / "secret"),
                              "RESONANZ_SECRET": secrets.token_hex(32)})


@pytest.mark.parametrize("url", [
    "http://login.example.org", "ftp://login.example.org", "https://",
    "login.microsoftonline.com",
    "https://login.microsoftonline.com@login.example.org",  # the host is login.example.org
    "https://user:pw@login.example.org", "https://login.example.org/tenant",
    "https://login.example.org?x=1", "https://login.example.org#x",
    "https://login.example.org:99999", "https://login.example.org:port",
    "https://login.example.org\\@evil", "https://login.example.org\n"])
def test_a_login_url_that_is_not_a_plain_https_host_refuses_to_start(tmp_path, url):
    settings = _with_login_url(tmp_path, url)
    with pytest.raises(SettingsError, match="RESONANZ_LOGIN_URL"):
        check_start(settings)


@pytest.mark.parametrize("url", ["https://login.microsoftonline.us",
                                 "https://login.partner.microsoftonline.cn",
                                 "https://127.0.0.1:8443", "https://login.example.org/"])
def test_a_plain_https_login_host_is_accepted(tmp_path, url):
    settings = _with_login_url(tmp_path, url)
    [warning] = check_start(settings)
    assert "RESONANZ_LOGIN_URL" in warning and urlsplit(url).netloc in warning


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


async def test_a_managed_identitys_token_requests_are_bounded_too(login, monkeypatch):
    """The managed-identity client gets an HTTP client whose requests time out (MSAL passes
    it no timeout of its own)."""
    monkeypatch.setattr(endpoint, "TOKEN_REQUEST_TIMEOUT", (2.0, 0.5))
    settings = Settings(app_id=APP_ID, app_type="UserAssignedMSI", app_tenant_id=TENANT)
    fetch = await endpoint._connector_token_fetch(settings)
    [credentials] = [cell.cell_contents for cell in fetch.__closure__ or ()
                     if type(cell.cell_contents).__name__ == "ManagedIdentityAppCredentials"]
    client = endpoint._msal_client(credentials, settings, checked=True)
    assert type(client).__name__ == "ManagedIdentityClient"
    assert isinstance(client._http_client.http_client, endpoint._TimedSession)  # MSAL wraps it
    login.stall = 30.0
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        await asyncio.to_thread(endpoint._TimedSession().post,
                                f"{login.url}/t/oauth2/v2.0/token", data={})
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(("error", "said"), [
    (PermissionError("Failed to get access token with error: invalid_client, "
                     "error_description: AADSTS7000215 secret abc"), "invalid_client"),
    (PermissionError("something else"), "PermissionError"),
    (requests.exceptions.ConnectTimeout("to login.example.org"), "ConnectTimeout")])
def test_a_token_failure_is_named_by_its_code_or_type_only(error, said):
    assert endpoint.token_failure(error) == said
