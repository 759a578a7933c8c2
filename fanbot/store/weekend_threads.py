"""Which thread holds a guild's reminders of one race weekend (``weekend_threads``).

A thread is claimed here *before* it is created on Discord, as a reminder is before it
is sent (``fanbot.store.reminders``): the claim is a row with no thread yet, written in a
write transaction, so of two processes asking at once one creates the thread and the
other is told to come back. The claim is a lease: a process that stopped between
Discord creating the thread and this row recording it leaves a claim that lapses, and
whoever takes it over is told so (``retaken``), to look for the thread on Discord
before creating another. Once recorded, the row says where the weekend's later
reminders go, until the archive pass closes it after the race.
"""

from __future__ import annotations

from datetime import datetime

from fanbot.domain.localtime import to_iso_utc
from fanbot.domain.reminders import ThreadClaim, WeekendThread
from fanbot.store.backend import Database, Row
from fanbot.store.reminders import DISPATCH_WAIT_SECONDS
from fanbot.store.rows import stored_instant


def _when(value: object) -> datetime | None:
    return stored_instant(str(value)) if value else None


def _thread(r: Row) -> WeekendThread:
    return WeekendThread(
        guild_id=int(r["guild_id"]),
        event_id=int(r["event_id"]),
        channel_id=int(r["channel_id"]),
        thread_id=None if r["thread_id"] is None else int(r["thread_id"]),
        created_at=_when(r["created_at"]),
        archived_at=_when(r["archived_at"]),
        gone_at=_when(r["gone_at"]),
    )


class WeekendThreads:
    """The ``weekend_threads`` table, reached as ``store.weekend_threads``.

    Its writes are ``names="none"`` (no name changes) and wait like the dispatcher's:
    they are made while a reminder is being sent."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def claim(
        self,
        guild_id: int,
        event_id: int,
        channel_id: int,
        *,
        owner: str,
        now: datetime,
        lease_until: datetime,
    ) -> ThreadClaim:
        """The event's thread in this channel, or the claim to create it (see ``ThreadClaim``).

        A thread archived after the race is ``open`` again (a reminder of a postponed race
        posted in it reopens it on Discord, so the archive pass must close it once more)."""
        key = (guild_id, event_id, channel_id)
        async with self._db.write(names="none", wait=DISPATCH_WAIT_SECONDS) as tx:
            inserted = await tx.execute(
                "INSERT INTO weekend_threads (guild_id, event_id, channel_id, claimed_by, claimed_until) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (*key, owner, to_iso_utc(lease_until)),
            )
            if inserted:
                return ThreadClaim("create")
            row = await tx.fetch_one(
                "SELECT thread_id, claimed_by, claimed_until, archived_at, gone_at FROM weekend_threads "
                "WHERE guild_id = ? AND event_id = ? AND channel_id = ?",
                key,
            )
            # Writers take turns: the row that refused the insert is still there.
            assert row is not None
            if row["gone_at"] is not None:
                return ThreadClaim("gone", thread_id=row["thread_id"])
            if row["thread_id"] is not None:
                if row["archived_at"] is not None:
                    await tx.execute(
                        "UPDATE weekend_threads SET archived_at = NULL "
                        "WHERE guild_id = ? AND event_id = ? AND channel_id = ?",
                        key,
                    )
                return ThreadClaim("open", thread_id=int(row["thread_id"]))
            until = _when(row["claimed_until"])
            if row["claimed_by"] == owner or until is None or until <= now:
                # A claim left without a thread by a stopped process, or by an attempt of
                # this one whose answer never came: either may have created the thread.
                await tx.execute(
                    "UPDATE weekend_threads SET claimed_by = ?, claimed_until = ? "
                    "WHERE guild_id = ? AND event_id = ? AND channel_id = ?",
                    (owner, to_iso_utc(lease_until), *key),
                )
                return ThreadClaim("create", retaken=True)
            return ThreadClaim("busy", until=until)

    async def record(
        self, guild_id: int, event_id: int, channel_id: int, thread_id: int, *, owner: str, now: datetime
    ) -> bool:
        """The thread this process created (or found) under its claim. False if the claim
        was lost meanwhile (its lease ran out and another process took it)."""
        async with self._db.write(names="none", wait=DISPATCH_WAIT_SECONDS) as tx:
            changed = await tx.execute(
                "UPDATE weekend_threads SET thread_id = ?, created_at = ?, claimed_by = NULL, "
                "claimed_until = NULL WHERE guild_id = ? AND event_id = ? AND channel_id = ? "
                "AND thread_id IS NULL AND claimed_by = ?",
                (thread_id, to_iso_utc(now), guild_id, event_id, channel_id, owner),
            )
        return changed > 0

    async def release(self, guild_id: int, event_id: int, channel_id: int, *, owner: str) -> None:
        """Give a claim back without a thread (creating it failed): the next reminder of the
        weekend tries again."""
        async with self._db.write(names="none", wait=DISPATCH_WAIT_SECONDS) as tx:
            await tx.execute(
                "DELETE FROM weekend_threads WHERE guild_id = ? AND event_id = ? AND channel_id = ? "
                "AND thread_id IS NULL AND claimed_by = ?",
                (guild_id, event_id, channel_id, owner),
            )

    async def lapse(
        self, guild_id: int, event_id: int, channel_id: int, *, owner: str, now: datetime
    ) -> None:
        """End a claim at once without giving it back: creating the thread failed in a way
        that may have created it all the same (a 5xx, a lost answer), so whoever asks next
        (this process too) looks for it before creating one."""
        async with self._db.write(names="none", wait=DISPATCH_WAIT_SECONDS) as tx:
            await tx.execute(
                "UPDATE weekend_threads SET claimed_until = ? WHERE guild_id = ? AND event_id = ? "
                "AND channel_id = ? AND thread_id IS NULL AND claimed_by = ?",
                (to_iso_utc(now), guild_id, event_id, channel_id, owner),
            )

    async def forget(self, guild_id: int, event_id: int, channel_id: int) -> None:
        """Drop the row of a forum post that was deleted: a forum has no channel to post in
        instead, so the weekend's next reminder opens a new post."""
        async with self._db.write(names="none", wait=DISPATCH_WAIT_SECONDS) as tx:
            await tx.execute(
                "DELETE FROM weekend_threads WHERE guild_id = ? AND event_id = ? AND channel_id = ?",
                (guild_id, event_id, channel_id),
            )

    async def mark_gone(self, guild_id: int, event_id: int, channel_id: int, *, now: datetime) -> None:
        """The thread was deleted on Discord (a moderator's choice): the weekend's other
        reminders go in the channel, rather than in a new thread created against it."""
        async with self._db.write(names="none", wait=DISPATCH_WAIT_SECONDS) as tx:
            await tx.execute(
                "UPDATE weekend_threads SET gone_at = ? WHERE guild_id = ? AND event_id = ? "
                "AND channel_id = ? AND gone_at IS NULL",
                (to_iso_utc(now), guild_id, event_id, channel_id),
            )

    async def mark_archived(self, guild_id: int, event_id: int, channel_id: int, *, now: datetime) -> None:
        async with self._db.write(names="none", wait=DISPATCH_WAIT_SECONDS) as tx:
            await tx.execute(
                "UPDATE weekend_threads SET archived_at = ? WHERE guild_id = ? AND event_id = ? "
                "AND channel_id = ? AND archived_at IS NULL",
                (to_iso_utc(now), guild_id, event_id, channel_id),
            )

    async def thread(self, guild_id: int, event_id: int, channel_id: int) -> WeekendThread | None:
        rows = await self._db.fetch_all(
            "SELECT * FROM weekend_threads WHERE guild_id = ? AND event_id = ? AND channel_id = ?",
            (guild_id, event_id, channel_id),
        )
        return _thread(rows[0]) if rows else None

    async def open_threads(self) -> list[WeekendThread]:
        """Every thread created and neither archived by fanbot nor deleted: what the archive
        pass looks at (a few per guild at most: the weekends of the last days)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM weekend_threads WHERE archived_at IS NULL AND gone_at IS NULL "
            "AND thread_id IS NOT NULL ORDER BY guild_id, event_id"
        )
        return [_thread(r) for r in rows]

    async def threads_of(self, guild_id: int) -> list[WeekendThread]:
        """A guild's weekend threads, newest event first (for /reminders status and tests)."""
        rows = await self._db.fetch_all(
            "SELECT * FROM weekend_threads WHERE guild_id = ? ORDER BY event_id DESC", (guild_id,)
        )
        return [_thread(r) for r in rows]
