"""The creation form: every poll type, and errors that keep what the user typed."""

from __future__ import annotations

from tests.journeys.helpers import actions, counts_on, open_form, shared_card, texts_in
from tests.support.teams import Participant


def form(**values: str) -> dict[str, str]:
    base = {"rz_question": "", "rz_options": "", "rz_kind": "single", "rz_anonymous": "true",
            "rz_results": "live", "rz_minutes": ""}
    base.update({f"rz_{key}": value for key, value in values.items()})
    return base


async def _create(bot, who, **values):
    posted_for, _ = await open_form(bot, who)
    answer = await bot.click(who, "poll.create", {**posted_for, **form(**values)})
    await bot.settle()
    return answer


async def test_poll_alone_posts_the_form_in_the_users_language(bot):
    await bot.say(Participant.numbered(0), "umfrage", locale="de-AT")
    await bot.settle()
    card = bot.cards()[-1]
    assert "Neue Umfrage" in texts_in(card)
    assert actions(card)["poll.create"]["title"] == "Umfrage erstellen"


async def test_a_form_error_returns_the_form_with_the_message_and_the_typed_values(bot):
    answer = await _create(bot, Participant.numbered(0), question="Lunch?", options="Pizza")
    card = answer["value"]
    assert any("at least 2 options" in text for text in texts_in(card))
    question = next(e for e in card["body"] if e.get("id") == "rz_question")
    assert question["value"] == "Lunch?"
    assert len(bot.connector.sent()) == 1  # only the form: nothing half-created


async def test_a_multiple_choice_poll_counts_every_chosen_option(bot):
    await _create(bot, Participant.numbered(0), question="Which days?", kind="multiple",
                  options="Mon\nTue\nWed")
    card_id = bot.message_ids()[-1]
    poll_id = actions(shared_card(bot, card_id))["poll.vote"]["data"]["poll"]
    for i, chosen in enumerate(["0,1", "1,2", "1", "0,2"]):
        await bot.click(Participant.numbered(i + 1), "poll.vote",
                        {"poll": poll_id, "rz_choice": chosen})
    await bot.click(Participant.numbered(0), "poll.close", {"poll": poll_id})  # exact once closed
    await bot.settle()
    assert counts_on(shared_card(bot, card_id)) == {"Mon": 2, "Tue": 3, "Wed": 2}


async def test_open_text_answers_are_grouped_and_shown_once_closed(bot):
    creator = Participant.numbered(0)
    await _create(bot, creator, question="One word for this week?", kind="text")
    card_id = bot.message_ids()[-1]
    poll_id = actions(shared_card(bot, card_id))["poll.vote"]["data"]["poll"]
    for i, word in enumerate(["Busy", " busy ", "BUSY", "calm", "Calm", "fun"]):
        await bot.click(Participant.numbered(i + 1), "poll.vote",
                        {"poll": poll_id, "rz_text": word})
    await bot.settle()
    assert "Answers are shown when the poll closes." in texts_in(shared_card(bot, card_id))
    await bot.click(creator, "poll.close", {"poll": poll_id})
    await bot.settle()
    text = " | ".join(texts_in(shared_card(bot, card_id)))
    assert "3 ×  | Busy" in text
    assert "2 ×  | Calm" in text
    assert text.index("3 × ") < text.index("2 × ") < text.index("1 × ")


async def test_a_named_poll_shows_who_chose_what_and_says_so(bot):
    await _create(bot, Participant.numbered(0), question="Who brings cake?", anonymous="false",
                  options="Me\nNot me")
    card_id = bot.message_ids()[-1]
    card = shared_card(bot, card_id)
    assert "Poll (not anonymous) · open" in texts_in(card)
    poll_id = actions(card)["poll.vote"]["data"]["poll"]
    voters = [Participant.numbered(i) for i in range(1, 4)]
    for voter in voters:
        await bot.click(voter, "poll.vote", {"poll": poll_id, "rz_choice": "0"})
    await bot.settle()
    assert voters[0].name in " ".join(texts_in(shared_card(bot, card_id)))


async def test_an_auto_closing_poll_closes_by_itself(bot):
    from datetime import timedelta

    from bot.app import SERVICES
    from bot.housekeeping.scheduler import close_due_polls

    await _create(bot, Participant.numbered(0), question="Quick one?", options="A\nB",
                  minutes="5")
    card_id = bot.message_ids()[-1]
    card = shared_card(bot, card_id)
    assert any("{{TIME(" in text for text in texts_in(card))
    services = bot.client.app[SERVICES]
    real_clock = services.clock
    services.clock = lambda: real_clock() + timedelta(minutes=6)
    assert await close_due_polls(services) == 1
    await bot.settle()
    assert "Anonymous poll · closed" in texts_in(shared_card(bot, card_id))
