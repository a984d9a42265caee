"""One storage contract, run on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from facilitation.polls import (
    AnswerGroup,
    BallotChoice,
    PollDraft,
    PollKind,
    Tally,
    close_poll,
    open_poll,
    tally_answers,
)
from storage.disclosure_repository import DisclosureState
from storage.meeting_repository import Meeting
from storage.repositories import (
    GROUP_IN_A_THREAD_FROM,
    BallotOutcome,
    BallotWrite,
    Chat,
    ForeignChat,
    Storage,
    StoredPoll,
)
from tests.storage.test_qna_batch_contract import statements

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)



async def _add_poll(storage: Storage, poll_id: str = "p1", *, kind=PollKind.SINGLE,
                    options=("A", "B", "C"), anonymous=True, minutes=None,
                    chat="19:chat@thread.v2") -> StoredPoll:
    poll = open_poll(PollDraft("Q?", options, kind=kind, anonymous=anonymous,
                               auto_close_minutes=minutes), poll_id=poll_id, now=NOW)
    stored = StoredPoll(poll, chat, creator_key="c" * 64, locale="de", meeting_id="MCMx")
    async with storage.unit_of_work() as uow:
        await uow.chats.remember(Chat(chat, "http://127.0.0.1:9/", "tenant", "28:bot", "MCMx"))
        await uow.polls.add(stored)
        await uow.commit()
    return stored


async def test_a_poll_comes_back_as_it_was_stored_with_aware_utc_times(storage):
    stored = await _add_poll(storage, minutes=5)
    async with storage.unit_of_work() as uow:
        loaded = await uow.polls.get("p1")
    assert loaded == stored
    assert loaded.poll.created_at.tzinfo is not None
    assert loaded.poll.closes_at == NOW + timedelta(minutes=5)


async def test_an_uncommitted_unit_of_work_leaves_nothing_behind(storage):
    poll = open_poll(PollDraft("Q?", ("A", "B")), poll_id="p9", now=NOW)
    async with storage.unit_of_work() as uow:
        await uow.chats.remember(Chat("c", "http://127.0.0.1:9/"))
        await uow.polls.add(StoredPoll(poll, "c", creator_key="k"))
    async with storage.unit_of_work() as uow:
        assert await uow.polls.get("p9") is None
        assert await uow.chats.get("c") is None


async def test_a_second_ballot_under_the_same_key_is_a_change_not_a_second_vote(storage):
    await _add_poll(storage)
    async with storage.unit_of_work() as uow:
        assert await uow.ballots.cast("p1", "k1", BallotChoice(mask=1)) is BallotOutcome.NEW
        assert await uow.ballots.cast("p1", "k1", BallotChoice(mask=1)) is BallotOutcome.UNCHANGED
        assert await uow.ballots.cast("p1", "k1", BallotChoice(mask=4)) is BallotOutcome.CHANGED
        await uow.ballots.cast("p1", "k2", BallotChoice(mask=4))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        stored = await uow.polls.get("p1")
        tally = await uow.ballots.tally(stored.poll)
        mine = await uow.ballots.mine("p1", "k1")
    assert tally.ballots == 2 and tally.counts == (0, 0, 2)
    assert mine == BallotChoice(mask=4)


async def test_concurrent_votes_are_neither_lost_nor_doubled(storage):
    stored = await _add_poll(storage)

    async def vote(key: str, mask: int) -> None:
        async with storage.unit_of_work() as uow:
            await uow.ballots.cast("p1", key, BallotChoice(mask=mask))
            await uow.commit()

    voters = [vote(f"voter-{i}", 1 << (i % 3)) for i in range(150)]
    same_person = [vote("same-person", 1 << (i % 3)) for i in range(20)]
    await asyncio.gather(*voters, *same_person)
    async with storage.unit_of_work() as uow:
        tally = await uow.ballots.tally(stored.poll)
    assert tally.ballots == 151
    assert sum(tally.counts) == 151
    assert tally.counts[0] >= 50 and tally.counts[1] >= 50 and tally.counts[2] >= 50


async def test_multiple_choice_and_open_text_tallies_are_aggregated(storage):
    multi = await _add_poll(storage, "multi", kind=PollKind.MULTIPLE)
    text = await _add_poll(storage, "text", kind=PollKind.TEXT, options=())
    async with storage.unit_of_work() as uow:
        for key, mask in (("a", 0b011), ("b", 0b110), ("c", 0b001)):
            await uow.ballots.cast("multi", key, BallotChoice(mask=mask))
        for key, answer in (("a", "Mehr Pausen"), ("b", "mehr  pausen"), ("c", "Kaffee")):
            await uow.ballots.cast("text", key, BallotChoice(text=answer))
        await uow.commit()
        multi_tally = await uow.ballots.tally(multi.poll)
        open_tally = await uow.ballots.tally(text.poll)
        text_tally = await uow.ballots.tally(close_poll(text.poll, now=NOW))
    assert multi_tally.counts == (2, 2, 1) and multi_tally.ballots == 3
    # While a text poll is open its answers are only counted (nothing lists them yet).
    assert (open_tally.ballots, open_tally.answers) == (3, ())
    assert [(g.text, g.count) for g in text_tally.answers] == [("Mehr Pausen", 2), ("Kaffee", 1)]


async def test_a_town_halls_answers_are_grouped_off_the_event_loop_to_the_same_groups(
        storage, monkeypatch):
    text = await _add_poll(storage, "text", kind=PollKind.TEXT, options=())
    few = await _add_poll(storage, "few", kind=PollKind.TEXT, options=())
    answers = [f"Mehr Pausen {number % 7}" for number in range(GROUP_IN_A_THREAD_FROM + 3)]
    in_threads: list[str] = []
    real = asyncio.to_thread

    def noting(function, *args):
        in_threads.append(function.__name__)
        return real(function, *args)

    monkeypatch.setattr(asyncio, "to_thread", noting)
    async with storage.unit_of_work() as uow:
        for number, answer in enumerate(answers):
            await uow.ballots.cast("text", f"k{number}", BallotChoice(text=answer))
        await uow.commit()
        assert (await uow.ballots.tally(close_poll(few.poll, now=NOW))).ballots == 0
        assert in_threads == []
        tally = await uow.ballots.tally(close_poll(text.poll, now=NOW))
    assert in_threads == ["tally_answers"]
    assert tally == tally_answers(answers) and tally.ballots == len(answers)


async def test_names_are_kept_only_for_polls_created_as_not_anonymous(storage):
    anonymous = await _add_poll(storage, "anon")
    named = await _add_poll(storage, "named", anonymous=False)
    async with storage.unit_of_work() as uow:
        await uow.ballots.cast("named", "k1", BallotChoice(mask=1), voter_name="Zoe")
        await uow.ballots.cast("named", "k2", BallotChoice(mask=1), voter_name="Anna")
        await uow.ballots.cast("anon", "k1", BallotChoice(mask=1))
        await uow.commit()
        assert await uow.ballots.names_by_option(named.poll) == [["Anna", "Zoe"], [], []]
        assert await uow.ballots.names_by_option(anonymous.poll) == [[], [], []]


async def test_due_polls_are_found_in_closing_order_and_closed_ones_are_not(storage):
    await _add_poll(storage, "late", minutes=10)
    await _add_poll(storage, "early", minutes=1)
    await _add_poll(storage, "never")
    async with storage.unit_of_work() as uow:
        assert await uow.polls.due(NOW) == []
        due = await uow.polls.due(NOW + timedelta(minutes=30))
        assert [s.poll.id for s in due] == ["early", "late"]
        await uow.polls.save(close_poll(due[0].poll, now=NOW))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert [s.poll.id for s in await uow.polls.due(NOW + timedelta(minutes=30))] == ["late"]


async def test_the_card_message_id_and_chat_address_are_remembered(storage):
    await _add_poll(storage)
    async with storage.unit_of_work() as uow:
        await uow.polls.set_card("p1", "msg-42")
        await uow.chats.remember(Chat("19:chat@thread.v2", "http://127.0.0.1:8/", "tenant",
                                      "28:b"))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert (await uow.polls.get("p1")).card_activity_id == "msg-42"
        chat = await uow.chats.get("19:chat@thread.v2")
    assert chat == Chat("19:chat@thread.v2", "http://127.0.0.1:8/", "tenant", "28:b", None)


async def test_polls_are_read_with_their_chats_in_one_go(storage):
    first = await _add_poll(storage, "p1")
    second = await _add_poll(storage, "p2", chat="19:other@thread.v2")
    async with storage.unit_of_work() as uow:
        found = await uow.polls.get_many_in_chats(["p1", "p2", "nope", "p1"])
        none = await uow.polls.get_many_in_chats([])
    chat = Chat("19:chat@thread.v2", "http://127.0.0.1:9/", "tenant", "28:bot", "MCMx")
    assert found == {"p1": (first, chat),
                     "p2": (second, replace(chat, conversation_id="19:other@thread.v2"))}
    assert none == {}


async def test_ballots_cast_together_get_the_outcomes_they_would_get_one_by_one(storage):
    await _add_poll(storage)
    await _add_poll(storage, "p2")
    async with storage.unit_of_work() as uow:
        await uow.ballots.cast("p1", "k1", BallotChoice(mask=1))
        await uow.commit()
    group = [BallotWrite("p1", "k1", BallotChoice(mask=1)),   # as before
             BallotWrite("p1", "k1", BallotChoice(mask=2)),   # changed
             BallotWrite("p1", "k2", BallotChoice(mask=4)),   # new
             BallotWrite("p1", "k2", BallotChoice(mask=1)),   # changed within the group
             BallotWrite("p2", "k1", BallotChoice(mask=2))]   # same key, other poll: new
    async with storage.unit_of_work() as uow:
        outcomes = await uow.ballots.cast_many(group)
        await uow.commit()
    assert outcomes == [BallotOutcome.UNCHANGED, BallotOutcome.CHANGED, BallotOutcome.NEW,
                        BallotOutcome.CHANGED, BallotOutcome.NEW]
    async with storage.unit_of_work() as uow:
        assert await uow.ballots.mine("p1", "k1") == BallotChoice(mask=2)
        assert await uow.ballots.mine("p1", "k2") == BallotChoice(mask=1)
        p1 = await uow.polls.get("p1")
        assert p1 is not None
        assert (await uow.ballots.tally(p1.poll)).counts == (1, 1, 0)
        found = await uow.polls.get_many(["p1", "p2", "missing"])
    assert sorted(found) == ["p1", "p2"] and found["p1"] == p1


async def test_disclosure_state_counts_changes_until_a_breakdown_is_published(storage):
    await _add_poll(storage)
    await _add_poll(storage, "p2")
    async with storage.unit_of_work() as uow:
        assert await uow.disclosures.state("p1") == DisclosureState()
        await uow.disclosures.counted({"p1": ["k1", "k2"], "p2": ["k1"]})
        # k2 changes again: one person, counted once.
        await uow.disclosures.counted({"p1": ["k2", "k3", "k4", "k5", "k3"]})
        await uow.commit()
    shown = Tally(ballots=5, counts=(3, 2, 0))
    async with storage.unit_of_work() as uow:
        state = await uow.disclosures.state("p1", lock=True)
        assert state == DisclosureState(None, 5)
        await uow.disclosures.published("p1", shown)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.disclosures.state("p1") == DisclosureState(shown, 0)
        assert (await uow.disclosures.state("p2")).changes == 1


async def test_a_published_open_text_breakdown_comes_back_as_it_was(storage):
    await _add_poll(storage, kind=PollKind.TEXT, options=())
    shown = Tally(ballots=4, answers=(AnswerGroup("Mehr Pausen", 3), AnswerGroup("Kürzer", 1)))
    async with storage.unit_of_work() as uow:
        await uow.disclosures.published("p1", shown)
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert (await uow.disclosures.state("p1")).shown == shown


async def test_counting_ballots_waits_for_a_render_holding_the_poll(storage):
    """While a card render holds the poll's state, ballots counted meanwhile are counted after
    the breakdown it publishes (not reset by it)."""
    await _add_poll(storage)
    async with storage.unit_of_work() as uow:
        await uow.disclosures.counted({"p1": ["k1", "k2"]})
        await uow.commit()
    holding, release = asyncio.Event(), asyncio.Event()

    async def render() -> None:
        async with storage.unit_of_work() as uow:
            await uow.disclosures.state("p1", lock=True)
            holding.set()
            await release.wait()
            await uow.disclosures.published("p1", Tally(ballots=3, counts=(3, 0, 0)))
            await uow.commit()

    async def count() -> None:
        await holding.wait()
        async with storage.unit_of_work() as uow:
            await uow.disclosures.counted({"p1": ["k3"]})
            await uow.commit()

    rendering = asyncio.create_task(render())
    counting = asyncio.create_task(count())
    await holding.wait()
    await asyncio.sleep(0.2)
    assert not counting.done()  # it waits for the render's transaction
    release.set()
    await asyncio.gather(rendering, counting)
    async with storage.unit_of_work() as uow:
        assert (await uow.disclosures.state("p1")).changes == 1


async def test_several_people_are_counted_as_reached_once_each(storage):
    await _add_poll(storage)
    async with storage.unit_of_work() as uow:
        meeting = Meeting("m1", "19:chat@thread.v2", NOW)
        await uow.meetings.add(meeting)
        await uow.meetings.took_part("m1", "a", "b", "a")
        await uow.meetings.took_part("m1", "b", "c")
        await uow.meetings.took_part("m1")
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.meetings.reached("m1") == 3
        # Keys a process holds and has not written count too, each person once.
        assert await uow.meetings.reached("m1", also={"c", "d", "e"}) == 5
        assert await uow.meetings.reached("gone", also={"c", "d"}) == 0


async def test_people_reached_are_read_in_one_statement_so_a_write_meanwhile_counts_once(
        storage):
    """Held keys written between two reads (PostgreSQL reads each statement afresh) would be
    neither stored in the first nor held in the second."""
    await _add_poll(storage)  # and its chat
    async with storage.unit_of_work() as uow:
        await uow.meetings.add(Meeting("m1", "19:chat@thread.v2", NOW))
        await uow.meetings.took_part("m1", "a")
        await uow.commit()
    async with storage.unit_of_work() as uow:
        with statements(storage) as sent:
            assert await uow.meetings.reached("m1", also={"a", "b"}) == 2
        assert [word for word, _ in sent] == ["SELECT"]


async def test_of_the_keys_held_only_new_ones_of_existing_meetings_are_to_be_written(storage):
    await _add_poll(storage)
    async with storage.unit_of_work() as uow:
        await uow.meetings.add(Meeting("m1", "19:chat@thread.v2", NOW))
        await uow.meetings.took_part("m1", "a")
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.meetings.not_yet_reached({"m1": {"a", "b"}, "gone": {"c"}}) == {
            "m1": {"b"}}
        assert await uow.meetings.not_yet_reached({"m1": {"a"}}) == {}
        assert await uow.meetings.not_yet_reached({}) == {}


async def test_a_known_chat_takes_a_new_address_but_never_another_tenant(storage):
    chat = Chat("19:chat@thread.v2", "http://127.0.0.1:8/", "tenant", "28:bot", "MCMx")
    async with storage.unit_of_work() as uow:
        await uow.chats.remember(chat)
        await uow.commit()
    moved = replace(chat, service_url="http://127.0.0.1:9/", bot_id="28:bot2", meeting_id="MCMy")
    async with storage.unit_of_work() as uow:
        await uow.chats.remember(moved)  # Teams moved the chat to another service URL
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.chats.get(chat.conversation_id) == moved
    async with storage.unit_of_work() as uow:
        with pytest.raises(ForeignChat):
            await uow.chats.remember(replace(chat, service_url="http://127.0.0.1:7/",
                                             tenant_id="other-tenant"))
        await uow.commit()
    async with storage.unit_of_work() as uow:
        assert await uow.chats.get(chat.conversation_id) == moved
