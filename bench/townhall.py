"""Town-hall load on the Teams endpoint: `python -m bench.townhall` (part of `make bench`).

Same setup as bench/load.py (LocalConnector with the inspection app, the real Resonanz app on
SQLite with edit interval 2 s, all on 127.0.0.1, Teams-shaped invokes from devtools/simulation.py),
but every scenario gets fresh processes, so the bot's peak RSS (VmHWM) is that scenario's:

  D  10,000 distinct voters on one poll, their votes' sends spread evenly over 60 s: answered/s,
     p50/p99 latency (from each vote's scheduled send time), HTTP statuses, the requests the
     connector received (card posts and edits), whether the card ends with the exact tally,
     the smallest spacing between two edits of the card, peak RSS (target: under 300 MB)
  E  an upvote storm on the Q&A board: `questions`, five questions asked on the board card
     (`qna.ask`), then 2,000 distinct participants upvote them (`qna.upvote`, one each, sends
     spread over 4 s, 5:4:3:2:1 across the questions): the same figures, whether the board
     ends with the exact upvote counts, and at most one board edit per 2 s

Options: --quick (small sizes, for trying it out), --json PATH (write the figures).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from bench.load import (
    Bench,
    Row,
    Say,
    choices_for,
    cli,
    client,
    launch,
    log_errors,
    paced,
    post,
    print_machine,
    print_table,
    print_targets,
    summary,
)

if TYPE_CHECKING:
    from bench.load import Outcome, Server

PEAK_RSS_TARGET_MB = 300
EDIT_INTERVAL_S = 2.0
QUESTIONS = (
    "When will the new office in Leipzig open?",
    "Will salaries be adjusted for inflation this year?",
    "Can we keep working from home two days a week?",
    "Which AI tools are we allowed to use with customer data?",
    "Why was the Berlin team reorganised without telling us?",
)


Sizes = SimpleNamespace
FULL = Sizes(voters=10_000, voters_window_s=60.0, upvoters=2_000, upvote_window_s=4.0)
QUICK = Sizes(voters=1_000, voters_window_s=6.0, upvoters=300, upvote_window_s=2.0)


def outbound_delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """Requests the connector received in between, by kind and status."""
    return {key: after[key] - before.get(key, 0) for key in sorted(after)
            if after[key] != before.get(key, 0)}


def edit_spacing(edits: list[dict[str, Any]], final: dict[str, Any] | None,
                 start: float) -> dict[str, Any]:
    """Edits of the card since `start` (the first send), and the smallest spacing between two
    edits over the card's whole life."""
    times = [edit["at"] for edit in edits]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    return {"edits": sum(1 for t in times if t >= start), "edits_in_all": len(times),
            "min_edit_spacing_s": min(gaps) if gaps else None,
            "edits_after_final": sum(1 for t in times if final and t > final["at"]),
            "edit_times_rel_s": [round(t - start, 3) for t in times if t >= start]}


async def measured(server: Server, send: Any) -> tuple[Outcome, dict[str, Any]]:
    """Runs `send()` (-> Outcome); adds the bot's CPU time per request."""
    cpu = server.cpu_seconds()
    outcome: Outcome = await send()
    cpu_ms = (server.cpu_seconds() - cpu) * 1000 / max(1, outcome.count)
    return outcome, {**summary(outcome), "cpu_ms_per_request": cpu_ms,
                     "send_window_s": outcome.last_sent - outcome.first_sent,
                     "answer_window_s": outcome.last_answer - outcome.first_sent,
                     "answered_per_s": outcome.count / (outcome.last_answer - outcome.first_sent)}


# --------------------------------------------------------------------------- D
async def ten_thousand_voters(bench: Bench, sizes: Sizes, say: Say) -> dict[str, Any]:
    rate = sizes.voters / sizes.voters_window_s
    say(f"D: {sizes.voters} distinct voters on one poll, sends spread over "
        f"{sizes.voters_window_s:.0f} s ({rate:.0f}/s) ...")
    before = await bench.outbound()
    poll, card = await bench.create_poll("Town hall")
    choices = choices_for(sizes.voters)
    bodies = bench.votes(poll, card, choices)
    outcome, figures = await measured(
        bench.resonanz, lambda: paced(bench.http, bench.resonanz_url, bodies, rate))
    expected = [choices.count(option) for option in range(3)]
    final, _ = await bench.final_edit(card, expected, outcome.last_answer, timeout=30)
    await asyncio.sleep(EDIT_INTERVAL_S + 0.5)  # anything after the final edit?
    edits = await bench.get(f"edits/{card}")
    outbound = outbound_delta(before, await bench.outbound())
    say(f"   answered {outcome.ok}/{sizes.voters} with 200; final card "
        f"{'exact' if final else 'NOT exact'}")
    return {**figures, "rate_target": rate, "all_200": outcome.ok == sizes.voters,
            "expected": expected,
            "final_card_after_last_vote_s": final["at"] - outcome.last_answer if final else None,
            "last_card": final or (edits[-1] if edits else None),
            **edit_spacing(edits, final, outcome.first_sent), "outbound": outbound}


# --------------------------------------------------------------------------- E
def upvote_plan(upvoters: int, questions: int) -> list[int]:
    """Which question each upvoter upvotes: shares questions:...:2:1, in a shuffled order."""
    weights = list(range(questions, 0, -1))
    counts = [upvoters * w // sum(weights) for w in weights]
    counts[0] += upvoters - sum(counts)
    plan = [index for index, count in enumerate(counts) for _ in range(count)]
    random.Random(6).shuffle(plan)
    return plan


async def upvote_storm(bench: Bench, sizes: Sizes, say: Say) -> dict[str, Any]:
    say(f"E: `questions`, {len(QUESTIONS)} questions asked on the board card, then "
        f"{sizes.upvoters} distinct participants upvote within {sizes.upvote_window_s:.0f} s ...")
    before = await bench.outbound()
    board = await bench.say("questions")
    data = {"board": board["board"], "named": False}
    asked = [await bench.post_click(asker, "qna.ask", {**data, "rz_question": text}, board["id"])
             for asker, text in zip(bench.voters(len(QUESTIONS)), QUESTIONS, strict=True)]
    shown, _ = await bench.wait_for_edit(f"board-edits/{board['id']}",
                                         lambda e: len(e["votes"]) == len(QUESTIONS), 15)
    if shown is None:
        raise RuntimeError(f"the board never showed the {len(QUESTIONS)} questions "
                           f"(asking was answered {asked})")
    ids = {text: qid for qid, text in shown["texts"].items()}
    order = [ids[text] for text in QUESTIONS]
    plan = upvote_plan(sizes.upvoters, len(QUESTIONS))
    bodies = [bench.click_body(voter, "qna.upvote", {"board": board["board"],
                                                     "question": order[index]}, board["id"])
              for voter, index in zip(bench.voters(len(plan)), plan, strict=True)]
    outcome, figures = await measured(
        bench.resonanz,
        lambda: paced(bench.http, bench.resonanz_url, bodies, len(bodies) / sizes.upvote_window_s))
    expected = {qid: plan.count(index) for index, qid in enumerate(order)}
    final, _ = await bench.wait_for_edit(f"board-edits/{board['id']}",
                                         lambda e: e["votes"] == expected, 30)
    await asyncio.sleep(EDIT_INTERVAL_S + 0.5)
    edits = await bench.get(f"board-edits/{board['id']}")
    outbound = outbound_delta(before, await bench.outbound())
    say(f"   answered {outcome.ok}/{len(bodies)} with 200; final board "
        f"{'exact' if final else 'NOT exact'}")
    return {**figures, "rate_target": len(bodies) / sizes.upvote_window_s,
            "asking_statuses": asked, "all_200": outcome.ok == len(bodies),
            "expected": [expected[qid] for qid in order],
            "final_card_after_last_vote_s": final["at"] - outcome.last_answer if final else None,
            "last_votes": [(final or edits[-1])["votes"].get(qid) for qid in order],
            **edit_spacing(edits, final, outcome.first_sent), "outbound": outbound}


class TownhallBench(Bench):
    def click_body(self, who: Any, verb: str, data: dict[str, Any], card: str) -> bytes:
        return json.dumps(self.chat.click(who, verb, data, reply_to_id=card)).encode()

    async def post_click(self, who: Any, verb: str, data: dict[str, Any], card: str) -> int:
        return await post(self.http, self.resonanz_url, self.click_body(who, verb, data, card))


# --------------------------------------------------------------------------- running
async def scenario(name: str, folder: Path, sizes: Sizes, say: Say, body: Any) -> dict[str, Any]:
    """One scenario with its own LocalConnector and Resonanz processes (own database)."""
    (folder / name).mkdir()
    with launch(folder / name, "connector", "resonanz") as (connector, resonanz):
        started_mb = resonanz.peak_rss_mb()
        async with client() as http:
            results: dict[str, Any] = await body(TownhallBench(http, connector, resonanz),
                                                 sizes, say)
        results["rss_mb"] = {"after_start": started_mb, "peak": resonanz.peak_rss_mb()}
        results["log_errors"] = log_errors(resonanz)
        results["log_warnings"] = sum(" WARNING " in line
                                      for line in resonanz.log.read_text().splitlines())
    return results


async def run(quick: bool, folder: Path, say: Say) -> dict[str, Any]:
    sizes = QUICK if quick else FULL
    say("each scenario: a fresh LocalConnector and Resonanz (separate processes) ...")
    return {"sizes": vars(sizes),
            "D": await scenario("D", folder, sizes, say, ten_thousand_voters),
            "E": await scenario("E", folder, sizes, say, upvote_storm)}


def total(outbound: dict[str, int]) -> int:
    return sum(outbound.values())


def report(results: dict[str, Any], host: dict[str, Any], out: Say) -> None:
    d, e = results["D"], results["E"]
    print_machine(host, out)
    print_table([
        Row.of(f"D {d['count']} voters over {results['sizes']['voters_window_s']:.0f} s "
               "(from schedule)", d, rate=d["answered_per_s"], outbound=total(d["outbound"]),
               peak_mb=d["rss_mb"]["peak"]),
        Row.of(f"E {e['count']} upvotes over {results['sizes']['upvote_window_s']:.0f} s "
               "(from schedule)", e, rate=e["answered_per_s"], outbound=total(e["outbound"]),
               peak_mb=e["rss_mb"]["peak"]),
    ], out)
    out("(per s: answered per second, first send to last answer; outbound: requests the "
        "connector received, setup included)")
    out("")
    for key, s in (("D", d), ("E", e)):
        after = s["final_card_after_last_vote_s"]
        spacing = s["min_edit_spacing_s"]
        out(f"{key}  sends over {s['send_window_s']:.2f} s (target {s['rate_target']:.0f}/s), "
            f"all answered within {s['answer_window_s']:.2f} s; HTTP statuses {s['statuses']}; "
            f"bot CPU per request {s['cpu_ms_per_request']:.1f} ms")
        shown = s["last_card"]["counts"] if key == "D" and s["last_card"] else s.get("last_votes")
        out(f"{key}  final {'card' if key == 'D' else 'board'} exact {s['expected']}: "
            + (f"{after:.2f} s after the last answer" if after is not None
               else f"NOT SEEN (last edit showed {shown})"))
        out(f"{key}  edits: {s['edits']} during/after the load at {s['edit_times_rel_s']} s "
            f"from the first send ({s['edits_in_all']} in all), min spacing "
            f"{'-' if spacing is None else f'{spacing:.3f} s'}, edits after the exact one: "
            f"{s['edits_after_final']}; connector requests: {s['outbound']}")
        out(f"{key}  RSS: {s['rss_mb']['after_start']:.0f} MB after start, peak (VmHWM) "
            f"{s['rss_mb']['peak']:.0f} MB; log: {len(s['log_errors'])} error lines, "
            f"{s['log_warnings']} warnings")
        for line in s["log_errors"]:
            out(f"    {line[:300]}")
    out(f"E  asking {len(QUESTIONS)} questions on the card was answered {e['asking_statuses']}")
    out("")
    targets: list[tuple[str, bool | None, str]] = []
    for key, s in (("D", d), ("E", e)):
        spacing = s["min_edit_spacing_s"]
        after = s["final_card_after_last_vote_s"]
        targets += [
            (f"{key}: every request answered 200", s["all_200"], f"{s['ok']}/{s['count']}"),
            (f"{key}: final {'card' if key == 'D' else 'board'} shows the exact counts",
             after is not None, "-" if after is None else f"{after:.2f} s after last answer"),
            (f"{key}: at most one edit per 2 s per card",
             spacing is None or spacing >= EDIT_INTERVAL_S,
             "-" if spacing is None else f"min spacing {spacing:.3f} s"),
        ]
    peak = d["rss_mb"]["peak"]
    targets.append((f"D: peak RSS under {PEAK_RSS_TARGET_MB} MB",
                    None if peak is None or math.isnan(peak) else peak < PEAK_RSS_TARGET_MB,
                    f"{peak:.0f} MB"))
    print_targets(targets, out)


def main() -> None:
    cli("Town-hall load: 10,000 voters, an upvote storm", run, report)


if __name__ == "__main__":
    main()
