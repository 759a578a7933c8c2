"""The moderators' audit log: what each change was, by whom and when, with the event
as it was before and after (``snapshot``).

An event's audit row is written in the transaction that changes the event
(``audit_event_change``), so the two commit together or not at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fanbot.domain.localtime import from_iso_utc, to_iso_utc
from fanbot.store.backend import Database, Transaction

Snapshot = dict[str, Any]


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


class AuditLog:
    """Reading the guild's log, and the rows of changes that are not an event's."""

    def __init__(self, database: Database) -> None:
        self._db = database

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
        async with self._db.write(names=guild_id) as tx:
            await audit_row(tx, guild_id, by=by, at=at, action=action, before=before, after=after)

    async def history(
        self, guild_id: int, *, event_key: str | None = None, limit: int = 200
    ) -> list[AuditEntry]:
        """The guild's audit rows, newest first (one event's, when ``event_key`` is given)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM audit_log WHERE guild_id = ? AND (CAST(? AS TEXT) IS NULL OR event_key = ?) "
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
        rows = await self._db.fetch_all(
            "SELECT event_key, event_name FROM audit_log WHERE guild_id = ? AND event_key IS NOT NULL "
            "ORDER BY id",
            (guild_id,),
        )
        names: dict[str, str] = {}
        for r in rows:
            names[str(r["event_key"])] = str(r["event_name"])
        return list(names.items())


async def audit_row(
    tx: Transaction,
    guild_id: int,
    *,
    by: int,
    at: datetime,
    action: str,
    before: Snapshot | None,
    after: Snapshot | None,
) -> None:
    """``AuditLog.record``'s row, in the caller's transaction: a change and its record
    commit together or not at all."""
    await tx.execute(
        "INSERT INTO audit_log (guild_id, user_id, at, action, before_json, after_json) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (guild_id, by, to_iso_utc(at), action, dumps(before), dumps(after)),
    )


async def audit_event_change(
    tx: Transaction,
    guild_id: int,
    by: int,
    at: datetime,
    action: str,
    event_id: int,
    before: Snapshot | None,
    after: Snapshot | None,
) -> None:
    """The audit row of a change to an event, named by its key and name (after the change,
    or before it when it went)."""
    named = after or before or {}
    await tx.execute(
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
            dumps(before),
            dumps(after),
        ),
    )


def dumps(value: Snapshot | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


async def snapshot(tx: Transaction, event_id: int) -> Snapshot | None:
    """The event as the audit log keeps it: fields, sessions, entries and results."""
    event = await tx.fetch_one(
        "SELECT e.*, sr.code AS series_code, c.key AS circuit_key, c.timezone AS circuit_timezone "
        "FROM events e JOIN series sr ON sr.id = e.series_id JOIN circuits c ON c.id = e.circuit_id "
        "WHERE e.id = ?",
        (event_id,),
    )
    if event is None:
        return None
    sessions = await tx.fetch_all(
        "SELECT key, kind, start_at, local_date, duration_minutes, notes FROM sessions "
        "WHERE event_id = ? ORDER BY sort_at IS NULL, sort_at, id",
        (event_id,),
    )
    entries = await tx.fetch_all(
        "SELECT id, number, class, team, car FROM entries WHERE event_id = ? ORDER BY position",
        (event_id,),
    )
    drivers: dict[int, list[str]] = {}
    for r in await tx.fetch_all(
        "SELECT ed.entry_id, d.name FROM entry_drivers ed JOIN drivers d ON d.id = ed.driver_id "
        "JOIN entries en ON en.id = ed.entry_id WHERE en.event_id = ? ORDER BY ed.entry_id, ed.position",
        (event_id,),
    ):
        drivers.setdefault(int(r["entry_id"]), []).append(str(r["name"]))
    results = await tx.fetch_all(
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
