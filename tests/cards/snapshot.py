"""A tiny snapshot helper for cards: the reviewed JSON lives in tests/cards/snapshots/<name>.json.

- The file exists: the card must serialise to exactly its content (a diff is shown otherwise).
- `UPDATE_SNAPSHOTS=1`: the file is (re)written and the check passes.
- The file is missing (and no `UPDATE_SNAPSHOTS=1`): it is written, and the check FAILS, so that
  CI never passes silently on a snapshot nobody has looked at.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest

SNAPSHOT_DIR = Path(__file__).parent / "snapshots"


def serialise(card: Any) -> str:
    return json.dumps(card, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _updating() -> bool:
    return os.environ.get("UPDATE_SNAPSHOTS") == "1"


def assert_snapshot(name: str, card: Any) -> None:
    """Compare `card` with the stored snapshot `name` (see the module docstring)."""
    path = SNAPSHOT_DIR / f"{name}.json"
    actual = serialise(card)
    if _updating():
        SNAPSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        SNAPSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        pytest.fail(f"snapshot {path.relative_to(SNAPSHOT_DIR.parent)} did not exist and was "
                    "written now: review it and commit it, then run the tests again",
                    pytrace=False)
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True),
            fromfile=f"snapshots/{name}.json (reviewed)", tofile=f"{name} (rendered now)"))
        pytest.fail(f"card {name!r} differs from its snapshot; if the change is intended, run "
                    f"with UPDATE_SNAPSHOTS=1 and review the diff:\n{diff}", pytrace=False)
