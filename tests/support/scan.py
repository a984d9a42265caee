"""The identifier scan: does any voter's Teams id, Entra id or name appear anywhere we keep data?"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from tests.support.teams import Participant


def identifiers(people: Iterable[Participant]) -> list[str]:
    """Every identifying string of these people: MRI, Entra object id, display name."""
    found: list[str] = []
    for person in people:
        found += [person.mri, person.name]
        if person.aad_object_id:
            found.append(person.aad_object_id)
    return found


def sqlite_tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, read with the plain sqlite3 module."""
    with sqlite3.connect(path) as connection:
        names = [row[0] for row in connection.execute(
            "select name from sqlite_master where type = 'table' order by name")]
        return {name: connection.execute(f'select * from "{name}"').fetchall() for name in names}


def sqlite_files_text(path: Path) -> str:
    """The database files' raw bytes (main file, WAL, shared memory) as text, so that values
    in free pages or not yet checkpointed pages count too."""
    chunks = []
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if candidate.exists():
            chunks.append(candidate.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(chunks)


def leaks(haystacks: dict[str, str], needles: Iterable[str]) -> list[str]:
    """`where: needle` for every needle found in any haystack."""
    return [f"{where}: {needle}" for where, text in haystacks.items() for needle in needles
            if needle and needle in text]
