"""The real client: the Microsoft 365 Agents Playground, in headless Chromium, drives the running
bot (`resonanz serve` as a process) through its web UI: the welcome and `help`, a poll voted on
by clicking the card, the shared card edited for everyone, the Q&A board asked on and upvoted.

The Playground has one signed-in user, so the two other votes that lift the poll over its
anonymity threshold come from other chat members through the Playground's own local route
(`POST /_conversation/v1/invoke`, the call its UI makes for a click, with another `from`)."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from devtools.local_connector import free_port
from devtools.playground import (
    BOT_NAME,
    CURRENT_USER,
    PlaygroundError,
    Running,
    playground_cli,
    start,
)
from tests.report.test_report_in_chromium import CHROMIUM, CHROMIUM_ARGS, _playwright

pytestmark = pytest.mark.playground

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "playground-poll.png"
WAIT_MS = 15_000
# English UI and replies whatever the machine's locale; quick card edits.
ENVIRONMENT = {"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "TZ": "UTC",
               "RESONANZ_EDIT_INTERVAL": "0.5", "LOG_LEVEL": "INFO"}
HELP_TITLE = "Resonanz: what I can do"
# An access log line, with or without the client address and protocol.
ACCESS_LINE = re.compile(
    r'(?P<method>GET|HEAD|POST|PUT|DELETE) (?P<path>/\S*)(?: HTTP/[\d.]+")? (?P<status>\d{3})\b')


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _require_node() -> None:
    """Skip with the reason without Node (or without npm to install the Playground); in CI,
    where .ci/run installs them, fail instead: a skipped end-to-end test tests nothing."""
    missing = None
    if shutil.which("node") is None:
        missing = "Node.js is not installed (node is not on PATH)"
    elif not playground_cli().exists() and shutil.which("npm") is None:
        missing = "the Playground is not in node_modules and npm is not installed to get it"
    if missing is None:
        return
    message = (f"{missing}: the Microsoft 365 Agents Playground test needs Node.js 20 and npm "
               f"(e.g. `apt-get install nodejs npm`, then `npm ci`)")
    if _in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture
def playground(tmp_path: Path) -> Iterator[Running]:
    """The bot (its own process, SQLite in tmp_path) and the Playground, both on 127.0.0.1."""
    _require_node()
    bot_port = free_port()
    playground_port = free_port()
    while playground_port == bot_port:
        playground_port = free_port()
    try:
        running = start(bot_port=bot_port, playground_port=playground_port, workdir=tmp_path,
                        env=ENVIRONMENT, quiet=True)
    except PlaygroundError as error:
        pytest.fail(f"the Playground did not start: {error}", pytrace=False)
    try:
        yield running
    finally:
        running.stop()


@asynccontextmanager
async def _playground_page(running: Running) -> AsyncIterator[tuple[Any, list[str]]]:
    """The Playground's page in headless Chromium; requests leaving 127.0.0.1 are blocked (its
    page asks a CDN for fonts) and listed, uncaught page errors are collected."""
    async_playwright = _playwright()
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    base = running.playground_url
    errors: list[str] = []

    async def only_local(route: Any) -> None:
        if route.request.url.startswith(base + "/") or route.request.url == base:
            await route.continue_()
        else:
            await route.abort()

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 1000},
                                          locale="en-US", timezone_id="UTC")
            page.set_default_timeout(WAIT_MS)
            await page.route("**/*", only_local)
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(base, wait_until="load")
            yield page, errors
        finally:
            await browser.close()


async def _say(page: Any, text: str) -> None:
    """Write in the open group chat, @mentioning the bot as a group chat requires."""
    await page.locator("[data-lexical-editor=true]").click()
    await page.keyboard.type("@" + BOT_NAME[:3])
    await page.get_by_role("menuitem", name=BOT_NAME).click()
    await page.keyboard.type(" " + text)
    await page.keyboard.press("Enter")


def _cards(page: Any, containing: str) -> Any:
    return page.locator(".ac-adaptiveCard").filter(has_text=containing)


async def _click_card_button(page: Any, card: Any, name: str) -> dict[str, Any]:
    """Click an Action.Execute button; returns the invoke the UI sent and the bot's answer."""
    async with page.expect_response("**/_conversation/v1/invoke") as answered:
        await card.get_by_role("button", name=name).click()
    response = await answered.value
    assert response.status == 200, await response.text()
    return {"sent": json.loads(response.request.post_data or "{}"),
            "answer": await response.json()}


async def _vote_as(running: Running, who: str, sent: dict[str, Any], choice: str) -> None:
    """Another chat member clicks Vote: the Playground's own route for a card click."""
    action = dict(sent["value"]["action"])
    action["data"] = {**action["data"], "rz_choice": choice}
    invoke = {**sent, "from": {"id": who}, "value": {"action": action}}
    async with aiohttp.ClientSession() as session, session.post(
            f"{running.playground_url}/_conversation/v1/invoke", json=invoke) as response:
        body = await response.text()
        assert response.status == 200, body
    assert "You voted: " in body, body


async def _shows(locator: Any, text: str) -> None:
    from playwright.async_api import expect

    await expect(locator).to_contain_text(text, timeout=WAIT_MS)


async def _counts(locator: Any, count: int) -> None:
    from playwright.async_api import expect

    await expect(locator).to_have_count(count, timeout=WAIT_MS)


async def test_the_playground_drives_help_a_poll_votes_and_the_qna_board(playground: Running):
    async with _playground_page(playground) as (page, page_errors):
        await page.get_by_text("Team meeting chat").click()
        # The Playground installs the app in the chat; the bot welcomes with its help card.
        await _counts(_cards(page, HELP_TITLE), 1)
        await _say(page, "help")
        await _counts(_cards(page, HELP_TITLE), 2)

        await _say(page, "poll Lunch? | Pizza | Salad")
        poll = _cards(page, "Lunch?").last
        await _shows(poll, "No votes yet")
        await poll.get_by_role("radio", name="Salad").check()
        vote = await _click_card_button(page, poll, "Vote")
        assert vote["sent"]["name"] == "adaptiveCard/action"
        assert vote["sent"]["value"]["action"]["verb"] == "poll.vote"
        receipt = json.dumps(vote["answer"], ensure_ascii=False)
        assert "You voted: " in receipt and "Salad" in receipt
        # The bot edits the shared card through the Playground's connector (PUT). The answer to
        # the click replaces the card for the clicker (as in Teams), so whether the clicker sees
        # the first edit depends on which reaches the page first; every later edit comes after.
        await _vote_as(playground, "user-id-1", vote["sent"], "0")
        await _shows(poll, "2 votes")
        await _shows(poll, "Results appear from 3 votes")
        await _vote_as(playground, "user-id-2", vote["sent"], "0")
        await _shows(poll, "3 votes")
        await _shows(poll, "67% (2)")
        await _shows(poll, "33% (1)")
        await _keep_screenshot(page, poll)

        await _say(page, "questions")
        board = _cards(page, "Questions & answers").last
        await _shows(board, "No open questions yet")
        await board.get_by_label("Your question").fill("Can we have a vegetarian option?")
        asked = await _click_card_button(page, board, "Ask anonymously")
        assert asked["sent"]["value"]["action"]["verb"] == "qna.ask"
        await _shows(board, "Can we have a vegetarian option?")
        await _shows(board, "1 asked")
        await _shows(board, "▲ 0")
        upvoted = await _click_card_button(page, board, "▲ Upvote")
        assert upvoted["sent"]["value"]["action"]["verb"] == "qna.upvote"
        assert "✓ Upvoted" in json.dumps(upvoted["answer"], ensure_ascii=False)
        await _shows(board, "▲ 1")
        assert "Alex" not in await board.inner_text()  # asked anonymously

    assert page_errors == []
    _assert_bot_log_clean(playground)


async def _keep_screenshot(page: Any, card: Any, margin: int = 12) -> None:
    """docs/playground-poll.png, the card with a little of the chat around it: rewritten only
    with UPDATE_SCREENSHOTS=1."""
    box = await card.bounding_box()
    assert box is not None
    image = await page.screenshot(clip={
        "x": box["x"] - margin, "y": box["y"] - margin,
        "width": box["width"] + 2 * margin, "height": box["height"] + 2 * margin})
    assert image.startswith(b"\x89PNG") and len(image) > 5_000
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(image)
    assert SCREENSHOT.exists(), f"{SCREENSHOT} is missing: run UPDATE_SCREENSHOTS=1 make test"


def _assert_bot_log_clean(running: Running) -> None:
    """The bot answered every request without an error, and logged none."""
    lines = running.bot_log.read_text(encoding="utf-8").splitlines()
    answers = [(match["method"], match["path"], int(match["status"])) for line in lines
               if "aiohttp.access" in line and (match := ACCESS_LINE.search(line))]
    assert ("POST", "/api/messages", 200) in answers, lines  # the card clicks
    # HEAD is the Playground probing whether the bot is up; 405 is fine for that.
    failed = [answer for answer in answers if answer[2] >= 400 and answer[0] != "HEAD"]
    assert failed == [], failed
    problems = [line for line in lines if " ERROR " in line or " WARNING " in line
                or "Traceback" in line]
    assert problems == [], problems
    assert not [line for line in lines if CURRENT_USER in line], "a Teams id was logged"
