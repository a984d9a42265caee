"""The `playground` marker: tests that drive the Microsoft 365 Agents Playground (needs Node)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "playground: drives the Microsoft 365 Agents Playground (npm, needs Node.js) "
                   "against the running bot in headless Chromium")
