"""The breakout storage contract (storage.breakout_repository), run on SQLite and on a real
PostgreSQL server."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from facilitation.breakout_rounds import (
    BreakoutRound,
    Report,
    RoundStatus,
    Source,
    TimerEvent,
    cancel,
    extend,
    mark_told,
    reconvene,
    start,
)
from storage.breakout_repository import (
    AlreadyReported,
    PastPlacement,
    RoundMember,
    StoredRound,
)
from storage.repositories import Chat, Storage
from storage.tables import BreakoutReportRow, PresenceRow
from tests.storage.waiting import wait_until_blocked

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
CHAT = "19:breakout@thread.v2"
OTHER_CHAT = "19:other@thread.v2"
MEETING = "MCMbreakout"



def _round(round_id: str = "r1", *, status: RoundStatus = RoundStatus.DRAFT,
           created_at: datetime = NOW, **changes: object) -> BreakoutRound:
    values: dict[str, object] = dict(id=round_id, status=status, source=Source.ROSTER, groups=2,
                                     created_at=created_at)
    values.update(changes)
    return BreakoutRound(**values)  # type: ignore[arg-type]


PEOPLE = [RoundMember("29:b", "Bert"), RoundMember("29:a", "Anna", "aad-a"),
          RoundMember("29:c", "Carla", None, excluded=True)]


async def _add(storage: Storage, round_: BreakoutRound | None = None, *, chat: str = CHAT,
               members: list[RoundMember] | None = None, **stored: object) -> StoredRound:
    round_ = round_ or _round()
    item = StoredRound(round_, chat, creator_key="c" * 64, **stored)  # type: ignore[arg-type]
    async with storage.unit_of_work() as uow:
        await uow.chats.remember(Chat(chat, "http://127.0.0.1:9/", "tenant", "28:bot", MEETING))
        await uow.breakouts.add_round(item, list(PEOPLE if members is None else members))
        await uow.commit()
    return item


# ---------------------------------------------------------------------------- rounds


async def test_a_round_comes_back_with_all_its_fields_and_aware_utc_times(storage):
    round_ = BreakoutRound(
        id="r1", status=RoundStatus.RUNNING, source=Source.OPT_IN, groups=4,
        created_at=NOW, size=3, duration_minutes=15,
        topics=("Büdget 2027 – Ziele", "Hiring", "日本語"),
        apart=(frozenset({"29:a", "29:b"}), frozenset({"29:c", "29:d", "29:e"})),
        together=(frozenset({"29:x", "29:y"}),),
        started_at=NOW + timedelta(minutes=1), ends_at=NOW + timedelta(minutes=16),
        reminded=True, time_up_sent=False)
    stored = await _add(storage, round_, locale="de", meeting_id=MEETING,
                        card_activity_id="msg-1")
    async with storage.unit_of_work() as uow:
        loaded = await uow.breakouts.get("r1")
    assert loaded == stored
    assert loaded.round == round_
    assert loaded.round.apart == round_.apart and loaded.round.together == round_.together
    for moment in (loaded.round.created_at, loaded.round.started_at, loaded.round.ends_at):
        assert moment is not None and moment.utcoffset() == timedelta(0)
    assert (loaded.conversation_id, loaded.creator_key, loaded.locale, loaded.meeting_id,
            loaded.card_activity_id) == (CHAT, "c" * 64, "de", MEETING, "msg-1")


async def test_a_minimal_draft_comes_back_with_its_defaults(storage):
    stored = await _add(storage, _round(), members=[])
    async with storage.unit_of_work() as uow:
        loaded = await uow.breakouts.get("r1")
        assert await uow.breakouts.get("nope") is None
        assert await uow.breakouts.members("r1") == []
    assert loaded == stored
    assert loaded.round.topics == () and loaded.round.apart == () and loaded.round.together == ()
    assert loaded.round.started_at is None and loaded.round.ends_at is None
    assert loaded.locale == "en" and loaded.meeting_id is None


async def test_times_given_in_another_zone_come_back_as_the_same_moment_in_utc(storage):
    berlin = timezone(timedelta(hours=1))
    local = datetime(2026, 11, 25, 10, 0, tzinfo=berlin)
    await _add(storage, _round(created_at=local))
    async with storage.unit_of_work() as uow:
        loaded = await uow.breakouts.get("r1")
    assert loaded.round.created_at == NOW
    assert loaded.round.created_at.utcoffset() == timedelta(0)


async def test_saving_persists_the_status_and_timer_fields(storage):
    stored = await _add(storage, _round(duration_minutes=10, topics=("A",)))
    started = start(stored.round, now=NOW)
    async with storage.unit_of_work() as uow:
        await uow.breakouts.save(started)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert (await uow.breakouts.get("r1")).round == started
    told = mark_told(mark_told(started, TimerEvent.REMINDER), TimerEvent.TIME_UP)
    extended = extend(told, now=NOW + timedelta(minutes=12))
    async with storage.unit_of_work() as uow:
        await uow.breakouts.save(told)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        loaded = (await uow.breakouts.get("r1")).round
        assert loaded == told and loaded.reminded and loaded.time_up_sent
        await uow.breakouts.save(extended)
        # the same unit of work sees its own change
        assert (await uow.breakouts.get("r1")).round == extended
        await uow.commit()
    async with storage.unit_of_work() as uow:
        loaded = (await uow.breakouts.get("r1")).round
    assert loaded == extended
    assert loaded.ends_at == NOW + timedelta(minutes=17)
    assert not loaded.reminded and not loaded.time_up_sent


async def test_saving_persists_changed_topics_and_sets(storage):
    stored = await _add(storage)
    changed = replace(stored.round, topics=("X", "Y"), groups=5, size=None,
                      apart=(frozenset({"29:a", "29:b"}),), together=(frozenset({"29:c"}),),
                      source=Source.PRESENT, duration_minutes=None)
    async with storage.unit_of_work() as uow:
        await uow.breakouts.save(changed)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert (await uow.breakouts.get("r1")).round == changed


async def test_the_card_message_id_is_remembered(storage):
    await _add(storage)
    async with storage.unit_of_work() as uow:
        await uow.breakouts.set_card("r1", "msg-42")
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert (await uow.breakouts.get("r1")).card_activity_id == "msg-42"


async def test_only_running_rounds_are_listed_as_running_oldest_first(storage):
    await _add(storage, _round("draft"))
    await _add(storage, _round("late", status=RoundStatus.RUNNING,
                               created_at=NOW + timedelta(minutes=5)))
    await _add(storage, _round("early", status=RoundStatus.RUNNING), chat=OTHER_CHAT)
    await _add(storage, _round("back", status=RoundStatus.RECONVENED))
    await _add(storage, _round("gone", status=RoundStatus.CANCELLED))
    async with storage.unit_of_work() as uow:
        assert [s.round.id for s in await uow.breakouts.running()] == ["early", "late"]
        await uow.breakouts.save(reconvene((await uow.breakouts.get("late")).round))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert [s.round.id for s in await uow.breakouts.running()] == ["early"]


async def test_rounds_of_a_conversation_are_listed_oldest_first(storage):
    await _add(storage, _round("second", created_at=NOW + timedelta(minutes=1)))
    await _add(storage, _round("first"))
    await _add(storage, _round("elsewhere"), chat=OTHER_CHAT)
    async with storage.unit_of_work() as uow:
        assert [s.round.id for s in await uow.breakouts.in_conversation(CHAT)] == [
            "first", "second"]
        assert await uow.breakouts.in_conversation("19:nobody") == []


async def test_an_uncommitted_round_leaves_nothing_behind(storage):
    async with storage.unit_of_work() as uow:
        await uow.chats.remember(Chat(CHAT, "http://127.0.0.1:9/"))
        await uow.breakouts.add_round(StoredRound(_round(), CHAT, "k"), PEOPLE)
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.get("r1") is None
        assert await uow.breakouts.members("r1") == []


async def test_a_round_needs_its_chat_to_exist(storage):
    async with storage.unit_of_work() as uow:
        with pytest.raises(IntegrityError):
            await uow.breakouts.add_round(StoredRound(_round(), "19:unknown", "k"), [])


# ---------------------------------------------------------------------------- members


async def test_members_come_back_sorted_by_name_then_id(storage):
    members = [RoundMember("29:z", "Anna"), RoundMember("29:b", "Bert"),
               RoundMember("29:a", "Anna", "aad-1"), RoundMember("29:m", "Carla", excluded=True)]
    await _add(storage, members=members)
    async with storage.unit_of_work() as uow:
        loaded = await uow.breakouts.members("r1")
    assert loaded == [RoundMember("29:a", "Anna", "aad-1"), RoundMember("29:z", "Anna"),
                      RoundMember("29:b", "Bert"), RoundMember("29:m", "Carla", excluded=True)]


async def test_members_are_kept_per_round(storage):
    await _add(storage, _round("r1"))
    await _add(storage, _round("r2"), members=[RoundMember("29:q", "Quinn")])
    async with storage.unit_of_work() as uow:
        assert [m.id for m in await uow.breakouts.members("r1")] == ["29:a", "29:b", "29:c"]
        assert await uow.breakouts.members("r2") == [RoundMember("29:q", "Quinn")]


async def test_joining_adds_a_new_person(storage):
    await _add(storage)
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.join("r1", RoundMember("29:d", "Dora", "aad-d")) is True
        await uow.commit()
    async with storage.unit_of_work() as uow:
        members = await uow.breakouts.members("r1")
    assert RoundMember("29:d", "Dora", "aad-d") in members
    assert len(members) == 4


async def test_joining_again_includes_an_excluded_person_and_adds_no_one(storage):
    await _add(storage)
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.join("r1", RoundMember("29:c", "Carla")) is False
        assert await uow.breakouts.join("r1", RoundMember("29:a", "Anna")) is False
        await uow.commit()
    async with storage.unit_of_work() as uow:
        members = await uow.breakouts.members("r1")
    assert [(m.id, m.excluded) for m in members] == [
        ("29:a", False), ("29:b", False), ("29:c", False)]
    assert members[0].aad_object_id == "aad-a"


async def test_the_same_person_joining_in_one_unit_of_work_twice_is_added_once(storage):
    await _add(storage, members=[])
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.join("r1", RoundMember("29:d", "Dora")) is True
        assert await uow.breakouts.join("r1", RoundMember("29:d", "Dora")) is False
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.members("r1") == [RoundMember("29:d", "Dora")]


async def test_of_two_overlapping_joins_of_the_same_person_only_the_first_is_new(storage):
    await _add(storage, members=[])
    dora = RoundMember("29:d", "Dora")
    async with storage.unit_of_work() as first:
        assert await first.breakouts.join("r1", dora) is True

        async def second_join() -> bool:
            async with storage.unit_of_work() as second:
                joined = await second.breakouts.join("r1", dora)
                await second.commit()
                return joined

        second = asyncio.create_task(second_join())
        await wait_until_blocked(storage, first, second)
        await first.commit()
    assert await second is False
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.members("r1") == [dora]


async def test_concurrent_joins_of_the_same_person_add_one_member(storage):
    await _add(storage, members=[])

    async def join() -> bool:
        async with storage.unit_of_work() as uow:
            joined = await uow.breakouts.join("r1", RoundMember("29:d", "Dora"))
            await uow.commit()
            return joined

    outcomes = await asyncio.gather(*(join() for _ in range(5)))
    assert True in outcomes
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.members("r1") == [RoundMember("29:d", "Dora")]


async def test_setting_the_excluded_people_replaces_the_excluded_set(storage):
    await _add(storage)
    async with storage.unit_of_work() as uow:
        await uow.breakouts.set_excluded("r1", {"29:a", "29:b", "29:unknown"})
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert {m.id for m in await uow.breakouts.members("r1") if m.excluded} == {
            "29:a", "29:b"}
        await uow.breakouts.set_excluded("r1", set())
        await uow.commit()
    async with storage.unit_of_work() as uow:
        members = await uow.breakouts.members("r1")
    assert not any(m.excluded for m in members)
    assert len(members) == 3


async def test_assigning_stores_each_members_group_and_role(storage):
    await _add(storage)
    async with storage.unit_of_work() as uow:
        await uow.breakouts.assign("r1", {"29:a": (1, "facilitator"), "29:b": (2, None),
                                          "29:c": (1, "presenter")})
        await uow.commit()
    async with storage.unit_of_work() as uow:
        members = await uow.breakouts.members("r1")
    assert [(m.id, m.group, m.role) for m in members] == [
        ("29:a", 1, "facilitator"), ("29:b", 2, None), ("29:c", 1, "presenter")]
    assert members[2].excluded  # assigning does not touch who is excluded


async def test_earlier_placements_come_only_from_other_published_rounds_of_the_chat(storage):
    rounds = [("draft", RoundStatus.DRAFT, CHAT), ("running", RoundStatus.RUNNING, CHAT),
              ("back", RoundStatus.RECONVENED, CHAT), ("gone", RoundStatus.CANCELLED, CHAT),
              ("current", RoundStatus.RUNNING, CHAT),
              ("other", RoundStatus.RUNNING, OTHER_CHAT)]
    for round_id, status, chat in rounds:
        await _add(storage, _round(round_id, status=status), chat=chat)
        async with storage.unit_of_work() as uow:
            await uow.breakouts.assign(round_id, {"29:a": (1, "facilitator"),
                                                  "29:b": (2, None)})
            await uow.commit()
    async with storage.unit_of_work() as uow:
        placements = await uow.breakouts.earlier_placements(CHAT, before="current")
        others = await uow.breakouts.earlier_placements(OTHER_CHAT, before="current")
        none_left = await uow.breakouts.earlier_placements(OTHER_CHAT, before="other")
    assert placements == [
        PastPlacement("back", "29:a", 1, "facilitator"), PastPlacement("back", "29:b", 2, None),
        PastPlacement("running", "29:a", 1, "facilitator"),
        PastPlacement("running", "29:b", 2, None)]
    assert [p.round_id for p in others] == ["other", "other"]
    assert none_left == []


async def test_a_published_round_becomes_an_earlier_placement_once_started(storage):
    draft = await _add(storage, _round("first", duration_minutes=5))
    await _add(storage, _round("second"))
    async with storage.unit_of_work() as uow:
        await uow.breakouts.assign("first", {"29:a": (3, None)})
        await uow.commit()
        assert await uow.breakouts.earlier_placements(CHAT, before="second") == []
        await uow.breakouts.save(start(draft.round, now=NOW))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.earlier_placements(CHAT, before="second") == [
            PastPlacement("first", "29:a", 3, None)]  # unplaced members are left out


async def test_a_cancelled_draft_gives_no_earlier_placements(storage):
    draft = await _add(storage, _round("first"))
    await _add(storage, _round("second"))
    async with storage.unit_of_work() as uow:
        await uow.breakouts.assign("first", {"29:a": (1, None)})
        await uow.breakouts.save(cancel(draft.round))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.earlier_placements(CHAT, before="second") == []


# ---------------------------------------------------------------------------- reports


async def test_a_report_stores_its_points_and_note_and_reports_come_ordered_by_group(storage):
    await _add(storage, _round(status=RoundStatus.RUNNING))
    third = Report(3, ("Mehr Pausen", "Kaffee ☕"), "Notiz mit Ümlaut")
    first = Report(1, (), "Only a note")
    async with storage.unit_of_work() as uow:
        await uow.breakouts.add_report("r1", third, now=NOW)
        await uow.breakouts.add_report("r1", first, now=NOW + timedelta(minutes=1))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.reports("r1") == [first, third]
        assert await uow.breakouts.reports("nope") == []


async def test_a_second_report_for_the_same_group_is_refused(storage):
    await _add(storage, _round(status=RoundStatus.RUNNING))
    async with storage.unit_of_work() as uow:
        await uow.breakouts.add_report("r1", Report(2, ("First",)), now=NOW)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        with pytest.raises(AlreadyReported):
            await uow.breakouts.add_report("r1", Report(2, ("Second",)), now=NOW)
    async with storage.unit_of_work() as uow:
        with pytest.raises(AlreadyReported):  # also within one unit of work
            await uow.breakouts.add_report("r1", Report(4, ("a",)), now=NOW)
            await uow.breakouts.add_report("r1", Report(4, ("b",)), now=NOW)
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.reports("r1") == [Report(2, ("First",))]


async def test_the_same_group_number_may_report_in_different_rounds(storage):
    await _add(storage, _round("r1", status=RoundStatus.RUNNING))
    await _add(storage, _round("r2", status=RoundStatus.RUNNING))
    async with storage.unit_of_work() as uow:
        await uow.breakouts.add_report("r1", Report(1, ("one",)), now=NOW)
        await uow.breakouts.add_report("r2", Report(1, ("two",)), now=NOW)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.reports("r1") == [Report(1, ("one",))]
        assert await uow.breakouts.reports("r2") == [Report(1, ("two",))]


async def test_concurrent_reports_for_the_same_group_store_exactly_one(storage):
    await _add(storage, _round(status=RoundStatus.RUNNING))

    async def submit(index: int) -> str:
        async with storage.unit_of_work() as uow:
            try:
                await uow.breakouts.add_report("r1", Report(1, (f"from {index}",)), now=NOW)
                await uow.commit()
            except AlreadyReported:
                return "refused"
            except IntegrityError:
                return "conflict"
        return "stored"

    outcomes = await asyncio.gather(*(submit(i) for i in range(5)))  # anything else fails here
    assert sorted(outcomes).count("stored") == 1, outcomes
    async with storage.unit_of_work() as uow:
        rows = (await uow.session.execute(
            select(func.count()).select_from(BreakoutReportRow))).scalar_one()
        stored = await uow.breakouts.reports("r1")
    assert rows == 1
    assert len(stored) == 1 and stored[0].points[0].startswith("from ")


async def test_a_report_overlapping_an_uncommitted_one_for_the_same_group_is_refused(storage):
    await _add(storage, _round(status=RoundStatus.RUNNING))
    async with storage.unit_of_work() as first:
        await first.breakouts.add_report("r1", Report(1, ("first",)), now=NOW)

        async def second_report() -> None:
            async with storage.unit_of_work() as second:
                await second.breakouts.add_report("r1", Report(1, ("second",)), now=NOW)
                await second.commit()

        second = asyncio.create_task(second_report())
        await wait_until_blocked(storage, first, second)
        await first.commit()
    with pytest.raises(AlreadyReported):
        await second
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.reports("r1") == [Report(1, ("first",))]


# ---------------------------------------------------------------------------- presence

OTHER_CHAT = "19:other@thread.v2"


async def _chats(storage: Storage, *conversations: str) -> None:
    async with storage.unit_of_work() as uow:
        for conversation in conversations:
            await uow.chats.remember(Chat(conversation, "http://127.0.0.1:9/", "tenant",
                                          "28:bot", MEETING))
        await uow.commit()


async def test_presence_is_unknown_for_a_meeting_without_any_event(storage):
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.present(CHAT, MEETING) is None
        assert await uow.meetings.attendees_now(CHAT, MEETING) is None


async def test_only_present_people_are_listed_sorted_by_name(storage):
    await _chats(storage, CHAT)
    async with storage.unit_of_work() as uow:
        await uow.breakouts.set_presence(CHAT, MEETING, RoundMember("29:z", "Zoe"), True)
        await uow.breakouts.set_presence(CHAT, MEETING, RoundMember("29:b", "Bert", "aad-b"),
                                         True)
        await uow.breakouts.set_presence(CHAT, MEETING, RoundMember("29:l", "Lena"), False)
        await uow.breakouts.set_presence(CHAT, MEETING, RoundMember("29:a", "Anna"), True)
        await uow.breakouts.set_presence(CHAT, "MCMother", RoundMember("29:o", "Otto"), True)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.present(CHAT, MEETING) == [
            RoundMember("29:a", "Anna"), RoundMember("29:b", "Bert", "aad-b"),
            RoundMember("29:z", "Zoe")]


async def test_setting_presence_again_updates_the_person(storage):
    await _chats(storage, CHAT)
    async with storage.unit_of_work() as uow:
        await uow.breakouts.set_presence(CHAT, MEETING, RoundMember("29:a", "Anna"), True)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        await uow.breakouts.set_presence(CHAT, MEETING, RoundMember("29:a", "Anna"), False)
        await uow.breakouts.set_presence(CHAT, MEETING, RoundMember("29:b", "Bert"), True)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.present(CHAT, MEETING) == [RoundMember("29:b", "Bert")]
        await uow.breakouts.set_presence(CHAT, MEETING, RoundMember("29:a", "Anna K.", "aad-a"),
                                         True)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.present(CHAT, MEETING) == [
            RoundMember("29:a", "Anna K.", "aad-a"), RoundMember("29:b", "Bert")]
        rows = (await uow.session.execute(
            select(func.count()).select_from(PresenceRow))).scalar_one()
    assert rows == 2  # an upsert, not a second row


async def test_presence_is_an_empty_list_when_everyone_left(storage):
    await _chats(storage, CHAT)
    async with storage.unit_of_work() as uow:
        for member in (RoundMember("29:a", "Anna"), RoundMember("29:b", "Bert")):
            await uow.breakouts.set_presence(CHAT, MEETING, member, True)
            await uow.breakouts.set_presence(CHAT, MEETING, member, False)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.present(CHAT, MEETING) == []


async def test_presence_is_kept_per_chat_even_under_the_same_meeting_id(storage):
    """Events from another chat that name this chat's meeting id make a list of their own:
    this chat's list, its count of people present and its deletion are its own."""
    await _chats(storage, CHAT, OTHER_CHAT)
    async with storage.unit_of_work() as uow:
        await uow.breakouts.set_presence(CHAT, MEETING, RoundMember("29:a", "Anna"), True)
        await uow.breakouts.set_presence(CHAT, MEETING, RoundMember("29:b", "Bert"), True)
        await uow.breakouts.set_presence(OTHER_CHAT, MEETING, RoundMember("29:m", "Mallory"),
                                         True)
        await uow.breakouts.set_presence(OTHER_CHAT, MEETING, RoundMember("29:a", "Anna"), False)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.present(CHAT, MEETING) == [
            RoundMember("29:a", "Anna"), RoundMember("29:b", "Bert")]
        assert await uow.breakouts.present(OTHER_CHAT, MEETING) == [
            RoundMember("29:m", "Mallory")]
        assert await uow.meetings.attendees_now(CHAT, MEETING) == 2
        await uow.breakouts.forget_presence(OTHER_CHAT, MEETING)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.present(OTHER_CHAT, MEETING) is None
        assert await uow.breakouts.present(CHAT, MEETING) == [
            RoundMember("29:a", "Anna"), RoundMember("29:b", "Bert")]


async def test_presence_needs_its_chat(storage):
    async with storage.unit_of_work() as uow:
        with pytest.raises(IntegrityError):
            await uow.breakouts.set_presence("19:unknown@thread.v2", MEETING,
                                             RoundMember("29:a", "Anna"), True)


async def test_forgetting_presence_deletes_only_that_meetings_rows(storage):
    await _chats(storage, CHAT)
    async with storage.unit_of_work() as uow:
        await uow.breakouts.set_presence(CHAT, MEETING, RoundMember("29:a", "Anna"), True)
        await uow.breakouts.set_presence(CHAT, MEETING, RoundMember("29:b", "Bert"), False)
        await uow.breakouts.set_presence(CHAT, "MCMother", RoundMember("29:a", "Anna"), True)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        await uow.breakouts.forget_presence(CHAT, MEETING)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.breakouts.present(CHAT, MEETING) is None
        assert await uow.breakouts.present(CHAT, "MCMother") == [RoundMember("29:a", "Anna")]
        rows = (await uow.session.execute(
            select(PresenceRow.meeting_id, PresenceRow.member_id))).all()
    assert [tuple(row) for row in rows] == [("MCMother", "29:a")]
