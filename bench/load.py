"""Load test of the Teams endpoint: `python -m bench.load` (or `make bench`).

Starts three processes on 127.0.0.1 with random ports: a LocalConnector (with a small
inspection app, see bench/servers.py), the real Resonanz app (SQLite in a temp dir,
edit interval 2 s) and a stock botbuilder 4.17.1 bot (bench/stock_bot.py). This process is the
load generator (aiohttp client, loopback only, bounded concurrency, count and time). It posts
Teams-shaped `adaptiveCard/action` vote invokes (devtools/simulation.py), every vote from a distinct
voter, and measures:

  A  sustained throughput, concurrency 32, stock bot then Resonanz: activities/s, p50/p99
  B  a burst of 1,000 votes sent within ~1 s to Resonanz: all answered 200?, time from the last
     vote's answer until the connector holds a card edit with the exact tally, number of edits,
     smallest spacing between two edits of the card
  C  500 votes/s paced for 10 s to Resonanz: p50/p99 latency (measured from each vote's
     scheduled send time, so a slow server cannot hide queueing)

and the peak RSS (VmHWM) of both bot processes. Everything shares the machine's cores: the
generator and the connector compete with the bot, as the printout says.

Options: --quick (small sizes, for trying it out), --json PATH (write the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from devtools.simulation import Chat, Participant

ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = 32
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass
class Sizes:
    sustained: int = 4000          # invokes per target in scenario A
    sustained_max_s: float = 40.0  # ... or this many seconds, whichever comes first
    burst: int = 1000
    burst_window_s: float = 1.0
    paced_rate: int = 500
    paced_s: float = 10.0
    warmup: int = 100


QUICK = Sizes(sustained=600, sustained_max_s=10.0, burst=200, paced_rate=200, paced_s=3.0,
              warmup=30)


# --------------------------------------------------------------------------- processes
def peak_rss_mb(pid: int | str = "self") -> float | None:
    """VmHWM (peak resident set size) of a process, in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[str]
    ports: list[int]
    log: Path

    def peak_rss_mb(self) -> float | None:
        return peak_rss_mb(self.proc.pid)

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(name: str, args: list[str], folder: Path,
                 env: dict[str, str] | None = None) -> Server:
    """Starts `python -m ARGS` (with `env` added to this process's environment) and waits
    for its READY line."""
    log = folder / f"{name}.log"
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=err, text=True, env={**os.environ, **(env or {})})
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("READY"):
            return Server(name, proc, [int(p) for p in line.split()[1:]], log)
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError(f"{name} did not start; see {log}:\n{log.read_text()[-2000:]}")


ROLES = {"connector": ["bench.servers", "connector"], "resonanz": ["bench.servers", "resonanz"],
         "stock": ["bench.stock_bot"]}


@contextlib.contextmanager
def launch(folder: Path, *names: str) -> Iterator[list[Server]]:
    """Starts the named processes (ROLES) in order; stops them in reverse order on exit.
    Resonanz keeps its SQLite file in `folder` (bench.db)."""
    started: list[Server] = []
    try:
        for name in names:
            extra = [str(folder)] if name == "resonanz" else []
            started.append(start_server(name, ROLES[name] + extra, folder))
        yield started
    finally:
        for server in reversed(started):
            server.stop()


@contextlib.asynccontextmanager
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    """The generator's HTTP client: at most 256 connections, 30 s per request."""
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout,
                                     connector=aiohttp.TCPConnector(limit=256)) as http:
        yield http


def log_errors(server: Server, most: int = 5) -> list[str]:
    """The first error lines (and tracebacks) of a server's log."""
    return [line for line in server.log.read_text().splitlines()
            if " ERROR " in line or "Traceback" in line][:most]


# --------------------------------------------------------------------------- measuring
def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass
class Outcome:
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # seconds
    elapsed: float = 0.0
    first_sent: float = math.inf
    last_sent: float = 0.0
    last_answer: float = 0.0  # time.monotonic() of the last answer

    def add(self, status: int, latency: float, sent: float, answered: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies.append(latency)
        self.first_sent = min(self.first_sent, sent)
        self.last_sent = max(self.last_sent, sent)
        self.last_answer = max(self.last_answer, answered)

    @property
    def count(self) -> int:
        return sum(self.statuses.values())

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def rate(self) -> float:
        return self.count / self.elapsed if self.elapsed else math.nan

    def ms(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000


async def post(http: aiohttp.ClientSession, url: str, body: bytes) -> int:
    try:
        async with http.post(url, data=body, headers=JSON_HEADERS) as response:
            await response.read()
            return response.status
    except (TimeoutError, aiohttp.ClientError):
        return -1  # connection error or timeout


async def sustained(http: aiohttp.ClientSession, url: str, bodies: list[bytes],
                    max_s: float) -> Outcome:
    outcome = Outcome()
    queue = iter(bodies)
    start = time.monotonic()
    deadline = start + max_s

    async def worker() -> None:
        for body in queue:
            if time.monotonic() >= deadline:
                return
            sent = time.monotonic()
            status = await post(http, url, body)
            answered = time.monotonic()
            outcome.add(status, answered - sent, sent, answered)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    outcome.elapsed = time.monotonic() - start
    return outcome


async def paced(http: aiohttp.ClientSession, url: str, bodies: list[bytes],
                rate: float) -> Outcome:
    """Send bodies[i] at start + i/rate; latency counts from the scheduled time."""
    outcome = Outcome()
    start = time.monotonic() + 0.05

    async def one(index: int, body: bytes) -> None:
        scheduled = start + index / rate
        await asyncio.sleep(max(0.0, scheduled - time.monotonic()))
        sent = time.monotonic()
        status = await post(http, url, body)
        answered = time.monotonic()
        outcome.add(status, answered - scheduled, sent, answered)

    await asyncio.gather(*(one(i, b) for i, b in enumerate(bodies)))
    outcome.elapsed = time.monotonic() - start
    return outcome


# --------------------------------------------------------------------------- the bench
class Bench:
    def __init__(self, http: aiohttp.ClientSession, connector: Server, resonanz: Server,
                 stock: Server | None = None) -> None:
        self.http = http
        service_url = f"http://127.0.0.1:{connector.ports[0]}/"
        self.inspect = f"http://127.0.0.1:{connector.ports[1]}/bench"
        self.resonanz_url = f"http://127.0.0.1:{resonanz.ports[0]}/api/messages"
        self.stock_url = f"http://127.0.0.1:{stock.ports[0]}/api/messages" if stock else ""
        self.resonanz, self.stock = resonanz, stock
        self.chat = Chat(service_url=service_url, conversation_id="19:bench-chat@thread.v2")
        self.creator = Participant.numbered(0)
        self.next_voter = 1

    def voters(self, count: int) -> list[Participant]:
        first = self.next_voter
        self.next_voter += count
        return [Participant.numbered(n) for n in range(first, first + count)]

    def votes(self, poll: str, card: str, choices: list[int]) -> list[bytes]:
        return [json.dumps(self.chat.click(voter, "poll.vote",
                                           {"poll": poll, "rz_choice": str(choice)},
                                           reply_to_id=card)).encode()
                for voter, choice in zip(self.voters(len(choices)), choices, strict=True)]

    async def get(self, path: str) -> Any:
        async with self.http.get(f"{self.inspect}/{path}") as response:
            response.raise_for_status()
            return await response.json()

    async def say(self, text: str) -> dict[str, Any]:
        """Posts a chat message from the creator to Resonanz and waits for the card it posts;
        returns the new entry of the inspection app's `boards` (for `questions`) or `cards`."""
        route = "boards" if text.split()[0] == "questions" else "cards"
        known = {c["id"] for c in await self.get(route)}
        body = json.dumps(self.chat.message(self.creator, text))
        status = await post(self.http, self.resonanz_url, body.encode())
        if status >= 300 or status < 0:
            raise RuntimeError(f"{text.split()[0]!r} was answered {status}")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            new = [c for c in await self.get(route) if c["id"] not in known]
            if new:
                return dict(new[0])
            await asyncio.sleep(0.05)
        raise RuntimeError(f"the card of {text.split()[0]!r} never reached the connector")

    async def create_poll(self, question: str) -> tuple[str, str]:
        """Posts `poll Q | A | B | C` to Resonanz; returns (poll id, card message id)."""
        card = await self.say(f"poll {question} | A | B | C")
        return card["poll"], card["id"]

    async def wait_for_edit(self, route: str, match: Callable[[dict[str, Any]], bool],
                            timeout: float = 20.0) -> tuple[dict[str, Any] | None, list[Any]]:
        """Waits until an edit listed by the inspection `route` matches; returns it (or None
        after `timeout`) and all edits listed."""
        deadline = time.monotonic() + timeout
        while True:
            edits = await self.get(route)
            for edit in edits:
                if match(edit):
                    return edit, edits
            if time.monotonic() > deadline:
                return None, edits
            await asyncio.sleep(0.05)

    async def final_edit(self, card: str, expected: list[int], after: float,
                         timeout: float = 20.0) -> tuple[dict[str, Any] | None, list[Any]]:
        """Waits for an edit showing exactly `expected`; returns it and all edits of the
        card."""
        return await self.wait_for_edit(
            f"edits/{card}", lambda edit: (edit["counts"] == expected and not edit["as_of"]
                                           and edit["ballots"] == sum(expected)), timeout)

    async def outbound(self) -> dict[str, int]:
        """Requests the connector received so far, by kind and status ("edit 200": n)."""
        return dict(await self.get("stats"))


def choices_for(count: int) -> list[int]:
    # 1/2 A, 1/3 B, 1/6 C: distinct counts, so a swapped column would be caught
    return [(0, 0, 0, 1, 1, 2)[i % 6] for i in range(count)]


async def run(sizes: Sizes, folder: Path, say: Any) -> dict[str, Any]:
    say("starting LocalConnector, Resonanz and the stock bot (separate processes) ...")
    with launch(folder, "connector", "resonanz", "stock") as (connector, resonanz, stock):
        async with client() as http:
            bench = Bench(http, connector, resonanz, stock)
            results = await scenarios(bench, sizes, say)
            results["stats_connector"] = await bench.outbound()
        results["rss_mb"] = {"resonanz": resonanz.peak_rss_mb(), "stock": stock.peak_rss_mb()}
        results["resonanz_log_errors"] = log_errors(resonanz)
        return results


async def scenarios(bench: Bench, sizes: Sizes, say: Any) -> dict[str, Any]:
    results: dict[str, Any] = {"sizes": sizes.__dict__}

    # ---- A: sustained, stock then Resonanz
    say(f"A: warming up, then {sizes.sustained} invokes at concurrency {CONCURRENCY} "
        f"(at most {sizes.sustained_max_s:.0f} s) against the stock bot ...")
    poll_a, card_a = await bench.create_poll("Sustained")
    await sustained(bench.http, bench.stock_url,
                    bench.votes(poll_a, card_a, choices_for(sizes.warmup)), 30)
    bodies = bench.votes(poll_a, card_a, choices_for(sizes.sustained))
    assert bench.stock is not None
    cpu = bench.stock.cpu_seconds()
    stock = await sustained(bench.http, bench.stock_url, bodies, sizes.sustained_max_s)
    stock_cpu_ms = (bench.stock.cpu_seconds() - cpu) * 1000 / max(1, stock.count)
    say(f"   stock: {stock.count} in {stock.elapsed:.1f} s -> {stock.rate:.0f}/s")
    say("A: ... and against Resonanz (each invoke a distinct voter on one poll) ...")
    await sustained(bench.http, bench.resonanz_url,
                    bench.votes(poll_a, card_a, choices_for(sizes.warmup)), 30)
    bodies = bench.votes(poll_a, card_a, choices_for(sizes.sustained))
    cpu = bench.resonanz.cpu_seconds()
    ours = await sustained(bench.http, bench.resonanz_url, bodies, sizes.sustained_max_s)
    ours_cpu_ms = (bench.resonanz.cpu_seconds() - cpu) * 1000 / max(1, ours.count)
    say(f"   Resonanz: {ours.count} in {ours.elapsed:.1f} s -> {ours.rate:.0f}/s")
    results["A"] = {"stock": {**summary(stock), "cpu_ms_per_activity": stock_cpu_ms},
                    "resonanz": {**summary(ours), "cpu_ms_per_activity": ours_cpu_ms},
                    "ratio": ours.rate / stock.rate if stock.rate else math.nan}
    await asyncio.sleep(3)  # let A's catch-up edit pass before the burst

    # ---- B: burst
    say(f"B: burst of {sizes.burst} votes sent within {sizes.burst_window_s:.0f} s to a new "
        "poll ...")
    poll_b, card_b = await bench.create_poll("Burst")
    choices = choices_for(sizes.burst)
    burst = await paced(bench.http, bench.resonanz_url, bench.votes(poll_b, card_b, choices),
                        sizes.burst / sizes.burst_window_s)
    acknowledged = [0, 0, 0]
    # every vote answered 200 -> the expected tally is the full one; otherwise it is unknown
    for choice in choices:
        acknowledged[choice] += 1
    final, edits = await bench.final_edit(card_b, acknowledged, burst.last_answer)
    await asyncio.sleep(2.5)  # anything after the final edit?
    edits = await bench.get(f"edits/{card_b}")
    times = [e["at"] for e in edits]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    results["B"] = {
        **summary(burst),
        "send_window_s": burst.last_sent - burst.first_sent,
        "answer_window_s": burst.last_answer - burst.first_sent,
        "all_200": burst.ok == sizes.burst,
        "expected": acknowledged,
        "final_card_after_last_vote_s": (final["at"] - burst.last_answer) if final else None,
        "final_counts": final["counts"] if final else (edits[-1] if edits else None),
        "edits": len(edits),
        "edits_after_final": sum(1 for e in edits if final and e["at"] > final["at"]),
        "min_edit_spacing_s": min(gaps) if gaps else None,
        "edit_times_rel_s": [round(t - burst.first_sent, 3) for t in times],
    }
    say(f"   answered {burst.ok}/{sizes.burst} with 200; final card "
        f"{'exact' if final else 'NOT exact'}")
    await asyncio.sleep(1)

    # ---- C: paced
    total = int(sizes.paced_rate * sizes.paced_s)
    say(f"C: {sizes.paced_rate} votes/s for {sizes.paced_s:.0f} s ({total} votes) to a new "
        "poll ...")
    poll_c, card_c = await bench.create_poll("Paced")
    pace = await paced(bench.http, bench.resonanz_url,
                       bench.votes(poll_c, card_c, choices_for(total)), sizes.paced_rate)
    results["C"] = {**summary(pace), "rate_target": sizes.paced_rate,
                    "achieved_rate": pace.count / (pace.last_answer - pace.first_sent)}
    return results


def summary(outcome: Outcome) -> dict[str, Any]:
    return {"count": outcome.count, "ok": outcome.ok, "statuses": outcome.statuses,
            "elapsed_s": outcome.elapsed, "rate": outcome.rate,
            "p50_ms": outcome.ms(0.50), "p99_ms": outcome.ms(0.99), "max_ms": outcome.ms(1.0)}


# --------------------------------------------------------------------------- report
def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count() or 0
    return {"nproc": nproc, "cpu": model, "python": platform.python_version(),
            "platform": platform.platform()}


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("MET" if ok else "NOT MET")


@dataclass
class Row:
    """One line of a scenario table; a figure that is None (not meaningful) prints as "-"."""

    label: str
    count: int | None = None
    ok: int | None = None
    rate: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    outbound: int | None = None
    peak_mb: float | None = None

    @classmethod
    def of(cls, label: str, figures: dict[str, Any], **more: Any) -> Row:
        """A row from the figures of summary() (count, ok, rate, p50_ms, p99_ms)."""
        keys = ("count", "ok", "rate", "p50_ms", "p99_ms")
        return cls(label, **{**{key: figures[key] for key in keys}, **more})


def _cell(value: float | None, spec: str) -> str:
    width = int(spec.split(".")[0].rstrip("d"))
    return f"{'-':>{width}}" if value is None else f"{value:>{spec}}"


def print_table(rows: list[Row], out: Any, ok_header: str = "200s") -> None:
    """The scenario table every benchmark prints; `outbound` (requests the connector got) and
    `peak MB` columns appear when some row has them."""
    wide = any(row.outbound is not None or row.peak_mb is not None for row in rows)
    out(f"{'scenario':<44} {'count':>6} {ok_header:>6} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8}"
        + (f" {'outbound':>8} {'peak MB':>8}" if wide else ""))
    out("-" * (102 if wide else 84))
    for row in rows:
        out(f"{row.label:<44} {_cell(row.count, '6d')} {_cell(row.ok, '6d')} "
            f"{_cell(row.rate, '8.0f')} {_cell(row.p50_ms, '8.1f')} {_cell(row.p99_ms, '8.1f')}"
            + (f" {_cell(row.outbound, '8d')} {_cell(row.peak_mb, '8.0f')}" if wide else ""))


def print_targets(targets: list[tuple[str, bool | None, str]], out: Any) -> None:
    out(f"{'target':<44} {'measured':<28} verdict")
    out("-" * 84)
    for name, ok, measured in targets:
        out(f"{name:<44} {measured:<28} {verdict(ok)}")


def print_machine(host: dict[str, Any], out: Any) -> None:
    out("")
    out(f"Machine: {host['nproc']} CPUs ({host['cpu']}), Python {host['python']}, "
        f"{host['platform']}")
    out("All processes (generator, LocalConnector, bots) share these CPUs; loopback only.")
    out("")


def report(results: dict[str, Any], host: dict[str, Any], out: Any) -> None:
    a, b, c = results["A"], results["B"], results["C"]
    print_machine(host, out)
    print_table([Row.of("A stock botbuilder, concurrency 32", a["stock"]),
                 Row.of("A Resonanz, concurrency 32", a["resonanz"]),
                 Row.of(f"B burst of {b['count']} votes", b),
                 Row.of(f"C paced {c['rate_target']}/s (from schedule)", c,
                        rate=c["achieved_rate"])], out)
    out("")
    out(f"A  throughput ratio Resonanz/stock: {a['ratio']:.1f}x; bot CPU per activity: "
        f"stock {a['stock']['cpu_ms_per_activity']:.1f} ms, "
        f"Resonanz {a['resonanz']['cpu_ms_per_activity']:.1f} ms")
    after = b["final_card_after_last_vote_s"]
    out(f"B  votes sent over {b['send_window_s']:.2f} s, all answered within "
        f"{b['answer_window_s']:.2f} s; all 200: {b['all_200']}")
    out(f"B  final card exact {b['expected']}: "
        + (f"{after:.2f} s after the last vote's answer" if after is not None
           else f"NOT SEEN (last edit showed {b['final_counts']})"))
    spacing = b["min_edit_spacing_s"]
    out(f"B  card edits: {b['edits']} (at {b['edit_times_rel_s']} s from the first vote), "
        f"min spacing {'-' if spacing is None else f'{spacing:.3f} s'}, "
        f"edits after the exact one: {b['edits_after_final']}")
    rss = results["rss_mb"]
    out(f"Peak RSS (VmHWM): Resonanz {rss['resonanz']:.0f} MB, stock bot {rss['stock']:.0f} MB")
    if results.get("resonanz_log_errors"):
        out("Resonanz log errors (first lines): " + " | ".join(results["resonanz_log_errors"]))
    out("")
    targets = [
        ("≥10x stock throughput", a["ratio"] >= 10, f"{a['ratio']:.1f}x"),
        ("p99 < 100 ms at 500 votes/s", c["rate_target"] >= 500 and c["ok"] == c["count"]
         and c["p99_ms"] < 100, f"p99 {c['p99_ms']:.1f} ms at {c['rate_target']}/s"
         + ("" if c["ok"] == c["count"] else f", {c['count'] - c['ok']} not 200")),
        ("burst: final card exact within 3 s", b["all_200"] and after is not None and after <= 3,
         "-" if after is None else f"{after:.2f} s"),
        ("burst: at most one edit per 2 s per card", spacing is None or spacing >= 2.0,
         "-" if spacing is None else f"min spacing {spacing:.3f} s"),
    ]
    print_targets(targets, out)


Say = Callable[[str], None]


def cli(description: str, run_all: Callable[[bool, Path, Say], Awaitable[dict[str, Any]]],
        report_all: Callable[[dict[str, Any], dict[str, Any], Say], None]) -> None:
    """The command line every endpoint benchmark shares: --quick, --json FILE; a temp dir for
    the processes' files; progress, then the report and the run's duration."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes, to try it out")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="resonanz-bench-") as folder:
        results = asyncio.run(run_all(args.quick, Path(folder), lambda m: print(m, flush=True)))
    host = machine()
    report_all(results, host, print)
    print(f"\n(whole run: {time.monotonic() - started:.0f} s"
          + (", --quick sizes: not the targets' sizes)" if args.quick else ")"))
    if args.json:
        args.json.write_text(json.dumps({"machine": host, **results}, indent=2, default=str))


def main() -> None:
    cli("Load test of the Teams endpoint",
        lambda quick, folder, say: run(QUICK if quick else Sizes(), folder, say), report)


if __name__ == "__main__":
    main()
