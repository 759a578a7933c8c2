"""When a calendar board needs its message touched, and what to do then (no Discord).

A board's text depends on the calendar and on the instant: a session reads "to come"
until it starts, "under way" until it ends, is crossed out once over, and its event drops
off the board when its last session is over (the next event takes its place). So the text
can only change when the calendar is written, or at a start or end of a session it shows:
the bot renders again then, and not by polling. Whether the message needs an edit is
decided by comparing a digest of the new text with the digest of what it shows.

A message a moderator deleted is found at the next edit (Discord answers Unknown
Message). It is posted again with that change, but at most once a day
(``REPOST_SPACING``); deleted ``DELETIONS_TO_STOP`` times, the board stops.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from fanbot.domain.boards import CalendarBoard
from fanbot.domain.model import Event
from fanbot.domain.session_time import session_window


class Step(StrEnum):
    NOTHING = "nothing"  # the message shows this already (or the board is stopped)
    EDIT = "edit"  # edit the message to the new text
    REPOST = "repost"  # the message was deleted: post the new text again (and pin it)
    WAIT = "wait"  # deleted, and posted too recently to post again: wait until ``at``


@dataclass(frozen=True)
class Decision:
    step: Step
    at: datetime | None = None  # WAIT: when a repost becomes allowed


def next_boundary(events: Iterable[Event], now: datetime) -> datetime | None:
    """The first instant after ``now`` at which a session of ``events`` starts or ends
    (for a session known only by its day: the first and last instants it may be under
    way), that is, when a board showing them next reads differently by itself."""
    later = [
        instant
        for event in events
        for session in event.sessions
        if (window := session_window(session, event)) is not None
        for instant in (window.earliest_start, window.latest_end)
        if instant > now
    ]
    return min(later, default=None)


def decide(board: CalendarBoard, content_hash: str, now: datetime) -> Decision:
    """What to do for ``board`` whose text now digests to ``content_hash``."""
    if board.stopped:
        return Decision(Step.NOTHING)
    if board.message_id is None:
        # Deleted: nothing new to show since it went means no reason to post it again.
        if content_hash == board.content_hash:
            return Decision(Step.NOTHING)
        if now < board.repost_after:
            return Decision(Step.WAIT, board.repost_after)
        return Decision(Step.REPOST)
    if content_hash == board.content_hash:
        return Decision(Step.NOTHING)
    return Decision(Step.EDIT)


def next_look(boundary: datetime | None, decision: Decision) -> datetime | None:
    """When to render the board again by itself (writes to the calendar aside): at its
    next boundary, or sooner when a repost is waiting for its turn."""
    times = [t for t in (boundary, decision.at if decision.step is Step.WAIT else None) if t is not None]
    return min(times, default=None)
