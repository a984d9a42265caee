"""Alembic's environment: runs the migrations on the connection storage.migrations hands in."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import TypeDecorator
from sqlmodel import SQLModel

from storage import tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.migrations import COMPARISON, connection_of


def render_item(kind: str, item: Any, autogen: AutogenContext) -> str | Literal[False]:
    """New revisions name SQLAlchemy's own types (String for SQLModel's AutoString, DateTime
    for UtcDateTime), so that they do not change when the models' code does."""
    if kind == "type" and isinstance(item, TypeDecorator):
        return f"sa.{item.impl_instance!r}"
    return False


context.configure(connection=connection_of(context.config), target_metadata=SQLModel.metadata,
                  render_as_batch=True, render_item=render_item, **COMPARISON)
with context.begin_transaction():
    context.run_migrations()
