"""A guild's calendar board: one message listing its next events, kept up to date.

The board's text is never stored: it is rendered from the calendar as it is now. What is
stored is where the message is, what it lists (a series, how many events), a digest of
what it last showed (so that nothing is edited when nothing changed), whether it could be
pinned, and how often moderators deleted it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

# How many events a board lists unless told, and at most. Ten events with their sessions
# stay well inside one embed's 4,096 characters (``render.board`` clips cleanly if not).
DEFAULT_BOARD_EVENTS = 5
MAX_BOARD_EVENTS = 10
# A deleted board is posted again with the next change, but never sooner than this after
# it was last posted: a moderator who deleted it does not get it back within the hour,
# and the channel sees at most one new board message (and Discord's "pinned a message"
# notice) a day.
REPOST_SPACING = timedelta(days=1)
# Deleted this many times, the board is taken for unwanted and no longer kept (a moderator
# turns it on again with /calendar board setup).
DELETIONS_TO_STOP = 2


class PinState(StrEnum):
    UNPINNED = "unpinned"  # not tried yet
    PINNED = "pinned"
    NO_PERMISSION = "no_permission"  # the bot lacks Pin Messages in the channel
    PINS_FULL = "pins_full"  # the channel holds Discord's maximum of pins
    FAILED = "failed"  # Discord refused for another reason


class BoardStop(StrEnum):
    DELETED = "deleted"  # moderators deleted it DELETIONS_TO_STOP times
    FORBIDDEN = "forbidden"  # the bot may no longer see or post in the channel
    GONE = "gone"  # the channel was deleted


@dataclass(frozen=True)
class CalendarBoard:
    """One guild's board as stored (``fanbot.store.boards``)."""

    guild_id: int
    channel_id: int
    message_id: int | None  # None: its message was deleted and is not posted again yet
    series: str | None  # a series code; None: every series
    count: int  # how many events it lists
    content_hash: str | None  # digest of what the message last showed
    pin: PinState
    deletions: int
    posted_at: datetime  # when its message was last posted (first post or repost)
    edited_at: datetime | None = None
    stopped_at: datetime | None = None
    stopped_reason: BoardStop | None = None
    updated_by: int | None = None

    @property
    def stopped(self) -> bool:
        return self.stopped_at is not None

    @property
    def repost_after(self) -> datetime:
        """The earliest instant a deleted message may be posted again."""
        return self.posted_at + REPOST_SPACING
