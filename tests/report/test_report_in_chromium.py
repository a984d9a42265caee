"""The report page in headless Chromium: charts render, nothing leaves 127.0.0.1, it prints."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.summaries.report_page import render_report_page
from facilitation.policy import Policy
from facilitation.summaries import QnaSummary, QuestionSummary
from tests.journeys.helpers import walk
from tests.journeys.test_breakout_journey import action
from tests.journeys.test_disclosure_policy import report_page
from tests.journeys.test_honest_summary import ORGANIZER, scripted_meeting
from tests.journeys.test_summary_journey import end_meeting
from tests.report.samples import german_summary

POLICY = Policy()  # the default disclosure policy
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "report-screenshot.png"
A4_WIDTH_PX = 794  # 210 mm at 96 dpi


def _unavailable(reason: str) -> None:
    """Fail in CI (a browser test that silently skips tests nothing), skip elsewhere."""
    message = (f"{reason}. Install it with `apt-get install chromium fonts-dejavu-core` and "
               f"`pip install -e '.[test]'` (never `playwright install`); .ci/run does both.")
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _playwright() -> Any:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed")
    if not CHROMIUM.exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM}")
    return async_playwright


@dataclass
class Served:
    """Pages served on 127.0.0.1: `url(name)` for the page `name`."""

    base: str
    pages: dict[str, str] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    pages: dict[str, str] = {}

    async def page(request: web.Request) -> web.Response:
        body = pages.get(request.match_info["name"])
        if body is None:
            return web.Response(status=204)  # e.g. the browser's own favicon request
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/{name}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield Served(f"http://{host}:{port}", pages)
    finally:
        await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async_playwright = _playwright()
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class Watched:
    """What a page did while loading: console errors, uncaught errors, requests, dialogs."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


async def _open(browser: Any, url: str, *, width: int = 960) -> tuple[Any, Watched]:
    page = await browser.new_page(viewport={"width": width, "height": 900})
    watched = Watched()
    page.on("console", lambda message: message.type == "error"
            and watched.errors.append(message.text))
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    page.on("request", lambda request: watched.requests.append(request.url))

    async def dismiss(dialog: Any) -> None:
        watched.dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", dismiss)
    response = await page.goto(url, wait_until="load")
    assert response is not None and response.ok
    return page, watched


async def _chart_boxes(page: Any) -> list[dict[str, float] | None]:
    return [await chart.bounding_box() for chart in await page.query_selector_all("svg")]


async def test_the_charts_render_with_no_errors_and_no_outside_requests(browser, served):
    served.pages["report"] = render_report_page(german_summary(), language="de", policy=POLICY)
    page, watched = await _open(browser, served.url("report"))

    boxes = await _chart_boxes(page)
    assert len(await page.query_selector_all("svg[role=img]")) == len(boxes) >= 8
    assert all(box and box["width"] > 0 and box["height"] > 0 for box in boxes), boxes
    assert await page.title() == "Zusammenfassung der Beteiligung: Quartals-All-Hands Vertrieb"
    assert watched.errors == []
    assert watched.requests and all(url.startswith(served.base + "/")
                                    for url in watched.requests), watched.requests


PHONE = 400  # px: a small phone held upright


async def _overlapping_ticks(page: Any) -> list[tuple[str, str]]:
    """Pairs of neighbouring axis labels of a trend chart whose boxes overlap."""
    found = []
    for chart in await page.query_selector_all("svg.line"):
        ticks = [(await tick.text_content(), await tick.bounding_box())
                 for tick in await chart.query_selector_all(".tick")]
        for (a, box_a), (b, box_b) in itertools.pairwise(ticks):
            assert box_a and box_b
            if box_a["x"] + box_a["width"] > box_b["x"]:
                found.append((a, b))
    return found


async def test_six_meetings_of_trends_read_on_a_400px_phone_without_overlapping_dates(
        browser, served):
    served.pages["report"] = render_report_page(german_summary(), language="de", policy=POLICY)
    page, watched = await _open(browser, served.url("report"), width=PHONE)
    assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    ticks = await page.query_selector_all("svg.line .tick")
    assert len(ticks) == 3 * 6
    assert await _overlapping_ticks(page) == []
    heights = [(await tick.bounding_box() or {}).get("height", 0) for tick in ticks]
    assert min(heights) >= 9, heights  # still legible once the chart is scaled down
    assert watched.errors == []


async def test_the_scripted_meeting_report_on_a_desktop_and_a_phone(browser, served, bot):
    """The report of tests/journeys/test_honest_summary.py's meeting, as a manager opens it;
    its screenshot is docs/report-screenshot.png."""
    await scripted_meeting(bot)
    served.pages["meeting"] = await report_page(bot, await end_meeting(bot))
    page, watched = await _open(browser, served.url("meeting"), width=PHONE)
    assert await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    text = await page.inner_text("main")
    assert "7 people · 4 polls · 4 questions" in text and "Dissatisfied" in text
    assert watched.errors == []
    page, _ = await _open(browser, served.url("meeting"))
    await _save_screenshot(page)


async def test_malicious_text_stays_text_in_the_browser(browser, served):
    attack = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    summary = replace(german_summary(), title=attack, qna=QnaSummary(
        asked=3, open=3, top=(QuestionSummary(attack, 4, False),)))
    served.pages["attack"] = render_report_page(summary, language="de", policy=POLICY)
    page, watched = await _open(browser, served.url("attack"))

    assert watched.dialogs == []
    assert await page.inner_text("h1") == attack
    assert await page.query_selector_all("script") == []
    assert await page.query_selector_all("img") == []
    assert all(url.startswith(served.base + "/") for url in watched.requests)


async def test_the_print_layout_fits_a4_on_a_white_background(browser, served):
    served.pages["report"] = render_report_page(german_summary(), language="de", policy=POLICY)
    page, _ = await _open(browser, served.url("report"), width=A4_WIDTH_PX)
    await page.emulate_media(media="print")

    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
    breaks = await page.evaluate(
        "[...document.querySelectorAll('section, aside')]"
        ".map(s => getComputedStyle(s).breakInside)")
    assert breaks and set(breaks) == {"avoid"}
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0

    pdf = await page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 1


async def _save_screenshot(page: Any) -> None:
    """docs/report-screenshot.png: written when missing or when UPDATE_SCREENSHOTS=1."""
    if SCREENSHOT.exists() and os.environ.get("UPDATE_SCREENSHOTS") != "1":
        return
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOT), full_page=True)


async def test_the_real_route_renders_under_its_own_security_headers_and_refuses_frames(
        browser, served, bot):
    """Served by the bot itself, with its Content-Security-Policy: nothing the page needs is
    blocked (a blocked style or image is a console error), and a page framing it shows
    nothing of it."""
    await scripted_meeting(bot)
    card = await end_meeting(bot)
    meeting_id = action(card, "summary.report_link")["data"]["meeting"]
    link = await bot.click(ORGANIZER, "summary.report_link", {"meeting": meeting_id})
    url = next(a["url"] for a in walk(link["value"]) if a.get("type") == "Action.OpenUrl")
    real = str(bot.client.make_url("/" + url.split("://", 1)[1].split("/", 1)[1]))
    page, watched = await _open(browser, real)
    boxes = await _chart_boxes(page)
    assert boxes and all(box and box["width"] > 0 and box["height"] > 0 for box in boxes)
    # report.css applies (body 15px, h1 1.9em), and the inline style attributes too
    assert await page.evaluate("getComputedStyle(document.querySelector('h1')).fontSize") \
        == "28.5px"
    assert await page.evaluate("[...document.querySelectorAll('[style]')]"
                               ".every(e => e.style.length > 0)")
    assert watched.errors == []

    served.pages["plain"] = await page.content()  # the same page without the headers
    served.pages["framing"] = (f'<!DOCTYPE html><iframe src="{real}"></iframe>'
                               f'<iframe src="{served.url("plain")}"></iframe>')
    framing = await browser.new_page()
    await framing.goto(served.url("framing"), wait_until="load")
    frame, plain = [f for f in framing.frames if f != framing.main_frame]
    assert plain.url == served.url("plain")  # a frame as such works: the headers refuse it
    assert frame.url != real and frame.url.startswith("chrome-error:"), frame.url  # refused
    assert await page.title() not in await frame.content()
