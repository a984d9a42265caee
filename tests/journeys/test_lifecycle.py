"""Installing, using the form once, shutting down: what the chat sees around the edges."""

from __future__ import annotations

from pathlib import Path

from bot.app import ENDPOINT
from tests.journeys.helpers import counts_on, create_poll, open_form, shared_card, texts_in
from tests.support.teams import BOT_ID, Participant, settings_for_tests, start_bot


async def test_being_added_to_a_chat_posts_the_help_card_once(bot):
    activity = bot.chat.message(Participant.numbered(1), "", locale="de-DE")
    activity.update(type="conversationUpdate", text=None, entities=None,
                    membersAdded=[{"id": BOT_ID}])
    status, _ = await bot.post(activity)
    assert status in (200, 201)
    await bot.settle()
    assert len(bot.cards()) == 1
    assert "Resonanz: was ich kann" in texts_in(bot.cards()[0])


async def test_someone_else_joining_posts_nothing(bot):
    activity = bot.chat.message(Participant.numbered(1), "")
    activity.update(type="conversationUpdate", text=None, entities=None,
                    membersAdded=[{"id": "29:someone-else"}])
    await bot.post(activity)
    await bot.settle()
    assert bot.connector.sent() == []


async def test_a_used_creation_form_turns_into_a_note_for_everyone(bot):
    creator = Participant.numbered(1)
    posted_for, form_id = await open_form(bot, creator)
    await bot.click(creator, "poll.create", {**posted_for, "rz_question": "Pizza or pasta?",
                                             "rz_options": "Pizza\nPasta"}, reply_to_id=form_id)
    await bot.settle()
    note = shared_card(bot, form_id)
    assert "".join(texts_in(note)) == "Poll created: Pizza or pasta?"
    assert "actions" not in note


async def test_connector_clients_are_built_once_and_reused_across_activities(bot):
    for i in range(5):
        await bot.say(Participant.numbered(i), "help")
    assert bot.client.app[ENDPOINT].connector_clients == 1


async def test_shutting_down_flushes_the_pending_card_edit_with_the_exact_tally(tmp_path: Path):
    # A long edit interval keeps the last edit pending until shutdown.
    bot, _ = await start_bot(settings_for_tests(tmp_path, edit_interval=60.0))
    closed = False
    try:
        poll_id, card_id = await create_poll(bot, Participant.numbered(0), "poll Q? | A | B")
        for i in range(1, 6):
            await bot.click(Participant.numbered(i), "poll.vote",
                            {"poll": poll_id, "rz_choice": str(i % 2)})
        await bot.client.close()
        closed = True
        card = shared_card(bot, card_id)
        assert counts_on(card) == {"A": 2, "B": 3}
        assert "5 votes" in texts_in(card)
    finally:
        if not closed:
            await bot.client.close()
        await bot.connector.stop()
