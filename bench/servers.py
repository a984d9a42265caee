"""Server processes for `python -m bench.load`, each started as `python -m bench.servers ROLE`.

- `connector`: the LocalConnector (bot/local_connector.py) plus a small inspection app on a second
  loopback port, so the load generator (another process) can read what the bot posted and edited:
  `GET /bench/cards` (posted messages that carry a poll card: message id, poll id) and
  `GET /bench/edits/{aid}` (every successful edit of a message: monotonic time, the counts parsed
  from the card's "(n)" texts, the "N votes" line, whether the card says "Results as of").
  Prints `READY <connector port> <inspect port>`.
- `resonanz DB_DIR`: the real app, `create_app(Settings(...))` on an AppRunner.
  Prints `READY <port>`.

time.monotonic() is CLOCK_MONOTONIC, shared by all processes of the machine, so edit times can be
compared with the load generator's.
"""

from __future__ import annotations

import asyncio
import re
import socket
import sys
from pathlib import Path
from typing import Any

from aiohttp import web

COUNT = re.compile(r"\((\d+)\)\s*$")
VOTES = re.compile(r"^(?:Final result · )?(\d[\d,]*) votes$")


def _texts(node: Any, in_columns: bool = False) -> list[tuple[str, bool]]:
    found: list[tuple[str, bool]] = []
    if isinstance(node, dict):
        here = in_columns or node.get("type") == "ColumnSet"
        if isinstance(node.get("text"), str):
            found.append((node["text"], here))
        for key, value in node.items():
            if key != "text":
                found += _texts(value, here)
    elif isinstance(node, list):
        for item in node:
            found += _texts(item, in_columns)
    return found


def card_state(activity: Any) -> dict[str, Any]:
    """Counts, ballots and staleness shown by a poll card activity (as the connector got it)."""
    texts = _texts(activity)
    counts = [int(m.group(1)) for text, cols in texts if cols and (m := COUNT.search(text))]
    ballots = None
    for text, _ in texts:
        m = VOTES.match(text.strip())
        if m:
            ballots = int(m.group(1).replace(",", ""))
    stale = any(text.startswith("Results as of") for text, _ in texts)
    return {"counts": counts, "ballots": ballots, "as_of": stale}


def _poll_id(activity: Any) -> str | None:
    for attachment in (activity or {}).get("attachments") or []:
        content = attachment.get("content") or {}
        stack = [content]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if node.get("verb") == "poll.vote" and isinstance(node.get("data"), dict):
                    return node["data"].get("poll")
                stack += list(node.values())
            elif isinstance(node, list):
                stack += node
    return None


async def _connector() -> None:
    from bot.local_connector import LocalConnector

    connector = LocalConnector()
    await connector.start()

    async def cards(request: web.Request) -> web.Response:
        out = []
        for r in connector.requests:
            if r.kind in ("send", "reply") and r.status < 300 and r.activity_id:
                poll = _poll_id(r.body)
                if poll:
                    out.append({"id": r.activity_id, "poll": poll, "at": r.at})
        return web.json_response(out)

    async def edits(request: web.Request) -> web.Response:
        aid = request.match_info["aid"]
        out = [{"at": r.at, **card_state(r.body)} for r in connector.requests
               if r.kind == "edit" and r.status < 300 and r.activity_id == aid]
        return web.json_response(out)

    async def stats(request: web.Request) -> web.Response:
        kinds: dict[str, int] = {}
        for r in connector.requests:
            key = f"{r.kind} {r.status}"
            kinds[key] = kinds.get(key, 0) + 1
        return web.json_response(kinds)

    app = web.Application()
    app.router.add_get("/bench/cards", cards)
    app.router.add_get("/bench/edits/{aid}", edits)
    app.router.add_get("/bench/stats", stats)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    inspect_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"READY {connector.port} {inspect_port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await connector.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _resonanz(folder: Path) -> None:
    from bot.app import create_app
    from bot.settings import Settings

    port = _free_port()  # Settings wants the port up front (report links); bound right below
    settings = Settings(database_url=f"sqlite:///{folder / 'bench.db'}", port=port,
                        secret="bench-secret-not-for-production", secret_file=folder / "s",
                        edit_interval=2.0)
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    print(f"READY {port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    from bot.cli import configure_logging

    configure_logging("INFO")  # as `resonanz serve` with the default LOG_LEVEL (stderr -> file)
    role = sys.argv[1]
    try:
        if role == "connector":
            asyncio.run(_connector())
        elif role == "resonanz":
            asyncio.run(_resonanz(Path(sys.argv[2])))
        else:
            raise SystemExit(f"unknown role {role!r}")
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
