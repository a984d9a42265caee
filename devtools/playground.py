"""`python -m devtools.playground`: the bot and the Microsoft 365 Agents Playground, connected.

The Playground (npm `@microsoft/m365agentsplayground`, pinned in package.json) is a web page that
looks like Teams: it posts Teams-shaped activities to the bot's /api/messages and plays the Bot
Connector for the bot's replies (its `/_connector` routes), so cards, clicks and card edits work
without a Teams account. Both processes listen on 127.0.0.1 only; the bot runs in local mode
(no app id, no tokens) on a fresh SQLite database, because the Playground forgets its chats when
it stops.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path("node_modules/@microsoft/m365agentsplayground")
HOST = "127.0.0.1"
DEFAULT_BOT_PORT = 3978
DEFAULT_PLAYGROUND_PORT = 56150
STARTUP_SECONDS = 30.0

# The people, chats and bot the Playground shows (its config file; the schema wants exactly five
# other users). Fixed chat ids keep a test's view of the chats stable.
TENANT_ID = "00000000-0000-0000-0000-0000000000001"
BOT_ID = "00000000-0000-0000-0000-00000000000011"
BOT_NAME = "Resonanz"
CURRENT_USER = "user-id-0"
PERSONAL_CHAT = "resonanz-personal-chat"
GROUP_CHAT = "resonanz-group-chat"
_PEOPLE = ("Alex Wilber", "Megan Bowen", "Adele Vance", "Isaiah Langer", "Patti Fernandez",
           "Lynne Robbins")

# Node binds the Playground to every interface; this preload makes every server of that Node
# process listen on 127.0.0.1 (the Playground relays anything to an unauthenticated bot).
_LOOPBACK_JS = """\
const net = require("net");
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (typeof first === "number" || (typeof first === "string" && /^\\d+$/.test(first))) {
    if (args[1] === undefined || args[1] === null) args[1] = "127.0.0.1";
    else if (typeof args[1] !== "string") args.splice(1, 0, "127.0.0.1");
  } else if (first && typeof first === "object" && first.path === undefined && !first.host) {
    args[0] = { ...first, host: "127.0.0.1" };
  }
  return listen.apply(this, args);
};
"""


class PlaygroundError(RuntimeError):
    """The Playground cannot be installed or started; the message says what to do."""


def _user(index: int) -> dict[str, str]:
    name = _PEOPLE[index]
    given, surname = name.split()
    mail = f"{given.lower()}@example.com"
    return {"id": f"user-id-{index}", "name": name, "userPrincipleName": mail,
            "aadObjectId": f"00000000-0000-0000-0000-00000000002{index}",
            "givenName": given, "surname": surname, "email": mail}


def playground_config() -> dict[str, Any]:
    """The Playground's `.m365agentsplayground.yml` (JSON is YAML)."""
    return {
        "version": "0.1.1",
        "tenantId": TENANT_ID,
        "bot": {"id": BOT_ID, "name": BOT_NAME},
        "currentUser": _user(0),
        "users": [_user(index) for index in range(1, len(_PEOPLE))],
        "personalChat": {"id": PERSONAL_CHAT},
        "groupChat": {"id": GROUP_CHAT, "name": "Team meeting chat"},
        "team": {"id": "resonanz-team", "name": "Resonanz team",
                 "aadGroupId": "00000000-0000-0000-0000-000000000031",
                 "channels": [{"id": "resonanz-channel", "name": "Announcements"}]},
    }


def playground_cli(root: Path = ROOT) -> Path:
    return root / PACKAGE / "cli.js"


def ensure_installed(root: Path = ROOT) -> Path:
    """The Playground's cli.js; runs `npm ci` first when node_modules lacks it."""
    cli = playground_cli(root)
    if shutil.which("node") is None:
        raise PlaygroundError("the Playground needs Node.js 20 or later (node is not on PATH); "
                              "install Node.js and npm, e.g. `apt-get install nodejs npm`")
    if cli.exists():
        return cli
    npm = shutil.which("npm")
    if npm is None:
        raise PlaygroundError("the Playground is not installed and npm is not on PATH; install "
                              "npm, then run `npm ci` in the repository")
    print(f"Installing the Playground: npm ci (in {root})", flush=True)
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=root, check=False)
    if done.returncode != 0 or not cli.exists():
        raise PlaygroundError(f"`npm ci` failed (exit code {done.returncode}); see its output")
    return cli


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


@dataclass
class Running:
    """The bot and the Playground as child processes; `stop()` ends both."""

    bot_port: int
    playground_port: int
    workdir: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _files: list[IO[bytes]] = field(default_factory=list)

    @property
    def bot_endpoint(self) -> str:
        return f"http://{HOST}:{self.bot_port}/api/messages"

    @property
    def playground_url(self) -> str:
        return f"http://{HOST}:{self.playground_port}"

    @property
    def bot_log(self) -> Path:
        return self.workdir / "bot.log"

    @property
    def playground_log(self) -> Path:
        return self.workdir / "playground.log"

    def exited(self) -> list[tuple[str, int]]:
        """(name, exit code) of each process that has stopped."""
        names = ("bot", "playground")
        return [(name, code) for name, process in zip(names, self.processes, strict=False)
                if (code := process.poll()) is not None]

    def stop(self, timeout: float = 10.0) -> None:
        """Ask both to stop (the bot flushes its card edits), kill what is still there."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + timeout
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for handle in self._files:
            handle.close()
        self._files.clear()


def start(*, bot_port: int = DEFAULT_BOT_PORT, playground_port: int = DEFAULT_PLAYGROUND_PORT,
          workdir: Path | None = None, database_url: str | None = None,
          env: Mapping[str, str] | None = None, quiet: bool = False,
          root: Path = ROOT) -> Running:
    """Start the bot, then the Playground pointed at it; return once both answer.

    `quiet` sends the bot's log to `workdir/bot.log` instead of this terminal; the Playground
    always logs to `workdir/playground.log`. `env` adds to (or overrides) both environments."""
    cli = ensure_installed(root)
    for name, port in (("bot", bot_port), ("Playground", playground_port)):
        if not port_is_free(port):
            raise PlaygroundError(f"port {port} for the {name} is in use on {HOST}; choose "
                                  f"another (see `python -m devtools.playground --help`)")
    workdir = Path(workdir or tempfile.mkdtemp(prefix="resonanz-playground-"))
    workdir.mkdir(parents=True, exist_ok=True)
    running = Running(bot_port, playground_port, workdir)
    try:
        _start_bot(running, database_url, env or {}, quiet)
        _wait_until_up(running, f"http://{HOST}:{bot_port}/healthz", "the bot",
                       str(running.bot_log) if quiet else "its log above")
        _start_playground(running, cli, env or {})
        _wait_until_up(running, f"{running.playground_url}/_debug/ping", "the Playground",
                       f"{running.workdir}/playground.*")
    except BaseException:
        running.stop()
        raise
    return running


def _start_bot(running: Running, database_url: str | None, extra: Mapping[str, str],
               quiet: bool) -> None:
    env = dict(os.environ)
    for name in ("PUBLIC_URL", "MicrosoftAppPassword", "MicrosoftAppTenantId"):
        env.pop(name, None)
    env.update({
        "HOST": HOST, "PORT": str(running.bot_port),
        "MicrosoftAppId": "",  # local mode: the Playground sends no tokens
        "DATABASE_URL": database_url or f"sqlite:///{running.workdir / 'resonanz.db'}",
        # A throwaway key: the database is throwaway too.
        "RESONANZ_SECRET": secrets.token_hex(32),
    })
    env.update(extra)
    output: IO[bytes] | None = None
    if quiet:
        output = open(running.bot_log, "wb")  # closed by Running.stop
        running._files.append(output)
    running.processes.append(subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"], cwd=running.workdir, env=env,
        stdout=output, stderr=subprocess.STDOUT if output else None, start_new_session=True))


def _start_playground(running: Running, cli: Path, extra: Mapping[str, str]) -> None:
    config = running.workdir / ".m365agentsplayground.yml"
    config.write_text(json.dumps(playground_config(), indent=2), encoding="utf-8")
    loopback = running.workdir / "loopback.cjs"
    loopback.write_text(_LOOPBACK_JS, encoding="utf-8")
    env = dict(os.environ)
    env.update({
        "TEAMSAPPTESTER_BROWSER": "none",  # else it opens a browser, or exits without one
        "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(config),
        "M365_AGENTS_PLAYGROUND_LOGFILE": str(running.playground_log),
    })
    env.update(extra)
    node = shutil.which("node") or "node"
    command = [node, "--require", str(loopback), str(cli),
               "--app-endpoint", running.bot_endpoint, "--channel-id", "msteams",
               "--port", str(running.playground_port),
               # Replies go here; the default names `localhost`, which may resolve to ::1.
               "--service-url", f"{running.playground_url}/_connector",
               "--disable-telemetry"]
    console = open(running.workdir / "playground.out", "wb")  # closed by Running.stop
    running._files.append(console)
    running.processes.append(subprocess.Popen(
        command, cwd=running.workdir, env=env, stdout=console, stderr=subprocess.STDOUT,
        start_new_session=True))


def _wait_until_up(running: Running, url: str, what: str, log: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if running.exited():
            raise PlaygroundError(f"{what} stopped while starting ({running.exited()}); "
                                  f"see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise PlaygroundError(f"{what} did not answer {url} within {STARTUP_SECONDS:.0f} s; "
                          f"see {log}")


# ---------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.playground",
        description="Run Resonanz and the Microsoft 365 Agents Playground (a Teams-like chat in "
                    "your browser) connected to it, on 127.0.0.1. Ctrl-C stops both.")
    parser.add_argument("--port", type=int, default=DEFAULT_BOT_PORT,
                        help=f"the bot's port (default {DEFAULT_BOT_PORT})")
    parser.add_argument("--playground-port", type=int, default=DEFAULT_PLAYGROUND_PORT,
                        help=f"the Playground's port (default {DEFAULT_PLAYGROUND_PORT})")
    parser.add_argument("--database", help="DATABASE_URL for the bot (default: a fresh SQLite "
                                           "database in a temporary directory)")
    args = parser.parse_args(argv)
    try:
        running = start(bot_port=args.port, playground_port=args.playground_port,
                        database_url=args.database)
    except PlaygroundError as error:
        print(f"playground: {error}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"\nResonanz answers on {running.bot_endpoint}\n"
          f"Open the Playground in your browser: {running.playground_url}\n"
          f"  Personal Chat: write `help` or `poll Lunch? | Pizza | Salad`;\n"
          f"  in the group chat, @mention {BOT_NAME} first.\n"
          f"Logs and database: {running.workdir}\n"
          f"Ctrl-C stops both.\n", flush=True)
    try:
        while not running.exited():
            time.sleep(0.5)
        print(f"playground: stopped unexpectedly: {running.exited()}; see {running.workdir}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping the Playground and the bot ...", flush=True)
        return 0
    finally:
        running.stop()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
