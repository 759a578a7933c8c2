"""A calendar board's view: the next events of a guild's calendar, each session with where
it stands (to come, under way, over), at one instant.

The bot renders it (``render.board``) into the message it keeps pinned, and asks the
planner (``reminders.board_planner``) when it will next read differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fanbot.answers.context import Asker
from fanbot.answers.timing import SessionStatus, statuses
from fanbot.domain.model import Event
from fanbot.domain.session_time import session_window


@dataclass(frozen=True)
class BoardEvent:
    event: Event
    sessions: tuple[SessionStatus, ...]  # every session of the event, in its order


@dataclass(frozen=True)
class Board:
    """What a board shows at ``now``: up to ``count`` events with a session not over yet,
    the weekend that starts first on top."""

    now: datetime
    series: str | None  # a series code; None: every series
    count: int
    events: tuple[BoardEvent, ...]


def _first_instant(event: Event) -> tuple[int, float]:
    """Sort key: the event's first session's earliest start; undated events last."""
    starts = [w.earliest_start.timestamp() for s in event.sessions if (w := session_window(s, event))]
    return (0, min(starts)) if starts else (1, 0.0)


async def calendar_board(asker: Asker, series: str | None, count: int) -> Board:
    """The next ``count`` events of the asker's calendar (``series`` only, when given) that
    are not over, cancelled ones left out, in the order their weekends start."""
    now = asker.now
    ids = await asker.store.upcoming_event_ids(asker.scope, now, series=series, limit=count)
    events = sorted(await asker.store.events_by_id(asker.scope, ids), key=_first_instant)
    return Board(now, series, count, tuple(BoardEvent(e, statuses(e, now)) for e in events))
