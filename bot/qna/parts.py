"""The Q&A feature's long-lived parts, as the services carry them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.qna.asking_limits import AskingLimit
from bot.qna.live import LiveBoards
from bot.qna.upvote_box import UpvoteBox


@dataclass(frozen=True)
class QnaParts:
    boards: LiveBoards  # the shared board cards
    upvotes: UpvoteBox  # upvotes written in groups
    asking: AskingLimit  # questions per person and window
