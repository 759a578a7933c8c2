"""The Discord scheduled events mirror in the store: which servers want it, and which
Discord event stands for which race session.

The map (``mirror_events``) is what keeps the mirror from creating two Discord events
for one race: a row is written once Discord answered a create. A process killed between
Discord's answer and that write leaves an event without a row; the sync finds it by the
marker in its description before creating again (``fanbot.bot.mirror_sync``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from fanbot.domain.localtime import to_iso_utc
from fanbot.domain.mirror import MirroredEvent, MirrorSetup
from fanbot.store.backend import Database, Row
from fanbot.store.reads import IN_SCOPE, Scope, scoped
from fanbot.store.rows import stored_instant

# The sync's writes may wait this long for another process's write lock (it runs in the
# background); a command's writes give up sooner, to answer in time.
SYNC_WAIT_SECONDS = 30.0


def _when(text: str | None) -> datetime | None:
    return stored_instant(text) if text else None


class EventsMirror:
    """``mirror_setups`` and ``mirror_events``, reached as ``store.mirror``.

    Its writes are ``names="none"``: they change no event, circuit or driver name."""

    def __init__(self, database: Database) -> None:
        self._db = database

    # ------------------------------------------------------------ setups

    async def turn_on(
        self, guild_id: int, *, series: Iterable[str], days: int, by: int | None, now: datetime
    ) -> None:
        """Create or replace a guild's setup. Turning it on again also clears a stop (a
        refusal from Discord) and forgets the races whose Discord event someone deleted by
        hand, so that the mirror starts over."""
        async with self._db.write(names="none") as tx:
            await tx.execute(
                "INSERT INTO mirror_setups (guild_id, series, days, active, broken_at, broken_reason, "
                "broken_told, skipped, updated_by, updated_at) VALUES (?, ?, ?, 1, NULL, NULL, 0, 0, ?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET series = excluded.series, days = excluded.days, "
                "active = 1, broken_at = NULL, broken_reason = NULL, broken_told = 0, skipped = 0, "
                "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                (guild_id, "|".join(series), days, by, to_iso_utc(now)),
            )
            await tx.execute("DELETE FROM mirror_events WHERE guild_id = ? AND state = 'gone'", (guild_id,))

    async def turn_off(self, guild_id: int, *, by: int | None, now: datetime) -> bool:
        """Stop the mirror; False if it was not on. The map stays until the bot has
        deleted what it no longer keeps (``forget``)."""
        async with self._db.write(names="none") as tx:
            changed = await tx.execute(
                "UPDATE mirror_setups SET active = 0, updated_by = ?, updated_at = ? "
                "WHERE guild_id = ? AND active = 1",
                (by, to_iso_utc(now), guild_id),
            )
        return changed > 0

    async def setup(self, guild_id: int) -> MirrorSetup | None:
        rows = await self._db.fetch_all("SELECT * FROM mirror_setups WHERE guild_id = ?", (guild_id,))
        return _setup(rows[0]) if rows else None

    async def setups_to_sync(self) -> list[MirrorSetup]:
        """Every guild whose mirror is on, or was turned off with Discord events still to
        delete; none stopped by a refusal from Discord."""
        rows = await self._db.fetch_all(
            "SELECT * FROM mirror_setups s WHERE s.broken_at IS NULL AND (s.active = 1 OR EXISTS "
            "(SELECT 1 FROM mirror_events m WHERE m.guild_id = s.guild_id AND m.state = 'scheduled')) "
            "ORDER BY s.guild_id"
        )
        return [_setup(r) for r in rows]

    async def mark_broken(self, guild_id: int, reason: str, *, now: datetime) -> None:
        """Discord refused (a permission was taken away): the mirror stops for this guild
        until a moderator turns it on again; the next moderator is told once."""
        async with self._db.write(names="none", wait=SYNC_WAIT_SECONDS) as tx:
            await tx.execute(
                "UPDATE mirror_setups SET broken_at = ?, broken_reason = ?, broken_told = 0 "
                "WHERE guild_id = ? AND broken_at IS NULL",
                (to_iso_utc(now), reason[:300], guild_id),
            )

    async def take_broken_notice(self, guild_id: int) -> MirrorSetup | None:
        """The guild's stopped mirror if no moderator has been told yet; marks it told
        (so that exactly one moderator is)."""
        async with self._db.write(names="none") as tx:
            changed = await tx.execute(
                "UPDATE mirror_setups SET broken_told = 1 WHERE guild_id = ? AND active = 1 "
                "AND broken_at IS NOT NULL AND broken_told = 0",
                (guild_id,),
            )
        return await self.setup(guild_id) if changed else None

    async def note_sync(self, guild_id: int, *, now: datetime, skipped: int) -> None:
        """When a sync last sent changes to Discord, and how many races it left out under
        Discord's cap."""
        async with self._db.write(names="none", wait=SYNC_WAIT_SECONDS) as tx:
            await tx.execute(
                "UPDATE mirror_setups SET synced_at = ?, skipped = ? WHERE guild_id = ?",
                (to_iso_utc(now), skipped, guild_id),
            )

    # ------------------------------------------------------------ the map

    async def mirrored(self, guild_id: int) -> list[MirroredEvent]:
        """The guild's Discord events of the mirror, soonest first."""
        rows = await self._db.fetch_all(
            "SELECT * FROM mirror_events WHERE guild_id = ? ORDER BY starts_at, event_id, session_id",
            (guild_id,),
        )
        return [_mirrored(r) for r in rows]

    async def record(self, mirrored: MirroredEvent, *, now: datetime) -> None:
        """Write down a Discord event of the mirror (created, adopted, edited, cancelled)."""
        async with self._db.write(names="none", wait=SYNC_WAIT_SECONDS) as tx:
            await tx.execute(
                "INSERT INTO mirror_events (guild_id, event_id, session_id, discord_event_id, state, "
                "payload_hash, starts_at, ends_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (guild_id, event_id, session_id) DO UPDATE SET "
                "discord_event_id = excluded.discord_event_id, state = excluded.state, "
                "payload_hash = excluded.payload_hash, starts_at = excluded.starts_at, "
                "ends_at = excluded.ends_at, updated_at = excluded.updated_at",
                (
                    mirrored.guild_id,
                    mirrored.event_id,
                    mirrored.session_id,
                    mirrored.discord_event_id,
                    mirrored.state,
                    mirrored.payload_hash,
                    to_iso_utc(mirrored.starts_at),
                    to_iso_utc(mirrored.ends_at),
                    to_iso_utc(now),
                ),
            )

    async def forget(self, guild_id: int, keys: Iterable[tuple[int, int]]) -> int:
        """Drop rows (the Discord event was deleted, or its race ended long ago)."""
        gone = 0
        async with self._db.write(names="none", wait=SYNC_WAIT_SECONDS) as tx:
            for event_id, session_id in keys:
                gone += await tx.execute(
                    "DELETE FROM mirror_events WHERE guild_id = ? AND event_id = ? AND session_id = ?",
                    (guild_id, event_id, session_id),
                )
        return gone

    # ------------------------------------------------------------ the calendar

    async def race_event_ids(self, guild_id: int, after: datetime, upto: datetime) -> list[int]:
        """Events the guild sees (the catalog and its own) with a race starting in
        (after, upto], soonest first, cancelled ones included (the planner decides)."""
        rows = await self._db.fetch_all(
            "SELECT s.event_id, MIN(s.start_at) AS first_start FROM sessions s "
            "CROSS JOIN events e WHERE e.id = s.event_id AND s.kind = 'race' "
            f"AND s.start_at > ? AND s.start_at <= ? AND {IN_SCOPE} "
            "GROUP BY s.event_id ORDER BY first_start, s.event_id",
            (to_iso_utc(after), to_iso_utc(upto), *scoped(Scope(guild_id))),
        )
        return [int(r["event_id"]) for r in rows]


def _setup(r: Row) -> MirrorSetup:
    return MirrorSetup(
        guild_id=int(r["guild_id"]),
        series=tuple(x for x in str(r["series"]).split("|") if x),
        days=int(r["days"]),
        active=bool(r["active"]),
        broken_at=_when(r["broken_at"]),
        broken_reason=r["broken_reason"],
        broken_told=bool(r["broken_told"]),
        skipped=int(r["skipped"]),
        synced_at=_when(r["synced_at"]),
        updated_by=r["updated_by"],
    )


def _mirrored(r: Row) -> MirroredEvent:
    return MirroredEvent(
        guild_id=int(r["guild_id"]),
        event_id=int(r["event_id"]),
        session_id=int(r["session_id"]),
        discord_event_id=int(r["discord_event_id"]),
        state=r["state"],
        payload_hash=str(r["payload_hash"]),
        starts_at=stored_instant(r["starts_at"]),
        ends_at=stored_instant(r["ends_at"]),
    )
