"""When a session starts, how long it lasts and when it is over: every session has an end.

A session's length comes from the best thing known about it, in this order:

1. its own ``duration_minutes`` (a timetable gave it);
2. for a race, the event's structured maximum length (``Event.length_minutes``: "6 hours"
   is 360, "1,000 miles or 10 hours, whichever first" is 600);
3. a default for its kind and series (``DEFAULT_MINUTES``), which is an *estimate*:
   the answers say so.

A session with a time runs from its start for its length. A session known only by its
day may start at any moment of that local day, so it is *possibly* under way from the
day's first instant until the day's end plus its length; it is over only then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from fanbot.domain.localtime import end_of_local_day
from fanbot.domain.model import Event, Session, SessionKind

# Estimates for sessions no source gives a length for. They decide only how long a
# session counts as under way, never a time anyone is told: a race meeting's practice
# is 60-90 min, qualifying with its class groups under an hour and a half, a Hyperpole
# or warm-up half an hour at most. A race's default is its series' usual round; the
# catalog gives every race whose length a source publishes its own (``length_minutes``).
DEFAULT_MINUTES: dict[SessionKind, int] = {
    SessionKind.PRACTICE: 90,
    SessionKind.QUALIFYING: 75,
    SessionKind.HYPERPOLE: 30,
    SessionKind.WARMUP: 30,
    SessionKind.RACE: 360,
    SessionKind.OTHER: 60,
}
RACE_DEFAULT_MINUTES: dict[str, int] = {
    "WEC": 360,  # 6 hours, the length of most of its rounds
    "ELMS": 240,  # 4 hours
    "AsLMS": 240,  # 4 hours, each race of its double-header weekends
    "ALMS": 165,  # 2 h 45 min
    "IMSA": 160,  # 2 h 40 min, its usual sprint round
}
# Lengths are capped like session durations (catalog files and moderators alike).
MAX_MINUTES = 48 * 60


class LengthBasis(StrEnum):
    SESSION = "session"  # the session's own duration
    EVENT = "event"  # the event's race length
    ESTIMATE = "estimate"  # a default for the kind and series


@dataclass(frozen=True)
class Length:
    minutes: int
    basis: LengthBasis

    @property
    def estimated(self) -> bool:
        return self.basis is LengthBasis.ESTIMATE


def session_length(
    kind: SessionKind | str,
    own_minutes: int | None,
    event_minutes: int | None = None,
    series: str | None = None,
) -> Length:
    """How long a session lasts, and on what that rests."""
    kind = SessionKind(kind)
    if own_minutes:
        return Length(min(own_minutes, MAX_MINUTES), LengthBasis.SESSION)
    if kind is SessionKind.RACE and event_minutes:
        return Length(min(event_minutes, MAX_MINUTES), LengthBasis.EVENT)
    if kind is SessionKind.RACE and series in RACE_DEFAULT_MINUTES:
        return Length(RACE_DEFAULT_MINUTES[series], LengthBasis.ESTIMATE)
    return Length(DEFAULT_MINUTES[kind], LengthBasis.ESTIMATE)


class SessionState(StrEnum):
    TO_COME = "to_come"
    UNDER_WAY = "under_way"
    POSSIBLY_UNDER_WAY = "possibly_under_way"  # only its day is known, and that day is here
    DONE = "done"
    UNDATED = "undated"  # no date at all: neither to come nor done, as far as anyone knows


@dataclass(frozen=True)
class Window:
    """From the earliest instant a session may start to the latest it may end."""

    earliest_start: datetime
    latest_end: datetime
    length: Length
    timed: bool  # the start is known to the minute

    def state(self, now: datetime) -> SessionState:
        if now < self.earliest_start:
            return SessionState.TO_COME
        if now >= self.latest_end:
            return SessionState.DONE
        return SessionState.UNDER_WAY if self.timed else SessionState.POSSIBLY_UNDER_WAY


def first_instant_of_day(day: date, zone: str) -> datetime:
    return end_of_local_day(day - timedelta(days=1), zone)


def window(start: datetime | None, local_date: date | None, zone: str, length: Length) -> Window | None:
    """The session's window, or None when it has no date."""
    span = timedelta(minutes=length.minutes)
    if start is not None:
        return Window(start, start + span, length, timed=True)
    if local_date is not None:
        return Window(
            first_instant_of_day(local_date, zone), end_of_local_day(local_date, zone) + span, length, False
        )
    return None


def length_of(session: Session, event: Event) -> Length:
    return session_length(session.kind, session.duration_minutes, event.length_minutes, event.series.code)


def session_window(session: Session, event: Event) -> Window | None:
    return window(session.start, session.local_date, event.circuit.timezone, length_of(session, event))


def session_state(session: Session, event: Event, now: datetime) -> SessionState:
    found = session_window(session, event)
    return found.state(now) if found is not None else SessionState.UNDATED
