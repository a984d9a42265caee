"""What an id given to `export` and `purge --meeting` names (bot.core.meeting_ids), on SQLite
and a real PostgreSQL server: a group chat that held two Teams meetings loses only the one
named, and export and purge agree on what that is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.meeting_ids import scope_of
from bot.housekeeping.retention import delete_meeting
from bot.summaries.export import export_meeting
from facilitation.policy import Policy
from facilitation.polls import PollDraft, open_poll
from storage.meeting_repository import Meeting
from storage.repositories import Chat, Storage, StoredPoll

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
GROUP = "19:group@thread.v2"
MEETING_CHAT = "19:meeting_T3@thread.v2"


async def _poll(storage: Storage, poll_id: str, chat: str, at: datetime) -> None:
    async with storage.unit_of_work() as uow:
        await uow.polls.add(StoredPoll(open_poll(PollDraft(f"{poll_id}?", ("A", "B")),
                                                 poll_id=poll_id, now=at), chat, "c" * 64))
        await uow.commit()


async def _two_meetings_in_a_group_chat_and_a_meeting_chat(storage: Storage) -> None:
    day = timedelta(days=1)
    async with storage.unit_of_work() as uow:
        await uow.chats.remember(Chat(GROUP, "http://127.0.0.1:9/", "tenant", "28:bot", "T2"))
        await uow.chats.remember(Chat(MEETING_CHAT, "http://127.0.0.1:9/", "tenant", "28:bot",
                                      "T3"))
        await uow.meetings.add(Meeting("M1", GROUP, NOW, "T1", ended_at=NOW + timedelta(hours=1)))
        await uow.meetings.add(Meeting("M2", GROUP, NOW + day, "T2",
                                       ended_at=NOW + day + timedelta(hours=1)))
        await uow.meetings.add(Meeting("M3", MEETING_CHAT, NOW, "T3",
                                       ended_at=NOW + timedelta(hours=1)))
        await uow.commit()
    await _poll(storage, "p1", GROUP, NOW + timedelta(minutes=5))
    await _poll(storage, "p2", GROUP, NOW + day + timedelta(minutes=5))
    await _poll(storage, "between", GROUP, NOW + timedelta(hours=5))
    await _poll(storage, "p3", MEETING_CHAT, NOW + timedelta(minutes=5))
    await _poll(storage, "after3", MEETING_CHAT, NOW + timedelta(hours=5))


async def test_a_teams_meeting_id_names_its_occurrences_in_a_group_chat_and_its_meeting_chat(
        storage: Storage):
    await _two_meetings_in_a_group_chat_and_a_meeting_chat(storage)
    async with storage.unit_of_work() as uow:
        # The group chat's row carries its latest meeting's id (T2): not enough to be its whole.
        assert await scope_of(uow, "T1") == await scope_of(uow, "M1")
        t2 = await scope_of(uow, "T2")
        t3 = await scope_of(uow, "T3")
        chat = await scope_of(uow, GROUP)
    assert ([m.id for m in t2.meetings], t2.whole) == (["M2"], ())
    assert ([m.id for m in t3.meetings], t3.whole) == (["M3"], (MEETING_CHAT,))
    assert ([m.id for m in chat.meetings], chat.whole) == (["M1", "M2"], (GROUP,))


async def test_purging_one_teams_meeting_of_a_group_chat_keeps_the_other(storage: Storage):
    await _two_meetings_in_a_group_chat_and_a_meeting_chat(storage)
    later = NOW + timedelta(days=3)
    exported = await export_meeting(storage, "T1", policy=Policy(), now=later)
    assert [p["question"] for o in exported["occurrences"] for p in o["polls"]] == ["p1?"]
    deleted = await delete_meeting(storage, "T1", now=later)
    assert (deleted.meetings, deleted.chat) == (1, False)
    async with storage.unit_of_work() as uow:
        assert await uow.meetings.get("M1") is None and await uow.polls.get("p1") is None
        assert await uow.meetings.get("M2") is not None
        assert {p for p in ("p2", "between") if await uow.polls.get(p)} == {"p2", "between"}


async def test_purging_the_teams_meeting_of_a_meeting_chat_takes_the_whole_chat(storage):
    await _two_meetings_in_a_group_chat_and_a_meeting_chat(storage)
    later = NOW + timedelta(days=3)
    exported = await export_meeting(storage, "T3", policy=Policy(), now=later)
    assert sorted(p["question"] for o in exported["occurrences"] for p in o["polls"]) == [
        "after3?", "p3?"]
    deleted = await delete_meeting(storage, "T3", now=later)
    assert (deleted.meetings, deleted.chat) == (1, True)
    async with storage.unit_of_work() as uow:
        assert await uow.polls.get("p3") is None and await uow.polls.get("after3") is None
        assert await uow.chats.get(MEETING_CHAT) is None
        assert await uow.polls.get("p1") is not None  # the group chat is untouched
