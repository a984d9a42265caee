"""`resonanz serve` as a real process for start-up tests, held to loopback whatever it is told.

The process imports this checkout's code (not the one the editable install points at) and gets a
`sitecustomize` that rewrites every bind to a non-loopback address into the same port on
127.0.0.1 (or ::1), and says so on stderr: a test can give it HOST=0.0.0.0 and see what the bot
does with it, and a bot that wrongly starts still never listens on the network.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUARD_LINE = "loopback guard: bind to"
# Settings of the test runner's environment that would change what a start-up test sees.
CLEARED = ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "MicrosoftAppTenantId",
           "RESONANZ_SECRET", "RESONANZ_SECRET_FILE", "HOST", "PORT", "DATABASE_URL",
           "PUBLIC_URL", "LOG_LEVEL", "RESONANZ_HEADER_TIMEOUT",
           "RESONANZ_INSECURE_ALLOW_UNAUTHENTICATED_NETWORK")

_SITECUSTOMIZE = f'''
import ipaddress, socket, sys

_bind = socket.socket.bind


def _loopback(host):
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def bind(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
        local = "127.0.0.1" if self.family == socket.AF_INET else "::1"
        print("{GUARD_LINE}", address[0], "port", address[1], "made", local, file=sys.stderr,
              flush=True)
        address = (local, *address[1:])
    return _bind(self, address)


socket.socket.bind = bind
'''


def serve_env(folder: Path, **settings: str) -> dict[str, str]:
    """The environment for `python -m bot serve` in `folder`: this checkout's code, the loopback
    guard, SQLite in `folder`, a free port, and `settings` (nothing else of the runner's)."""
    guard = folder / "loopback-guard"
    guard.mkdir(exist_ok=True)
    (guard / "sitecustomize.py").write_text(_SITECUSTOMIZE, encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if name not in CLEARED}
    env.update(PYTHONPATH=os.pathsep.join([str(guard), str(ROOT)]),
               DATABASE_URL=f"sqlite:///{folder / 'resonanz.db'}", PORT=str(free_port()),
               LOG_LEVEL="INFO")
    env.update(settings)
    return env


def run_serve(folder: Path, env: Mapping[str, str], timeout: float = 60
              ) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot serve` to its end (for starts that must be refused)."""
    return subprocess.run([sys.executable, "-m", "bot", "serve"], cwd=folder, env=dict(env),
                          capture_output=True, text=True, timeout=timeout)


@dataclass
class Served:
    """A `resonanz serve` process started by `start_serve`."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def output(self) -> str:
        """Everything it has written so far (stdout and stderr)."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_healthy(self, timeout: float = 60) -> None:
        """Wait until it answers /healthz."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the bot exited with {self.process.returncode}:\n"
                                     f"{self.output()}")
            if health_status(self.port) == 200:
                return
            time.sleep(0.1)
        raise AssertionError(f"the bot did not answer /healthz:\n{self.stop()}")

    def stop(self, timeout: float = 30) -> str:
        """Terminate it (SIGTERM), wait, and return everything it wrote."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.output()


def start_serve(folder: Path, env: Mapping[str, str], *,
                preexec: Callable[[], None] | None = None) -> Served:
    """Start `python -m bot serve` with `env` (from `serve_env`); its output goes to a file, so
    a flood of log lines cannot block it on a full pipe."""
    log = folder / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=folder,
                                   env=dict(env), stdout=out, stderr=subprocess.STDOUT,
                                   preexec_fn=preexec)
    return Served(process, int(env["PORT"]), log)


def health_status(port: int, timeout: float = 1.0) -> int | None:
    """The status of GET /healthz on 127.0.0.1:`port`, None if nothing answered."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               b"Connection: close\r\n\r\n")
            answer = connection.recv(64)
    except OSError:
        return None
    parts = answer.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def listening(port: int) -> bool:
    """Whether anything accepts connections on 127.0.0.1:`port`."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
