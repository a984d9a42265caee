"""Settings come from the environment; the anonymity secret is generated once and kept private."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_secret
from facilitation.policy import Policy


def test_defaults_run_locally_on_port_3978_with_sqlite():
    settings = Settings.from_env({})
    assert (settings.host, settings.port) == ("127.0.0.1", 3978)
    assert settings.database_url.startswith("sqlite:///")
    assert not settings.authenticated


def test_azure_bot_names_configure_authentication_and_listen_everywhere():
    settings = Settings.from_env({"MicrosoftAppId": "app", "MicrosoftAppPassword": "pw",
                                  "MicrosoftAppType": "SingleTenant",
                                  "MicrosoftAppTenantId": "tenant", "PORT": "8080",
                                  "DATABASE_URL": "postgresql://db/resonanz"})
    assert settings.authenticated and settings.host == "0.0.0.0"
    assert (settings.app_type, settings.app_tenant_id, settings.port) == (
        "SingleTenant", "tenant", 8080)
    assert settings.database_url == "postgresql://db/resonanz"
    assert "pw" not in repr(settings)


def test_a_malformed_port_is_a_clear_error():
    with pytest.raises(SettingsError, match="PORT must be a whole number"):
        Settings.from_env({"PORT": "eighty"})


def test_the_disclosure_policy_takes_its_minimum_group_from_resonanz_min_ballots():
    assert Settings.from_env({"RESONANZ_MIN_BALLOTS": "5"}).policy == Policy(min_group=5)
    assert Settings.from_env({"RESONANZ_MIN_BALLOTS": "0"}).policy == Policy(min_group=1)


def test_without_the_setting_the_policy_has_its_one_default():
    assert Settings.from_env({}).policy == Settings().policy == Policy()


def test_the_secret_from_the_environment_wins(tmp_path: Path):
    settings = Settings(secret="from-env", secret_file=tmp_path / "secret")
    assert load_secret(settings) == b"from-env"
    assert not (tmp_path / "secret").exists()


def test_without_a_secret_one_is_generated_once_into_a_private_file_and_logged(
        tmp_path: Path, caplog: pytest.LogCaptureFixture):
    settings = Settings(secret_file=tmp_path / "keys" / "resonanz.secret")
    with caplog.at_level(logging.WARNING):
        first = load_secret(settings)
    path = settings.secret_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 64
    assert "generated a new anonymity secret" in caplog.text
    assert first.decode() not in caplog.text
    assert load_secret(settings) == first


def test_a_secret_file_readable_by_others_is_made_private_and_warned_about(tmp_path: Path,
                                                                           caplog):
    path = tmp_path / "resonanz.secret"
    path.write_text("abc\n")
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        assert load_secret(Settings(secret_file=path)) == b"abc"
    assert "readable by others" in caplog.text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_attendees_start_things_in_meetings_only_when_switched_on():
    assert Settings.from_env({}).attendees_start is False
    assert Settings.from_env({"RESONANZ_ATTENDEES_START": "true"}).attendees_start is True
    assert Settings.from_env({"RESONANZ_ATTENDEES_START": "no"}).attendees_start is False
    with pytest.raises(SettingsError, match="RESONANZ_ATTENDEES_START must be true or false"):
        Settings.from_env({"RESONANZ_ATTENDEES_START": "sometimes"})
