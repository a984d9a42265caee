"""A stock botbuilder 4.17.1 bot, the baseline for `python -m bench.load`.

CloudAdapter with ConfigurationBotFrameworkAuthentication in anonymous mode (empty app id), an
ActivityHandler whose on_invoke_activity returns InvokeResponse(status=200) and nothing else, and
the boundary handler of TEAMS-PLATFORM.md §2.1 (so invokes are not answered with 500). No
connector-client caching (§2.4): this is what a bot gets out of the box.

Run alone: `python -m bench.stock_bot [--port N]`; prints `READY <port>` once it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass

import jwt
from aiohttp import web
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.core.serializer_helper import serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, InvokeResponse


@dataclass(frozen=True)
class _Config:
    APP_ID: str = ""  # anonymous mode: no token validation, no outgoing tokens
    APP_PASSWORD: str = ""
    APP_TYPE: str = "MultiTenant"
    APP_TENANTID: str = ""


class StockBot(ActivityHandler):
    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        return InvokeResponse(status=200)


def create_stock_app() -> web.Application:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_Config()))
    bot = StockBot()

    async def on_error(context: TurnContext, error: Exception) -> None:
        print(f"stock bot turn error: {error!r}", file=sys.stderr)

    adapter.on_turn_error = on_error

    async def messages(req: web.Request) -> web.Response:
        if "application/json" not in req.headers.get("Content-Type", ""):
            return web.Response(status=415)
        activity = Activity().deserialize(await req.json())
        try:
            resp = await adapter.process_activity(req.headers.get("Authorization", ""),
                                                  activity, bot.on_turn)
        except (PermissionError, jwt.PyJWTError):
            return web.Response(status=401)
        if resp is None:
            return web.Response(status=201)
        body = resp.body
        if body is not None and not isinstance(body, (dict, list)):
            body = serializer_helper(body)
        return web.json_response(body, status=resp.status)

    async def healthz(req: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    return app


async def serve(port: int = 0) -> None:
    runner = web.AppRunner(create_stock_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"READY {bound}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
