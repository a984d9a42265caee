"""Settings from the environment; the only module that reads it."""

from __future__ import annotations

import logging
import os
import secrets
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from facilitation.policy import DEFAULT_MIN_GROUP, Policy

logger = logging.getLogger(__name__)
_N = TypeVar("_N", int, float)

DEFAULT_PORT = 3978
DEFAULT_DATABASE_URL = "sqlite:///resonanz.db"
DEFAULT_SECRET_FILE = "resonanz.secret"


class SettingsError(ValueError):
    """A setting has a value the bot cannot start with."""


OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    database_url: str = DEFAULT_DATABASE_URL
    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_type: str = "MultiTenant"
    app_tenant_id: str = ""
    secret: str | None = field(default=None, repr=False)
    secret_file: Path = Path(DEFAULT_SECRET_FILE)
    edit_interval: float = 2.0
    min_ballots: int = DEFAULT_MIN_GROUP  # the minimum group size of the disclosure policy
    close_check_seconds: float = 5.0
    log_level: str = "INFO"
    public_url: str = ""
    report_link_hours: int = 72
    retention_days: int = 90
    # In meetings only organizers and presenters start polls, boards, breakouts and summaries,
    # unless this is set (RESONANZ_ATTENDEES_START=true); see bot/core/permissions.py.
    attendees_start: bool = False
    # Where the channel's token signing keys are published (RESONANZ_OPENID_METADATA_URL; only
    # tests and benchmarks point it at a local key server).
    openid_metadata_url: str = OPENID_METADATA_URL

    @property
    def base_url(self) -> str:
        """Where people reach the bot (report links): PUBLIC_URL, else this host and port."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def authenticated(self) -> bool:
        """Without an app id the bot runs locally without authentication (Playground, tests)."""
        return bool(self.app_id)

    @property
    def policy(self) -> Policy:
        """The disclosure policy every surface obeys (facilitation/policy.py)."""
        return Policy(min_group=self.min_ballots)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        app_id = env.get("MicrosoftAppId", "").strip()
        return cls(
            # Listen on all interfaces only when requests are authenticated.
            host=env.get("HOST") or ("0.0.0.0" if app_id else "127.0.0.1"),
            port=_int(env, "PORT", DEFAULT_PORT),
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            app_id=app_id,
            app_password=env.get("MicrosoftAppPassword", ""),
            app_type=env.get("MicrosoftAppType") or "MultiTenant",
            app_tenant_id=env.get("MicrosoftAppTenantId", ""),
            secret=env.get("RESONANZ_SECRET") or None,
            secret_file=Path(env.get("RESONANZ_SECRET_FILE") or DEFAULT_SECRET_FILE),
            edit_interval=_float(env, "RESONANZ_EDIT_INTERVAL", 2.0),
            min_ballots=max(1, _int(env, "RESONANZ_MIN_BALLOTS", DEFAULT_MIN_GROUP)),
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            public_url=env.get("PUBLIC_URL", ""),
            report_link_hours=max(1, _int(env, "RESONANZ_REPORT_LINK_HOURS", 72)),
            retention_days=max(1, _int(env, "RESONANZ_RETENTION_DAYS", 90)),
            attendees_start=_flag(env, "RESONANZ_ATTENDEES_START"),
            openid_metadata_url=env.get("RESONANZ_OPENID_METADATA_URL") or OPENID_METADATA_URL,
        )


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    return _number(env, name, default, int, "a whole number")


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    return _number(env, name, default, float, "a number")


def _number(env: Mapping[str, str], name: str, default: _N, kind: Callable[[str], _N],
            described: str) -> _N:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError as error:
        raise SettingsError(f"{name} must be {described}, not {raw!r}") from error


def load_secret(settings: Settings) -> bytes:
    """The anonymity key: RESONANZ_SECRET, else a file kept outside the database (mode 0600,
    made so at start if it was readable by others), generated on first start. Losing it means
    returning voters are counted as new ones."""
    if settings.secret:
        return settings.secret.encode()
    path = settings.secret_file
    if path.exists():
        _make_private(path)
        value = path.read_text(encoding="utf-8").strip()
        if not value:
            raise SettingsError(f"the anonymity secret file {path} is empty")
        return value.encode()
    return _generate_secret(path)


def _generate_secret(path: Path) -> bytes:
    value = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    logger.warning(
        "No RESONANZ_SECRET set: generated a new anonymity secret in %s (mode 0600). Keep this "
        "file (or set RESONANZ_SECRET) and back it up apart from the database.", path.resolve())
    return value.encode()


def _make_private(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & 0o077:
        return
    try:
        path.chmod(0o600)
    except OSError as error:  # e.g. a file owned by another user
        logger.warning("The anonymity secret file %s is readable by others (mode %o) and could "
                       "not be made private (%s); run chmod 600 on it.", path, mode, error)
        return
    logger.warning("The anonymity secret file %s was readable by others (mode %o); made it "
                   "private (mode 600).", path, mode)
