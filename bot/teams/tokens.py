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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm

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
    seconds in the background, retrying a failed fetch with backoff. A token signed with a key
    id not yet known asks for one refresh at most every `unknown_retry` seconds and is refused
    meanwhile: a real key rollover is published days before it is used.
    """

    def __init__(self, metadata_url: str, *, timeout: float = 5.0,
                 refresh_every: float = 6 * 3600.0, unknown_retry: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._metadata_url = metadata_url
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
        found = self._keys.get(key_id)
        if found is None and self._clock() - self._last_attempt >= self._unknown_retry:
            self._refresh_soon()
        return found

    @property
    def ready(self) -> bool:
        return bool(self._keys)

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
            logger.warning("could not fetch the channel's signing keys (%s); keeping %d known",
                           type(error).__name__, len(self._keys))
            return False
        if not keys:
            logger.warning("the channel published no usable signing keys; keeping %d known",
                           len(self._keys))
            return False
        self._keys = keys
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
        backoff = 1.0
        while True:
            await asyncio.sleep(self._refresh_every if self._keys else backoff)
            if await self.refresh():
                backoff = 1.0
            else:
                backoff = min(backoff * 2, 300.0)

    async def _fetch(self) -> dict[str, SigningKey]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        metadata = await self._get_json(self._metadata_url)
        jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise ValueError("no jwks_uri in the OpenID metadata")
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
        self._refused: OrderedDict[str, bool] = OrderedDict()  # token -> signed
        # Teams sends the same token with every activity for about an hour: its signature is
        # checked once, its expiry and key at every use.
        self._accepted: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()
        self._remember = remember
        self._clock = clock

    @staticmethod
    def bearer(header: str) -> bool:
        """Whether the header has the shape of a bearer token at all (no decoding)."""
        return len(header) <= MAX_HEADER_CHARS and _BEARER.fullmatch(header) is not None

    def known(self, header: str) -> bool:
        """Whether the header holds a token accepted before and still valid (no crypto)."""
        shape = _BEARER.fullmatch(header) if len(header) <= MAX_HEADER_CHARS else None
        known = self._accepted.get(shape.group(1)) if shape else None
        return known is not None and self._clock() < known[1]["exp"] + LEEWAY_SECONDS

    def claims(self, header: str) -> dict[str, Any]:
        """The verified claims of the header's token, or Rejected."""
        if len(header) > MAX_HEADER_CHARS:
            raise Rejected("header too long")
        shape = _BEARER.fullmatch(header)
        if shape is None:
            raise Rejected("not a bearer token")
        token = shape.group(1)
        known = self._accepted.get(token)
        if known is not None:
            key_id, claims = known
            if self._clock() < claims["exp"] + LEEWAY_SECONDS and self._keys.get(key_id):
                self._accepted.move_to_end(token)
                return claims
            del self._accepted[token]
        if token in self._refused:
            self._refused.move_to_end(token)
            raise Rejected("refused before", signed=self._refused[token])
        try:
            key_id, claims = self._verify(token)
        except _NotYet:
            raise
        except Rejected as refused:
            _remember(self._refused, token, refused.signed, self._remember)
            raise
        _remember(self._accepted, token, (key_id, claims), self._remember)
        return claims

    def _verify(self, token: str) -> tuple[str, dict[str, Any]]:
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
        try:
            jwt.decode(token, key.key, algorithms=["RS256"], options={"verify_aud": False,
                       "verify_exp": False, "verify_nbf": False, "verify_iat": False})
        except jwt.PyJWTError as error:
            raise Rejected(type(error).__name__) from error  # not the channel's signature
        if TEAMS_CHANNEL not in key.endorsements:
            raise Rejected("key not endorsed for Teams", signed=True)
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key.key, algorithms=["RS256"], audience=self._app_id,
                issuer=CHANNEL_ISSUER, leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud"]})
        except jwt.PyJWTError as error:
            raise Rejected(type(error).__name__, signed=True) from error
        if not isinstance(claims.get("serviceurl"), str):
            raise Rejected("no service URL in the token", signed=True)
        return key_id, claims


def _remember(table: OrderedDict[str, Any], token: str, value: Any, most: int) -> None:
    table[token] = value
    if len(table) > most:
        table.popitem(last=False)
