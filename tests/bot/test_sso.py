"""Teams SSO tokens from a tab (bot.teams.sso): a token Entra signed for this app, scope
access_as_user, for a Teams client, from a tenant the bot serves, gives the person as (tenant,
object id); forged, expired, foreign-tenant, wrong-audience, wrong-scope and wrong-client
tokens are refused. Keys come from a local key server, as Entra publishes them."""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.teams.sso import TEAMS_CLIENTS, KeysNotReady, SsoUser, SsoValidator, issuer_of
from bot.teams.tokens import Rejected, SigningKeys
from tests.support.keys import KeyServer

CLIENT_ID = "6c1f5d0e-2a55-4d8e-9a61-3f0c5b7e9a10"
APP_ID_URI = f"api://resonanz.example.org/{CLIENT_ID}"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
OTHER_TENANT = "0b3a2c3e-9f21-4c51-8f0e-6b1a2c3d4e5f"
PERSON = "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6"
TEAMS_DESKTOP = "1fec8e78-bce4-4aaf-ab1b-5451cc387264"

ENTRA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ATTACKER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
async def validator() -> AsyncIterator[SsoValidator]:
    server = await KeyServer({"entra-key": ENTRA_KEY}, endorsements=()).start()
    keys = SigningKeys(server.metadata_url)
    await keys.start()
    try:
        yield SsoValidator(CLIENT_ID, APP_ID_URI, {"2.0": keys, "1.0": keys},
                           tenants=frozenset({TENANT}))
    finally:
        await keys.close()
        await server.stop()


def sso_token(*, version: str = "2.0", key: rsa.RSAPrivateKey = ENTRA_KEY,
              kid: str = "entra-key", algorithm: str = "RS256", **claims: object) -> str:
    now = int(time.time())
    tenant = str(claims.get("tid", TENANT))
    payload: dict[str, object] = {
        "ver": version, "tid": tenant, "oid": PERSON, "scp": "access_as_user",
        "aud": CLIENT_ID if version == "2.0" else APP_ID_URI,
        "iss": issuer_of(version, tenant), "iat": now - 60, "nbf": now - 60, "exp": now + 3600,
        "azp" if version == "2.0" else "appid": TEAMS_DESKTOP, "name": "Anna Berger"}
    payload.update(claims)
    payload = {name: value for name, value in payload.items() if value is not None}
    signing = key if algorithm == "RS256" else "a shared secret of thirty-two bytes!"
    return jwt.encode(payload, signing, algorithm=algorithm, headers={"kid": kid})


def test_a_v2_token_gives_the_person_as_tenant_and_object_id(validator):
    assert validator.user(sso_token()) == SsoUser(TENANT, PERSON)


def test_a_v1_token_with_the_application_id_uri_is_the_same_person(validator):
    assert validator.user(sso_token(version="1.0")) == SsoUser(TENANT, PERSON)
    assert validator.user(sso_token(version="1.0", aud=CLIENT_ID)) == SsoUser(TENANT, PERSON)


@pytest.mark.parametrize("client", sorted(TEAMS_CLIENTS))
def test_every_teams_and_microsoft_365_client_is_accepted(validator, client):
    assert validator.user(sso_token(azp=client)).object_id == PERSON


@pytest.mark.parametrize(("why", "token"), [
    ("forged: signed with another key", lambda: sso_token(key=ATTACKER_KEY)),
    ("a key Entra never published", lambda: sso_token(kid="attacker-key")),
    ("HS256 with a guessed secret", lambda: sso_token(algorithm="HS256")),
    ("expired", lambda: sso_token(exp=int(time.time()) - 3600)),
    ("not valid yet", lambda: sso_token(nbf=int(time.time()) + 3600)),
    ("another tenant", lambda: sso_token(tid=OTHER_TENANT)),
    ("the issuer of another tenant", lambda: sso_token(iss=issuer_of("2.0", OTHER_TENANT))),
    ("a v1 issuer on a v2 token", lambda: sso_token(iss=issuer_of("1.0", TENANT))),
    ("another app's audience", lambda: sso_token(aud="00000003-0000-0000-c000-000000000000")),
    ("a v2 token naming the URI (v2 tokens name the client id)", lambda: sso_token(aud=APP_ID_URI)),
    ("no audience", lambda: sso_token(aud=None)),
    ("no access_as_user scope", lambda: sso_token(scp="User.Read")),
    ("a scope that only contains the word", lambda: sso_token(scp="access_as_user_not")),
    ("an app token without scope", lambda: sso_token(scp=None, roles=["access_as_user"])),
    ("issued to another client", lambda: sso_token(azp="11111111-2222-4333-8444-555555555555")),
    ("no object id", lambda: sso_token(oid=None)),
    ("an object id that is not a GUID", lambda: sso_token(oid="../../etc")),
    ("an unknown version", lambda: sso_token(version="3.0")),
    ("no tenant", lambda: sso_token(tid="")),
])
def test_what_an_attacker_could_send_is_refused(validator, why, token):
    with pytest.raises(Rejected):
        validator.user(token())


@pytest.mark.parametrize("junk", ["", "a.b", "a" * 5000, "Bearer x.y.z", "x.y.z\n",
                                  "eyJhbGciOiJub25lIn0.e30.", "ü.ü.ü"])
def test_junk_is_refused_without_an_error(validator, junk):
    with pytest.raises(Rejected):
        validator.user(junk)


def test_an_unsigned_token_is_refused(validator):
    unsigned = jwt.encode({"ver": "2.0", "tid": TENANT, "oid": PERSON, "aud": CLIENT_ID,
                           "iss": issuer_of("2.0", TENANT), "scp": "access_as_user",
                           "azp": TEAMS_DESKTOP, "exp": int(time.time()) + 600,
                           "iat": int(time.time())}, key=None, algorithm="none")
    with pytest.raises(Rejected):
        validator.user(unsigned)


def test_a_multitenant_app_takes_any_tenant_but_still_its_own_issuer(validator):
    anyone = SsoValidator(CLIENT_ID, APP_ID_URI, validator._keys)
    assert anyone.user(sso_token(tid=OTHER_TENANT)) == SsoUser(OTHER_TENANT, PERSON)
    with pytest.raises(Rejected):
        anyone.user(sso_token(tid=OTHER_TENANT, iss=issuer_of("2.0", TENANT)))


async def test_before_entras_keys_are_known_no_token_can_be_checked_and_that_is_said():
    never_fetched = SigningKeys("http://127.0.0.1:9/never")
    waiting = SsoValidator(CLIENT_ID, APP_ID_URI, {"2.0": never_fetched, "1.0": never_fetched})
    with pytest.raises(KeysNotReady):
        waiting.user(sso_token())


@pytest.mark.parametrize("deep", ["[" * 4000, '{"a":' * 3000])
def test_a_deeply_nested_token_is_refused_without_an_error(validator, deep):
    part = base64.urlsafe_b64encode(deep.encode()).rstrip(b"=").decode()
    with pytest.raises(Rejected):
        validator.user(f"{part}.{part}.{part}"[:4000])
