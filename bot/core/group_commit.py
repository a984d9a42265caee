"""Group commit: requests that arrive while one write is under way go into the next write.

In a town hall a thousand people vote or upvote within seconds. Written one transaction per
click, the database round trips dominate; written as a group, one transaction carries every
click that came in meanwhile, so the cost per click falls as the load rises, and nothing waits
for a timer when it is quiet. A click is answered only after the transaction holding it has
committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from facilitation.errors import DomainError

logger = logging.getLogger(__name__)

MAX_GROUP = 500
GATHER_SECONDS = 0.005  # under load, how long a write waits for more requests to join it

Request = TypeVar("Request")
Result = TypeVar("Result")


@dataclass
class Pending(Generic[Request, Result]):
    """A queued request and the answer its caller awaits."""

    request: Request
    answer: asyncio.Future[Result]

    def resolve(self, result: Result) -> None:
        if not self.answer.done():
            self.answer.set_result(result)

    def fail(self, error: BaseException) -> None:
        if not self.answer.done():
            self.answer.set_exception(error)


Write = Callable[[list[Pending[Request, Result]]], Awaitable[None]]


class GroupCommit(Generic[Request, Result]):
    """Hands queued requests to `write` in groups, one write at a time. `write` stores a group
    in one transaction and then resolves each request, or fails those meant to fail (a
    DomainError for that person). If it raises a DomainError, every request of the group gets
    it; if it raises anything else, each request is written alone, so only the ones that
    really cannot be stored get the error."""

    def __init__(self, write: Write[Request, Result], *, max_group: int = MAX_GROUP,
                 gather_seconds: float = GATHER_SECONDS) -> None:
        self._write = write
        self._max_group = max_group
        self._gather = gather_seconds
        self._queue: list[Pending[Request, Result]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, request: Request) -> Result:
        answer: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        pending = Pending(request, answer)
        self._queue.append(pending)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        return await pending.answer

    async def _drain(self) -> None:
        while self._queue:
            if len(self._queue) > 1:
                # Requests are coming in together: let the ones on their way join this write.
                await asyncio.sleep(self._gather)
            group, self._queue = self._queue[:self._max_group], self._queue[self._max_group:]
            try:
                await self._write(group)
            except DomainError as error:
                # The store refused the whole group (say, the database stayed locked): every
                # request gets that answer now; writing them one by one would only wait again.
                for pending in group:
                    pending.fail(error)
            except Exception:
                logger.warning("writing %d requests together failed; writing them one by one",
                               len(group), exc_info=True)
                await self._write_alone(group)

    async def _write_alone(self, group: list[Pending[Request, Result]]) -> None:
        for pending in group:
            if pending.answer.done():
                continue
            try:
                await self._write([pending])
            except Exception as error:
                pending.fail(error)
