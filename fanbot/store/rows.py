"""Between the calendar's rows and the domain's objects, both ways.

Reading: a row (or a joined row) into a ``Circuit``, ``Session``, ``Event`` or
``Entry``. Writing: an event's sessions (``put_sessions``) and one entry with its
drivers (``insert_entry``, ``update_entry``), the one way each is written, shared by
the catalog importer and the moderators' edits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from fanbot.domain.catalog import EntryRecord, SessionRecord
from fanbot.domain.localtime import from_iso_utc, to_iso_utc
from fanbot.domain.model import Circuit, Entry, Event, EventStatus, Series, Session, SessionKind
from fanbot.domain.session_time import session_length, window
from fanbot.store.backend import Row, Transaction


def stored_instant(text: str) -> datetime:
    """An instant as the store keeps it ("2012-10-20T15:30:00Z"), read as aware UTC.

    The dispatcher reads thousands per pass and every command dozens: fromisoformat
    is ten times faster than the strptime of ``from_iso_utc``, which still reads
    anything not in the stored form (and refuses what is not an instant)."""
    return datetime.fromisoformat(text) if text.endswith("Z") else from_iso_utc(text)


# ---------------------------------------------------------------------- rows -> objects


def circuit_from_row(r: Row, prefix: str = "") -> Circuit:
    """A circuit from its row, or from an event's row whose circuit columns carry ``prefix``."""

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


def session_from_row(r: Row) -> Session:
    return Session(
        id=int(r["id"]),
        kind=SessionKind(r["kind"]),
        start=stored_instant(r["start_at"]) if r["start_at"] else None,
        local_date=date.fromisoformat(r["local_date"]) if r["local_date"] else None,
        duration_minutes=r["duration_minutes"],
        notes=r["notes"],
        key=r["key"],
    )


def event_from_row(r: Row, sessions: tuple[Session, ...], circuits: dict[int, Circuit]) -> Event:
    """An event from its row joined with its series and circuit (``c_`` columns);
    ``circuits`` shares one ``Circuit`` between the events at it."""
    circuit = circuits.get(int(r["c_id"]))
    if circuit is None:
        circuit = circuits[int(r["c_id"])] = circuit_from_row(r, prefix="c_")
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
        replaces_event_id=r["replaces_event_id"],
    )


def entry_from_row(r: Row, drivers: tuple[str, ...]) -> Entry:
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


# ---------------------------------------------------------------------- sessions


async def put_sessions(tx: Transaction, event_id: int, sessions: Sequence[SessionRecord]) -> None:
    """Make the event's sessions exactly ``sessions``, matched by key: a session that stays
    keeps its id (reminders point at it), the ones not listed are removed. Shared by the
    moderators' writes and the catalog importer."""
    ends = await _session_ends(tx, event_id, sessions)
    keys = [s.key for s in sessions]
    marks = ", ".join("?" for _ in keys)
    await tx.execute(
        f"DELETE FROM sessions WHERE event_id = ? AND key NOT IN ({marks})"
        if keys
        else "DELETE FROM sessions WHERE event_id = ?",
        [event_id, *keys],
    )
    for s in sessions:
        await tx.execute(
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
    tx: Transaction, event_id: int, sessions: Sequence[SessionRecord]
) -> dict[str, str | None]:
    """Each session's ``horizon_at``: the latest instant it may still be running, derived
    from its start (or its day) and its length (``domain.session_time``), never copied."""
    row = await tx.fetch_one(
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


async def recompute_session_ends(tx: Transaction) -> None:
    """Derive every session's end again (after a change of the rules: migration 6)."""
    event_ids = [int(r[0]) for r in await tx.fetch_all("SELECT DISTINCT event_id FROM sessions")]
    for event_id in event_ids:
        rows = await tx.fetch_all(
            "SELECT key, kind, start_at, local_date, sort_at, duration_minutes, notes "
            "FROM sessions WHERE event_id = ?",
            (event_id,),
        )
        records = [SessionRecord(*r) for r in rows]
        for key, end in (await _session_ends(tx, event_id, records)).items():
            await tx.execute(
                "UPDATE sessions SET horizon_at = ? WHERE event_id = ? AND key = ?", (end, event_id, key)
            )


# ---------------------------------------------------------------------- entries


async def insert_entry(tx: Transaction, event_id: int, entry: EntryRecord, position: int) -> int:
    """Add ``entry`` to the event's list at ``position``, with its drivers; its new id."""
    entry_id = await tx.insert(
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
    await _put_drivers(tx, entry_id, entry.drivers)
    return entry_id


async def update_entry(tx: Transaction, entry_id: int, entry: EntryRecord) -> None:
    """Change an entry in place to ``entry`` (it keeps its id and its place on the list),
    its drivers replaced by ``entry``'s."""
    await tx.execute(
        "UPDATE entries SET number = ?, class = ?, team = ?, car = ? WHERE id = ?",
        (entry.number, entry.car_class, entry.team, entry.car, entry_id),
    )
    await tx.execute("DELETE FROM entry_drivers WHERE entry_id = ?", (entry_id,))
    await _put_drivers(tx, entry_id, entry.drivers)


async def _put_drivers(tx: Transaction, entry_id: int, drivers: Sequence[str]) -> None:
    """The entry's drivers in order; a driver's row is shared by every entry naming them."""
    for order, name in enumerate(drivers):
        await tx.execute("INSERT INTO drivers (name) VALUES (?) ON CONFLICT (name) DO NOTHING", (name,))
        await tx.execute(
            "INSERT INTO entry_drivers (entry_id, driver_id, position) "
            "SELECT ?, id, ? FROM drivers WHERE name = ?",
            (entry_id, order, name),
        )
