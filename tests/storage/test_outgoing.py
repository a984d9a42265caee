"""The outgoing messages' table on SQLite and PostgreSQL: kept until removed, claimed by one
process at a time, taken over only when the claim ran out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from storage.outgoing import Outgoing, OutgoingState, OutgoingStore
from storage.repositories import Storage

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
CLAIM = timedelta(seconds=60)


def message(number: int, **fields: object) -> Outgoing:
    values: dict = dict(id=f"m{number}", service_url="http://127.0.0.1:9/",
                        conversation_id="19:chat@thread.v2", bot_id="28:bot",
                        activity={"type": "message", "text": f"Grüße {number}"})
    values.update(fields)
    return Outgoing(**values)


async def test_a_message_is_kept_with_everything_needed_to_send_and_bind_it(storage: Storage):
    first = OutgoingStore(storage.engine, "first", claim_for=CLAIM)
    await first.add([message(1, binding=("poll", "p1"), notice_conversation="19:chat@thread.v2",
                             notice_locale="de")], now=NOW)
    later = OutgoingStore(storage.engine, "later", claim_for=CLAIM)
    [kept] = await later.take_over(now=NOW, everything=True)
    assert kept.activity == {"type": "message", "text": "Grüße 1"}
    assert (kept.binding, kept.notice_locale, kept.state) == (("poll", "p1"), "de",
                                                              OutgoingState.QUEUED)
    assert kept.queued_at == NOW


async def test_another_process_takes_over_only_after_the_claim_ran_out(storage: Storage):
    first = OutgoingStore(storage.engine, "first", claim_for=CLAIM)
    second = OutgoingStore(storage.engine, "second", claim_for=CLAIM)
    await first.add([message(1), message(2)], now=NOW)
    assert await second.take_over(now=NOW + timedelta(seconds=30)) == []
    await first.renew(now=NOW + timedelta(seconds=30))
    assert await second.take_over(now=NOW + timedelta(seconds=70)) == []  # renewed until 90 s
    taken = await second.take_over(now=NOW + timedelta(seconds=91))
    assert [m.id for m in taken] == ["m1", "m2"]
    # The first process lost them: it can neither move nor remove them any more.
    assert not await first.mark("m1", OutgoingState.SENDING)
    await first.remove("m2")
    assert await storage_count(second) == 2
    assert await second.take_over(now=NOW + timedelta(seconds=92)) == []  # not taken twice


async def test_a_sent_message_keeps_its_id_until_it_is_bound_then_goes(storage: Storage):
    store = OutgoingStore(storage.engine, "first", claim_for=CLAIM)
    await store.add([message(1, binding=("board", "b1"))], now=NOW)
    assert await store.mark("m1", OutgoingState.SENDING)
    assert await store.mark("m1", OutgoingState.SENT, activity_id="1:activity")
    [after_crash] = await OutgoingStore(storage.engine, "next",
                                        claim_for=CLAIM).take_over(now=NOW, everything=True)
    assert (after_crash.state, after_crash.activity_id) == (OutgoingState.SENT, "1:activity")


async def test_a_private_message_forgets_the_persons_id_once_its_chat_is_open(storage: Storage):
    store = OutgoingStore(storage.engine, "first", claim_for=CLAIM)
    await store.add([message(1, conversation_id="", member_id="29:person", tenant_id="t")],
                    now=NOW)
    assert await store.mark("m1", OutgoingState.QUEUED, conversation_id="a:1on1")
    [kept] = await OutgoingStore(storage.engine, "next",
                                 claim_for=CLAIM).take_over(now=NOW, everything=True)
    assert (kept.conversation_id, kept.member_id) == ("a:1on1", None)


async def test_release_hands_the_messages_over_at_once(storage: Storage):
    first = OutgoingStore(storage.engine, "first", claim_for=CLAIM)
    await first.add([message(1)], now=NOW)
    await first.release(now=NOW)
    second = OutgoingStore(storage.engine, "second", claim_for=CLAIM)
    assert [m.id for m in await second.take_over(now=NOW)] == ["m1"]


async def test_messages_queued_at_one_moment_are_taken_over_in_the_order_they_were_queued(
    storage: Storage,
):
    first = OutgoingStore(storage.engine, "first", claim_for=CLAIM)
    # Ids that sort the other way round: the order must come from the queueing alone.
    await first.add([message(number) for number in (9, 8, 7)], now=NOW)
    await first.add([message(6)], now=NOW)  # a second call at the same clock reading
    await first.add([message(5), message(4)], now=NOW - timedelta(seconds=1))  # a clock step back
    taken = await OutgoingStore(storage.engine, "next",
                                claim_for=CLAIM).take_over(now=NOW, everything=True)
    assert [m.id for m in taken] == ["m9", "m8", "m7", "m6", "m5", "m4"]
    assert len({m.queued_at for m in taken}) == 6


async def test_messages_written_with_a_change_are_kept_exactly_when_it_commits(
    storage: Storage,
):
    store = OutgoingStore(storage.engine, "first", claim_for=CLAIM)
    async with storage.unit_of_work() as uow:
        await store.add_in(uow.session, [message(1)], now=NOW)  # rolled back: not committed
    async with storage.unit_of_work() as uow:
        await store.add_in(uow.session, [message(2)], now=NOW)
        await uow.commit()
    kept = await OutgoingStore(storage.engine, "next",
                               claim_for=CLAIM).take_over(now=NOW, everything=True)
    assert [m.id for m in kept] == ["m2"]


async def test_a_lost_message_is_replaced_by_its_notice_in_one_step(storage: Storage):
    store = OutgoingStore(storage.engine, "first", claim_for=CLAIM)
    await store.add([message(1), message(2)], now=NOW)
    assert await store.replace("m1", message(3), now=NOW)
    kept = await OutgoingStore(storage.engine, "next",
                               claim_for=CLAIM).take_over(now=NOW, everything=True)
    assert [m.id for m in kept] == ["m2", "m3"]


async def test_a_notice_is_not_written_for_a_message_another_process_has_taken_over(
    storage: Storage,
):
    first = OutgoingStore(storage.engine, "first", claim_for=CLAIM)
    await first.add([message(1)], now=NOW)
    second = OutgoingStore(storage.engine, "second", claim_for=CLAIM)
    assert len(await second.take_over(now=NOW + timedelta(seconds=61))) == 1
    assert not await first.replace("m1", message(2), now=NOW + timedelta(seconds=62))
    assert await first.count() == 1  # m1, now the second process's to send or report


async def test_a_notice_that_cannot_be_written_leaves_the_lost_message_in_place(
    storage: Storage,
):
    store = OutgoingStore(storage.engine, "first", claim_for=CLAIM)
    await store.add([message(1), message(2)], now=NOW)
    with pytest.raises(IntegrityError):
        await store.replace("m1", message(2), now=NOW)  # m2 exists: the insert fails
    kept = await OutgoingStore(storage.engine, "next",
                               claim_for=CLAIM).take_over(now=NOW, everything=True)
    assert [m.id for m in kept] == ["m1", "m2"]


async def storage_count(store: OutgoingStore) -> int:
    return await store.count()


async def test_own_queued_rows_are_those_of_this_process_still_waiting_and_old_enough(
        storage: Storage):
    mine = OutgoingStore(storage.engine, "mine", claim_for=CLAIM)
    other = OutgoingStore(storage.engine, "other", claim_for=CLAIM)
    await mine.add([message(1), message(2)], now=NOW)
    await mine.add([message(3)], now=NOW + timedelta(seconds=40))  # too recent
    await other.add([message(4)], now=NOW)  # another process's
    await mine.mark("m2", OutgoingState.SENDING)  # on the wire: not waiting
    found = await mine.own_queued_ids(queued_before=NOW + timedelta(seconds=30))
    assert found == ["m1"]
    assert [m.id for m in await mine.load(["m1", "m2", "m3", "m4"])] == ["m1", "m3"]
    assert await mine.load([]) == []
