"""Group commit: queued requests are written together, each answered after its own write."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.group_commit import GroupCommit, Pending
from facilitation.errors import DomainError


class Recorder:
    """A write that records its groups; requests named 'bad' fail alone, 'boom' breaks the
    whole write."""

    def __init__(self, delay: float = 0.0) -> None:
        self.groups: list[list[str]] = []
        self.delay = delay

    async def write(self, group: list[Pending[str, str]]) -> None:
        names = [p.request for p in group]
        if "boom" in names and len(names) > 1:
            raise RuntimeError("the transaction failed")
        if names == ["boom"]:
            raise RuntimeError("cannot be stored")
        await asyncio.sleep(self.delay)
        self.groups.append(names)
        for pending in group:
            if pending.request == "bad":
                pending.fail(DomainError("ballot.nothing_chosen"))
            else:
                pending.resolve(pending.request.upper())


async def test_a_lone_request_is_written_at_once_without_waiting():
    recorder = Recorder()
    commit = GroupCommit(recorder.write, gather_seconds=10)
    assert await asyncio.wait_for(commit.submit("a"), timeout=1) == "A"
    assert recorder.groups == [["a"]]


async def test_requests_arriving_during_a_write_share_the_next_one_in_order():
    recorder = Recorder(delay=0.05)
    commit = GroupCommit(recorder.write, gather_seconds=0.001)
    first = asyncio.create_task(commit.submit("a"))
    await asyncio.sleep(0.01)  # the first write is under way
    rest = [asyncio.create_task(commit.submit(name)) for name in "bcdef"]
    assert await asyncio.gather(first, *rest) == ["A", "B", "C", "D", "E", "F"]
    assert recorder.groups == [["a"], ["b", "c", "d", "e", "f"]]


async def test_groups_are_bounded():
    recorder = Recorder(delay=0.02)
    commit = GroupCommit(recorder.write, max_group=3, gather_seconds=0)
    results = await asyncio.gather(*(commit.submit(str(n)) for n in range(8)))
    assert results == [str(n) for n in range(8)]
    assert all(len(group) <= 3 for group in recorder.groups)
    assert [name for group in recorder.groups for name in group] == [str(n) for n in range(8)]


async def test_a_domain_error_reaches_only_its_own_caller():
    recorder = Recorder()
    commit = GroupCommit(recorder.write, gather_seconds=0)
    results = await asyncio.gather(commit.submit("a"), commit.submit("bad"), commit.submit("c"),
                                   return_exceptions=True)
    assert results[0] == "A" and results[2] == "C"
    assert isinstance(results[1], DomainError)


async def test_a_failed_group_is_written_one_by_one_so_only_the_broken_request_fails():
    recorder = Recorder()
    commit = GroupCommit(recorder.write, gather_seconds=0)
    results = await asyncio.gather(commit.submit("a"), commit.submit("boom"),
                                   commit.submit("c"), return_exceptions=True)
    assert results[0] == "A" and results[2] == "C"
    assert isinstance(results[1], RuntimeError)
    # and the writer keeps serving afterwards
    assert await commit.submit("d") == "D"


async def test_a_caller_that_gives_up_does_not_stop_the_others():
    recorder = Recorder(delay=0.05)
    commit = GroupCommit(recorder.write, gather_seconds=0)
    impatient = asyncio.create_task(commit.submit("a"))
    patient = asyncio.create_task(commit.submit("b"))
    await asyncio.sleep(0.01)
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    assert await patient == "B"


async def test_a_group_the_store_refuses_as_a_whole_is_answered_at_once_not_retried():
    attempts: list[list[str]] = []

    async def refuse(group: list[Pending[str, str]]) -> None:
        attempts.append([p.request for p in group])
        raise DomainError("storage.busy")

    commit = GroupCommit(refuse, gather_seconds=0)
    results = await asyncio.gather(*(commit.submit(name) for name in "abc"),
                                   return_exceptions=True)
    assert all(isinstance(r, DomainError) and r.code == "storage.busy" for r in results)
    assert len(attempts) <= 2  # the first request alone, then the others together
