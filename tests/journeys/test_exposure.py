"""`resonanz serve` refuses to be an open door: no unauthenticated bot on a network address, no
guessable anonymity secret in production. Each start is a real process, held to loopback by the
guard in tests/support/serving.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.serving import (
    GUARD_LINE,
    ROOT,
    listening,
    run_serve,
    serve_env,
    start_serve,
)

OVERRIDE = "RESONANZ_INSECURE_ALLOW_UNAUTHENTICATED_NETWORK"
CONSENT = "I-understand-anyone-can-pose-as-Teams"
APP_ID = "00000000-0000-0000-0000-00000000a11d"


def assert_refused_before_listening(folder: Path, env: dict[str, str]) -> str:
    done = run_serve(folder, env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert not listening(int(env["PORT"]))
    assert GUARD_LINE not in done.stderr  # it never tried to bind
    assert not (folder / "resonanz.db").exists()  # refused before the database was opened
    refusals = [line for line in done.stderr.splitlines() if line.startswith("resonanz: ")]
    assert len(refusals) == 1, done.stderr
    return refusals[0]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_without_an_app_id_a_network_host_is_refused_with_the_fixes(tmp_path: Path, host: str):
    message = assert_refused_before_listening(tmp_path, serve_env(tmp_path, HOST=host))
    assert message.startswith("resonanz: no MicrosoftAppId is set")
    assert f"HOST={host!r} is reachable from the network" in message
    assert "anyone who can reach it could pose as Teams" in message
    for fix in ("Set MicrosoftAppId", "HOST=127.0.0.1", f"{OVERRIDE}={CONSENT}"):
        assert fix in message


@pytest.mark.parametrize("value", ["true", CONSENT.lower()])
def test_an_override_other_than_the_exact_phrase_is_refused(tmp_path: Path, value: str):
    message = assert_refused_before_listening(
        tmp_path, serve_env(tmp_path, HOST="0.0.0.0", **{OVERRIDE: value}))
    assert f"{OVERRIDE} must be exactly {CONSENT}" in message
    assert repr(value) in message


def test_the_exact_override_starts_on_the_network_with_a_loud_warning(tmp_path: Path):
    served = start_serve(tmp_path, serve_env(tmp_path, HOST="0.0.0.0", **{OVERRIDE: CONSENT}))
    try:
        served.wait_healthy()
    finally:
        output = served.stop()
    assert f"{GUARD_LINE} 0.0.0.0 port {served.port}" in output  # it did ask for the network
    warning = next(line for line in output.splitlines() if OVERRIDE in line)
    assert " WARNING " in warning
    assert "serving WITHOUT authentication on HOST='0.0.0.0'" in warning
    assert "Anyone who can reach it can pose as Teams" in warning


def test_make_run_still_starts_on_loopback_with_a_generated_secret(tmp_path: Path):
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    run = re.search(r"^run:.*\n\t(.+)$", makefile, re.MULTILINE)
    assert run and run.group(1).strip() == "$(BIN)/resonanz serve"  # no HOST, no secret given
    served = start_serve(tmp_path, serve_env(tmp_path))
    try:
        served.wait_healthy()
    finally:
        output = served.stop()
    assert GUARD_LINE not in output
    assert "generated a new anonymity secret" in output
    assert "WARNING resonanz" not in output


def dockerfile_env() -> dict[str, str]:
    deploy = (ROOT / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
    dockerfile = re.search(r"```dockerfile\n(.*?)```", deploy, re.DOTALL)
    assert dockerfile, "DEPLOY.md has no container example"
    lines = dockerfile.group(1).splitlines()
    assert 'CMD ["resonanz", "serve"]' in lines
    settings: dict[str, str] = {}
    for line in lines:
        if line.startswith("ENV "):
            for part in line[4:].split():
                name, value = part.split("=", 1)
                settings[name] = value
    return settings


def test_deploys_container_example_without_an_app_id_refuses_to_start(tmp_path: Path):
    settings = dockerfile_env()
    assert settings.get("HOST") == "0.0.0.0"
    message = assert_refused_before_listening(tmp_path, serve_env(tmp_path, **settings))
    assert "no MicrosoftAppId is set" in message
    deploy = (ROOT / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
    assert "refuses to start" in deploy and OVERRIDE in deploy


@pytest.mark.parametrize("secret", ["resonanz2025", "0123456789" * 4,
                                    "our-teams-bot-secret-2025-contoso-prod"])
def test_an_authenticated_bot_refuses_a_weak_secret_and_says_how_to_make_one(
        tmp_path: Path, secret: str):
    message = assert_refused_before_listening(tmp_path, serve_env(
        tmp_path, HOST="127.0.0.1", MicrosoftAppId=APP_ID, MicrosoftAppPassword="pw",
        RESONANZ_SECRET=secret))
    assert message.startswith("resonanz: RESONANZ_SECRET is too weak: ")
    assert "openssl rand -hex 32" in message
    assert "leave RESONANZ_SECRET unset" in message
    assert secret not in message


def test_an_unauthenticated_bot_on_the_network_refuses_a_weak_secret_too(tmp_path: Path):
    message = assert_refused_before_listening(tmp_path, serve_env(
        tmp_path, HOST="0.0.0.0", RESONANZ_SECRET="resonanz2025", **{OVERRIDE: CONSENT}))
    assert "RESONANZ_SECRET is too weak: it is 12 characters long" in message


def test_locally_a_weak_secret_is_only_warned_about(tmp_path: Path):
    served = start_serve(tmp_path, serve_env(tmp_path, HOST="127.0.0.1",
                                             RESONANZ_SECRET="resilience"))
    try:
        served.wait_healthy()
    finally:
        output = served.stop()
    warning = next(line for line in output.splitlines() if "RESONANZ_SECRET is too weak" in line)
    assert " WARNING " in warning and "runs locally without authentication" in warning
    assert "resilience" not in output
