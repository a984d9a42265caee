"""The access log never holds a report token (it would open the report to log readers)."""

from __future__ import annotations

import logging

import aiohttp
from aiohttp import web

from bot.summaries.report_routes import AccessLog


async def _not_found(request: web.Request) -> web.Response:
    return web.Response(status=404)


async def _ok(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def test_report_tokens_are_cut_from_the_access_log(caplog):
    app = web.Application()
    app.router.add_get("/reports/{token}", _not_found)
    app.router.add_get("/healthz", _ok)
    runner = web.AppRunner(app, access_log_class=AccessLog,
                           access_log=logging.getLogger("aiohttp.access"))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    token = "s3cr3t-T0ken_abcdefghijklmnopqrstuvwxyz"
    try:
        with caplog.at_level(logging.INFO, logger="aiohttp.access"):
            async with aiohttp.ClientSession() as http:
                for path in (f"/reports/{token}", "/healthz"):
                    async with http.get(f"http://127.0.0.1:{port}{path}") as response:
                        await response.read()
    finally:
        await runner.cleanup()
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert any(line.startswith("GET /reports/… 404") for line in lines), lines
    assert any(line.startswith("GET /healthz 200") for line in lines), lines
    assert not any(token in line for line in lines)
