"""The application factory: wires settings, storage, delivery, routing and the Teams endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.breakouts import handlers as breakout_handlers
from bot.core.meetings import Meetings
from bot.core.registry import Registry
from bot.core.router import Router
from bot.core.services import Parts, Services
from bot.core.sessions import SessionTokens
from bot.core.shell import Shell
from bot.delivery.durable import DurableSends
from bot.delivery.outbox import Outbox
from bot.delivery.transport import ConnectorTransport
from bot.help import handlers as help_handlers
from bot.housekeeping.scheduler import run_timers
from bot.meeting.sign_in import MeetingSignIn
from bot.polls import handlers as poll_handlers
from bot.polls.ballot_box import BallotBox
from bot.polls.live import LivePolls
from bot.polls.parts import PollParts
from bot.qna import handlers as qna_handlers
from bot.qna.asking_limits import asking_limits_for
from bot.qna.live import LiveBoards
from bot.qna.parts import QnaParts
from bot.qna.upvote_box import UpvoteBox
from bot.settings import Settings, load_secret
from bot.summaries import handlers as summary_handlers
from bot.summaries.report_routes import REPORT_RATE, ReportPages
from bot.teams.connector_reads import ConnectorReads
from bot.teams.endpoint import REFUSAL_RATE, TeamsEndpoint
from bot.teams.roles import MeetingRoles
from bot.teams.roster import Roster
from bot.teams.sso import ENTRA_METADATA, SsoValidator
from bot.teams.tokens import SigningKeys
from storage.card_leases import card_leases_for
from storage.database import checkpoint, create_engine, create_schema, write_probe
from storage.outgoing import OutgoingStore
from storage.repositories import Storage

logger = logging.getLogger(__name__)

SHELL = web.AppKey("shell", Shell)
SERVICES = web.AppKey("services", Services)
OUTBOX = web.AppKey("outbox", Outbox)
ENDPOINT = web.AppKey("endpoint", TeamsEndpoint)
# How long a process's claim on its outgoing messages lasts without renewal: after a crash,
# another process on the same database takes them over after at most this long.
OUTGOING_CLAIM = timedelta(seconds=60)


class WriteHealth:
    """Whether the database takes writes, for /healthz: one probe (storage.database.
    write_probe) at most every `every` seconds, shared by every request meanwhile, so a flood
    of health checks costs at most one small write a second; a probe taking longer than
    `timeout` counts as failed (the probe itself is left to finish, never cancelled midway
    through a transaction on the connection votes use)."""

    def __init__(self, engine: AsyncEngine, *, every: float = 1.0, timeout: float = 2.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._engine = engine
        self._every = every
        self._timeout = timeout
        self._monotonic = monotonic
        self._probe: asyncio.Task[str | None] | None = None
        self._started = -math.inf

    async def problem(self) -> str | None:
        """None if writes work, else what is wrong (safe to show)."""
        now = self._monotonic()
        if self._probe is None or (self._probe.done() and now - self._started >= self._every):
            self._started = now
            self._probe = asyncio.create_task(self._run())
        try:
            return await asyncio.wait_for(asyncio.shield(self._probe), self._timeout)
        except TimeoutError:
            logger.warning("health check: a database write took longer than %g s",
                           self._timeout)
            return f"database writes take longer than {self._timeout:g} s"

    async def _run(self) -> str | None:
        try:
            await write_probe(self._engine)
        except Exception as error:
            logger.warning("health check: the database refuses writes (%s)",
                           type(error).__name__)
            return "the database refuses writes"
        return None


WRITE_HEALTH = web.AppKey("write_health", WriteHealth)


def build_registry() -> Registry:
    """Every command and card verb, registered in one place."""
    registry = Registry()
    help_handlers.register(registry)
    # Summaries listen to meetingEnd before breakouts forget who was present.
    summary_handlers.register(registry)
    poll_handlers.register(registry)
    qna_handlers.register(registry)
    breakout_handlers.register(registry)
    return registry


def create_app(settings: Settings, *, freeze_heap: bool = False) -> web.Application:
    """The aiohttp app. Nothing is connected until the app starts (see `_lifecycle`).
    `freeze_heap` is for a process that serves this one app (see `_freeze_heap`)."""
    app = web.Application()
    app.cleanup_ctx.append(lambda app: _lifecycle(app, settings))
    if freeze_heap:
        app.on_startup.append(_freeze_heap)  # runs after `_lifecycle` has set everything up
    app.router.add_get("/healthz", _healthz)
    return app


async def _freeze_heap(app: web.Application) -> None:
    """Everything built at start (modules, SDK models, mappers) lives as long as the process:
    take it out of the garbage collector's view. Otherwise every full collection walks it
    again, ~100 ms each under vote load, which was most of the p99 latency. Objects frozen are
    never collected, so this is for a process serving one app, not for tests making many."""
    gc.collect()
    gc.freeze()


async def _healthz(request: web.Request) -> web.Response:
    """200 {"status": "ok"} while the database takes writes; 503 with the reason otherwise."""
    health = request.app.get(WRITE_HEALTH)
    problem = await health.problem() if health is not None else "starting"
    if problem is None:
        return web.json_response({"status": "ok", "database": "writable"})
    return web.json_response({"status": "unavailable", "database": problem}, status=503)


def _sso_keys(settings: Settings) -> dict[str, SigningKeys]:
    """Entra's signing keys for the meeting pages' SSO tokens, by token version (to be
    started in the background: a start never waits for Entra); none without SSO."""
    if not settings.sso:
        return {}
    if settings.sso_metadata_url:
        one = SigningKeys(settings.sso_metadata_url, whose="Entra")
        keys = {"2.0": one, "1.0": one}
    else:
        keys = {version: SigningKeys(url, whose="Entra")
                for version, url in ENTRA_METADATA.items()}
    return keys


async def _close_keys(keys: dict[str, SigningKeys], starts: list[asyncio.Task[None]]) -> None:
    for start in starts:
        start.cancel()
    await asyncio.gather(*starts, return_exceptions=True)
    for each in set(keys.values()):
        await each.close()


def _sso(settings: Settings, keys: dict[str, SigningKeys]) -> SsoValidator | None:
    """The SSO check of the meeting pages; None in local mode (the developer sign-in)."""
    if not settings.authenticated:
        return None
    tenant = settings.app_tenant_id.strip().lower()  # tokens carry it in lower case
    single = settings.app_type != "MultiTenant" and tenant
    return SsoValidator(settings.app_id, settings.app_id_uri, keys,
                        tenants=frozenset({tenant}) if single else None)


def _new_id() -> str:
    return uuid.uuid4().hex


def _now() -> datetime:
    return datetime.now(UTC)


async def _write_down(meetings: Meetings, storage: Storage) -> None:
    """At shutdown: the participation keys held, then the log checkpointed into the database."""
    try:
        await meetings.write_reached(storage, everything=True)
    except Exception:
        logger.exception("could not write the participation keys held at shutdown")
    try:
        await checkpoint(storage.engine)
    except Exception:
        logger.exception("could not checkpoint the database log at shutdown")


async def _lifecycle(app: web.Application, settings: Settings) -> AsyncIterator[None]:
    secret = load_secret(settings)
    engine = create_engine(settings.database_url)
    await create_schema(engine)
    storage = Storage(engine)
    endpoint = TeamsEndpoint(settings, logic=lambda turn: shell.on_turn(turn),
                             refusals=REFUSAL_RATE)  # refused requests per client address
    await endpoint.start()  # the channel's signing keys, fetched once with a timeout
    tokens = await endpoint.token_provider()
    transport = ConnectorTransport(tokens)
    outbox = Outbox(transport, edit_interval=settings.edit_interval,
                    edit_retry_for=settings.retry_for, leases=card_leases_for(engine))
    reads = ConnectorReads(tokens)
    roles = MeetingRoles(reads)
    roster = Roster(reads)
    sends = DurableSends(OutgoingStore(engine, _new_id(), claim_for=OUTGOING_CLAIM), outbox,
                         transport, clock=_now, new_id=_new_id,
                         shared=engine.dialect.name == "postgresql",
                         give_up_after=timedelta(seconds=settings.retry_for))
    meetings = Meetings(secret, _now, _new_id)
    policy = settings.policy  # built once: every surface gets this one
    live = LivePolls(storage, outbox, policy=policy)
    parts = Parts(PollParts(live=live, ballots=BallotBox(storage, meetings)),
                  QnaParts(boards=LiveBoards(storage, outbox), upvotes=UpvoteBox(storage, meetings),
                           asking=asking_limits_for(engine)))
    services = Services(storage=storage, secret=secret, clock=_now, new_id=_new_id, roles=roles,
                        roster=roster, sends=sends, outbox=outbox, meetings=meetings,
                        policy=policy, parts=parts, public_url=settings.base_url,
                        report_link_hours=settings.report_link_hours,
                        attendees_start=settings.attendees_start)
    registry = build_registry()
    for kind, posted in registry.posted_handlers.items():
        sends.bind(kind, partial(posted, services))
    shell = Shell(Router(registry, services), outbox, sends)
    app.router.add_post("/api/messages", endpoint.messages)
    reports = ReportPages(services, rate=REPORT_RATE)
    app.router.add_get("/reports/{token}", reports.serve)  # anyone with a link; REPORT_RATE
    app.router.add_route("*", "/reports{rest:.*}", reports.elsewhere)  # 404, same headers
    sso_keys = _sso_keys(settings)
    sso_starts = [asyncio.create_task(keys.start()) for keys in set(sso_keys.values())]
    if settings.sso or not settings.authenticated:
        sign_in = MeetingSignIn(services, SessionTokens(secret), _sso(settings, sso_keys))
        # anyone: a Teams SSO token (or, in local mode only, the developer sign-in) for a
        # meeting Teams says the person takes part in; rate-limited per address and person
        # (bot/meeting/sign_in.py)
        app.router.add_post("/meeting/api/session", sign_in.session)
    app[SHELL], app[SERVICES], app[OUTBOX], app[ENDPOINT] = shell, services, outbox, endpoint
    app[WRITE_HEALTH] = WriteHealth(engine)
    await live.resume()
    await sends.start()  # messages an earlier run promised and did not finish
    closer = asyncio.create_task(run_timers(services, settings.close_check_seconds,
                                            retention_days=settings.retention_days))
    logger.info("Resonanz is ready (%s mode, database %s)",
                "authenticated" if settings.authenticated else "local, unauthenticated",
                engine.url.render_as_string(hide_password=True))
    try:
        yield
    finally:
        closer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await closer
        await _write_down(meetings, storage)
        # Bounded: what is not sent by then stays in the database for the next start.
        await outbox.close(timeout=settings.stop_timeout)
        await sends.close()
        await transport.close()
        await reads.close()
        await endpoint.close()
        await _close_keys(sso_keys, sso_starts)
        await storage.close()
