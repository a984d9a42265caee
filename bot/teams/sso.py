"""Teams single sign-on tokens from a tab (TeamsJS `authentication.getAuthToken`), checked on
the server before a meeting page may act for anyone.

The tab context's user id is only a hint (TeamsJS says so: a malicious party can run the page in
a browser), so a person is who a token Microsoft Entra signed says: RS256 with a key Entra
publishes (fetched off the request path by `SigningKeys`, like the channel's), the issuer of the
token's own tenant (v2.0 `https://login.microsoftonline.com/{tid}/v2.0` or v1.0
`https://sts.windows.net/{tid}/`), an audience of this app (its client id, or the Application ID
URI a v1.0 token may carry), not expired, the scope `access_as_user`, issued to one of Microsoft's
Teams or Microsoft 365 clients, and a tenant the bot serves. The person is then the pair
(tenant id, object id), the same pair a card click carries as `aadObjectId`, so a vote from the
page and a vote from the card are one ballot.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from bot.teams.tokens import LEEWAY_SECONDS, MAX_HEADER_CHARS, Rejected, SigningKeys

#: Where Entra publishes its signing keys, by token version (the tenant-independent documents).
ENTRA_METADATA = {
    "2.0": "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
    "1.0": "https://login.microsoftonline.com/common/.well-known/openid-configuration",
}
SSO_SCOPE = "access_as_user"
#: The clients a tab's token is issued to: Teams desktop and mobile, Teams web, Microsoft 365
#: web, desktop and mobile, Outlook web and mobile (the pre-authorised clients of the app's
#: `access_as_user` scope; docs/DEPLOY.md).
TEAMS_CLIENTS = frozenset({
    "1fec8e78-bce4-4aaf-ab1b-5451cc387264", "5e3ce6c0-2b1f-4285-8d4b-75ee78787346",
    "4765445b-32c6-49b0-83e6-1d93765276ca", "0ec893e0-5785-4de6-99da-4ed124e5296c",
    "d3590ed6-52b3-4102-aeff-aad2292ab01c", "bc59ab01-8403-45c6-8796-ac3ef710b3e3",
    "27922004-5251-4030-b22d-91ecd9a37ea4",
})
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class SsoUser:
    """A person Entra vouched for: their tenant and their object id in it."""

    tenant_id: str
    object_id: str


def issuer_of(version: str, tenant_id: str) -> str:
    """The issuer a token of `version` from `tenant_id` must name."""
    if version == "2.0":
        return f"https://login.microsoftonline.com/{tenant_id}/v2.0"
    return f"https://sts.windows.net/{tenant_id}/"


class KeysNotReady(Exception):
    """Entra's signing keys are not known yet (just started, or none confirmed for 48 h): no
    token can be checked now, which is no fault of the person's (answered 503)."""


class SsoValidator:
    """Checks a tab's SSO token; `user` gives the person or raises Rejected (answered 401)."""

    def __init__(self, client_id: str, app_id_uri: str, keys: Mapping[str, SigningKeys], *,
                 tenants: frozenset[str] | None = None,
                 clients: frozenset[str] = TEAMS_CLIENTS) -> None:
        # v2.0 tokens always name the client id; v1.0 tokens the client id or the URI asked for
        self._audiences = {"2.0": [client_id], "1.0": sorted({client_id, app_id_uri} - {""})}
        self._keys = keys
        self._tenants = tenants  # None: any tenant (a multitenant app)
        self._clients = clients

    def user(self, token: str) -> SsoUser:
        if len(token) > MAX_HEADER_CHARS or not _TOKEN.fullmatch(token):
            raise Rejected("not a token")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except (jwt.PyJWTError, ValueError, RecursionError) as error:
            raise Rejected("unreadable token") from error
        version, tenant = unverified.get("ver"), unverified.get("tid")
        if not isinstance(version, str) or version not in self._keys or version not in (
                self._audiences):
            raise Rejected("not an Entra v1.0 or v2.0 token")
        keys = self._keys[version]
        if not isinstance(tenant, str) or not _GUID.fullmatch(tenant):
            raise Rejected("no tenant")
        if self._tenants is not None and tenant not in self._tenants:
            raise Rejected("another tenant")  # before any signature check: it costs
        if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
            raise Rejected("not signed with RS256")
        if not keys.ready:
            raise KeysNotReady()
        key = keys.get(header["kid"])
        if key is None:
            raise Rejected("unknown signing key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key.key, algorithms=["RS256"], audience=self._audiences[version],
                issuer=issuer_of(version, tenant), leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "aud", "iss", "tid", "oid"]})
        except (jwt.PyJWTError, ValueError) as error:
            raise Rejected(type(error).__name__) from error
        return self._person(claims, tenant)

    def _person(self, claims: dict[str, Any], tenant: str) -> SsoUser:
        scopes = claims.get("scp")
        if not isinstance(scopes, str) or SSO_SCOPE not in scopes.split():
            raise Rejected("no access_as_user scope")
        client = claims.get("azp", claims.get("appid"))
        if client not in self._clients:
            raise Rejected("not issued to a Teams client")
        object_id = claims.get("oid")
        if not isinstance(object_id, str) or not _GUID.fullmatch(object_id):
            raise Rejected("no object id")
        if claims.get("tid") != tenant:
            raise Rejected("another tenant")
        return SsoUser(tenant, object_id)
