from tests.support.teams import Participant, card_of


async def test_help_answers_with_a_card(bot):
    anna = Participant.numbered(1)
    assert await bot.say(anna, "help") == 201
    await bot.settle()
    cards = bot.cards()
    assert cards and "Resonanz" in cards[0]["body"][0]["text"]


async def test_poll_command_posts_a_poll_card_and_votes_are_counted(bot):
    anna = Participant.numbered(1)
    await bot.say(anna, "poll Lunch? | Pizza | Salad")
    await bot.settle()
    card = bot.cards()[0]
    poll_id = card["actions"][0]["data"]["poll"]
    card_id = bot.message_ids()[0]
    for i in range(5):
        body = await bot.click(Participant.numbered(10 + i), "poll.vote",
                               {"poll": poll_id, "rz_choice": str(i % 2)}, reply_to_id=card_id)
        assert body["type"] == "application/vnd.microsoft.card.adaptive", body
    await bot.settle()
    latest = card_of(bot.connector.message(card_id))
    print(latest)
