"""Bot Framework channel tokens, checked from the Authorization header before any body is read.

botbuilder 4.17.1 validates a token only after the body was parsed into models, and fetches the
channel's signing keys with a blocking `requests.get` without a timeout on the event loop (on
the first token, daily, and after a failed fetch on every request). Here the keys are fetched
with aiohttp, with a timeout, at start and in the background; a request never waits for them.
A token is accepted only if the channel signed it for this bot: RS256 with a published key
endorsed for Teams, issuer https://api.botframework.com, audience the app id, not expired, and
with the service URL it must then match. Emulator and skill tokens have other issuers or
audiences and never pass.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm

from bot.settings import is_loopback_name

logger = logging.getLogger(__name__)

CHANNEL_ISSUER = "https://api.botframework.com"
#: Teams' channel id: the key that signed a token must be endorsed for it.
TEAMS_CHANNEL = "msteams"
#: Longest Authorization header looked at; channel tokens are about 1,200 characters.
MAX_HEADER_CHARS = 4096
#: Largest OpenID or key document read (the channel's are a few KB to about 100 KB).
MAX_KEY_DOCUMENT = 1 << 20
#: Clock skew allowed on exp and nbf (botbuilder allows the same 5 minutes).
LEEWAY_SECONDS = 300
#: Keys not confirmed by a fetch for this long are dropped (see SigningKeys).
KEYS_MAX_AGE = 48 * 3600.0
_BEARER = re.compile(r"Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)")


class Rejected(Exception):
    """The token does not let the request in (answered 401). `signed`: the channel did sign
    it (for another bot, another channel, or it expired), so its sender is the channel itself,
    not someone forging tokens."""

    def __init__(self, reason: str, *, signed: bool = False) -> None:
        super().__init__(reason)
        self.signed = signed


class _NotYet(Rejected):
    """Signed with a key not known yet: refused now, but maybe not after the next refresh."""


@dataclass(frozen=True)
class SigningKey:
    key: RSAPublicKey
    endorsements: frozenset[str]


class SigningKeys:
    """The channel's published signing keys by key id, fetched off the request path.

    `start` tries one fetch (bounded by the timeout) and then refreshes every `refresh_every`
    seconds in the background; a failed fetch is retried after 1, 2, 4 ... seconds (at most
    `retry_most`), whether or not keys are known. A token signed with a key id not yet known
    asks for one refresh at most every `unknown_retry` seconds and is refused meanwhile: a real
    key rollover is published days before it is used. Keys not confirmed by a successful fetch
    for `max_age` seconds (48 h: eight missed refreshes) are dropped, logged once, and every
    token is refused (401) until a fetch succeeds: a key the channel withdrew must not be
    trusted for ever because its endpoint went away.
    """

    def __init__(self, metadata_url: str, *, timeout: float = 5.0,
                 refresh_every: float = 6 * 3600.0, unknown_retry: float = 300.0,
                 retry_most: float = 300.0, max_age: float = KEYS_MAX_AGE,
                 clock: Callable[[], float] = time.monotonic, whose: str = "the channel",
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._metadata_url = metadata_url
        self._whose = whose  # in log lines: "the channel", "Entra"
        self._retry_most = retry_most
        self._max_age = max_age
        self._sleep = sleep
        self._fresh_at = float("-inf")
        self._expired_logged = False
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._refresh_every = refresh_every
        self._unknown_retry = unknown_retry
        self._clock = clock
        self._keys: dict[str, SigningKey] = {}
        self._last_attempt = float("-inf")
        self._fetching: asyncio.Task[bool] | None = None
        self._background: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self.fetches = 0

    def get(self, key_id: str) -> SigningKey | None:
        """The key, or None (then a refresh is asked for, not awaited)."""
        found = self._keys.get(key_id) if self._current() else None
        if found is None and self._clock() - self._last_attempt >= self._unknown_retry:
            self._refresh_soon()
        return found

    @property
    def ready(self) -> bool:
        return self._current()

    def _current(self) -> bool:
        """Whether keys are known and confirmed within `max_age`; drops them (logged once) if
        they are older."""
        if not self._keys:
            return False
        if self._clock() - self._fresh_at <= self._max_age:
            return True
        logger.error("%s's signing keys could not be refreshed for %.0f h: dropped "
                     "them, every token is refused until a fetch succeeds",
                     self._whose, self._max_age / 3600)
        self._keys = {}
        return False

    async def start(self) -> None:
        await self.refresh()
        self._background = asyncio.create_task(self._keep_fresh())

    async def close(self) -> None:
        for task in (self._background, self._fetching):
            if task is not None:
                task.cancel()
        for task in (self._background, self._fetching):
            if task is not None:
                try:
                    await task
                except (asyncio.CancelledError, Exception):
                    pass
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def refresh(self) -> bool:
        """Fetch the keys once; True if a key set came in (the old one stays otherwise)."""
        self._last_attempt = self._clock()
        self.fetches += 1
        try:
            keys = await self._fetch()
        except Exception as error:  # a slow, dead or lying endpoint never takes requests down
            logger.warning("could not fetch %s's signing keys (%s); keeping %d known",
                           self._whose, type(error).__name__, len(self._keys))
            return False
        if not keys:
            logger.warning("%s published no usable signing keys; keeping %d known",
                           self._whose, len(self._keys))
            return False
        self._keys = keys
        self._fresh_at = self._clock()
        return True

    def _refresh_soon(self) -> None:
        if self._fetching is not None and not self._fetching.done():
            return
        self._last_attempt = self._clock()
        try:
            self._fetching = asyncio.get_running_loop().create_task(self.refresh())
        except RuntimeError:  # no loop (a synchronous caller): the background task refreshes
            self._fetching = None

    async def _keep_fresh(self) -> None:
        delay = self._refresh_every if self._current() else 1.0
        backoff = 1.0
        while True:
            await self._sleep(delay)
            if await self.refresh():
                delay, backoff = self._refresh_every, 1.0
            else:  # keys known or not: retry soon, not only at the next regular refresh
                delay, backoff = backoff, min(backoff * 2, self._retry_most)

    async def _fetch(self) -> dict[str, SigningKey]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        metadata = await self._get_json(self._metadata_url)
        jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
        if not isinstance(jwks_uri, str) or not key_document_allowed(self._metadata_url,
                                                                     jwks_uri):
            raise ValueError("no https jwks_uri in the OpenID metadata")
        document = await self._get_json(jwks_uri)
        found = document.get("keys") if isinstance(document, dict) else None
        return {key_id: key for key_id, key in map(_signing_key, found or []) if key is not None}

    async def _get_json(self, url: str) -> Any:
        assert self._session is not None
        async with self._session.get(url, allow_redirects=False) as response:
            response.raise_for_status()
            body = bytearray()
            while chunk := await response.content.read(1 << 16):  # as it arrives, to the end
                body += chunk
                if len(body) > MAX_KEY_DOCUMENT:
                    raise ValueError("key document too large")
            return json.loads(body)


def key_document_allowed(metadata_url: str, jwks_uri: str) -> bool:
    """Whether the keys may be read from `jwks_uri`: over https, or, for a metadata URL on a
    loopback host over plain http (tests, a local key server), from that same host."""
    keys, metadata = urlsplit(jwks_uri), urlsplit(metadata_url)
    if not keys.hostname or keys.username or keys.password:
        return False
    if keys.scheme == "https":
        return True
    return (keys.scheme == "http" and metadata.scheme == "http"
            and keys.hostname == metadata.hostname and is_loopback_name(metadata.hostname or ""))




def _signing_key(entry: Any) -> tuple[str, SigningKey | None]:
    """(key id, key) of one JWK entry; ("", None) for anything not an RSA key with an id."""
    if not isinstance(entry, dict) or entry.get("kty") != "RSA":
        return "", None
    key_id = entry.get("kid")
    if not isinstance(key_id, str) or not key_id:
        return "", None
    try:
        key = RSAAlgorithm.from_jwk(entry)
    except Exception:
        return "", None
    if not isinstance(key, RSAPublicKey):
        return "", None
    endorsements = entry.get("endorsements")
    names = frozenset(e for e in endorsements if isinstance(e, str)) if isinstance(
        endorsements, list) else frozenset()
    return key_id, SigningKey(key, names)


class TokenValidator:
    """Checks a channel token from its header alone: microseconds for what is refused."""

    def __init__(self, app_id: str, keys: SigningKeys, *, remember: int = 4096,
                 clock: Callable[[], float] = time.time) -> None:
        self._app_id = app_id
        self._keys = keys
        # token -> (signed, refused until: a token not valid yet may become valid)
        self._refused: OrderedDict[str, tuple[bool, float]] = OrderedDict()
        # Teams sends the same token with every activity for about an hour: its signature is
        # checked once, its expiry and key at every use.
        self._accepted: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()
        self._remember = remember
        self._clock = clock

    @staticmethod
    def bearer(header: str) -> bool:
        """Whether the header has the shape of a bearer token at all (no decoding)."""
        return _token_of(header) is not None

    def known(self, header: str) -> bool:
        """Whether the header holds a token accepted before and still valid (no crypto)."""
        token = _token_of(header)
        known = self._accepted.get(token) if token else None
        return known is not None and self._unexpired(known[1])

    def claims(self, header: str) -> dict[str, Any]:
        """The verified claims of the header's token, or Rejected."""
        if len(header) > MAX_HEADER_CHARS:
            raise Rejected("header too long")
        token = _token_of(header)
        if token is None:
            raise Rejected("not a bearer token")
        known = self._accepted.get(token)
        if known is not None:
            key_id, claims = known
            if self._unexpired(claims) and self._keys.get(key_id):
                self._accepted.move_to_end(token)
                return claims
            del self._accepted[token]
        refused = self._refused.get(token)
        if refused is not None:
            signed, until = refused
            if self._clock() < until:
                self._refused.move_to_end(token)
                raise Rejected("refused before", signed=signed)
            del self._refused[token]
        try:
            key_id, claims = self._verify(token)
        except _NotYet:
            raise
        except Rejected as why:
            until = why.until if isinstance(why, _Early) else float("inf")
            _remember(self._refused, token, (why.signed, until), self._remember)
            raise
        _remember(self._accepted, token, (key_id, claims), self._remember)
        return claims

    def _unexpired(self, claims: dict[str, Any]) -> bool:
        """The one expiry check, for a token seen before and for a new one."""
        return bool(self._clock() < claims["exp"] + LEEWAY_SECONDS)

    def _verify(self, token: str) -> tuple[str, dict[str, Any]]:
        """Key id and claims of a token whose signature is checked here, once."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise Rejected("unreadable token") from error
        if header.get("alg") != "RS256":
            raise Rejected("not signed with RS256")
        key_id = header.get("kid")
        if not isinstance(key_id, str):
            raise Rejected("no key id")
        key = self._keys.get(key_id)
        if key is None:
            raise _NotYet("unknown signing key")
        try:  # the signature only: the claims are checked below, against self._clock
            claims: dict[str, Any] = jwt.decode(
                token, key.key, algorithms=["RS256"], options={
                    "verify_aud": False, "verify_iss": False, "verify_exp": False,
                    "verify_nbf": False, "verify_iat": False})
        except jwt.PyJWTError as error:
            raise Rejected(type(error).__name__) from error  # not the channel's signature
        if TEAMS_CHANNEL not in key.endorsements:
            raise Rejected("key not endorsed for Teams", signed=True)
        self._check_claims(claims)
        return key_id, claims

    def _check_claims(self, claims: dict[str, Any]) -> None:
        """Issuer, audience, exp and nbf (with LEEWAY_SECONDS) and the service URL of a token
        the channel signed; Rejected(signed=True) otherwise."""
        if claims.get("iss") != CHANNEL_ISSUER:
            raise Rejected("InvalidIssuerError", signed=True)
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self._app_id not in audiences:
            raise Rejected("InvalidAudienceError", signed=True)
        expires, starts = claims.get("exp"), claims.get("nbf")
        if not _number(expires) or (starts is not None and not _number(starts)):
            raise Rejected("malformed exp or nbf", signed=True)
        if not self._unexpired(claims):
            raise Rejected("ExpiredSignatureError", signed=True)
        if starts is not None and self._clock() < starts - LEEWAY_SECONDS:
            raise _Early(starts - LEEWAY_SECONDS)
        if not isinstance(claims.get("serviceurl"), str):
            raise Rejected("no service URL in the token", signed=True)


class _Early(Rejected):
    """Signed, but not valid before `until` (its nbf): refused until then, not for good."""

    def __init__(self, until: float) -> None:
        super().__init__("ImmatureSignatureError", signed=True)
        self.until = until


def _number(value: Any) -> bool:
    return type(value) in (int, float)


def _token_of(header: str) -> str | None:
    """The token of an `Authorization: Bearer <jwt>` header, or None (no decoding)."""
    if len(header) > MAX_HEADER_CHARS:
        return None
    shape = _BEARER.fullmatch(header)
    return shape.group(1) if shape else None


def _remember(table: OrderedDict[str, Any], token: str, value: Any, most: int) -> None:
    table[token] = value
    if len(table) > most:
        table.popitem(last=False)
