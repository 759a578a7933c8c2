"""The calendar's reads: events, sessions, circuits, series, seasons, entry lists,
results and drivers, each bound to the ``Scope`` that asks.

Every read takes a ``Scope``: the asking guild sees the shared catalog plus its
own events, never another guild's; a DM sees the catalog alone. The scope is a
required argument, so a new query cannot forget it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fanbot.domain.localtime import from_iso_utc, to_iso_utc
from fanbot.domain.model import Circuit, Entry, Event, Result, Series, Session
from fanbot.domain.session_time import MAX_MINUTES
from fanbot.store.backend import Database
from fanbot.store.rows import (
    circuit_from_row,
    entry_from_row,
    event_from_row,
    session_from_row,
    stored_instant,
)

# How far a session's horizon (its latest end) may lie after its sort instant: a session
# lasts at most 48 hours (catalog files and moderators alike), and one known only by its
# day may start as late as the end of that day, at most 25 hours after the day's first
# instant. upcoming_event_ids stops early on it.
SESSION_SPAN = timedelta(minutes=MAX_MINUTES) + timedelta(hours=25)
# Up to this many events by id are read on the event loop (``Database.rows``).
SHORT_READ_EVENTS = 50


@dataclass(frozen=True)
class CalendarRow:
    """One event at a circuit (``Store.circuit_calendar``)."""

    order: tuple[bool, str, int, str]  # undated last, then first session, season, name
    event_id: int
    guild_id: int | None
    until: datetime | None  # when its last dated session stops being current; None: no date
    replaces: int | None = None  # the catalog event a guild's one stands in for


@dataclass(frozen=True)
class Scope:
    """Whose events a read may see: ``guild_id`` None is a DM (catalog only)."""

    guild_id: int | None

    @classmethod
    def catalog(cls) -> Scope:
        return cls(None)


# The one place the scope rule is written down: the catalog and the guild's own events,
# less the catalog races the guild's own stand in for (a subscribed feed's weekend that
# is the catalog's race, ``events.replaces_event_id``). Takes the guild twice:
# ``scoped(scope)``.
IN_SCOPE = (
    "(e.guild_id = ? OR (e.guild_id IS NULL AND NOT EXISTS (SELECT 1 FROM events o "
    "WHERE o.replaces_event_id = e.id AND o.guild_id = ?)))"
)
# Rows of a scope that may belong to a replaced catalog event (circuits, drivers).
SHARED_OR_OWN = "(e.guild_id IS NULL OR e.guild_id = ?)"


def scoped(scope: Scope) -> list[Any]:
    """The parameters of ``IN_SCOPE``."""
    return [scope.guild_id, scope.guild_id]


# The event whose entries and results an event shows: a guild's stand-in for a catalog
# race keeps the catalog's line-up and results. Takes (event id, guild, event id).
FACTS_OF = "COALESCE((SELECT x.replaces_event_id FROM events x WHERE x.id = ? AND x.guild_id = ?), ?)"


class CalendarReads:
    """The reads behind ``Store``'s calendar methods (the facade passes them through)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def series(self) -> list[Series]:
        rows = await self._db.rows("SELECT code, name FROM series ORDER BY code")
        return [Series(r["code"], r["name"]) for r in rows]

    async def circuits(self, scope: Scope) -> list[Circuit]:
        rows = await self._db.rows(
            f"SELECT * FROM circuits e WHERE {SHARED_OR_OWN} ORDER BY name", (scope.guild_id,)
        )
        return [circuit_from_row(r) for r in rows]

    async def upcoming_event_ids(
        self, scope: Scope, after: datetime, *, series: str | None = None, limit: int = 10
    ) -> list[int]:
        """Events with a session still to come after ``after``, soonest first.

        Cancelled events are left out; postponed ones stay when they have a date.
        """
        sql, params = self.upcoming_sql(scope, after, series=series)
        first: dict[int, str] = {}  # event -> its earliest sort instant among sessions to come
        stop_after: str | None = None
        async with self._db.stream(sql, params) as cur:
            # Rows come in horizon order, straight from the index (sorting every session
            # still to come took milliseconds on a large store). A session starts at most
            # SESSION_SPAN before its horizon, so once a horizon lies further than that
            # past the limit-th earliest start seen, no later row can rank: stop there.
            async for row in cur:
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
            + f"WHERE e.id = s.event_id AND s.horizon_at > ? AND {IN_SCOPE} "
            "AND e.status != 'cancelled' " + ("AND sr.code = ? " if series else "") + "ORDER BY s.horizon_at"
        )
        params: list[Any] = [to_iso_utc(after), *scoped(scope)]
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
            f"WHERE s.kind = 'race' AND s.horizon_at <= ? AND {IN_SCOPE} "
            "AND e.status != 'cancelled' AND (CAST(? AS TEXT) IS NULL OR sr.code = ?) "
            "ORDER BY s.horizon_at DESC LIMIT 1"
        )
        rows = await self._db.rows(sql, (to_iso_utc(before), *scoped(scope), series, series))
        return int(rows[0]["event_id"]) if rows else None

    async def circuit_calendar(self, circuit_id: int, guild_id: int | None) -> list[CalendarRow]:
        """The events at a circuit, cancelled ones left out, in date order: the catalog's
        (``guild_id`` None) or one guild's own, enough to tell the next event and the last
        one without loading them all (/circuit)."""
        rows = await self._db.rows(*self.circuit_calendar_sql(circuit_id, guild_id))
        return [
            CalendarRow(
                (r["first_at"] is None, r["first_at"] or "", int(r["season"]), str(r["name"])),
                int(r["id"]),
                r["guild_id"],
                stored_instant(r["last_horizon"]) if r["last_horizon"] else None,
                r["replaces_event_id"],
            )
            for r in rows
        ]

    @staticmethod
    def circuit_calendar_sql(circuit_id: int, guild_id: int | None) -> tuple[str, list[Any]]:
        sql = (
            "SELECT e.id, e.guild_id, e.replaces_event_id, e.season, e.name, MIN(s.sort_at) AS first_at, "
            "MAX(s.horizon_at) AS last_horizon "
            "FROM events e LEFT JOIN sessions s ON s.event_id = e.id "
            # The catalog's (guild NULL) or the guild's: COALESCE, as the importer matches
            # them (``e.guild_id IS ?`` is SQLite's alone; IS NOT DISTINCT FROM needs 3.39).
            "WHERE e.circuit_id = ? AND COALESCE(e.guild_id, -1) = COALESCE(CAST(? AS BIGINT), -1) "
            "AND e.status != 'cancelled' "
            # The order of _load_events (CalendarRow.order is the same in Python).
            "GROUP BY e.id ORDER BY first_at NULLS LAST, e.season, e.name"
        )
        return sql, [circuit_id, guild_id]

    async def events_by_id(self, scope: Scope, ids: Iterable[int]) -> list[Event]:
        """Full events (with sessions) for ``ids`` that the scope may see, in ``ids`` order."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        marks = ", ".join("?" for _ in wanted)
        events = await self._load_events(
            f"e.id IN ({marks}) AND {IN_SCOPE}",
            [*wanted, *scoped(scope)],
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
            f"{IN_SCOPE} AND (CAST(? AS TEXT) IS NULL OR sr.code = ?) "
            "AND (CAST(? AS BIGINT) IS NULL OR e.season = ?) "
            "AND (CAST(? AS BIGINT) IS NULL OR e.circuit_id = ?)",
            [*scoped(scope), series, series, season, season, circuit_id, circuit_id],
        )

    async def seasons(self, scope: Scope, series: str | None = None) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT DISTINCT e.season FROM events e JOIN series sr ON sr.id = e.series_id "
            f"WHERE {IN_SCOPE} AND (CAST(? AS TEXT) IS NULL OR sr.code = ?) ORDER BY e.season",
            (*scoped(scope), series, series),
        )
        return [int(r[0]) for r in rows]

    async def _load_events(self, where: str, params: Sequence[Any], *, short: bool = False) -> list[Event]:
        """``short``: a few events, read on the event loop (``Database.rows``); the
        catalog's thousand go through aiosqlite's thread so as not to stall it."""
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
            # Events with no date at all (a postponement with no new date) sort last
            # (NULLS LAST: PostgreSQL orders by an output column only by its bare name).
            "ORDER BY first_at NULLS LAST, e.season, e.name"
        )
        rows = await self._db.rows(sql, params) if short else await self._db.fetch_all(sql, params)
        if not rows:
            return []
        ids = [int(r["id"]) for r in rows]
        sessions = await self._sessions_for(ids, short=short)
        # Events at one circuit share one Circuit (/circuit loads dozens of them).
        circuits: dict[int, Circuit] = {}
        return [event_from_row(r, sessions.get(int(r["id"]), ()), circuits) for r in rows]

    async def _sessions_for(self, event_ids: list[int], *, short: bool) -> dict[int, tuple[Session, ...]]:
        marks = ", ".join("?" for _ in event_ids)
        sql = (
            f"SELECT * FROM sessions WHERE event_id IN ({marks}) "
            "ORDER BY event_id, sort_at IS NULL, sort_at, id"
        )
        rows = await self._db.rows(sql, event_ids) if short else await self._db.fetch_all(sql, event_ids)
        grouped: dict[int, list[Session]] = {}
        for r in rows:
            grouped.setdefault(int(r["event_id"]), []).append(session_from_row(r))
        return {k: tuple(v) for k, v in grouped.items()}

    async def entries(self, scope: Scope, event_id: int) -> list[Entry]:
        """The entry list of one event (empty when the scope may not see it)."""
        rows = await self._db.rows(
            "SELECT en.* FROM entries en JOIN events e ON e.id = en.event_id "
            f"WHERE en.event_id = {FACTS_OF} AND {SHARED_OR_OWN} ORDER BY en.position",
            (event_id, scope.guild_id, event_id, scope.guild_id),
        )
        drivers = await self.drivers_for([int(r["id"]) for r in rows])
        return [entry_from_row(r, drivers.get(int(r["id"]), ())) for r in rows]

    async def drivers_for(self, entry_ids: list[int]) -> dict[int, tuple[str, ...]]:
        """Each entry's drivers in order (unscoped: the caller read the entries in scope)."""
        if not entry_ids:
            return {}
        marks = ", ".join("?" for _ in entry_ids)
        rows = await self._db.rows(
            "SELECT ed.entry_id, d.name FROM entry_drivers ed JOIN drivers d ON d.id = ed.driver_id "
            f"WHERE ed.entry_id IN ({marks}) ORDER BY ed.entry_id, ed.position",
            entry_ids,
        )
        grouped: dict[int, list[str]] = {}
        for r in rows:
            grouped.setdefault(int(r["entry_id"]), []).append(str(r["name"]))
        return {k: tuple(v) for k, v in grouped.items()}

    async def results(self, scope: Scope, event_id: int) -> list[Result]:
        rows = await self._db.rows(
            "SELECT r.* FROM results r JOIN events e ON e.id = r.event_id "
            f"WHERE r.event_id = {FACTS_OF} AND {SHARED_OR_OWN} "
            "ORDER BY r.class = 'Overall' DESC, r.class, r.position",
            (event_id, scope.guild_id, event_id, scope.guild_id),
        )
        return [
            Result(r["class"], int(r["position"]), r["number"], r["description"], r["source"]) for r in rows
        ]

    async def driver_names(self, scope: Scope) -> list[str]:
        rows = await self._db.fetch_all(
            "SELECT DISTINCT d.name FROM drivers d JOIN entry_drivers ed ON ed.driver_id = d.id "
            "JOIN entries en ON en.id = ed.entry_id JOIN events e ON e.id = en.event_id "
            f"WHERE {SHARED_OR_OWN} ORDER BY d.name",
            (scope.guild_id,),
        )
        return [str(r[0]) for r in rows]

    # A guild's own names apart from the catalog's: name indexes share the catalog's
    # part between guilds and add these small ones (fanbot.answers.context.Lookups).

    async def own_events(self, guild_id: int) -> list[Event]:
        """The guild's own events only (not the shared catalog), in date order."""
        [(count,)] = await self._db.rows("SELECT COUNT(*) FROM events WHERE guild_id = ?", (guild_id,))
        return await self._load_events("e.guild_id = ?", [guild_id], short=count <= SHORT_READ_EVENTS)

    async def own_circuits(self, guild_id: int) -> list[Circuit]:
        """Circuits the guild added itself (most guilds: none)."""
        rows = await self._db.rows("SELECT * FROM circuits WHERE guild_id = ? ORDER BY name", (guild_id,))
        return [circuit_from_row(r) for r in rows]

    async def own_driver_names(self, guild_id: int) -> list[str]:
        """Drivers in the guild's own entry lists (some may race in the catalog too)."""
        rows = await self._db.fetch_all(
            "SELECT DISTINCT d.name FROM drivers d JOIN entry_drivers ed ON ed.driver_id = d.id "
            "JOIN entries en ON en.id = ed.entry_id JOIN events e ON e.id = en.event_id "
            "WHERE e.guild_id = ? ORDER BY d.name",
            (guild_id,),
        )
        return [str(r[0]) for r in rows]

    async def entries_of_driver(self, scope: Scope, name: str) -> list[tuple[int, Entry]]:
        """(event id, entry) for every entry the named driver is in, oldest event first."""
        rows = await self._db.fetch_all(
            # A replaced catalog race's entry is shown under the guild's stand-in.
            "SELECT en.*, COALESCE((SELECT o.id FROM events o WHERE o.replaces_event_id = e.id "
            "AND o.guild_id = ?), en.event_id) AS ev FROM entries en "
            "JOIN entry_drivers ed ON ed.entry_id = en.id JOIN drivers d ON d.id = ed.driver_id "
            f"JOIN events e ON e.id = en.event_id WHERE d.name = ? AND {SHARED_OR_OWN} "
            "ORDER BY e.season, e.id",
            (scope.guild_id, name, scope.guild_id),
        )
        drivers = await self.drivers_for([int(r["id"]) for r in rows])
        return [(int(r["ev"]), entry_from_row(r, drivers.get(int(r["id"]), ()))) for r in rows]
