"""Where a card's item lives: found only in the conversation and tenant the click came from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bot.core.turn import Turn
from bot.delivery.transport import Address
from facilitation.anonymity import Person
from facilitation.errors import DomainError
from storage.repositories import Chat, ForeignChat, UnitOfWork

T = TypeVar("T")

MAX_ID_CHARS = 64


class Elsewhere(DomainError):
    """The card's item belongs to another chat or tenant than the click: nothing was done."""

    code = "scope.elsewhere"


@dataclass(frozen=True)
class Place:
    """Where an item lives and who made it: what scope and permissions are checked against."""

    item_id: str
    conversation_id: str
    meeting_id: str | None  # the Teams meeting whose roles moderate it, if any
    creator_key: str = ""  # outside meetings its creator moderates it


@dataclass(frozen=True)
class Item(Generic[T]):
    """What a card verb acts on (a poll, a Q&A board, a breakout round, a meeting): which card
    field holds its id, how to load it and where it lives. Features declare their own."""

    field: str
    missing: str  # the message code for an id that names no such item
    get: Callable[[UnitOfWork, str], Awaitable[T | None]]
    place: Callable[[T], Place]
    # The key its creator holds, from (secret, item id, person), for moderating outside meetings.
    creator_key: Callable[[bytes, str, Person], str] | None = None


@dataclass(frozen=True)
class Scoped(Generic[T]):
    """An item found in the click's own conversation and tenant, with its stored chat: edits
    of its cards go to that chat's address, never to an address the click brought."""

    item: T
    place: Place
    chat: Chat

    @property
    def address(self) -> Address:
        return address_of(self.chat)


def address_of(chat: Chat) -> Address:
    """Where to post into a stored chat."""
    return Address(chat.service_url, chat.conversation_id, chat.bot_id)


def chat_of(turn: Turn) -> Chat:
    """The turn's chat as it is to be remembered: where to post into it, its tenant, its
    meeting (storage keeps a known chat's tenant; see ChatRepository.remember)."""
    return Chat(turn.address.conversation_id, turn.address.service_url, turn.tenant_id,
                turn.address.bot_id, turn.meeting_id)


def card_id(data: Mapping[str, Any], field: str) -> str:
    """The id a card sent in `field` (only its shape is checked here, not that it exists)."""
    value = data.get(field)
    if not isinstance(value, str) or not value or len(value) > MAX_ID_CHARS:
        raise DomainError("error.bad_card_data")
    return value


def check_here(turn: Turn, place: Place, chat: Chat | None) -> Chat:
    """The item's chat, if the item lives in the conversation and tenant of the turn; else
    Elsewhere. A chat the bot does not know counts as elsewhere."""
    if (chat is None or place.conversation_id != turn.address.conversation_id
            or chat.tenant_id != turn.tenant_id):
        raise Elsewhere()
    return chat


async def check_chat(uow: UnitOfWork, turn: Turn) -> Chat | None:
    """A command, form or event acts in its own chat: the conversation, if known, must belong
    to the turn's tenant (else ForeignChat, which says so rather than blaming a card). The
    stored chat, or None for a chat not known yet."""
    chat = await uow.chats.get(turn.address.conversation_id)
    if chat is not None and chat.tenant_id != turn.tenant_id:
        raise ForeignChat()
    return chat


async def find(uow: UnitOfWork, turn: Turn, kind: Item[T], item_id: str) -> Scoped[T]:
    """The item with this id, if it lives where the turn comes from (else a DomainError: the
    item's "missing" message, or Elsewhere)."""
    item = await kind.get(uow, item_id)
    if item is None:
        raise DomainError(kind.missing)
    place = kind.place(item)
    chat = check_here(turn, place, await uow.chats.get(place.conversation_id))
    return Scoped(item, place, chat)
