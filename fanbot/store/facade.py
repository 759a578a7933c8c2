"""``Store``: the one object the layers above hold, composed of the store's parts.

It opens the database (a SQLite file, ``fanbot.store.sqlite``, or a ``postgresql://``
URL, ``fanbot.store.postgres``), migrates and seeds it,
and passes each question on to the part that holds its SQL: the calendar's reads
(``reads``), the catalog importer (``importer``), the guild settings and name counters
(``settings``), the turns to identify of a sharded bot (``identify``); the moderators'
writes and the reminder tables are reached as ``store.editing`` and ``store.reminders``.
Every part reaches the database through the same ``Database`` interface
(``fanbot.store.backend``), which is all a backend has to provide: nothing above the
store knows which one it is on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fanbot.domain.catalog import Catalog
from fanbot.domain.model import Circuit, Entry, Event, Result, Series
from fanbot.store.backend import Database
from fanbot.store.boards import Boards
from fanbot.store.calendar_links import CalendarLinks
from fanbot.store.editing import Editing
from fanbot.store.feeds import Feeds
from fanbot.store.identify import IDENTIFY_SPACING, IdentifyTurn, IdentifyTurns
from fanbot.store.importer import (
    CatalogFetch,
    CatalogImporter,
    CatalogSource,
    ImportSummary,
    PublishedCatalogState,
)
from fanbot.store.mirror import EventsMirror
from fanbot.store.postgres import PostgresDatabase, is_postgres_url
from fanbot.store.reads import CalendarReads, CalendarRow, Scope
from fanbot.store.reminders import Reminders
from fanbot.store.schema import NAME_COUNTER_VERSION, SEED_VERSION, migrate
from fanbot.store.series_roles import SeriesRoles
from fanbot.store.settings import GuildSettings
from fanbot.store.sqlite import SqliteDatabase
from fanbot.store.weekend_threads import WeekendThreads
from fanbot.store.write_watch import OtherWrite

# How long ``watch_writes`` waits for its connection to listen before returning.
WATCH_WAIT_SECONDS = 10.0


class Store:
    """The calendar, its importer, guild settings, moderators' edits and reminders, on
    one database shared by every caller of this process."""

    def __init__(self, database: Database, *, event_columns: frozenset[str]) -> None:
        # The parts' way to the database; tests reach it to write rows of their own.
        self.database = database
        self.path = database.path
        self.reads = CalendarReads(database)
        self.settings = GuildSettings(database)
        self.importer = CatalogImporter(database, self.reads, event_columns)
        self.reminders = Reminders(database, self.settings)
        self.editing = Editing(database, self.importer)
        self.identify_turns = IdentifyTurns(database)
        # Each guild's calendar board message (``/calendar board``).
        self.boards = Boards(database)
        # Which Discord scheduled event mirrors which race (``/events mirror``).
        self.mirror = EventsMirror(database)
        # Which thread holds each race weekend's reminders (``threads:true`` setups).
        self.weekend_threads = WeekendThreads(database)
        self.feeds = Feeds(database, self.editing)
        self.series_roles = SeriesRoles(database)
        # Each guild's secret calendar subscription link (``/calendar link``).
        self.calendar_links = CalendarLinks(database)

    @classmethod
    async def open(
        cls, target: str | Path, *, seed: CatalogSource | None = None, upto_version: int | None = None
    ) -> Store:
        """Open and migrate the database at ``target``: a SQLite file (created if needed),
        or a ``postgresql://`` URL (a database that exists, empty or fanbot's).

        ``seed`` is the catalog imported when the catalog is empty (first
        start) and again whenever it changed. ``upto_version`` stops migrations early: for upgrade tests only.
        Raises ``StoreUnavailable`` when the database cannot be opened.
        """
        database: SqliteDatabase | PostgresDatabase
        if is_postgres_url(target):
            database = await PostgresDatabase.connect(str(target))
        else:
            database = await SqliteDatabase.connect(target)
        try:
            await migrate(database, upto_version)
            database.counts_names = upto_version is None or upto_version >= NAME_COUNTER_VERSION
            event_columns = await database.columns("events")
            if upto_version is None and isinstance(database, SqliteDatabase):
                database.open_reader()
            store = cls(database, event_columns=event_columns)
            if seed is not None:
                await store.importer.seed(seed, track=upto_version is None or upto_version >= SEED_VERSION)
        except BaseException:
            # aiosqlite's worker thread would keep the process alive (and a pool, its
            # connections open).
            await database.close()
            raise
        return store

    async def close(self) -> None:
        await self.database.close()

    # ------------------------------------------------------------------ the database

    @property
    def writing(self) -> bool:
        """This process has a write transaction open (or waiting to open): reads may see
        what it has not committed, and may yet roll back (a moderator's preview does)."""
        return self.database.writing

    @property
    def writes_begun(self) -> int:
        """Write transactions this process has begun: a cache filled while one was open
        may hold what it had not committed (``writing``)."""
        return self.database.writes_begun

    def on_write(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after each committed write of this process."""
        self.database.on_write(listener)

    async def schema_version(self) -> int:
        return await self.database.schema_version()

    async def data_version(self) -> int:
        """Moves when another process commits anything, this process's own writes aside."""
        return await self.database.data_version()

    async def explain(self, sql: str, params: Sequence[Any]) -> list[str]:
        """The query plan's lines, for tests that guard the indexes."""
        return await self.database.explain(sql, params)

    async def watch_writes(self, callback: Callable[[], None], *, bookkeeping: bool = False) -> bool:
        """Call ``callback`` as each write another process commits arrives, until the store
        closes: True on PostgreSQL (``LISTEN``/``NOTIFY`` on a connection of its own; it
        returns once that listens, or after a few seconds of trying, and keeps trying).
        False on SQLite, which cannot: poll ``data_version`` there.

        Another process's bookkeeping (its reminder claims and outcomes, its turns to
        identify: nothing that brings this process's reminders forward) is left out unless
        ``bookkeeping``. After the listening connection dropped and came back, ``callback``
        is called once whatever: writes may have been missed meanwhile."""

        def heard(write: OtherWrite) -> None:
            if bookkeeping or not write.only_bookkeeping:
                callback()

        return await self.database.watch_writes(heard, wait=WATCH_WAIT_SECONDS)

    @property
    def watching_writes(self) -> bool:
        """Other processes' writes are heard right now (``watch_writes`` on PostgreSQL,
        its connection up): polling ``data_version`` is only a safety net then."""
        return self.database.watching_writes

    async def take_identify_turn(
        self, bucket: int, *, now: datetime, spacing: timedelta = IDENTIFY_SPACING
    ) -> IdentifyTurn:
        """Take the turn of ``bucket`` (a shard id modulo Discord's ``max_concurrency``) to
        IDENTIFY at ``now``, if no shard of it did, in any process, for ``spacing``;
        otherwise how long to wait before asking again (``fanbot.store.identify``)."""
        return await self.identify_turns.take(bucket, now=now, spacing=spacing)

    async def change_token(self, guild_id: int | None = None) -> tuple[int, int]:
        """(catalog, guild) name counters: see ``GuildSettings.change_token``."""
        return await self.settings.change_token(guild_id)

    # ------------------------------------------------------------------ import

    async def import_catalog(
        self,
        catalog: Catalog,
        guild_id: int | None = None,
        *,
        dry_run: bool = False,
        fetched: CatalogFetch | None = None,
    ) -> ImportSummary:
        """Load a checked catalog in one transaction; a second run changes nothing.

        ``dry_run`` imports inside the transaction, counts what would change and
        rolls it all back: the summary a moderator confirms before the real run.
        The shared catalog's ``published`` stamp is kept (``catalog_published``), with
        ``fetched``: how ``fanbot sync`` fetched it (see ``CatalogImporter.import_catalog``).
        """
        return await self.importer.import_catalog(catalog, guild_id, dry_run=dry_run, fetched=fetched)

    async def catalog_published(self) -> datetime | None:
        """The ``published`` stamp of the shared catalog loaded (None: none had one)."""
        return (await self.importer.published_state()).published

    async def published_catalog_state(self) -> PublishedCatalogState:
        """The loaded catalog's stamp and what the last ``fanbot sync`` fetched."""
        return await self.importer.published_state()

    async def remember_catalog_fetch(self, fetched: CatalogFetch) -> None:
        """Keep a sync's validators and digest when its file was the one already loaded."""
        await self.importer.remember_fetch(fetched)

    # ------------------------------------------------------------------ guild settings

    async def moderator_role(self, guild_id: int) -> int | None:
        """The role a guild's admins named as moderators, if any."""
        return await self.settings.moderator_role(guild_id)

    async def set_moderator_role(self, guild_id: int, role_id: int | None) -> None:
        await self.settings.set_moderator_role(guild_id, role_id)

    # ------------------------------------------------------------------ reads (see CalendarReads)

    async def series(self) -> list[Series]:
        return await self.reads.series()

    async def circuits(self, scope: Scope) -> list[Circuit]:
        return await self.reads.circuits(scope)

    async def upcoming_event_ids(
        self, scope: Scope, after: datetime, *, series: str | None = None, limit: int = 10
    ) -> list[int]:
        """Events with a session still to come after ``after``, soonest first."""
        return await self.reads.upcoming_event_ids(scope, after, series=series, limit=limit)

    @staticmethod
    def upcoming_sql(scope: Scope, after: datetime, *, series: str | None = None) -> tuple[str, list[Any]]:
        return CalendarReads.upcoming_sql(scope, after, series=series)

    async def last_raced_event_id(
        self, scope: Scope, before: datetime, *, series: str | None = None
    ) -> int | None:
        """The event whose race most recently came to pass before ``before``."""
        return await self.reads.last_raced_event_id(scope, before, series=series)

    async def circuit_calendar(self, circuit_id: int, guild_id: int | None) -> list[CalendarRow]:
        """The events at a circuit, cancelled ones left out, in date order (/circuit)."""
        return await self.reads.circuit_calendar(circuit_id, guild_id)

    @staticmethod
    def circuit_calendar_sql(circuit_id: int, guild_id: int | None) -> tuple[str, list[Any]]:
        return CalendarReads.circuit_calendar_sql(circuit_id, guild_id)

    async def events_by_id(self, scope: Scope, ids: Iterable[int]) -> list[Event]:
        """Full events (with sessions) for ``ids`` that the scope may see, in ``ids`` order."""
        return await self.reads.events_by_id(scope, ids)

    async def event(self, scope: Scope, event_id: int) -> Event | None:
        return await self.reads.event(scope, event_id)

    async def events(
        self,
        scope: Scope,
        *,
        series: str | None = None,
        season: int | None = None,
        circuit_id: int | None = None,
    ) -> list[Event]:
        """Every event the scope sees, optionally one series, season and/or circuit,
        in date order."""
        return await self.reads.events(scope, series=series, season=season, circuit_id=circuit_id)

    async def seasons(self, scope: Scope, series: str | None = None) -> list[int]:
        return await self.reads.seasons(scope, series)

    async def entries(self, scope: Scope, event_id: int) -> list[Entry]:
        """The entry list of one event (empty when the scope may not see it)."""
        return await self.reads.entries(scope, event_id)

    async def results(self, scope: Scope, event_id: int) -> list[Result]:
        return await self.reads.results(scope, event_id)

    async def driver_names(self, scope: Scope) -> list[str]:
        return await self.reads.driver_names(scope)

    async def own_events(self, guild_id: int) -> list[Event]:
        """The guild's own events only (not the shared catalog), in date order."""
        return await self.reads.own_events(guild_id)

    async def own_circuits(self, guild_id: int) -> list[Circuit]:
        """Circuits the guild added itself (most guilds: none)."""
        return await self.reads.own_circuits(guild_id)

    async def own_driver_names(self, guild_id: int) -> list[str]:
        """Drivers in the guild's own entry lists (some may race in the catalog too)."""
        return await self.reads.own_driver_names(guild_id)

    async def entries_of_driver(self, scope: Scope, name: str) -> list[tuple[int, Entry]]:
        """(event id, entry) for every entry the named driver is in, oldest event first."""
        return await self.reads.entries_of_driver(scope, name)
