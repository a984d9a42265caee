"""The help command: generated from the registry, in the user's language."""

from __future__ import annotations

from bot.cards.messages import render_help
from bot.core.permissions import EVERYONE
from bot.core.registry import Command, Registry, alone
from bot.core.services import Services
from bot.core.turn import Reply, Turn


def register(registry: Registry) -> None:
    async def show_help(turn: Turn, arguments: str, services: Services) -> Reply:
        entries = registry.help_entries(turn.language, attendees_start=services.attendees_start)
        return Reply.post(render_help(entries, language=turn.language))

    registry.command(Command("help", "help.help", show_help, unmentioned=alone, who=EVERYONE))
