"""When a session counts as done or still to come."""

from __future__ import annotations

from datetime import datetime

from fanbot.domain.localtime import end_of_local_day
from fanbot.domain.model import Event, Session


def session_horizon(session: Session, zone: str) -> datetime | None:
    """Until when the session is "to come": its start, or the end of its local day."""
    if session.start is not None:
        return session.start
    if session.local_date is not None:
        return end_of_local_day(session.local_date, zone)
    return None


def is_to_come(session: Session, event: Event, now: datetime) -> bool:
    horizon = session_horizon(session, event.circuit.timezone)
    return horizon is not None and horizon > now


def is_done(session: Session, event: Event, now: datetime) -> bool:
    horizon = session_horizon(session, event.circuit.timezone)
    return horizon is not None and horizon <= now
