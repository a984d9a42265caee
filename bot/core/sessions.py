"""Short-lived session tokens for the meeting pages: a page trades its Teams SSO token for one,
and the page's API and its event stream accept it (EventSource cannot send an Authorization
header, and no third-party cookie reaches a page Teams frames).

A token says who (tenant and object id, as Entra vouched for them), for which chat, until when;
it is signed with a key derived from the bot's secret (HMAC-SHA256), so it cannot be made or
changed without the secret, and it is checked with a constant-time comparison. It lives in the
page's memory only and goes to the server over TLS; it is never stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

#: Seconds a session token is good for; the page asks Teams for a new SSO token and trades it
#: again before then (Teams caches its own tokens, so that costs the person nothing).
SESSION_LIFETIME = 600.0
#: Longest token read (they are about 250 characters).
MAX_TOKEN_CHARS = 1024
_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,900}\.[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class Session:
    tenant_id: str
    object_id: str
    conversation_id: str
    expires_at: float


class SessionTokens:
    def __init__(self, secret: bytes, *, lifetime: float = SESSION_LIFETIME,
                 clock: Callable[[], float] = time.time) -> None:
        # A key of its own: a session token can never be mistaken for anything else the
        # secret signs (voter keys, report links).
        self._key = hmac.new(secret, b"resonanz meeting-page sessions", hashlib.sha256).digest()
        self._lifetime = lifetime
        self._clock = clock

    def issue(self, tenant_id: str, object_id: str, conversation_id: str) -> Session:
        return Session(tenant_id, object_id, conversation_id, self._clock() + self._lifetime)

    def token(self, session: Session) -> str:
        payload = _encode(json.dumps(
            {"t": session.tenant_id, "o": session.object_id, "c": session.conversation_id,
             "e": round(session.expires_at, 3)}, separators=(",", ":")).encode())
        return f"{payload}.{_encode(self._sign(payload))}"

    def read(self, token: str, conversation_id: str) -> Session | None:
        """The session a token carries, if it is ours, unexpired and for `conversation_id`."""
        if len(token) > MAX_TOKEN_CHARS or not _SHAPE.fullmatch(token):
            return None
        payload, signature = token.split(".")
        try:
            if not hmac.compare_digest(_decode(signature), self._sign(payload)):
                return None
            fields = json.loads(_decode(payload))
        except (binascii.Error, ValueError):
            return None
        session = _session(fields)
        if session is None or session.conversation_id != conversation_id:
            return None
        return session if self._clock() < session.expires_at else None

    def _sign(self, payload: str) -> bytes:
        return hmac.new(self._key, payload.encode(), hashlib.sha256).digest()


def _session(fields: object) -> Session | None:
    if not isinstance(fields, dict):
        return None
    tenant, person, chat, expires = (fields.get(name) for name in ("t", "o", "c", "e"))
    if not all(isinstance(value, str) and value for value in (tenant, person, chat)):
        return None
    if not isinstance(expires, int | float) or isinstance(expires, bool):
        return None
    return Session(str(tenant), str(person), str(chat), float(expires))


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
