"""Shared test helpers (imported by tests/conftest.py)."""
