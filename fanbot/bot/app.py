"""The bot process: one store connection, the command tree, presence, and ``fanbot run``."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from datetime import timedelta
from pathlib import Path

import discord
import yarl
from discord.ext import commands, tasks

from fanbot.answers.context import Asker, Lookups
from fanbot.answers.nextrace import next_race
from fanbot.bot.replies import NO_MENTIONS
from fanbot.bot.translator import PoTranslator
from fanbot.bot.tree import FanTree
from fanbot.clock import Clock
from fanbot.config import Settings, catalog_path
from fanbot.domain.model import Event
from fanbot.i18n import translator
from fanbot.reminders.dispatcher import Dispatcher, Shards
from fanbot.render.words import countdown, kind_label
from fanbot.store import Scope, Store

log = logging.getLogger(__name__)

PRESENCE_EVERY_MINUTES = 15
# How soon a change committed by another process can bring a reminder forward.
OTHER_WRITERS_EVERY_SECONDS = 30


class DiscordClock:
    """Now, as discord.py sees it (``discord.utils.utcnow``): always aware UTC."""

    def now(self):  # type: ignore[no-untyped-def]
        return discord.utils.utcnow()


class FanBot(commands.Bot):
    def __init__(
        self,
        database: Path | str,
        *,
        settings: Settings | None = None,
        clock: Clock | None = None,
        sync_commands: bool = True,
        watch_other_writers: bool = False,
    ) -> None:
        # No privileged intents: slash commands carry everything fanbot needs.
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=FanTree,
            allowed_mentions=NO_MENTIONS,
            help_command=None,
        )
        self.settings = settings or Settings()
        self.database = database
        self.clock: Clock = clock or DiscordClock()
        self.sync_commands = sync_commands
        self.watch_other_writers = watch_other_writers
        self._seen_data_version: int | None = None
        self._store: Store | None = None
        self._lookups: Lookups | None = None
        self.dispatcher: Dispatcher | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the store opens in setup_hook")
        return self._store

    @property
    def lookups(self) -> Lookups:
        if self._lookups is None:
            raise RuntimeError("the store opens in setup_hook")
        return self._lookups

    async def setup_hook(self) -> None:
        self._store = await Store.open(self.database, seed=catalog_path())
        self._lookups = Lookups(self._store)
        await self.tree.set_translator(PoTranslator())
        from fanbot.bot.cogs.fan import FanCog
        from fanbot.bot.cogs.moderation import ModerationCog
        from fanbot.bot.cogs.reminders import RemindersCog, RemindMeButton
        from fanbot.bot.courier import DiscordCourier, RestBudget

        # Every REST call of the process shares Discord's global limit with the reminders.
        RestBudget().install(self.http)
        await self.add_cog(FanCog(self))
        await self.add_cog(RemindersCog(self))
        await self.add_cog(ModerationCog(self))
        self.add_dynamic_items(RemindMeButton)
        if self.sync_commands:
            await self.sync_tree()
        self.update_presence.start()
        self.dispatcher = Dispatcher(
            self._store,
            self.clock,
            DiscordCourier(self),
            shards=self.shards(),
            lease=timedelta(seconds=self.settings.reminder_lease_seconds),
        )
        # Sending needs only REST, but the guild's language comes from the gateway's cache.
        self.loop.create_task(self._start_reminders())
        if self.watch_other_writers:
            self.notice_other_writers.start()

    async def _start_reminders(self) -> None:
        await self.wait_until_ready()
        if self.dispatcher is not None:
            self.dispatcher.start()

    async def on_ready(self) -> None:
        # What is loaded by the first ready (the guild cache, the store) lives as long as
        # the process: frozen, the garbage collector stops walking it again and again (a
        # full pass stalled commands for tens of milliseconds on a bot with 1,000 guilds).
        # Once a process: on_ready comes again after a re-IDENTIFY, when discord.py drops
        # its old guild cache, and frozen objects are never freed.
        if not gc.get_freeze_count():
            gc.collect()
            gc.freeze()

    async def event_changed(self, guild_id: int, before: Event, after: Event | None) -> None:
        """Call after a moderator moved, postponed, cancelled or removed an event.

        Reminders follow by themselves (they are derived from the sessions); this
        posts a short correction wherever a reminder announced a time that is no
        longer right, and wakes the dispatcher."""
        from fanbot.reminders.corrections import post_corrections

        if self.dispatcher is not None:
            self.dispatcher.wake()
        await post_corrections(self, guild_id, before, after)

    def shards(self) -> Shards:
        count = self.shard_count or 1
        ids = getattr(self, "shard_ids", None) or ([self.shard_id] if self.shard_id is not None else [0])
        return Shards(frozenset(ids), count)

    async def sync_tree(self) -> None:
        guild_id = self.settings.dev_guild_id
        if guild_id:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands", len(synced))

    @tasks.loop(seconds=OTHER_WRITERS_EVERY_SECONDS)
    async def notice_other_writers(self) -> None:
        """Wake the reminder dispatcher when another process (``fanbot import`` on the
        server) committed: this process's own writes wake it directly."""
        data_version = await self.store.data_version()
        if self._seen_data_version is not None and data_version != self._seen_data_version:
            if self.dispatcher is not None:
                self.dispatcher.wake()
        self._seen_data_version = data_version

    async def close(self) -> None:
        self.notice_other_writers.cancel()
        self.update_presence.cancel()
        if self.dispatcher is not None:
            await self.dispatcher.stop()
        await super().close()
        if self._store is not None:
            await self._store.close()
            self._store = None

    @tasks.loop(minutes=PRESENCE_EVERY_MINUTES)
    async def update_presence(self) -> None:
        """Status line: the next race and how far away it is."""
        try:
            answer = await next_race(Asker(self.store, Scope.catalog(), self.clock, self.lookups))
        except Exception:
            log.exception("could not work out the next race for the status line")
            return
        tr = translator("en")
        if answer.event is None:
            text = "No race scheduled · /nextrace"
        else:
            running = next((s for s in answer.sessions if s.running), None)
            first = next((s for s in answer.to_come if s.start), None)
            if running is not None:
                when = tr("{session} under way", session=kind_label(running.session.kind, tr))
            else:
                when = countdown(answer.now, first.start, tr) if first and first.start else "date TBA"
            text = f"{answer.event.name[:80]} · {when}"
        await self.change_presence(activity=discord.CustomActivity(name=text[:128]))

    @update_presence.before_loop
    async def _before_presence(self) -> None:
        await self.wait_until_ready()


def point_at(settings: Settings) -> None:
    """Send discord.py's REST and gateway traffic where the settings say
    (Discord itself by default; a proxy or a local test double otherwise)."""
    discord.http.Route.BASE = settings.api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def run_bot(settings: Settings, database: Path) -> int:
    point_at(settings)
    bot = FanBot(database, settings=settings, watch_other_writers=True)
    assert settings.token is not None
    asyncio.run(_run_until_stopped(bot, settings.token))
    return 0


async def _run_until_stopped(bot: FanBot, token: str) -> None:
    """Run until Discord lets go or the service manager says stop (SIGTERM, as systemd and
    Docker do, or Ctrl-C): then close properly, so reminders under way are written down.
    (discord.py's own ``run`` only catches Ctrl-C: SIGTERM killed the process mid-send.)"""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    # Windows event loops take no signal handlers: there, Ctrl-C still ends asyncio.run.
    if sys.platform != "win32":
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    async with bot:
        running = asyncio.create_task(bot.start(token))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if running.done():
            running.result()  # a login refused or a fatal error: raise it
            return
        log.info("stopping: closing the connection to Discord and the store")
        await bot.close()
        await asyncio.gather(running, return_exceptions=True)
        # A stop that came while setup_hook was still opening the store: close it now.
        await bot.close()
