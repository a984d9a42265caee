"""Who may close, reopen and reveal a poll: meeting roles in meetings, the creator elsewhere."""

from __future__ import annotations

from tests.journeys.helpers import (
    actions,
    counts_on,
    create_poll,
    open_form,
    shared_card,
    texts_in,
)
from tests.support.teams import Participant

MEETING = "MCMxOTptZWV0aW5nX05qUTJabUUzWWpFdFl6STFAdGhyZWFkLnYyIzA="


async def test_outside_meetings_the_creator_closes_and_reopens_the_poll(bot):
    creator = Participant.numbered(0)
    poll_id, card_id = await create_poll(bot, creator, "poll Q? | A | B")
    for i in range(1, 5):
        await bot.click(Participant.numbered(i), "poll.vote", {"poll": poll_id, "rz_choice": "0"})
    answer = await bot.click(creator, "poll.close", {"poll": poll_id})
    assert "Poll closed." in texts_in(answer["value"])
    await bot.settle()
    card = shared_card(bot, card_id)
    assert "Anonymous poll · closed" in texts_in(card)
    assert counts_on(card) == {"A": 4, "B": 0}
    assert set(actions(card)) == {"poll.reopen"}

    late = await bot.click(Participant.numbered(9), "poll.vote",
                           {"poll": poll_id, "rz_choice": "1"})
    assert late["type"] == "application/vnd.microsoft.activity.message"
    assert "closed" in late["value"]

    await bot.click(creator, "poll.reopen", {"poll": poll_id})
    await bot.settle()
    assert "Anonymous poll · open" in texts_in(shared_card(bot, card_id))


async def test_a_participant_who_did_not_create_the_poll_is_refused_in_their_language(bot):
    poll_id, card_id = await create_poll(bot, Participant.numbered(0), "poll Q? | A | B")
    answer = await bot.click(Participant.numbered(1), "poll.close", {"poll": poll_id},
                             locale="de-DE")
    assert answer["type"] == "application/vnd.microsoft.activity.message"
    assert "Das können nur" in answer["value"]
    await bot.settle()
    assert "Anonymous poll · open" in texts_in(shared_card(bot, card_id))


async def test_in_a_meeting_organizers_and_presenters_moderate_and_attendees_do_not(bot):
    bot.chat.meeting_id = MEETING
    creator, organizer, presenter = (Participant.numbered(i) for i in range(3))
    bot.connector.set_role(MEETING, creator.aad_object_id, "Presenter")
    bot.connector.set_role(MEETING, organizer.aad_object_id, "Organizer")
    bot.connector.set_role(MEETING, presenter.aad_object_id, "Presenter")
    poll_id, card_id = await create_poll(bot, creator, "poll Q? | A | B")
    # Having started the poll gives no rights in a meeting: made an attendee, they are refused.
    bot.connector.set_role(MEETING, creator.aad_object_id, "Attendee")

    refused = await bot.click(creator, "poll.close", {"poll": poll_id})
    assert "Only the meeting's organizers and presenters" in refused["value"]
    guest = Participant.numbered(50, guest=True)
    refused = await bot.click(guest, "poll.close", {"poll": poll_id})
    assert refused["type"] == "application/vnd.microsoft.activity.message"

    closed = await bot.click(presenter, "poll.close", {"poll": poll_id})
    assert "Poll closed." in texts_in(closed["value"])
    reopened = await bot.click(organizer, "poll.reopen", {"poll": poll_id})
    assert "Poll reopened." in texts_in(reopened["value"])
    lookups = [r for r in bot.connector.requests if r.kind == "participant"]
    # Starting the poll and every privileged click ask again (roles change mid-meeting); the
    # guest, who has no Entra id, cannot be looked up and is refused without asking.
    assert len(lookups) == 4
    await bot.settle()
    assert "Anonymous poll · open" in texts_in(shared_card(bot, card_id))


async def test_when_teams_cannot_tell_the_role_nothing_changes_and_the_user_is_told(bot):
    bot.chat.meeting_id = MEETING
    organizer = Participant.numbered(1)
    bot.connector.set_role(MEETING, organizer.aad_object_id, "Organizer")
    poll_id, card_id = await create_poll(bot, organizer, "poll Q? | A | B")
    bot.connector.fail_next(1, 403, methods=("GET",))
    answer = await bot.click(organizer, "poll.close", {"poll": poll_id})
    assert "could not check your meeting role" in answer["value"]
    await bot.settle()
    assert "Anonymous poll · open" in texts_in(shared_card(bot, card_id))


async def test_results_after_closing_stay_hidden_until_a_moderator_reveals_them(bot):
    creator = Participant.numbered(0)
    posted_for, form_id = await open_form(bot, creator)
    form = shared_card(bot, form_id)
    answer = await bot.click(creator, "poll.create", {
        **posted_for, "rz_question": "Rate the sprint", "rz_kind": "rating",
        "rz_results": "on_close",
        "rz_anonymous": "true", "rz_options": "", "rz_minutes": ""})
    assert "Poll created: Rate the sprint" in "".join(texts_in(answer["value"]))
    await bot.settle()
    card_id = bot.message_ids()[-1]
    card = shared_card(bot, card_id)
    assert "poll.create" in actions(form)
    poll_id = actions(card)["poll.vote"]["data"]["poll"]
    assert "poll.reveal" in actions(card)
    for i, rating in enumerate(["4", "5", "3", "4"]):
        await bot.click(Participant.numbered(10 + i), "poll.vote",
                        {"poll": poll_id, "rz_choice": str(int(rating) - 1)})
    await bot.settle()
    card = shared_card(bot, card_id)
    assert counts_on(card) == {}
    assert "Results are shown when the poll closes." in texts_in(card)

    await bot.click(creator, "poll.reveal", {"poll": poll_id})
    await bot.settle()
    card = shared_card(bot, card_id)
    assert counts_on(card) == {"1": 0, "2": 0, "3": 1, "4": 2, "5": 1}
    assert "Average: 4.0 of 5" in texts_in(card)
    assert "poll.reveal" not in actions(card)
