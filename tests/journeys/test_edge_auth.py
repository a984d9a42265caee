"""The edge of /api/messages as an attacker meets it: the token is checked from the header before
the body is read, the body is bounded before a byte of it is read, signing keys never stall a
request, and a bot without an app id calls back no one but a loopback connector."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import jwt
import pytest
from botbuilder.integration.aiohttp import CloudAdapter
from botframework.connector.auth import AuthenticateRequestResult
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import RSAAlgorithm

from bot import app as bot_app
from bot.app import ENDPOINT, SERVICES
from bot.teams import endpoint as teams_endpoint
from bot.teams import tokens
from bot.teams.tokens import Rejected, SigningKeys, TokenValidator
from tests.support.channel import APP_ID, TENANT, quiet_activity, secured_bot, signing_key, token
from tests.support.keys import KeyServer
from tests.support.teams import BotUnderTest, Participant, settings_for_tests, start_bot


async def _post(bot: BotUnderTest, activity: dict, authorization: str | None) -> int:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await bot.client.post("/api/messages", json=activity, headers=headers)
    return response.status


async def _raw(bot: BotUnderTest, head: str, body: bytes = b"", *,
               wait: float = 5.0) -> str:
    """Send raw bytes and return the status line the bot answers with (the body may be
    withheld: the answer must come without it)."""
    reader, writer = await asyncio.open_connection(bot.client.host, bot.client.port)
    try:
        writer.write(head.encode() + body)
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), wait)
        return line.decode().strip()
    finally:
        writer.close()


def _head(bot: BotUnderTest, length: int | None, authorization: str = "") -> str:
    lines = ["POST /api/messages HTTP/1.1", f"Host: 127.0.0.1:{bot.client.port}",
             "Content-Type: application/json"]
    lines.append(f"Content-Length: {length}" if length is not None
                 else "Transfer-Encoding: chunked")
    if authorization:
        lines.append(f"Authorization: {authorization}")
    return "\r\n".join(lines) + "\r\n\r\n"


# ------------------------------------------------------------------ tokens that must not pass


async def test_an_emulator_token_for_this_bot_is_refused(secured):
    emulator = token(secured, iss="https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/",
                     appid=APP_ID, ver="1.0")
    assert await _post(secured, quiet_activity(secured), "Bearer " + emulator) == 401


async def test_a_skill_token_is_refused(secured):
    skill = token(secured, aud="another-bot", appid="another-bot", ver="2.0")
    assert await _post(secured, quiet_activity(secured), "Bearer " + skill) == 401


async def test_the_public_key_used_as_an_hmac_secret_is_refused(secured):
    public = signing_key("channel").public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    payload = {"iss": "https://api.botframework.com", "aud": APP_ID,
               "exp": int(time.time()) + 600, "serviceurl": secured.chat.service_url}
    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signed = part({"alg": "HS256", "typ": "JWT", "kid": "channel-key"}) + "." + part(payload)
    mac = hmac.new(public, signed.encode(), hashlib.sha256).digest()  # the algorithm confusion
    forged = signed + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    assert await _post(secured, quiet_activity(secured), "Bearer " + forged) == 401


async def test_a_token_without_a_service_url_is_refused(secured):
    bare = jwt.encode({"iss": "https://api.botframework.com", "aud": APP_ID,
                       "exp": int(time.time()) + 600}, signing_key("channel"),
                      algorithm="RS256", headers={"kid": "channel-key"})
    assert await _post(secured, quiet_activity(secured), "Bearer " + bare) == 401


async def test_a_key_not_endorsed_for_teams_is_refused(tmp_path):
    server = await KeyServer({"channel-key": signing_key("channel")},
                             endorsements=("webchat",)).start()
    bot = await secured_bot(tmp_path, server)
    try:
        assert await _post(bot, quiet_activity(bot), "Bearer " + token(bot)) == 401
    finally:
        await bot.client.close()
        await bot.connector.stop()
        await server.stop()


async def test_an_activity_from_another_channel_is_refused(secured):
    activity = dict(quiet_activity(secured), channelId="webchat")
    assert await _post(secured, activity, "Bearer " + token(secured)) == 401


async def test_a_wrong_audience_is_401_not_500(secured):
    wrong = token(secured, aud="api://someone-else")
    assert await _post(secured, quiet_activity(secured), "Bearer " + wrong) == 401


# ------------------------------------------------------------------ before a byte of the body


async def test_a_forged_token_is_answered_before_the_body_is_sent(secured):
    head = _head(secured, 1000, "Bearer " + token(secured, key=signing_key("attacker")))
    assert (await _raw(secured, head)).startswith("HTTP/1.1 401")


async def test_a_body_declared_too_large_is_refused_before_it_is_sent(secured):
    head = _head(secured, teams_endpoint.MAX_ACTIVITY_BYTES + 1, "Bearer " + token(secured))
    assert (await _raw(secured, head)).startswith("HTTP/1.1 413")


async def test_a_body_without_a_declared_length_is_refused(secured):
    assert (await _raw(secured, _head(secured, None, "Bearer " + token(secured)))).startswith(
        "HTTP/1.1 411")


async def test_a_body_that_stalls_after_a_valid_token_gets_408(secured, monkeypatch):
    monkeypatch.setattr(teams_endpoint, "BODY_TIMEOUT", 0.5)
    head = _head(secured, 1000, "Bearer " + token(secured))
    assert (await _raw(secured, head, b'{"type": "mess')).startswith("HTTP/1.1 408")


async def test_an_activity_with_thousands_of_entities_is_refused(secured):
    activity = dict(quiet_activity(secured), entities=[{"type": "clientInfo"}] * 1000)
    assert await _post(secured, activity, "Bearer " + token(secured)) == 400


async def test_a_participant_event_for_350_people_fits_well_under_the_limit(secured):
    # Teams names each person with ids, tenant, name and role (see MAX_ACTIVITY_BYTES).
    people = [Participant.numbered(n) for n in range(350)]
    members = [{"user": {"id": p.mri, "name": p.name, "aadObjectId": p.aad_object_id,
                         "tenantId": TENANT, "userPrincipalName": f"person{n}@contoso.com"},
                "meeting": {"inMeeting": True, "role": "Attendee"}}
               for n, p in enumerate(people)]
    event = secured.chat.event(people[0], "meetingParticipantJoin", {"members": members})
    assert len(json.dumps(event)) < teams_endpoint.MAX_ACTIVITY_BYTES * 0.75
    assert await _post(secured, event, "Bearer " + token(secured)) in (200, 201)


# ------------------------------------------------------------------ signing keys off the path


async def test_a_dead_key_endpoint_never_stalls_requests(tmp_path):
    server = await KeyServer({"channel-key": signing_key("channel")}).start()
    server.mode = "blackhole"
    bot = await secured_bot(tmp_path, server)  # starts although no key came
    try:
        started = time.monotonic()
        for _ in range(20):
            forged = token(bot, key=signing_key("attacker"))
            assert await _post(bot, quiet_activity(bot), "Bearer " + forged) == 401
        assert await _post(bot, quiet_activity(bot), "Bearer " + token(bot)) == 401
        assert (await bot.client.get("/healthz")).status == 200
        assert time.monotonic() - started < 2.0  # 22 answers, not one wait for the keys
        server.mode = "ok"  # the endpoint comes back: the background retry picks the keys up
        keys = bot.client.server.app[ENDPOINT].signing_keys
        for _ in range(100):
            if keys.ready:
                break
            await asyncio.sleep(0.1)
        assert await _post(bot, quiet_activity(bot), "Bearer " + token(bot)) in (200, 201)
    finally:
        await bot.client.close()
        await bot.connector.stop()
        await server.stop()


async def test_unknown_key_ids_ask_for_the_keys_at_most_once_per_interval(secured, keys):
    fetched = keys.requests  # the metadata and key documents at start
    for n in range(50):
        stranger = jwt.encode({"iss": "https://api.botframework.com", "aud": APP_ID,
                               "exp": int(time.time()) + 600,
                               "serviceurl": secured.chat.service_url},
                              signing_key("attacker"), algorithm="RS256",
                              headers={"kid": f"unknown-{n}"})
        # refused, then (after REFUSAL_RATE's burst) refused without a look at the token
        assert await _post(secured, quiet_activity(secured), "Bearer " + stranger) in (401, 429)
    await asyncio.sleep(0.2)
    assert keys.requests - fetched <= 2  # one refresh: metadata and keys


# ------------------------------------------------------------------ local mode


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[BotUnderTest]:
    bot, _ = await start_bot(settings_for_tests(tmp_path))
    try:
        yield bot
    finally:
        await bot.client.close()
        await bot.connector.stop()


async def test_without_an_app_id_a_token_is_refused_not_fetched_for(local):
    assert await _post(local, quiet_activity(local), "Bearer a.b.c") == 401


async def test_without_an_app_id_only_a_loopback_connector_is_called_back(local):
    message = local.chat.message(Participant.numbered(1), "help")
    message["serviceUrl"] = "http://connector.invalid/"
    assert await _post(local, message, None) == 401
    assert local.connector.sent() == []  # nothing was sent, here or there
    assert await local.say(Participant.numbered(1), "help") in (200, 201)
    await local.settle()
    assert local.connector.sent()  # the loopback connector got its answer


async def test_connector_clients_for_many_service_urls_are_bounded(local):
    for port in range(20000, 20000 + teams_endpoint.MAX_CONNECTOR_CLIENTS + 40):
        activity = dict(quiet_activity(local), serviceUrl=f"http://127.0.0.1:{port}/")
        assert await _post(local, activity, None) in (200, 201)
    clients = local.client.server.app[ENDPOINT].connector_clients
    assert clients == teams_endpoint.MAX_CONNECTOR_CLIENTS


async def test_an_accepted_token_stops_working_when_it_expires(secured, monkeypatch):
    from bot.teams import tokens

    monkeypatch.setattr(tokens, "LEEWAY_SECONDS", 0)  # no clock skew allowed, to wait less
    expires = int(time.time()) + 2
    soon = token(secured, exp=expires)
    assert await _post(secured, quiet_activity(secured), "Bearer " + soon) in (200, 201)
    assert await _post(secured, quiet_activity(secured), "Bearer " + soon) in (200, 201)
    await asyncio.sleep(expires - time.time() + 0.2)
    assert await _post(secured, quiet_activity(secured), "Bearer " + soon) == 401


async def test_an_address_refused_too_often_gets_429_for_junk_but_teams_still_gets_in(
        secured):
    burst = teams_endpoint.REFUSAL_RATE.burst
    statuses = [await _post(secured, quiet_activity(secured), None) for _ in range(burst + 5)]
    assert statuses[:burst] == [401] * burst and set(statuses[burst:]) == {429}
    answer = await secured.client.post("/api/messages", data="x",
                                       headers={"Content-Type": "text/plain"})
    assert answer.status == 429 and int(answer.headers["Retry-After"]) >= 1
    # Teams may share the address (a proxy): a new token is still checked and gets in.
    assert await _post(secured, quiet_activity(secured), "Bearer " + token(secured)) in (200, 201)
    # forged tokens are still answered 401 (checked, each new one once)
    assert await _post(secured, quiet_activity(secured),
                       "Bearer " + token(secured, key=signing_key("attacker"))) == 401


async def test_new_forged_tokens_from_an_address_refused_too_often_are_checked_at_a_bounded_rate(
        secured, monkeypatch):
    """Each forged token different (a new jti), so none is a cache hit: past the address's
    refusal budget only NEW_TOKEN_CHECKS of them a second get a signature check, the rest are
    429 unchecked; Teams' token, accepted before, gets in at once, and a new Teams token gets in
    once the budget has refilled."""
    checked = []
    verify = TokenValidator._verify
    monkeypatch.setattr(TokenValidator, "_verify",
                        lambda self, raw: (checked.append(raw), verify(self, raw))[1])
    teams = "Bearer " + token(secured)
    assert await _post(secured, quiet_activity(secured), teams) in (200, 201)
    attacker = signing_key("attacker")
    burst = teams_endpoint.REFUSAL_RATE.burst + teams_endpoint.NEW_TOKEN_CHECKS.burst
    forged = ["Bearer " + token(secured, key=attacker, jti=f"forged-{n}")
              for n in range(burst + 200)]
    began = time.monotonic()
    statuses = [await _post(secured, quiet_activity(secured), header) for header in forged]
    elapsed = time.monotonic() - began
    assert set(statuses[:burst]) == {401} and set(statuses) == {401, 429}
    assert len(checked) == 1 + statuses.count(401)  # a 429 had no signature check
    refills = (teams_endpoint.NEW_TOKEN_CHECKS.per_second
               + teams_endpoint.REFUSAL_RATE.per_second) * elapsed
    assert statuses.count(401) <= burst + refills + 1
    assert await _post(secured, quiet_activity(secured), teams) in (200, 201)  # known: no wait
    # Teams' next token while the flood has the new-token budget empty: refused unchecked at
    # most once, then checked when Teams repeats it (REPEATED_TOKEN_CHECKS).
    more = ["Bearer " + token(secured, key=attacker, jti=f"more-{n}") for n in range(100)]
    await asyncio.gather(*(_post(secured, quiet_activity(secured), header)
                           for header in more))  # new ones again: the budget is empty
    fresh = "Bearer " + token(secured, jti="teams-next-token")
    answers = [await _post(secured, quiet_activity(secured), fresh) for _ in range(2)]
    assert answers[-1] in (200, 201) and answers[0] in (200, 201, 429), answers


async def test_the_channels_own_tokens_for_another_bot_do_not_count_against_its_address(
        secured):
    # Someone's own bot registration could make the channel send us its (signed) tokens.
    for n in range(teams_endpoint.REFUSAL_RATE.burst + 10):
        other_bot = token(secured, aud=f"another-bot-{n}")
        assert await _post(secured, quiet_activity(secured), "Bearer " + other_bot) == 401
    assert await _post(secured, quiet_activity(secured), None) == 401  # not 429: not counted


async def test_keys_that_arrive_in_pieces_are_read_whole(tmp_path):
    server = await KeyServer({f"key-{n}": signing_key("channel") for n in range(30)}).start()
    server.keys["channel-key"] = signing_key("channel")
    server.mode = "trickle"
    bot = await secured_bot(tmp_path, server)
    try:
        assert bot.client.server.app[ENDPOINT].signing_keys.ready
        assert await _post(bot, quiet_activity(bot), "Bearer " + token(bot)) in (200, 201)
    finally:
        await bot.client.close()
        await bot.connector.stop()
        await server.stop()


async def test_a_deeply_nested_body_is_400_not_500(local):
    answer = await local.client.post("/api/messages", data="[" * 100_000,
                                     headers={"Content-Type": "application/json"})
    assert answer.status == 400


async def test_without_an_app_id_a_web_page_cannot_post(local):
    # A page the developer visits could post cross-site as text/plain (no preflight).
    for headers in ({"Content-Type": "text/plain; application/json"},
                    {"Content-Type": "application/json", "Origin": "http://127.0.0.1:1"},
                    {"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}):
        body = json.dumps(local.chat.message(Participant.numbered(1), "help"))
        answer = await local.client.post("/api/messages", data=body, headers=headers)
        assert answer.status in (403, 415), headers
    assert local.connector.sent() == []


@pytest.mark.parametrize("service_url", [
    "http://127.0.0.1:2375/containers/create?x=", "http://127.0.0.1:8080/#",
    "http://127.0.0.1:8080/admin%3F/", "http://user@127.0.0.1:8080/",
    "http://evil.example\\@127.0.0.1/", "ftp://127.0.0.1/", "http://127.0.0.1:80/ /"])
async def test_without_an_app_id_a_service_url_cannot_steer_the_path(local, service_url):
    message = local.chat.message(Participant.numbered(1), "help")
    message["serviceUrl"] = service_url
    assert await _post(local, message, None) == 401


# ------------------------------------------------------------------ the token path, as units


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def _validator(keys: KeyServer, clock: _Clock) -> TokenValidator:
    signing = SigningKeys(keys.metadata_url)
    assert await signing.refresh()
    await signing.close()
    return TokenValidator(APP_ID, signing, clock=clock)


def _channel_token(now: float, **claims) -> str:
    payload = {"iss": "https://api.botframework.com", "aud": APP_ID, "exp": int(now) + 600,
               "serviceurl": "https://smba.trafficmanager.net/emea/"}
    payload.update(claims)
    return "Bearer " + jwt.encode(payload, signing_key("channel"), algorithm="RS256",
                                  headers={"kid": "channel-key"})


async def test_a_new_tokens_signature_is_checked_once(keys, monkeypatch):
    validator = await _validator(keys, _Clock(time.time()))
    checks = []
    verify = RSAAlgorithm.verify

    def counted(self, message, key, signature):
        checks.append(1)
        return verify(self, message, key, signature)

    monkeypatch.setattr(RSAAlgorithm, "verify", counted)
    header = _channel_token(time.time())
    assert validator.claims(header)["aud"] == APP_ID
    assert validator.claims(header)["aud"] == APP_ID  # known: no crypto at all
    assert len(checks) == 1


async def test_known_and_claims_agree_on_expiry(keys, monkeypatch):
    monkeypatch.setattr(tokens, "LEEWAY_SECONDS", 0)
    clock = _Clock(time.time())
    validator = await _validator(keys, clock)
    header = _channel_token(clock.now, exp=int(clock.now) + 10)
    validator.claims(header)
    for offset, valid in ((9.5, True), (10.5, False)):
        clock.now = int(clock.now // 1) + offset
        assert validator.known(header) is valid
    with pytest.raises(Rejected):
        validator.claims(header)


async def test_a_token_not_valid_yet_is_accepted_once_its_time_comes(keys):
    clock = _Clock(time.time())
    validator = await _validator(keys, clock)
    header = _channel_token(clock.now, nbf=int(clock.now) + 1000, exp=int(clock.now) + 4000)
    with pytest.raises(Rejected):
        validator.claims(header)
    with pytest.raises(Rejected):
        validator.claims(header)  # still early: refused from memory
    clock.now += 1000 - tokens.LEEWAY_SECONDS + 1
    assert validator.claims(header)["aud"] == APP_ID


async def test_a_failed_refresh_is_retried_with_backoff_even_with_keys_known(keys):
    delays: list[float] = []

    async def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) > 4:
            raise asyncio.CancelledError
        keys.mode = "fail"

    signing = SigningKeys(keys.metadata_url, refresh_every=6 * 3600.0, sleep=sleep)
    await signing.start()
    with pytest.raises(asyncio.CancelledError):
        await signing._background  # type: ignore[misc]
    await signing.close()
    assert delays == [6 * 3600.0, 1.0, 2.0, 4.0, 8.0]


async def test_keys_not_refreshed_for_48_hours_are_dropped_and_logged_once(keys, caplog):
    clock = _Clock(1000.0)
    signing = SigningKeys(keys.metadata_url, clock=clock)
    assert await signing.refresh()
    await signing.close()
    validator = TokenValidator(APP_ID, signing)
    header = _channel_token(time.time())
    assert validator.claims(header)
    clock.now += tokens.KEYS_MAX_AGE + 1
    signing._refresh_soon = lambda: None  # type: ignore[method-assign]  # no loop here
    for _ in range(3):
        with pytest.raises(Rejected):
            validator.claims(header)
    assert not signing.ready
    assert len([r for r in caplog.records if "dropped them" in r.getMessage()]) == 1


@pytest.mark.parametrize("metadata, jwks, allowed", [
    ("https://login.botframework.com/v1/.well-known/openidconfiguration",
     "https://login.botframework.com/v1/.well-known/keys", True),
    ("https://login.botframework.com/v1/x", "http://login.botframework.com/keys", False),
    ("https://login.botframework.com/v1/x", "http://127.0.0.1:80/keys", False),
    ("http://127.0.0.1:8000/v1/x", "http://127.0.0.1:9000/keys", True),
    ("http://127.0.0.1:8000/v1/x", "http://169.254.169.254/keys", False),
    ("http://127.0.0.1:8000/v1/x", "http://localhost:8000/keys", False),
    ("http://10.0.0.5/v1/x", "http://10.0.0.5/keys", False),
    ("https://login.botframework.com/v1/x", "file:///etc/passwd", False),
    ("https://login.botframework.com/v1/x", "https://user@evil.example/keys", False),
])
def test_the_key_document_comes_over_https_or_from_the_loopback_metadata_host(
        metadata, jwks, allowed):
    assert tokens.key_document_allowed(metadata, jwks) is allowed


async def test_a_plain_http_key_document_elsewhere_is_not_fetched(keys):
    keys.jwks_uri = f"http://localhost:{keys.metadata_url.split(':')[2].split('/')[0]}/v1/keys"
    signing = SigningKeys(keys.metadata_url)
    assert not await signing.refresh()
    await signing.close()
    assert keys.requests == 1  # the metadata only


# ------------------------------------------------------------------ the endpoint's answers


def test_importing_the_endpoint_patches_nothing_and_building_it_patches_once(tmp_path):
    script = (
        "from botframework.connector.auth import jwt_token_extractor as x\n"
        "original = x._OpenIdMetadata.get\n"
        "from bot.teams import endpoint\n"
        "assert x._OpenIdMetadata.get is original, 'patched at import'\n"
        "from bot.settings import Settings\n"
        f"settings = Settings(database_url='sqlite:///{tmp_path}/r.db')\n"
        "async def logic(turn): return None\n"
        "endpoint.TeamsEndpoint(settings, logic); patched = x._OpenIdMetadata.get\n"
        "endpoint.TeamsEndpoint(settings, logic)\n"
        "assert patched is x._OpenIdMetadata.get is endpoint._never_fetch\n")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr


async def test_the_adapter_gets_the_verified_claims_not_the_header(secured, monkeypatch):
    seen = []
    process = CloudAdapter.process_activity

    async def spy(self, auth, activity, logic):
        seen.append(auth)
        return await process(self, auth, activity, logic)

    monkeypatch.setattr(CloudAdapter, "process_activity", spy)
    assert await _post(secured, quiet_activity(secured), "Bearer " + token(secured)) in (200, 201)
    assert isinstance(seen[0], AuthenticateRequestResult)
    assert seen[0].claims_identity.claims["aud"] == APP_ID


async def test_malformed_bodies_count_against_the_address_and_close_the_connection(local):
    statuses = []
    for _ in range(teams_endpoint.REFUSAL_RATE.burst + 3):
        answer = await local.client.post("/api/messages", data="{not json",
                                         headers={"Content-Type": "application/json"})
        statuses.append(answer.status)
        if answer.status == 400:
            assert answer.headers.get("Connection", "").lower() == "close"
    burst = teams_endpoint.REFUSAL_RATE.burst
    assert statuses[:burst] == [400] * burst and set(statuses[burst:]) == {429}


async def test_a_card_action_that_cannot_be_read_is_400_not_501(local):
    click = local.chat.click(Participant.numbered(1), "vote", {"choice": 0})
    click["channelData"] = dict(click.get("channelData") or {}, tenant="not-an-object")
    answer = await local.client.post("/api/messages", json=click)
    assert answer.status == 400
    assert (await answer.json())["error"] == "malformed card action"


# ------------------------------------------------------------------ /healthz: can it write?


def _database_of(bot: BotUnderTest) -> str:
    return bot.client.server.app[SERVICES].storage.engine.url.database


def _sql(database: str, *statements: str) -> None:
    """Run statements on a connection of another "process" (in a thread: a blocking call on
    the event loop would wait for the bot, which waits for the loop)."""
    connection = sqlite3.connect(database, timeout=30)
    try:
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


async def test_healthz_says_so_when_the_database_refuses_writes(local):
    assert (await local.client.get("/healthz")).status == 200
    # What a full disk or a read-only file does to a vote's write, to the probe's write.
    await asyncio.to_thread(_sql, _database_of(local),
                            "CREATE TRIGGER full BEFORE UPDATE ON alembic_version "
                            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    await asyncio.sleep(1.1)  # past the cached answer
    answer = await local.client.get("/healthz")
    assert answer.status == 503
    assert await answer.json() == {"status": "unavailable",
                                   "database": "the database refuses writes"}
    await asyncio.to_thread(_sql, _database_of(local), "DROP TRIGGER full")
    await asyncio.sleep(1.1)
    assert (await local.client.get("/healthz")).status == 200


async def test_healthz_says_so_when_writes_wait_for_a_lock_and_answers_in_time(local):
    holder = sqlite3.connect(_database_of(local), isolation_level=None, timeout=30,
                             check_same_thread=False)
    await asyncio.to_thread(holder.execute, "BEGIN IMMEDIATE")  # another process's lock
    try:
        await asyncio.sleep(1.1)
        started = time.monotonic()
        answer = await local.client.get("/healthz")
        assert answer.status == 503 and "longer than" in (await answer.json())["database"]
        assert time.monotonic() - started < 3.0
    finally:
        holder.execute("ROLLBACK")
        holder.close()


async def test_a_flood_of_health_checks_is_one_probe_a_second(local, monkeypatch):
    probes = []
    probe = bot_app.write_probe

    async def counted(engine):
        probes.append(time.monotonic())
        await probe(engine)

    monkeypatch.setattr(bot_app, "write_probe", counted)
    await asyncio.sleep(1.1)
    answers = await asyncio.gather(*(local.client.get("/healthz") for _ in range(200)))
    assert {a.status for a in answers} == {200}
    assert len(probes) <= 2
