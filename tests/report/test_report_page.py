"""The managers' report page: sections, languages, escaping, privacy and well-formed HTML."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from importlib import resources

import pytest

from bot.i18n import placeholders
from bot.i18n.catalogue import catalogue
from bot.summaries.report_page import render_report_page
from facilitation.disclosure import Withheld
from facilitation.policy import Policy
from facilitation.summaries import (
    BreakoutSummary,
    Count,
    EngagementSummary,
    GroupResult,
    PollSummary,
    QnaSummary,
    QuestionSummary,
    Reach,
    Sentiment,
    TrendPoint,
)
from tests.report.samples import HELD_ON, empty_summary, english_summary, german_summary

POLICY = Policy()  # the default disclosure policy
# The page's own texts ("report.*" in the catalogues), as plain texts per language.
PAGE_TEXT = {key.removeprefix("report."): {language: catalogue(language).messages[key]
                                           for language in ("en", "de")}
             for key, entry in catalogue("en").messages.items()
             if key.startswith("report.") and isinstance(entry, str)}
SECTIONS = ("polls", "qna", "themes", "sentiment", "breakouts", "trends", "privacy")
STRUCTURE = {"html", "head", "body", "main", "header", "section", "aside", "article", "figure",
             "figcaption", "svg", "title", "style", "h1", "h2", "h3", "p", "ul", "ol", "li",
             "div", "span", "strong", "footer", "text"}
VOID = {"meta", "br", "img", "link", "hr", "input"}
ATTACK = "<script>alert(1)</script>\" onmouseover=\"alert(2)"


class Structure(HTMLParser):
    """Checks that structural tags nest and close; collects the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in STRUCTURE:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)  # <rect/>, <circle/>: closed on the spot

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or tag not in STRUCTURE:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack[-1:] != ["style"]:
            self.text.append(data)


def parse(page: str) -> Structure:
    parser = Structure()
    parser.feed(page)
    parser.close()
    return parser


def visible_text(page: str) -> str:
    """The page's text with runs of ASCII whitespace as one space (no-break spaces stay)."""
    return re.sub(r"[ \t\r\n]+", " ", " ".join(parse(page).text)).strip()


def section(page: str, section_id: str) -> str:
    match = re.search(rf'<(section|aside) id="{section_id}".*?</\1>', page, re.S)
    assert match, f"no section {section_id}"
    return match.group(0)


def minimal_summary() -> EngagementSummary:
    """Some edge cases at once: unknown attendees, no topic, no average, no texts."""
    return EngagementSummary(
        title="Kurz", held_on=HELD_ON, reach=Reach(reached=4, attendees=0),
        polls=(PollSummary("Offene Frage?", "text", 3),),
        qna=QnaSummary(asked=1, open=1, top=(QuestionSummary("Eine Frage", 0, False),)),
        breakouts=BreakoutSummary(rounds=1, groups=2, reported=0),
        trends=(TrendPoint("1.", 0, 0, None), TrendPoint("2.", 4, 1, None)))


ALL_SUMMARIES = [german_summary(), english_summary(), empty_summary(), minimal_summary()]


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("summary", [german_summary(), english_summary()],
                         ids=["german", "english"])
def test_a_full_summary_has_every_section(summary: EngagementSummary, language):
    page = render_report_page(summary, language=language, policy=POLICY)
    for section_id in SECTIONS:
        assert f'id="{section_id}"' in page
    assert 'id="empty"' not in page
    assert page.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}">' in page
    assert '<meta charset="utf-8">' in page


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_tone_section_says_that_it_is_an_automatic_reading_that_misses_irony(language):
    """Measured on unseen texts (bench/sentiment.py): about 4 in 5 right, irony can be missed."""
    tone = visible_text(section(render_report_page(german_summary(), language=language,
                                                   policy=POLICY), "sentiment"))
    assert PAGE_TEXT["sentiment.caveat"][language] in tone
    assert {"de": "4 von 5", "en": "4 times in 5"}[language] in tone


def test_the_german_page_is_in_german():
    page = render_report_page(german_summary(), language="de", policy=POLICY)
    text = visible_text(page)
    for expected in ("Quartals-All-Hands Vertrieb", "Besprechung am 14. März 2025",
                     "Erreichte Personen: 18 von 25 (72\u00a0%)", "Umfragen",
                     "Fragen & Antworten", "Beteiligung: 15 Stimmen",
                     "Durchschnittliche Bewertung: 4,1 von 5", "Gestellt: 12",
                     "Noch offen: bitte nachfassen", "Themen", "Stimmung",
                     "Positiv: 9 (50\u00a0%)", "Neutral: 6 (33\u00a0%)", "Negativ: 3 (17\u00a0%)",
                     "Runde 1 · Gruppe 2", "Ohne Thema", "Verlauf über die Reihe",
                     "Was gemessen wird und was nicht", "Komplett remote: 2",
                     "18 Personen · 3 Umfragen · 12 Fragen · 3 Breakout-Gruppen",
                     "11.10.", "14.3."):  # the headline; trend days as German writes them
        assert expected in text
    english_only = [entry["en"] for entry in PAGE_TEXT.values()
                    if entry["en"] != entry["de"] and not placeholders(entry["en"])]
    assert [phrase for phrase in english_only
            if re.search(rf"\b{re.escape(phrase)}\b", text)] == []


def test_the_english_page_is_in_english_and_counts_one_vote_singular():
    text = visible_text(render_report_page(english_summary(), language="en", policy=POLICY))
    for expected in ("Meeting on 3 June 2025", "People reached: 11", "Turnout: 11 ballots",
                     "Deployments: 7 (64%)", "1 vote", "Still open: follow up on these",
                     "Release cadence", "Runbooks for every alert", "No key points.",
                     "Across the series", "on-call",
                     "11 people · 1 poll · 4 questions · 4 breakout groups", "06/05", "03/06"):
        assert expected in text
    assert "People reached: 11 of" not in text
    assert "1 votes" not in text


def test_reach_without_attendees_has_no_ring_chart():
    page = render_report_page(english_summary(), language="en", policy=POLICY)
    assert 'class="ring"' not in page
    assert 'class="ring"' in render_report_page(german_summary(), language="en", policy=POLICY)


def malicious_summary() -> EngagementSummary:
    return EngagementSummary(
        title=ATTACK, held_on=HELD_ON, reach=Reach(reached=9, attendees=10),
        polls=(PollSummary(ATTACK, "single", 9, (Count(ATTACK, 5), Count("Nein", 4))),),
        qna=QnaSummary(asked=3, open=3, top=(QuestionSummary(ATTACK, 3, False),),
                       open_items=(QuestionSummary(ATTACK, 3, False),)),
        themes=(Count(ATTACK, 4),),
        sentiment=Sentiment(positive=1, neutral=1, negative=1),
        breakouts=BreakoutSummary(rounds=1, groups=1, reported=1,
                                  results=(GroupResult(1, 1, ATTACK, (ATTACK,), note=ATTACK),)),
        trends=(TrendPoint(ATTACK, 3, 1, 0.5), TrendPoint(ATTACK, 4, 2, 0.5)))


@pytest.mark.parametrize("language", ["de", "en"])
def test_user_text_is_escaped_everywhere(language):
    page = render_report_page(malicious_summary(), language=language, policy=POLICY)
    assert "<script" not in page.lower()
    assert "onmouseover=\"" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34; onmouseover=&#34;alert(2)" in page
    assert "<script>alert(1)</script>" in visible_text(page)
    assert parse(page).problems == []


@pytest.mark.parametrize("language", ["de", "en"])
def test_an_empty_summary_is_a_friendly_page(language):
    summary = empty_summary()
    assert summary.is_empty
    page = render_report_page(summary, language=language, policy=POLICY)
    text = visible_text(page)
    assert PAGE_TEXT["empty.title"][language] in text
    assert PAGE_TEXT["privacy.title"][language] in text
    assert "Weekly sync" in text
    assert "<svg" not in page
    for section_id in SECTIONS[:-1]:
        assert f'id="{section_id}"' not in page
    assert parse(page).problems == []


@pytest.mark.parametrize(("points", "shown"), [(0, False), (1, False), (2, True), (5, True)])
def test_trends_need_at_least_two_meetings(points: int, shown: bool):
    trends = tuple(TrendPoint(f"{day}.03.", 10 + day, day, 0.5) for day in range(points))
    page = render_report_page(replace(german_summary(), trends=trends), language="de",
                              policy=POLICY)
    assert ('id="trends"' in page) is shown


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("summary", ALL_SUMMARIES, ids=["german", "english", "empty", "minimal"])
def test_no_none_and_no_unfilled_placeholder(summary: EngagementSummary, language):
    page = render_report_page(summary, language=language, policy=POLICY)
    assert "None" not in page
    assert re.search(r"\{[A-Za-z_]+\}", page) is None
    assert parse(page).problems == []


def test_a_withheld_poll_shows_its_turnout_but_no_results():
    poll = PollSummary("Geheime Frage?", "rating", 2, (Count("Option-Zebra", 2),), average=4.5,
                       withheld=Withheld.TOO_FEW)
    page = render_report_page(replace(german_summary(), polls=(poll,)), language="de",
                              policy=POLICY)
    article = visible_text(section(page, "polls"))
    assert "Beteiligung: 2 Stimmen" in article
    assert "Ergebnisse zurückgehalten: weniger als 3 Stimmen." in article
    assert "Option-Zebra" not in page
    assert "4,5" not in page
    assert "<svg" not in section(page, "polls")


def test_the_page_names_no_participant():
    participants = ["Anna Berger", "Ben Okafor", "29:1f3c9a7e-participant-mri",
                    "8d2f6b1e-4c3a-4e8b-9f21-0a7c5d3e9b10", "clara.schmidt@example.com"]
    for language in ("de", "en"):
        page = render_report_page(german_summary(), language=language, policy=POLICY)
        assert [name for name in participants if name.lower() in page.lower()] == []
    text = visible_text(render_report_page(german_summary(), language="de", policy=POLICY))
    assert "präsentiert" not in text and "moderiert" not in text


def test_the_privacy_box_says_what_is_not_measured():
    page = render_report_page(german_summary(), language="en", policy=POLICY)
    text = visible_text(section(page, "privacy"))
    for phrase in ("Only aggregates", "No figures about individual people",
                   "fewer than 3 ballots show no results", "cannot be traced back",
                   "No names, except in questions", "breakout group is not listed"):
        assert phrase in text


@pytest.mark.parametrize("summary", ALL_SUMMARIES, ids=["german", "english", "empty", "minimal"])
def test_the_page_is_self_contained(summary: EngagementSummary):
    page = render_report_page(summary, language="de", policy=POLICY).lower()
    for forbidden in ("<script", "<link", "<img", "<iframe", "src=", "href=", "url(",
                      "@import", "http:", "https:", "//"):
        assert forbidden not in page
    assert "default-src 'none'" in page


def test_every_chart_is_accessible_and_has_its_figures_in_text():
    page = render_report_page(german_summary(), language="de", policy=POLICY)
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", page, re.S)
    assert len(svgs) == 8  # reach ring, two polls (one withheld), Q&A, tone, three trends
    for svg in svgs:
        assert 'role="img"' in svg
        assert re.search(r'aria-label="[^"]+"', svg)
        assert re.search(r"<title>[^<]+</title>", svg)
    figures = re.findall(r'<figure class="chart"><svg.*?</svg><figcaption>(.*?)</figcaption>',
                         page, re.S)
    assert len(figures) == len(svgs) - 1  # all but the ring, whose figure is the reach line
    assert "Gestellt: <strong>12</strong>" in page


def test_the_page_prints_well():
    page = render_report_page(german_summary(), language="de", policy=POLICY)
    assert "@media print" in page
    assert "@page { size: A4" in page
    assert "break-inside: avoid" in page
    printed = page[page.index("@media print"):]
    assert "background: #ffffff" in printed


def test_the_structural_tags_balance():
    parsed = parse(render_report_page(german_summary(), language="de", policy=POLICY))
    assert parsed.problems == []
    assert parsed.stack == []
    assert parsed.tags.count("section") == 6
    assert parsed.tags.count("aside") == 1
    assert parsed.tags.count("main") == 1


@pytest.mark.parametrize("key", sorted(PAGE_TEXT))
def test_page_texts_have_both_languages_with_the_same_placeholders(key: str):
    entry = PAGE_TEXT[key]
    assert entry["en"].strip() and entry["de"].strip()
    assert placeholders(entry["en"]) == placeholders(entry["de"])


def attack(field: str) -> str:
    return f'<script>alert("{field}")</script><img src=x onerror=alert(1)>\' x="'


def one_attack(field: str) -> EngagementSummary:
    """A full summary with markup in one user-controlled field only."""
    text = attack(field)
    base = german_summary()
    if field == "meeting title":
        return replace(base, title=text)
    if field == "poll question":
        return replace(base, polls=(replace(base.polls[0], question=text), *base.polls[1:]))
    if field == "poll option":
        poll = base.polls[0]
        return replace(base, polls=(replace(poll, results=(Count(text, 8), *poll.results[1:])),))
    if field == "open answer":
        return replace(base, polls=(PollSummary("Was fehlt?", "text", 9,
                                                (Count(text, 5), Count("Zeit", 4))),))
    if field in ("top question", "open question"):
        question = QuestionSummary(text, 4, False)
        qna = (replace(base.qna, top=(question,)) if field == "top question"
               else replace(base.qna, open_items=(question,)))
        return replace(base, qna=qna)
    if field == "theme":
        return replace(base, themes=(Count(text, 5), *base.themes))
    if field in ("group topic", "group point", "group note"):
        group = GroupResult(1, 1, text if field == "group topic" else "Thema",
                            (text,) if field == "group point" else ("Punkt",),
                            note=text if field == "group note" else "")
        return replace(base, breakouts=replace(base.breakouts, results=(group,)))
    assert field == "series label"
    return replace(base, trends=(TrendPoint(text, 15, 8, 0.4), *base.trends[1:]))


USER_FIELDS = ("meeting title", "poll question", "poll option", "open answer", "top question",
               "open question", "theme", "group topic", "group point", "group note",
               "series label")


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("field", USER_FIELDS)
def test_markup_in_any_user_controlled_text_is_escaped_on_the_page(field: str, language: str):
    page = render_report_page(one_attack(field), language=language, policy=POLICY)
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert f"&lt;script&gt;alert(&#34;{field}&#34;)&lt;/script&gt;&lt;img" in page
    assert attack(field) in visible_text(page)
    assert parse(page).problems == []
    assert parse(page).stack == []


def test_the_stylesheet_is_the_package_file_inlined_as_it_is():
    stylesheet = resources.files("bot.summaries").joinpath("templates/report.css")
    css = stylesheet.read_text(encoding="utf-8")
    page = render_report_page(german_summary(), language="de", policy=POLICY)
    assert "@media print" in css
    assert f"<style>\n{css}</style>" in page
