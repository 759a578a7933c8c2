"""SQLite through aiosqlite: connection set-up, migrations, the catalog importer
and every query fanbot runs.

Every read takes a ``Scope``: the asking guild sees the shared catalog plus its
own events, never another guild's; a DM sees the catalog alone. The scope is a
required argument, so a new query cannot forget it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Protocol

import aiosqlite

from fanbot.domain.catalog import Catalog, CatalogError, EventRecord
from fanbot.domain.localtime import from_iso_utc, to_iso_utc
from fanbot.domain.model import (
    Circuit,
    Entry,
    Event,
    EventStatus,
    Result,
    Series,
    Session,
    SessionKind,
)
from fanbot.domain.session_time import MAX_MINUTES
from fanbot.store.editing import Editing, put_sessions, recompute_session_ends
from fanbot.store.reminders import Reminders, stored_instant

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
# How long a write waits for another process's write lock before giving up: short enough
# for a command to apologise within Discord's 3 seconds. (It waits in ``Store._begin``,
# not in SQLite's busy handler, which would hold the connection's one thread, and every
# read of the process queued behind it, for as long.)
WRITE_WAIT_SECONDS = 2.0
# How far a session's horizon (its latest end) may lie after its sort instant: a session
# lasts at most 48 hours (catalog files and moderators alike), and one known only by its
# day may start as late as the end of that day, at most 25 hours after the day's first
# instant. upcoming_event_ids stops early on it.
SESSION_SPAN = timedelta(minutes=MAX_MINUTES) + timedelta(hours=25)
# The schema version that adds events.length_minutes; the store derives every session's
# end again after its SQL.
SESSION_ENDS_VERSION = 6
# The schema version that adds store_meta (the shipped catalog's digest, for re-seeding).
SEED_VERSION = 8
# What a write may change among the names that indexes in memory hold (``Store._write``).
# A guild id: that guild's own names.
NameChange = Literal["catalog", "none"] | int
# The schema version that adds name_revision.
NAME_COUNTER_VERSION = 5
# Up to this many events by id are read on the event loop (``Store._rows``).
SHORT_READ_EVENTS = 50


@dataclass(frozen=True)
class CalendarRow:
    """One event at a circuit (``Store.circuit_calendar``)."""

    order: tuple[bool, str, int, str]  # undated last, then first session, season, name
    event_id: int
    guild_id: int | None
    until: datetime | None  # when its last dated session stops being current; None: no date


@dataclass(frozen=True)
class Scope:
    """Whose events a read may see: ``guild_id`` None is a DM (catalog only)."""

    guild_id: int | None

    @classmethod
    def catalog(cls) -> Scope:
        return cls(None)


# The one place the scope rule is written down.
_IN_SCOPE = "(e.guild_id IS NULL OR e.guild_id = ?)"


@dataclass
class ImportSummary:
    new: dict[str, int] = field(default_factory=lambda: {"series": 0, "circuits": 0, "events": 0})
    changed: dict[str, int] = field(default_factory=lambda: {"series": 0, "circuits": 0, "events": 0})
    unchanged: dict[str, int] = field(default_factory=lambda: {"series": 0, "circuits": 0, "events": 0})

    @property
    def changed_anything(self) -> bool:
        return any(self.new.values()) or any(self.changed.values())

    def describe(self) -> str:
        parts = []
        for kind in ("series", "circuits", "events"):
            parts.append(
                f"{kind}: {self.new[kind]} new, {self.changed[kind]} changed, "
                f"{self.unchanged[kind]} unchanged"
            )
        return "; ".join(parts)


class _RolledBack(Exception):
    """Raised inside a write transaction to roll a dry run back; carries its result."""

    def __init__(self, summary: ImportSummary) -> None:
        super().__init__("dry run")
        self.summary = summary


def migrations() -> list[tuple[int, str]]:
    """The numbered SQL migrations shipped in ``fanbot/store/migrations``."""
    found = []
    for item in resources.files("fanbot.store.migrations").iterdir():
        name = item.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), item.read_text(encoding="utf-8")))
    return sorted(found)


class CatalogSource(Protocol):
    """Where the shipped catalog comes from (``calendar_files.catalog.CatalogFile``): the
    store keeps its digest and parses it only when it changed, without knowing the format."""

    def read(self) -> bytes: ...

    def parse(self, data: bytes) -> Catalog: ...


class StoreBusy(RuntimeError):
    """Another process held the database's write lock longer than a write could wait:
    nothing was written, and asking again once it is done will work."""


class StoreUnavailable(RuntimeError):
    """The database file cannot be opened (a folder, a missing folder, no permission, not
    a SQLite file); the message names the file, says why, and how to put it right."""


def _why_unopenable(path: Path, exc: sqlite3.Error) -> str:
    if path.is_dir():
        return f"{path} is a folder, not a database file: give a file path, like {path / 'fanbot.sqlite3'}"
    if not path.parent.exists():
        return f"cannot create {path}: the folder {path.parent} does not exist (create it first)"
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
        return f"{path} is not a SQLite database (SQLite says: {exc}); give fanbot a file of its own"
    return f"cannot open the database {path}: {exc}"


class Store:
    """One aiosqlite connection for writes and long reads, shared by every caller of
    this process, and a second connection for short reads on the event loop itself."""

    def __init__(self, db: aiosqlite.Connection, path: str) -> None:
        self._db = db
        self.path = path
        self._write_lock = asyncio.Lock()
        # Short reads (one event, its sessions, an entry list: tens of microseconds in
        # SQLite) run here, on the event loop's thread: a trip to aiosqlite's thread and
        # back costs ~0.15 ms, more than the read, and commands make several. Opened once
        # the schema is migrated.
        self._reader: sqlite3.Connection | None = None
        # Whether the schema has the name counter yet (upgrade tests stop before it).
        self._counts_names = False
        # The columns events has: upgrade tests stop migrations early, and the importer then
        # writes only what that schema knows.
        self._event_columns: frozenset[str] = frozenset()
        # Write transactions this process has begun: a cache filled while one was open
        # may hold what it had not committed (``writing``).
        self.writes_begun = 0
        # Called after every commit: the reminder dispatcher wakes on any change
        # that could bring a reminder forward.
        self._after_write: list[Callable[[], None]] = []
        self.reminders = Reminders(self)
        self.editing = Editing(self)

    @property
    def writing(self) -> bool:
        """This process has a write transaction open (or waiting to open): reads may see
        what it has not committed, and may yet roll back (a moderator's preview does)."""
        return self._write_lock.locked()

    def on_write(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after each committed write of this process."""
        self._after_write.append(listener)

    @classmethod
    async def open(
        cls, path: str | Path, *, seed: CatalogSource | None = None, upto_version: int | None = None
    ) -> Store:
        """Open (creating if needed) and migrate the database at ``path``.

        ``seed`` is the catalog imported when the catalog is empty (first
        start) and again whenever it changed. ``upto_version`` stops migrations early: for upgrade tests only.
        Raises ``StoreUnavailable`` when the file cannot be opened as a database.
        """
        connecting = aiosqlite.connect(str(path), isolation_level=None)
        try:
            db = await connecting
        except sqlite3.Error as exc:
            # aiosqlite stops its thread through this event loop: let it, before the loop
            # ends (asyncio.run), or the thread dies with "Event loop is closed".
            await asyncio.to_thread(connecting._thread.join, 5)
            raise StoreUnavailable(_why_unopenable(Path(path), exc)) from exc
        db.row_factory = aiosqlite.Row
        try:
            # The busy timeout first: switching to WAL must wait for another starting process.
            await _run(db, f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await _run(db, "PRAGMA journal_mode = WAL")
            await _run(db, "PRAGMA foreign_keys = ON")
            await _run(db, "PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            await db.close()
            raise StoreUnavailable(_why_unopenable(Path(path), exc)) from exc
        store = cls(db, str(path))
        try:
            await store._migrate(upto_version)
            store._counts_names = upto_version is None or upto_version >= NAME_COUNTER_VERSION
            async with db.execute("PRAGMA table_info(events)") as cur:
                store._event_columns = frozenset(str(r[1]) for r in await cur.fetchall())
            if upto_version is None:
                store._reader = _open_reader(str(path))
            if seed is not None:
                await store._seed(seed, track=upto_version is None or upto_version >= SEED_VERSION)
        except BaseException:
            # aiosqlite's worker thread would keep the process alive.
            await db.close()
            raise
        return store

    async def _seed(self, seed: CatalogSource, *, track: bool) -> None:
        """Import the shipped catalog into a new database, and again whenever the shipped
        file has changed since (an upgrade: its corrections and new fields must reach a bot
        that was seeded long ago). The import is idempotent; the file's digest, kept in
        ``store_meta``, spares checking and importing it on every start."""
        data = await asyncio.to_thread(seed.read)
        digest = hashlib.sha256(data).hexdigest()
        empty = await self._catalog_is_empty()
        if track and not empty:
            rows = await self._rows("SELECT value FROM store_meta WHERE key = 'seed_sha256'")
            if rows and rows[0]["value"] == digest:
                return
        elif not empty:
            return
        summary = await self.import_catalog(seed.parse(data))
        log.info("%s %s from %s: %s", "seeded" if empty else "updated", self.path, seed, summary.describe())
        if track:
            async with self._write(names="none") as db:
                await _run(
                    db,
                    "INSERT INTO store_meta (key, value) VALUES ('seed_sha256', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (digest,),
                )

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        await self._db.close()

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(self, upto_version: int | None) -> None:
        for version, sql in migrations():
            if upto_version is not None and version > upto_version:
                break
            # names="none": the name counter may not exist yet (migration 5 adds it), and
            # no running process holds name indexes of a schema it does not know.
            async with self._write(names="none", wait=BUSY_TIMEOUT_MS / 1000) as db:
                # Read the version inside the write transaction: two processes
                # starting on a new file at once must not both apply a migration.
                if await self.schema_version() >= version:
                    continue
                log.info("migrating %s to schema version %d", self.path, version)
                # executescript would commit on its own; run statement by statement
                # inside our transaction so a failed migration leaves nothing behind.
                for statement in _split_sql(sql):
                    await _run(db, statement)
                if version == SESSION_ENDS_VERSION:
                    await recompute_session_ends(db)
                await _run(db, f"PRAGMA user_version = {version}")

    @asynccontextmanager
    async def _write(
        self, *, names: NameChange = "catalog", wait: float = WRITE_WAIT_SECONDS
    ) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction at a time; rolled back whole on any error.

        ``names``: which names the write may change, so that the name indexes held in
        memory (``change_token``) are rebuilt only when they must: "catalog" (the shared
        catalog's, by ``fanbot import``), a guild id (that guild's own, by its moderators)
        or "none" (reminder bookkeeping: sending a thousand reminders keeps them). ``wait``:
        how long another process's write lock may hold it up before ``StoreBusy``."""
        deadline = asyncio.get_running_loop().time() + wait
        try:
            # This process's own writes queue here first; the wait counts against ``wait`` too.
            async with asyncio.timeout(wait):
                await self._write_lock.acquire()
        except TimeoutError:
            raise StoreBusy(f"the database stayed busy for {wait:g} s") from None
        self.writes_begun += 1
        try:
            try:
                await self._begin(deadline)
                # Rows changed by this connection so far: a transaction that changes none
                # (importing the same file again) leaves the name counter alone too, so
                # that it changes nothing at all and no process rebuilds its name indexes.
                changes_before = self._db.total_changes
                yield self._db
                changed = self._db.total_changes != changes_before
                if names != "none" and self._counts_names and changed:
                    await _run(
                        self._db,
                        "INSERT INTO name_revision (scope, value) VALUES (?, 1) "
                        "ON CONFLICT (scope) DO UPDATE SET value = value + 1",
                        (_name_scope(names),),
                    )
                await _run(self._db, "COMMIT")
            except BaseException:
                # Whatever failed or was cancelled (even the BEGIN, which runs on aiosqlite's
                # thread after its caller gave up): no transaction may outlive the lock, or
                # every later write of this process would fail and other processes wait.
                await asyncio.shield(self._roll_back_if_open())
                raise
        finally:
            self._write_lock.release()
        for listener in self._after_write:
            listener()

    async def _roll_back_if_open(self) -> None:
        # Queued behind anything already sent to the connection's thread (a BEGIN whose
        # caller was cancelled), so it sees the transaction that BEGIN opened.
        await self._db._execute(_roll_back_if_open, self._db._conn)  # type: ignore[no-untyped-call]

    async def _begin(self, deadline: float) -> None:
        """BEGIN IMMEDIATE: take the write lock, waiting for another process's in short
        tries with the connection's thread free in between, so reads go on meanwhile.

        Each try turns SQLite's busy wait off for the BEGIN alone, in one call on the
        connection's thread (no other statement of this connection runs in between), and
        always turns it back on: reads keep the full busy timeout."""
        loop = asyncio.get_running_loop()
        pause = 0.005
        while True:
            try:
                # aiosqlite's own way onto its thread (private, but stable across 0.17-0.22).
                await self._db._execute(_begin_immediate_without_waiting, self._db._conn)  # type: ignore[no-untyped-call]
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                    raise
                if loop.time() + pause > deadline:
                    raise StoreBusy("the database is locked by another writer") from exc
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.1)

    async def change_token(self, guild_id: int | None = None) -> tuple[int, int]:
        """(catalog, guild): the first moves when any process commits a write that may
        change a catalog name, the second when one may change ``guild_id``'s own names.
        The name indexes compare them to know when to rebuild."""
        own = _name_scope(guild_id) if guild_id is not None else ""
        rows = await self._rows(
            "SELECT scope, value FROM name_revision WHERE scope IN ('catalog', ?)", (own,)
        )
        values = {str(r[0]): int(r[1]) for r in rows}
        return values.get("catalog", 0), values.get(own, 0)

    async def data_version(self) -> int:
        """Moves when another connection (another process) commits anything, this
        process's own writes aside: ``PRAGMA data_version`` on the writing connection."""
        rows = list(await self._db.execute_fetchall("PRAGMA data_version"))
        return int(rows[0][0]) if rows else 0

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """A short read: on the event loop through the reader connection when it can,
        through aiosqlite's thread otherwise (see ``_scan``)."""
        async with self._scan(sql, params) as rows:
            return list(rows)

    @asynccontextmanager
    async def _scan(self, sql: str, params: Sequence[Any] = ()) -> AsyncIterator[Iterable[sqlite3.Row]]:
        """Rows of a short read, which the caller may stop reading early.

        While this process has a write transaction open, reads go through the writing
        connection as they always did, so code that reads during a write sees it.
        The reader never waits for a lock (WAL readers seldom have to): when it would,
        the read takes the thread's way instead of stalling the event loop."""
        cursor = None
        if self._reader is not None and not self._write_lock.locked():
            try:
                cursor = self._reader.execute(sql, params)
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                    raise
        if cursor is None:
            yield await self._db.execute_fetchall(sql, params)
            return
        try:
            yield cursor
        finally:
            cursor.close()

    async def _catalog_is_empty(self) -> bool:
        async with self._db.execute("SELECT COUNT(*) FROM events WHERE guild_id IS NULL") as cur:
            row = await cur.fetchone()
        return row is None or row[0] == 0

    async def explain(self, sql: str, params: Sequence[Any]) -> list[str]:
        """``EXPLAIN QUERY PLAN`` details, for tests that guard the indexes."""
        async with self._db.execute(f"EXPLAIN QUERY PLAN {sql}", params) as cur:
            return [str(row["detail"]) for row in await cur.fetchall()]

    # ------------------------------------------------------------------ import

    async def import_catalog(
        self, catalog: Catalog, guild_id: int | None = None, *, dry_run: bool = False
    ) -> ImportSummary:
        """Load a checked catalog in one transaction; a second run changes nothing.

        ``dry_run`` imports inside the transaction, counts what would change and
        rolls it all back: the summary a moderator confirms before the real run.
        """
        try:
            async with self._write(names="catalog" if guild_id is None else guild_id) as db:
                summary = await self._import_into(db, catalog, guild_id)
                if dry_run:
                    raise _RolledBack(summary)
        except _RolledBack as rolled_back:
            return rolled_back.summary
        return summary

    async def _import_into(
        self, db: aiosqlite.Connection, catalog: Catalog, guild_id: int | None
    ) -> ImportSummary:
        """The import itself, inside a write transaction the caller holds."""
        summary = ImportSummary()
        series_ids: dict[str, int] = {}
        if guild_id is not None:
            # Series are shared by every guild: a guild's file may use them, not rename them.
            known = {x.code: x for x in await self.series()}
            unknown = sorted(s.code for s in catalog.series if s.code not in known)
            if unknown:
                raise CatalogError("catalog", [f"series {code!r} is not known" for code in unknown])
            series_ids = await self._series_ids(db)
            summary.unchanged["series"] += len(catalog.series)
        for s in catalog.series if guild_id is None else ():
            series_ids[s.code] = await self._upsert(
                db,
                summary,
                "series",
                "SELECT * FROM series WHERE code = ?",
                (s.code,),
                {"code": s.code, "name": s.name, "source": s.source},
            )
        circuit_ids: dict[str, int] = {}
        for c in catalog.circuits:
            shared = await self._shared_circuit_id(db, c.key) if guild_id is not None else None
            if shared is not None:
                # A guild's file names a shared circuit: use it as it is. A guild copy
                # would list the circuit twice and could not be corrected with the catalog.
                circuit_ids[c.key] = shared
                summary.unchanged["circuits"] += 1
                continue
            circuit_ids[c.key] = await self._upsert(
                db,
                summary,
                "circuits",
                "SELECT * FROM circuits WHERE COALESCE(guild_id, -1) = COALESCE(?, -1) AND key = ?",
                (guild_id, c.key),
                {
                    "guild_id": guild_id,
                    "key": c.key,
                    "name": c.name,
                    "location": c.location,
                    "country": c.country,
                    "timezone": c.timezone,
                    "length_km": c.length_km,
                    "turns": c.turns,
                    "aliases": "|".join(c.aliases),
                    "source": c.source,
                    "notes": c.notes,
                },
            )
        for e in catalog.events:
            await self._import_event(db, summary, e, guild_id, series_ids[e.series], circuit_ids[e.circuit])
        return summary

    async def _shared_circuit_id(self, db: aiosqlite.Connection, key: str) -> int | None:
        async with db.execute("SELECT id FROM circuits WHERE guild_id IS NULL AND key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return int(row["id"]) if row else None

    async def _series_ids(self, db: aiosqlite.Connection) -> dict[str, int]:
        async with db.execute("SELECT id, code FROM series") as cur:
            return {str(r["code"]): int(r["id"]) for r in await cur.fetchall()}

    async def _upsert(
        self,
        db: aiosqlite.Connection,
        summary: ImportSummary,
        kind: str,
        select: str,
        params: Sequence[Any],
        values: dict[str, Any],
    ) -> int:
        async with db.execute(select, params) as cur:
            row = await cur.fetchone()
        columns = list(values)
        if row is None:
            rowid = await _run(
                db,
                f"INSERT INTO {kind} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                [values[c] for c in columns],
            )
            summary.new[kind] += 1
            assert rowid is not None
            return rowid
        if all(row[c] == values[c] for c in columns):
            summary.unchanged[kind] += 1
        else:
            await _run(
                db,
                f"UPDATE {kind} SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",
                [*(values[c] for c in columns), row["id"]],
            )
            summary.changed[kind] += 1
        return int(row["id"])

    async def _import_event(
        self,
        db: aiosqlite.Connection,
        summary: ImportSummary,
        e: EventRecord,
        guild_id: int | None,
        series_id: int,
        circuit_id: int,
    ) -> None:
        values = {
            "guild_id": guild_id,
            "key": e.key,
            "series_id": series_id,
            "circuit_id": circuit_id,
            "season": e.season,
            "name": e.name,
            "edition": e.edition,
            "length": e.length,
            "length_minutes": e.length_minutes,
            "status": e.status,
            "info_url": e.info_url,
            "watch_url": e.watch_url,
            "source": e.source,
            "notes": e.notes,
            "aliases": "|".join(e.aliases),
        }
        values = {column: value for column, value in values.items() if column in self._event_columns}
        async with db.execute(
            "SELECT * FROM events WHERE COALESCE(guild_id, -1) = COALESCE(?, -1) AND key = ?",
            (guild_id, e.key),
        ) as cur:
            row = await cur.fetchone()
        if row is not None:
            event_id = int(row["id"])
            before = await self._event_snapshot(db, event_id)
            if all(row[c] == values[c] for c in values) and before == _record_snapshot(e):
                summary.unchanged["events"] += 1
                return
            await _run(
                db,
                f"UPDATE events SET {', '.join(f'{c} = ?' for c in values)}, "
                "version = version + 1 WHERE id = ?",
                [*values.values(), event_id],
            )
            summary.changed["events"] += 1
        else:
            columns = list(values)
            rowid = await _run(
                db,
                f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                list(values.values()),
            )
            assert rowid is not None
            event_id = rowid
            summary.new["events"] += 1
        await self._replace_event_details(db, event_id, e)

    async def _replace_event_details(self, db: aiosqlite.Connection, event_id: int, e: EventRecord) -> None:
        # Sessions are updated in place by key so their ids (which reminders
        # point at) survive a re-import; entries and results are replaced whole.
        await put_sessions(db, event_id, e.sessions)
        await _run(db, "DELETE FROM entries WHERE event_id = ?", (event_id,))
        for position, entry in enumerate(e.entries):
            rowid = await _run(
                db,
                "INSERT INTO entries (event_id, number, class, team, car, position, source, "
                "notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    event_id,
                    entry.number,
                    entry.car_class,
                    entry.team,
                    entry.car,
                    position,
                    entry.source,
                    entry.notes,
                ),
            )
            entry_id = rowid
            for order, name in enumerate(entry.drivers):
                await _run(db, "INSERT INTO drivers (name) VALUES (?) ON CONFLICT (name) DO NOTHING", (name,))
                await _run(
                    db,
                    "INSERT INTO entry_drivers (entry_id, driver_id, position) "
                    "SELECT ?, id, ? FROM drivers WHERE name = ?",
                    (entry_id, order, name),
                )
        await _run(db, "DELETE FROM results WHERE event_id = ?", (event_id,))
        for r in e.results:
            await _run(
                db,
                "INSERT INTO results (event_id, class, position, number, description, source) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (event_id, r.car_class, r.position, r.number, r.description, r.source),
            )

    async def _event_snapshot(self, db: aiosqlite.Connection, event_id: int) -> tuple[Any, ...]:
        async with db.execute(
            "SELECT key, kind, start_at, local_date, sort_at, duration_minutes, notes "
            "FROM sessions WHERE event_id = ? ORDER BY id",
            (event_id,),
        ) as cur:
            sessions = sorted(tuple(r) for r in await cur.fetchall())
        async with db.execute(
            "SELECT id, number, class, team, car, source, notes FROM entries "
            "WHERE event_id = ? ORDER BY position",
            (event_id,),
        ) as cur:
            rows = await cur.fetchall()
        drivers = await self._drivers_for([int(r["id"]) for r in rows])
        entries = [
            (*tuple(r)[1:], "|".join(drivers[int(r["id"])]) if int(r["id"]) in drivers else None)
            for r in rows
        ]
        async with db.execute(
            "SELECT class, position, number, description, source FROM results "
            "WHERE event_id = ? ORDER BY class, position",
            (event_id,),
        ) as cur:
            results = [tuple(r) for r in await cur.fetchall()]
        return (sessions, entries, results)

    # ------------------------------------------------------------------ guild settings

    async def moderator_role(self, guild_id: int) -> int | None:
        """The role a guild's admins named as moderators, if any."""
        rows = await self._rows(
            "SELECT moderator_role_id FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    async def set_moderator_role(self, guild_id: int, role_id: int | None) -> None:
        async with self._write(names="none") as db:
            await _run(
                db,
                "INSERT INTO guild_settings (guild_id, moderator_role_id) VALUES (?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET moderator_role_id = excluded.moderator_role_id",
                (guild_id, role_id),
            )

    # ------------------------------------------------------------------ reads

    async def series(self) -> list[Series]:
        rows = await self._rows("SELECT code, name FROM series ORDER BY code")
        return [Series(r["code"], r["name"]) for r in rows]

    async def circuits(self, scope: Scope) -> list[Circuit]:
        rows = await self._rows(
            f"SELECT * FROM circuits e WHERE {_IN_SCOPE} ORDER BY name", (scope.guild_id,)
        )
        return [_circuit(r) for r in rows]

    async def upcoming_event_ids(
        self, scope: Scope, after: datetime, *, series: str | None = None, limit: int = 10
    ) -> list[int]:
        """Events with a session still to come after ``after``, soonest first.

        Cancelled events are left out; postponed ones stay when they have a date.
        """
        sql, params = self.upcoming_sql(scope, after, series=series)
        first: dict[int, str] = {}  # event -> its earliest sort instant among sessions to come
        stop_after: str | None = None
        async with self._scan(sql, params) as cur:
            # Rows come in horizon order, straight from the index (sorting every session
            # still to come took milliseconds on a large store). A session starts at most
            # SESSION_SPAN before its horizon, so once a horizon lies further than that
            # past the limit-th earliest start seen, no later row can rank: stop there.
            for row in cur:
                if stop_after is not None and row["horizon_at"] > stop_after:
                    break
                event_id, sort_at = int(row["event_id"]), str(row["sort_at"] or row["horizon_at"])
                if event_id in first and first[event_id] <= sort_at:
                    continue
                first[event_id] = sort_at
                if len(first) >= limit:
                    kth = sorted(first.values())[limit - 1]
                    stop_after = to_iso_utc(from_iso_utc(kth) + SESSION_SPAN)
        ranked = sorted(first, key=lambda e: (first[e], e))
        return ranked[:limit]

    @staticmethod
    def upcoming_sql(scope: Scope, after: datetime, *, series: str | None = None) -> tuple[str, list[Any]]:
        # CROSS JOIN keeps sessions as the outer loop in SQLite, so the range on
        # sessions_by_horizon drives the query instead of a walk over every
        # catalog event (plain SQL all the same: PostgreSQL reads it as a join).
        sql = (
            "SELECT s.event_id, s.sort_at, s.horizon_at FROM sessions s CROSS JOIN events e "
            + ("JOIN series sr ON sr.id = e.series_id " if series else "")
            + f"WHERE e.id = s.event_id AND s.horizon_at > ? AND {_IN_SCOPE} "
            "AND e.status != 'cancelled' " + ("AND sr.code = ? " if series else "") + "ORDER BY s.horizon_at"
        )
        params: list[Any] = [to_iso_utc(after), scope.guild_id]
        if series:
            params.append(series)
        return sql, params

    async def last_raced_event_id(
        self, scope: Scope, before: datetime, *, series: str | None = None
    ) -> int | None:
        """The event whose race most recently came to pass before ``before``."""
        sql = (
            "SELECT s.event_id FROM sessions s JOIN events e ON e.id = s.event_id "
            "JOIN series sr ON sr.id = e.series_id "
            f"WHERE s.kind = 'race' AND s.horizon_at <= ? AND {_IN_SCOPE} "
            "AND e.status != 'cancelled' AND (? IS NULL OR sr.code = ?) "
            "ORDER BY s.horizon_at DESC LIMIT 1"
        )
        rows = await self._rows(sql, (to_iso_utc(before), scope.guild_id, series, series))
        return int(rows[0]["event_id"]) if rows else None

    async def circuit_calendar(self, circuit_id: int, guild_id: int | None) -> list[CalendarRow]:
        """The events at a circuit, cancelled ones left out, in date order: the catalog's
        (``guild_id`` None) or one guild's own, enough to tell the next event and the last
        one without loading them all (/circuit)."""
        rows = await self._rows(*self.circuit_calendar_sql(circuit_id, guild_id))
        return [
            CalendarRow(
                (r["first_at"] is None, r["first_at"] or "", int(r["season"]), str(r["name"])),
                int(r["id"]),
                r["guild_id"],
                stored_instant(r["last_horizon"]) if r["last_horizon"] else None,
            )
            for r in rows
        ]

    @staticmethod
    def circuit_calendar_sql(circuit_id: int, guild_id: int | None) -> tuple[str, list[Any]]:
        sql = (
            "SELECT e.id, e.guild_id, e.season, e.name, MIN(s.sort_at) AS first_at, "
            "MAX(s.horizon_at) AS last_horizon "
            "FROM events e LEFT JOIN sessions s ON s.event_id = e.id "
            "WHERE e.circuit_id = ? AND e.guild_id IS ? AND e.status != 'cancelled' "
            # The order of _load_events (CalendarRow.order is the same in Python).
            "GROUP BY e.id ORDER BY first_at IS NULL, first_at, e.season, e.name"
        )
        return sql, [circuit_id, guild_id]

    async def events_by_id(self, scope: Scope, ids: Iterable[int]) -> list[Event]:
        """Full events (with sessions) for ``ids`` that the scope may see, in ``ids`` order."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        marks = ", ".join("?" for _ in wanted)
        events = await self._load_events(
            f"e.id IN ({marks}) AND {_IN_SCOPE}",
            [*wanted, scope.guild_id],
            short=len(wanted) <= SHORT_READ_EVENTS,
        )
        by_id = {e.id: e for e in events}
        return [by_id[i] for i in wanted if i in by_id]

    async def event(self, scope: Scope, event_id: int) -> Event | None:
        found = await self.events_by_id(scope, [event_id])
        return found[0] if found else None

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
        return await self._load_events(
            f"{_IN_SCOPE} AND (? IS NULL OR sr.code = ?) AND (? IS NULL OR e.season = ?) "
            "AND (? IS NULL OR e.circuit_id = ?)",
            [scope.guild_id, series, series, season, season, circuit_id, circuit_id],
        )

    async def seasons(self, scope: Scope, series: str | None = None) -> list[int]:
        async with self._db.execute(
            "SELECT DISTINCT e.season FROM events e JOIN series sr ON sr.id = e.series_id "
            f"WHERE {_IN_SCOPE} AND (? IS NULL OR sr.code = ?) ORDER BY e.season",
            (scope.guild_id, series, series),
        ) as cur:
            return [int(r[0]) for r in await cur.fetchall()]

    async def _load_events(self, where: str, params: Sequence[Any], *, short: bool = False) -> list[Event]:
        """``short``: a few events, read on the event loop (``_rows``); the catalog's
        thousand go through aiosqlite's thread so as not to stall it."""
        sql = (
            "SELECT e.*, sr.code AS series_code, sr.name AS series_name, "
            "c.id AS c_id, c.key AS c_key, c.name AS c_name, c.timezone AS c_timezone, "
            "c.location AS c_location, c.country AS c_country, c.length_km AS c_length_km, "
            "c.turns AS c_turns, c.aliases AS c_aliases, c.source AS c_source, "
            "c.notes AS c_notes, "
            "(SELECT MIN(sort_at) FROM sessions s WHERE s.event_id = e.id) AS first_at "
            "FROM events e JOIN series sr ON sr.id = e.series_id "
            "JOIN circuits c ON c.id = e.circuit_id "
            f"WHERE {where} "
            # Events with no date at all (a postponement with no new date) sort last.
            "ORDER BY first_at IS NULL, first_at, e.season, e.name"
        )
        rows = await self._rows(sql, params) if short else list(await self._db.execute_fetchall(sql, params))
        if not rows:
            return []
        ids = [int(r["id"]) for r in rows]
        sessions = await self._sessions_for(ids, short=short)
        # Events at one circuit share one Circuit (/circuit loads dozens of them).
        circuits: dict[int, Circuit] = {}
        return [_event(r, sessions.get(int(r["id"]), ()), circuits) for r in rows]

    async def _sessions_for(self, event_ids: list[int], *, short: bool) -> dict[int, tuple[Session, ...]]:
        marks = ", ".join("?" for _ in event_ids)
        sql = (
            f"SELECT * FROM sessions WHERE event_id IN ({marks}) "
            "ORDER BY event_id, sort_at IS NULL, sort_at, id"
        )
        rows = await self._rows(sql, event_ids) if short else await self._db.execute_fetchall(sql, event_ids)
        grouped: dict[int, list[Session]] = {}
        for r in rows:
            grouped.setdefault(int(r["event_id"]), []).append(_session(r))
        return {k: tuple(v) for k, v in grouped.items()}

    async def entries(self, scope: Scope, event_id: int) -> list[Entry]:
        """The entry list of one event (empty when the scope may not see it)."""
        rows = await self._rows(
            "SELECT en.* FROM entries en JOIN events e ON e.id = en.event_id "
            f"WHERE en.event_id = ? AND {_IN_SCOPE} ORDER BY en.position",
            (event_id, scope.guild_id),
        )
        drivers = await self._drivers_for([int(r["id"]) for r in rows])
        return [_entry(r, drivers.get(int(r["id"]), ())) for r in rows]

    async def _drivers_for(self, entry_ids: list[int]) -> dict[int, tuple[str, ...]]:
        if not entry_ids:
            return {}
        marks = ", ".join("?" for _ in entry_ids)
        rows = await self._rows(
            "SELECT ed.entry_id, d.name FROM entry_drivers ed JOIN drivers d ON d.id = ed.driver_id "
            f"WHERE ed.entry_id IN ({marks}) ORDER BY ed.entry_id, ed.position",
            entry_ids,
        )
        grouped: dict[int, list[str]] = {}
        for r in rows:
            grouped.setdefault(int(r["entry_id"]), []).append(str(r["name"]))
        return {k: tuple(v) for k, v in grouped.items()}

    async def results(self, scope: Scope, event_id: int) -> list[Result]:
        rows = await self._rows(
            "SELECT r.* FROM results r JOIN events e ON e.id = r.event_id "
            f"WHERE r.event_id = ? AND {_IN_SCOPE} ORDER BY r.class = 'Overall' DESC, r.class, "
            "r.position",
            (event_id, scope.guild_id),
        )
        return [
            Result(r["class"], int(r["position"]), r["number"], r["description"], r["source"]) for r in rows
        ]

    async def driver_names(self, scope: Scope) -> list[str]:
        async with self._db.execute(
            "SELECT DISTINCT d.name FROM drivers d JOIN entry_drivers ed ON ed.driver_id = d.id "
            "JOIN entries en ON en.id = ed.entry_id JOIN events e ON e.id = en.event_id "
            f"WHERE {_IN_SCOPE} ORDER BY d.name",
            (scope.guild_id,),
        ) as cur:
            return [str(r[0]) for r in await cur.fetchall()]

    # A guild's own names apart from the catalog's: name indexes share the catalog's
    # part between guilds and add these small ones (fanbot.answers.context.Lookups).

    async def own_events(self, guild_id: int) -> list[Event]:
        """The guild's own events only (not the shared catalog), in date order."""
        [(count,)] = await self._rows("SELECT COUNT(*) FROM events WHERE guild_id = ?", (guild_id,))
        return await self._load_events("e.guild_id = ?", [guild_id], short=count <= SHORT_READ_EVENTS)

    async def own_circuits(self, guild_id: int) -> list[Circuit]:
        """Circuits the guild added itself (most guilds: none)."""
        rows = await self._rows("SELECT * FROM circuits WHERE guild_id = ? ORDER BY name", (guild_id,))
        return [_circuit(r) for r in rows]

    async def own_driver_names(self, guild_id: int) -> list[str]:
        """Drivers in the guild's own entry lists (some may race in the catalog too)."""
        async with self._db.execute(
            "SELECT DISTINCT d.name FROM drivers d JOIN entry_drivers ed ON ed.driver_id = d.id "
            "JOIN entries en ON en.id = ed.entry_id JOIN events e ON e.id = en.event_id "
            "WHERE e.guild_id = ? ORDER BY d.name",
            (guild_id,),
        ) as cur:
            return [str(r[0]) for r in await cur.fetchall()]

    async def entries_of_driver(self, scope: Scope, name: str) -> list[tuple[int, Entry]]:
        """(event id, entry) for every entry the named driver is in, oldest event first."""
        async with self._db.execute(
            "SELECT en.*, en.event_id AS ev FROM entries en "
            "JOIN entry_drivers ed ON ed.entry_id = en.id JOIN drivers d ON d.id = ed.driver_id "
            f"JOIN events e ON e.id = en.event_id WHERE d.name = ? AND {_IN_SCOPE} "
            "ORDER BY e.season, e.id",
            (name, scope.guild_id),
        ) as cur:
            rows = await cur.fetchall()
        drivers = await self._drivers_for([int(r["id"]) for r in rows])
        return [(int(r["ev"]), _entry(r, drivers.get(int(r["id"]), ()))) for r in rows]


def _name_scope(names: str | int) -> str:
    """name_revision's row for a ``NameChange``: "catalog", or "guild:<id>"."""
    return f"guild:{names}" if isinstance(names, int) else names


def _roll_back_if_open(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _begin_immediate_without_waiting(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        conn.execute("BEGIN IMMEDIATE")
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _open_reader(path: str) -> sqlite3.Connection:
    """The connection for ``Store._rows``: read-only, and never waiting for a lock
    (busy_timeout 0), since it runs on the event loop."""
    # check_same_thread=False: only the event loop's thread uses it, but tests and the
    # console may open the store on one thread and close it on another.
    reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    reader.row_factory = sqlite3.Row
    reader.execute("PRAGMA busy_timeout = 0")
    reader.execute("PRAGMA query_only = 1")
    return reader


async def _run(db: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> int | None:
    """Execute one statement and close its cursor at once (an open cursor keeps a
    statement "in progress", and COMMIT then fails); returns the new row id."""
    cursor = await db.execute(sql, params)
    rowid = cursor.lastrowid
    await cursor.close()
    return rowid


def _split_sql(script: str) -> list[str]:
    """Statements of a migration file. Comments are dropped first (they may hold
    ';'); our migrations keep '--' out of string literals."""
    code = "\n".join(line.split("--", 1)[0] for line in script.splitlines())
    return [s.strip() for s in code.split(";") if s.strip()]


def _record_snapshot(e: EventRecord) -> tuple[Any, ...]:
    sessions = sorted(
        (s.key, s.kind, s.start_at, s.local_date, s.sort_at, s.duration_minutes, s.notes)
        for s in e.sessions
    )
    entries = [
        (
            en.number,
            en.car_class,
            en.team,
            en.car,
            en.source,
            en.notes,
            "|".join(en.drivers) if en.drivers else None,
        )
        for en in e.entries
    ]
    results = sorted((r.car_class, r.position, r.number, r.description, r.source) for r in e.results)
    return (sessions, entries, results)


def _circuit(r: aiosqlite.Row, prefix: str = "") -> Circuit:
    def col(name: str) -> Any:
        return r[prefix + name]

    aliases = col("aliases") or ""
    return Circuit(
        id=int(col("id")),
        key=col("key"),
        name=col("name"),
        timezone=col("timezone"),
        location=col("location"),
        country=col("country"),
        length_km=col("length_km"),
        turns=col("turns"),
        aliases=tuple(a for a in aliases.split("|") if a),
        source=col("source"),
        notes=col("notes"),
    )


def _session(r: aiosqlite.Row) -> Session:
    return Session(
        id=int(r["id"]),
        kind=SessionKind(r["kind"]),
        start=stored_instant(r["start_at"]) if r["start_at"] else None,
        local_date=date.fromisoformat(r["local_date"]) if r["local_date"] else None,
        duration_minutes=r["duration_minutes"],
        notes=r["notes"],
        key=r["key"],
    )


def _event(r: aiosqlite.Row, sessions: tuple[Session, ...], circuits: dict[int, Circuit]) -> Event:
    circuit = circuits.get(int(r["c_id"]))
    if circuit is None:
        circuit = circuits[int(r["c_id"])] = _circuit(r, prefix="c_")
    return Event(
        id=int(r["id"]),
        key=r["key"],
        guild_id=r["guild_id"],
        series=Series(r["series_code"], r["series_name"]),
        circuit=circuit,
        season=int(r["season"]),
        name=r["name"],
        edition=r["edition"],
        length=r["length"],
        length_minutes=r["length_minutes"],
        status=EventStatus(r["status"]),
        info_url=r["info_url"],
        watch_url=r["watch_url"],
        source=r["source"],
        notes=r["notes"],
        sessions=sessions,
        aliases=tuple(a for a in (r["aliases"] or "").split("|") if a),
    )


def _entry(r: aiosqlite.Row, drivers: tuple[str, ...]) -> Entry:
    return Entry(
        id=int(r["id"]),
        number=r["number"],
        car_class=r["class"],
        team=r["team"],
        car=r["car"],
        drivers=drivers,
        source=r["source"],
        notes=r["notes"],
    )
