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

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import aiosqlite

from fanbot.domain.catalog import Catalog, CircuitRecord, EntryRecord, ResultRecord, SessionRecord
from fanbot.domain.localtime import from_iso_utc, to_iso_utc
from fanbot.domain.session_time import session_length, window

if TYPE_CHECKING:
    from fanbot.store.database import ImportSummary, Store

Snapshot = dict[str, Any]


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
class AuditEntry:
    id: int
    guild_id: int
    user_id: int
    at: datetime
    action: str
    event_key: str | None
    event_name: str | None
    before: Snapshot | None
    after: Snapshot | None


@dataclass(frozen=True)
class ImportOutcome:
    summary: ImportSummary
    # Keys of the guild's events that the import created or changed.
    touched: tuple[str, ...]


class _DryRun(Exception):
    def __init__(self, outcome: ImportOutcome) -> None:
        super().__init__("dry run")
        self.outcome = outcome


async def _exec(db: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> tuple[int, int | None]:
    """Run one statement and close its cursor; (rows changed, new row id)."""
    cursor = await db.execute(sql, params)
    result = (cursor.rowcount, cursor.lastrowid)
    await cursor.close()
    return result


async def put_sessions(db: aiosqlite.Connection, event_id: int, sessions: Sequence[SessionRecord]) -> None:
    """Make the event's sessions exactly ``sessions``, matched by key: a session that stays
    keeps its id (reminders point at it), the ones not listed are removed. Shared by the
    moderators' writes and the catalog importer."""
    ends = await _session_ends(db, event_id, sessions)
    keys = [s.key for s in sessions]
    marks = ", ".join("?" for _ in keys)
    await _exec(
        db,
        f"DELETE FROM sessions WHERE event_id = ? AND key NOT IN ({marks})"
        if keys
        else "DELETE FROM sessions WHERE event_id = ?",
        [event_id, *keys],
    )
    for s in sessions:
        await _exec(
            db,
            "INSERT INTO sessions (event_id, key, kind, start_at, local_date, sort_at, horizon_at, "
            "duration_minutes, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (event_id, key) DO UPDATE SET kind = excluded.kind, "
            "start_at = excluded.start_at, local_date = excluded.local_date, "
            "sort_at = excluded.sort_at, horizon_at = excluded.horizon_at, "
            "duration_minutes = excluded.duration_minutes, notes = excluded.notes",
            (
                event_id,
                s.key,
                s.kind,
                s.start_at,
                s.local_date,
                s.sort_at,
                ends[s.key],
                s.duration_minutes,
                s.notes,
            ),
        )


async def _session_ends(
    db: aiosqlite.Connection, event_id: int, sessions: Sequence[SessionRecord]
) -> dict[str, str | None]:
    """Each session's ``horizon_at``: the latest instant it may still be running, derived
    from its start (or its day) and its length (``domain.session_time``), never copied."""
    row = await _one(
        db,
        # e.*: a schema before version 6 (upgrade tests) has no length_minutes yet.
        "SELECT sr.code AS series_code, c.timezone AS zone, e.* FROM events e "
        "JOIN series sr ON sr.id = e.series_id JOIN circuits c ON c.id = e.circuit_id WHERE e.id = ?",
        (event_id,),
    )
    assert row is not None, "sessions are written for an event that exists"
    series, zone = row["series_code"], row["zone"]
    # sqlite3.Row has no .get, and `in row` looks among its values: ask its keys.
    event_minutes = row["length_minutes"] if "length_minutes" in row.keys() else None  # noqa: SIM118
    ends: dict[str, str | None] = {}
    for s in sessions:
        length = session_length(s.kind, s.duration_minutes, event_minutes, series)
        start = from_iso_utc(s.start_at) if s.start_at else None
        day = date.fromisoformat(s.local_date) if s.local_date else None
        found = window(start, day, zone, length)
        ends[s.key] = to_iso_utc(found.latest_end) if found else None
    return ends


async def recompute_session_ends(db: aiosqlite.Connection) -> None:
    """Derive every session's end again (after a change of the rules: migration 6)."""
    async with db.execute("SELECT DISTINCT event_id FROM sessions") as cur:
        event_ids = [int(r[0]) for r in await cur.fetchall()]
    for event_id in event_ids:
        async with db.execute(
            "SELECT key, kind, start_at, local_date, sort_at, duration_minutes, notes "
            "FROM sessions WHERE event_id = ?",
            (event_id,),
        ) as cur:
            records = [SessionRecord(*r) for r in await cur.fetchall()]
        for key, end in (await _session_ends(db, event_id, records)).items():
            await _exec(
                db, "UPDATE sessions SET horizon_at = ? WHERE event_id = ? AND key = ?", (end, event_id, key)
            )


async def _one(db: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
    async with db.execute(sql, params) as cur:
        row: aiosqlite.Row | None = await cur.fetchone()
    return row


async def _all(db: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
    async with db.execute(sql, params) as cur:
        return list(await cur.fetchall())


class Editing:
    """The write side of moderation. Every method takes the guild that asks."""

    def __init__(self, store: Store) -> None:
        self._store = store

    # ------------------------------------------------------------------ events

    async def create_event(self, guild_id: int, event: EventWrite, *, by: int, at: datetime) -> int:
        """Insert a guild event with its sessions; ``DuplicateKey`` if the key is taken."""
        async with self._store._write(names=guild_id) as db:
            if await _one(db, "SELECT 1 FROM events WHERE guild_id = ? AND key = ?", (guild_id, event.key)):
                raise DuplicateKey(event.key)
            series_id, circuit_id = await self._references(db, guild_id, event)
            _, rowid = await _exec(
                db,
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
            await put_sessions(db, rowid, event.sessions)
            await self._audit(db, guild_id, by, at, "event.add", rowid, None, await _snapshot(db, rowid))
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
        async with self._store._write(names=guild_id) as db:
            before = await _snapshot(db, event_id)
            series_id, circuit_id = await self._references(db, guild_id, event)
            await self._bump(
                db,
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
            await put_sessions(db, event_id, event.sessions)
            await self._audit(db, guild_id, by, at, action, event_id, before, await _snapshot(db, event_id))

    async def delete_event(
        self, guild_id: int, event_id: int, version: int, *, by: int, at: datetime
    ) -> None:
        """Remove an event with its sessions, entries and results (and reminders of it)."""
        async with self._store._write(names=guild_id) as db:
            before = await _snapshot(db, event_id)
            changed, _ = await _exec(
                db,
                "DELETE FROM events WHERE id = ? AND guild_id = ? AND version = ?",
                (event_id, guild_id, version),
            )
            if changed != 1:
                raise StaleVersion(event_id)
            await self._audit(db, guild_id, by, at, "event.remove", event_id, before, None)

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
        async with self._store._write(names=guild_id) as db:
            before = await _snapshot(db, event_id)
            await self._bump(db, guild_id, event_id, version)
            taken = await _one(
                db, "SELECT id FROM entries WHERE event_id = ? AND number = ?", (event_id, entry.number)
            )
            if taken is not None and entry.number != replacing:
                raise DuplicateKey(entry.number or "")
            if replacing is None:
                row = await _one(
                    db, "SELECT COALESCE(MAX(position) + 1, 0) FROM entries WHERE event_id = ?", (event_id,)
                )
                position = int(row[0]) if row else 0
                _, entry_id = await _exec(
                    db,
                    "INSERT INTO entries (event_id, number, class, team, car, position, source, notes) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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
                assert entry_id is not None
            else:
                old = await _one(
                    db, "SELECT id FROM entries WHERE event_id = ? AND number = ?", (event_id, replacing)
                )
                if old is None:
                    raise NotOwned(replacing)
                entry_id = int(old["id"])
                await _exec(
                    db,
                    "UPDATE entries SET number = ?, class = ?, team = ?, car = ? WHERE id = ?",
                    (entry.number, entry.car_class, entry.team, entry.car, entry_id),
                )
                await _exec(db, "DELETE FROM entry_drivers WHERE entry_id = ?", (entry_id,))
            for order, name in enumerate(entry.drivers):
                await _exec(
                    db, "INSERT INTO drivers (name) VALUES (?) ON CONFLICT (name) DO NOTHING", (name,)
                )
                await _exec(
                    db,
                    "INSERT INTO entry_drivers (entry_id, driver_id, position) "
                    "SELECT ?, id, ? FROM drivers WHERE name = ?",
                    (entry_id, order, name),
                )
            await self._audit(db, guild_id, by, at, action, event_id, before, await _snapshot(db, event_id))

    async def delete_entry(
        self, guild_id: int, event_id: int, version: int, number: str, *, by: int, at: datetime
    ) -> None:
        async with self._store._write(names=guild_id) as db:
            before = await _snapshot(db, event_id)
            await self._bump(db, guild_id, event_id, version)
            changed, _ = await _exec(
                db, "DELETE FROM entries WHERE event_id = ? AND number = ?", (event_id, number)
            )
            if changed != 1:
                raise NotOwned(number)
            after = await _snapshot(db, event_id)
            await self._audit(db, guild_id, by, at, "entry.remove", event_id, before, after)

    async def put_result(
        self, guild_id: int, event_id: int, version: int, result: ResultRecord, *, by: int, at: datetime
    ) -> None:
        """Record (or correct) one finishing position of one class."""
        async with self._store._write(names=guild_id) as db:
            before = await _snapshot(db, event_id)
            await self._bump(db, guild_id, event_id, version)
            await _exec(
                db,
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
            after = await _snapshot(db, event_id)
            await self._audit(db, guild_id, by, at, "result.set", event_id, before, after)

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
        async with self._store._write(names=guild_id) as db:
            before = await _snapshot(db, event_id)
            await self._bump(db, guild_id, event_id, version)
            changed, _ = await _exec(
                db,
                "DELETE FROM results WHERE event_id = ? AND class = ? AND position = ?",
                (event_id, car_class, position),
            )
            if changed != 1:
                raise NotOwned(f"{car_class} P{position}")
            after = await _snapshot(db, event_id)
            await self._audit(db, guild_id, by, at, "result.remove", event_id, before, after)

    # ------------------------------------------------------------------ circuits

    async def add_circuit(self, guild_id: int, circuit: CircuitRecord, *, by: int, at: datetime) -> int:
        """A circuit of the guild's own; ``DuplicateKey`` if the guild or the catalog has the key."""
        async with self._store._write(names=guild_id) as db:
            if await _one(
                db,
                "SELECT 1 FROM circuits WHERE key = ? AND (guild_id IS NULL OR guild_id = ?)",
                (circuit.key, guild_id),
            ):
                raise DuplicateKey(circuit.key)
            _, rowid = await _exec(
                db,
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
            await _exec(
                db,
                "INSERT INTO audit_log (guild_id, user_id, at, action, after_json) VALUES (?, ?, ?, ?, ?)",
                (guild_id, by, to_iso_utc(at), "circuit.add", _dumps(after)),
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
            async with self._store._write(names=guild_id) as db:
                keys = [e.key for e in catalog.events]
                before = await self._guild_events(db, guild_id, keys)
                if versions is not None:
                    now_versions = {key: int(snap["version"]) for key, snap in before.items()}
                    if any(now_versions.get(key) != versions.get(key) for key in keys):
                        raise StaleVersion(guild_id)
                summary = await self._store._import_into(db, catalog, guild_id)
                after = await self._guild_events(db, guild_id, keys)
                touched = tuple(k for k in keys if after.get(k) != before.get(k))
                for key in touched:
                    snap = after[key]
                    action = "event.import" if key not in before else "event.import-update"
                    await self._audit(db, guild_id, by, at, action, int(snap["id"]), before.get(key), snap)
                outcome = ImportOutcome(summary, touched)
                if dry_run:
                    raise _DryRun(outcome)
        except _DryRun as rolled_back:
            return rolled_back.outcome
        return outcome

    async def versions(self, guild_id: int, keys: Sequence[str]) -> dict[str, int]:
        """Current versions of the guild's events with these keys (absent keys are left out)."""
        if not keys:
            return {}
        marks = ", ".join("?" for _ in keys)
        rows = await _all(
            self._store._db,
            f"SELECT key, version FROM events WHERE guild_id = ? AND key IN ({marks})",
            [guild_id, *keys],
        )
        return {str(r["key"]): int(r["version"]) for r in rows}

    async def version(self, guild_id: int, event_id: int) -> int | None:
        row = await _one(
            self._store._db, "SELECT version FROM events WHERE id = ? AND guild_id = ?", (event_id, guild_id)
        )
        return int(row["version"]) if row else None

    # ------------------------------------------------------------------ audit log

    async def record(
        self,
        guild_id: int,
        *,
        by: int,
        at: datetime,
        action: str,
        before: Snapshot | None,
        after: Snapshot | None,
    ) -> None:
        """An audit row for a change that is not an event's (a guild setting)."""
        async with self._store._write(names=guild_id) as db:
            await _exec(
                db,
                "INSERT INTO audit_log (guild_id, user_id, at, action, before_json, after_json) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, by, to_iso_utc(at), action, _dumps(before), _dumps(after)),
            )

    async def history(
        self, guild_id: int, *, event_key: str | None = None, limit: int = 200
    ) -> list[AuditEntry]:
        """The guild's audit rows, newest first (one event's, when ``event_key`` is given)."""
        rows = await _all(
            self._store._db,
            "SELECT * FROM audit_log WHERE guild_id = ? AND (? IS NULL OR event_key = ?) "
            "ORDER BY id DESC LIMIT ?",
            (guild_id, event_key, event_key, limit),
        )
        return [
            AuditEntry(
                id=int(r["id"]),
                guild_id=int(r["guild_id"]),
                user_id=int(r["user_id"]),
                at=from_iso_utc(r["at"]),
                action=str(r["action"]),
                event_key=r["event_key"],
                event_name=r["event_name"],
                before=json.loads(r["before_json"]) if r["before_json"] else None,
                after=json.loads(r["after_json"]) if r["after_json"] else None,
            )
            for r in rows
        ]

    async def audited_events(self, guild_id: int) -> list[tuple[str, str]]:
        """(key, latest name) of every event the guild's log mentions, removed ones included."""
        rows = await _all(
            self._store._db,
            "SELECT event_key, event_name FROM audit_log WHERE guild_id = ? AND event_key IS NOT NULL "
            "ORDER BY id",
            (guild_id,),
        )
        names: dict[str, str] = {}
        for r in rows:
            names[str(r["event_key"])] = str(r["event_name"])
        return list(names.items())

    # ------------------------------------------------------------------ helpers

    async def _references(
        self, db: aiosqlite.Connection, guild_id: int, event: EventWrite
    ) -> tuple[int, int]:
        series = await _one(db, "SELECT id FROM series WHERE code = ?", (event.series,))
        # The circuit must be the catalog's or this guild's own, never another guild's.
        circuit = await _one(
            db,
            "SELECT id FROM circuits WHERE id = ? AND (guild_id IS NULL OR guild_id = ?)",
            (event.circuit_id, guild_id),
        )
        if series is None or circuit is None:
            raise NotOwned(event.series if series is None else event.circuit_id)
        return int(series["id"]), int(circuit["id"])

    async def _bump(
        self,
        db: aiosqlite.Connection,
        guild_id: int,
        event_id: int,
        version: int,
        assignments: str = "",
        params: Sequence[Any] = (),
    ) -> None:
        """Check the previewed version and take the next one, or raise ``StaleVersion``."""
        sets = f"{assignments}, version = version + 1" if assignments else "version = version + 1"
        changed, _ = await _exec(
            db,
            f"UPDATE events SET {sets} WHERE id = ? AND guild_id = ? AND version = ?",
            [*params, event_id, guild_id, version],
        )
        if changed != 1:
            raise StaleVersion(event_id)

    async def _audit(
        self,
        db: aiosqlite.Connection,
        guild_id: int,
        by: int,
        at: datetime,
        action: str,
        event_id: int,
        before: Snapshot | None,
        after: Snapshot | None,
    ) -> None:
        named = after or before or {}
        await _exec(
            db,
            "INSERT INTO audit_log (guild_id, user_id, at, action, event_id, event_key, event_name, "
            "before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                guild_id,
                by,
                to_iso_utc(at),
                action,
                event_id,
                named.get("key"),
                named.get("name"),
                _dumps(before),
                _dumps(after),
            ),
        )

    async def _guild_events(
        self, db: aiosqlite.Connection, guild_id: int, keys: Sequence[str]
    ) -> dict[str, Snapshot]:
        if not keys:
            return {}
        marks = ", ".join("?" for _ in keys)
        rows = await _all(
            db, f"SELECT id, key FROM events WHERE guild_id = ? AND key IN ({marks})", [guild_id, *keys]
        )
        found: dict[str, Snapshot] = {}
        for r in rows:
            snap = await _snapshot(db, int(r["id"]))
            if snap is not None:
                found[str(r["key"])] = snap
        return found


def _dumps(value: Snapshot | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


async def _snapshot(db: aiosqlite.Connection, event_id: int) -> Snapshot | None:
    """The event as the audit log keeps it: fields, sessions, entries and results."""
    event = await _one(
        db,
        "SELECT e.*, sr.code AS series_code, c.key AS circuit_key, c.timezone AS circuit_timezone "
        "FROM events e JOIN series sr ON sr.id = e.series_id JOIN circuits c ON c.id = e.circuit_id "
        "WHERE e.id = ?",
        (event_id,),
    )
    if event is None:
        return None
    sessions = await _all(
        db,
        "SELECT key, kind, start_at, local_date, duration_minutes, notes FROM sessions "
        "WHERE event_id = ? ORDER BY sort_at IS NULL, sort_at, id",
        (event_id,),
    )
    entries = await _all(
        db,
        "SELECT id, number, class, team, car FROM entries WHERE event_id = ? ORDER BY position",
        (event_id,),
    )
    drivers: dict[int, list[str]] = {}
    for r in await _all(
        db,
        "SELECT ed.entry_id, d.name FROM entry_drivers ed JOIN drivers d ON d.id = ed.driver_id "
        "JOIN entries en ON en.id = ed.entry_id WHERE en.event_id = ? ORDER BY ed.entry_id, ed.position",
        (event_id,),
    ):
        drivers.setdefault(int(r["entry_id"]), []).append(str(r["name"]))
    results = await _all(
        db,
        "SELECT class, position, number, description FROM results WHERE event_id = ? "
        "ORDER BY class, position",
        (event_id,),
    )
    return {
        "id": int(event["id"]),
        "key": event["key"],
        "version": int(event["version"]),
        "series": event["series_code"],
        "circuit": event["circuit_key"],
        "timezone": event["circuit_timezone"],
        "season": int(event["season"]),
        "name": event["name"],
        "length": event["length"],
        "status": event["status"],
        "info_url": event["info_url"],
        "watch_url": event["watch_url"],
        "sessions": [dict(r) for r in sessions],
        "entries": [
            {
                "number": r["number"],
                "class": r["class"],
                "team": r["team"],
                "car": r["car"],
                "drivers": drivers.get(int(r["id"]), []),
            }
            for r in entries
        ],
        "results": [dict(r) for r in results],
    }
