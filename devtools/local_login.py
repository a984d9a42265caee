"""A local stand-in for Microsoft Entra's token endpoint, for tests and benchmarks.

The bot gets its tokens for the Bot Connector from Entra with the client-credentials grant
(MSAL, through botbuilder). MSAL talks https only, so this server listens on 127.0.0.1 with a
self-signed certificate, written next to its key as `login-ca.pem`; a bot process pointed at it
(RESONANZ_LOGIN_URL) trusts it through REQUESTS_CA_BUNDLE, as MSAL fetches with requests.

It serves what MSAL reads: `/<tenant>/v2.0/.well-known/openid-configuration` and
`POST /<tenant>/oauth2/v2.0/token`, which hands out a token for the known client id and
password and counts what it issued.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import itertools
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from devtools.local_connector import free_port


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, written to `folder`; (certificate, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "login-ca.pem", folder / "login-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class LocalLogin:
    """The token endpoint for one app id and password."""

    folder: Path
    app_id: str
    password: str
    port: int = field(default_factory=free_port)
    issued: list[str] = field(default_factory=list)  # the tokens handed out, in order
    refused: int = 0
    stall: float = 0.0  # seconds the token endpoint waits before it answers (a slow host)
    asked: int = 0  # token requests received
    most_at_once: int = 0  # the most token requests in progress at the same time
    _in_progress: int = 0
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        """What RESONANZ_LOGIN_URL names: the authority without its tenant."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def certificate(self) -> Path:
        """The certificate to trust (REQUESTS_CA_BUNDLE)."""
        return self.folder / "login-ca.pem"

    async def start(self) -> None:
        cert_path, key_path = self_signed(self.folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_path, key_path)
        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._metadata)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, ssl_context=context).start()

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _metadata(self, request: web.Request) -> web.Response:
        base = f"{self.url}/{request.match_info['tenant']}"
        return web.json_response({
            "issuer": f"{base}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
        })

    async def _token(self, request: web.Request) -> web.Response:
        self.asked += 1
        self._in_progress += 1
        self.most_at_once = max(self.most_at_once, self._in_progress)
        try:
            if self.stall:
                with contextlib.suppress(TimeoutError):  # a stop ends the wait
                    await asyncio.wait_for(self._stopping.wait(), self.stall)
            return await self._answer(request)
        finally:
            self._in_progress -= 1

    async def _answer(self, request: web.Request) -> web.Response:
        form = await request.post()
        if (form.get("grant_type") != "client_credentials" or form.get("client_id") != self.app_id
                or form.get("client_secret") != self.password):
            self.refused += 1
            return web.json_response({"error": "invalid_client",
                                      "error_description": "unknown client"}, status=401)
        token = f"local-token-{next(self._serial)}"
        self.issued.append(token)
        return web.json_response({"token_type": "Bearer", "expires_in": 3600,
                                  "access_token": token, "scope": form.get("scope", "")})
