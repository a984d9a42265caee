"""Anonymity keys: who someone is becomes an HMAC that is scoped to one poll, board or meeting."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Person:
    """Who acts, as the shell knows it. Never stored; only keys derived from it are."""

    tenant_id: str
    user_id: str  # Teams MRI (`from.id`), present for everyone including anonymous guests
    aad_object_id: str | None = None  # Entra object id, absent for anonymous guests

    @property
    def stable_id(self) -> str:
        """The most stable identity Teams gives: the Entra object id, else the MRI."""
        return self.aad_object_id or f"mri:{self.user_id}"


def to_the_minute(moment: datetime) -> datetime:
    """`moment` without seconds: the precision stored with what someone did anonymously (a
    question's time, a meeting row written with a vote), so that a copy of the database files
    cannot match a click to a person by its second."""
    return moment.replace(second=0, microsecond=0)


def scoped_key(secret: bytes, scope: str, person: Person) -> str:
    """A key for `person` that is stable within `scope` and cannot be joined across scopes.

    Without the secret the key says nothing about the person; with it, a key can only be checked
    against a known person and scope, never reversed.
    """
    message = f"{scope}|{person.tenant_id}|{person.stable_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def voter_key(secret: bytes, poll_id: str, person: Person) -> str:
    """The key stored with a ballot: scoped to one poll."""
    return scoped_key(secret, f"poll:{poll_id}", person)


def counting_key(secret: bytes, poll_id: str, person: Person) -> str:
    """The key under which a voter is counted towards a poll's next breakdown: scoped apart from
    the ballot's key, so the people counted since the last breakdown cannot be joined with their
    ballots in the database files."""
    return scoped_key(secret, f"counting:{poll_id}", person)


def creator_key(secret: bytes, poll_id: str, person: Person) -> str:
    """The key that lets a poll's creator moderate it outside meetings (not the voter key)."""
    return scoped_key(secret, f"poll-creator:{poll_id}", person)


def upvoter_key(secret: bytes, board_id: str, person: Person) -> str:
    """The key stored with an upvote: scoped to one Q&A board."""
    return scoped_key(secret, f"board:{board_id}", person)


def board_creator_key(secret: bytes, board_id: str, person: Person) -> str:
    """The key that lets a board's creator moderate it outside meetings."""
    return scoped_key(secret, f"board-creator:{board_id}", person)


def breakout_creator_key(secret: bytes, round_id: str, person: Person) -> str:
    """The key that lets a breakout round's creator moderate it outside meetings."""
    return scoped_key(secret, f"breakout-creator:{round_id}", person)


def asking_key(secret: bytes, board_id: str, person: Person) -> str:
    """A key for counting someone's questions on a board (kept in memory, never stored)."""
    return scoped_key(secret, f"asking:{board_id}", person)


OWNER_TAG_CHARS = 24


def owner_tag(secret: bytes, scope: str, person: Person) -> str:
    """Marks a card posted publicly as one person's own (a form they opened, a "post anyway"
    button): part of a key scoped to the card's item or chat. Others see only a hash that says
    nothing about who it is, and that differs from every key stored with votes or upvotes."""
    return scoped_key(secret, f"card-owner:{scope}", person)[:OWNER_TAG_CHARS]
