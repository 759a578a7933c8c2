"""Turns to IDENTIFY with Discord's gateway, shared by every process of a sharded bot.

Discord starts at most ``max_concurrency`` gateway sessions of a bot per 5 seconds: one
per *bucket* (``shard_id % max_concurrency``) in each 5-second window, whichever process
(or machine) the shard runs in. Each process's discord.py only spaces its own shards, so
the processes take turns here, in the database they share: ``identify_turns`` holds, per
bucket, when a shard of it last identified, and a turn is taken by moving that instant
to now in one statement, only if it is old enough. Two processes asking at once cannot
both get it (the upsert's condition is checked under the row's lock, and writes are one
at a time on either backend).

The rule lives here; the waiting is the bot's (``fanbot.bot.app``): this says how long.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fanbot.domain.localtime import from_iso_utc, to_iso_utc
from fanbot.store.backend import Database

# Discord's window: max_concurrency IDENTIFYs per bucket per 5 seconds.
IDENTIFY_SPACING = timedelta(seconds=5)


@dataclass(frozen=True)
class IdentifyTurn:
    """What asking for a bucket's turn gave: ``taken`` (identify now), or how long to
    ``wait`` before asking again."""

    taken: bool
    wait: timedelta = timedelta(0)


def _second_up(instant: datetime) -> datetime:
    """The store keeps whole seconds: an identify is written down at the next whole second,
    never before it happened (so the next turn of its bucket can only come later)."""
    whole = math.ceil(instant.timestamp())
    return datetime.fromtimestamp(whole, UTC)


def _second_down(instant: datetime) -> datetime:
    return datetime.fromtimestamp(math.floor(instant.timestamp()), UTC)


class IdentifyTurns:
    """``identify_turns``: ``Store.take_identify_turn`` passes through."""

    def __init__(self, database: Database) -> None:
        self._db = database

    async def take(
        self, bucket: int, *, now: datetime, spacing: timedelta = IDENTIFY_SPACING
    ) -> IdentifyTurn:
        """Take ``bucket``'s turn at ``now`` if its last identify is at least ``spacing``
        old (or there was none); otherwise nothing changes and the answer says how long
        until it will be. Every process must pass the same ``spacing``."""
        # Taken when last <= now - spacing. last is whole seconds, so comparing it with
        # that instant cut down to the second decides exactly the same.
        latest_allowed = to_iso_utc(_second_down(now - spacing))
        async with self._db.write(names="none") as tx:
            taken = await tx.execute(
                "INSERT INTO identify_turns (bucket, last_identify_at) VALUES (?, ?) "
                "ON CONFLICT (bucket) DO UPDATE SET last_identify_at = excluded.last_identify_at "
                "WHERE identify_turns.last_identify_at <= ?",
                (bucket, to_iso_utc(_second_up(now)), latest_allowed),
            )
            if taken:
                return IdentifyTurn(taken=True)
            row = await tx.fetch_one(
                "SELECT last_identify_at FROM identify_turns WHERE bucket = ?", (bucket,)
            )
        last = from_iso_utc(str(row[0])) if row is not None else now
        # At least a little: a clock behind another process's would otherwise ask in a loop.
        return IdentifyTurn(taken=False, wait=max(last + spacing - now, timedelta(milliseconds=50)))
