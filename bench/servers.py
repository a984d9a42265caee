"""Server processes for `python -m bench.load`, each started as `python -m bench.servers ROLE`.

- `connector`: the LocalConnector (devtools/local_connector.py) plus a small inspection app on a
  second loopback port, so the load generator (another process) can read what the bot posted and
  edited:
  `GET /bench/cards` (posted messages that carry a poll card: message id, poll id) and
  `GET /bench/edits/{aid}` (every successful edit of a message: monotonic time, the counts parsed
  from the card's "(n)" texts, the "N votes" line, whether the card says "Results as of"),
  `GET /bench/boards` (posted messages that carry a Q&A board card: message id, board id),
  `GET /bench/board-edits/{aid}` (every successful edit of a board card: time, upvotes per
  question id as the "▲ n" texts show them, question texts, the "asked · answered" line),
  `GET /bench/posts` (every posted message: id, time, conversation, size, first text) and
  `GET /bench/stats` (requests by kind and status, e.g. "edit 200").
  Prints `READY <connector port> <inspect port>`.
- `resonanz DB_DIR`: the real app, `create_app(Settings(...))` on an AppRunner.
  Prints `READY <port>`.
- `keys DIR`: the channel's OpenID metadata and one RS256 signing key (endorsed for Teams) on a
  loopback port; the private key is written to DIR/channel-key.pem for the load generator to
  sign tokens with. Prints `READY <port>`.
- `login DIR`: an https token endpoint standing in for Microsoft Entra
  (devtools/local_login.py) that gives BENCH_APP_ID tokens for BENCH_PASSWORD; its certificate
  is DIR/login-ca.pem. Prints `READY <port>`.
- `served MODE DB_DIR KEYS_PORT LOGIN_PORT`: the app as `resonanz serve` runs it (bot.cli.serve),
  MODE `local` (no app id) or `secured` (app id BENCH_APP_ID, channel keys from the `keys`
  server, its own tokens from the `login` server; start it with REQUESTS_CA_BUNDLE naming the
  login certificate). Prints `READY <port>` just before it listens.

time.monotonic() is CLOCK_MONOTONIC, shared by all processes of the machine, so edit times can be
compared with the load generator's.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from devtools.local_connector import free_port

COUNT = re.compile(r"\((\d[\d,]*)\)\s*$")  # English cards: 1,234
VOTES = re.compile(r"^(?:Final result · )?(\d[\d,]*) votes$")
Handler = Callable[[web.Request], Awaitable[web.Response]]


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
    counts = [int(m.group(1).replace(",", "")) for text, cols in texts
              if cols and (m := COUNT.search(text))]
    ballots = None
    for text, _ in texts:
        m = VOTES.match(text.strip())
        if m:
            ballots = int(m.group(1).replace(",", ""))
    stale = any(text.startswith("Results as of") for text, _ in texts)
    return {"counts": counts, "ballots": ballots, "as_of": stale}


def _action_data(node: Any, verb: str, key: str) -> str | None:
    """`data[key]` of the first Action.Execute with `verb` below `node`."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("verb") == verb and isinstance(item.get("data"), dict):
                value = item["data"].get(key)
                return value if isinstance(value, str) else None
            stack += list(item.values())
        elif isinstance(item, list):
            stack += item
    return None


def board_state(activity: Any) -> dict[str, Any]:
    """Upvotes per question id, question texts and the counts line of a board card activity:
    each question is a ColumnSet with "▲ n", its text and an upvote button."""
    votes: dict[str, int] = {}
    texts: dict[str, str] = {}
    stack = [activity]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack += node
        elif isinstance(node, dict):
            question = (_action_data(node, "qna.upvote", "question")
                        if node.get("type") == "ColumnSet" else None)
            shown = [text for text, _ in _texts(node)]
            if question is None or not shown or not shown[0].startswith("▲ "):
                stack += list(node.values())
                continue
            votes[question] = int(shown[0].split()[1].replace(",", ""))
            texts[question] = "".join(shown[1:])
    counts = next((text for text, _ in _texts(activity) if " asked · " in text), None)
    return {"votes": votes, "texts": texts, "counts_line": counts}


async def _connector() -> None:
    from devtools.local_connector import LocalConnector

    connector = LocalConnector()
    await connector.start()

    def posted() -> list[Any]:
        return [r for r in connector.requests
                if r.kind in ("send", "reply") and r.status < 300 and r.activity_id]

    def card_list(verb: str, key: str) -> Handler:
        """Posted messages whose card has an Action.Execute `verb`: id, data[key], time."""
        async def handler(request: web.Request) -> web.Response:
            out = []
            for r in posted():
                value = _action_data((r.body or {}).get("attachments"), verb, key)
                if value:
                    out.append({"id": r.activity_id, key: value, "at": r.at})
            return web.json_response(out)
        return handler

    def edit_list(state: Callable[[Any], dict[str, Any]]) -> Handler:
        """Successful edits of one message: time and `state` of the card as edited."""
        async def handler(request: web.Request) -> web.Response:
            aid = request.match_info["aid"]
            return web.json_response([{"at": r.at, **state(r.body)} for r in connector.requests
                                      if r.kind == "edit" and r.status < 300
                                      and r.activity_id == aid])
        return handler

    async def posts(request: web.Request) -> web.Response:
        out = []
        for r in posted():
            texts = _texts(r.body)
            out.append({"id": r.activity_id, "at": r.at, "kind": r.kind,
                        "conversation": r.conversation_id, "bytes": len(json.dumps(r.body)),
                        "first_text": texts[0][0] if texts else None})
        return web.json_response(out)

    async def stats(request: web.Request) -> web.Response:
        kinds: dict[str, int] = {}
        for r in connector.requests:
            key = f"{r.kind} {r.status}"
            kinds[key] = kinds.get(key, 0) + 1
        return web.json_response(kinds)

    app = web.Application()
    app.router.add_get("/bench/cards", card_list("poll.vote", "poll"))
    app.router.add_get("/bench/edits/{aid}", edit_list(card_state))
    app.router.add_get("/bench/stats", stats)
    app.router.add_get("/bench/boards", card_list("qna.ask", "board"))
    app.router.add_get("/bench/board-edits/{aid}", edit_list(board_state))
    app.router.add_get("/bench/posts", posts)
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


async def _resonanz(folder: Path) -> None:
    from bot.app import create_app
    from bot.settings import Settings

    port = free_port()  # Settings wants the port up front (report links); bound right below
    settings = Settings(database_url=f"sqlite:///{folder / 'bench.db'}", port=port,
                        secret="bench-secret-not-for-production", secret_file=folder / "s",
                        edit_interval=2.0)
    runner = web.AppRunner(create_app(settings, freeze_heap=True), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    print(f"READY {port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


BENCH_APP_ID = "00000000-0000-4000-8000-00000000b3c4"


async def _keys(folder: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (folder / "channel-key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    port = free_port()
    entry = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    entry.update(kid="bench-key", use="sig", endorsements=["msteams"])

    async def metadata(request: web.Request) -> web.Response:
        return web.json_response({"jwks_uri": f"http://127.0.0.1:{port}/keys"})

    async def keys(request: web.Request) -> web.Response:
        return web.json_response({"keys": [entry]})

    app = web.Application()
    app.router.add_get("/openid", metadata)
    app.router.add_get("/keys", keys)
    await _serve_until_stopped(app, port)


async def _serve_until_stopped(app: web.Application, port: int) -> None:
    """Serve `app` on 127.0.0.1:port, say READY, and run until interrupted."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print(f"READY {port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


BENCH_PASSWORD = "bench-client-secret"  # what the `login` server hands tokens out for


async def _login(folder: Path) -> None:
    from devtools.local_login import LocalLogin

    login = LocalLogin(folder, BENCH_APP_ID, BENCH_PASSWORD)
    await login.start()
    print(f"READY {login.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await login.stop()


def _served(mode: str, folder: Path, keys_port: int, login_port: int) -> None:
    """The app as `resonanz serve` runs it (bot.cli.serve: start checks, connection cap, header
    deadline, access log), in local mode or authenticated; READY comes before it listens."""
    import secrets

    from bot.cli import serve
    from bot.settings import Settings

    port = free_port()
    secured = mode == "secured"
    settings = Settings(
        database_url=f"sqlite:///{folder / f'{mode}.db'}", port=port,
        secret=secrets.token_hex(32), secret_file=folder / f"{mode}.secret", edit_interval=2.0,
        **(dict(app_id=BENCH_APP_ID, app_password=BENCH_PASSWORD,
                openid_metadata_url=f"http://127.0.0.1:{keys_port}/openid",
                login_url=f"https://127.0.0.1:{login_port}") if secured else {}))
    print(f"READY {port}", flush=True)
    serve(settings)


def main() -> None:
    from bot.cli import configure_logging

    configure_logging("INFO")  # as `resonanz serve` with the default LOG_LEVEL (stderr -> file)
    role = sys.argv[1]
    try:
        if role == "connector":
            asyncio.run(_connector())
        elif role == "resonanz":
            asyncio.run(_resonanz(Path(sys.argv[2])))
        elif role == "keys":
            asyncio.run(_keys(Path(sys.argv[2])))
        elif role == "login":
            asyncio.run(_login(Path(sys.argv[2])))
        elif role == "served":
            _served(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
        else:
            raise SystemExit(f"unknown role {role!r}")
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
