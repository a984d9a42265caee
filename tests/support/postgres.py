"""A throwaway PostgreSQL server for the test session and the pytest fixtures that manage it."""

from __future__ import annotations

import asyncio
import atexit
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy.engine import URL, make_url

from devtools.local_connector import free_port

T = TypeVar("T")

ENV_URL = "RESONANZ_TEST_POSTGRES_URL"
SERVER_USER = "resonanz-pg"
HOST = "127.0.0.1"
SUPERUSER = "postgres"
STARTUP_TIMEOUT = 30.0
SHUTDOWN_TIMEOUT = 30.0
MISSING_BINARIES = (
    "PostgreSQL server binaries not found; install Debian's postgresql package "
    "(.ci/run does it in CI)"
)
# Durability is pointless for a server whose data dir is deleted at session end;
# turning it off makes CREATE DATABASE and commits much faster.
SERVER_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}
_DB_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PostgresBinariesNotFound(RuntimeError):
    """No initdb/postgres/pg_isready installation was found."""


@dataclass(frozen=True)
class PostgresBinaries:
    """Paths of the server programs we run."""

    initdb: Path
    postgres: Path
    pg_isready: Path

    @classmethod
    def find(cls) -> PostgresBinaries | None:
        """Newest Debian /usr/lib/postgresql/*/bin first, then an initdb on PATH (Homebrew etc.)."""
        for bindir in _candidate_bindirs():
            paths = [bindir / name for name in ("initdb", "postgres", "pg_isready")]
            if all(os.access(path, os.X_OK) for path in paths):
                return cls(*paths)
        return None


def _candidate_bindirs() -> list[Path]:
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    on_path = shutil.which("initdb")
    return debian + ([Path(on_path).resolve().parent] if on_path else [])


def _version_key(bindir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))


class PostgresServer:
    """A PostgreSQL server that tests create their databases on.

    By default ``start()`` runs ``initdb`` into a fresh temp directory and starts ``postgres``
    listening only on 127.0.0.1 at a free port (unix socket inside the temp dir, durability
    off). PostgreSQL refuses to run as root, so when we are root the server runs as the
    unprivileged system user ``resonanz-pg`` (created on first use). ``stop()`` shuts it down
    ("fast" mode) and deletes the temp directory.

    If the environment variable ``RESONANZ_TEST_POSTGRES_URL`` is set (pass its value as
    ``external_url``), that existing server is used instead and nothing is started or
    stopped. It must name a role allowed to CREATE/DROP DATABASE and a database to connect to
    for that (default ``postgres``), e.g. ``postgresql://postgres:secret@db:5432/postgres``.
    """

    def __init__(self, external_url: str | None = None) -> None:
        self._external = bool(external_url)
        self._admin_url: URL | None = None
        if external_url:
            url = make_url(external_url)
            self._admin_url = url.set(database=url.database or "postgres")
        self._tempdir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def admin_url(self) -> URL:
        """URL of the maintenance database (``postgres``) on the running server."""
        if self._admin_url is None:
            raise RuntimeError("PostgresServer.start() has not been called")
        return self._admin_url

    def start(self) -> None:
        """Start the local server; raises PostgresBinariesNotFound if PostgreSQL is missing."""
        if self._external or self._process is not None:
            return
        binaries = PostgresBinaries.find()
        if binaries is None:
            raise PostgresBinariesNotFound(MISSING_BINARIES)
        account = _server_account()
        self._tempdir = _make_tempdir(account)
        # Safety net for sessions that end without running fixture teardown.
        atexit.register(self.stop)
        try:
            self._initdb(binaries, account)
            port = free_port()
            self._process = self._spawn(binaries, account, port)
            self._wait_until_ready(binaries, port)
        except BaseException:
            self.stop()
            raise
        self._admin_url = URL.create(
            "postgresql+asyncpg", username=SUPERUSER, host=HOST, port=port, database="postgres"
        )

    def stop(self) -> None:
        """Shut the local server down and delete its files (a no-op for external servers)."""
        atexit.unregister(self.stop)
        if self._process is not None:
            _shut_down(self._process)
            self._process = None
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None
        if not self._external:
            self._admin_url = None

    def create_database(self, name: str) -> str:
        """Create an empty database; returns its ``postgresql+asyncpg://`` URL."""
        _run_async(self._admin_execute(f'CREATE DATABASE "{_checked_name(name)}"'))
        url = self.admin_url.set(drivername="postgresql+asyncpg", database=name)
        return url.render_as_string(hide_password=False)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting any sessions a test left open."""
        sql = f'DROP DATABASE IF EXISTS "{_checked_name(name)}" WITH (FORCE)'
        _run_async(self._admin_execute(sql))

    async def _admin_execute(self, sql: str) -> None:
        dsn = self.admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    def _initdb(self, binaries: PostgresBinaries, account: pwd.struct_passwd) -> None:
        assert self._tempdir is not None
        command = [
            str(binaries.initdb), "-D", str(self._tempdir / "data"), "-A", "trust",
            "-U", SUPERUSER, "--encoding=UTF8", "--locale=C", "--no-sync",
        ]  # fmt: skip
        result = subprocess.run(
            _as_user(account, command), cwd=self._tempdir, capture_output=True, text=True
        )
        if result.returncode != 0:
            output = result.stdout + result.stderr
            raise RuntimeError(f"initdb failed with exit code {result.returncode}:\n{output}")

    def _spawn(
        self, binaries: PostgresBinaries, account: pwd.struct_passwd, port: int
    ) -> subprocess.Popen[bytes]:
        assert self._tempdir is not None
        command = [
            str(binaries.postgres), "-D", str(self._tempdir / "data"),
            "-h", HOST, "-p", str(port), "-k", str(self._tempdir),
        ]  # fmt: skip
        for setting, value in SERVER_SETTINGS.items():
            command += ["-c", f"{setting}={value}"]
        with open(self._log_path, "wb") as log:
            return subprocess.Popen(
                _as_user(account, command),
                cwd=self._tempdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def _wait_until_ready(self, binaries: PostgresBinaries, port: int) -> None:
        assert self._process is not None
        probe = [str(binaries.pg_isready), "-q", "-t", "1", "-h", HOST, "-p", str(port)]
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"PostgreSQL exited with code {self._process.returncode} while starting; "
                    f"server log:\n{self._read_log()}"
                )
            # pg_isready (unlike a bare TCP connect) also waits out "starting up" rejections.
            if subprocess.run(probe, stdin=subprocess.DEVNULL).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(
            f"PostgreSQL did not accept connections on {HOST}:{port} within "
            f"{STARTUP_TIMEOUT:.0f} s; server log:\n{self._read_log()}"
        )

    @property
    def _log_path(self) -> Path:
        assert self._tempdir is not None
        return self._tempdir / "server.log"

    def _read_log(self) -> str:
        return self._log_path.read_text(errors="replace")


def _server_account() -> pwd.struct_passwd:
    """The account the server runs as: ourselves, or ``resonanz-pg`` if we are root."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    try:
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        pass
    command = ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin"]
    result = subprocess.run([*command, SERVER_USER], capture_output=True, text=True)
    try:
        # Re-check rather than trusting the exit code: a parallel session may have won the race.
        return pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise RuntimeError(f"could not create user {SERVER_USER}: {result.stderr}") from None


def _as_user(account: pwd.struct_passwd, command: list[str]) -> list[str]:
    """Prefix ``command`` so it runs as ``account`` (only needed when we are root)."""
    if account.pw_uid == os.geteuid():
        return command
    # setpriv execs in place (runuser forks), so Popen's pid is the postmaster itself and
    # signals reach it directly; --pdeathsig makes the server do a fast shutdown if pytest
    # dies without tearing it down. (It fires when the spawning *thread* exits; fixtures run
    # on the main thread.)
    switch = [
        "setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}",
        "--clear-groups", "--pdeathsig=SIGINT", "--",
    ]  # fmt: skip
    return switch + command


def _make_tempdir(account: pwd.struct_passwd) -> Path:
    # Root's TMPDIR may be private (e.g. under /root); the server user must be able to reach it.
    parent = None if account.pw_uid == os.geteuid() else "/tmp"
    path = Path(tempfile.mkdtemp(prefix="resonanz-pg-", dir=parent))
    if account.pw_uid != os.geteuid():
        os.chown(path, account.pw_uid, account.pw_gid)
    return path


def _shut_down(process: subprocess.Popen[bytes]) -> None:
    # SIGINT is PostgreSQL's "fast" shutdown (what `pg_ctl stop -m fast` sends); SIGQUIT is
    # "immediate" and, unlike SIGKILL, still takes the backends down with the postmaster.
    for sig in (signal.SIGINT, signal.SIGQUIT):
        if process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout=SHUTDOWN_TIMEOUT)
            return
        except subprocess.TimeoutExpired:
            continue
    process.kill()
    process.wait()


def _checked_name(name: str) -> str:
    # Names are interpolated into SQL (CREATE DATABASE takes no parameters), so allow only
    # plain lower-case identifiers.
    if not _DB_NAME.fullmatch(name):
        raise ValueError(f"invalid test database name: {name!r}")
    return name


def _run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    # asyncio.run() refuses to run inside a running loop, and otherwise replaces and then clears
    # this thread's current event loop (which pytest-asyncio manages): use a private thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _database_name(test_name: str) -> str:
    """A unique name that still says which test the database belongs to."""
    slug = re.sub(r"[^a-z0-9]+", "_", test_name.lower()).strip("_")[:40]
    return f"t_{slug}_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server: started on first use, stopped at session end.

    Without PostgreSQL binaries the requesting tests are skipped, except under CI (env ``CI``
    set), where they fail: CI must never silently skip database tests.
    """
    server = PostgresServer(os.environ.get(ENV_URL))
    missing = None
    try:
        server.start()
    except PostgresBinariesNotFound as exc:
        missing = str(exc)  # handled below, outside the except, to keep the report short
    if missing and _running_in_ci():
        pytest.fail(f"{missing} [CI is set, so this is an error, not a skip]", pytrace=False)
    if missing:
        pytest.skip(missing)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_databases(
    postgres_server: PostgresServer, request: pytest.FixtureRequest
) -> Iterator[Callable[[], str]]:
    """Makes fresh, empty databases for this test (as many as it asks for), each as a
    ``postgresql+asyncpg://`` URL; they are dropped when the test ends."""
    names: list[str] = []

    def create() -> str:
        names.append(_database_name(request.node.name))
        return postgres_server.create_database(names[-1])

    yield create
    for name in names:
        postgres_server.drop_database(name)


@pytest.fixture
def postgres_url(postgres_databases: Callable[[], str]) -> str:
    """A fresh, empty database for this test, as a ``postgresql+asyncpg://`` URL."""
    return postgres_databases()
