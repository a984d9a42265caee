"""`python -m bench.qna_board --quick` runs end to end and prints its report's shape."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_quick_qna_board_bench_prints_its_figures_and_verdicts(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.qna_board", "--quick", "--json", str(figures)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for line in ("Q baseline: board from empty", "Q at 300 questions", "p95 ms",
                 "first question after it", "report page p50", "Q: ask p99 < 300 ms",
                 "S: summary < 1 s", "summary service alone", "S: report page < 1 s"):
        assert line in out
    assert out.count("MET") >= 3  # a verdict (MET or NOT MET) on each target
    assert figures.read_text().startswith("{")
