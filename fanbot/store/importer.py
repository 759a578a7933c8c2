"""The catalog importer: a checked ``Catalog`` into the tables, in one transaction.

It imports the shared catalog (``fanbot import``, and the shipped file on start:
``seed``) and a guild's own file (``Editing.import_events``, inside the moderators'
transaction). A second run of the same file changes nothing; a dry run imports,
counts and rolls back.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from fanbot.domain.catalog import Catalog, CatalogError, EventRecord
from fanbot.domain.localtime import from_iso_utc, to_iso_utc
from fanbot.store.backend import Database, Transaction
from fanbot.store.reads import CalendarReads
from fanbot.store.rows import insert_entry, put_sessions

log = logging.getLogger(__name__)


@dataclass
class ImportSummary:
    new: dict[str, int] = field(default_factory=lambda: {"series": 0, "circuits": 0, "events": 0})
    changed: dict[str, int] = field(default_factory=lambda: {"series": 0, "circuits": 0, "events": 0})
    unchanged: dict[str, int] = field(default_factory=lambda: {"series": 0, "circuits": 0, "events": 0})
    # The names of the events counted in new["events"] and changed["events"], in the file's order.
    new_events: list[str] = field(default_factory=list)
    changed_events: list[str] = field(default_factory=list)

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


# store_meta's rows about the published catalog (``fanbot sync``, FANBOT_CATALOG_URL): the
# "published" stamp of the shared catalog last loaded, and what the last sync fetched
# (its validators for the next conditional GET, and its digest).
PUBLISHED_KEY = "catalog_published"
ETAG_KEY = "catalog_etag"
LAST_MODIFIED_KEY = "catalog_last_modified"
SHA256_KEY = "catalog_sha256"


@dataclass(frozen=True)
class CatalogFetch:
    """What a sync fetched, kept with the catalog it loaded: the validators the next
    fetch sends back (``If-None-Match``, ``If-Modified-Since``) and the file's digest."""

    etag: str | None
    last_modified: str | None
    sha256: str


@dataclass(frozen=True)
class PublishedCatalogState:
    """The shared catalog's stamp and the last sync's fetch (all None before any)."""

    published: datetime | None
    etag: str | None
    last_modified: str | None
    sha256: str | None


class _RolledBack(Exception):
    """Raised inside a write transaction to roll a dry run back; carries its result."""

    def __init__(self, summary: ImportSummary) -> None:
        super().__init__("dry run")
        self.summary = summary


class CatalogSource(Protocol):
    """Where the shipped catalog comes from (``calendar_files.catalog.CatalogFile``): the
    store keeps its digest and parses it only when it changed, without knowing the format."""

    def read(self) -> bytes: ...

    def parse(self, data: bytes) -> Catalog: ...


class CatalogImporter:
    """Imports into the database it is given (``Store.import_catalog`` passes through)."""

    def __init__(self, database: Database, reads: CalendarReads, event_columns: frozenset[str]) -> None:
        self._db = database
        self._reads = reads
        # The columns events has: upgrade tests stop migrations early, and the importer then
        # writes only what that schema knows.
        self._event_columns = event_columns

    async def seed(self, seed: CatalogSource, *, track: bool) -> None:
        """Import the shipped catalog into a new database, and again whenever the shipped
        file has changed since (an upgrade: its corrections and new fields must reach a bot
        that was seeded long ago). The import is idempotent; the file's digest, kept in
        ``store_meta``, spares checking and importing it on every start."""
        data = await asyncio.to_thread(seed.read)
        digest = hashlib.sha256(data).hexdigest()
        empty = await self._catalog_is_empty()
        if track and not empty:
            rows = await self._db.rows("SELECT value FROM store_meta WHERE key = 'seed_sha256'")
            if rows and rows[0]["value"] == digest:
                return
        elif not empty:
            return
        catalog = seed.parse(data)
        loaded = (await self.published_state()).published if track and not empty else None
        if loaded is not None and (catalog.published is None or catalog.published < loaded):
            # A published catalog newer than the shipped one was loaded (``fanbot sync``):
            # a restart must not put the older one back over it.
            log.info(
                "kept the catalog of %s (published %s): %s is older (%s)",
                self._db.path,
                to_iso_utc(loaded),
                seed,
                to_iso_utc(catalog.published) if catalog.published else "no published stamp",
            )
        else:
            summary = await self._import(catalog, None, dry_run=False, record=track, fetched=None)
            log.info(
                "%s %s from %s: %s", "seeded" if empty else "updated", self._db.path, seed, summary.describe()
            )
        if track:
            async with self._db.write(names="none") as tx:
                await tx.execute(
                    "INSERT INTO store_meta (key, value) VALUES ('seed_sha256', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (digest,),
                )

    async def _catalog_is_empty(self) -> bool:
        rows = await self._db.fetch_all("SELECT COUNT(*) FROM events WHERE guild_id IS NULL")
        return not rows or rows[0][0] == 0

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

        The shared catalog's import (``guild_id`` None) records the file's ``published``
        stamp in the same transaction, and ``fetched``, what ``fanbot sync`` fetched it
        as; a catalog loaded otherwise (``fanbot import``, the shipped file) forgets the
        last sync's fetch, so that the next sync reads the published file whole again.
        """
        return await self._import(catalog, guild_id, dry_run=dry_run, record=True, fetched=fetched)

    async def _import(
        self,
        catalog: Catalog,
        guild_id: int | None,
        *,
        dry_run: bool,
        record: bool,
        fetched: CatalogFetch | None,
    ) -> ImportSummary:
        """``record``: write store_meta's rows (a schema before it has none)."""
        try:
            async with self._db.write(names="catalog" if guild_id is None else guild_id) as tx:
                summary = await self.import_into(tx, catalog, guild_id)
                if guild_id is None and record:
                    await self._record(tx, catalog.published, fetched)
                if dry_run:
                    raise _RolledBack(summary)
        except _RolledBack as rolled_back:
            return rolled_back.summary
        return summary

    async def published_state(self) -> PublishedCatalogState:
        """The loaded catalog's ``published`` stamp and what the last sync fetched."""
        rows = await self._db.rows(
            "SELECT key, value FROM store_meta WHERE key IN (?, ?, ?, ?)",
            (PUBLISHED_KEY, ETAG_KEY, LAST_MODIFIED_KEY, SHA256_KEY),
        )
        meta = {str(r["key"]): str(r["value"]) for r in rows}
        stamp = meta.get(PUBLISHED_KEY)
        return PublishedCatalogState(
            from_iso_utc(stamp) if stamp else None,
            meta.get(ETAG_KEY),
            meta.get(LAST_MODIFIED_KEY),
            meta.get(SHA256_KEY),
        )

    async def remember_fetch(self, fetched: CatalogFetch) -> None:
        """Keep a sync's validators when the file it fetched was the one already loaded
        (a server that sends no 304 still saves the import next time)."""
        async with self._db.write(names="none") as tx:
            await self._put_fetch(tx, fetched)

    async def _record(
        self, tx: Transaction, published: datetime | None, fetched: CatalogFetch | None
    ) -> None:
        if published is not None:
            await _put_meta(tx, PUBLISHED_KEY, to_iso_utc(published))
        if fetched is None:
            await tx.execute(
                "DELETE FROM store_meta WHERE key IN (?, ?, ?)", (ETAG_KEY, LAST_MODIFIED_KEY, SHA256_KEY)
            )
        else:
            await self._put_fetch(tx, fetched)

    async def _put_fetch(self, tx: Transaction, fetched: CatalogFetch) -> None:
        for key, value in (
            (ETAG_KEY, fetched.etag),
            (LAST_MODIFIED_KEY, fetched.last_modified),
            (SHA256_KEY, fetched.sha256),
        ):
            if value is None:
                await tx.execute("DELETE FROM store_meta WHERE key = ?", (key,))
            else:
                await _put_meta(tx, key, value)

    async def import_into(self, tx: Transaction, catalog: Catalog, guild_id: int | None) -> ImportSummary:
        """The import itself, inside a write transaction the caller holds."""
        summary = ImportSummary()
        series_ids: dict[str, int] = {}
        if guild_id is not None:
            # Series are shared by every guild: a guild's file may use them, not rename them.
            known = {x.code: x for x in await self._reads.series()}
            unknown = sorted(s.code for s in catalog.series if s.code not in known)
            if unknown:
                raise CatalogError("catalog", [f"series {code!r} is not known" for code in unknown])
            series_ids = await self._series_ids(tx)
            summary.unchanged["series"] += len(catalog.series)
        for s in catalog.series if guild_id is None else ():
            series_ids[s.code] = await self._upsert(
                tx,
                summary,
                "series",
                "SELECT * FROM series WHERE code = ?",
                (s.code,),
                {"code": s.code, "name": s.name, "source": s.source},
            )
        circuit_ids: dict[str, int] = {}
        for c in catalog.circuits:
            shared = await self._shared_circuit_id(tx, c.key) if guild_id is not None else None
            if shared is not None:
                # A guild's file names a shared circuit: use it as it is. A guild copy
                # would list the circuit twice and could not be corrected with the catalog.
                circuit_ids[c.key] = shared
                summary.unchanged["circuits"] += 1
                continue
            circuit_ids[c.key] = await self._upsert(
                tx,
                summary,
                "circuits",
                "SELECT * FROM circuits WHERE COALESCE(guild_id, -1) = COALESCE(CAST(? AS BIGINT), -1) "
                "AND key = ?",
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
            await self._import_event(tx, summary, e, guild_id, series_ids[e.series], circuit_ids[e.circuit])
        return summary

    async def _shared_circuit_id(self, tx: Transaction, key: str) -> int | None:
        row = await tx.fetch_one("SELECT id FROM circuits WHERE guild_id IS NULL AND key = ?", (key,))
        return int(row["id"]) if row else None

    async def _series_ids(self, tx: Transaction) -> dict[str, int]:
        return {str(r["code"]): int(r["id"]) for r in await tx.fetch_all("SELECT id, code FROM series")}

    async def _upsert(
        self,
        tx: Transaction,
        summary: ImportSummary,
        kind: str,
        select: str,
        params: Sequence[Any],
        values: dict[str, Any],
    ) -> int:
        row = await tx.fetch_one(select, params)
        columns = list(values)
        if row is None:
            rowid = await tx.insert(
                f"INSERT INTO {kind} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                [values[c] for c in columns],
            )
            summary.new[kind] += 1
            assert rowid is not None
            return rowid
        if all(row[c] == values[c] for c in columns):
            summary.unchanged[kind] += 1
        else:
            await tx.execute(
                f"UPDATE {kind} SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",
                [*(values[c] for c in columns), row["id"]],
            )
            summary.changed[kind] += 1
        return int(row["id"])

    async def _import_event(
        self,
        tx: Transaction,
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
        row = await tx.fetch_one(
            # CAST: PostgreSQL would read the lone parameter as -1's type, a 32-bit integer.
            "SELECT * FROM events WHERE COALESCE(guild_id, -1) = COALESCE(CAST(? AS BIGINT), -1) "
            "AND key = ?",
            (guild_id, e.key),
        )
        if row is not None:
            event_id = int(row["id"])
            before = await self._event_snapshot(tx, event_id)
            if all(row[c] == values[c] for c in values) and before == _record_snapshot(e):
                summary.unchanged["events"] += 1
                return
            await tx.execute(
                f"UPDATE events SET {', '.join(f'{c} = ?' for c in values)}, "
                "version = version + 1 WHERE id = ?",
                [*values.values(), event_id],
            )
            summary.changed["events"] += 1
            summary.changed_events.append(e.name)
        else:
            columns = list(values)
            rowid = await tx.insert(
                f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                list(values.values()),
            )
            assert rowid is not None
            event_id = rowid
            summary.new["events"] += 1
            summary.new_events.append(e.name)
        await self.replace_event_details(tx, event_id, e)

    async def replace_event_details(self, tx: Transaction, event_id: int, e: EventRecord) -> None:
        """Write an imported event's sessions, entries and results."""
        # Sessions are updated in place by key so their ids (which reminders
        # point at) survive a re-import; entries and results are replaced whole.
        await put_sessions(tx, event_id, e.sessions)
        await tx.execute("DELETE FROM entries WHERE event_id = ?", (event_id,))
        for position, entry in enumerate(e.entries):
            await insert_entry(tx, event_id, entry, position)
        await tx.execute("DELETE FROM results WHERE event_id = ?", (event_id,))
        for r in e.results:
            await tx.execute(
                "INSERT INTO results (event_id, class, position, number, description, source) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (event_id, r.car_class, r.position, r.number, r.description, r.source),
            )

    async def _event_snapshot(self, tx: Transaction, event_id: int) -> tuple[Any, ...]:
        sessions = sorted(
            tuple(r)
            for r in await tx.fetch_all(
                "SELECT key, kind, start_at, local_date, sort_at, duration_minutes, notes "
                "FROM sessions WHERE event_id = ? ORDER BY id",
                (event_id,),
            )
        )
        rows = await tx.fetch_all(
            "SELECT id, number, class, team, car, source, notes FROM entries "
            "WHERE event_id = ? ORDER BY position",
            (event_id,),
        )
        drivers = await self._reads.drivers_for([int(r["id"]) for r in rows])
        entries = [
            (*tuple(r)[1:], "|".join(drivers[int(r["id"])]) if int(r["id"]) in drivers else None)
            for r in rows
        ]
        results = [
            tuple(r)
            for r in await tx.fetch_all(
                "SELECT class, position, number, description, source FROM results "
                "WHERE event_id = ? ORDER BY class, position",
                (event_id,),
            )
        ]
        return (sessions, entries, results)


async def _put_meta(tx: Transaction, key: str, value: str) -> None:
    """Set one store_meta row; a value it already has is not written again (a write
    that changes no row moves no name revision)."""
    await tx.execute(
        "INSERT INTO store_meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE store_meta.value <> excluded.value",
        (key, value),
    )


def _record_snapshot(e: EventRecord) -> tuple[Any, ...]:
    """An event as the catalog file has it, in the shape of ``_event_snapshot``."""
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
