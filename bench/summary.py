"""The summary of a big meeting: `python -m bench.summary` (part of `make bench`).

  F  a meeting of 1,000 people (all present, all reached) with 2,000 questions on its Q&A board
     (4,000 upvotes; some answered, some dismissed) and five polls answered by ~90% (three single
     choice, a rating, an open text): how long `summary` takes
     - through the endpoint: the `summary` chat message posted to the real /api/messages of a
       Resonanz process started on that database (same setup as bench/load.py), several runs:
       time until the HTTP answer and until the summary card reaches the connector, p50/p99,
       the connector's requests, the process's RSS after start and its peak (VmHWM), and the
       longest answer to /healthz (asked every 20 ms) while a summary is computed: how long the
       bot answers nothing else;
     - in a separate process, the service alone: bot.summaries.gathering.build_summary and
       render_summary_card, p50/p99 over the runs, then one more run under tracemalloc for the
       peak of Python allocations, and that process's VmHWM.

The meeting is written straight through the storage layer's repositories (much faster than
10,000 requests), with the shapes the handlers give it: a chat, a current meeting with presence
and participation keys, polls with ballots, a board with questions and upvotes.

Options: --quick (small sizes, for trying it out), --json PATH (write the figures).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench.load import (
    ROOT,
    Bench,
    Outcome,
    Row,
    Say,
    cli,
    client,
    launch,
    log_errors,
    peak_rss_mb,
    percentile,
    post,
    print_machine,
    print_table,
    summary,
)
from devtools.simulation import Participant

CONVERSATION = "19:meeting_YmVuY2gtdG93bmhhbGw@thread.v2"
TEAMS_MEETING = "MCMxOTptZWV0aW5nX0JlbmNoVG93bmhhbGxAdGhyZWFkLnYyIzA="


Sizes = SimpleNamespace  # people, questions, upvotes per person, poll turnout, runs of `summary`
FULL = Sizes(people=1_000, questions=2_000, upvotes_per_person=4, turnout=0.9, runs=7)
QUICK = Sizes(people=200, questions=300, upvotes_per_person=4, turnout=0.9, runs=3)

# ---------------------------------------------------------------------------- the meeting's data
TOPICS = ("the new office in Leipzig", "the budget for next year", "remote work", "the reorg",
          "salaries and inflation", "the AI tools policy", "customer data", "the hiring freeze",
          "the product roadmap", "the release schedule", "on-call duty", "the travel policy",
          "training budgets", "the Berlin team", "parental leave", "the merger",
          "the quarterly targets", "team offsites", "the bonus scheme", "security audits",
          "the cloud migration", "the support backlog", "pricing", "our competitors")
OPENERS = ("When will we hear more about", "Why did nobody explain", "Can we talk about",
           "What is the plan for", "How does the board see", "Who decides on",
           "Is there an update on", "I am worried about", "Great news about",
           "I am frustrated with the communication on", "Thanks for being open about",
           "What happens next with")
TAILS = ("?", " this quarter?", " for our team?", " before the summer?", " and what it means "
         "for us?", " — the rumours are confusing.", ", it matters a lot to us.", "?")
GERMAN = ("Wann gibt es Neuigkeiten zum Umzug nach Leipzig?", "Warum wurde das Budget gekürzt?",
          "Bleibt Homeoffice an zwei Tagen möglich?", "Ich mache mir Sorgen um die Stellen.",
          "Danke für die offenen Worte zur Strategie!", "Wer entscheidet über die Boni?")
WORDS = ("busy", "exciting", "stressful", "productive", "chaotic", "promising", "tiring",
         "good", "hectic", "great", "uncertain", "solid", "intense", "fun", "difficult")
POLLS = (("How clear is our strategy to you?", ("Very clear", "Somewhat", "Not clear")),
         ("Which topic should the next town hall cover?",
          ("Roadmap", "Budget", "Hiring", "Culture")),
         ("Did you read the quarterly report?", ("Yes", "Partly", "No")))


def question_texts(count: int, rng: random.Random) -> list[str]:
    texts = []
    for index in range(count):
        if index % 5 == 4:
            texts.append(rng.choice(GERMAN))
        else:
            texts.append(f"{rng.choice(OPENERS)} {rng.choice(TOPICS)}{rng.choice(TAILS)}")
    return texts


def key(scope: str, number: int) -> str:
    """A stand-in for the bot's HMAC keys: one per person and scope (only counts matter)."""
    return hashlib.sha256(f"bench|{scope}|{number}".encode()).hexdigest()


async def build_meeting(database_url: str, service_url: str, sizes: Sizes) -> dict[str, Any]:
    """Writes the meeting through the storage layer; returns what was written."""
    from facilitation.polls import BallotChoice, PollDraft, PollKind, open_poll
    from facilitation.qna import Board, BoardMode, ask, dismiss, mark_answered
    from storage.breakout_repository import RoundMember
    from storage.database import create_engine, create_schema
    from storage.meeting_repository import Meeting
    from storage.qna_repository import StoredBoard
    from storage.repositories import Chat, Storage, StoredPoll

    rng = random.Random(1000)
    now = datetime.now(UTC)
    started = now - timedelta(hours=2)
    people = [Participant.numbered(n) for n in range(sizes.people)]
    engine = create_engine(database_url)
    await create_schema(engine)
    storage = Storage(engine)
    meeting_id, board_id = "bench-meeting", "bench-board"
    written = {"people": len(people), "polls": 0, "ballots": 0, "questions": 0, "upvotes": 0}
    async with storage.unit_of_work() as uow:
        await uow.chats.remember(Chat(CONVERSATION, service_url, meeting_id=TEAMS_MEETING))
        await uow.meetings.add(Meeting(id=meeting_id, conversation_id=CONVERSATION,
                                       started_at=started, teams_meeting_id=TEAMS_MEETING,
                                       title="Bench town hall"))
        for number, person in enumerate(people):
            await uow.breakouts.set_presence(
                CONVERSATION, TEAMS_MEETING,
                RoundMember(person.mri, person.name, person.aad_object_id), True)
            await uow.meetings.took_part(meeting_id, key(f"meeting:{meeting_id}", number))
        drafts = [PollDraft(question, options) for question, options in POLLS]
        drafts += [PollDraft("How would you rate this town hall?", kind=PollKind.RATING),
                   PollDraft("One word for this quarter?", kind=PollKind.TEXT)]
        for index, draft in enumerate(drafts):
            poll = open_poll(draft, poll_id=f"bench-poll-{index}",
                             now=started + timedelta(minutes=10 + 15 * index))
            await uow.polls.add(StoredPoll(poll, CONVERSATION, key("creator", index),
                                           meeting_id=TEAMS_MEETING))
            for number in range(sizes.people):
                if rng.random() >= sizes.turnout:
                    continue
                if draft.kind is PollKind.TEXT:
                    choice = BallotChoice(text=rng.choice(WORDS[: 3 + number % len(WORDS)]))
                else:
                    options = len(poll.options)
                    choice = BallotChoice(mask=1 << min(int(rng.expovariate(0.8)), options - 1))
                await uow.ballots.cast(poll.id, key(f"poll:{poll.id}", number), choice)
                written["ballots"] += 1
            written["polls"] += 1
        board = Board(id=board_id, mode=BoardMode.OPEN, created_at=started)
        await uow.qna.add_board(StoredBoard(board, CONVERSATION, key("board-creator", 0),
                                            meeting_id=TEAMS_MEETING))
        ids = []
        span = (now - started - timedelta(minutes=1)) / max(1, sizes.questions)
        for index, text in enumerate(question_texts(sizes.questions, rng)):
            asked_at = started + span * index
            question = ask(board, text, question_id=f"bench-q-{index}", now=asked_at)
            if index % 10 == 0:
                question = mark_answered(question, now=asked_at + timedelta(minutes=1))
            elif index % 50 == 1:
                question = dismiss(question)
            await uow.qna.add_question(question)
            ids.append(question.id)
        # Popular questions are very popular: upvotes follow a Zipf-like curve.
        weights = [1 / (rank + 1) for rank in range(len(ids))]
        for number in range(sizes.people):
            for question_id in set(rng.choices(ids, weights, k=sizes.upvotes_per_person)):
                await uow.qna.upvote(question_id, key(f"board:{board_id}", number))
                written["upvotes"] += 1
        written["questions"] = len(ids)
        await uow.commit()
    await storage.close()
    return written


# ---------------------------------------------------------------------------- the service alone
async def time_service(database_url: str, runs: int) -> dict[str, Any]:
    """build_summary + render_summary_card on the meeting, `runs` times, then once traced."""
    from bot.summaries.cards import render_summary_card
    from bot.summaries.gathering import build_summary
    from facilitation.policy import Policy
    from storage.database import create_engine
    from storage.repositories import Storage

    storage = Storage(create_engine(database_url))
    policy = Policy()

    async def once() -> tuple[float, float, int]:
        async with storage.unit_of_work() as uow:
            meeting = await uow.meetings.current(CONVERSATION)
            assert meeting is not None
            start = time.perf_counter()
            built = await build_summary(uow, meeting, now=datetime.now(UTC),
                                        policy=policy)
            middle = time.perf_counter()
            card = render_summary_card(built, meeting_id=meeting.id, language="en",
                                       policy=policy)
            end = time.perf_counter()
        return middle - start, end - middle, len(json.dumps(card))

    timings = [await once() for _ in range(runs)]
    tracemalloc.start()
    await once()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    await storage.close()
    return {"build_s": [t[0] for t in timings], "render_s": [t[1] for t in timings],
            "card_bytes": timings[-1][2], "tracemalloc_peak_mb": traced_peak / 2**20,
            "vm_hwm_mb": peak_rss_mb()}


def service_in_child(database_url: str, runs: int) -> dict[str, Any]:
    """Runs time_service in a fresh process, so its VmHWM is the summary's alone."""
    done = subprocess.run([sys.executable, "-m", "bench.summary", "--service", database_url,
                           str(runs)], cwd=ROOT, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# ---------------------------------------------------------------------------- through the endpoint
async def probe(bench: Bench, stop: asyncio.Event) -> float:
    """Asks /healthz over and over until `stop`; returns the longest answer time (s): how long
    the bot's event loop answered nothing else."""
    url = bench.resonanz_url.replace("/api/messages", "/healthz")
    longest = 0.0
    while not stop.is_set():
        start = time.monotonic()
        async with bench.http.get(url) as response:
            await response.read()
        longest = max(longest, time.monotonic() - start)
        await asyncio.sleep(0.02)
    return longest


async def through_endpoint(bench: Bench, runs: int, say: Say) -> dict[str, Any]:
    before = await bench.outbound()
    outcome, card_s, sizes, stalls = Outcome(), [], [], []
    message = bench.chat.message(Participant.numbered(0), "summary")
    for run in range(runs):
        posted = len(await bench.get("posts"))
        message["id"] = f"bench-summary-{run}"
        stop = asyncio.Event()
        probing = asyncio.create_task(probe(bench, stop))
        await asyncio.sleep(0.1)
        sent = time.monotonic()
        status = await post(bench.http, bench.resonanz_url, json.dumps(message).encode())
        answered = time.monotonic()
        stop.set()
        stalls.append(await probing)
        outcome.add(status, answered - sent, sent, answered)
        deadline = sent + 120
        while len(new := (await bench.get("posts"))[posted:]) == 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if new:
            card_s.append(new[0]["at"] - sent)
            sizes.append(new[0]["bytes"])
        say(f"   run {run + 1}: HTTP {status} after {answered - sent:.2f} s, card at the "
            f"connector after {card_s[-1] if new else float('nan'):.2f} s")
    outcome.elapsed = outcome.last_answer - outcome.first_sent
    after = await bench.outbound()
    return {**summary(outcome), "card_s": card_s, "card_bytes": sizes, "healthz_max_s": stalls,
            "outbound": {k: after[k] - before.get(k, 0) for k in after
                         if after[k] != before.get(k, 0)}}


async def run(quick: bool, folder: Path, say: Say) -> dict[str, Any]:
    sizes = QUICK if quick else FULL
    database_url = f"sqlite:///{folder / 'bench.db'}"  # where `bench.servers resonanz` looks
    results: dict[str, Any] = {"sizes": vars(sizes)}
    with launch(folder, "connector") as (connector,):
        say(f"F: writing a meeting of {sizes.people} people, {sizes.questions} questions and "
            "5 polls through the storage layer ...")
        start = time.monotonic()
        results["written"] = await build_meeting(
            database_url, f"http://127.0.0.1:{connector.ports[0]}/", sizes)
        results["build_s"] = time.monotonic() - start
        say(f"   {results['written']} in {results['build_s']:.1f} s")
        with launch(folder, "resonanz") as (resonanz,):
            after_start = resonanz.peak_rss_mb()
            say(f"F: `summary` through the endpoint, {sizes.runs} runs ...")
            async with client() as http:
                bench = Bench(http, connector, resonanz)
                bench.chat.conversation_id, bench.chat.meeting_id = CONVERSATION, TEAMS_MEETING
                results["endpoint"] = await through_endpoint(bench, sizes.runs, say)
            results["endpoint"]["rss_mb"] = {"after_start": after_start,
                                             "peak": resonanz.peak_rss_mb()}
            results["endpoint"]["log_errors"] = log_errors(resonanz)
    say(f"F: the summary service alone in a fresh process, {sizes.runs} runs + 1 traced ...")
    results["service"] = service_in_child(database_url, sizes.runs)
    return results


def ms(values: list[float], q: float) -> float:
    return percentile(values, q) * 1000


def report(results: dict[str, Any], host: dict[str, Any], out: Say) -> None:
    written, endpoint, service = results["written"], results["endpoint"], results["service"]
    print_machine(host, out)
    out(f"F  the meeting: {written['people']} people present and reached, "
        f"{written['questions']} questions, {written['upvotes']} upvotes, {written['polls']} "
        f"polls with {written['ballots']} ballots (written in {results['build_s']:.1f} s)")
    out("")
    peak = endpoint["rss_mb"]["peak"]
    card = endpoint["card_s"]
    total = service["build_s"]
    both = [b + r for b, r in zip(service["build_s"], service["render_s"], strict=True)]
    print_table([
        Row.of("F `summary` via endpoint: HTTP answer", endpoint, rate=None,
               ok=sum(n for status, n in endpoint["statuses"].items() if 200 <= int(status) < 300),
               outbound=sum(endpoint["outbound"].values()), peak_mb=peak),
        Row("F `summary` via endpoint: card at connector", len(card), None, None,
            ms(card, 0.5), ms(card, 0.99)),
        Row("F build_summary (service, fresh process)", len(total), None, None, ms(total, 0.5),
            ms(total, 0.99), None, service["vm_hwm_mb"]),
        Row("F build_summary + render_summary_card", len(both), None, None, ms(both, 0.5),
            ms(both, 0.99)),
    ], out, ok_header="2xx")
    out("")
    out(f"F  endpoint: HTTP statuses {endpoint['statuses']}; connector requests "
        f"{endpoint['outbound']}; summary card {endpoint['card_bytes'][-1] if card else '-'} "
        f"bytes as posted; first run {card[0] if card else float('nan'):.2f} s to the card, "
        f"runs {[round(c, 2) for c in card]} s")
    stalls = endpoint["healthz_max_s"]
    out(f"F  while `summary` ran, the longest /healthz answer (the bot's event loop busy with it): "
        f"p50 {ms(stalls, 0.5):.0f} ms, max {ms(stalls, 1.0):.0f} ms over the runs")
    out(f"F  Resonanz RSS: {endpoint['rss_mb']['after_start']:.0f} MB after start, peak "
        f"(VmHWM) {peak:.0f} MB after the runs; log: {len(endpoint['log_errors'])} error lines")
    for line in endpoint["log_errors"]:
        out(f"    {line[:300]}")
    out(f"F  service alone: build_summary runs {[round(t * 1000) for t in total]} ms, "
        f"render_summary_card p50 {ms(service['render_s'], 0.5):.1f} ms; Python allocations "
        f"peak {service['tracemalloc_peak_mb']:.1f} MB (tracemalloc, one run); process VmHWM "
        f"{service['vm_hwm_mb']:.0f} MB")


def main() -> None:
    if sys.argv[1:2] == ["--service"]:
        figures = asyncio.run(time_service(sys.argv[2], int(sys.argv[3])))
        print(json.dumps(figures))
        return
    cli("The summary of a meeting of 1,000 people with 2,000 questions", run, report)


if __name__ == "__main__":
    main()
