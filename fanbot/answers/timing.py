"""When a session counts as done or still to come."""

from __future__ import annotations

from datetime import datetime, timedelta

from fanbot.domain.localtime import end_of_local_day
from fanbot.domain.model import Event, Session


def session_horizon(session: Session, zone: str) -> datetime | None:
    """Until when the session is current: its end (start + duration, when known),
    or the end of its local day when only the date is known."""
    if session.start is not None:
        return session.start + timedelta(minutes=session.duration_minutes or 0)
    if session.local_date is not None:
        return end_of_local_day(session.local_date, zone)
    return None


def is_to_come(session: Session, event: Event, now: datetime) -> bool:
    horizon = session_horizon(session, event.circuit.timezone)
    return horizon is not None and horizon > now


def is_done(session: Session, event: Event, now: datetime) -> bool:
    horizon = session_horizon(session, event.circuit.timezone)
    return horizon is not None and horizon <= now


def is_running(session: Session, now: datetime) -> bool:
    """Started and, by its known duration, not over yet."""
    if session.start is None or not session.duration_minutes:
        return False
    return session.start <= now < session.start + timedelta(minutes=session.duration_minutes)
