"""Calendar boards in the store: where each guild's board message is and what it last showed.

One row per guild (``calendar_boards``). The board's text is rendered from the calendar;
the row keeps a digest of what its message shows, so the bot edits it only when that
changes. Writes that follow Discord's answer (an edit, a deletion found, a repost) are
conditional on the message they are about: a moderator who set the board up again
meanwhile is never overwritten by an answer about the old message.

Every write is ``names="none"``: a board changes no event, circuit or driver name. The
guild's name counters (``name_revision``) are read beside the boards, though: they move
with every write that may change a guild's calendar (or the catalog), which is how the
bot tells, with one query, which boards may need rendering again.
"""

from __future__ import annotations

from datetime import datetime

from fanbot.domain.boards import DELETIONS_TO_STOP, BoardStop, CalendarBoard, PinState
from fanbot.domain.localtime import to_iso_utc
from fanbot.store.backend import Database, Row
from fanbot.store.rows import stored_instant

# (catalog counter, guild counter): a board's calendar may have changed when either moves.
Revision = tuple[int, int]


def _when(text: str | None) -> datetime | None:
    return stored_instant(text) if text else None


def _board(r: Row) -> CalendarBoard:
    return CalendarBoard(
        guild_id=int(r["guild_id"]),
        channel_id=int(r["channel_id"]),
        message_id=int(r["message_id"]) if r["message_id"] is not None else None,
        series=r["series"],
        count=int(r["event_count"]),
        content_hash=r["content_hash"],
        pin=PinState(r["pin_state"]),
        deletions=int(r["deletions"]),
        posted_at=stored_instant(r["posted_at"]),
        edited_at=_when(r["edited_at"]),
        stopped_at=_when(r["stopped_at"]),
        stopped_reason=BoardStop(r["stopped_reason"]) if r["stopped_reason"] else None,
        updated_by=int(r["updated_by"]) if r["updated_by"] is not None else None,
    )


class Boards:
    """``calendar_boards``, reached as ``store.boards``."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def save(self, board: CalendarBoard, *, now: datetime) -> None:
        """Create or replace a guild's board as a moderator set it up (message posted or
        edited in place just before): it starts again with no deletion counted."""
        async with self._db.write(names="none") as tx:
            await tx.execute(
                "INSERT INTO calendar_boards (guild_id, channel_id, message_id, series, event_count, "
                "content_hash, pin_state, deletions, posted_at, edited_at, stopped_at, stopped_reason, "
                "updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, NULL, NULL, ?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, "
                "message_id = excluded.message_id, series = excluded.series, "
                "event_count = excluded.event_count, content_hash = excluded.content_hash, "
                "pin_state = excluded.pin_state, deletions = 0, posted_at = excluded.posted_at, "
                "edited_at = excluded.edited_at, stopped_at = NULL, stopped_reason = NULL, "
                "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                (
                    board.guild_id,
                    board.channel_id,
                    board.message_id,
                    board.series,
                    board.count,
                    board.content_hash,
                    board.pin.value,
                    to_iso_utc(board.posted_at),
                    to_iso_utc(board.edited_at) if board.edited_at else None,
                    board.updated_by,
                    to_iso_utc(now),
                ),
            )

    async def board(self, guild_id: int) -> CalendarBoard | None:
        rows = await self._db.rows("SELECT * FROM calendar_boards WHERE guild_id = ?", (guild_id,))
        return _board(rows[0]) if rows else None

    async def kept(self) -> list[tuple[CalendarBoard, Revision]]:
        """Every board still kept (not stopped), each with its calendar's revision: the
        catalog's name counter and its guild's. Read before rendering, a revision that
        later moves means the board may show something old."""
        rows = await self._db.fetch_all(
            "SELECT b.*, "
            "(SELECT n.value FROM name_revision n WHERE n.scope = 'catalog') AS catalog_revision, "
            "(SELECT n.value FROM name_revision n WHERE n.scope = 'guild:' || CAST(b.guild_id AS TEXT)) "
            "AS guild_revision "
            "FROM calendar_boards b WHERE b.stopped_at IS NULL ORDER BY b.guild_id"
        )
        return [(_board(r), (int(r["catalog_revision"] or 0), int(r["guild_revision"] or 0))) for r in rows]

    async def record_edit(self, guild_id: int, message_id: int, content_hash: str, *, now: datetime) -> bool:
        """The message now shows ``content_hash``; False if the board moved on meanwhile."""
        async with self._db.write(names="none") as tx:
            changed = await tx.execute(
                "UPDATE calendar_boards SET content_hash = ?, edited_at = ? "
                "WHERE guild_id = ? AND message_id = ?",
                (content_hash, to_iso_utc(now), guild_id, message_id),
            )
        return changed > 0

    async def record_deleted(self, guild_id: int, message_id: int, *, now: datetime) -> CalendarBoard | None:
        """The message was found deleted: one deletion more, and the board stops at
        ``DELETIONS_TO_STOP``. The board as it is now (None if it is gone)."""
        async with self._db.write(names="none") as tx:
            await tx.execute(
                "UPDATE calendar_boards SET message_id = NULL, deletions = deletions + 1, "
                "stopped_at = CASE WHEN deletions + 1 >= ? THEN ? ELSE stopped_at END, "
                "stopped_reason = CASE WHEN deletions + 1 >= ? THEN ? ELSE stopped_reason END "
                "WHERE guild_id = ? AND message_id = ?",
                (
                    DELETIONS_TO_STOP,
                    to_iso_utc(now),
                    DELETIONS_TO_STOP,
                    BoardStop.DELETED.value,
                    guild_id,
                    message_id,
                ),
            )
            row = await tx.fetch_one("SELECT * FROM calendar_boards WHERE guild_id = ?", (guild_id,))
        return _board(row) if row is not None else None

    async def record_repost(
        self, guild_id: int, message_id: int, content_hash: str, pin: PinState, *, now: datetime
    ) -> bool:
        """A deleted board's message was posted again; False if the board moved on meanwhile
        (the caller then deletes the new message)."""
        async with self._db.write(names="none") as tx:
            changed = await tx.execute(
                "UPDATE calendar_boards SET message_id = ?, content_hash = ?, pin_state = ?, "
                "posted_at = ?, edited_at = ? "
                "WHERE guild_id = ? AND message_id IS NULL AND stopped_at IS NULL",
                (message_id, content_hash, pin.value, to_iso_utc(now), to_iso_utc(now), guild_id),
            )
        return changed > 0

    async def stop(self, guild_id: int, reason: BoardStop, *, now: datetime) -> None:
        """No longer keep the board (its channel is gone or closed to the bot)."""
        async with self._db.write(names="none") as tx:
            await tx.execute(
                "UPDATE calendar_boards SET stopped_at = ?, stopped_reason = ? "
                "WHERE guild_id = ? AND stopped_at IS NULL",
                (to_iso_utc(now), reason.value, guild_id),
            )

    async def remove(self, guild_id: int) -> CalendarBoard | None:
        """Forget the guild's board (/calendar board off): the board it had, if any."""
        async with self._db.write(names="none") as tx:
            row = await tx.fetch_one("SELECT * FROM calendar_boards WHERE guild_id = ?", (guild_id,))
            if row is None:
                return None
            await tx.execute("DELETE FROM calendar_boards WHERE guild_id = ?", (guild_id,))
        return _board(row)
