"""The `resonanz` command: serve the bot, export or purge a meeting's data, or build the Teams
app package."""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.i18n import languages
from bot.settings import Settings, SettingsError, check_start

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
    a connection is made and more bytes do not extend it, so it is a header deadline too."""
    from bot.app import create_app
    from bot.summaries.report_routes import AccessLog

    log = logging.getLogger("resonanz")
    for warning in check_start(settings):
        log.warning(warning)
    before, after = raise_descriptor_limit()
    if after is not None:
        raised = f" (raised from {before})" if before != after else ""
        log.info("file descriptors: up to %s open at once%s", after, raised)
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(AcceptErrorLog())
    web.run_app(create_app(settings, freeze_heap=True), host=settings.host, port=settings.port,
                keepalive_timeout=settings.header_timeout, access_log_class=AccessLog,
                loop=loop, print=lambda message: log.info(message.strip()))
    return 0


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
