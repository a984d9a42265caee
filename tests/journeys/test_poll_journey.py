"""A poll from the chat command to the exact result, through the real endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.journeys.helpers import actions, counts_on, create_poll, dump, shared_card, texts_in
from tests.support.scan import identifiers, leaks, sqlite_files_text, sqlite_tables
from tests.support.teams import Participant


async def test_thirty_votes_with_one_change_give_the_exact_result_on_the_shared_card(bot):
    moderator = Participant.numbered(0)
    poll_id, card_id = await create_poll(bot, moderator, "poll Where do we meet? | Berlin | "
                                                         "Hamburg | Online")
    voters = [Participant.numbered(i) for i in range(1, 31)]
    for index, voter in enumerate(voters):
        answer = await bot.click(voter, "poll.vote",
                                 {"poll": poll_id, "rz_choice": str(index % 3)},
                                 reply_to_id=card_id)
        assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    # Voter 1 (Berlin) changes to Online.
    changed = await bot.click(voters[0], "poll.vote", {"poll": poll_id, "rz_choice": "2"},
                              reply_to_id=card_id)
    assert "Your vote was changed." in texts_in(changed["value"])
    await bot.settle()

    card = shared_card(bot, card_id)  # open: a breakdown of some step, the count of now
    assert sum(counts_on(card).values()) >= 27 and "30 votes" in texts_in(card)
    edits = bot.connector.edits(card_id)
    assert 1 <= len(edits) <= 10, f"{len(edits)} edits for 31 ballots"
    await bot.click(moderator, "poll.close", {"poll": poll_id})
    await bot.settle()
    card = shared_card(bot, card_id)  # closed: the exact result
    assert counts_on(card) == {"Berlin": 9, "Hamburg": 10, "Online": 11}
    assert "30 votes" in " ".join(texts_in(card))


async def test_the_voter_gets_a_personal_receipt_with_a_change_button(bot):
    poll_id, card_id = await create_poll(bot, Participant.numbered(0), "poll Tea? | Yes | No")
    receipt = await bot.click(Participant.numbered(1), "poll.vote",
                              {"poll": poll_id, "rz_choice": "1"}, reply_to_id=card_id)
    card = receipt["value"]
    assert "You voted: No" in "".join(texts_in(card))
    assert set(actions(card)) == {"poll.change"}
    again = await bot.click(Participant.numbered(1), "poll.change", {"poll": poll_id})
    choice = next(e for e in again["value"]["body"] if e["type"] == "Input.ChoiceSet")
    assert choice["value"] == "1"


async def test_german_users_get_a_german_poll(bot):
    poll_id, card_id = await create_poll(bot, Participant.numbered(0),
                                         "UMFRAGE Mittagessen? | Pizza | Salat", locale="de-DE")
    card = shared_card(bot, card_id)
    assert "Anonyme Umfrage · offen" in texts_in(card)
    assert actions(card)["poll.vote"]["title"] == "Abstimmen"
    receipt = await bot.click(Participant.numbered(1), "poll.vote",
                              {"poll": poll_id, "rz_choice": "0"}, locale="de-DE")
    assert "Deine Stimme: Pizza" in "".join(texts_in(receipt["value"]))


async def test_a_command_without_mention_and_in_any_case_works(bot):
    _, card_id = await create_poll(bot, Participant.numbered(0), "Poll Yes or no? | Yes | No",
                                   mention=False)
    assert "Yes or no?" in texts_in(shared_card(bot, card_id))


async def test_results_stay_hidden_below_three_ballots(bot):
    poll_id, card_id = await create_poll(bot, Participant.numbered(0), "poll Q? | A | B")
    for i in (1, 2):
        await bot.click(Participant.numbered(i), "poll.vote", {"poll": poll_id, "rz_choice": "0"})
    await bot.settle()
    card = shared_card(bot, card_id)
    assert counts_on(card) == {}
    assert "2 votes" in texts_in(card)


async def test_no_voter_identifier_reaches_the_database_the_logs_or_the_cards(
        bot, tmp_path: Path, log_lines: list[str]):
    moderator = Participant.numbered(0)
    voters = [Participant.numbered(i) for i in range(1, 8)]
    guest = Participant.numbered(99, guest=True)
    poll_id, card_id = await create_poll(bot, moderator, "poll Honest feedback? | Good | Bad")
    for index, voter in enumerate([*voters, guest]):
        await bot.click(voter, "poll.vote", {"poll": poll_id, "rz_choice": str(index % 2)},
                        reply_to_id=card_id)
    await bot.click(voters[0], "poll.vote", {"poll": poll_id, "rz_choice": "1"})
    await bot.click(moderator, "poll.close", {"poll": poll_id})
    await bot.settle()

    database = tmp_path / "resonanz.db"
    tables = sqlite_tables(database)
    assert tables["ballot"], "the scan must see the stored ballots"
    haystacks = {
        "tables": dump({name: [list(map(str, row)) for row in rows]
                        for name, rows in tables.items()}),
        "database files": sqlite_files_text(database),
        "logs": "\n".join(log_lines),
        "outgoing activities": dump([r.body for r in bot.connector.requests]),
    }
    assert log_lines, "the scan must see the log"
    found = leaks(haystacks, identifiers([*voters, guest]))
    assert not found, found


@pytest.mark.postgres
async def test_the_same_journey_runs_on_postgresql(tmp_path: Path, postgres_url: str):
    from tests.support.teams import settings_for_tests, start_bot

    url = postgres_url.replace("postgresql+asyncpg://", "postgresql://")  # as an operator writes it
    bot, _ = await start_bot(settings_for_tests(tmp_path, database_url=url))
    try:
        poll_id, card_id = await create_poll(bot, Participant.numbered(0), "poll PG? | Yes | No")
        voters = [Participant.numbered(i) for i in range(1, 31)]
        for index, voter in enumerate(voters):
            await bot.click(voter, "poll.vote", {"poll": poll_id, "rz_choice": str(index % 2)})
        await bot.click(voters[0], "poll.vote", {"poll": poll_id, "rz_choice": "1"})
        await bot.settle()
        # An open poll's breakdown moves in steps of three people (docs/PRIVACY.md); the
        # closed poll shows the exact tally.
        await bot.click(Participant.numbered(0), "poll.close", {"poll": poll_id})
        await bot.settle()
        assert counts_on(shared_card(bot, card_id)) == {"Yes": 14, "No": 16}
    finally:
        await bot.client.close()
        await bot.connector.stop()


async def test_a_new_poll_card_is_not_edited_until_someone_votes(bot):
    poll_id, card_id = await create_poll(bot, Participant.numbered(0), "poll Q? | A | B")
    await bot.settle()
    edits = [r for r in bot.connector.requests if r.kind == "edit" and r.activity_id == card_id]
    assert edits == []
    await bot.click(Participant.numbered(1), "poll.vote", {"poll": poll_id, "rz_choice": "0"})
    await bot.settle()
    assert any(r.kind == "edit" and r.activity_id == card_id for r in bot.connector.requests)
