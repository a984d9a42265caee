"""Scale-out benchmark: `python -m bench.scaleout` — one vs two bot processes on PostgreSQL.

Starts a throwaway PostgreSQL server (tests/support/postgres.py; or the server named by
RESONANZ_TEST_POSTGRES_URL), the LocalConnector with its inspection app (bench/servers.py) and,
per scenario, a fresh database and N real bot processes (`python -m bot`, edit interval 2 s, the
same RESONANZ_SECRET). "Behind one endpoint" is a round robin in the load generator: vote i goes
to process i mod N. No reverse proxy: on a small machine a proxy process would take CPU from the
bots and blur what is measured (a real deployment has Azure's load balancer in front).

Per scenario: a warm-up poll, then `votes` vote invokes (each from a distinct voter) with 32 in
flight across all processes (or `max_s` seconds), and:
  - votes/s, p50/p99 latency, every answer 200?
  - the database holds exactly one ballot per answered vote, and the card's final edit shows
    exactly the answered votes (time from the last answer), smallest spacing between edits;
  - CPU per vote: of the bot processes, of PostgreSQL (postmaster and all its children), and
    of the generator and connector (they share the machine with the bots).

Options: --quick (small sizes), --json PATH (write the figures).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text

from bench.load import (
    CONCURRENCY,
    ROLES,
    Bench,
    Outcome,
    Row,
    Say,
    Server,
    choices_for,
    cli,
    client,
    log_errors,
    post,
    print_machine,
    print_table,
    start_server,
    summary,
)
from devtools.local_connector import free_port
from storage.database import create_engine
from tests.support.postgres import ENV_URL, PostgresServer

EDIT_INTERVAL = 2.0
SECRET = "bench-secret-shared-by-every-instance"
# Votes in flight: bench.load's 32, and enough to keep every event loop busy.
LEVELS = (CONCURRENCY, 256)


@dataclass
class Sizes:
    votes: int = 15000  # per load level
    max_s: float = 30.0  # ... or this many seconds, whichever comes first
    warmup: int = 500


QUICK = Sizes(votes=1500, max_s=10.0, warmup=100)


# --------------------------------------------------------------------------- processes
async def start_bot(name: str, database_url: str, folder: Path) -> Server:
    """A real bot process (`python -m bot`) on a free loopback port, once /healthz answers."""
    port = free_port()
    log = folder / f"{name}.log"
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "DATABASE_URL": database_url,
           "RESONANZ_SECRET": SECRET, "RESONANZ_EDIT_INTERVAL": str(EDIT_INTERVAL),
           "LOG_LEVEL": "INFO"}
    env.pop("MicrosoftAppId", None)
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "bot"], cwd=folder, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, text=True)
    server = Server(name, process, [port], log)
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as answer:
                    if answer.status == 200:
                        return server
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{name} did not start; see {log}:\n{log.read_text()[-2000:]}")


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def postgres_cpu_seconds(postmaster: int) -> float:
    """CPU time of the PostgreSQL server: the postmaster, its children that exited (cutime,
    cstime) and those still running (backends, checkpointer, WAL writer ...)."""
    tick = os.sysconf("SC_CLK_TCK")
    own = _stat(postmaster)
    total = sum(int(own[i]) for i in (11, 12, 13, 14))
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat(int(entry.name))
        except OSError:
            continue  # exited meanwhile
        if int(fields[1]) == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def machine_cpu_seconds() -> float:
    """CPU time all processes of the machine have used (busy, not idle or waiting for I/O)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    busy = sum(fields[:8]) - fields[3] - fields[4]  # user .. steal, without idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


async def postmaster_pid(database_url: str) -> int:
    """The postmaster is the parent of any backend."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            backend = (await connection.execute(text("select pg_backend_pid()"))).scalar_one()
            return int(_stat(backend)[1])  # while the backend still runs
    finally:
        await engine.dispose()


async def ballots_of(database_url: str, poll_id: str) -> tuple[int, int]:
    """(ballots, distinct voter keys) stored for a poll."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            row = (await connection.execute(text(
                "select count(*), count(distinct voter_key) from ballot where poll_id = :poll"),
                {"poll": poll_id})).one()
    finally:
        await engine.dispose()
    return int(row[0]), int(row[1])


# --------------------------------------------------------------------------- load
async def round_robin(http: aiohttp.ClientSession, urls: list[str], bodies: list[bytes],
                      max_s: float, concurrency: int = CONCURRENCY
                      ) -> tuple[Outcome, list[int]]:
    """bodies[i] goes to urls[i % len(urls)], `concurrency` in flight in all; returns the
    outcome and the indexes of the bodies answered 200."""
    outcome = Outcome()
    answered: list[int] = []
    queue = iter(enumerate(bodies))
    start = time.monotonic()
    deadline = start + max_s

    async def worker() -> None:
        for index, body in queue:
            if time.monotonic() >= deadline:
                return
            sent = time.monotonic()
            status = await post(http, urls[index % len(urls)], body)
            done = time.monotonic()
            outcome.add(status, done - sent, sent, done)
            if status == 200:
                answered.append(index)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    outcome.elapsed = time.monotonic() - start
    return outcome, answered


async def scenario(processes: int, server: PostgresServer, connector: Server, folder: Path,
                   sizes: Sizes, say: Say) -> dict[str, Any]:
    """N processes on a fresh database; one poll per concurrency level."""
    database_url = server.create_database(f"scaleout_{processes}")
    bots = list(await asyncio.gather(*(start_bot(f"bot{processes}{chr(97 + i)}", database_url,
                                                 folder) for i in range(processes))))
    try:
        postmaster = await postmaster_pid(database_url)
        urls = [f"http://127.0.0.1:{bot.ports[0]}/api/messages" for bot in bots]
        results: dict[str, Any] = {}
        async with client() as http:
            bench = Bench(http, connector, bots[0])
            warm_poll, warm_card = await bench.create_poll("Warm-up")
            await round_robin(http, urls, bench.votes(warm_poll, warm_card,
                                                      choices_for(sizes.warmup)), 30)
            for concurrency in LEVELS:
                say(f"{processes} process(es), {concurrency} in flight: {sizes.votes} votes, "
                    f"round robin over {len(urls)} port(s) ...")
                figures = await level(bench, urls, bots, connector, postmaster, concurrency,
                                      sizes)
                figures["ballots_stored"], figures["distinct_voters"] = await ballots_of(
                    database_url, figures.pop("poll"))
                results[str(concurrency)] = figures
                exact = figures["final_card_after_last_answer_s"] is not None
                say(f"   {figures['count']} votes in {figures['elapsed_s']:.1f} s -> "
                    f"{figures['rate']:.0f}/s; final card {'exact' if exact else 'NOT exact'}")
                await asyncio.sleep(EDIT_INTERVAL * 1.5)  # the last edits pass before the next
        results["log_errors"] = [line for bot in bots for line in log_errors(bot)]
        return results
    finally:
        for bot in bots:
            bot.stop()


async def level(bench: Bench, urls: list[str], bots: list[Server], connector: Server,
                postmaster: int, concurrency: int, sizes: Sizes) -> dict[str, Any]:
    """One load level on a new poll: throughput, latency, CPU per vote, the final card."""
    poll, card = await bench.create_poll(f"Scale-out at {concurrency}")
    choices = choices_for(sizes.votes)
    bodies = bench.votes(poll, card, choices)
    cpu_bots = sum(bot.cpu_seconds() for bot in bots)
    cpu_pg = postgres_cpu_seconds(postmaster)
    cpu_connector = connector.cpu_seconds()
    cpu_generator = time.process_time()
    cpu_machine = machine_cpu_seconds()
    outcome, answered = await round_robin(bench.http, urls, bodies, sizes.max_s, concurrency)
    cpu_machine = machine_cpu_seconds() - cpu_machine
    per_vote = 1000 / max(1, outcome.count)
    cpu = {"bots_ms": (sum(bot.cpu_seconds() for bot in bots) - cpu_bots) * per_vote,
           "postgres_ms": (postgres_cpu_seconds(postmaster) - cpu_pg) * per_vote,
           "connector_ms": (connector.cpu_seconds() - cpu_connector) * per_vote,
           "generator_ms": (time.process_time() - cpu_generator) * per_vote}
    # Everything else the machine did meanwhile (other programs, the kernel's own work).
    cpu["elsewhere_ms"] = cpu_machine * per_vote - sum(cpu.values())
    expected = [0, 0, 0]
    for index in answered:
        expected[choices[index]] += 1
    final, edits = await bench.final_edit(card, expected, outcome.last_answer)
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(edits)]
    return {**summary(outcome), "concurrency": concurrency, "poll": poll,
            "cpu_per_vote": cpu, "expected": expected,
            "final_card_after_last_answer_s": (final["at"] - outcome.last_answer)
            if final else None,
            "edits": len(edits), "min_edit_spacing_s": min(gaps) if gaps else None}


async def run_all(quick: bool, folder: Path, say: Say) -> dict[str, Any]:
    sizes = QUICK if quick else Sizes()
    server = PostgresServer(os.environ.get(ENV_URL))
    say("starting PostgreSQL and the LocalConnector ...")
    await asyncio.to_thread(server.start)
    connector = start_server("connector", ROLES["connector"], folder)
    try:
        results: dict[str, Any] = {"sizes": sizes.__dict__, "edit_interval_s": EDIT_INTERVAL}
        for processes in (1, 2):
            results[str(processes)] = await scenario(processes, server, connector, folder,
                                                     sizes, say)
        return results
    finally:
        connector.stop()
        await asyncio.to_thread(server.stop)


def report(results: dict[str, Any], host: dict[str, Any], out: Say) -> None:
    print_machine(host, out)
    out("PostgreSQL runs on the same machine too. Votes alternate between the processes' ports.")
    out("")
    runs = [(n, c, results[str(n)][str(c)]) for c in LEVELS for n in (1, 2)]
    print_table([Row.of(f"{n} bot process{'es' if n > 1 else ''}, {c} in flight", r)
                 for n, c, r in runs], out)
    out("")
    for n, c, r in runs:
        cpu = r["cpu_per_vote"]
        after = r["final_card_after_last_answer_s"]
        spacing = r["min_edit_spacing_s"]
        ours = (sum(cpu.values()) - cpu["elsewhere_ms"]) * r["rate"] / 1000
        other = cpu["elsewhere_ms"] * r["rate"] / 1000
        out(f"{n} x {c}: CPU per vote: bots {cpu['bots_ms']:.2f} ms, PostgreSQL "
            f"{cpu['postgres_ms']:.2f} ms, connector {cpu['connector_ms']:.2f} ms, generator "
            f"{cpu['generator_ms']:.2f} ms; CPUs busy: this benchmark {ours:.2f}, anything "
            f"else {other:.2f} (of {host['nproc']})")
        out(f"   ballots stored {r['ballots_stored']} (distinct voter keys "
            f"{r['distinct_voters']}) for {r['ok']} votes answered 200; final card "
            f"{r['expected']} " + (f"exact {after:.2f} s after the last answer" if after
                                   is not None else "NOT SEEN")
            + f"; {r['edits']} edits, min spacing "
            + ("-" if spacing is None else f"{spacing:.3f} s"))
    for n in (1, 2):
        if results[str(n)]["log_errors"]:
            out(f"log errors ({n} process(es)): " + " | ".join(results[str(n)]["log_errors"]))
    out("")
    for c in LEVELS:
        one, two = results["1"][str(c)]["rate"], results["2"][str(c)]["rate"]
        out(f"Throughput 2 processes / 1 process at {c} in flight: "
            f"{two / one if one else float('nan'):.2f}x")


def main() -> None:
    cli("Scale-out benchmark: one vs two bot processes on PostgreSQL", run_all, report)


if __name__ == "__main__":
    main()
