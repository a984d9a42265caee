"""Our own view of an incoming activity (`Turn`) and of what to do about it (`Reply`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.delivery.transport import Address
from bot.i18n import Language
from facilitation.anonymity import Person


class TurnKind(StrEnum):
    MESSAGE = "message"
    CARD_ACTION = "card_action"
    INSTALLED = "installed"  # the bot was added to this conversation
    EVENT = "event"  # a Teams meeting event; `verb` names it, `data` is its raw value
    OTHER = "other"


@dataclass(frozen=True)
class Turn:
    """Who acts, where, and what they said or clicked. Handlers never see botbuilder types."""

    kind: TurnKind
    person: Person
    display_name: str
    language: Language
    address: Address
    tenant_id: str
    meeting_id: str | None = None
    conversation_type: str = ""
    text: str = ""
    verb: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    reply_to_id: str | None = None
    # A message meant for the bot: in a personal chat, or one that @mentions it. In group chats
    # Teams delivers every message to the bot (chat message permissions); the others are talk.
    addressed: bool = True

    @property
    def in_meeting(self) -> bool:
        return self.meeting_id is not None


@dataclass(frozen=True)
class Binding:
    """The item that keeps a posted message's id: a kind that a feature registered
    (`Registry.on_posted`) and the item's id. Kept with the message in the database, so the
    item learns the id even when the message arrives after a restart."""

    kind: str
    ref: str


@dataclass(frozen=True)
class Message:
    """Something to post into the turn's conversation: text (Markdown) or a card.

    `binds`: the item that learns the new message's id once the connector has accepted it.
    """

    text: str | None = None
    card: dict[str, Any] | None = None
    binds: Binding | None = None


@dataclass(frozen=True)
class InvokeAnswer:
    """The answer to a card click, shown only to the person who clicked."""

    card: dict[str, Any] | None = None
    message: str | None = None


@dataclass(frozen=True)
class CardEdit:
    """Replace the card of an existing message, for everyone. `address` is where that message
    is: a stored item's own chat (`Scoped.address`), never an address a click brought along,
    except for the form or note the click itself came from."""

    activity_id: str
    card: dict[str, Any]
    address: Address


@dataclass
class Reply:
    """What a handler decided: messages to post, cards to edit and, for card clicks, the
    personal answer."""

    messages: list[Message] = field(default_factory=list)
    invoke: InvokeAnswer | None = None
    edits: list[CardEdit] = field(default_factory=list)
    # Where `messages` go: the stored chat of the item a click acted on (set by the router),
    # else None, the turn's own address.
    address: Address | None = None

    @classmethod
    def say(cls, text: str) -> Reply:
        return cls(messages=[Message(text=text)])

    @classmethod
    def post(cls, card: dict[str, Any], binds: Binding | None = None) -> Reply:
        return cls(messages=[Message(card=card, binds=binds)])

    @classmethod
    def personal(cls, card: dict[str, Any] | None = None, message: str | None = None) -> Reply:
        return cls(invoke=InvokeAnswer(card=card, message=message))
