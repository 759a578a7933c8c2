"""Moderator commands: a guild's own events, sessions, line-ups and results (issue 4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord.ext import commands

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot


class ModerationCog(commands.Cog):
    def __init__(self, bot: FanBot) -> None:
        self.bot = bot
