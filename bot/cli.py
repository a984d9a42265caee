"""The `resonanz` command: serve the bot, export or purge a meeting's data, or build the Teams
app package."""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.core.rate_limits import client_key
from bot.i18n import languages
from bot.settings import INSECURE_NETWORK, Settings, SettingsError, check_start
from bot.teams.limits import MAX_ACTIVITY_BYTES

if TYPE_CHECKING:
    from storage.repositories import Storage


DELIMITER_NAMES = {",": ",", ";": ";", "comma": ",", "semicolon": ";", "tab": "\t"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="resonanz", description="Resonanz Teams bot")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the bot (settings from the environment)")
    exporting = commands.add_parser("export", help="a meeting's polls and Q&A (aggregates only)")
    exporting.add_argument("--meeting", required=True,
                           help="the meeting id of a summary card, a report link, the Teams "
                                "meeting id (every occurrence), or a chat's conversation id")
    exporting.add_argument("--format", choices=("json", "csv"), default="json")
    exporting.add_argument("--locale", choices=languages(),
                           help="language of the texts and the CSV delimiter (de: ';', en: ','; "
                                "default: the language the meeting's items were created in)")
    exporting.add_argument("--delimiter", choices=sorted(DELIMITER_NAMES),
                           metavar="{comma,semicolon,tab}",
                           help="the CSV delimiter, whatever the locale (or ',' or ';')")
    exporting.add_argument("--output", help="file to write (default: standard output)")
    purging = commands.add_parser(
        "purge", help="apply the retention period now (texts and names of older meetings and "
                      "items go, aggregates stay), or with --meeting delete everything of one "
                      "meeting")
    purging.add_argument("--meeting", help="delete all data of this meeting, presence included "
                                           "(Resonanz meeting id or report link; a Teams "
                                           "meeting id: also its meeting chat; a chat id: "
                                           "everything of the chat)")
    packaging = commands.add_parser(
        "manifest", help="build the Teams app package (manifest, translations, icons) as a zip")
    packaging.add_argument("--app-id", required=True, help="the Teams app's id (a GUID)")
    packaging.add_argument("--bot-id", help="the bot's Microsoft App ID, the Entra app "
                                            "registration behind it (a GUID; default: --app-id)")
    packaging.add_argument("--version", default="1.0.0",
                           help="the app's version, major.minor.patch (default: 1.0.0); raise it "
                                "for every update you upload")
    packaging.add_argument("--out", default="resonanz.zip",
                           help="the zip to write (default: resonanz.zip)")
    packaging.add_argument("--without-chat-messages", action="store_true",
                           help="leave out the permissions that deliver every chat message; "
                                "commands in group chats then need the @mention")
    args = parser.parse_args(argv)
    if args.command == "manifest":  # needs no settings: it must work before any are made
        return manifest(args.app_id, args.bot_id, args.version, Path(args.out),
                        chat_messages=not args.without_chat_messages)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"resonanz: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    from storage.migrations import SchemaError

    try:
        if args.command == "export":
            return export(settings, args.meeting, args.format, args.output,
                          locale=args.locale, delimiter=DELIMITER_NAMES.get(args.delimiter))
        if args.command == "purge":
            return purge(settings, args.meeting)
        return serve(settings)
    except SchemaError as error:  # the database's schema is not one this version can upgrade
        print(f"resonanz: {error}", file=sys.stderr)
        return 1
    except SettingsError as error:  # refused by the start-up checks: nothing is listening
        print(f"resonanz: {error}", file=sys.stderr)
        return 2


def manifest(app_id: str, bot_id: str | None, version: str, out: Path, *,
             chat_messages: bool = True) -> int:
    """Write the app package; a clear message and exit code 2 for bad input."""
    from bot.app import build_registry
    from bot.teams.app_package import PackageError, write_package

    try:
        write_package(out, app_id=app_id, bot_id=bot_id or app_id, version=version,
                      registry=build_registry(), chat_messages=chat_messages)
    except PackageError as error:
        print(f"resonanz manifest: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"resonanz manifest: could not write {out}: {error.strerror or error}",
              file=sys.stderr)
        return 1
    print(f"wrote {out}: upload it in Teams (Apps > Manage your apps > Upload an app) or in the "
          f"Teams admin center")
    return 0


def purge(settings: Settings, meeting: str | None) -> int:
    """Run the retention purge now, or delete one meeting's data."""
    import asyncio
    from datetime import UTC, datetime

    from bot.housekeeping.retention import delete_meeting, purge_expired

    async def run() -> str | None:
        storage = await _open_storage(settings)
        try:
            now = datetime.now(UTC)
            if meeting:
                deleted = await delete_meeting(storage, meeting, now=now)
                if not deleted:
                    return None
                return f"{deleted.meetings} meetings deleted" + (
                    ", and the chat with everything in it" if deleted.chat else "")
            count = await purge_expired(storage, now=now, retention_days=settings.retention_days,
                                        policy=settings.policy)
            return f"{count} meetings purged of raw texts"
        finally:
            await storage.close()

    done = asyncio.run(run())
    if done is None:
        print(f"resonanz: no meeting or chat with the id {meeting!r} is stored", file=sys.stderr)
        return 1
    print(done)
    return 0


async def _open_storage(settings: Settings) -> Storage:
    from storage.database import create_engine, create_schema
    from storage.repositories import Storage

    engine = create_engine(settings.database_url)
    await create_schema(engine)
    return Storage(engine)


def export(settings: Settings, meeting: str, form: str, output: str | None, *,
           locale: str | None = None, delimiter: str | None = None) -> int:
    """Write a meeting's export; a clear message and exit code 1 for an unknown meeting. The
    CSV starts with a UTF-8 byte order mark and is split by the locale's delimiter."""
    import asyncio
    from datetime import UTC, datetime

    from bot.summaries.export import (
        UnknownMeeting,
        as_csv,
        as_json,
        delimiter_for,
        export_meeting,
    )

    async def run() -> dict[str, object]:
        storage = await _open_storage(settings)
        try:
            return await export_meeting(storage, meeting, policy=settings.policy,
                                        now=datetime.now(UTC), language=locale)
        finally:
            await storage.close()

    try:
        data = asyncio.run(run())
    except UnknownMeeting:
        print(f"resonanz: no meeting, chat or report link with the id {meeting!r} is stored",
              file=sys.stderr)
        return 1
    if form == "csv":
        text = as_csv(data, delimiter=delimiter or delimiter_for(str(data["language"])))
    else:
        text = as_json(data)
    if output:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    else:  # as UTF-8 whatever the terminal's encoding, like the file
        sys.stdout.flush()
        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.buffer.flush()
    return 0


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # These log request details or SQL parameters at DEBUG; keep them quiet even then.
    for noisy in ("msrest", "msal", "urllib3", "botframework", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def serve(settings: Settings) -> int:
    """Check the settings before anything listens (SettingsError: refused), raise the
    descriptor limit, then serve until SIGTERM or SIGINT. Connections that have not sent their
    headers within RESONANZ_HEADER_TIMEOUT are closed: aiohttp's keep-alive deadline starts when
    a connection is made and more bytes do not extend it, so it is a header deadline too. A
    client address holding RESONANZ_CONNECTIONS_PER_CLIENT connections has its next one closed
    at once (`ConnectionCap`). The insecure override's warning is repeated every
    INSECURE_REMINDER seconds while serving, so it is in every stretch of log one reads."""
    from bot.app import create_app

    log = logging.getLogger("resonanz")
    warnings = check_start(settings)
    for warning in warnings:
        log.warning(warning)
    before, after = raise_descriptor_limit()
    if after is not None:
        raised = f" (raised from {before})" if before != after else ""
        log.info("file descriptors: up to %s open at once%s", after, raised)
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(AcceptErrorLog())
    asyncio.set_event_loop(loop)
    # handle_signals: SIGTERM and SIGINT raise GracefulExit, so the app shuts down cleanly
    # (queued messages and card edits are flushed), as under aiohttp's run_app.
    runner = web.AppRunner(create_app(settings, freeze_heap=True), handle_signals=True,
                           **runner_options(settings))
    reminders = [w for w in warnings if w.startswith(INSECURE_NETWORK)]
    main = loop.create_task(_serve(runner, settings, log, reminders))
    try:
        loop.run_until_complete(main)
    except (web.GracefulExit, KeyboardInterrupt):  # SIGTERM / SIGINT (AppRunner's handlers)
        pass
    finally:
        main.cancel()
        loop.run_until_complete(asyncio.gather(main, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        asyncio.set_event_loop(None)
        loop.close()
    return 0


def runner_options(settings: Settings) -> dict[str, Any]:
    """How `serve` runs the app (aiohttp AppRunner options): the header deadline, and an
    access log without report tokens."""
    from bot.summaries.report_routes import AccessLog

    return {"keepalive_timeout": settings.header_timeout, "access_log_class": AccessLog,
            "lingering_time": 0}


INSECURE_REMINDER = 600.0  # seconds between repeats of the insecure override's warning


async def _serve(runner: web.AppRunner, settings: Settings, log: logging.Logger,
                 reminders: list[str]) -> None:
    """What aiohttp's run_app does, with the connection cap in front of its protocol."""
    await runner.setup()
    try:
        site = _CappedSite(runner, settings.host, settings.port,
                           per_client=settings.connections_per_client)
        await site.start()
        log.info("Running on %s (at most %d connections per client address)", site.name,
                 settings.connections_per_client)
        while True:
            await asyncio.sleep(INSECURE_REMINDER if reminders else 3600)
            for warning in reminders:
                log.warning(warning)
    finally:
        await runner.cleanup()


class _CappedSite(web.TCPSite):
    """aiohttp's TCP site, its protocol factory wrapped in `ConnectionCap`."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, *, per_client: int) -> None:
        super().__init__(runner, host, port)
        self._per_client = per_client

    async def start(self) -> None:
        await web.BaseSite.start(self)  # registers the site; TCPSite.start would listen
        server = self._runner.server
        assert server is not None
        self._server = await asyncio.get_running_loop().create_server(
            ConnectionCap(server, self._per_client), self._host, self._port,
            backlog=self._backlog, reuse_address=self._reuse_address)


class ConnectionCap:
    """A protocol factory in front of aiohttp's: at most `per_client` open connections per
    client address (bot.core.rate_limits.client_key; loopback counted like any other). One
    more is aborted in `connection_made`, before aiohttp sees a byte of it; refusals are
    logged as one line per `interval` seconds with a count."""

    def __init__(self, factory: Callable[[], asyncio.Protocol], per_client: int, *,
                 interval: float = 60.0, log: logging.Logger | None = None) -> None:
        self.factory = factory
        self.per_client = per_client
        self.open: dict[str, int] = {}
        self.refused = 0
        self._interval = interval
        self._log = log or logging.getLogger("resonanz")
        self._logged_at = -math.inf
        self.too_large = 0
        self._too_large_logged_at = -math.inf

    def __call__(self) -> asyncio.Protocol:
        return _Capped(self)

    def admit(self, client: str) -> bool:
        held = self.open.get(client, 0)
        if held >= self.per_client:
            self.refused += 1
            now = time.monotonic()
            if now - self._logged_at >= self._interval:
                self._logged_at = now
                self._log.warning("closed a connection from a client address holding %d "
                                  "already (RESONANZ_CONNECTIONS_PER_CLIENT); %d closed so far",
                                  held, self.refused)
            return False
        self.open[client] = held + 1
        return True

    def note_too_large(self) -> None:
        """A request refused for its declared size before aiohttp saw it: counted, and logged
        as one line per interval."""
        self.too_large += 1
        now = time.monotonic()
        if now - self._too_large_logged_at >= self._interval:
            self._too_large_logged_at = now
            self._log.warning("refused a request declaring a body over %d bytes (413) before "
                              "reading it; %d refused so far", MAX_BODY, self.too_large)

    def release(self, client: str) -> None:
        left = self.open.get(client, 0) - 1
        if left > 0:
            self.open[client] = left
        else:
            self.open.pop(client, None)


#: No route takes a request body larger than an activity (bot.teams.endpoint).
MAX_BODY = MAX_ACTIVITY_BYTES
TOO_LARGE = (b"HTTP/1.1 413 Request Entity Too Large\r\nContent-Type: application/json\r\n"
             b"Content-Length: 30\r\nConnection: close\r\n\r\n"
             b'{"error": "request too large"}')
_MAX_BODY_DIGITS = len(str(MAX_BODY))  # a longer run of digits declares more than MAX_BODY
_HEAD_SEEN = 8192  # how far into a connection's first bytes its headers are looked for


def declares_too_large(first: bytes) -> bool:
    """Whether a connection's first bytes hold a complete request head whose Content-Length
    exceeds MAX_BODY. Only a cheap early refusal: anything this does not recognise goes to
    aiohttp, whose parser and the routes refuse it as before."""
    end = first.find(b"\r\n\r\n", 0, _HEAD_SEEN)
    if end < 0:
        return False
    for line in first[:end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            value = value.strip()
            if not value.isdigit():
                return False
            digits = value.lstrip(b"0")  # int() of more than 4,300 digits raises
            return len(digits) > _MAX_BODY_DIGITS or int(digits or b"0") > MAX_BODY
    return False


class _Capped(asyncio.Protocol):
    """One connection: aiohttp's protocol if the cap admits it, else nothing. A first request
    that declares a body larger than any route takes is answered 413 and closed here, before
    aiohttp reads a byte of it (the body left unread is dropped with the connection)."""

    __slots__ = ("_cap", "_client", "_first", "_inner", "_transport")

    def __init__(self, cap: ConnectionCap) -> None:
        self._cap = cap
        self._client = ""
        self._inner: asyncio.Protocol | None = None
        self._transport: asyncio.Transport | None = None
        self._first = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        client = client_key(peer[0] if isinstance(peer, tuple) and peer else None)
        if not self._cap.admit(client):
            if isinstance(transport, asyncio.WriteTransport):
                transport.abort()  # at once, nothing flushed: the client sent nothing yet
            else:
                transport.close()
            return
        self._client = client
        self._transport = transport if isinstance(transport, asyncio.Transport) else None
        self._inner = self._cap.factory()
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._first:
            self._first = False
            if self._transport is not None and declares_too_large(data):
                self._transport.pause_reading()
                self._transport.write(TOO_LARGE)
                self._transport.close()
                self._cap.note_too_large()
                return
        if self._inner is not None:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._inner is not None:
            self._cap.release(self._client)
            self._inner.connection_lost(exc)
            self._inner = None


DESCRIPTOR_CAP = 65536


def raise_descriptor_limit(cap: int = DESCRIPTOR_CAP) -> tuple[int | None, int | None]:
    """Raise the soft limit on open files to the hard limit, at most `cap`: every connection
    holds one, and at the usual soft limit of 1,024 stalled connections took /healthz down.
    Returns the limit before and after (None: unlimited, or no such limits here)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return None, None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return None, None
    target = cap if hard == resource.RLIM_INFINITY else min(hard, cap)
    if soft >= target:
        return soft, soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):  # e.g. macOS caps it below an unlimited hard limit
        return soft, soft
    return soft, target


ExceptionHandler = Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object]
ACCEPT_FAILED = "socket.accept() out of system resource"  # asyncio's (selector_events.py)


def _late_accept_retry(context: dict[str, Any]) -> bool:
    handle = context.get("handle")
    callback = getattr(handle, "_callback", None)
    return (isinstance(context.get("exception"), ValueError)
            and getattr(callback, "__name__", "") == "_start_serving")


class AcceptErrorLog:
    """The event loop's exception handler. When the process runs out of descriptors (or
    memory), asyncio retries accepting every second and by default logs each failure with a
    traceback (103 MB in 70 s under a flood of stalled connections). Here the first failure is
    one line, later ones are counted and logged as one line per `interval` seconds. Everything
    else goes to the handler this one replaces, or to asyncio's default."""

    def __init__(self, interval: float = 10.0, *, previous: ExceptionHandler | None = None,
                 log: logging.Logger | None = None) -> None:
        self._interval = interval
        self._previous = previous
        self._log = log or logging.getLogger("resonanz")
        self._quiet_until = -math.inf
        self._count = 0
        self._reason = ""
        self._flush: asyncio.TimerHandle | None = None

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if _late_accept_retry(context):
            # asyncio's one-second accept retry firing after the listening socket was closed
            # at shutdown: nothing is lost (the server is gone), so no traceback.
            self._log.debug("accept retry after the server closed: ignored")
            return
        if context.get("message") != ACCEPT_FAILED:
            if self._previous is not None:
                self._previous(loop, context)
            else:
                loop.default_exception_handler(context)
            return
        self._reason = str(context.get("exception") or "no reason given")
        now = loop.time()
        if now >= self._quiet_until:
            self._quiet_until = now + self._interval
            self._log.error("could not accept a connection: %s; asyncio retries every second, "
                            "further failures are counted and logged every %g s",
                            self._reason, self._interval)
        else:
            self._count += 1
            if self._flush is None:
                self._flush = loop.call_at(self._quiet_until, self._report, loop)

    def _report(self, loop: asyncio.AbstractEventLoop) -> None:
        self._flush = None
        if self._count:
            self._log.error("could not accept a connection %d more times in %g s: %s",
                            self._count, self._interval, self._reason)
            self._count = 0
            self._quiet_until = loop.time() + self._interval


if __name__ == "__main__":
    sys.exit(main())
