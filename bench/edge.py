"""The Teams endpoint's edge under abuse: `python -m bench.edge` (add --quick to try it out).

Starts, on 127.0.0.1 with random ports: a key server (bench/servers.py `keys`: OpenID metadata
and one RS256 signing key endorsed for Teams), an https token endpoint standing in for Microsoft
Entra (`login`), a LocalConnector (`connector`), and the real Resonanz app twice, as
`resonanz serve` runs it (bot.cli.serve: start checks, connection cap, header deadline, access
log): authenticated (`secured`: channel tokens checked against the key server, its own
connector tokens from the login server) and in local mode without tokens (`local`). This process
signs channel tokens with the key server's private key and measures:

  A  in this process, per call: what a request cost before its token was looked at under
     botbuilder 4.17.1 (json.loads and parse_activity of a typical activity and of a 1 MB body),
     next to what bot.teams.tokens now spends on a token it refuses (garbage, a forged signature,
     the same forged token again) and on a valid one
  B  legitimate votes at concurrency 32 (CONCURRENCY): vote invokes, a new voter each, on a new
     poll per measurement; each stores a ballot and makes the bot edit the card through the
     connector. Throughput and p50/p99 over windows of a fixed time, two sides alternating
     (CYCLES windows of each and one more of the first, summed), so a drift of the shared
     machine falls on both sides alike: local mode (the baseline) against authenticated; then
     for each flood, authenticated alone against authenticated with the attacker switched on
     (it runs throughout, paused between its windows by SIGUSR2).
     The floods come from 127.0.0.2-5 (the generator is 127.0.0.1), each attacker's
     connections spread evenly over the four addresses, bounded to FLOOD_RATE requests (or
     reconnections) a second: 8 connections posting 1 MB bodies without a token; 32 posting
     forged tokens, each new (FORGED_TOKENS distinct ones, signed in advance and taken in turn:
     more than the bot remembers refused tokens, so each costs it a signature check); 32
     asking for random report URLs; 1,200 slow clients that never finish their headers. The
     first two also unbounded, for information. With each, the CPU the bot, the attacker and
     the generator (this process) used, and what the attacker achieved in its windows: answers
     a second and errors (requests that got no answer); for the slow clients, reconnections a
     second (connections the bot closed) and the connections held open at the windows' starts
     and ends, against those the bot admits (its cap per address, times four). Then the bot's
     CPU per refused request with only the attacker running.
     An attacker is a process of its own: it prepares (signs its tokens), installs its signal
     handlers, then prints READY; the bench waits for that (READY_TIMEOUT) before its first
     window. SIGUSR1 has it print what it counted since it last did, SIGINT stops it.

Targets of issue 13: authenticated throughput at least 0.8x local mode; under the bounded
floods, legitimate throughput at least 0.8x its own rate alone and p99 under 200 ms. The last
line names the targets not met (exit status 1 then, or when a bot logged an error). A flood
that did not run is one of them: its attacker never printed READY, stopped answering or exited
with a status other than 0, or achieved in its windows less than 0.9x its bound (unbounded: no
answer at all; slow clients: held open less than 0.9x the connections the bot admits).
Everything shares the machine's cores: the generator and the attackers compete with the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import resource
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bench.load import ROOT, Server, log_errors, percentile, start_server
from bench.servers import BENCH_APP_ID
from bot.settings import DEFAULT_CONNECTIONS_PER_CLIENT
from devtools.simulation import Chat, Participant

SERVICE_URL = "http://127.0.0.1:9/"  # the discard port: never called for quiet activities
JSON = {"Content-Type": "application/json"}


def quiet_activity(chat: Chat, number: int) -> dict[str, Any]:
    activity = chat.message(Participant.numbered(number), "hello")
    activity.update(type="conversationUpdate", text=None, entities=None)
    return activity


def channel_token(key: rsa.RSAPrivateKey, **claims: Any) -> str:
    payload = {"iss": "https://api.botframework.com", "aud": BENCH_APP_ID,
               "exp": int(time.time()) + 3600, "nbf": int(time.time()) - 60,
               "serviceurl": SERVICE_URL}
    payload.update(claims)
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": "bench-key"})


def per_call_us(call: Callable[[], Any], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        call()
    return (time.perf_counter() - start) / repeat * 1e6


async def scenario_a(keys_port: int, key: rsa.RSAPrivateKey, quick: bool) -> None:
    from bot.teams.endpoint import parse_activity
    from bot.teams.tokens import Rejected, SigningKeys, TokenValidator

    repeat = 200 if quick else 2000
    chat = Chat(service_url=SERVICE_URL)
    small = json.dumps(quiet_activity(chat, 1))
    big = json.dumps(dict(quiet_activity(chat, 2), type="message", text="x" * (1 << 20)))
    keys = SigningKeys(f"http://127.0.0.1:{keys_port}/openid")
    assert await keys.refresh()
    validator = TokenValidator(BENCH_APP_ID, keys)
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    valid = "Bearer " + channel_token(key)
    forged = ["Bearer " + channel_token(attacker, n=n) for n in range(repeat)]
    repeated = forged[0]

    def refused(header: str) -> None:
        try:
            validator.claims(header)
        except Rejected:
            return
        raise AssertionError("accepted")

    fresh_forged = iter(forged)
    parsed_small = per_call_us(lambda: parse_activity(json.loads(small)), repeat)
    parsed_big = per_call_us(lambda: parse_activity(json.loads(big)), 20)
    garbage = per_call_us(lambda: refused("Bearer garbage"), repeat)
    signature = per_call_us(lambda: refused(next(fresh_forged)), repeat - 1)
    again = per_call_us(lambda: refused(repeated), repeat)
    accepted = per_call_us(lambda: validator.claims(valid), repeat)
    print("A  cost per request before anything else happens (microseconds, one core)")
    print(f"   baseline, botbuilder 4.17.1 parsed first: {len(small):,} B activity "
          f"{parsed_small:8.1f}   1 MB body {parsed_big:10.1f}")
    print(f"   now, token refused: garbage {garbage:6.1f}   forged signature {signature:6.1f}"
          f"   same forged again {again:6.1f}")
    print(f"   now, valid token accepted {accepted:6.1f}")
    await keys.close()


class Votes:
    """Legitimate traffic: Teams-shaped vote invokes (adaptiveCard/action), every one from a
    new voter, on a poll of its own per measurement, signed for the connector's service URL when
    `key` is given (authenticated mode). Each vote stores a ballot and makes the bot edit the
    poll's card through the connector, in authenticated mode with a token it got from the login
    server."""

    def __init__(self, connector: Server, key: rsa.RSAPrivateKey | None) -> None:
        self.service_url = f"http://127.0.0.1:{connector.ports[0]}/"
        self.inspect = f"http://127.0.0.1:{connector.ports[1]}/bench"
        self.chat = Chat(service_url=self.service_url, conversation_id="19:edge@thread.v2")
        self.headers = dict(JSON)
        if key is not None:
            token = channel_token(key, serviceurl=self.service_url)
            self.headers["Authorization"] = "Bearer " + token
        self.voter = 1_000_000 if key is not None else 1  # distinct voters in each app

    async def new_poll(self, http: aiohttp.ClientSession, url: str) -> tuple[str, str]:
        """Posts `poll ...` and waits for its card at the connector: (poll id, card id)."""
        async with http.get(f"{self.inspect}/cards") as answer:
            known = {card["id"] for card in await answer.json()}
        body = self.chat.message(Participant.numbered(0), "poll Edge? | A | B | C")
        async with http.post(url, json=body, headers=self.headers) as answer:
            assert answer.status < 300, f"poll answered {answer.status}"
        for _ in range(300):
            async with http.get(f"{self.inspect}/cards") as answer:
                new = [card for card in await answer.json() if card["id"] not in known]
            if new:
                return new[0]["poll"], new[0]["id"]
            await asyncio.sleep(0.05)
        raise RuntimeError("the poll's card never reached the connector")

    def bodies(self, poll: str, card: str) -> Callable[[], bytes]:
        def next_vote() -> bytes:
            self.voter += 1
            return json.dumps(self.chat.click(
                Participant.numbered(self.voter), "poll.vote",
                {"poll": poll, "rz_choice": str(self.voter % 3)}, reply_to_id=card)).encode()
        return next_vote


@dataclass
class Window:
    """Votes answered in one or more measuring windows: count, seconds, latencies (ms), and
    answers that were not 2xx."""

    count: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    failed: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per process meanwhile

    def __add__(self, other: Window) -> Window:
        cpu = {name: self.cpu.get(name, 0.0) + other.cpu.get(name, 0.0)
               for name in {**self.cpu, **other.cpu}}
        return Window(self.count + other.count, self.seconds + other.seconds,
                      self.latencies + other.latencies, self.failed + other.failed, cpu)

    def cores(self) -> str:
        """The CPU cores each watched process used during the windows."""
        return ", ".join(f"{name} {spent / self.seconds:.2f}"
                         for name, spent in self.cpu.items()) if self.seconds else ""

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)


async def legit_load(url: str, votes: Votes, seconds: float) -> Window:
    """Votes at concurrency CONCURRENCY for `seconds` on a new poll."""
    latencies: list[float] = []
    failed = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        next_vote = votes.bodies(*await votes.new_poll(http, url))
        deadline = time.monotonic() + seconds

        async def worker() -> None:
            nonlocal failed
            while time.monotonic() < deadline:
                body = next_vote()
                started = time.monotonic()
                async with http.post(url, data=body, headers=votes.headers) as answer:
                    await answer.read()
                    failed += answer.status >= 300
                latencies.append((time.monotonic() - started) * 1000)
        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.monotonic() - began
    return Window(len(latencies), elapsed, latencies, failed)


Clocks = dict[str, Callable[[], float]]  # process name: its CPU seconds so far


def clocks(bot: Server, connector: Server,
           attacker: Callable[[], float] | None = None) -> Clocks:
    """The processes whose CPU a window reports: the bot under test, the connector it edits
    cards through, the legitimate generator (this process) and the attacker, if any."""
    watched: Clocks = {"bot": bot.cpu_seconds, "connector": connector.cpu_seconds,
                       "generator": time.process_time}
    if attacker is not None:
        watched["attacker"] = attacker
    return watched


async def watched(window: Awaitable[Window], processes: Clocks) -> Window:
    """`window` with the CPU seconds `processes` spent while it ran."""
    before = {name: clock() for name, clock in processes.items()}
    measured = await window
    measured.cpu = {name: clock() - before[name] for name, clock in processes.items()}
    return measured


#: Attackers come from other addresses than the legitimate generator (127.0.0.1), as they
#: would: per-address limits are part of the defence. All of 127.0.0.0/8 is this machine.
ATTACKER_ADDRESSES = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")


@dataclass
class Tally:
    """What an attacker counted since its last report: `answers` (an HTTP answer, whatever its
    status; for slow clients, connections the bot closed), `errors` (a request that failed
    without one: refused connection, reset, timeout; for slow clients, a connection that could
    not be opened), and for slow clients the connections open now (`held`)."""

    answers: int = 0
    errors: int = 0
    held: int = 0


async def flood(url: str, body: bytes | None, headers: Callable[[], dict[str, str]],
                connections: int, stop: asyncio.Event, active: asyncio.Event, tally: Tally,
                rate: float = 0.0) -> None:
    """Attackers sending while `active` until stopped (a POST of `body`, or a GET of a new
    random report URL when `body` is None; `headers()` for each request), spread evenly over
    ATTACKER_ADDRESSES (a connector of its own for each), counting in `tally`; `rate` > 0
    bounds all of them together to that many requests per second."""
    shares = [len(range(n, connections, len(ATTACKER_ADDRESSES)))
              for n in range(len(ATTACKER_ADDRESSES))]
    sessions = [aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=max(1, share), force_close=True,
                                       local_addr=(address, 0)),
        timeout=aiohttp.ClientTimeout(total=30))
        for address, share in zip(ATTACKER_ADDRESSES, shares, strict=True)]
    interval = connections / rate if rate > 0 else 0.0
    try:
        async def attacker(offset: int) -> None:
            http = sessions[offset % len(sessions)]
            due = time.monotonic() + offset * interval / connections
            while not stop.is_set():
                if not active.is_set():
                    await active.wait()
                    due = time.monotonic() + offset * interval / connections
                if interval:
                    due += interval
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                try:
                    if body is None:
                        request = http.get(url + secrets.token_urlsafe(32), headers=headers())
                    else:
                        request = http.post(url, data=body, headers=headers())
                    async with request as answer:
                        await answer.read()
                except (TimeoutError, aiohttp.ClientError):
                    tally.errors += 1
                else:
                    tally.answers += 1
        await asyncio.gather(*(attacker(n) for n in range(connections)))
    finally:
        for http in sessions:
            await http.close()


async def slow_clients(host: str, port: int, connections: int, stop: asyncio.Event,
                       active: asyncio.Event, tally: Tally, rate: float) -> None:
    """Slowloris while `active`: `connections` connections spread over ATTACKER_ADDRESSES,
    each sending a request's headers one line every SLOW_LINE_EVERY seconds and never finishing
    them; when the bot closes one (its header deadline, or its per-address cap), it is opened
    again, all of them together at most `rate` times a second; all are closed while paused.
    In `tally`: answers, connections the bot closed (each then opened again); errors,
    connections that could not be opened; held, connections open now."""
    interval = connections / rate
    paused = asyncio.Event()

    async def attacker(number: int) -> None:
        address = ATTACKER_ADDRESSES[number % len(ATTACKER_ADDRESSES)]
        due = 0.0
        while not stop.is_set():
            if not active.is_set():
                await active.wait()
                due = time.monotonic() + number * interval / connections
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            due = max(due + interval, time.monotonic())
            try:
                reader, writer = await asyncio.open_connection(host, port,
                                                               local_addr=(address, 0))
            except OSError:
                tally.errors += 1
                continue
            tally.held += 1
            try:
                writer.write(f"POST /api/messages HTTP/1.1\r\nHost: {host}\r\n".encode())
                while active.is_set():
                    read = asyncio.ensure_future(reader.read(1024))
                    held = asyncio.ensure_future(paused.wait())
                    done, _ = await asyncio.wait({read, held}, timeout=SLOW_LINE_EVERY,
                                                 return_when=asyncio.FIRST_COMPLETED)
                    held.cancel()
                    if read not in done:
                        read.cancel()
                        if active.is_set():
                            writer.write(b"X-Slow: 1\r\n")
                            await writer.drain()
                    elif not read.result():
                        tally.answers += 1  # closed by the bot
                        break
            except OSError:
                tally.answers += 1  # reset by the bot
            finally:
                tally.held -= 1
                writer.close()

    async def follow() -> None:  # `paused` mirrors `active`, for the held connections
        while not stop.is_set():
            await active.wait()
            paused.clear()
            while active.is_set() and not stop.is_set():
                await asyncio.sleep(0.05)
            paused.set()
    await asyncio.gather(follow(), *(attacker(n) for n in range(connections)))


FLOODS = (  # name, kind, connections, rate (0: unbounded, shown for information)
    ("8 connections of 1 MB, no token", "huge", 8, 0.0),
    ("8 connections of 1 MB, no token", "huge", 8, None),
    ("32 connections of forged tokens, each new", "forged", 32, 0.0),
    ("32 connections of forged tokens, each new", "forged", 32, None),
    ("32 connections of report URLs", "reports", 32, None),
    ("1,200 slow clients", "slow", 1200, None),
)


async def alternate(first: Callable[[], Awaitable[Window]],
                    second: Callable[[], Awaitable[Window]]) -> tuple[Window, Window]:
    """CYCLES windows of each, alternating, then one more of `first`, summed: a drift of the
    shared machine falls on both alike."""
    one, two = Window(), Window()
    for _ in range(CYCLES):
        one += await first()
        two += await second()
    return one + await first(), two


@dataclass
class Attacked:
    """What an attacker counted in the windows under its flood: answers and errors (see
    Tally), its seconds, and for slow clients the connections it held at each window's start
    and end."""

    answers: int = 0
    errors: int = 0
    seconds: float = 0.0
    held: list[int] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.answers / self.seconds if self.seconds else 0.0


async def with_and_without(attacker: Attacker, warm: float,
                           alone: Callable[[], Awaitable[Window]], processes: Clocks,
                           attacked: Attacked) -> tuple[Window, Window]:
    """Windows alone and with the (paused) attacker switched on, alternating: (alone, under
    the flood), each with the CPU of `processes`; what the attacker counted during the windows
    under its flood is added to `attacked`."""

    async def quiet() -> Window:
        return await watched(alone(), processes)

    async def under() -> Window:
        attacker.toggle()  # on
        await asyncio.sleep(warm)
        warming, _ = await attacker.count()  # not counted: from before the window
        measured = await watched(alone(), processes)
        counted, seconds = await attacker.count()
        attacker.toggle()  # off
        attacked.answers += counted.answers
        attacked.errors += counted.errors
        attacked.seconds += seconds
        attacked.held += [warming.held, counted.held]
        await asyncio.sleep(1.0)  # what it still had in flight is answered
        return measured

    return await alternate(quiet, under)


async def scenario_b(secured: Server, local: Server, connector: Server,
                     key: rsa.RSAPrivateKey, window: float) -> list[str]:
    """Prints the table of B; returns the targets not met."""
    secured_url = f"http://127.0.0.1:{secured.ports[0]}/api/messages"
    local_url = f"http://127.0.0.1:{local.ports[0]}/api/messages"
    signed, plain = Votes(connector, key), Votes(connector, None)
    missed: list[str] = []

    def row(name: str, w: Window, against: Window, target: str, extra: str = "") -> None:
        print(f"   {name:<56} {w.rate:7.0f}/s  p50 {w.p(0.5):6.1f} ms  p99 {w.p(0.99):6.1f} ms"
              f"  not 2xx {w.failed}   {w.rate / against.rate:.2f}x {target}{extra}; "
              f"CPU cores: {w.cores()}")

    def alone() -> Awaitable[Window]:
        return legit_load(secured_url, signed, window)

    print(f"\nB  legitimate votes (a new voter each, a new poll per window), concurrency "
          f"{CONCURRENCY}, windows of {window:.0f} s, {CYCLES} of each side alternating (and one "
          f"more of the first)")
    base, authenticated = await alternate(
        lambda: watched(legit_load(local_url, plain, window), clocks(local, connector)),
        lambda: watched(alone(), clocks(secured, connector)))
    row("local mode, no token (baseline)", base, base, "local")
    row("authenticated, valid tokens", authenticated, base, "local", " (target >= 0.8)")
    if authenticated.rate < 0.8 * base.rate or authenticated.failed:
        missed.append("authenticated throughput >= 0.8x local mode")
    for name, kind, connections, rate in FLOODS:
        bound = FLOOD_RATE if rate is None else rate
        label = f"{name}, {f'{bound:.0f}/s' if bound else 'unbounded'}"
        attacker = await Attacker.start(secured, kind, connections, bound)
        attacked = Attacked()
        if attacker.trouble is None:
            warm = 1.0 + (connections / bound if kind == "slow" else 0.0)  # slow: all open
            quiet, flooded = await with_and_without(
                attacker, warm, alone, clocks(secured, connector, attacker.cpu_seconds),
                attacked)
        await attacker.stop()
        if attacker.trouble is not None:
            print(f"   + {label}: did not run, the attacker {attacker.trouble}")
            missed.append(f"flood {label} did not run: the attacker {attacker.trouble}")
            continue
        contract = rate is None
        row(f"+ {label}", flooded, quiet, "alone",
            f" ({'target >= 0.8, p99 < 200 ms' if contract else 'information only'})")
        if kind == "slow":
            held = sum(attacked.held) / len(attacked.held)
            admitted = min(connections, len(ATTACKER_ADDRESSES) * DEFAULT_CONNECTIONS_PER_CLIENT)
            print(f"     the attacker in its windows: {attacked.rate:.0f} reconnections/s "
                  f"(connections the bot closed), {attacked.errors:,} not opened, "
                  f"{held:,.0f} held open (mean at their starts and ends; the bot admits "
                  f"{admitted:,})")
            if held < 0.9 * admitted:
                missed.append(f"flood {label} did not run: held {held:,.0f} connections open "
                              f"of {admitted:,}")
        else:
            print(f"     the attacker in its windows: {attacked.rate:.0f} answers/s "
                  f"({attacked.answers:,}), {attacked.errors:,} errors (no answer)")
            if attacked.rate < 0.9 * bound or not attacked.answers:
                missed.append(f"flood {label} did not run: achieved {attacked.rate:.0f}/s of "
                              f"{f'{bound:.0f}/s' if bound else 'unbounded'}")
        row("  alone, in between", quiet, base, "local")
        if contract and (flooded.rate < 0.8 * quiet.rate or flooded.p(0.99) >= 200
                         or flooded.failed):
            missed.append(f"{name} at {bound:.0f}/s: {flooded.rate / quiet.rate:.2f}x alone, "
                          f"p99 {flooded.p(0.99):.1f} ms, not 2xx {flooded.failed}")
    for kind, connections in (("huge", 8), ("forged", 32), ("reports", 32)):
        cost, trouble = await refusal_cost(secured, kind, connections, 4.0)
        if trouble is None:
            print(f"   the bot's CPU per refused request, {kind} alone, unbounded: {cost:.0f} µs")
        else:
            print(f"   the bot's CPU per refused request, {kind} alone: the attacker {trouble}")
            missed.append(f"refusal cost of {kind} not measured: the attacker {trouble}")
    return missed


#: The bounded floods' total rate: the issue's floods are "bounded, loopback only". 200
#: requests a second (200 MB/s of 1 MB bodies) is far beyond any real client of this
#: endpoint and leaves the attacker process a fraction of a core, so the comparison is more of
#: what the bot spends than of how the processes share two cores.
CONCURRENCY = 32  # legitimate requests in flight
CYCLES = 3  # windows under each flood (alternating with as many alone, and one more alone)
FLOOD_RATE = 200.0
SLOW_LINE_EVERY = 5.0  # seconds between two header lines of a slow client
#: Distinct forged tokens an attacker takes in turn: more than the 4,096 refused tokens the
#: bot remembers (bot.teams.tokens.TokenValidator), so none is still remembered when it comes
#: again. Signed before READY (about 0.3 ms each).
FORGED_TOKENS = 5000
READY_TIMEOUT = 60.0  # seconds an attacker may take to prepare
ANSWER_TIMEOUT = 10.0  # seconds an attacker may take to answer SIGUSR1 or to stop


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Attacker:
    """An attacker process (`attack`) driven from here by signals, read on its stdout.
    `trouble` says why it did not run as it should (no READY, no answer to SIGUSR1, an exit
    before it was stopped or with a status other than 0), or is None."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.trouble: str | None = None
        self._cpu = 0.0

    @classmethod
    async def start(cls, bot: Server, kind: str, connections: int,
                    rate: float = 0.0) -> Attacker:
        """Starts one and waits for its READY line (READY_TIMEOUT)."""
        attacker = cls(await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.edge", "--attack", kind, "--port", str(bot.ports[0]),
            "--connections", str(connections), "--rate", str(rate), cwd=ROOT,
            stdout=asyncio.subprocess.PIPE))
        said = await attacker._line(READY_TIMEOUT, "READY")
        if said is None:
            await attacker.stop()
        return attacker

    async def _line(self, timeout: float, expected: str) -> list[str] | None:
        """Its next line, split, if it starts with `expected`; else None, and `trouble`."""
        if self.trouble is not None:
            return None
        assert self.process.stdout is not None
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        except TimeoutError:
            self.trouble = f"did not say {expected} within {timeout:.0f} s"
            return None
        words = line.decode().split()
        if words and words[0] == expected:
            return words
        if not line:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.process.wait(), ANSWER_TIMEOUT)
            self.trouble = (f"exited with status {self.process.returncode} before it said "
                            f"{expected}")
        else:
            self.trouble = f"said {line.decode().strip()!r} instead of {expected}"
        return None

    def _signal(self, number: int) -> None:
        if self.trouble is None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(number)

    def toggle(self) -> None:
        """Switches it on, or off (SIGUSR2)."""
        self._signal(signal.SIGUSR2)

    async def count(self) -> tuple[Tally, float]:
        """What it counted since it last said so (or since READY), and in how many seconds;
        nothing once it is in trouble."""
        self._signal(signal.SIGUSR1)
        words = await self._line(ANSWER_TIMEOUT, "COUNT")
        if words is None:
            return Tally(), 0.0
        return Tally(int(words[1]), int(words[2]), int(words[4])), float(words[3])

    def cpu_seconds(self) -> float:
        with contextlib.suppress(OSError):  # its last figure once it is gone
            self._cpu = _cpu_seconds(self.process.pid)
        return self._cpu

    async def stop(self) -> None:
        """SIGINT, then its last lines and its exit status (killed after ANSWER_TIMEOUT)."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGINT)
        assert self.process.stdout is not None
        try:
            await asyncio.wait_for(self.process.wait(), ANSWER_TIMEOUT)
            rest = (await self.process.stdout.read()).decode().split()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
            self.trouble = self.trouble or f"did not stop within {ANSWER_TIMEOUT:.0f} s"
            return
        if self.trouble is None and self.process.returncode != 0:
            self.trouble = f"exited with status {self.process.returncode}"
        elif self.trouble is None and rest[-3:-2] != ["DONE"]:
            self.trouble = "did not say DONE when stopped"


async def refusal_cost(bot: Server, kind: str, connections: int,
                       seconds: float) -> tuple[float, str | None]:
    """The bot's CPU time per refused request while only the attacker runs (µs), counting the
    requests it answered and those that failed; or why the attacker did not run."""
    attacker = await Attacker.start(bot, kind, connections)
    attacker.toggle()  # on
    await asyncio.sleep(0.5)
    await attacker.count()  # it counts from here
    before = bot.cpu_seconds()
    await asyncio.sleep(seconds)
    spent = bot.cpu_seconds() - before
    counted, _ = await attacker.count()
    await attacker.stop()
    return spent / max(1, counted.answers + counted.errors) * 1e6, attacker.trouble


def attack(kind: str, port: int, connections: int, rate: float = 0.0) -> None:
    """An attacker process (its own core share, as a real one would have), driven by signals
    and answering on its stdout, one line each. It prepares (forged tokens are signed here),
    installs its handlers and prints `READY`; then SIGUSR2 switches it on and off (it starts
    paused), SIGUSR1 has it print `COUNT answers errors seconds held` for what it counted since
    the last such line (or READY) and start again, and SIGINT stops it: it prints
    `DONE answers errors` for what it counted since the last report, its last line."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    url = f"http://127.0.0.1:{port}/api/messages"
    body: bytes | None = None
    headers: Callable[[], dict[str, str]] = dict
    if kind == "huge":
        body = b'{"type": "message", "text": "' + b"x" * (1 << 20) + b'"}'
        headers = JSON.copy
    elif kind == "reports":
        url = f"http://127.0.0.1:{port}/reports/"
    elif kind == "forged":
        body = json.dumps(quiet_activity(Chat(service_url=SERVICE_URL), 1)).encode()
        headers = forged_headers(FORGED_TOKENS)
    stop, active = asyncio.Event(), asyncio.Event()
    tally = Tally()
    counted_since = time.monotonic()

    def toggle() -> None:
        if active.is_set():
            active.clear()
        else:
            active.set()

    def report() -> None:
        nonlocal counted_since
        now = time.monotonic()
        print(f"COUNT {tally.answers} {tally.errors} {now - counted_since:.3f} {tally.held}",
              flush=True)
        tally.answers = tally.errors = 0
        counted_since = now

    async def run() -> None:
        loop = asyncio.get_running_loop()
        def finish() -> None:
            stop.set()
            active.set()  # whoever waits for it sees `stop`
        loop.add_signal_handler(signal.SIGINT, finish)
        loop.add_signal_handler(signal.SIGUSR1, report)
        loop.add_signal_handler(signal.SIGUSR2, toggle)  # paused until the first
        print("READY", flush=True)
        if kind == "slow":
            runs = asyncio.ensure_future(
                slow_clients("127.0.0.1", port, connections, stop, active, tally, rate))
            await stop.wait()
            runs.cancel()
            await asyncio.gather(runs, return_exceptions=True)
        else:
            await flood(url, body, headers, connections, stop, active, tally, rate)

    asyncio.run(run())
    print(f"DONE {tally.answers} {tally.errors}", flush=True)


def forged_headers(count: int) -> Callable[[], dict[str, str]]:
    """Headers with forged channel tokens (signed with a key of the attacker's own, under the
    bot's key id), `count` distinct ones (each its own jti) signed in advance and taken in
    turn: with more of them than the bot remembers refused tokens, each it gets is one it has
    not seen recently, so it checks the signature every time."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tokens = [{**JSON, "Authorization": "Bearer " + channel_token(key, jti=f"forged-{n}")}
              for n in range(count)]
    turn = itertools.cycle(tokens)
    return lambda: next(turn)


async def main_async(quick: bool) -> int:
    window = 2.0 if quick else 4.0
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; everything on 127.0.0.1\n")
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        servers: list[Server] = []
        try:
            keys = start_server("keys", ["bench.servers", "keys", str(folder)], folder)
            servers.append(keys)
            key = serialization.load_pem_private_key(
                (folder / "channel-key.pem").read_bytes(), password=None)
            assert isinstance(key, rsa.RSAPrivateKey)
            await scenario_a(keys.ports[0], key, quick)
            login = start_server("login", ["bench.servers", "login", str(folder)], folder)
            connector = start_server("connector", ["bench.servers", "connector"], folder)
            servers += [login, connector]
            ports = [str(keys.ports[0]), str(login.ports[0])]
            secured = start_server(
                "secured", ["bench.servers", "served", "secured", str(folder), *ports], folder,
                env={"REQUESTS_CA_BUNDLE": str(folder / "login-ca.pem")})
            servers.append(secured)
            local = start_server("local", ["bench.servers", "served", "local", str(folder),
                                           *ports], folder)
            servers.append(local)
            await _until_listening(secured, local)
            missed = await scenario_b(secured, local, connector, key, window)
            print(f"\npeak RSS: secured {secured.peak_rss_mb() or 0:.0f} MB, "
                  f"local {local.peak_rss_mb() or 0:.0f} MB")
            errors = [line for server in (secured, local) for line in log_errors(server)]
            print("errors in the bots' logs: " + ("; ".join(errors) if errors else "none"))
            print("targets not met: " + ("; ".join(missed) if missed else "none"))
            return 1 if missed or errors else 0
        finally:
            for server in reversed(servers):
                with contextlib.suppress(Exception):
                    server.stop()


async def _until_listening(*servers: Server) -> None:
    async with aiohttp.ClientSession() as http:
        for server in servers:
            for _ in range(200):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{server.ports[0]}/healthz") as got:
                        if got.status == 200:
                            break
                await asyncio.sleep(0.05)
            else:
                raise RuntimeError(f"{server.name} never answered /healthz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for trying it out")
    parser.add_argument("--attack", choices=("huge", "forged", "reports", "slow"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--connections", type=int, default=8, help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.attack:
        attack(args.attack, args.port, args.connections, args.rate)
        return
    raise SystemExit(asyncio.run(main_async(args.quick)))


if __name__ == "__main__":
    main()
