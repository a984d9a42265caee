"""Microsoft's Teams manifest schemas from node_modules, and validators that work offline.

The schemas come with the pinned npm package @microsoft/app-manifest (package.json) and are never
committed. Without node_modules the tests run `npm ci` themselves; they skip only where Node or
npm is missing, and fail even then in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft6Validator, validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "node_modules" / "@microsoft" / "app-manifest" / "build" / "json-schemas" / "teams"
SCHEMA_URL = "https://developer.microsoft.com/json-schemas/teams/v{version}/{name}"
MANIFEST_SCHEMA = "MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA = "MicrosoftTeams.Localization.schema.json"
NPM_CI_SECONDS = 900

# The schemas declare draft-04 but use `const` (a draft-06 keyword) for manifestVersion.
# Microsoft's own validator (ajv for draft-04, in @microsoft/app-manifest) enforces it; so do we.
TeamsValidator = validators.extend(Draft4Validator, {"const": Draft6Validator.VALIDATORS["const"]})


def running_in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def schemas_folder() -> Path:
    """The bundled schemas, after `npm ci` if node_modules lacks them."""
    if SCHEMAS.is_dir():
        return SCHEMAS
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        message = ("Node.js and npm are needed for Microsoft's manifest schemas (npm ci installs "
                   "them into node_modules); install Debian's nodejs and npm (.ci/run does)")
        if running_in_ci():
            pytest.fail(f"{message} [CI is set, so this is an error, not a skip]", pytrace=False)
        pytest.skip(message)
    result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, capture_output=True,
                            text=True, timeout=NPM_CI_SECONDS, check=False)
    if result.returncode != 0:
        pytest.fail(f"`npm ci` failed (exit {result.returncode}):\n{result.stderr[-2000:]}",
                    pytrace=False)
    if not SCHEMAS.is_dir():
        pytest.fail(f"`npm ci` ran but {SCHEMAS} is missing: is @microsoft/app-manifest still "
                    f"in package.json?", pytrace=False)
    return SCHEMAS


def load_schema(folder: Path, version: str, name: str) -> dict[str, Any]:
    path = folder / f"v{version}" / name
    if not path.is_file():
        pytest.fail(f"no bundled schema {name} for manifest version {version} ({path})",
                    pytrace=False)
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8-sig"))  # may carry a BOM
    return schema


def validator(folder: Path, version: str, name: str) -> Any:
    """A validator for the bundled schema `name` of `version`. A reference to one of its sibling
    schemas by URL resolves to the bundled copy; nothing is fetched from the network."""
    siblings = Registry().with_resources(
        (SCHEMA_URL.format(version=version, name=path.name),
         Resource.from_contents(json.loads(path.read_text(encoding="utf-8-sig")),
                                default_specification=DRAFT4))
        for path in sorted((folder / f"v{version}").glob("*.json")))
    return TeamsValidator(load_schema(folder, version, name), registry=siblings,
                          format_checker=Draft4Validator.FORMAT_CHECKER)


def errors(checker: Any, document: Any) -> list[str]:
    """Every schema violation of `document`, as `path: message`, in a stable order."""
    found = sorted(checker.iter_errors(document),
                   key=lambda error: [str(part) for part in error.absolute_path])
    return [f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message[:300]}"
            for error in found]
