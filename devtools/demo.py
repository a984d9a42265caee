"""`python -m devtools.demo` (`make demo`): a simulated meeting of 25 people over real HTTP, as
the chat shows it."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import SHELL, create_app
from bot.settings import Settings
from devtools.card_text import card_lines
from devtools.local_connector import LocalConnector, free_port
from devtools.simulation import Chat, Participant

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
    port = free_port()
    settings = Settings(database_url=f"sqlite:///{folder / 'demo.db'}", port=port,
                        public_url=f"http://127.0.0.1:{port}",
                        secret_file=folder / "demo.secret", edit_interval=0.5)
    async with LocalConnector() as connector:
        app = create_app(settings)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
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


async def _script(app: web.Application, endpoint: str, connector: LocalConnector, folder: Path,
                  out: Callable[[str], None]) -> None:
    people = [Participant(name, *_ids(number)) for number, name in enumerate(NAMES)]
    guest = Participant("Gast (anonymous guest)", "29:guest-demo", None)
    moderator, voters = people[0], [*people[1:], guest]
    connector.set_role(MEETING_ID, str(moderator.aad_object_id), "Organizer")
    connector.set_members("19:meeting_NjQ2ZmE3YjEtYzI1@thread.v2", [
        {"id": p.mri, "name": p.name, "aadObjectId": p.aad_object_id} for p in people])
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
        await _questions(meeting, moderator, voters, out)
        await _breakout(meeting, moderator, voters, out)
        await _end(meeting, moderator, out)


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


QUESTIONS = ["When will the new office in Leipzig open?",
             "Will we keep two home-office days per week?",
             "Why was the roadmap changed without telling the teams?",
             "Can we get more budget for training?"]


async def _questions(meeting: _Meeting, moderator: Participant, voters: list[Participant],
                     out: Callable[[str], None]) -> None:
    await _say(meeting, moderator, "questions", out)
    card_id = meeting.connector.requests[-1].activity_id or ""
    board = meeting.connector.message(card_id)["attachments"][0]["content"]
    board_id = _first_action(board, "qna.ask")["data"]["board"]
    for voter, question in zip(voters, QUESTIONS, strict=False):
        await meeting.post(meeting.chat.click(voter, "qna.ask", {
            "board": board_id, "named": False, "rz_question": question}))
    similar = await meeting.post(meeting.chat.click(voters[5], "qna.ask", {
        "board": board_id, "named": False,
        "rz_question": "Do we keep the two home office days a week?"}))
    out(f"{len(QUESTIONS)} questions are asked anonymously. Someone asks a near-duplicate and "
        "is offered to upvote the existing one instead:")
    _print_card(similar["value"], out)
    await meeting.settle()
    board = meeting.connector.message(card_id)["attachments"][0]["content"]
    upvotes = [a["data"] for a in _actions(board) if a.get("verb") == "qna.upvote"]
    for index, voter in enumerate(voters[6:20]):
        await meeting.post(meeting.chat.click(voter, "qna.upvote", upvotes[index % 3]))
    await meeting.post(meeting.chat.click(moderator, "qna.answering", upvotes[0]))
    await meeting.settle()
    out("After 14 upvotes, with the organizer answering the top question, the board shows:")
    _print_card(meeting.connector.message(card_id)["attachments"][0]["content"], out)


async def _breakout(meeting: _Meeting, moderator: Participant, voters: list[Participant],
                    out: Callable[[str], None]) -> None:
    out(f"{moderator.name}: @Resonanz breakout 5")
    chat = meeting.chat.conversation_id
    before = len(meeting.connector.sent(chat))
    await meeting.post(meeting.chat.message(moderator, "breakout 5"))
    await meeting.settle()
    draft = meeting.connector.sent(chat)[before]["attachments"][0]["content"]
    round_id = _first_action(draft, "breakout.update")["data"]["breakout"]
    await meeting.post(meeting.chat.click(moderator, "breakout.update", {
        "breakout": round_id, "rz_exclude": moderator.name,
        "rz_topics": "Onboarding\nTools\nMeetings\nHiring\nOffice", "rz_minutes": "15"}))
    before = len(meeting.connector.sent(chat))
    await meeting.post(meeting.chat.click(moderator, "breakout.publish", {"breakout": round_id}))
    await meeting.settle()
    assignment = meeting.connector.sent(chat)[before]["attachments"][0]["content"]
    private = len(meeting.connector.private_messages())
    out("The organizer leaves herself out, adds topics and 15 minutes, and publishes:")
    _print_card(assignment, out)
    out(f"Everyone also gets their group in a personal message ({private} sent).\n")
    presenters = [line.split("presents: ")[1] for line in card_lines(assignment)
                  if "presents: " in line]
    by_name = {p.name: p for p in voters}
    for number, name in enumerate(presenters[:3], start=1):
        form = await meeting.post(meeting.chat.click(by_name[name], "breakout.report_form",
                                                     {"breakout": round_id}))
        group = _first_action(form["value"], "breakout.report")["data"]["group"]
        await meeting.post(meeting.chat.click(by_name[name], "breakout.report", {
            "breakout": round_id, "group": group, "rz_point1": REPORTS[number - 1][0],
            "rz_point2": REPORTS[number - 1][1]}))
    before = len(meeting.connector.sent(chat))
    await meeting.post(meeting.chat.click(moderator, "breakout.reconvene",
                                          {"breakout": round_id}))
    await meeting.settle()
    out("Three presenters submit results; back in the plenary the results wall shows:")
    _print_card(meeting.connector.sent(chat)[before]["attachments"][0]["content"], out)


REPORTS = [("A buddy for every new colleague", "Checklist for the first week"),
           ("One chat tool instead of three", "Shared calendar for the team"),
           ("No meetings on Friday afternoon", "Agenda one day ahead")]


async def _end(meeting: _Meeting, moderator: Participant, out: Callable[[str], None]) -> None:
    event = meeting.chat.event(moderator, "meetingEnd",
                               {"Title": "Retro and all-hands", "EndTime": "now"})
    chat = meeting.chat.conversation_id
    before = len(meeting.connector.sent(chat))
    await meeting.post(event)
    await meeting.settle()
    summary = meeting.connector.sent(chat)[before]["attachments"][0]["content"]
    out("The meeting ends; Teams tells the bot, and the summary is posted to the chat:")
    _print_card(summary, out)
    meeting_id = _first_action(summary, "summary.report_link")["data"]["meeting"]
    link = await meeting.post(meeting.chat.click(moderator, "summary.report_link",
                                                 {"meeting": meeting_id}))
    url = next(a["url"] for a in _actions(link["value"]) if a.get("type") == "Action.OpenUrl")
    async with meeting.http.get(url) as page:
        size = len(await page.read())
    out(f"Only the organizer can get the report page's address (it expires); the page "
        f"({size // 1024} KB, with charts) was served at\n    {url}\n"
        "(the demo bot stops now, so the address no longer answers).")


def _actions(element: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(element, dict):
        if str(element.get("type", "")).startswith("Action."):
            found.append(element)
        for value in element.values():
            found += _actions(value)
    elif isinstance(element, list):
        for value in element:
            found += _actions(value)
    return found


def _first_action(card: dict[str, Any], verb: str) -> dict[str, Any]:
    return next(a for a in _actions(card) if a.get("verb") == verb)


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


if __name__ == "__main__":
    sys.exit(run_demo())
