"""The start-up checks and the connection hygiene of `resonanz serve`, as units: which hosts
count as loopback, which secrets are guessable, the header deadline setting, the descriptor
limit and the accept-error log."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import secrets
import socket
import uuid
from typing import Any

import pytest

from bot import cli
from bot.cli import ACCEPT_FAILED, AcceptErrorLog, raise_descriptor_limit
from bot.settings import (
    INSECURE_NETWORK,
    INSECURE_NETWORK_CONSENT,
    Settings,
    SettingsError,
    check_start,
    is_loopback,
    secret_weakness,
)

STRONG = secrets.token_hex(32)


def resolver(*addresses: str):
    def resolve(host: str, port: None) -> list[tuple[Any, ...]]:
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 0))
                for address in addresses]
    return resolve


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"])
def test_loopback_addresses_are_loopback(host: str):
    assert is_loopback(host, resolver())


@pytest.mark.parametrize("host", ["", "0.0.0.0", "::", "10.0.0.5", "192.0.2.10", "fe80::1",
                                  "::ffff:10.0.0.5"])
def test_every_other_address_is_the_network(host: str):
    assert not is_loopback(host, resolver("127.0.0.1"))


def test_a_name_is_loopback_only_if_every_address_it_resolves_to_is():
    assert is_loopback("localhost", resolver("127.0.0.1", "::1"))
    assert not is_loopback("bot.internal", resolver("10.0.0.5"))
    assert not is_loopback("half.internal", resolver("127.0.0.1", "10.0.0.5"))
    assert not is_loopback("nowhere.invalid", resolver())


def test_the_real_resolver_takes_localhost_as_loopback():
    assert is_loopback("localhost")


def test_an_authenticated_bot_may_listen_everywhere():
    settings = Settings(host="0.0.0.0", app_id="app", secret=STRONG)
    assert check_start(settings, resolve=resolver()) == []


def test_an_unauthenticated_bot_on_a_network_name_is_refused_with_the_fixes():
    with pytest.raises(SettingsError) as refused:
        check_start(Settings(host="bot.internal"), resolve=resolver("10.0.0.5"))
    message = str(refused.value)
    assert "no MicrosoftAppId is set" in message and "HOST='bot.internal'" in message
    assert f"{INSECURE_NETWORK}={INSECURE_NETWORK_CONSENT}" in message


def test_the_override_turns_the_refusal_into_a_warning():
    warnings = check_start(Settings(host="0.0.0.0", port=8080, insecure_network=True),
                           resolve=resolver())
    assert len(warnings) == 1
    assert "serving WITHOUT authentication on HOST='0.0.0.0' port 8080" in warnings[0]


def test_the_override_comes_only_from_the_exact_phrase():
    env = {INSECURE_NETWORK: INSECURE_NETWORK_CONSENT}
    assert Settings.from_env(env).insecure_network is True
    assert Settings.from_env({}).insecure_network is False
    for value in ("true", "1", "on", "I-understand", INSECURE_NETWORK_CONSENT.upper()):
        with pytest.raises(SettingsError, match=f"must be exactly {INSECURE_NETWORK_CONSENT}"):
            Settings.from_env({INSECURE_NETWORK: value})


@pytest.mark.parametrize("secret, reason", [
    ("resonanz2025", "it is 12 characters long, at least 32 are needed"),
    ("resonanz2025" * 3, "contains the word 'resonanz'"),
    ("MySuperSecretPasswordForTeams2025!", "contains the word 'password'"),
    ("a" * 64, "repeats itself or uses few different characters (about 0 bits"),
    ("ab" * 32, "repeats itself"),
    ("0123456789" * 4, "repeats itself"),
    ("Contoso2025!" * 3, "repeats itself"),
])
def test_guessable_secrets_are_named_with_the_reason(secret: str, reason: str):
    weakness = secret_weakness(secret)
    assert weakness is not None and reason in weakness


@pytest.mark.parametrize("generate", [
    lambda: secrets.token_hex(16), lambda: secrets.token_hex(32),
    lambda: secrets.token_hex(16).upper(), lambda: secrets.token_urlsafe(24),
    lambda: base64.b64encode(os.urandom(24)).decode(), lambda: str(uuid.uuid4()),
], ids=["hex 16", "hex 32", "HEX 16", "urlsafe 24", "base64 24", "uuid4"])
def test_generated_secrets_of_128_bits_or_more_are_accepted(generate):
    assert [value for value in (generate() for _ in range(3000)) if secret_weakness(value)] == []


def test_the_secret_is_checked_when_authenticated_and_never_shown():
    settings = Settings(host="127.0.0.1", app_id="app", secret="resonanz2025")
    with pytest.raises(SettingsError) as refused:
        check_start(settings, resolve=resolver())
    assert "openssl rand -hex 32" in str(refused.value)
    assert "resonanz2025" not in str(refused.value)


def test_locally_a_weak_secret_is_a_warning_and_a_generated_file_is_not_checked():
    local = check_start(Settings(secret="crash"), resolve=resolver())
    assert len(local) == 1 and "runs locally without authentication" in local[0]
    assert check_start(Settings(app_id="app", host="0.0.0.0"), resolve=resolver()) == []


def test_the_header_deadline_defaults_to_15_seconds_and_must_be_positive():
    assert Settings.from_env({}).header_timeout == 15.0
    assert Settings.from_env({"RESONANZ_HEADER_TIMEOUT": "2.5"}).header_timeout == 2.5
    for raw in ("0", "-1", "inf", "nan", "soon"):
        with pytest.raises(SettingsError, match="RESONANZ_HEADER_TIMEOUT must be"):
            Settings.from_env({"RESONANZ_HEADER_TIMEOUT": raw})


class FakeResource:
    RLIMIT_NOFILE = 7
    RLIM_INFINITY = -1

    def __init__(self, soft: int, hard: int) -> None:
        self.limits = (soft, hard)

    def getrlimit(self, which: int) -> tuple[int, int]:
        return self.limits

    def setrlimit(self, which: int, limits: tuple[int, int]) -> None:
        self.limits = limits


@pytest.mark.parametrize("soft, hard, after", [
    (1024, 4096, 4096), (1024, 1_000_000, 65536), (1024, -1, 65536), (256, 256, 256),
    (100_000, 200_000, 100_000),
])
def test_the_descriptor_limit_rises_to_the_hard_limit_capped_at_65536(
        monkeypatch: pytest.MonkeyPatch, soft: int, hard: int, after: int):
    fake = FakeResource(soft, hard)
    monkeypatch.setitem(__import__("sys").modules, "resource", fake)
    assert raise_descriptor_limit() == (soft, after)
    assert fake.limits == (after, hard)


class FakeLoop:
    """The parts of an event loop AcceptErrorLog uses, with a clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0
        self.timers: list[tuple[float, Any, tuple[Any, ...]]] = []
        self.defaulted: list[dict[str, Any]] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Any, *args: Any) -> None:
        self.timers.append((when, callback, args))

    def advance(self, seconds: float) -> None:
        self.now += seconds
        due = [timer for timer in self.timers if timer[0] <= self.now]
        self.timers = [timer for timer in self.timers if timer[0] > self.now]
        for _, callback, args in due:
            callback(*args)

    def default_exception_handler(self, context: dict[str, Any]) -> None:
        self.defaulted.append(context)


def accept_failure() -> dict[str, Any]:
    return {"message": ACCEPT_FAILED, "exception": OSError(24, "Too many open files")}


def test_a_flood_of_accept_errors_is_one_line_per_10_seconds_with_a_count(caplog):
    loop, handler = FakeLoop(), AcceptErrorLog()
    with caplog.at_level(logging.ERROR, logger="resonanz"):
        for _ in range(1000):
            handler(loop, accept_failure())  # type: ignore[arg-type]
            loop.advance(0.005)
        assert len(caplog.records) == 1
        loop.advance(5.5)  # past 10 s after the first line
        for _ in range(30):
            handler(loop, accept_failure())  # type: ignore[arg-type]
            loop.advance(1.0)
        loop.advance(20.0)
    lines = [record.getMessage() for record in caplog.records]
    assert lines[0] == ("could not accept a connection: [Errno 24] Too many open files; asyncio "
                        "retries every second, further failures are counted and logged every "
                        "10 s")
    assert lines[1] == ("could not accept a connection 999 more times in 10 s: "
                        "[Errno 24] Too many open files")
    assert sum(int(line.split()[5]) for line in lines[1:]) == 999 + 30
    assert len(lines) <= 1 + (5 + 30 + 20) // 10 + 1
    assert all(record.exc_info is None for record in caplog.records)  # no tracebacks
    assert loop.defaulted == []


def test_after_a_quiet_spell_the_next_accept_error_is_logged_at_once(caplog):
    loop, handler = FakeLoop(), AcceptErrorLog()
    with caplog.at_level(logging.ERROR, logger="resonanz"):
        handler(loop, accept_failure())  # type: ignore[arg-type]
        loop.advance(60)
        handler(loop, accept_failure())  # type: ignore[arg-type]
    assert [record.getMessage().startswith("could not accept a connection:")
            for record in caplog.records] == [True, True]


def test_other_loop_errors_go_to_the_default_handler_or_the_one_replaced():
    loop = FakeLoop()
    other = {"message": "Task exception was never retrieved", "exception": ValueError("x")}
    AcceptErrorLog()(loop, other)  # type: ignore[arg-type]
    assert loop.defaulted == [other]
    seen: list[dict[str, Any]] = []
    AcceptErrorLog(previous=lambda _, context: seen.append(context))(loop, other)  # type: ignore[arg-type]
    assert seen == [other] and loop.defaulted == [other]


async def test_on_a_real_loop_the_count_arrives_after_the_interval(caplog):
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(AcceptErrorLog(interval=0.2))
    try:
        with caplog.at_level(logging.ERROR, logger="resonanz"):
            for _ in range(500):
                loop.call_exception_handler(accept_failure())
            await asyncio.sleep(0.4)
    finally:
        loop.set_exception_handler(previous)
    assert [record.getMessage().split(":")[0] for record in caplog.records] == [
        "could not accept a connection", "could not accept a connection 499 more times in 0.2 s"]
    assert cli.ACCEPT_FAILED == "socket.accept() out of system resource"


async def test_an_accept_retry_firing_after_shutdown_is_no_traceback(caplog):
    # asyncio retries accepting a second after running out of descriptors; if the server
    # closed meanwhile, the retry finds the socket gone (fd -1).
    loop = asyncio.get_running_loop()
    server = socket.socket()
    server.close()
    handle = loop.call_later(3600, loop._start_serving, None, server)  # type: ignore[attr-defined]
    context = {"message": "Exception in callback", "handle": handle,
               "exception": ValueError("Invalid file descriptor: -1")}
    fake = FakeLoop()
    with caplog.at_level(logging.DEBUG, logger="resonanz"):
        AcceptErrorLog()(fake, context)  # type: ignore[arg-type]
    assert fake.defaulted == []
    assert all(record.levelno < logging.WARNING for record in caplog.records)
    other = dict(context, handle=loop.call_later(3600, print))
    AcceptErrorLog()(fake, other)  # type: ignore[arg-type]
    assert fake.defaulted == [other]  # other callbacks' errors still go to the default
    handle.cancel()
    other["handle"].cancel()


@pytest.mark.parametrize("secret", [
    "abcdefghijklmnopqrstuvwxyz0123456789", "0123456789abcdefghijklmnopqrstuvwxyzABCDEF",
    "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6", "zyxwvutsrqponmlkjihgfedcba9876543210",
])
def test_runs_of_consecutive_characters_are_guessable(secret: str):
    weakness = secret_weakness(secret)
    assert weakness is not None and "repeats itself" in weakness


def test_a_weak_secret_written_into_the_secret_file_is_refused_too(tmp_path):
    path = tmp_path / "resonanz.secret"
    path.write_text("resonanz2025\n")
    settings = Settings(host="127.0.0.1", app_id="app", secret_file=path)
    with pytest.raises(SettingsError) as refused:
        check_start(settings, resolve=resolver())
    assert str(path) in str(refused.value) and "resonanz2025" not in str(refused.value)
    path.write_text(STRONG + "\n")
    assert check_start(settings, resolve=resolver()) == []


async def test_the_insecure_override_is_repeated_while_serving(monkeypatch, caplog):
    from aiohttp import web

    monkeypatch.setattr(cli, "INSECURE_REMINDER", 0.2)
    runner = web.AppRunner(web.Application())
    settings = Settings(host="127.0.0.1", port=0)
    log = logging.getLogger("resonanz.test")
    reminder = f"{INSECURE_NETWORK} is set: serving WITHOUT authentication"
    with caplog.at_level(logging.WARNING, logger="resonanz.test"):
        serving = asyncio.create_task(cli._serve(runner, settings, log, [reminder]))
        await asyncio.sleep(0.75)
        serving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await serving
    assert [r.getMessage() for r in caplog.records].count(reminder) == 3


@pytest.mark.parametrize("url", ["http://login.botframework.com/v1/.well-known/openidconfiguration",
                                 "ftp://127.0.0.1/keys", "http://10.0.0.5/keys"])
def test_signing_keys_from_anywhere_but_https_or_loopback_are_refused(url: str):
    with pytest.raises(SettingsError) as refused:
        check_start(Settings(host="0.0.0.0", app_id="app", secret=STRONG,
                             openid_metadata_url=url), resolve=resolver())
    assert "RESONANZ_OPENID_METADATA_URL" in str(refused.value)


def test_signing_keys_from_a_loopback_key_server_are_accepted():
    settings = Settings(host="127.0.0.1", app_id="app", secret=STRONG,
                        openid_metadata_url="http://127.0.0.1:9/openid")
    assert check_start(settings, resolve=resolver()) == []
