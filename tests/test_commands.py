"""How a newcomer meets Resonanz: `resonanz serve` or `python -m bot`, and `make demo`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from devtools.demo import run_demo
from devtools.local_connector import free_port

ROOT = Path(__file__).resolve().parents[1]


def wait_for_health(port: int, process: subprocess.Popen, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the bot exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                return {"status": answer.status, "body": answer.read().decode()}
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the bot did not answer /healthz")


@pytest.mark.parametrize("command", [["-m", "bot"], ["-m", "bot.cli", "serve"]],
                         ids=["python -m bot", "resonanz serve"])
def test_the_server_starts_with_defaults_and_answers_the_health_check(tmp_path: Path, command):
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("MicrosoftAppId", "RESONANZ_SECRET", "DATABASE_URL")}
    env.update(PORT=str(port), HOST="127.0.0.1")
    process = subprocess.Popen([sys.executable, *command], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        health = wait_for_health(port, process)
        assert health["status"] == 200 and '"ok"' in health["body"]
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert process.returncode in (0, -15)
    assert (tmp_path / "resonanz.db").exists()
    assert (tmp_path / "resonanz.secret").stat().st_mode & 0o777 == 0o600
    assert "generated a new anonymity secret" in output


def test_the_demo_shows_a_whole_poll_in_a_simulated_meeting():
    lines: list[str] = []
    assert run_demo(out=lines.append) == 0
    transcript = "\n".join(lines)
    assert "25 participants" in transcript
    assert "Your vote was changed." in transcript
    assert "Anonymous poll · closed" in transcript
    assert "Final result · 25 votes" in transcript
    assert "name=None" in transcript
    assert "Teilnehmer" not in transcript and "29:1demo" not in transcript
