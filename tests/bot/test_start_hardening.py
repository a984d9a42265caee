"""The start-up checks of `resonanz serve`, as units: which hosts count as loopback, which
secrets are guessable."""

from __future__ import annotations

import base64
import os
import secrets
import socket
import uuid
from typing import Any

import pytest

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
