"""The botbuilder boundary: authentication, the /api/messages handler, Activity -> Turn.

This is the only module that touches botbuilder, so that moving to its successor SDK replaces
this file. It carries the workarounds for botbuilder 4.17.1 (see docs): invoke bodies serialised
once, token failures answered with 401, connector clients cached, and the token checked from the
header (bot.teams.tokens, with keys fetched off the request path) before the body is read,
instead of botbuilder's validation after parsing with blocking key fetches.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import json
import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, cast
from urllib.parse import urlsplit

import jwt
import requests
from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import Activity, ActivityTypes, CallerIdConstants, InvokeResponse
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    ClaimsIdentity,
    ManagedIdentityAppCredentials,
    jwt_token_extractor,
)
from msal import ConfidentialClientApplication, ManagedIdentityClient
from msrest.serialization import Deserializer, Model

from bot.core.rate_limits import Rate, TokenBuckets, client_key, retry_after
from bot.core.rejections import RejectionLog
from bot.core.turn import InvokeAnswer, Turn, TurnKind
from bot.delivery.transport import Address, TokenProvider
from bot.i18n import language_of
from bot.settings import LOGIN_URL, Settings, is_loopback_name
from bot.teams.limits import MAX_ACTIVITY_BYTES
from bot.teams.tokens import Rejected, SigningKeys, TokenValidator
from facilitation.anonymity import Person

logger = logging.getLogger(__name__)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MEETING_EVENT_PREFIX = "application/vnd.microsoft.meeting"
MESSAGE_CONTENT_TYPE = "application/vnd.microsoft.activity.message"

TurnLogic = Callable[[Turn], Awaitable[InvokeAnswer | None]]

#: Seconds a client may take to send the body once its token was accepted.
BODY_TIMEOUT = 10.0
#: Caps on lists in an activity (Teams sends a few; each is parsed into models).
MAX_ENTITIES = 256
MAX_ATTACHMENTS = 64
MAX_MEMBERS = 1000
#: Refused requests per client address before the address is answered 429 without a look at
#: its token (tokens already accepted still get in, so Teams' own addresses are never shut
#: out). Refusals are cheap but not free (a forged signature is checked in about 150 µs).
REFUSAL_RATE = Rate(burst=30, per_minute=60)
#: Seconds to connect to, and to read an answer from, the login host (per request; MSAL makes
#: two for the first token: the authority's metadata, then the token).
TOKEN_REQUEST_TIMEOUT = (5.0, 10.0)
#: The longest a send waits for a token before it is tried again later.
TOKEN_WAIT = 30.0
#: A token fetch still running after this many seconds is left behind and a new one started.
TOKEN_ABANDON_AFTER = 60.0
#: Seconds after a failed token fetch in which sends fail at once instead of asking again.
TOKEN_RETRY_AFTER = 5.0
#: Signature checks a second for tokens not seen before, from an address over REFUSAL_RATE:
#: a forged token that differs each time costs a signature check (about 100-250 µs), so a
#: flood of them would take the whole core; tokens accepted before (Teams repeats its token for
#: about an hour) never wait for this budget.
NEW_TOKEN_CHECKS = Rate(burst=50, per_minute=6000)
#: Signature checks a second for a token that was answered 429 unchecked and comes again: Teams
#: repeats its token, a flood of new forged ones does not (and one that repeats them gets only
#: these few more).
REPEATED_TOKEN_CHECKS = Rate(burst=10, per_minute=1200)
DEFERRED_TOKENS = 4096  # tokens answered 429 unchecked, remembered (as digests) for a repeat
#: Connector clients kept (one per service URL and audience; Teams uses a handful of regions).
MAX_CONNECTOR_CLIENTS = 64



async def _never_fetch(self: Any, key_id: str) -> None:
    """botbuilder's signing-key lookup, which would block the loop on `requests.get`: never
    used, since tokens are checked by bot.teams.tokens; refuse rather than fetch."""
    raise PermissionError("tokens are validated before botbuilder sees them")


def _disable_botbuilder_key_fetch() -> None:
    """Replace botbuilder's key lookup (done when an endpoint is built, not at import; doing
    it again changes nothing)."""
    if jwt_token_extractor._OpenIdMetadata.get is not _never_fetch:
        jwt_token_extractor._OpenIdMetadata.get = _never_fetch


@dataclass(frozen=True)
class _BotConfig:
    """botbuilder reads its settings as attributes with these names."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


# botbuilder has no type hints, so its classes are Any to mypy (pyproject.toml).
class CachingAuthentication(ConfigurationBotFrameworkAuthentication):  # type: ignore[misc]
    """Caches connector clients per (service url, audience) and builds the authentication
    result of a request from the claims TeamsEndpoint verified from its header
    (bot.teams.tokens); CloudAdapter.process_activity takes that result instead of a header.
    botbuilder's own header validation is never used: asked for it, this is a PermissionError
    (-> 401), never a 500."""

    def __init__(self, config: _BotConfig) -> None:
        super().__init__(config)
        self._clients: OrderedDict[tuple[str, str | None], Any] = OrderedDict()
        self._token_clients: dict[Any, Any] = {}
        self._authenticated = bool(config.APP_ID)

    async def authenticate_request(self, activity: Activity, auth_header: str) -> Any:
        """botbuilder's validation (after parsing, fetching keys with a blocking call): never
        used, see `verified`."""
        raise PermissionError("request not verified")

    def verified(self, claims: dict[str, Any]) -> Any:
        """What botbuilder's validation would return, built from the claims TeamsEndpoint
        checked before parsing ({}: local mode, where nobody signs)."""
        if claims:
            identity = ClaimsIdentity(claims, True)
            caller_id: str | None = CallerIdConstants.public_azure_channel
        elif not self._authenticated:
            identity = ClaimsIdentity({}, True, AuthenticationConstants.ANONYMOUS_AUTH_TYPE)
            caller_id = None
        else:
            raise PermissionError("request not verified")
        result = AuthenticateRequestResult()
        result.claims_identity = identity
        result.audience = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
        result.caller_id = caller_id
        result.connector_factory = self.create_connector_factory(identity)
        create = result.connector_factory.create

        async def cached(service_url: str, audience: str | None = None) -> Any:
            key = (service_url, audience)
            if key in self._clients:
                self._clients.move_to_end(key)
                return self._clients[key]
            client = self._clients[key] = await create(service_url, audience)
            while len(self._clients) > MAX_CONNECTOR_CLIENTS:
                await _closed(self._clients.popitem(last=False)[1])
            return client

        result.connector_factory.create = cached
        return result

    async def create_user_token_client(self, claims_identity: Any, *args: Any) -> Any:
        key = claims_identity.get_claim_value("aud") if claims_identity else None
        if key not in self._token_clients:
            self._token_clients[key] = await super().create_user_token_client(claims_identity)
        return self._token_clients[key]

    @property
    def cached_clients(self) -> int:
        return len(self._clients)

    async def close(self) -> None:
        for client in [*self._clients.values(), *self._token_clients.values()]:
            await _closed(client)
        self._clients.clear()
        self._token_clients.clear()


async def _closed(client: Any) -> None:
    closer = getattr(client, "close", None)
    if closer is not None:
        result = closer()
        if asyncio.iscoroutine(result):
            await result


def _bot_config(settings: Settings) -> _BotConfig:
    return _BotConfig(settings.app_id, settings.app_password, settings.app_type,
                      settings.app_tenant_id)


class ResonanzHandler(TeamsActivityHandler):  # type: ignore[misc]  # botbuilder is Any
    """Turns messages and card clicks into Turns and hands them to our logic."""

    def __init__(self, logic: TurnLogic) -> None:
        self._logic = logic

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        turn = to_turn(turn_context.activity, TurnKind.MESSAGE)
        await self._logic(turn)

    async def on_event_activity(self, turn_context: TurnContext) -> None:
        # Meeting events reach botbuilder's hooks as raw dicts anyway; read them ourselves.
        name = turn_context.activity.name or ""
        if name.startswith(MEETING_EVENT_PREFIX):
            await self._logic(to_turn(turn_context.activity, TurnKind.EVENT))

    async def on_teams_members_added(self, members_added: Any, team_info: Any,
                                     turn_context: TurnContext) -> None:
        # Teams also sends installationUpdate; answering only this one welcomes once.
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if any(getattr(member, "id", None) == bot_id for member in members_added or []):
            await self._logic(to_turn(turn_context.activity, TurnKind.INSTALLED))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        if turn_context.activity.name != "adaptiveCard/action":
            # Resonanz offers no other invokes (task modules, message extensions, ...): asking
            # for one is the caller's mistake, answered 400, not botbuilder's 501.
            return InvokeResponse(status=400, body={"error": "unsupported invoke"})
        try:
            turn = to_turn(turn_context.activity, TurnKind.CARD_ACTION)
        except Exception as error:  # a field of an unexpected shape: the sender's mistake
            logger.info("unreadable card action: %s", type(error).__name__)
            return self._answer(turn_context, InvokeResponse(
                status=400, body={"error": "malformed card action"}))
        answer = await self._logic(turn)
        return self._answer(turn_context, InvokeResponse(status=200, body=invoke_body(answer)))

    @staticmethod
    def _answer(turn_context: TurnContext, response: InvokeResponse) -> InvokeResponse:
        # botbuilder would "send" the answer as an activity, deep-copying it and its card on
        # the way (more CPU than casting the vote); the adapter only reads it from here.
        turn_context.turn_state[TurnContext._INVOKE_RESPONSE_KEY] = Activity(
            value=response, type=ActivityTypes.invoke_response)
        return response


def invoke_body(answer: InvokeAnswer | None) -> dict[str, Any]:
    """The Universal Action answer: a card for the clicker only, or a short message."""
    if answer is not None and answer.card is not None:
        return {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": answer.card}
    message = answer.message if answer is not None and answer.message else ""
    return {"statusCode": 200, "type": MESSAGE_CONTENT_TYPE, "value": message}


# ---------------------------------------------------------------------------- Activity -> Turn

_INLINE_TAG = re.compile(r"</?(?:at|b|i|u|s|em|strong|span|a|code)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


_GUID = re.compile(r"\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-"
                   r"[0-9A-Fa-f]{12})\}?")


def _guid(value: str) -> str:
    """A tenant or Entra object id as Teams usually writes it (lower case, no braces), so one
    person's voter key does not depend on how a client spelt their id; other ids unchanged."""
    match = _GUID.fullmatch(value.strip())
    return match.group(1).lower() if match else value


def to_turn(activity: Activity, kind: TurnKind) -> Turn:
    """Our own view of an activity; tolerant of missing fields (they arrive from many clients)."""
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    sender = activity.from_property
    tenant_id = (channel_data.get("tenant") or {}).get("id") or getattr(
        activity.conversation, "tenant_id", None) or ""
    meeting_id = (channel_data.get("meeting") or {}).get("id") or None
    verb, data = _action(activity.value) if kind is TurnKind.CARD_ACTION else (None, {})
    if kind is TurnKind.EVENT:
        verb = (activity.name or "").removeprefix("application/vnd.microsoft.")
        data = activity.value if isinstance(activity.value, dict) else {}
    return Turn(
        kind=kind,
        person=Person(tenant_id=_guid(tenant_id), user_id=getattr(sender, "id", None) or "",
                      aad_object_id=_guid(getattr(sender, "aad_object_id", None) or "") or None),
        display_name=getattr(sender, "name", None) or "",
        language=language_of(activity.locale),
        address=Address(service_url=activity.service_url or "",
                        conversation_id=getattr(activity.conversation, "id", None) or "",
                        bot_id=getattr(activity.recipient, "id", None) or ""),
        tenant_id=tenant_id,
        meeting_id=meeting_id if isinstance(meeting_id, str) else None,
        conversation_type=getattr(activity.conversation, "conversation_type", None) or "",
        text=command_text(activity) if kind is TurnKind.MESSAGE else "",
        verb=verb,
        data=data,
        reply_to_id=activity.reply_to_id,
        addressed=kind is not TurnKind.MESSAGE or _addressed(activity),
    )


def _addressed(activity: Activity) -> bool:
    """A personal chat's message, or one that @mentions the bot (with or without its entity)."""
    if getattr(activity.conversation, "conversation_type", None) == "personal":
        return True
    bot_id = getattr(activity.recipient, "id", None)
    mentions = [(entity.additional_properties or {}).get("mentioned")
                for entity in activity.entities or [] if entity.type == "mention"]
    if mentions:
        return any(isinstance(m, dict) and m.get("id") == bot_id for m in mentions)
    return bool(re.match(r"^\s*(?:<p>)?\s*<at>", activity.text or ""))


def command_text(activity: Activity) -> str:
    """The message text without the bot's @mention, HTML tags or entities."""
    text = activity.text or ""
    bot_id = getattr(activity.recipient, "id", None)
    removed = False
    for entity in activity.entities or []:
        props = entity.additional_properties or {}
        mentioned = props.get("mentioned") or {}
        mention_text = props.get("text")
        if (entity.type == "mention" and mentioned.get("id") == bot_id
                and isinstance(mention_text, str) and mention_text):
            text, removed = text.replace(mention_text, " "), True
    if not removed:
        # Some clients send the mention without its entity: drop a leading one.
        text = re.sub(r"^\s*<at>.*?</at>", " ", text, count=1)
    text = _TAG.sub(" ", _INLINE_TAG.sub("", text))
    return " ".join(html.unescape(text).split())


def _action(value: Any) -> tuple[str | None, dict[str, Any]]:
    if not isinstance(value, dict):
        return None, {}
    action = value.get("action")
    if not isinstance(action, dict):
        return None, {}
    verb = action.get("verb")
    data = action.get("data")
    return (verb if isinstance(verb, str) else None), (data if isinstance(data, dict) else {})


# ---------------------------------------------------------------------------- JSON -> Activity


class _Unusual(Exception):
    """A payload outside what `_parse_activity` maps exactly; msrest reads it instead."""


def parse_activity(body: Any) -> Activity:
    """The Activity msrest would build from `body`, built directly from the models' attribute
    maps. msrest's generic deserializer took more CPU per vote than the rest of the request;
    anything this does not map exactly (an unexpected type, say) goes to msrest after all,
    which then accepts or rejects it as before."""
    try:
        activity = _model(Activity, body)
    except _Unusual:
        return Activity().deserialize(body)
    assert isinstance(activity, Activity)
    return activity


@cache
def _fields(model: type) -> dict[str, tuple[str, str]]:
    """JSON key -> (attribute, msrest type) of a model."""
    specs: dict[str, dict[str, str]] = cast("type[Model]", model)._attribute_map
    fields = {spec["key"]: (attribute, spec["type"]) for attribute, spec in specs.items()}
    if any("." in key or not key for key in fields):
        raise _Unusual(model.__name__)  # flattened keys: msrest's business
    return fields


@cache
def _models() -> dict[str, type]:
    return Activity._infer_class_models()  # type: ignore[no-any-return]


def _model(model: type, data: Any) -> Any:
    if not isinstance(data, dict):
        raise _Unusual(model.__name__)
    fields = _fields(model)
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        field = fields.get(key)
        if field is None:
            extra[key] = value
        else:
            values[field[0]] = _value(field[1], value)
    built = model(**values)
    built.additional_properties = extra
    return built


# msrest's plain types and the JSON type each must arrive as (`type(...) is`, so no bool as int)
_PLAIN: dict[str, type] = {"str": str, "bool": bool, "int": int, "iso-8601": str}
_CONTAINERS: dict[str, type] = {"[": list, "{": dict}


def _value(kind: str, value: Any) -> Any:
    if value is None or kind == "object":
        return value
    expected = _PLAIN.get(kind) or _CONTAINERS.get(kind[0]) or dict
    arrived: type = type(value)  # compared apart from `value`, which must stay Any
    if arrived is not expected:
        raise _Unusual(kind)
    if kind == "iso-8601":
        return Deserializer.deserialize_iso(value)
    if kind in _PLAIN:
        return value
    if kind[0] == "[":
        return [_value(kind[1:-1], item) for item in value]
    if kind[0] == "{":
        return {key: _value(kind[1:-1], item) for key, item in value.items()}
    model = _models().get(kind)
    if model is None:
        raise _Unusual(kind)
    return _model(model, value)


# ---------------------------------------------------------------------------- HTTP boundary


class TeamsEndpoint:
    """Owns the CloudAdapter and serves POST /api/messages.

    A request is checked in order of cost, each step before the next reads more: the content
    type, the declared length, the token (from the header, with keys already in memory), then
    the body (with a deadline), its lists, and that it comes from the service URL its token
    names. Only then is it parsed into botbuilder's models.
    """

    def __init__(self, settings: Settings, logic: TurnLogic, *,
                 refusals: Rate = REFUSAL_RATE, new_token_checks: Rate = NEW_TOKEN_CHECKS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._refusals = TokenBuckets(refusals)
        self._new_token_checks = TokenBuckets(new_token_checks)
        self._repeated_token_checks = TokenBuckets(REPEATED_TOKEN_CHECKS)
        self._deferred: OrderedDict[bytes, None] = OrderedDict()
        self._monotonic = monotonic
        self._auth = CachingAuthentication(_bot_config(settings))
        self._adapter = CloudAdapter(self._auth)
        self._adapter.on_turn_error = self._on_turn_error
        self._handler = ResonanzHandler(logic)
        self._settings = settings
        _disable_botbuilder_key_fetch()
        self.signing_keys = SigningKeys(settings.openid_metadata_url)
        self._tokens = TokenValidator(settings.app_id, self.signing_keys)
        self._rejections = RejectionLog()
        self._connector_tokens: ConnectorTokens | None = None

    async def start(self) -> None:
        """Fetch the channel's signing keys (authenticated mode); requests never wait for it."""
        if self._settings.authenticated:
            await self.signing_keys.start()

    async def messages(self, request: web.Request) -> web.Response:
        client = client_key(request.remote)
        header = request.headers.get("Authorization", "")
        if self._refusals.tokens(client, self._monotonic()) < 1 and self._over_budget(
                client, header):
            return self._refused(client, 429, "too many refused requests")
        if not self._settings.authenticated and _from_a_browser(request):
            # Without tokens, a web page must not be able to post as anyone (CSRF).
            return self._refused(client, 403, "not from a browser")
        if request.content_type != "application/json":
            return self._refused(client, 415, "expected application/json")
        length = request.content_length
        if length is None:
            return self._refused(client, 411, "Content-Length required")
        if length > MAX_ACTIVITY_BYTES:
            return self._refused(client, 413, "activity too large")
        claims, signed = self._claims(header)
        if claims is None:
            if signed:  # the channel's own token for someone else: not counted against it
                return _refuse(401, "unauthorized")
            return self._refused(client, 401, "unauthorized")
        try:
            body = json.loads(await asyncio.wait_for(request.read(), BODY_TIMEOUT))
        except TimeoutError:
            return self._refused(client, 408, "body too slow")
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: [[[[...
            return self._refused(client, 400, "malformed activity")
        if not _plausible(body):
            return self._refused(client, 400, "malformed activity")
        try:
            activity = parse_activity(body)
        except Exception:  # any malformed body is the caller's problem, not a crash
            return self._refused(client, 400, "malformed activity")
        if not activity.type or not isinstance(body.get("serviceUrl"), str):
            return self._refused(client, 400, "malformed activity")
        if not self._from_its_service(body, claims):
            return self._refused(client, 401, "unauthorized")
        try:
            response = await self._adapter.process_activity(
                self._auth.verified(claims), activity, self._handler.on_turn)
        except (PermissionError, jwt.PyJWTError):
            return _refuse(401, "unauthorized")
        if response is None:
            return web.Response(status=201)
        return web.json_response(_serialised(response.body), status=response.status)

    def _over_budget(self, client: str, header: str) -> bool:
        """For an address refused too often: whether this request is refused unchecked. Not
        even a token: nothing Teams would send. A token accepted before: checked (Teams may
        share an address with whoever floods, behind a proxy). A token not seen before: checked
        up to NEW_TOKEN_CHECKS a second, and one refused unchecked that comes again up to
        REPEATED_TOKEN_CHECKS a second more: Teams' next token (which it repeats) still gets in
        while a flood of new forged ones cannot spend the core on signatures."""
        if not self._tokens.bearer(header):
            return True
        if self._tokens.known(header):
            return False
        now = self._monotonic()
        digest = hashlib.blake2b(header.encode(), digest_size=16).digest()
        if digest in self._deferred:  # answered 429 unchecked before, and here again
            if self._repeated_token_checks.take(client, now) == 0:
                del self._deferred[digest]
                return False
            return True
        if self._new_token_checks.take(client, now) == 0:
            return False
        self._deferred[digest] = None
        while len(self._deferred) > DEFERRED_TOKENS:
            self._deferred.popitem(last=False)
        return True

    def _refused(self, client: str, status: int, reason: str) -> web.Response:
        """A refusal, counted against the client's address (REFUSAL_RATE)."""
        wait = self._refusals.take(client, self._monotonic())
        response = _refuse(status, reason)
        if status == 429:
            response.headers["Retry-After"] = retry_after(wait)
        return response

    def _claims(self, header: str) -> tuple[dict[str, Any] | None, bool]:
        """The token's verified claims ({} in local mode, where no token may come), or None;
        and whether a refused token was signed by the channel nonetheless."""
        if not self._settings.authenticated:
            return (None if header else {}), False
        try:
            return self._tokens.claims(header), False
        except Rejected as why:
            self._rejections(str(why))
            return None, why.signed

    def _from_its_service(self, body: dict[str, Any], claims: dict[str, Any]) -> bool:
        """The activity names the service URL its token was issued for, and comes from Teams;
        in local mode, where nobody signs, only a loopback connector may be called back."""
        service_url = body["serviceUrl"]
        if self._settings.authenticated:
            return service_url == claims.get("serviceurl") and body.get("channelId") == "msteams"
        return _loopback(service_url)

    async def _on_turn_error(self, context: TurnContext, error: Exception) -> None:
        logger.error("unhandled error in a turn: %s", type(error).__name__, exc_info=error)

    async def token_provider(self) -> TokenProvider:
        """Bearer tokens for calls to the Bot Connector (none in local mode); one source for
        every caller, so a cold start asks the login host once."""
        if not self._settings.authenticated:
            async def no_token(service_url: str) -> str | None:
                return None
            return no_token
        if self._connector_tokens is None:
            self._connector_tokens = ConnectorTokens(
                await _connector_token_fetch(self._settings),
                urlsplit(self._settings.login_url).netloc)
        return self._connector_tokens

    @property
    def connector_clients(self) -> int:
        """How many connector clients the adapter built (one per service URL and audience)."""
        return self._auth.cached_clients

    async def close(self) -> None:
        await self.signing_keys.close()
        await self._auth.close()
        if self._connector_tokens is not None:
            self._connector_tokens.close()
        self._rejections.flush()


async def _connector_token_fetch(settings: Settings) -> Callable[[], str]:
    """A blocking call that returns the bot's token for the Bot Connector, from the Entra
    authority `settings.login_url` (Microsoft's own unless RESONANZ_LOGIN_URL names another);
    run it in a thread: MSAL fetches and caches tokens itself, over the network.

    Workaround: for a login host botbuilder 4.17.1 does not know it builds private-cloud
    credentials that keep `validate_authority=False` but never hand it to MSAL, which then asks
    login.microsoftonline.com whether the host exists and fails; the MSAL client is built here
    with the check off, as the operator named that host on purpose (in the thread too: MSAL's
    constructor already fetches the authority's metadata)."""
    factory = ConfigurationServiceClientCredentialFactory(_bot_config(settings))
    tenant = settings.app_tenant_id or "botframework.com"
    microsoft = settings.login_url == LOGIN_URL
    credentials = await factory.create_credentials(
        settings.app_id, AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
        f"{settings.login_url}/{tenant}", microsoft)

    def fetch() -> str:
        if credentials.app is None:
            credentials.app = _msal_client(credentials, settings, checked=microsoft)
        if isinstance(credentials, ManagedIdentityAppCredentials):
            # botbuilder's own call reads answer["access_token"], a KeyError on any failure
            answer = credentials.app.acquire_token_for_client(resource=credentials.oauth_scope)
            if "access_token" not in answer:
                raise PermissionError(f"Failed to get access token with error: "
                                      f"{answer.get('error', 'unknown_error')}")
            return cast(str, answer["access_token"])
        return cast(str, credentials.get_access_token())
    return fetch


def _msal_client(credentials: Any, settings: Settings, *, checked: bool) -> Any:
    """The MSAL client botbuilder would build for `credentials`, with what it leaves out: a
    timeout on every request to the login host (MSAL's default waits for ever), and the
    authority check only for Microsoft's own host (see _connector_token_fetch)."""
    if isinstance(credentials, ManagedIdentityAppCredentials):
        return ManagedIdentityClient(
            credentials._managed_identity, http_client=_TimedSession(),
            token_cache=ManagedIdentityAppCredentials.global_token_cache)
    return ConfidentialClientApplication(
        client_id=settings.app_id, client_credential=settings.app_password,
        authority=credentials.oauth_endpoint, validate_authority=checked,
        timeout=TOKEN_REQUEST_TIMEOUT)


class _TimedSession(requests.Session):  # type: ignore[misc]  # requests is untyped here
    """requests with TOKEN_REQUEST_TIMEOUT unless a call names its own: MSAL's managed-identity
    client takes an HTTP client but no timeout."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", TOKEN_REQUEST_TIMEOUT)
        return super().request(*args, **kwargs)


class ConnectorTokenUnavailable(Exception):
    """No token for the Bot Connector just now; nothing was sent, so a send is tried again."""


class ConnectorTokens:
    """The bot's bearer tokens for the Bot Connector (a TokenProvider). MSAL blocks on the
    network, so `fetch` runs in a daemon thread of its own, not in the pool that aiohttp's DNS
    lookups and the Q&A search share, and never holds up the process's exit: a slow login host
    holds back only what needs a token. Callers that come while a fetch runs wait for that one,
    each at most `wait` seconds; a fetch still running after `abandon_after` seconds is left
    behind and a new one started (at most MAX_FETCHES running at once); a failed fetch is not
    tried again for TOKEN_RETRY_AFTER seconds. Failures and waits that ran out are logged (the
    login host and MSAL's error code, never its description) at most once a minute, counted."""

    MAX_FETCHES = 4

    def __init__(self, fetch: Callable[[], str], host: str, *, wait: float = TOKEN_WAIT,
                 abandon_after: float = TOKEN_ABANDON_AFTER,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._fetch, self._host, self._clock = fetch, host, clock
        self._wait, self._abandon_after = wait, abandon_after
        self._running: asyncio.Future[str] | None = None
        self._started_at = -math.inf
        self._threads: set[threading.Thread] = set()
        self._failed_until = -math.inf
        self._failures = 0
        self._logged_at = -math.inf
        self._closed = False

    async def __call__(self, service_url: str) -> str:
        if self._closed:
            raise ConnectorTokenUnavailable("the bot is stopping")
        if self._clock() < self._failed_until:
            raise ConnectorTokenUnavailable("the last attempt failed moments ago")
        running = self._running
        if running is None or self._clock() - self._started_at > self._abandon_after:
            running = self._start()
        try:
            return await asyncio.wait_for(asyncio.shield(running), self._wait)
        except TimeoutError as error:
            self._note(f"no answer in {self._wait:g} s")
            raise ConnectorTokenUnavailable(f"no answer from {self._host} in time") from error

    def _start(self) -> asyncio.Future[str]:
        self._threads = {thread for thread in self._threads if thread.is_alive()}
        if self._running is not None and len(self._threads) >= self.MAX_FETCHES:
            return self._running  # enough left hanging: wait for one of them
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        future.add_done_callback(self._settled)
        self._running, self._started_at = future, self._clock()

        def fetch() -> None:
            token: str | None = None
            error: BaseException | None = None
            try:
                token = self._fetch()
            except StopIteration as failed:  # a future cannot hold one
                error = ConnectorTokenUnavailable(type(failed).__name__)
            except Exception as failed:
                error = failed
            except BaseException as failed:  # never out of the thread
                error = ConnectorTokenUnavailable(type(failed).__name__)
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(_settle, future, token, error)

        thread = threading.Thread(target=fetch, name="connector-token", daemon=True)
        self._threads.add(thread)
        thread.start()
        return future

    def _settled(self, done: asyncio.Future[str]) -> None:
        latest = self._running is done
        if latest:
            self._running = None
        error = None if done.cancelled() else done.exception()
        if error is None or self._closed:
            return
        if latest:  # a fetch left behind that fails later says nothing of the newer one
            self._failed_until = self._clock() + TOKEN_RETRY_AFTER
        self._note(token_failure(error))

    def _note(self, what: str) -> None:
        self._failures += 1
        now = self._clock()
        if now - self._logged_at >= 60.0:
            self._logged_at = now
            logger.warning("could not get the bot's token for the Bot Connector from %s: %s "
                           "(%d failures so far); messages wait and are tried again",
                           self._host, what, self._failures)

    def close(self) -> None:
        """Callers still waiting are told no token comes; a fetch thread is left to end."""
        self._closed = True
        if self._running is not None and not self._running.done():
            self._running.set_exception(ConnectorTokenUnavailable("the bot is stopping"))


def _settle(future: asyncio.Future[str], token: str | None, error: BaseException | None
            ) -> None:
    if future.done():  # told the bot is stopping meanwhile
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(cast(str, token))


def token_failure(error: BaseException) -> str:
    """What went wrong getting a token, without anything the login host wrote about it: MSAL's
    error code (`invalid_client`) from botbuilder's PermissionError, else the exception's type."""
    code = re.search(r"with error: ([a-z_]+)", str(error)) if isinstance(
        error, PermissionError) else None
    return code.group(1) if code else type(error).__name__


def _refuse(status: int, reason: str) -> web.Response:
    """An answer that closes the connection, so an unread body is not drained."""
    response = web.json_response({"error": reason}, status=status)
    response.force_close()
    return response


def _plausible(body: Any) -> bool:
    """A JSON object whose lists are no longer than real activities carry."""
    if not isinstance(body, dict):
        return False
    limits = (("entities", MAX_ENTITIES), ("attachments", MAX_ATTACHMENTS),
              ("membersAdded", MAX_MEMBERS), ("membersRemoved", MAX_MEMBERS))
    return all(not isinstance(body.get(name), list) or len(body[name]) <= limit
               for name, limit in limits)


# A connector's base path (the Agents Playground serves under /_connector): letters, digits and
# _-./ only, so no query, fragment or escape can be smuggled in.
_PLAIN_PATH = re.compile(r"(/[A-Za-z0-9_.-]*)*/?")


def _from_a_browser(request: web.Request) -> bool:
    """Browsers mark what a page sends; the Bot Connector and the playground send neither."""
    return "Origin" in request.headers or "Sec-Fetch-Site" in request.headers


def _loopback(url: str) -> bool:
    """A plain loopback base URL: scheme, host, port and a plain base path; no query, fragment,
    user or escape that could steer where the bot's own path goes."""
    if "\\" in url or any(ord(c) < 33 for c in url):
        return False
    parts = urlsplit(url)
    if (parts.scheme not in ("http", "https") or parts.username or parts.password
            or parts.query or parts.fragment or "?" in url or "#" in url
            or not _PLAIN_PATH.fullmatch(parts.path)):
        return False
    return is_loopback_name((parts.hostname or "").strip("[]"))


def _serialised(body: Any) -> Any:
    if body is None or isinstance(body, (dict, list)):
        return body
    return serializer_helper(body)
