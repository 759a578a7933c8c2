"""Corrections: when a moderator moves or cancels a session that fans were already
reminded of, say so where the reminder went."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fanbot.domain.model import Event

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot

log = logging.getLogger(__name__)


async def post_corrections(bot: FanBot, guild_id: int, before: Event, after: Event | None) -> None:
    """Filled in with the reminders work; see fanbot.bot.app.FanBot.event_changed."""
    return None
