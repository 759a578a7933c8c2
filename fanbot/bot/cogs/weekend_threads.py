"""The archive pass of the weekend threads: every so often, the threads whose race is
over (``fanbot.reminders.weekend_threads.weekend_over``) are archived, so that the
channel's thread list shows the weekends to come, not the ones run. Discord would
archive them by itself after three days without messages; this closes them within
hours of the flag, and at once for a cancelled or removed event."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

from fanbot.bot.weekend_threads import WeekendThreads
from fanbot.store import StoreBusy

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot

log = logging.getLogger(__name__)

# How often the pass runs: a thread is archived between ARCHIVE_AFTER and this much later.
ARCHIVE_EVERY_MINUTES = 30


class WeekendThreadsCog(commands.Cog):
    def __init__(self, bot: FanBot) -> None:
        self.bot = bot
        self.threads = WeekendThreads(bot)

    async def cog_load(self) -> None:
        self.archive_pass.start()

    async def cog_unload(self) -> None:
        self.archive_pass.cancel()

    @tasks.loop(minutes=ARCHIVE_EVERY_MINUTES)
    async def archive_pass(self) -> None:
        try:
            archived = await self.threads.archive_finished(self.bot.clock.now())
        except StoreBusy:
            return  # the next pass
        except Exception:
            log.exception("the weekend threads' archive pass failed; trying again later")
            return
        if archived:
            log.info("archived %d weekend thread(s) after their race", archived)

    @archive_pass.before_loop
    async def _before_archive_pass(self) -> None:
        await self.bot.wait_until_ready()
