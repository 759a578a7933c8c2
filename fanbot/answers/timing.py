"""Where each session of a weekend stands at the asking instant (``domain.session_time``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fanbot.domain.model import Event, Session
from fanbot.domain.session_time import LengthBasis, SessionState, session_window

CURRENT = frozenset({SessionState.TO_COME, SessionState.UNDER_WAY, SessionState.POSSIBLY_UNDER_WAY})
RUNNING = frozenset({SessionState.UNDER_WAY, SessionState.POSSIBLY_UNDER_WAY})


@dataclass(frozen=True)
class SessionStatus:
    """A session, its state at the asking instant, and until when it may run."""

    session: Session
    state: SessionState
    ends: datetime | None  # the latest instant it may still be running; None: no date
    length_minutes: int | None
    length_estimated: bool  # the length is a default for its kind, not a published one
    # The length is the race's published maximum ("1812 km or 10 hours"): it may end sooner.
    length_is_a_limit: bool = False

    @property
    def running(self) -> bool:
        return self.state in RUNNING

    @property
    def current(self) -> bool:
        """Under way or still to come."""
        return self.state in CURRENT


def session_status(session: Session, event: Event, now: datetime) -> SessionStatus:
    window = session_window(session, event)
    if window is None:
        return SessionStatus(session, SessionState.UNDATED, None, None, False)
    return SessionStatus(
        session,
        window.state(now),
        window.latest_end,
        window.length.minutes,
        window.length.estimated,
        window.length.basis is LengthBasis.EVENT,
    )


def statuses(event: Event, now: datetime) -> tuple[SessionStatus, ...]:
    """Every session of ``event`` in its order, with where it stands at ``now``."""
    return tuple(session_status(s, event, now) for s in event.sessions)
