"""A local stand-in for the Bot Connector: records what the bot sends, answers like Teams.

Used by `make demo` and by the tests. It serves the routes the bot calls on a Bot Connector
(`/v3/conversations/...` and `/v1/meetings/...`) on a loopback address, keeps every request, keeps
the current state of every message (after edits), and can be told to misbehave like a real one
under stress: fail the next requests with any status (`fail_next`), fail every request for a while
(`storm` ... `calm`), act on requests but answer only after a delay (`answer_late`), or accept
requests and never answer them (`hang_next`). Each can be limited to some HTTP methods.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

NO_ANSWER = 0  # the status recorded for a request the connector never answered (`hang_next`)

# What a route does when it is not told to misbehave: (status, JSON answer, id to record).
Outcome = tuple[int, Any, str | None]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the bot made: method, route kind, ids and JSON body.

    A request is recorded when the connector acts on it or answers it, whichever comes first:
    `at` is that moment, `arrived` when the request came in (they differ for a failure
    answered after a delay)."""

    method: str
    kind: str  # "send", "reply", "edit", "create", "members", "participant", "notification"
    conversation_id: str
    activity_id: str | None
    body: Any
    at: float
    status: int  # NO_ANSWER if the connector never answered it
    arrived: float = 0.0
    authorization: str = ""  # the bot's Authorization header, as sent


@dataclass(frozen=True)
class _Script:
    """A scripted answer. With a `status`, the request fails with it after `delay` seconds.
    Without one, the request takes effect at once and is answered after `delay` seconds, or
    never (`hang`: accepted, not acted on, not answered)."""

    status: int | None
    retry_after: str | None
    methods: frozenset[str] | None
    delay: float = 0.0
    hang: bool = False

    def matches(self, method: str) -> bool:
        return self.methods is None or method in self.methods


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
    _failures: deque[_Script] = field(default_factory=deque)
    _storm: _Script | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    _changed: asyncio.Condition | None = None
    _stopping: asyncio.Event | None = None

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
        assert isinstance(server, asyncio.Server) and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        self._changed = asyncio.Condition()
        self._stopping = asyncio.Event()

    async def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.set()  # hung and late answers end now, so cleanup need not wait
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
        for _ in range(count):
            self._failures.append(_Script(status, retry_after, _methods(methods), delay))

    def answer_late(
        self, count: int, delay: float, *, methods: tuple[str, ...] | None = None
    ) -> None:
        """The next `count` matching requests take effect at once, but their answer comes only
        after `delay` seconds: a client with a shorter timeout sees no answer although it worked."""
        for _ in range(count):
            self._failures.append(_Script(None, None, _methods(methods), delay))

    def hang_next(self, count: int, *, methods: tuple[str, ...] | None = None) -> None:
        """Accept the next `count` matching requests and never act on or answer them (until
        `stop()`); they are recorded with status NO_ANSWER."""
        for _ in range(count):
            self._failures.append(_Script(None, None, _methods(methods), hang=True))

    def storm(
        self,
        status: int,
        *,
        retry_after: str | None = None,
        methods: tuple[str, ...] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Until `calm()`, answer every matching request with `status` (after `delay` seconds).
        Answers scripted with the other methods still come first."""
        self._storm = _Script(status, retry_after, _methods(methods), delay)

    def calm(self) -> None:
        """End the storm: requests are served normally again."""
        self._storm = None

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
            if r.kind in ("send", "reply") and _ok(r.status)
            and (conversation_id is None or r.conversation_id == conversation_id)
        ]

    def edits(self, activity_id: str | None = None) -> list[dict[str, Any]]:
        """Successful edits (PUT), oldest first, optionally of one message."""
        return [
            r.body
            for r in self.requests
            if r.kind == "edit" and _ok(r.status)
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

    def private_messages(self) -> list[dict[str, Any]]:
        """Activities posted into 1:1 chats the bot opened, oldest first."""
        return [r.body for r in self.requests if r.kind in ("send", "reply") and _ok(r.status)
                and r.conversation_id.startswith("a:personal-")]

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

    # ----------------------------------------------------------------- scripted answers
    def _scripted(self, method: str) -> _Script | None:
        if self._failures and self._failures[0].matches(method):
            return self._failures.popleft()
        if self._storm is not None and self._storm.matches(method):
            return self._storm
        return None

    async def _serve(self, request: web.Request, kind: str, body: Any,
                     act: Callable[[], Outcome], failed_id: str | None = None) -> web.Response:
        """Answer as scripted, else as `act` says. `failed_id` is recorded with failures."""
        arrived = time.monotonic()
        script = self._scripted(request.method)
        if script is not None and script.hang:
            await self._record(request, kind, NO_ANSWER, body, failed_id, arrived)
            await self._pause(None)
            return web.Response(status=503)  # only once the connector stops
        if script is not None and script.status is not None:
            await self._pause(script.delay)
            await self._record(request, kind, script.status, body, failed_id, arrived)
            headers = {"Retry-After": script.retry_after} if script.retry_after else {}
            error = {"error": {"code": "Throttled" if script.status == 429 else "Error",
                               "message": f"scripted failure {script.status}"}}
            return web.json_response(error, status=script.status, headers=headers)
        status, answer, recorded_id = act()
        await self._record(request, kind, status, body, recorded_id, arrived)
        if script is not None:
            await self._pause(script.delay)  # acted on already; only the answer is late
        if answer is None:
            return web.Response(status=status)
        return web.json_response(answer, status=status)

    async def _pause(self, seconds: float | None) -> None:
        """Sleep `seconds` (None: until the connector stops), or less if it stops first."""
        if seconds is not None and seconds <= 0:
            return
        assert self._stopping is not None
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            pass

    async def _record(self, request: web.Request, kind: str, status: int, body: Any,
                      activity_id: str | None, arrived: float) -> None:
        self.requests.append(RecordedRequest(
            method=request.method, kind=kind,
            conversation_id=request.match_info.get("cid", request.match_info.get("mid", "")),
            activity_id=activity_id, body=body, at=time.monotonic(), status=status,
            arrived=arrived, authorization=request.headers.get("Authorization", "")))
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()

    async def _body(self, request: web.Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            return None

    # ----------------------------------------------------------------- routes
    async def _send(self, request: web.Request) -> web.Response:
        return await self._post(request, "send")

    async def _reply(self, request: web.Request) -> web.Response:
        return await self._post(request, "reply")

    async def _post(self, request: web.Request, kind: str) -> web.Response:
        body = await self._body(request)

        def act() -> Outcome:
            message_id = f"msg-{next(self._ids)}"
            self.messages[message_id] = body
            return 201, {"id": message_id}, message_id

        return await self._serve(request, kind, body, act)

    async def _edit(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        activity_id = request.match_info["aid"]

        def act() -> Outcome:
            if activity_id not in self.messages:
                return 404, {"error": {"code": "NotFound"}}, activity_id
            self.messages[activity_id] = body
            return 200, {"id": activity_id}, activity_id

        return await self._serve(request, "edit", body, act, failed_id=activity_id)

    async def _create_conversation(self, request: web.Request) -> web.Response:
        body = await self._body(request) or {}

        def act() -> Outcome:
            members = [m.get("id") for m in body.get("members", []) if isinstance(m, dict)]
            if len(members) != 1 or (self.installed_for is not None
                                     and members[0] not in self.installed_for):
                return 403, {"error": {"code": "Forbidden", "message": "app not installed"}}, None
            conversation_id = f"a:personal-{members[0]}"
            return 201, {"id": conversation_id}, conversation_id

        return await self._serve(request, "create", body, act)

    async def _paged_members(self, request: web.Request) -> web.Response:
        def act() -> Outcome:
            people = self.members.get(request.match_info["cid"], [])
            size = max(1, min(500, int(request.query.get("pageSize", "100") or 100)))
            start = int(request.query.get("continuationToken", "0") or 0)
            answer: dict[str, Any] = {"members": people[start:start + size]}
            if start + size < len(people):
                answer["continuationToken"] = str(start + size)
            return 200, answer, None

        return await self._serve(request, "members", None, act)

    async def _participant(self, request: web.Request) -> web.Response:
        def act() -> Outcome:
            meeting_id, aad = request.match_info["mid"], request.match_info["aad"]
            role = self.roles.get((meeting_id, aad))
            if role is None or not request.query.get("tenantId"):
                return 404, {"error": {"code": "NotFound"}}, None
            return 200, {
                "user": {"id": "29:participant", "aadObjectId": aad},
                "meeting": {"role": role, "inMeeting": True},
                "conversation": {"id": "meeting-chat"},
            }, None

        return await self._serve(request, "participant", None, act)

    async def _notification(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        return await self._serve(request, "notification", body, lambda: (202, None, None))


def _methods(methods: tuple[str, ...] | None) -> frozenset[str] | None:
    return frozenset(m.upper() for m in methods) if methods else None


def _ok(status: int) -> bool:
    return 200 <= status < 300


def free_port() -> int:
    """A port on 127.0.0.1 that nobody listens on right now (for local servers started next)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
