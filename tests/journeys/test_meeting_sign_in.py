"""POST /meeting/api/session, as a meeting page and as an attacker meet it: a Teams SSO token
(authenticated mode) or the developer sign-in (local mode only) for a meeting Teams says the
person takes part in gives a session token for that chat; anything else gets 401, 403 or 429,
never a session and never a 5xx."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.app import SERVICES
from bot.core.sessions import SessionTokens
from bot.meeting.sign_in import CREDENTIAL_CHECKS, REFUSAL_RATE, REFUSED_COST, MeetingSignIn
from bot.settings import Settings, SettingsError, check_start
from bot.teams.sso import issuer_of
from devtools.local_login import LocalLogin
from tests.support.channel import APP_ID, PASSWORD, TENANT, token
from tests.support.keys import KeyServer
from tests.support.teams import BotUnderTest, Participant, settings_for_tests, start_bot

MEETING = "MCMxOTptZWV0aW5nX05qUTJabUUzWWpFdFl6STFAdGhyZWFkLnYyIzA="
TEAMS_DESKTOP = "1fec8e78-bce4-4aaf-ab1b-5451cc387264"
ENTRA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ORGANIZER, ATTENDEE, STRANGER = (Participant.numbered(n) for n in (1, 2, 3))


async def _known_meeting_chat(bot: BotUnderTest, *, signed: bool = False) -> str:
    """A meeting chat the bot knows (its organizer started a poll), with an organizer and an
    attendee."""
    bot.chat.meeting_id = MEETING
    bot.connector.set_role(MEETING, ORGANIZER.aad_object_id, "Organizer")
    bot.connector.set_role(MEETING, ATTENDEE.aad_object_id, "Attendee")
    headers = {"Authorization": "Bearer " + token(bot)} if signed else {}
    poll = bot.chat.message(ORGANIZER, "poll Lunch? | Pizza | Soup")
    answer = await bot.client.post("/api/messages", json=poll, headers=headers)
    assert answer.status < 300
    await bot.settle()
    return bot.chat.conversation_id


async def _sign_in(bot: BotUnderTest, authorization: str | None, chat: object,
                   **headers: str) -> tuple[int, dict]:
    if authorization is not None:
        headers["Authorization"] = authorization
    answer = await bot.client.post("/meeting/api/session", json={"chat": chat}, headers=headers)
    return answer.status, await answer.json()


def _session_of(bot: BotUnderTest, body: dict, chat: str):
    return SessionTokens(bot.client.app[SERVICES].secret).read(body["session"], chat)


# ----------------------------------------------------------------- local mode
async def test_a_developer_signs_in_as_a_participant_and_gets_a_session_for_that_chat(bot):
    chat = await _known_meeting_chat(bot)
    status, body = await _sign_in(bot, f"Developer {ATTENDEE.aad_object_id}", chat)
    assert status == 200 and body["developer"] is True and body["role"] == "Attendee"
    session = _session_of(bot, body, chat)
    assert (session.tenant_id, session.object_id) == (TENANT, ATTENDEE.aad_object_id)
    assert _session_of(bot, body, "19:another-chat@thread.v2") is None


async def test_someone_teams_does_not_list_in_the_meeting_gets_no_session(bot):
    chat = await _known_meeting_chat(bot)
    status, body = await _sign_in(bot, f"Developer {STRANGER.aad_object_id}", chat)
    assert (status, body) == (403, {"error": "not_in_this_meeting"})


@pytest.mark.parametrize("chat", ["19:never-seen@thread.v2", "", None, 7, "x" * 600])
async def test_a_chat_the_bot_does_not_know_gives_no_session(bot, chat):
    await _known_meeting_chat(bot)
    status, body = await _sign_in(bot, f"Developer {ATTENDEE.aad_object_id}", chat)
    assert status in (400, 403) and "session" not in body


@pytest.mark.parametrize("authorization", [
    None, "", "Developer", "Developer someone", "Developer ../../etc/passwd",
    "Bearer " + "a.b.c", "developer 00000000-0000-0000-0000-000000000000", "Basic dXNlcg=="])
async def test_without_a_valid_sign_in_there_is_no_session(bot, authorization):
    chat = await _known_meeting_chat(bot)
    status, body = await _sign_in(bot, authorization, chat)
    assert (status, body) == (401, {"error": "not_signed_in"})


async def test_a_flood_of_sign_ins_gets_429_with_retry_after_and_no_5xx(bot):
    chat = await _known_meeting_chat(bot)
    refused_before_rationing = int(REFUSAL_RATE.burst / REFUSED_COST)
    began = time.monotonic()
    statuses = [(await _sign_in(bot, "Developer nobody", chat))[0] for _ in range(60)]
    elapsed = time.monotonic() - began
    assert statuses[:refused_before_rationing] == [401] * refused_before_rationing
    assert set(statuses) == {401, 429}
    checked_most = (refused_before_rationing + CREDENTIAL_CHECKS.burst
                    + CREDENTIAL_CHECKS.per_second * elapsed + 1)
    assert statuses.count(401) <= checked_most
    answer = await bot.client.post("/meeting/api/session", json={"chat": chat})  # no credential
    assert answer.status == 429 and int(answer.headers["Retry-After"]) >= 1
    assert answer.headers["Cache-Control"] == "no-store"


async def test_a_body_that_is_not_a_small_json_object_gives_no_session(bot):
    chat = await _known_meeting_chat(bot)
    developer = {"Authorization": f"Developer {ATTENDEE.aad_object_id}"}
    for data, content_type in ((b"not json", "application/json"),
                               (b'{"chat": "' + chat.encode() + b'"}', "text/plain"),
                               (b"[" * 5000, "application/json"),
                               (b'{"chat": "' + b"x" * 5000 + b'"}', "application/json")):
        answer = await bot.client.post("/meeting/api/session", data=data,
                                       headers={**developer, "Content-Type": content_type})
        assert answer.status == 400, data[:20]


async def test_a_deeply_nested_body_is_400_not_500(bot):
    chat = await _known_meeting_chat(bot)
    answer = await bot.client.post("/meeting/api/session", data=b"[" * 4000, headers={
        "Authorization": f"Developer {ATTENDEE.aad_object_id}",
        "Content-Type": "application/json"})
    assert answer.status == 400 and chat


async def test_a_body_that_arrives_in_two_pieces_is_read_whole(bot):
    chat = await _known_meeting_chat(bot)
    body = json.dumps({"chat": chat}).encode()
    reader, writer = await asyncio.open_connection(bot.client.server.host,
                                                   bot.client.server.port)
    writer.write(b"POST /meeting/api/session HTTP/1.1\r\nHost: bot\r\n"
                 b"Content-Type: application/json\r\nConnection: close\r\n"
                 b"Authorization: Developer " + ATTENDEE.aad_object_id.encode() + b"\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
    await writer.drain()
    await asyncio.sleep(0.2)
    writer.write(body[10:])
    await writer.drain()
    answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


async def test_a_chat_that_is_not_a_meeting_gives_no_session_and_asks_teams_nothing(bot):
    poll = bot.chat.message(ORGANIZER, "poll Lunch? | Pizza | Soup")  # a group chat, no meeting
    assert (await bot.client.post("/api/messages", json=poll)).status < 300
    await bot.settle()
    status, body = await _sign_in(bot, f"Developer {ATTENDEE.aad_object_id}",
                                  bot.chat.conversation_id)
    assert (status, body) == (403, {"error": "not_in_this_meeting"})
    assert not [r for r in bot.connector.requests if r.kind == "participant"]


async def test_junk_from_one_address_still_lets_a_real_sign_in_through_at_a_bounded_rate(bot):
    chat = await _known_meeting_chat(bot)
    for _ in range(30):
        await _sign_in(bot, "Developer nobody", chat)  # the address is over its budget now
    await asyncio.sleep(0.1)  # CREDENTIAL_CHECKS refill: 20 a second
    status, _ = await _sign_in(bot, f"Developer {ATTENDEE.aad_object_id}", chat)
    assert status == 200
    status, _ = await _sign_in(bot, None, chat)  # no credential at all: refused unchecked
    assert status == 429


def test_the_developer_sign_in_counts_only_from_a_loopback_address():
    sign_in = MeetingSignIn.__new__(MeetingSignIn)
    sign_in._sso = None
    sign_in._log = lambda reason: None
    developer = f"Developer {ATTENDEE.aad_object_id}"
    assert sign_in._person(developer, "127.0.0.1")[0] is not None
    assert sign_in._person(developer, "::1")[0] is not None
    assert sign_in._person(developer, "10.0.0.5") == (None, False)
    assert sign_in._person(developer, None) == (None, False)


# ----------------------------------------------------------------- authenticated mode
@pytest.fixture
async def entra() -> AsyncIterator[KeyServer]:
    server = await KeyServer({"entra-key": ENTRA_KEY}, endorsements=()).start()
    try:
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def _authenticated(tmp_path: Path, keys: KeyServer, login: LocalLogin, entra: KeyServer,
                         **registration: str) -> AsyncIterator[BotUnderTest]:
    """The bot with an app id: channel tokens from `keys`, its own from `login`, SSO keys from
    `entra`; `registration`: app type and tenant."""
    settings = settings_for_tests(tmp_path, app_id=APP_ID, app_password=PASSWORD,
                                  openid_metadata_url=keys.metadata_url, login_url=login.url,
                                  sso_metadata_url=entra.metadata_url, **registration)
    bot, _ = await start_bot(settings)
    try:
        yield bot
    finally:
        await bot.client.close()
        await bot.connector.stop()


@pytest.fixture
async def teams_bot(tmp_path: Path, keys: KeyServer, login: LocalLogin,
                    entra: KeyServer) -> AsyncIterator[BotUnderTest]:
    async with _authenticated(tmp_path, keys, login, entra, app_type="SingleTenant",
                              app_tenant_id=TENANT) as bot:
        yield bot


def _sso(who: Participant, *, key: rsa.RSAPrivateKey = ENTRA_KEY, **claims: object) -> str:
    now = int(time.time())
    payload: dict[str, object] = {
        "ver": "2.0", "tid": TENANT, "oid": who.aad_object_id, "scp": "access_as_user",
        "aud": APP_ID, "iss": issuer_of("2.0", TENANT), "azp": TEAMS_DESKTOP,
        "iat": now - 10, "nbf": now - 10, "exp": now + 3600}
    payload.update(claims)
    return "Bearer " + jwt.encode(payload, key, algorithm="RS256", headers={"kid": "entra-key"})


async def _keys_fetched(bot: BotUnderTest, entra: KeyServer) -> None:
    for _ in range(100):
        if entra.requests >= 2:  # metadata and keys
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the SSO keys were never fetched")


async def test_a_teams_sso_token_of_a_participant_gives_a_session(teams_bot, entra):
    chat = await _known_meeting_chat(teams_bot, signed=True)
    await _keys_fetched(teams_bot, entra)
    status, body = await _sign_in(teams_bot, _sso(ORGANIZER), chat)
    assert status == 200 and body["role"] == "Organizer" and body["developer"] is False
    session = _session_of(teams_bot, body, chat)
    assert (session.tenant_id, session.object_id) == (TENANT, ORGANIZER.aad_object_id)


@pytest.mark.parametrize("forged", [
    lambda: _sso(ORGANIZER, key=rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    lambda: _sso(ORGANIZER, exp=int(time.time()) - 600),
    lambda: _sso(ORGANIZER, tid="0b3a2c3e-9f21-4c51-8f0e-6b1a2c3d4e5f",
                 iss=issuer_of("2.0", "0b3a2c3e-9f21-4c51-8f0e-6b1a2c3d4e5f")),
    lambda: _sso(ORGANIZER, aud="00000003-0000-0000-c000-000000000000"),
    lambda: _sso(ORGANIZER, scp="User.Read"),
])
async def test_forged_expired_foreign_or_wrong_audience_tokens_get_401(teams_bot, entra, forged):
    chat = await _known_meeting_chat(teams_bot, signed=True)
    await _keys_fetched(teams_bot, entra)
    status, body = await _sign_in(teams_bot, forged(), chat)
    assert (status, body) == (401, {"error": "not_signed_in"})


@pytest.fixture
async def multitenant_bot(tmp_path: Path, keys: KeyServer, login: LocalLogin,
                          entra: KeyServer) -> AsyncIterator[BotUnderTest]:
    async with _authenticated(tmp_path, keys, login, entra, app_type="MultiTenant") as bot:
        yield bot


async def test_a_person_of_another_tenant_gets_no_session_for_this_tenants_meeting(
        multitenant_bot, entra):
    chat = await _known_meeting_chat(multitenant_bot, signed=True)
    await _keys_fetched(multitenant_bot, entra)
    other = "0b3a2c3e-9f21-4c51-8f0e-6b1a2c3d4e5f"
    status, body = await _sign_in(multitenant_bot,
                                  _sso(ORGANIZER, tid=other, iss=issuer_of("2.0", other)), chat)
    assert (status, body) == (403, {"error": "not_in_this_meeting"})
    status, _ = await _sign_in(multitenant_bot, _sso(ORGANIZER), chat)
    assert status == 200  # the same person in the meeting's own tenant


async def test_the_developer_sign_in_does_not_exist_in_authenticated_mode(teams_bot, entra):
    chat = await _known_meeting_chat(teams_bot, signed=True)
    status, _ = await _sign_in(teams_bot, f"Developer {ORGANIZER.aad_object_id}", chat)
    assert status == 401


async def test_without_sso_configured_authenticated_mode_has_no_sign_in_route(secured):
    answer = await secured.client.post("/meeting/api/session", json={"chat": "19:x"},
                                       headers={"Authorization": "Developer "
                                                + ORGANIZER.aad_object_id})
    assert answer.status in (404, 405)


def test_sso_keys_from_a_plain_http_address_on_the_network_refuse_to_start(tmp_path):
    settings = Settings.from_env({"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": PASSWORD,
                                  "RESONANZ_SSO_METADATA_URL": "http://keys.example.org/meta",
                                  "RESONANZ_SECRET_FILE": str(tmp_path / "secret"),
                                  "RESONANZ_SECRET": secrets.token_hex(32)})
    with pytest.raises(SettingsError, match="RESONANZ_SSO_METADATA_URL"):
        check_start(settings)


def test_the_application_id_uri_comes_from_the_public_address_and_the_app_id():
    settings = Settings(app_id=APP_ID, public_url="https://Resonanz.Example.org/")
    assert settings.app_id_uri == f"api://resonanz.example.org/botid-{APP_ID}" and settings.sso
    assert not Settings(app_id=APP_ID, app_type="UserAssignedMSI",
                        public_url="https://resonanz.example.org").sso
    assert not Settings(app_id=APP_ID, public_url="http://127.0.0.1:3978").sso
    assert not Settings(public_url="https://resonanz.example.org").sso  # local mode
