"""The channel's OpenID metadata and signing keys, served by a real HTTP server on 127.0.0.1.

`mode` says how it answers: "ok", "slow" (after `delay` seconds), "fail" (500), "blackhole"
(accepts the request and never answers) or "trickle" (the body in small pieces with pauses, as
a large key list may arrive over TLS). `requests` counts what it was asked.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


class KeyServer:
    def __init__(self, keys: dict[str, rsa.RSAPrivateKey],
                 endorsements: tuple[str, ...] = ("msteams",)) -> None:
        self.keys = dict(keys)
        self.endorsements = list(endorsements)
        self.mode = "ok"
        self.delay = 8.0
        self.requests = 0
        self.jwks_uri: str | None = None  # None: the key document on this server
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._never = asyncio.Event()
        self._request: web.Request | None = None

    @property
    def metadata_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/v1/.well-known/openidconfiguration"

    async def start(self) -> KeyServer:
        app = web.Application()
        app.router.add_get("/v1/.well-known/openidconfiguration", self._metadata)
        app.router.add_get("/v1/keys", self._jwks)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        self._never.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _answer(self, body: dict[str, Any]) -> web.StreamResponse:
        self.requests += 1
        if self.mode == "blackhole":
            await self._never.wait()
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
        if self.mode == "fail":
            return web.Response(status=500)
        if self.mode == "trickle":
            return await self._trickle(json.dumps(body).encode())
        return web.json_response(body)

    async def _trickle(self, data: bytes) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(self._request)
        for start in range(0, len(data), 100):
            await response.write(data[start:start + 100])
            await asyncio.sleep(0.002)
        await response.write_eof()
        return response

    async def _metadata(self, request: web.Request) -> web.StreamResponse:
        self._request = request
        return await self._answer({"issuer": "https://api.botframework.com",
                                   "jwks_uri": self.jwks_uri
                                   or f"http://127.0.0.1:{self._port}/v1/keys"})

    async def _jwks(self, request: web.Request) -> web.StreamResponse:
        self._request = request
        entries = []
        for key_id, key in self.keys.items():
            entry = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            entry.update(kid=key_id, use="sig", endorsements=self.endorsements)
            entries.append(entry)
        return await self._answer({"keys": entries})
