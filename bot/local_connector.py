"""A local stand-in for the Bot Connector: records what the bot sends, answers like Teams.

Used by `resonanz demo` and by the tests. It serves the routes the bot calls on a Bot Connector
(`/v3/conversations/...` and `/v1/meetings/...`) on a loopback address, keeps every request, keeps
the current state of every message (after edits), and can be told to fail the next requests with
Teams' throttling and gateway errors.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class RecordedRequest:
    """One request the bot made: method, route kind, ids and JSON body."""

    method: str
    kind: str  # "send", "reply", "edit", "participant", "notification"
    conversation_id: str
    activity_id: str | None
    body: Any
    at: float
    status: int


@dataclass
class _Failure:
    status: int
    retry_after: str | None
    methods: frozenset[str] | None
    delay: float = 0.0


@dataclass
class LocalConnector:
    """A loopback Bot Connector. `await start()`, use `service_url`, then `await stop()`."""

    host: str = "127.0.0.1"
    port: int = 0
    requests: list[RecordedRequest] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    roles: dict[tuple[str, str], str] = field(default_factory=dict)
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    installed_for: set[str] | None = None  # people with the app installed; None = everyone
    _failures: deque[_Failure] = field(default_factory=deque)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    _changed: asyncio.Condition | None = None

    # ----------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_get("/v3/conversations/{cid}/pagedmembers", self._paged_members)
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._reply)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._edit)
        app.router.add_get("/v1/meetings/{mid}/participants/{aad}", self._participant)
        app.router.add_post("/v1/meetings/{mid}/notification", self._notification)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[union-attr]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._changed = asyncio.Condition()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalConnector:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def service_url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    # ----------------------------------------------------------------- scripting
    def fail_next(
        self,
        count: int,
        status: int,
        *,
        retry_after: str | None = None,
        methods: tuple[str, ...] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next `count` matching requests with `status` (after `delay` seconds)."""
        wanted = frozenset(m.upper() for m in methods) if methods else None
        for _ in range(count):
            self._failures.append(_Failure(status, retry_after, wanted, delay))

    def set_members(self, conversation_id: str, people: list[dict[str, Any]]) -> None:
        """Make the paged members API list these people (Teams' member objects) for a chat."""
        self.members[conversation_id] = people

    def set_role(self, meeting_id: str, aad_object_id: str, role: str) -> None:
        """Make the participant API answer `role` (Organizer, Presenter, Attendee) for them."""
        self.roles[(meeting_id, aad_object_id)] = role

    # ----------------------------------------------------------------- reading
    def sent(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        """Activities the bot posted successfully (new messages and replies), oldest first."""
        return [
            r.body
            for r in self.requests
            if r.kind in ("send", "reply") and r.status < 300
            and (conversation_id is None or r.conversation_id == conversation_id)
        ]

    def edits(self, activity_id: str | None = None) -> list[dict[str, Any]]:
        """Successful edits (PUT), oldest first, optionally of one message."""
        return [
            r.body
            for r in self.requests
            if r.kind == "edit" and r.status < 300
            and (activity_id is None or r.activity_id == activity_id)
        ]

    def message(self, activity_id: str) -> dict[str, Any]:
        """The current state of a message, after all edits."""
        return self.messages[activity_id]

    def id_of(self, activity: dict[str, Any]) -> str:
        """The message id the connector gave to a posted activity."""
        for request in self.requests:
            posted = request.kind in ("send", "reply") and request.body is activity
            if posted and request.activity_id:
                return request.activity_id
        raise KeyError("activity was not posted")

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> None:
        """Wait until `predicate(self)` is true, re-checking after every request."""
        assert self._changed is not None
        deadline = time.monotonic() + timeout
        async with self._changed:
            while not predicate(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError("the connector did not see the expected requests")
                try:
                    await asyncio.wait_for(self._changed.wait(), remaining)
                except TimeoutError:
                    pass

    # ----------------------------------------------------------------- routes
    async def _failure_for(self, method: str) -> web.Response | None:
        if not self._failures:
            return None
        failure = self._failures[0]
        if failure.methods is not None and method not in failure.methods:
            return None
        self._failures.popleft()
        if failure.delay:
            await asyncio.sleep(failure.delay)
        headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
        error = {"error": {"code": "Throttled" if failure.status == 429 else "Error",
                           "message": f"scripted failure {failure.status}"}}
        return web.json_response(error, status=failure.status, headers=headers)

    async def _record(self, request: web.Request, kind: str, status: int, body: Any,
                      activity_id: str | None = None) -> None:
        self.requests.append(RecordedRequest(
            method=request.method, kind=kind,
            conversation_id=request.match_info.get("cid", request.match_info.get("mid", "")),
            activity_id=activity_id, body=body, at=time.monotonic(), status=status))
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()

    async def _body(self, request: web.Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            return None

    async def _send(self, request: web.Request) -> web.Response:
        return await self._post(request, "send")

    async def _reply(self, request: web.Request) -> web.Response:
        return await self._post(request, "reply")

    async def _post(self, request: web.Request, kind: str) -> web.Response:
        body = await self._body(request)
        failed = await self._failure_for("POST")
        if failed is not None:
            await self._record(request, kind, failed.status, body)
            return failed
        message_id = f"msg-{next(self._ids)}"
        self.messages[message_id] = body
        await self._record(request, kind, 201, body, message_id)
        return web.json_response({"id": message_id}, status=201)

    async def _edit(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        activity_id = request.match_info["aid"]
        failed = await self._failure_for("PUT")
        if failed is not None:
            await self._record(request, "edit", failed.status, body, activity_id)
            return failed
        if activity_id not in self.messages:
            await self._record(request, "edit", 404, body, activity_id)
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        self.messages[activity_id] = body
        await self._record(request, "edit", 200, body, activity_id)
        return web.json_response({"id": activity_id})

    async def _create_conversation(self, request: web.Request) -> web.Response:
        body = await self._body(request) or {}
        failed = await self._failure_for("POST")
        if failed is not None:
            await self._record(request, "create", failed.status, body)
            return failed
        members = [m.get("id") for m in body.get("members", []) if isinstance(m, dict)]
        if len(members) != 1 or (self.installed_for is not None
                                 and members[0] not in self.installed_for):
            await self._record(request, "create", 403, body)
            return web.json_response({"error": {"code": "Forbidden",
                                                "message": "app not installed"}}, status=403)
        conversation_id = f"a:personal-{members[0]}"
        await self._record(request, "create", 201, body, conversation_id)
        return web.json_response({"id": conversation_id}, status=201)

    async def _paged_members(self, request: web.Request) -> web.Response:
        conversation_id = request.match_info["cid"]
        failed = await self._failure_for("GET")
        if failed is not None:
            await self._record(request, "members", failed.status, None)
            return failed
        people = self.members.get(conversation_id, [])
        size = max(1, min(500, int(request.query.get("pageSize", "100") or 100)))
        start = int(request.query.get("continuationToken", "0") or 0)
        page = people[start:start + size]
        answer: dict[str, Any] = {"members": page}
        if start + size < len(people):
            answer["continuationToken"] = str(start + size)
        await self._record(request, "members", 200, None)
        return web.json_response(answer)

    def private_messages(self) -> list[dict[str, Any]]:
        """Activities posted into 1:1 chats the bot opened, oldest first."""
        return [r.body for r in self.requests if r.kind in ("send", "reply") and r.status < 300
                and r.conversation_id.startswith("a:personal-")]

    async def _participant(self, request: web.Request) -> web.Response:
        meeting_id, aad = request.match_info["mid"], request.match_info["aad"]
        failed = await self._failure_for("GET")
        if failed is not None:
            await self._record(request, "participant", failed.status, None)
            return failed
        role = self.roles.get((meeting_id, aad))
        if role is None or not request.query.get("tenantId"):
            await self._record(request, "participant", 404, None)
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        await self._record(request, "participant", 200, None)
        return web.json_response({
            "user": {"id": "29:participant", "aadObjectId": aad},
            "meeting": {"role": role, "inMeeting": True},
            "conversation": {"id": "meeting-chat"},
        })

    async def _notification(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        failed = await self._failure_for("POST")
        if failed is not None:
            await self._record(request, "notification", failed.status, body)
            return failed
        await self._record(request, "notification", 202, body)
        return web.Response(status=202)
