"""The bot process: one store connection, the command tree, presence, and ``fanbot run``.

A bot run as one process is a plain ``commands.Bot`` (``FanBot``), as it always was. A bot
that outgrew one process runs as several, each with a group of shards, on one PostgreSQL
database (``FANBOT_SHARD_COUNT``, ``FANBOT_SHARD_IDS``: ``ShardedFanBot``, discord.py's
``AutoShardedBot``). What the processes share, and how:

- Reminders: each process sends the channel reminders of its own shards' guilds, and
  the process holding shard 0 sends every DM (``reminder_shards``); a reminder is claimed
  in the database before it is sent, so none is sent twice.
- Discord's global REST limit (50 requests/s for the whole bot): a fixed split by shards,
  ``rest_limit``. Nothing is lent between processes, so a process that is down keeps no
  budget from the others (its share is just not spent).
- IDENTIFY: Discord starts ``max_concurrency`` sessions per 5 seconds, all processes
  together; the processes take turns in the database (``before_identify_hook``).
- Writes: on PostgreSQL each process hears the others' writes as they commit
  (``Store.watch_writes``) and wakes its reminders at once; on SQLite it polls.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord.ext import commands, tasks

from fanbot.answers.context import Asker, Lookups
from fanbot.answers.nextrace import next_race
from fanbot.bot.board_keeper import BoardKeeper
from fanbot.bot.feed_keeper import FeedKeeper
from fanbot.bot.replies import NO_MENTIONS
from fanbot.bot.translator import PoTranslator
from fanbot.bot.tree import FanTree
from fanbot.bot.web import WebServer
from fanbot.calendar_files.catalog import shipped_catalog
from fanbot.clock import Clock
from fanbot.config import Settings
from fanbot.domain.model import Event
from fanbot.domain.session_time import SessionState
from fanbot.i18n import translator
from fanbot.reminders.dispatcher import Dispatcher, Shards
from fanbot.render.words import countdown, session_label
from fanbot.store import Scope, Store, StoreBusy

if TYPE_CHECKING:
    from fanbot.bot.rest_budget import RestBudget

log = logging.getLogger(__name__)

PRESENCE_EVERY_MINUTES = 15
# How soon a change committed by another process can bring a reminder forward (SQLite:
# polled).
OTHER_WRITERS_EVERY_SECONDS = 30
# PostgreSQL tells every process of the others' writes at once; the poll stays, slower, in
# case the listening connection is down without knowing it.
OTHER_WRITERS_SAFETY_NET_SECONDS = 300
# While the database is busy, how soon to ask for a turn to identify again.
IDENTIFY_BUSY_RETRY_SECONDS = 0.5


class DiscordClock:
    """Now, as discord.py sees it (``discord.utils.utcnow``): always aware UTC."""

    def now(self):  # type: ignore[no-untyped-def]
        return discord.utils.utcnow()


def rest_limit(settings: Settings) -> int:
    """This process's share of Discord's global REST limit, in requests per second.

    Discord allows 50 requests/s for the whole bot, all its processes together. A process
    that runs ``k`` of the bot's ``n`` shards (``FANBOT_SHARD_IDS`` of
    ``FANBOT_SHARD_COUNT``) takes ``floor(50 × k / n)``, at least 1: the shares never add
    up to more than 50, and each process paces itself alone, with nothing to ask the
    others. A process that is down keeps nothing from the others: its share is simply not
    spent (the live ones do not take it over either). One process, sharded or not: all 50.
    """
    from fanbot.bot.rest_budget import GLOBAL_LIMIT

    if settings.shard_count is None or settings.shard_ids is None:
        return GLOBAL_LIMIT
    return max(1, GLOBAL_LIMIT * len(settings.shard_ids) // settings.shard_count)


class FanBot(commands.Bot):
    """The bot: the type the cogs know. A single process is this plain ``commands.Bot``;
    a process of a sharded bot is a ``ShardedFanBot`` (``make_bot`` chooses)."""

    def __init__(
        self,
        database: Path | str,
        *,
        settings: Settings | None = None,
        clock: Clock | None = None,
        sync_commands: bool = True,
        watch_other_writers: bool = False,
        **client_options: Any,
    ) -> None:
        from fanbot.bot.rest_budget import rate_limit_trace

        # Every 429 Discord answers is counted (fanbot_rate_limited_total on /metrics).
        client_options.setdefault("http_trace", rate_limit_trace())
        # No privileged intents: slash commands carry everything fanbot needs.
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            tree_cls=FanTree,
            allowed_mentions=NO_MENTIONS,
            help_command=None,
            **client_options,
        )
        self.settings = settings or Settings()
        self._budgeted: object | None = None  # the HTTP client the REST budget sits under
        self.rest_budget: RestBudget | None = None
        self.database = database
        self.clock: Clock = clock or DiscordClock()
        self.sync_commands = sync_commands
        self.watch_other_writers = watch_other_writers
        self._seen_data_version: int | None = None
        self._store: Store | None = None
        self._lookups: Lookups | None = None
        # The optional web server (calendar links, /healthz, /metrics): FANBOT_HTTP_PORT.
        self.web: WebServer | None = None
        self.dispatcher: Dispatcher | None = None
        # Keeps each guild's /calendar board message up to date (made in setup_hook).
        self.board_keeper: BoardKeeper | None = None
        # Fetches the feeds guilds subscribed to (/calendar subscribe), in the process of shard 0.
        self.feed_keeper: FeedKeeper | None = None
        # Follows the published catalog (FANBOT_CATALOG_URL), in the process of shard 0.
        self.catalog_sync: asyncio.Task[None] | None = None

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

    def _budget_rest(self) -> None:
        """Every REST call of the process shares Discord's global limit with the reminders:
        this process's share of it, when the bot runs as several (``rest_limit``). Put under
        the HTTP client at login, so that a process restarted while the others fan out does
        not add its login requests (/users/@me, the application) on top of its share; again
        in setup_hook for a client swapped in meanwhile (the tests' simulated Discord)."""
        from fanbot.bot.rest_budget import RestBudget

        if self._budgeted is not self.http:
            self.rest_budget = RestBudget(limit=rest_limit(self.settings), per=1.0)
            self.rest_budget.install(self.http)
            self._budgeted = self.http

    async def login(self, token: str) -> None:
        self._budget_rest()
        await super().login(token)

    async def setup_hook(self) -> None:
        self._budget_rest()
        self._store = await Store.open(self.database, seed=shipped_catalog())
        self._lookups = Lookups(self._store)
        await self.tree.set_translator(PoTranslator())
        from fanbot.bot.cogs.events_mirror import EventsMirrorCog
        from fanbot.bot.cogs.fan import FanCog
        from fanbot.bot.cogs.moderation.calendar import CalendarCog
        from fanbot.bot.cogs.moderation.events import EventsCog
        from fanbot.bot.cogs.moderation.lineups import LineupsCog
        from fanbot.bot.cogs.moderation.settings import SettingsCog
        from fanbot.bot.cogs.reminders import RemindersCog
        from fanbot.bot.cogs.weekend_threads import WeekendThreadsCog
        from fanbot.bot.courier import DiscordCourier
        from fanbot.bot.views.remind_me import RemindMeButton

        await self.add_cog(FanCog(self))
        await self.add_cog(RemindersCog(self))
        await self.add_cog(EventsCog(self))
        await self.add_cog(LineupsCog(self))
        await self.add_cog(CalendarCog(self))
        await self.add_cog(SettingsCog(self))
        await self.add_cog(EventsMirrorCog(self))  # the Events tab mirror, with its sync loop
        await self.add_cog(WeekendThreadsCog(self))  # archives race weekends' threads
        self.add_dynamic_items(RemindMeButton)
        # Commands are the bot's, not a shard's: one process syncs them, the one holding
        # shard 0 (always there, as it sends the DMs).
        if self.sync_commands and self.reminder_shards().sends_dms:
            await self.sync_tree()
        self.update_presence.start()
        self.dispatcher = Dispatcher(
            self._store,
            self.clock,
            DiscordCourier(self),
            shards=self.reminder_shards(),
            lease=timedelta(seconds=self.settings.reminder_lease_seconds),
        )
        if self.settings.http_port is not None:
            await self._start_web_server()
        self.board_keeper = BoardKeeper(self, shards=self.reminder_shards())
        self.feed_keeper = FeedKeeper(self, allow_private=self.settings.feeds_allow_private)
        # Sending needs only REST, but the guild's language comes from the gateway's cache.
        self.loop.create_task(self._start_reminders())
        # The published catalog is the bot's, not a shard's: one process follows it.
        if self.settings.catalog_url and self.reminder_shards().sends_dms:
            from fanbot.feeds.catalog_sync import follow_published_catalog

            self.catalog_sync = asyncio.create_task(
                follow_published_catalog(
                    self._store,
                    self.settings.catalog_url,
                    clock=self.clock,
                    allow_private=self.settings.feeds_allow_private,
                    on_moved=self.catalog_moved,
                ),
                name="fanbot-catalog-sync",
            )
        if self.watch_other_writers:
            if await self._store.watch_writes(self._other_process_wrote):
                self.notice_other_writers.change_interval(seconds=OTHER_WRITERS_SAFETY_NET_SECONDS)
            self.notice_other_writers.start()

    def _other_process_wrote(self) -> None:
        """Another process committed a write that may bring a reminder forward (PostgreSQL
        tells at once): look again now, as after a write of this process."""
        if self.dispatcher is not None:
            self.dispatcher.wake()
        if self.board_keeper is not None:
            self.board_keeper.wake()

    async def _start_reminders(self) -> None:
        await self.wait_until_ready()
        if self.dispatcher is not None:
            self.dispatcher.start()
        if self.board_keeper is not None:
            self.board_keeper.start()
        # Feeds are the bot's, not a shard's: one process fetches them (a moderator's first
        # fetch of a new subscription runs in whichever process took the command).
        if self.feed_keeper is not None and self.reminder_shards().sends_dms:
            self.feed_keeper.start()

    async def on_ready(self) -> None:
        # What is loaded by the first ready (the guild cache, the store) lives as long as
        # the process: frozen, the garbage collector stops walking it again and again (a
        # full pass stalled commands for tens of milliseconds on a bot with 1,000 guilds).
        # Once a process: on_ready comes again after a re-IDENTIFY, when discord.py drops
        # its old guild cache, and frozen objects are never freed.
        if not gc.get_freeze_count():
            gc.collect()
            gc.freeze()

    def calendar_written(self, guild_id: int | None) -> None:
        """Call after a change to the calendar (``guild_id`` None: the shared catalog's):
        reminders, the Events tab mirror and the boards follow. (A change that moved a
        session fans were reminded of goes through ``event_changed``, which calls this.)"""
        if self.dispatcher is not None:
            self.dispatcher.wake()
        self.dispatch("calendar_changed", guild_id)
        if self.board_keeper is not None:
            self.board_keeper.wake(guild_id)

    async def catalog_moved(self, moved: list[tuple[Event, Event | None]]) -> None:
        """The published catalog moved, cancelled or removed these events: corrections go
        wherever a reminder announced the old time, in every guild; everything follows."""
        from fanbot.bot.courier import DiscordCourier
        from fanbot.reminders.corrections import post_corrections

        courier = self.dispatcher.courier if self.dispatcher is not None else DiscordCourier(self)
        for before, after in moved:
            try:
                await post_corrections(self.store, courier, None, before, after)
            except Exception:
                log.exception("could not post the corrections for %s", before.key)
        self.calendar_written(None)

    async def event_changed(self, guild_id: int, before: Event, after: Event | None) -> None:
        """Call after a moderator moved, postponed, cancelled or removed an event.

        Reminders follow by themselves (they are derived from the sessions); this
        posts a short correction wherever a reminder announced a time that is no
        longer right, and wakes the dispatcher."""
        from fanbot.bot.courier import DiscordCourier
        from fanbot.reminders.corrections import post_corrections

        # The dispatcher, the Events tab mirror (``EventsMirrorCog``) and the board follow.
        self.calendar_written(guild_id)
        # Corrections go the way the reminders went: through the dispatcher's courier.
        # Before setup_hook made one, a new courier does as well (it holds only the bot).
        courier = self.dispatcher.courier if self.dispatcher is not None else DiscordCourier(self)
        await post_corrections(self.store, courier, guild_id, before, after)

    def reminder_shards(self) -> Shards:
        """Whose reminders this process sends: its shards' guilds' (and the DMs, with
        shard 0). Unsharded, the one process sends them all.

        (Not ``shards``: that is ``AutoShardedClient``'s map of its shards' connections.)"""
        count, ids = self.settings.shard_count, self.settings.shard_ids
        if count is None or ids is None:
            return Shards()
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
        changed = self._seen_data_version is not None and data_version != self._seen_data_version
        if changed and self.dispatcher is not None:
            self.dispatcher.wake()
        if changed and self.board_keeper is not None:
            self.board_keeper.wake()
        self._seen_data_version = data_version

    async def _start_web_server(self) -> None:
        web = WebServer(
            self,
            host=self.settings.http_host,
            port=self.settings.http_port or 0,
            public_url=self.settings.http_public_url,
        )
        try:
            await web.start()
        except OSError as exc:
            # Discord comes first: the bot runs on without links, /healthz and /metrics.
            log.error(
                "could not start the web server on %s port %s (%s): running without calendar "
                "links, /healthz and /metrics",
                self.settings.http_host,
                self.settings.http_port,
                exc,
            )
            return
        self.web = web

    async def close(self) -> None:
        if self.web is not None:
            await self.web.stop()
            self.web = None
        self.notice_other_writers.cancel()
        self.update_presence.cancel()
        if self.dispatcher is not None:
            await self.dispatcher.stop()
        if self.board_keeper is not None:
            await self.board_keeper.stop()
        if self.feed_keeper is not None:
            await self.feed_keeper.stop()
        if self.catalog_sync is not None:
            self.catalog_sync.cancel()
            await asyncio.gather(self.catalog_sync, return_exceptions=True)
            self.catalog_sync = None
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
            # Only a session known to have started: a day-only one is merely "race day".
            running = next((s for s in answer.sessions if s.state is SessionState.UNDER_WAY), None)
            first = next((s for s in answer.to_come if s.start), None)
            if running is not None:
                when = tr("{session} under way", session=session_label(running.session, tr))
            else:
                when = countdown(answer.now, first.start, tr) if first and first.start else "date TBA"
            text = f"{answer.event.name[:80]} · {when}"
        await self.change_presence(activity=discord.CustomActivity(name=text[:128]))

    @update_presence.before_loop
    async def _before_presence(self) -> None:
        await self.wait_until_ready()


class ShardedFanBot(FanBot, commands.AutoShardedBot):
    """One process of a bot run as several: the shards ``FANBOT_SHARD_IDS`` of
    ``FANBOT_SHARD_COUNT``, through discord.py's ``AutoShardedBot``.

    ``FanBot`` first: its ``setup_hook``, ``close`` and the rest are the bot's;
    ``AutoShardedBot`` brings the shards' connections in place of ``Client``'s one
    (``connect``, ``change_presence`` on every shard of the process, ``latency``).
    """

    def __init__(self, database: Path | str, *, settings: Settings, **options: Any) -> None:
        if settings.shard_count is None or settings.shard_ids is None:
            raise ValueError("ShardedFanBot needs FANBOT_SHARD_COUNT (make_bot chooses FanBot without)")
        super().__init__(
            database,
            settings=settings,
            shard_count=settings.shard_count,
            shard_ids=list(settings.shard_ids),
            **options,
        )
        self._max_concurrency: int | None = None
        # Shards that identified in this process: another IDENTIFY of one is a re-identify.
        self._identified: set[int] = set()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Wait for this shard's turn to IDENTIFY, shared with the other processes.

        Discord starts ``max_concurrency`` sessions per 5 seconds, one per bucket
        (``shard_id % max_concurrency``), across every process of the bot; discord.py only
        spaces the shards of one process. So a turn is taken in the database
        (``Store.take_identify_turn``), waiting as long as it says. A shard that identifies
        again (its session was lost) first waits discord.py's own 5 seconds, as it would in
        one process: a session that keeps failing does not retry in a tight loop."""
        shard = shard_id or 0
        if shard in self._identified:
            await super().before_identify_hook(shard_id, initial=False)
        bucket = shard % await self.max_concurrency()
        while True:
            try:
                turn = await self.store.take_identify_turn(bucket, now=discord.utils.utcnow())
            except StoreBusy:
                await asyncio.sleep(IDENTIFY_BUSY_RETRY_SECONDS)
                continue
            except Exception:
                # Without the store (it went away): discord.py's own spacing, for this process.
                log.exception("could not take a turn to identify shard %s; waiting 5 s instead", shard)
                await asyncio.sleep(5.0)
                break
            if turn.taken:
                break
            # Said, because discord.py reads no heartbeat ack meanwhile: a wait over 10 s
            # shows in its log as this shard's websocket "behind" by as much, once identified.
            log.info(
                "shard %s waits %.1f s for its turn to identify (bucket %s: another shard went first)",
                shard,
                turn.wait.total_seconds(),
                bucket,
            )
            await asyncio.sleep(turn.wait.total_seconds())
        self._identified.add(shard)

    async def max_concurrency(self) -> int:
        """Discord's ``max_concurrency`` for this bot (``GET /gateway/bot``), asked once;
        1 (the smallest, always safe) while Discord cannot say."""
        if self._max_concurrency is None:
            try:
                _, _, limits = await self.http.get_bot_gateway()
            except (discord.HTTPException, discord.GatewayNotFound, *UNREACHABLE) as exc:
                log.warning(
                    "could not read max_concurrency from Discord (%s); identifying one shard at a time",
                    _why(exc),
                )
                return 1
            self._max_concurrency = max(1, int(limits.get("max_concurrency", 1)))
        return self._max_concurrency


def make_bot(settings: Settings, database: Path | str, **options: Any) -> FanBot:
    """The bot ``fanbot run`` runs: a ``ShardedFanBot`` when the settings give shards,
    else the plain ``FanBot`` of a bot run as one process (no shard in its IDENTIFY)."""
    if settings.sharded:
        return ShardedFanBot(database, settings=settings, **options)
    return FanBot(database, settings=settings, **options)


# Failures that mean Discord could not be reached (no network, DNS, refused, timed out,
# Discord's own 5xx after discord.py's retries): worth trying again, not worth a traceback.
UNREACHABLE = (OSError, aiohttp.ClientError, asyncio.TimeoutError, discord.DiscordServerError)


def _why(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:199] + "…"
