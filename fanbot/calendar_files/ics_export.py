"""A guild's events as an iCalendar file fans can add to their calendar apps.

One VEVENT per session whose date is known. Times are written in UTC (every
calendar app converts UTC correctly; not all of them know every VTIMEZONE) and
the circuit's zone is named beside them. UIDs derive from the event and
session keys, so importing a newer file updates the entries instead of adding
copies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, vDuration, vText
from icalendar import Event as VEvent

from fanbot.calendar_files._ics import (
    PRODID,
    X_CIRCUIT,
    X_DURATION,
    X_EVENT_KEY,
    X_EVENT_NAME,
    X_EVENT_STATUS,
    X_SCOPE,
    X_SEASON,
    X_SERIES,
    X_SESSION_KEY,
    X_SESSION_KIND,
    X_SESSION_NOTES,
    X_TZID,
    X_WATCH_URL,
    scope_label,
)
from fanbot.domain.labels import SESSION_KIND
from fanbot.domain.localtime import utc_to_local
from fanbot.domain.model import Event, EventStatus, Session

ICS_STATUS = {
    EventStatus.SCHEDULED: "CONFIRMED",
    EventStatus.POSTPONED: "TENTATIVE",
    EventStatus.CANCELLED: "CANCELLED",
}


def session_uid(event: Event, session: Session) -> str:
    """Stable across exports: the same session always gets the same UID."""
    return f"{event.key}.{session.key}.{scope_label(event.guild_id)}@fanbot"


def session_label(session: Session) -> str:
    """ "Race", "Practice 2" (from the key "practice-2")."""
    repeat = re.search(r"-(\d+)$", session.key)
    # Calendar files are written in English: the labels' message ids are the English words.
    return SESSION_KIND[session.kind] + (f" {repeat[1]}" if repeat else "")


# How often a calendar app that subscribed to the file should fetch it again
# (REFRESH-INTERVAL, RFC 7986; X-PUBLISHED-TTL for Outlook and older Apple clients).
REFRESH_EVERY = timedelta(hours=6)


def events_to_ics(
    events: Sequence[Event],
    *,
    calendar_name: str,
    guild_id: int | None,
    stamp: datetime,
    refresh: timedelta | None = REFRESH_EVERY,
) -> bytes:
    """The .ics file for ``events`` as seen from ``guild_id`` (None: the shared catalog).

    ``stamp`` (aware) becomes every DTSTAMP: the output depends on nothing but
    the arguments, so the same events give the same bytes. Sessions with no
    date at all are left out (a calendar entry needs a day). Raises
    ``ValueError`` for another guild's event or a session without its key,
    which would leak data or give unstable UIDs. ``refresh`` tells a calendar app that
    subscribed to the file (``/calendar link``) how often to fetch it again; a file
    imported once ignores it, so /calendar export and the link give the same bytes.
    """
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise ValueError("events_to_ics needs an aware stamp (for example datetime.now(UTC))")
    stamp = stamp.astimezone(UTC).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    calendar.add("NAME", calendar_name)
    # Older clients (Google, Apple, Outlook) read the calendar's name from here.
    calendar.add("X-WR-CALNAME", vText(calendar_name))
    if refresh is not None:
        calendar.add("REFRESH-INTERVAL", vDuration(refresh), parameters={"VALUE": "DURATION"})
        calendar.add("X-PUBLISHED-TTL", vDuration(refresh))
    for event in events:
        if event.guild_id is not None and event.guild_id != guild_id:
            raise ValueError(f"event {event.key!r} belongs to another guild and cannot be exported here")
        for session in event.sessions:
            if session.start is None and session.local_date is None:
                continue
            calendar.add_component(_vevent(event, session, stamp))
    ical: bytes = calendar.to_ical()
    return ical


def _vevent(event: Event, session: Session, stamp: datetime) -> VEvent:
    if not session.key:
        raise ValueError(
            f"a session of {event.key!r} has no key; sessions read from the store always have one"
        )
    zone = event.circuit.timezone
    vevent = VEvent()
    vevent.add("UID", session_uid(event, session))
    vevent.add("DTSTAMP", stamp)
    vevent.add("SUMMARY", f"{event.name} — {session_label(session)}")
    if session.start is not None:
        if session.start.tzinfo is None:
            raise ValueError(f"session {event.key}.{session.key} has a naive start")
        start = session.start.astimezone(UTC)
        vevent.add("DTSTART", start)
        if session.duration_minutes:
            vevent.add("DTEND", start + timedelta(minutes=session.duration_minutes))
        local = f"{utc_to_local(start, zone):%Y-%m-%d %H:%M}"
    else:
        assert session.local_date is not None  # sessions with neither are skipped by the caller
        # An all-day entry on the day at the circuit: the time is not announced yet.
        vevent.add("DTSTART", session.local_date)
        vevent.add("DTEND", session.local_date + timedelta(days=1))
        local = f"{session.local_date:%Y-%m-%d}, time TBA"
    location = ", ".join(part for part in (event.circuit.name, event.circuit.location) if part)
    vevent.add("LOCATION", location)
    if event.info_url:
        vevent.add("URL", event.info_url)
    vevent.add("DESCRIPTION", _description(event, session, local, zone))
    vevent.add("COMMENT", f"Times are in UTC; the circuit's time zone is {zone}.")
    vevent.add("STATUS", ICS_STATUS[event.status])
    # Watching a race does not make anyone busy: keep it out of free/busy.
    vevent.add("TRANSP", "TRANSPARENT")
    fanbot_properties = {
        X_EVENT_KEY: event.key,
        X_SESSION_KEY: session.key,
        X_SESSION_KIND: session.kind.value,
        X_SERIES: event.series.code,
        X_CIRCUIT: event.circuit.key,
        X_SEASON: str(event.season),
        X_TZID: zone,
        X_EVENT_NAME: event.name,
        X_EVENT_STATUS: event.status.value,
        X_SCOPE: scope_label(event.guild_id),
        X_WATCH_URL: event.watch_url,
        X_DURATION: str(session.duration_minutes) if session.duration_minutes else None,
        X_SESSION_NOTES: session.notes,
    }
    for name, value in fanbot_properties.items():
        if value:
            # vText escapes commas and newlines; a bare str would be written raw.
            vevent.add(name, vText(value))
    return vevent


def _description(event: Event, session: Session, local: str, zone: str) -> str:
    lines = [
        f"{event.series.code} {event.season} · {event.name}",
        f"Local time at the circuit: {local} ({zone})",
    ]
    if event.status is not EventStatus.SCHEDULED:
        lines.append(f"Status: {event.status.value}")
    if event.watch_url:
        lines.append(f"Watch: {event.watch_url}")
    if event.info_url:
        lines.append(f"More: {event.info_url}")
    if session.notes:
        lines.append(session.notes)
    return "\n".join(lines)
