"""Session tokens of the meeting pages (bot.core.sessions): what the bot issued reads back for
its chat until it expires; a token changed, made without the secret, for another chat, expired
or malformed reads as nothing, without an error."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.sessions import SESSION_LIFETIME, Session, SessionTokens

SECRET = b"a secret of the bot, thirty-two bytes or more"
CHAT = "19:meeting_NjQ2ZmE3YjEtYzI1@thread.v2"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
PERSON = "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6"


class Clock:
    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now


def tokens(clock: Clock | None = None, secret: bytes = SECRET) -> SessionTokens:
    return SessionTokens(secret, clock=clock or Clock())


def test_an_issued_token_reads_back_as_its_session_for_its_chat():
    clock = Clock()
    sessions = tokens(clock)
    session = sessions.issue(TENANT, PERSON, CHAT)
    assert sessions.read(sessions.token(session), CHAT) == Session(
        TENANT, PERSON, CHAT, clock.now + SESSION_LIFETIME)


def test_a_token_is_good_until_it_expires_and_not_after():
    clock = Clock()
    sessions = tokens(clock)
    token = sessions.token(sessions.issue(TENANT, PERSON, CHAT))
    clock.now += SESSION_LIFETIME - 1
    assert sessions.read(token, CHAT) is not None
    clock.now += 1
    assert sessions.read(token, CHAT) is None


def test_a_token_for_another_chat_is_nothing_here():
    sessions = tokens()
    token = sessions.token(sessions.issue(TENANT, PERSON, CHAT))
    assert sessions.read(token, "19:another-chat@thread.v2") is None


def test_a_token_made_with_another_secret_is_nothing():
    mine, theirs = tokens(), tokens(secret=b"a guess at the secret, also long enough")
    forged = theirs.token(theirs.issue(TENANT, PERSON, CHAT))
    assert mine.read(forged, CHAT) is None


def test_changing_who_or_until_when_breaks_the_signature():
    sessions = tokens()
    payload, signature = sessions.token(sessions.issue(TENANT, PERSON, CHAT)).split(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    for name, value in (("o", "00000000-0000-0000-0000-000000000001"), ("e", 9e12),
                        ("c", "19:another-chat@thread.v2")):
        changed = base64.urlsafe_b64encode(json.dumps({**fields, name: value}).encode()
                                           ).rstrip(b"=").decode()
        assert sessions.read(f"{changed}.{signature}", fields["c"]) is None


@given(st.text(max_size=1500))
def test_any_text_reads_as_nothing_without_an_error(text):
    assert tokens().read(text, CHAT) is None


@pytest.mark.parametrize("junk", ["", ".", "a.b", "x" * 2000, "Bearer abc.def",
                                  "A" * 20 + "." + "B" * 43, "A" * 20 + ".." + "B" * 42])
def test_junk_reads_as_nothing(junk):
    assert tokens().read(junk, CHAT) is None


def test_the_session_key_is_not_the_secret_itself():
    # A token's signature never equals an HMAC under the bare secret, as voter keys use it.
    sessions = tokens()
    payload, signature = sessions.token(sessions.issue(TENANT, PERSON, CHAT)).split(".")
    bare = base64.urlsafe_b64encode(hmac.new(SECRET, payload.encode(), hashlib.sha256).digest()
                                    ).rstrip(b"=").decode()
    assert signature != bare
