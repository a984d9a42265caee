"""`python -m devtools.new_migration "what changes"` (`make migration MESSAGE="..."`): writes the
next schema revision, storage/migrations/versions/NNNN_<what_changes>.py, from the difference
between the models (storage/tables.py) and a database at the newest revision, for review."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlmodel import SQLModel

from storage.database import create_engine, create_schema
from storage.migrations import alembic_config, differences


def next_revision() -> str:
    """The next number in the one line of revisions: 0002 after 0001."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return f"{max((int(head) for head in heads), default=0) + 1:04d}"


async def write_revision(message: str, scratch: Path) -> str:
    """Upgrade a scratch SQLite database to the newest revision, compare it with the models
    and write what differs as the next revision; returns its file's path."""
    engine = create_engine(f"sqlite:///{scratch / 'head.db'}")
    try:
        await create_schema(engine)
        async with engine.begin() as connection:
            return await connection.run_sync(lambda sync: _autogenerate(sync, message))
    finally:
        await engine.dispose()


def _autogenerate(connection: Connection, message: str) -> str:
    if not differences(connection, SQLModel.metadata):
        raise SystemExit("the models and the newest revision agree: nothing to write")
    revision = command.revision(alembic_config(connection), message=message, autogenerate=True,
                                rev_id=next_revision())
    scripts = revision if isinstance(revision, list) else [revision]
    return ", ".join(script.path for script in scripts if script is not None)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("message", help='what the revision changes, e.g. "poll colour"')
    message = parser.parse_args(argv).message
    with tempfile.TemporaryDirectory() as scratch:
        path = asyncio.run(write_revision(message, Path(scratch)))
    print(f"wrote {path}\n"
          "Review it (README, How it is built: Schema migrations): Alembic compared the models "
          "with SQLite, so check what PostgreSQL needs; write data changes by hand; keep the "
          "previous release working on the new schema; then run `make test`.")


if __name__ == "__main__":
    main()
