"""Dependencies point one way: bot -> storage -> facilitation; botbuilder stays at the edge."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEXT_ANALYSIS = {"textblob", "nltk"}
BOTBUILDER = {"botbuilder", "botframework", "msrest", "jwt"}


def imports_of(package: str) -> dict[Path, set[str]]:
    found: dict[Path, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[path] = names
    return found


def test_the_engine_imports_only_the_standard_library_and_itself():
    allowed = set(sys.stdlib_module_names) | {"facilitation", "__future__"} | TEXT_ANALYSIS
    bad = {str(path.relative_to(ROOT)): names - allowed
           for path, names in imports_of("facilitation").items() if names - allowed}
    assert not bad


def test_storage_knows_nothing_of_teams_or_http():
    forbidden = {"bot", "aiohttp"} | BOTBUILDER
    bad = {str(p.relative_to(ROOT)): n & forbidden for p, n in imports_of("storage").items()
           if n & forbidden}
    assert not bad


@pytest.mark.parametrize("package", ["facilitation", "storage"])
def test_lower_layers_do_not_import_the_shell(package):
    assert not any("bot" in names for names in imports_of(package).values())


def test_botbuilder_is_imported_only_by_the_teams_boundary():
    users = sorted(str(p.relative_to(ROOT)) for p, names in imports_of("bot").items()
                   if names & BOTBUILDER)
    assert users == ["bot/teams/endpoint.py"]
