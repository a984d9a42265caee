"""Settings from the environment; the only module that reads it."""

from __future__ import annotations

import ipaddress
import itertools
import logging
import math
import os
import secrets
import socket
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from facilitation.policy import DEFAULT_MIN_GROUP, Policy

logger = logging.getLogger(__name__)
_N = TypeVar("_N", int, float)

DEFAULT_PORT = 3978
DEFAULT_DATABASE_URL = "sqlite:///resonanz.db"
DEFAULT_SECRET_FILE = "resonanz.secret"
DEFAULT_HEADER_TIMEOUT = 15.0
DEFAULT_CONNECTIONS_PER_CLIENT = 256
# The only value that lets the bot serve without authentication on a non-loopback address: a
# word like "true" is too easy to copy from a forum post without reading what it does.
INSECURE_NETWORK = "RESONANZ_INSECURE_ALLOW_UNAUTHENTICATED_NETWORK"
INSECURE_NETWORK_CONSENT = "I-understand-anyone-can-pose-as-Teams"


class SettingsError(ValueError):
    """A setting has a value the bot cannot start with."""


OPENID_METADATA_URL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
#: Where the bot asks Microsoft Entra for its own tokens to the Bot Connector; the tenant is
#: appended (botframework.com, or MicrosoftAppTenantId for a single-tenant bot).
LOGIN_URL = "https://login.microsoftonline.com"


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
    # At a graceful stop, how long queued messages and edits may still be sent; what is left
    # stays in the database for the next start (RESONANZ_STOP_TIMEOUT).
    stop_timeout: float = 10.0
    # How long a card edit, or a message that certainly did not arrive, is tried again before
    # it is given up (a message: reported in its chat) (RESONANZ_RETRY_FOR).
    retry_for: float = 300.0
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
    # Where Entra's keys for the meeting pages' SSO tokens come from (RESONANZ_SSO_METADATA_URL,
    # for tests: one document for v1.0 and v2.0 tokens); "" for Entra's own.
    sso_metadata_url: str = ""
    # The Application ID URI the app exposes its API under (RESONANZ_SSO_APP_ID_URI); "" for
    # api://<PUBLIC_URL's host>/botid-<MicrosoftAppId>, the form for an app with a bot.
    sso_app_id_uri: str = ""
    # The Entra authority the bot's own tokens come from (RESONANZ_LOGIN_URL): a national or
    # private cloud's login host, or a local token endpoint in benchmarks; https only.
    login_url: str = LOGIN_URL
    # Seconds a connection may take to send its request's headers (and stay idle between
    # requests); slow or stalled clients are closed after it (RESONANZ_HEADER_TIMEOUT).
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    # Open connections one client address may hold; one more is closed at once
    # (RESONANZ_CONNECTIONS_PER_CLIENT; loopback is counted too). Behind a reverse proxy every
    # connection comes from the proxy: raise it there, the proxy limits clients itself.
    connections_per_client: int = DEFAULT_CONNECTIONS_PER_CLIENT
    # RESONANZ_INSECURE_ALLOW_UNAUTHENTICATED_NETWORK set to INSECURE_NETWORK_CONSENT.
    insecure_network: bool = False

    @property
    def base_url(self) -> str:
        """Where people reach the bot (report links): PUBLIC_URL, else this host and port."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def sso(self) -> bool:
        """Whether meeting pages sign people in with Teams SSO: an app id that is an app
        registration (a managed identity cannot expose an API for SSO tokens), and a public
        https address for Teams to frame the pages at (or, in tests, a metadata URL of their
        own)."""
        return (self.authenticated and self.app_type != "UserAssignedMSI"
                and (self.public_url.lower().startswith("https://")
                     or bool(self.sso_metadata_url)))

    @property
    def app_id_uri(self) -> str:
        if self.sso_app_id_uri:
            return self.sso_app_id_uri
        host = (urlsplit(self.public_url).hostname or "").lower()
        return f"api://{host}/botid-{self.app_id}" if host else ""

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
            stop_timeout=_positive(env, "RESONANZ_STOP_TIMEOUT", 10.0),
            retry_for=_positive(env, "RESONANZ_RETRY_FOR", 300.0),
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            public_url=env.get("PUBLIC_URL", ""),
            report_link_hours=max(1, _int(env, "RESONANZ_REPORT_LINK_HOURS", 72)),
            retention_days=max(1, _int(env, "RESONANZ_RETENTION_DAYS", 90)),
            attendees_start=_flag(env, "RESONANZ_ATTENDEES_START"),
            openid_metadata_url=env.get("RESONANZ_OPENID_METADATA_URL") or OPENID_METADATA_URL,
            sso_metadata_url=env.get("RESONANZ_SSO_METADATA_URL", ""),
            sso_app_id_uri=env.get("RESONANZ_SSO_APP_ID_URI", ""),
            login_url=(env.get("RESONANZ_LOGIN_URL") or LOGIN_URL).rstrip("/"),
            header_timeout=_positive(env, "RESONANZ_HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT),
            connections_per_client=max(1, _int(env, "RESONANZ_CONNECTIONS_PER_CLIENT",
                                                DEFAULT_CONNECTIONS_PER_CLIENT)),
            insecure_network=_consent(env),
        )


def _consent(env: Mapping[str, str]) -> bool:
    raw = (env.get(INSECURE_NETWORK) or "").strip()
    if not raw:
        return False
    if raw == INSECURE_NETWORK_CONSENT:
        return True
    raise SettingsError(
        f"{INSECURE_NETWORK} must be exactly {INSECURE_NETWORK_CONSENT} to let the bot run "
        f"without authentication on a network address, not {raw!r}; unset it otherwise")


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    value = _float(env, name, default)
    if not value > 0 or math.isinf(value):
        raise SettingsError(f"{name} must be a number of seconds above 0, not {env.get(name)!r}")
    return value


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


# Start-up checks: `resonanz serve` runs them before it binds a socket (bot/cli.py).

Resolver = Callable[[str, None], Sequence[tuple[Any, ...]]]
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 80  # random hex of 32 characters: never below 95 in 100,000 draws
# Words that give a chosen secret away (the product's name was enough to guess one).
GIVEAWAY_WORDS = ("resonanz", "password", "passwort", "secret", "geheim", "changeme")
GENERATE_SECRET = ("generate one with `openssl rand -hex 32` (or `python3 -c \"import secrets; "
                   "print(secrets.token_hex(32))\"`), or leave RESONANZ_SECRET unset to have one "
                   "generated into RESONANZ_SECRET_FILE")


def check_start(settings: Settings, *, resolve: Resolver = socket.getaddrinfo) -> list[str]:
    """What stops `resonanz serve` before it listens, and what it must warn about.

    - Without a MicrosoftAppId nobody is authenticated, so the bot must listen on a loopback
      address only (HOST=127.0.0.1, ::1, or a name resolving to nothing else). `""`, 0.0.0.0,
      `::`, any other address and a name that does not resolve count as the network. Only
      RESONANZ_INSECURE_ALLOW_UNAUTHENTICATED_NETWORK set to INSECURE_NETWORK_CONSENT allows it,
      with a warning.
    - RESONANZ_SECRET must be strong (`secret_weakness`) when the bot is authenticated or
      reachable from the network: a weak one lets anyone with the database recompute whose
      ballot is whose. In local mode on loopback (Playground, tests) a weak one is a warning.
    - Without RESONANZ_SECRET, a secret file that exists is checked the same way (an
      operator may have written it by hand); a generated one passes, its value comes from
      `secrets`. A file not there yet will be generated.

    Raises SettingsError (exit code 2) with the fix; returns the warnings to log."""
    warnings: list[str] = []
    exposed = not is_loopback(settings.host, resolve)
    if exposed and not settings.authenticated:
        if not settings.insecure_network:
            raise SettingsError(
                f"no MicrosoftAppId is set, so requests are not authenticated, and "
                f"HOST={settings.host!r} is reachable from the network: anyone who can reach it "
                f"could pose as Teams (post as any user, make the bot call any address, receive "
                f"summaries and report links). Set MicrosoftAppId (and its password) to run for "
                f"Teams, or HOST=127.0.0.1 to run locally, or, only on a network where everyone "
                f"may do that, {INSECURE_NETWORK}={INSECURE_NETWORK_CONSENT}")
        warnings.append(
            f"{INSECURE_NETWORK} is set: serving WITHOUT authentication on "
            f"HOST={settings.host!r} port {settings.port}. Anyone who can reach it can pose as "
            f"Teams, post as any user, make the bot call any address and receive summaries and "
            f"report links. Set MicrosoftAppId for any real use.")
    if not _fetched_safely(settings.openid_metadata_url):
        raise SettingsError(
            f"RESONANZ_OPENID_METADATA_URL={settings.openid_metadata_url!r} is not https: "
            f"whoever can change that document on the way could name signing keys of their "
            f"own and pose as Teams. Use https (plain http only on 127.0.0.1, for tests), or "
            f"leave it unset for the Bot Framework's own document")
    if settings.sso_metadata_url and not _fetched_safely(settings.sso_metadata_url):
        raise SettingsError(
            f"RESONANZ_SSO_METADATA_URL={settings.sso_metadata_url!r} is not https: whoever "
            f"can change that document on the way could sign people in as anyone. Use https "
            f"(plain http only on 127.0.0.1, for tests), or leave it unset for Entra's own")
    if not _plain_https_origin(settings.login_url):
        raise SettingsError(
            f"RESONANZ_LOGIN_URL={settings.login_url!r} is not a plain https address of a host: "
            f"the bot sends its app password there to get its tokens. Give scheme and host "
            f"only (and a port if needed; no user, path, query or fragment), for example "
            f"{LOGIN_URL}, or leave it unset")
    if settings.authenticated and settings.login_url != LOGIN_URL:
        warnings.append(
            f"the bot's own tokens come from {urlsplit(settings.login_url).netloc} "
            f"(RESONANZ_LOGIN_URL), not from {urlsplit(LOGIN_URL).netloc}; MSAL is told not to "
            f"check that authority, so make sure it is your cloud's Entra login host")
    chosen, where = _chosen_secret(settings)
    weakness = secret_weakness(chosen) if chosen else None
    if weakness:
        message = f"{where} is too weak: {weakness}; {GENERATE_SECRET}"
        if settings.authenticated or exposed:
            raise SettingsError(
                f"{message}. A new secret counts people in polls still open as new voters.")
        warnings.append(f"{message}. Accepted only because the bot runs locally without "
                        f"authentication on {settings.host}.")
    return warnings


def _chosen_secret(settings: Settings) -> tuple[str | None, str]:
    """The secret `load_secret` will use if it exists already, and where it comes from."""
    if settings.secret:
        return settings.secret, "RESONANZ_SECRET"
    try:
        text = settings.secret_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):  # not there yet (then generated), or load_secret's
        return None, ""                    # error to report
    return (text or None), f"the anonymity secret file {settings.secret_file}"


def is_loopback(host: str, resolve: Resolver = socket.getaddrinfo) -> bool:
    """Whether listening on `host` reaches this machine only: a loopback address, or a name all
    of whose addresses are loopback (the empty host means every interface)."""
    if not host:
        return False
    try:
        return _loopback_address(host)
    except ValueError:
        pass
    try:
        found = {str(info[4][0]) for info in resolve(host, None)}
    except (OSError, UnicodeError):
        return False
    try:
        return bool(found) and all(_loopback_address(address) for address in found)
    except ValueError:
        return False


def _plain_https_origin(url: str) -> bool:
    """https, a host, perhaps a port; nothing else: no user part (`https://a@b` goes to b), path,
    query or fragment, and no character that a URL parser might read otherwise."""
    if any(ord(c) < 33 or c in "\\@?#" for c in url):
        return False
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018  # raises for a port that is not a number in range
    except ValueError:
        return False
    return (parts.scheme == "https" and bool(parts.hostname) and parts.path in ("", "/")
            and not parts.query and not parts.fragment and parts.username is None)


def _fetched_safely(url: str) -> bool:
    """https, or plain http to this machine (a local key server in tests)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and is_loopback_name((parts.hostname or "").strip("[]"))


def is_loopback_name(host: str) -> bool:
    """Whether `host`, as written in a URL (no lookup), names this machine only: `localhost`
    or a loopback address."""
    if host == "localhost":
        return True
    try:
        return _loopback_address(host)
    except ValueError:
        return False


def _loopback_address(text: str) -> bool:
    address = ipaddress.ip_address(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is not loopback to Python 3.11
    return address.is_loopback


def secret_weakness(value: str) -> str | None:
    """Why a secret chosen by hand is guessable, or None. A rough estimate, meant to catch the
    obvious cases (short, repeated, few characters, the product's name); it cannot prove a
    value random. Each new three-character sequence counts as one character (repetition adds
    nothing), worth log2 of the number of different characters used; a random hex value of 32
    characters (128 bits) scores about 120, `resonanz2025` three times 47."""
    if len(value) < MIN_SECRET_LENGTH:
        return f"it is {len(value)} characters long, at least {MIN_SECRET_LENGTH} are needed"
    lowered = value.lower()
    for word in GIVEAWAY_WORDS:
        if word in lowered:
            return f"it contains the word {word!r}"
    bits = estimated_bits(value)
    if bits < MIN_SECRET_BITS:
        return (f"it repeats itself or uses few different characters (about {bits:.0f} bits, "
                f"at least {MIN_SECRET_BITS} are needed)")
    return None


def estimated_bits(value: str) -> float:
    """The rough strength `secret_weakness` judges by (see there). A run in which each
    character follows the one before by the same step (`abcdef`, `012345`, `97531`, `a1b2c3`
    read as pairs) is predictable however many characters it uses: the sequences are counted on
    the steps between characters too, and the smaller count wins."""
    if len(set(value)) < 2:
        return 0.0
    steps = [ord(b) - ord(a) for a, b in itertools.pairwise(value)]
    effective_length = min(len(value), _new_triples(value) + 2, _new_triples(steps) + 3)
    return effective_length * math.log2(len(set(value)))


def _new_triples(items: Sequence[Any]) -> int:
    return len({tuple(items[i:i + 3]) for i in range(max(1, len(items) - 2))})
