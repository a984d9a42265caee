"""`resonanz demo`: a simulated meeting of 25 people over real HTTP, as the chat shows it."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import SERVICES, SHELL, create_app
from bot.cards.as_text import card_lines
from bot.local_connector import LocalConnector
from bot.settings import Settings
from bot.simulation import Chat, Participant

PARTICIPANTS = 25
MEETING_ID = "MCMxOTptZWV0aW5nX1Jlc29uYW56RGVtb0B0aHJlYWQudjIjMA=="
NAMES = ["Anna Berger", "Ben Okafor", "Clara Wu", "David Schmidt", "Elif Yilmaz", "Finn Larsen",
         "Greta Novak", "Hassan Ali", "Ida Fischer", "Jonas Weber", "Kira Patel", "Lukas Meyer",
         "Mia Rossi", "Noah Becker", "Olga Ivanova", "Paul Wagner", "Quinn Murphy",
         "Rosa Martinez", "Samir Haddad", "Tara Nowak", "Uwe Hoffmann", "Vera Klein",
         "Will Turner", "Xenia Braun", "Yusuf Demir"]


def run_demo(out: Callable[[str], None] = print) -> int:
    """Run the simulated meeting; returns a process exit code."""
    with tempfile.TemporaryDirectory(prefix="resonanz-demo-") as folder:
        asyncio.run(_meeting(Path(folder), out))
    return 0


async def _meeting(folder: Path, out: Callable[[str], None]) -> None:
    settings = Settings(database_url=f"sqlite:///{folder / 'demo.db'}",
                        secret_file=folder / "demo.secret", edit_interval=0.5)
    async with LocalConnector() as connector:
        app = create_app(settings)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            await _script(app, f"http://127.0.0.1:{port}/api/messages", connector, folder, out)
        finally:
            await runner.cleanup()


class _Meeting:
    """Posts activities to the bot like Teams would and waits for its messages."""

    def __init__(self, app: web.Application, endpoint: str, connector: LocalConnector,
                 http: aiohttp.ClientSession) -> None:
        self.app, self.endpoint, self.connector, self.http = app, endpoint, connector, http
        self.chat = Chat(service_url=connector.service_url, meeting_id=MEETING_ID)

    async def post(self, activity: dict[str, Any]) -> Any:
        async with self.http.post(self.endpoint, json=activity) as response:
            if response.status >= 500:
                raise RuntimeError(f"the bot answered {response.status}")
            return await response.json(content_type=None) if response.status == 200 else None

    async def settle(self) -> None:
        await self.app[SHELL].drain()
        await self.app[SERVICES].live.settle()
        await self.app[SERVICES].private.drain()
        await self.app[SHELL].drain()


async def _script(app: web.Application, endpoint: str, connector: LocalConnector, folder: Path,
                  out: Callable[[str], None]) -> None:
    people = [Participant(name, *_ids(number)) for number, name in enumerate(NAMES)]
    guest = Participant("Gast (anonymous guest)", "29:guest-demo", None)
    moderator, voters = people[0], [*people[1:], guest]
    connector.set_role(MEETING_ID, str(moderator.aad_object_id), "Organizer")
    async with aiohttp.ClientSession() as http:
        meeting = _Meeting(app, endpoint, connector, http)
        out(f"Resonanz demo: a simulated Teams meeting with {PARTICIPANTS} participants, over "
            "real HTTP.\n"
            f"The bot listens on {endpoint}; its messages go to a local stand-in for the Bot "
            f"Connector at {connector.service_url}.\n")
        await _say(meeting, moderator, "help", out)
        poll_id, card_id = await _create_poll(meeting, moderator, out)
        await _vote(meeting, voters, poll_id, card_id, out)
        await _close(meeting, moderator, poll_id, card_id, out)
    _show_storage(folder / "demo.db", out)


def _ids(number: int) -> tuple[str, str]:
    return f"29:1demo-participant-{number:02d}", f"00000000-0000-4000-8000-{number:012d}"


async def _say(meeting: _Meeting, who: Participant, text: str, out: Callable[[str], None]) -> None:
    out(f"{who.name}: @Resonanz {text}")
    before = len(meeting.connector.sent())
    await meeting.post(meeting.chat.message(who, text))
    await meeting.settle()
    for activity in meeting.connector.sent()[before:]:
        _print_message(activity, out)


async def _create_poll(meeting: _Meeting, moderator: Participant,
                       out: Callable[[str], None]) -> tuple[str, str]:
    await _say(meeting, moderator, "poll How useful was today's retro? | Very useful | "
               "Somewhat useful | Not useful", out)
    card_id = meeting.connector.requests[-1].activity_id or ""
    card = meeting.connector.message(card_id)["attachments"][0]["content"]
    poll_id = next(a["data"]["poll"] for a in card["actions"] if a["verb"] == "poll.vote")
    return poll_id, card_id


async def _vote(meeting: _Meeting, voters: list[Participant], poll_id: str, card_id: str,
                out: Callable[[str], None]) -> None:
    rng = random.Random(25)
    choices = [rng.choices(["0", "1", "2"], weights=[5, 3, 1])[0] for _ in voters]
    answers = await asyncio.gather(*(
        meeting.post(meeting.chat.click(voter, "poll.vote",
                                        {"poll": poll_id, "rz_choice": choice},
                                        reply_to_id=card_id))
        for voter, choice in zip(voters, choices, strict=True)))
    out(f"\n{len(voters)} participants vote from the card (one of them is an anonymous guest). "
        "Each sees a personal receipt only they can see, for example:")
    _print_card(answers[0]["value"], out)
    changed = await meeting.post(meeting.chat.click(
        voters[0], "poll.vote", {"poll": poll_id, "rz_choice": "2"}, reply_to_id=card_id))
    out(f"{voters[0].name} changes their vote and sees:")
    _print_card(changed["value"], out)
    await meeting.settle()
    edits = len(meeting.connector.edits(card_id))
    out(f"The shared card was edited {edits} times for {len(voters) + 1} ballots (edits are "
        "coalesced), and now shows everyone:")
    _print_card(meeting.connector.message(card_id)["attachments"][0]["content"], out)


async def _close(meeting: _Meeting, moderator: Participant, poll_id: str, card_id: str,
                 out: Callable[[str], None]) -> None:
    attendee = Participant("Ben Okafor", *_ids(1))
    refused = await meeting.post(meeting.chat.click(attendee, "poll.close", {"poll": poll_id}))
    out(f"{attendee.name} (an attendee) tries to close the poll and is told:\n"
        f"    {refused['value']}\n")
    out(f"{moderator.name} (the organizer) clicks [Close poll].")
    await meeting.post(meeting.chat.click(moderator, "poll.close", {"poll": poll_id}))
    await meeting.settle()
    out("The meeting chat now shows the final result:")
    _print_card(meeting.connector.message(card_id)["attachments"][0]["content"], out)


def _show_storage(database: Path, out: Callable[[str], None]) -> None:
    with sqlite3.connect(database) as connection:
        rows = connection.execute("select voter_key, choices, answer, voter_name from ballot "
                                  "order by voter_key").fetchall()
    out(f"What the database holds for the {len(rows)} ballots (first three rows of the table):")
    for key, choices, answer, name in rows[:3]:
        out(f"    voter_key={key[:16]}…  choices={choices:#05b}  answer={answer}  name={name}")
    out("No name, Teams id or Entra id: the key is an HMAC of the person and this poll, so it "
        "cannot be matched across polls or traced back without the secret.")


def _print_message(activity: dict[str, Any], out: Callable[[str], None]) -> None:
    if activity.get("attachments"):
        _print_card(activity["attachments"][0]["content"], out)
    else:
        out(textwrap.indent(str(activity.get("text", "")), "    Resonanz: "))


def _print_card(card: dict[str, Any], out: Callable[[str], None]) -> None:
    out("    ┌" + "─" * 72)
    for line in card_lines(card):
        for wrapped in textwrap.wrap(line, 70) or [""]:
            out("    │ " + wrapped)
    out("    └" + "─" * 72 + "\n")
