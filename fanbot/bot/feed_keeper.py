"""The feed keeper: one task that fetches the subscribed feeds when they are due
(``fanbot.feeds.refresh``) and passes what they changed on to Discord.

A feed's change is a calendar change like a moderator's: reminders follow, the Events
tab mirror and the boards are told, and a session it moves or cancels gets a correction
wherever a reminder announced the old time (``FanBot.event_changed``). The bot's feeds
are fetched by one process, the one holding shard 0, as the published catalog is:
a URL is fetched once whichever guilds follow it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from fanbot.feeds.apply import FeedChange
from fanbot.feeds.fetch import FeedFetcher
from fanbot.feeds.refresh import Refreshed, refresh_due, refresh_url
from fanbot.reminders.nap import Nap

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot

log = logging.getLogger(__name__)

# Never sleeps longer than this (a subscription made by another process is seen by then),
# nor shorter (a feed that keeps failing at once must not spin).
MAX_SLEEP = timedelta(minutes=5)
MIN_SLEEP = timedelta(seconds=5)


class FeedKeeper:
    def __init__(self, bot: FanBot, *, allow_private: bool) -> None:
        self.bot = bot
        self.fetcher = FeedFetcher(allow_private=allow_private)
        self._nap = Nap()
        self._task: asyncio.Task[None] | None = None
        # One fetch of a URL at a time: a moderator's first fetch and the loop's do not race.
        self._lock = asyncio.Lock()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="fanbot-feeds")

    def wake(self) -> None:
        self._nap.wake()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.fetcher.close()

    async def refresh_now(self, url: str) -> Refreshed:
        """Fetch ``url`` now for every guild that follows it (a new subscription's first
        read), and pass its changes on."""
        async with self._lock:
            done = await refresh_url(self.bot.store, self.fetcher, url, now=self.bot.clock.now())
        await self.pass_on(done.changes)
        return done

    async def run_once(self) -> list[Refreshed]:
        """One pass over the subscriptions that are due (the loop's step; tests call it)."""
        async with self._lock:
            done = await refresh_due(self.bot.store, self.fetcher, now=self.bot.clock.now())
        for refreshed in done:
            await self.pass_on(refreshed.changes)
        return done

    async def pass_on(self, changes: list[FeedChange]) -> None:
        for change in changes:
            try:
                if change.before is not None:
                    await self.bot.event_changed(change.guild_id, change.before, change.after)
                else:
                    self.bot.calendar_written(change.guild_id)
            except Exception:
                log.exception("could not pass on a feed's change in guild %s", change.guild_id)

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
                due = await self.bot.store.feeds.next_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the feed keeper's pass failed; trying again shortly")
                due = None
            now = self.bot.clock.now()
            wait = MAX_SLEEP if due is None else min(max(due - now, MIN_SLEEP), MAX_SLEEP)
            await self._nap.sleep(wait.total_seconds())
