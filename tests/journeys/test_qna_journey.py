"""The Q&A board through the real endpoint: asking, upvoting, moderating, duplicates, privacy."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.journeys.helpers import all_actions, dump, shared_card, texts_in, walk
from tests.support.scan import identifiers, leaks, sqlite_files_text, sqlite_tables
from tests.support.teams import Participant

MEETING = "MCMxOTptZWV0aW5nX1FuQUBOVGhyZWFkLnYyIzA="
QUESTIONS = [
    "When will the new office in Leipzig open?",
    "Will salaries be adjusted for inflation this year?",
    "Can we keep working from home two days a week?",
    "Which AI tools are we allowed to use with customer data?",
    "Why was the Berlin team reorganised without telling us?",
]


async def post_board(bot, who: Participant, arguments: str = "", **options) -> tuple[str, str]:
    """`questions`; returns (board id, message id of the board card)."""
    before = len(bot.message_ids())
    assert await bot.say(who, f"questions {arguments}".strip(), **options) == 201
    await bot.settle()
    card_id = bot.message_ids()[before]
    ask_button = next(a for a in all_actions(shared_card(bot, card_id))
                      if a.get("verb") == "qna.ask")
    board_id = ask_button["data"]["board"]
    return board_id, card_id


async def ask(bot, who: Participant, board_id: str, text: str, *, named: bool = False,
              **options) -> dict:
    return await bot.click(who, "qna.ask", {"board": board_id, "named": named,
                                            "rz_question": text}, **options)


def question_ids(card: dict) -> dict[str, str]:
    """Question text -> id, from the upvote buttons of a board card."""
    found: dict[str, str] = {}

    def walk(element, last_text=None):
        if isinstance(element, dict):
            if element.get("type") == "ColumnSet":
                columns = element.get("columns", [])
                label = "".join(texts_in(columns[1])) if len(columns) > 1 else None
                for column in columns:
                    walk(column, label)
                return
            if element.get("type") == "Action.Execute" and element.get("verb") == "qna.upvote":
                found[last_text] = element["data"]["question"]
            for value in element.values():
                walk(value, last_text)
        elif isinstance(element, list):
            for value in element:
                walk(value, last_text)

    walk(card)
    return found


def board_order(card: dict) -> list[tuple[str, int]]:
    """(question, votes) in the order the board shows them."""
    rows = []
    for text, _ in question_ids(card).items():
        rows.append(text)
    votes = [int(t.split()[1]) for t in texts_in(card) if t.startswith("▲ ") and
             t.split()[1].isdigit()]
    return list(zip(rows, votes, strict=True))


async def test_five_anonymous_questions_and_twenty_upvotes_give_a_board_in_vote_order(bot):
    board_id, card_id = await post_board(bot, Participant.numbered(0))
    for index, question in enumerate(QUESTIONS):
        answer = await ask(bot, Participant.numbered(10 + index), board_id, question)
        assert "Your question is on the board." in texts_in(answer["value"])
    await bot.settle()
    ids = question_ids(shared_card(bot, card_id))
    assert set(ids) == set(QUESTIONS)
    wanted = {QUESTIONS[2]: 8, QUESTIONS[4]: 6, QUESTIONS[0]: 4, QUESTIONS[1]: 2}
    voter = 100
    for question, count in wanted.items():
        for _ in range(count):
            voter += 1
            await bot.click(Participant.numbered(voter), "qna.upvote",
                            {"board": board_id, "question": ids[question]})
    await bot.settle()
    board = shared_card(bot, card_id)
    assert board_order(board) == [(QUESTIONS[2], 8), (QUESTIONS[4], 6), (QUESTIONS[0], 4),
                                  (QUESTIONS[1], 2), (QUESTIONS[3], 0)]
    assert "5 asked · 0 answered · 0 merged · 0 dismissed" in texts_in(board)


async def test_clicking_upvote_again_takes_it_back_and_nobody_counts_twice(bot):
    board_id, card_id = await post_board(bot, Participant.numbered(0))
    await ask(bot, Participant.numbered(1), board_id, QUESTIONS[0])
    await bot.settle()
    question = question_ids(shared_card(bot, card_id))[QUESTIONS[0]]
    anna = Participant.numbered(2)
    first = await bot.click(anna, "qna.upvote", {"board": board_id, "question": question})
    assert "You upvoted the question." in texts_in(first["value"])
    assert "✓ Upvoted" in [a["title"] for a in all_actions(first["value"])]
    second = await bot.click(anna, "qna.upvote", {"board": board_id, "question": question})
    assert "You took your upvote back." in texts_in(second["value"])
    await bot.click(anna, "qna.upvote", {"board": board_id, "question": question})
    await bot.settle()
    assert board_order(shared_card(bot, card_id)) == [(QUESTIONS[0], 1)]



async def test_a_near_duplicate_is_caught_and_offered_for_upvoting(bot):
    board_id, card_id = await post_board(bot, Participant.numbered(0))
    await ask(bot, Participant.numbered(1), board_id, "Can we keep working from home two days "
                                                      "a week?")
    await bot.settle()
    asker = Participant.numbered(2)
    offer = await ask(bot, asker, board_id, "Will we still be able to work from home two days "
                                            "per week?")
    card = offer["value"]
    assert "A very similar question is already on the board:" in texts_in(card)
    buttons = {a["title"]: a for a in all_actions(card)}
    assert {"Upvote that one", "Post mine anyway"} <= set(buttons)
    await bot.click(asker, "qna.upvote", buttons["Upvote that one"]["data"])
    await bot.settle()
    assert board_order(shared_card(bot, card_id)) == [
        ("Can we keep working from home two days a week?", 1)]

    # Someone else cannot use the asker's "post anyway" button.
    refused = await bot.click(Participant.numbered(3), "qna.ask",
                              buttons["Post mine anyway"]["data"])
    assert "for the person who asked" in refused["value"]
    posted = await bot.click(asker, "qna.ask", buttons["Post mine anyway"]["data"])
    assert "Your question is on the board." in texts_in(posted["value"])
    await bot.settle()
    assert len(question_ids(shared_card(bot, card_id))) == 2


async def test_a_german_near_duplicate_is_caught_too(bot):
    board_id, _ = await post_board(bot, Participant.numbered(0), locale="de-DE")
    await ask(bot, Participant.numbered(1), board_id, "Wann eröffnet das neue Büro in Leipzig?",
              locale="de-DE")
    offer = await ask(bot, Participant.numbered(2), board_id,
                      "Wann wird das neue Leipziger Büro eröffnet?", locale="de-DE")
    assert "Eine sehr ähnliche Frage steht schon auf dem Board:" in texts_in(offer["value"])


async def test_reviewed_mode_hides_pending_questions_from_participants(bot):
    bot.chat.meeting_id = MEETING
    organizer, attendee = Participant.numbered(0), Participant.numbered(1)
    bot.connector.set_role(MEETING, organizer.aad_object_id, "Organizer")
    bot.connector.set_role(MEETING, attendee.aad_object_id, "Attendee")
    board_id, card_id = await post_board(bot, organizer, "reviewed")
    answer = await ask(bot, attendee, board_id, QUESTIONS[1])
    assert "will appear once a moderator approves it" in " ".join(texts_in(answer["value"]))
    assert QUESTIONS[1] not in dump(answer["value"])
    await bot.settle()
    shared = shared_card(bot, card_id)
    assert QUESTIONS[1] not in dump(shared)
    assert any("1 waiting for review" in text for text in texts_in(shared))

    participant_view = await bot.click(attendee, "qna.view", {"board": board_id})
    assert QUESTIONS[1] not in dump(participant_view["value"])
    refused = await bot.click(attendee, "qna.moderate", {"board": board_id})
    assert refused["type"] == "application/vnd.microsoft.activity.message"

    moderator_view = await bot.click(organizer, "qna.moderate", {"board": board_id})
    assert QUESTIONS[1] in dump(moderator_view["value"])
    approve = next(a for a in all_actions(moderator_view["value"]) if a["verb"] == "qna.approve")
    await bot.click(organizer, "qna.approve", approve["data"])
    await bot.settle()
    assert QUESTIONS[1] in dump(shared_card(bot, card_id))


async def test_moderation_moves_questions_and_the_counts_show_it(bot):
    creator = Participant.numbered(0)
    board_id, card_id = await post_board(bot, creator)
    for index, question in enumerate(QUESTIONS[:4]):
        await ask(bot, Participant.numbered(10 + index), board_id, question)
    await bot.settle()
    ids = question_ids(shared_card(bot, card_id))
    for voter, question in ((1, 0), (2, 0), (3, 1), (2, 1)):
        await bot.click(Participant.numbered(voter), "qna.upvote",
                        {"board": board_id, "question": ids[QUESTIONS[question]]})

    def data(question: int) -> dict:
        return {"board": board_id, "question": ids[QUESTIONS[question]]}

    await bot.click(creator, "qna.answering", data(2))
    await bot.settle()
    board = shared_card(bot, card_id)
    assert "Now answering" in texts_in(board)
    await bot.click(creator, "qna.answered", data(2))
    await bot.click(creator, "qna.dismiss", data(3))
    merged = await bot.click(creator, "qna.merge", {"board": board_id,
                                                    "rz_merge_from": ids[QUESTIONS[1]],
                                                    "rz_merge_into": ids[QUESTIONS[0]]})
    assert "Done." in texts_in(merged["value"])
    await bot.settle()
    board = shared_card(bot, card_id)
    assert "4 asked · 1 answered · 1 merged · 1 dismissed" in texts_in(board)
    # Voters 1, 2 (question 0) and 3, 2 (question 1): the union is 1, 2, 3.
    assert board_order(board) == [(QUESTIONS[0], 3)]
    assert any(QUESTIONS[2] in text for text in texts_in(board))  # in the answered section


@pytest.mark.parametrize(("verb", "data", "expected"), [
    ("qna.upvote", {"question": "nope"}, "can't find this question"),
    ("qna.upvote", {}, "incomplete data"),
    ("qna.dismiss", {"question": "nope"}, "Only the meeting's organizers"),
    ("qna.merge", {"rz_merge_from": "a", "rz_merge_into": "a"}, "Only the meeting's organizers"),
])
async def test_bad_clicks_get_a_clear_message(bot, verb, data, expected):
    board_id, _ = await post_board(bot, Participant.numbered(0))
    answer = await bot.click(Participant.numbered(5), verb, {"board": board_id, **data})
    assert answer["type"] == "application/vnd.microsoft.activity.message"
    assert expected in answer["value"]


async def test_bad_questions_and_moderator_mistakes_get_clear_messages(bot):
    creator = Participant.numbered(0)
    board_id, card_id = await post_board(bot, creator)
    for text, expected in (("   ", "write a question first"), ("x" * 10_000, "too long")):
        answer = await ask(bot, Participant.numbered(1), board_id, text)
        assert expected in answer["value"]
    await ask(bot, Participant.numbered(1), board_id, QUESTIONS[0])
    await bot.settle()
    question = question_ids(shared_card(bot, card_id))[QUESTIONS[0]]
    same = await bot.click(creator, "qna.merge", {"board": board_id, "rz_merge_from": question,
                                                  "rz_merge_into": question})
    assert "cannot be merged with itself" in same["value"]
    await bot.click(creator, "qna.dismiss", {"board": board_id, "question": question})
    late = await bot.click(Participant.numbered(2), "qna.upvote",
                           {"board": board_id, "question": question})
    assert "was dismissed" in late["value"]
    unknown = await bot.click(creator, "qna.view", {"board": "no-such-board"})
    assert "no longer exists" in unknown["value"]
    assert sqlite_tables(Path(bot_db(bot)))["upvote"] == []


def bot_db(bot) -> str:
    from bot.app import SERVICES

    return bot.client.app[SERVICES].storage.engine.url.database


async def test_six_questions_in_five_minutes_hit_a_friendly_limit(bot):
    board_id, _ = await post_board(bot, Participant.numbered(0))
    eager = Participant.numbered(1)
    topics = ["parking", "canteen", "laptops", "travel budget", "onboarding", "security"]
    answers = [await ask(bot, eager, board_id, f"What is the plan for {topic} in 2027?",
                         locale="de-DE") for topic in topics]
    assert all(a["type"] == "application/vnd.microsoft.card.adaptive" for a in answers[:5])
    assert "in den letzten 5 Minuten 5 Fragen" in answers[5]["value"]
    other = await ask(bot, Participant.numbered(2), board_id, "And the summer party?")
    assert other["type"] == "application/vnd.microsoft.card.adaptive"


async def test_posting_the_board_again_retires_the_old_card(bot):
    board_id, first = await post_board(bot, Participant.numbered(0))
    again, second = await post_board(bot, Participant.numbered(1), locale="de-DE")
    assert again == board_id and second != first
    await bot.settle()
    assert texts_in(shared_card(bot, first)) == [
        "The Q&A board has moved to a newer message below."]


async def test_ask_in_chat_names_the_asker_and_creates_the_board(bot):
    anna = Participant.numbered(1)
    assert await bot.say(anna, "frage Gibt es dieses Jahr ein Sommerfest?", locale="de-DE") == 201
    await bot.settle()
    card = bot.cards()[-1]
    assert any(anna.name in text for text in texts_in(card))
    assert await bot.say(anna, "ask Where is the roadmap?") == 201
    await bot.settle()
    assert "Added your question to the Q&A board." in bot.texts()


async def test_markdown_links_and_mentions_in_questions_stay_plain_text(bot):
    board_id, card_id = await post_board(bot, Participant.numbered(0))
    nasty = "**Urgent** [click here](https://evil.example) <at>everyone</at> # heading"
    await ask(bot, Participant.numbered(1), board_id, nasty)
    await bot.settle()
    board = shared_card(bot, card_id)
    runs = [e for e in walk(board) if e.get("type") == "TextRun" and nasty in e["text"]]
    blocks = [e for e in walk(board) if e.get("type") == "TextBlock" and "evil" in e["text"]]
    assert runs and not blocks
    assert "entities" not in bot.connector.message(card_id)


async def test_no_asker_or_upvoter_identifier_reaches_the_database_or_the_logs(
        bot, tmp_path: Path, log_lines: list[str]):
    bot.chat.meeting_id = MEETING
    organizer = Participant.numbered(0)
    bot.connector.set_role(MEETING, organizer.aad_object_id, "Organizer")
    board_id, card_id = await post_board(bot, organizer)
    askers = [Participant.numbered(i) for i in range(1, 6)]
    upvoters = [Participant.numbered(i) for i in range(20, 32)]
    guest = Participant.numbered(99, guest=True)
    for asker, question in zip(askers, QUESTIONS, strict=True):
        await ask(bot, asker, board_id, question)
    await ask(bot, guest, board_id, "Is the guest WiFi password changing?")
    await bot.settle()
    ids = list(question_ids(shared_card(bot, card_id)).values())
    for index, voter in enumerate([*upvoters, guest]):
        await bot.click(voter, "qna.upvote", {"board": board_id, "question": ids[index % 3]})
    await bot.click(organizer, "qna.answering", {"board": board_id, "question": ids[0]})
    await bot.settle()

    database = tmp_path / "resonanz.db"
    tables = sqlite_tables(database)
    assert tables["question"] and tables["upvote"]
    haystacks = {
        "tables": dump({n: [list(map(str, row)) for row in rows] for n, rows in tables.items()}),
        "database files": sqlite_files_text(database),
        "logs": "\n".join(log_lines),
        "outgoing activities": dump([r.body for r in bot.connector.requests]),
    }
    found = leaks(haystacks, identifiers([*askers, *upvoters, guest]))
    assert not found, found
