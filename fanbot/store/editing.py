"""Moderators' writes to their own guild's calendar, and the audit log of them.

Reached as ``store.editing``. Every statement that changes an event names the
guild (``guild_id = ?``), so a catalog event (guild NULL) or another guild's
event is never touched, whatever id a caller passes. A change to an event
re-checks the version the moderator previewed (``events.version``) in the same
transaction that writes it: of two moderators editing at once, the second is
told instead of silently overwriting the first. Each write and its audit row
commit together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fanbot.domain.catalog import Catalog, CircuitRecord, EntryRecord, ResultRecord, SessionRecord
from fanbot.domain.localtime import to_iso_utc
from fanbot.store.audit import AuditLog, Snapshot, audit_event_change, dumps, snapshot
from fanbot.store.backend import Database, Transaction
from fanbot.store.importer import CatalogImporter, ImportSummary
from fanbot.store.rows import insert_entry, put_sessions, update_entry


class EditRefused(Exception):
    """A write the store will not make; subclasses say why (the answers layer words it)."""


class StaleVersion(EditRefused):
    """The event changed (or went) since the moderator's preview; nothing was written."""


class DuplicateKey(EditRefused):
    """The guild already has an event (or circuit) with this key."""


class NotOwned(EditRefused):
    """The row is not the guild's own (a catalog row, another guild's, or gone)."""


@dataclass(frozen=True)
class EventWrite:
    """An event as it should be after the write (its sessions in full)."""

    key: str
    series: str  # series code
    circuit_id: int
    season: int
    name: str
    length: str | None
    status: str
    info_url: str | None
    watch_url: str | None
    sessions: tuple[SessionRecord, ...]


@dataclass(frozen=True)
class ImportOutcome:
    summary: ImportSummary
    # Keys of the guild's events that the import created or changed.
    touched: tuple[str, ...]


class _DryRun(Exception):
    def __init__(self, outcome: ImportOutcome) -> None:
        super().__init__("dry run")
        self.outcome = outcome


class Editing(AuditLog):
    """The write side of moderation. Every method takes the guild that asks.

    The audit log's own methods (``record``, ``history``, ``audited_events``) come
    from ``AuditLog``; a guild's file goes through the catalog importer."""

    def __init__(self, database: Database, importer: CatalogImporter) -> None:
        super().__init__(database)
        self._importer = importer

    # ------------------------------------------------------------------ events

    async def create_event(self, guild_id: int, event: EventWrite, *, by: int, at: datetime) -> int:
        """Insert a guild event with its sessions; ``DuplicateKey`` if the key is taken."""
        async with self._db.write(names=guild_id) as tx:
            if await tx.fetch_one(
                "SELECT 1 FROM events WHERE guild_id = ? AND key = ?", (guild_id, event.key)
            ):
                raise DuplicateKey(event.key)
            series_id, circuit_id = await self._references(tx, guild_id, event)
            rowid = await tx.insert(
                "INSERT INTO events (guild_id, key, series_id, circuit_id, season, name, length, status, "
                "info_url, watch_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    guild_id,
                    event.key,
                    series_id,
                    circuit_id,
                    event.season,
                    event.name,
                    event.length,
                    event.status,
                    event.info_url,
                    event.watch_url,
                ),
            )
            assert rowid is not None
            await put_sessions(tx, rowid, event.sessions)
            after = await snapshot(tx, rowid)
            await audit_event_change(tx, guild_id, by, at, "event.add", rowid, None, after)
        return rowid

    async def update_event(
        self,
        guild_id: int,
        event_id: int,
        version: int,
        event: EventWrite,
        *,
        by: int,
        at: datetime,
        action: str,
    ) -> None:
        """Replace an event's fields and sessions, if it is still at ``version``.

        Sessions are matched by key, so a moved session keeps its id (reminders
        follow it) and sessions not listed are removed.
        """
        async with self._db.write(names=guild_id) as tx:
            before = await snapshot(tx, event_id)
            series_id, circuit_id = await self._references(tx, guild_id, event)
            await self._bump(
                tx,
                guild_id,
                event_id,
                version,
                "series_id = ?, circuit_id = ?, season = ?, name = ?, length = ?, status = ?, "
                "info_url = ?, watch_url = ?",
                [
                    series_id,
                    circuit_id,
                    event.season,
                    event.name,
                    event.length,
                    event.status,
                    event.info_url,
                    event.watch_url,
                ],
            )
            await put_sessions(tx, event_id, event.sessions)
            after = await snapshot(tx, event_id)
            await audit_event_change(tx, guild_id, by, at, action, event_id, before, after)

    async def delete_event(
        self, guild_id: int, event_id: int, version: int, *, by: int, at: datetime
    ) -> None:
        """Remove an event with its sessions, entries and results (and reminders of it)."""
        async with self._db.write(names=guild_id) as tx:
            before = await snapshot(tx, event_id)
            changed = await tx.execute(
                "DELETE FROM events WHERE id = ? AND guild_id = ? AND version = ?",
                (event_id, guild_id, version),
            )
            if changed != 1:
                raise StaleVersion(event_id)
            await audit_event_change(tx, guild_id, by, at, "event.remove", event_id, before, None)

    # ------------------------------------------------------------------ entries and results

    async def put_entry(
        self,
        guild_id: int,
        event_id: int,
        version: int,
        entry: EntryRecord,
        *,
        replacing: str | None,
        by: int,
        at: datetime,
    ) -> None:
        """Add ``entry`` (``replacing`` None) or replace the entry with car number ``replacing``.

        ``DuplicateKey`` when the new car number is already on the list.
        """
        action = "entry.add" if replacing is None else "entry.edit"
        async with self._db.write(names=guild_id) as tx:
            before = await snapshot(tx, event_id)
            await self._bump(tx, guild_id, event_id, version)
            taken = await tx.fetch_one(
                "SELECT id FROM entries WHERE event_id = ? AND number = ?", (event_id, entry.number)
            )
            if taken is not None and entry.number != replacing:
                raise DuplicateKey(entry.number or "")
            if replacing is None:
                row = await tx.fetch_one(
                    "SELECT COALESCE(MAX(position) + 1, 0) FROM entries WHERE event_id = ?", (event_id,)
                )
                position = int(row[0]) if row else 0
                await insert_entry(tx, event_id, entry, position)
            else:
                old = await tx.fetch_one(
                    "SELECT id FROM entries WHERE event_id = ? AND number = ?", (event_id, replacing)
                )
                if old is None:
                    raise NotOwned(replacing)
                await update_entry(tx, int(old["id"]), entry)
            after = await snapshot(tx, event_id)
            await audit_event_change(tx, guild_id, by, at, action, event_id, before, after)

    async def delete_entry(
        self, guild_id: int, event_id: int, version: int, number: str, *, by: int, at: datetime
    ) -> None:
        async with self._db.write(names=guild_id) as tx:
            before = await snapshot(tx, event_id)
            await self._bump(tx, guild_id, event_id, version)
            changed = await tx.execute(
                "DELETE FROM entries WHERE event_id = ? AND number = ?", (event_id, number)
            )
            if changed != 1:
                raise NotOwned(number)
            after = await snapshot(tx, event_id)
            await audit_event_change(tx, guild_id, by, at, "entry.remove", event_id, before, after)

    async def put_result(
        self, guild_id: int, event_id: int, version: int, result: ResultRecord, *, by: int, at: datetime
    ) -> None:
        """Record (or correct) one finishing position of one class."""
        async with self._db.write(names=guild_id) as tx:
            before = await snapshot(tx, event_id)
            await self._bump(tx, guild_id, event_id, version)
            await tx.execute(
                "INSERT INTO results (event_id, class, position, number, description, source) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, class, position) DO UPDATE SET "
                "number = excluded.number, description = excluded.description, source = excluded.source",
                (
                    event_id,
                    result.car_class,
                    result.position,
                    result.number,
                    result.description,
                    result.source,
                ),
            )
            after = await snapshot(tx, event_id)
            await audit_event_change(tx, guild_id, by, at, "result.set", event_id, before, after)

    async def delete_result(
        self,
        guild_id: int,
        event_id: int,
        version: int,
        car_class: str,
        position: int,
        *,
        by: int,
        at: datetime,
    ) -> None:
        async with self._db.write(names=guild_id) as tx:
            before = await snapshot(tx, event_id)
            await self._bump(tx, guild_id, event_id, version)
            changed = await tx.execute(
                "DELETE FROM results WHERE event_id = ? AND class = ? AND position = ?",
                (event_id, car_class, position),
            )
            if changed != 1:
                raise NotOwned(f"{car_class} P{position}")
            after = await snapshot(tx, event_id)
            await audit_event_change(tx, guild_id, by, at, "result.remove", event_id, before, after)

    # ------------------------------------------------------------------ circuits

    async def add_circuit(self, guild_id: int, circuit: CircuitRecord, *, by: int, at: datetime) -> int:
        """A circuit of the guild's own; ``DuplicateKey`` if the guild or the catalog has the key."""
        async with self._db.write(names=guild_id) as tx:
            if await tx.fetch_one(
                "SELECT 1 FROM circuits WHERE key = ? AND (guild_id IS NULL OR guild_id = ?)",
                (circuit.key, guild_id),
            ):
                raise DuplicateKey(circuit.key)
            rowid = await tx.insert(
                "INSERT INTO circuits (guild_id, key, name, location, country, timezone, aliases) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    guild_id,
                    circuit.key,
                    circuit.name,
                    circuit.location,
                    circuit.country,
                    circuit.timezone,
                    "|".join(circuit.aliases),
                ),
            )
            assert rowid is not None
            after = {
                "circuit": circuit.key,
                "name": circuit.name,
                "timezone": circuit.timezone,
                "location": circuit.location,
                "country": circuit.country,
                "aliases": list(circuit.aliases),
            }
            await tx.execute(
                "INSERT INTO audit_log (guild_id, user_id, at, action, after_json) VALUES (?, ?, ?, ?, ?)",
                (guild_id, by, to_iso_utc(at), "circuit.add", dumps(after)),
            )
        return rowid

    # ------------------------------------------------------------------ files

    async def import_events(
        self,
        guild_id: int,
        catalog: Catalog,
        *,
        by: int,
        at: datetime,
        versions: dict[str, int] | None,
        dry_run: bool,
    ) -> ImportOutcome:
        """Import a checked file as the guild's events, all or nothing, with an audit row per
        event it creates or changes.

        ``versions`` (key -> version, from the dry run the moderator confirmed) must
        still hold for every guild event the file names, or ``StaleVersion`` is
        raised. ``dry_run`` rolls everything back and reports what would change.
        """
        try:
            async with self._db.write(names=guild_id) as tx:
                outcome = await self.import_in(tx, guild_id, catalog, by=by, at=at, versions=versions)
                if dry_run:
                    raise _DryRun(outcome)
        except _DryRun as rolled_back:
            return rolled_back.outcome
        return outcome

    async def import_in(
        self,
        tx: Transaction,
        guild_id: int,
        catalog: Catalog,
        *,
        by: int,
        at: datetime,
        versions: dict[str, int] | None,
        actions: tuple[str, str] = ("event.import", "event.import-update"),
        after_import: Callable[[Transaction], Awaitable[None]] | None = None,
    ) -> ImportOutcome:
        """``import_events`` inside the caller's transaction. ``actions`` name the audit rows
        of a new and of a changed event; ``after_import`` writes more before they are taken
        (a subscribed feed marks the events it owns)."""
        keys = [e.key for e in catalog.events]
        before = await self._guild_events(tx, guild_id, keys)
        if versions is not None:
            now_versions = {key: int(snap["version"]) for key, snap in before.items()}
            if any(now_versions.get(key) != versions.get(key) for key in keys):
                raise StaleVersion(guild_id)
        summary = await self._importer.import_into(tx, catalog, guild_id)
        if after_import is not None:
            await after_import(tx)
        after = await self._guild_events(tx, guild_id, keys)
        touched = tuple(k for k in keys if after.get(k) != before.get(k))
        for key in touched:
            snap = after[key]
            action = actions[0] if key not in before else actions[1]
            await audit_event_change(tx, guild_id, by, at, action, int(snap["id"]), before.get(key), snap)
        return ImportOutcome(summary, touched)

    async def versions(self, guild_id: int, keys: Sequence[str]) -> dict[str, int]:
        """Current versions of the guild's events with these keys (absent keys are left out)."""
        if not keys:
            return {}
        marks = ", ".join("?" for _ in keys)
        rows = await self._db.fetch_all(
            f"SELECT key, version FROM events WHERE guild_id = ? AND key IN ({marks})",
            [guild_id, *keys],
        )
        return {str(r["key"]): int(r["version"]) for r in rows}

    async def version(self, guild_id: int, event_id: int) -> int | None:
        rows = await self._db.fetch_all(
            "SELECT version FROM events WHERE id = ? AND guild_id = ?", (event_id, guild_id)
        )
        return int(rows[0]["version"]) if rows else None

    # ------------------------------------------------------------------ helpers

    async def _references(self, tx: Transaction, guild_id: int, event: EventWrite) -> tuple[int, int]:
        series = await tx.fetch_one("SELECT id FROM series WHERE code = ?", (event.series,))
        # The circuit must be the catalog's or this guild's own, never another guild's.
        circuit = await tx.fetch_one(
            "SELECT id FROM circuits WHERE id = ? AND (guild_id IS NULL OR guild_id = ?)",
            (event.circuit_id, guild_id),
        )
        if series is None or circuit is None:
            raise NotOwned(event.series if series is None else event.circuit_id)
        return int(series["id"]), int(circuit["id"])

    async def _bump(
        self,
        tx: Transaction,
        guild_id: int,
        event_id: int,
        version: int,
        assignments: str = "",
        params: Sequence[Any] = (),
    ) -> None:
        """Check the previewed version and take the next one, or raise ``StaleVersion``."""
        sets = f"{assignments}, version = version + 1" if assignments else "version = version + 1"
        changed = await tx.execute(
            f"UPDATE events SET {sets} WHERE id = ? AND guild_id = ? AND version = ?",
            [*params, event_id, guild_id, version],
        )
        if changed != 1:
            raise StaleVersion(event_id)

    async def _guild_events(self, tx: Transaction, guild_id: int, keys: Sequence[str]) -> dict[str, Snapshot]:
        if not keys:
            return {}
        marks = ", ".join("?" for _ in keys)
        rows = await tx.fetch_all(
            f"SELECT id, key FROM events WHERE guild_id = ? AND key IN ({marks})", [guild_id, *keys]
        )
        found: dict[str, Snapshot] = {}
        for r in rows:
            snap = await snapshot(tx, int(r["id"]))
            if snap is not None:
                found[str(r["key"])] = snap
        return found
