"""Reading .ics files: fanbot's own exports back exactly, and other calendars simply.

A VEVENT that carries ``X-FANBOT-EVENT-KEY`` came from ``events_to_ics``: its
X-FANBOT-* properties give the event and session back as they were, and
VEVENTs with the same event key form one event. Any other VEVENT is one event
with one race session: the circuit comes from LOCATION, the name from SUMMARY
and the series from ``default_series``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import Calendar, Component

from fanbot.calendar_files._ics import (
    CATALOG_SCOPE,
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
    X_WATCH_URL,
    read_text,
)
from fanbot.calendar_files.build import (
    Builder,
    EventFields,
    SessionDraft,
    check_duration,
    check_event_name,
    check_key,
    check_season,
    check_url,
    derived_event_key,
    local_instant,
)
from fanbot.calendar_files.known import CircuitInfo, KnownCalendar, Names
from fanbot.domain.catalog import Catalog, CatalogError, Problem
from fanbot.domain.labels import SESSION_KIND
from fanbot.domain.limits import MAX_DURATION, MAX_LOCATION, MAX_YEAR, MIN_YEAR
from fanbot.domain.localtime import is_known_zone
from fanbot.domain.localtime import zone as pytz_zone
from fanbot.domain.model import EventStatus, SessionKind
from fanbot.i18n import N_

# The properties a broken value of which stops us; others (ATTENDEE, ...) are not read.
USED = ("UID", "DTSTART", "DTEND", "DURATION", "SUMMARY", "LOCATION", "URL", "STATUS")


def parse_events_ics(
    data: bytes, known: KnownCalendar, *, default_series: str | None, source: str = "calendar.ics"
) -> Catalog:
    """An .ics file as a checked ``Catalog`` of the guild's events.

    Problems name the VEVENT by its position in the file (from 1) and its UID;
    all of them are collected and raised as one ``CatalogError``, also for a
    file that is not iCalendar at all. VEVENTs of the shared catalog (in a
    guild's export) are skipped: every server already has them.
    """
    try:
        calendar = Calendar.from_ical(data)
    # icalendar raises ValueError for most bad input, but a third-party parser fed
    # arbitrary bytes can fail in other ways; every one is "not a readable file".
    except Exception as exc:
        raise CatalogError(source, [_unreadable(exc)]) from exc
    if not isinstance(calendar, Calendar):
        raise CatalogError(source, [Problem(N_("not an iCalendar file: it must start with BEGIN:VCALENDAR"))])
    builder = Builder(known, source, noun="VEVENT")
    reader = _Reader(builder, Names(known), default_series)
    try:
        vevents = calendar.walk("VEVENT")
    except Exception as exc:  # same reason as above: icalendar may parse lazily
        raise CatalogError(source, [_unreadable(exc)]) from exc
    if reader.series_problem:
        builder.problems.append(reader.series_problem)
    for index, vevent in enumerate(vevents, start=1):
        uid = read_text(vevent.get("UID"))
        where = (
            Problem(N_("VEVENT {index} (UID {uid})"), index=index, uid=uid)
            if uid
            else Problem(N_("VEVENT {index} (no UID)"), index=index)
        )
        try:
            reader.read(vevent, where)
        # icalendar's errors are ValueErrors (BrokenCalendarProperty, ...): a property it
        # could not decode after all is this VEVENT's problem, not a crash.
        except ValueError as exc:
            builder.problem(where, None, Problem(COULD_NOT_BE_READ, reason=exc))
    if not vevents:
        raise CatalogError(source, [Problem(N_("the file has no events (VEVENT): nothing to import"))])
    if reader.skipped == len(vevents):
        raise CatalogError(
            source,
            [
                Problem(
                    N_(
                        "every event in this file belongs to the shared catalog, "
                        "which every server already has"
                    )
                )
            ],
        )
    return builder.finish()


COULD_NOT_BE_READ = N_("could not be read ({reason})")


def _unreadable(exc: Exception) -> str:
    return Problem(
        N_(
            "not a readable iCalendar file ({reason}). Export it again from the calendar app as .ics, "
            "or use the CSV format (see the calendar files help)"
        ),
        reason=exc,
    )


class _Reader:
    def __init__(self, builder: Builder, names: Names, default_series: str | None) -> None:
        self.builder = builder
        self.names = names
        self.skipped = 0
        self.default_series: str | None = None
        self.series_problem: str | None = None
        if default_series:
            self.default_series, problem = names.series(default_series)
            if problem:
                self.series_problem = Problem(N_("default series: {problem}"), problem=problem)

    def read(self, vevent: Component, where: str) -> None:
        b = self.builder
        before = len(b.problems)
        for name, message in vevent.errors:
            if str(name).upper() in USED:
                b.problem(where, str(name), Problem(COULD_NOT_BE_READ, reason=message))
        if len(b.problems) > before:
            return
        for name in ("RRULE", "RDATE", "RECURRENCE-ID"):
            if name in vevent:
                b.problem(
                    where,
                    name,
                    Problem(N_("repeating events are not supported: list each race as its own event")),
                )
                return
        if read_text(vevent.get(X_EVENT_KEY)):
            self._read_fanbot(vevent, where)
        else:
            self._read_foreign(vevent, where)

    # ------------------------------------------------------------ exported

    def _read_fanbot(self, vevent: Component, where: str) -> None:
        b = self.builder
        before = len(b.problems)

        def x(name: str) -> str | None:
            return read_text(vevent.get(name))

        if x(X_SCOPE) == CATALOG_SCOPE:
            self.skipped += 1
            return
        key = x(X_EVENT_KEY) or ""
        if problem := check_key(key):
            b.problem(where, X_EVENT_KEY, problem)
        session_key = x(X_SESSION_KEY)
        if session_key and (problem := check_key(session_key)):
            b.problem(where, X_SESSION_KEY, problem)
        kind = _kind(x(X_SESSION_KIND) or "")
        if kind is None:
            allowed = ", ".join(k.value for k in SessionKind)
            b.problem(
                where,
                X_SESSION_KIND,
                Problem(
                    N_("{value} is not one of {allowed}"), value=repr(x(X_SESSION_KIND)), allowed=allowed
                ),
            )
        series = self._series(x(X_SERIES), where, X_SERIES)
        circuit = self._circuit(x(X_CIRCUIT), where, X_CIRCUIT, location=False)
        season_text = x(X_SEASON) or ""
        season = int(season_text) if season_text.isascii() and season_text.isdigit() else None
        if season is None or check_season(season):
            b.problem(
                where,
                X_SEASON,
                Problem(N_("{value} is not a season year like 2027"), value=repr(season_text)),
            )
            season = None
        name = x(X_EVENT_NAME) or _name_from_summary(read_text(vevent.get("SUMMARY")) or "")
        if problem := check_event_name(name):
            b.problem(where, X_EVENT_NAME, problem)
        status = x(X_EVENT_STATUS) or _status(vevent)
        if status not in {s.value for s in EventStatus}:
            b.problem(
                where,
                X_EVENT_STATUS,
                Problem(N_("{value} is not scheduled, postponed or cancelled"), value=repr(status)),
            )
        info_url = self._url(vevent.get("URL"), where, "URL")
        watch_url = self._url(x(X_WATCH_URL), where, X_WATCH_URL)
        duration_text = x(X_DURATION)
        duration: int | None = None
        if duration_text is not None:
            duration = int(duration_text) if duration_text.isascii() and duration_text.isdigit() else None
            if duration is None or check_duration(duration):
                b.problem(
                    where,
                    X_DURATION,
                    Problem(
                        N_("{value} is not a number of minutes from 1 to {limit}"),
                        value=repr(duration_text),
                        limit=MAX_DURATION,
                    ),
                )
                duration = None
        if circuit is None or len(b.problems) > before:
            return
        timing = self._timing(vevent, where, circuit)
        if timing is None or series is None or season is None or kind is None:
            return
        instant, day, file_duration = timing
        fields = EventFields(key, series, season, name, circuit, status, info_url, watch_url)
        session = SessionDraft(
            where, kind, instant, day, duration or file_duration, session_key, x(X_SESSION_NOTES)
        )
        b.add(fields, session)

    # ------------------------------------------------------------- foreign

    def _read_foreign(self, vevent: Component, where: str) -> None:
        b = self.builder
        before = len(b.problems)
        name = read_text(vevent.get("SUMMARY")) or ""
        if problem := check_event_name(name):
            b.problem(where, "SUMMARY", problem)
        location = read_text(vevent.get("LOCATION"))
        circuit = None
        if not location:
            b.problem(
                where,
                "LOCATION",
                Problem(N_("missing: fanbot needs the circuit's name as the event's location")),
            )
        elif len(location) > MAX_LOCATION:
            b.problem(
                where,
                "LOCATION",
                Problem(N_("longer than {limit} characters; give the circuit's name"), limit=MAX_LOCATION),
            )
        else:
            circuit = self._circuit(location, where, "LOCATION", location=True)
        info_url = self._url(vevent.get("URL"), where, "URL")
        if circuit is None or len(b.problems) > before:
            return
        timing = self._timing(vevent, where, circuit)
        # Without a default series the whole file has one problem, reported once.
        if timing is None or self.default_series is None:
            if self.default_series is None and self.series_problem is None:
                self.series_problem = Problem(
                    N_(
                        "this calendar was not exported by fanbot, so its events need a series: "
                        "choose the default series when importing it"
                    )
                )
                b.problems.insert(0, self.series_problem)
            return
        instant, day, duration = timing
        local_day = instant.astimezone(pytz_zone(circuit.timezone)).date() if instant else day
        assert local_day is not None  # _timing always gives a start
        season = local_day.year
        status = (
            EventStatus.CANCELLED.value if _status(vevent) == "cancelled" else EventStatus.SCHEDULED.value
        )
        fields = EventFields(
            derived_event_key(self.default_series, season, name),
            self.default_series,
            season,
            name,
            circuit,
            status,
            info_url,
        )
        b.add(fields, SessionDraft(where, SessionKind.RACE, instant, day, duration))

    # ------------------------------------------------------------- shared

    def _series(self, text: str | None, where: str, prop: str) -> str | None:
        if text:
            code, problem = self.names.series(text)
            if problem:
                self.builder.problem(where, prop, problem)
            return code
        if self.default_series is None and self.series_problem is None:
            self.builder.problem(
                where, prop, Problem(N_("missing, and no default series was chosen for the import"))
            )
        return self.default_series

    def _circuit(self, text: str | None, where: str, prop: str, *, location: bool) -> CircuitInfo | None:
        if not text:
            self.builder.problem(where, prop, Problem(N_("missing: fanbot needs the circuit's key")))
            return None
        found, problem = self.names.circuit_in_location(text) if location else self.names.circuit(text)
        if problem:
            self.builder.problem(where, prop, problem)
        return found

    def _url(self, value: Any, where: str, prop: str) -> str | None:
        text = read_text(value)
        if text is None:
            return None
        if problem := check_url(text):
            self.builder.problem(where, prop, problem)
            return None
        return text

    def _timing(
        self, vevent: Component, where: str, circuit: CircuitInfo
    ) -> tuple[datetime | None, date | None, int | None] | None:
        """(instant, day, duration) of the VEVENT, or None after reporting why not.

        A date-only DTSTART is a session whose time is TBA; its DTEND is the
        all-day convention (the next day), not a duration.
        """
        b = self.builder
        prop = vevent.get("DTSTART")
        if prop is None:
            b.problem(where, "DTSTART", Problem(N_("missing: every event needs its start date (and time)")))
            return None
        start = self._moment(prop, where, "DTSTART", circuit)
        if start is None:
            return None
        instant, day = start
        if instant is None:
            return None, day, None
        minutes: float | None = None
        if (end_prop := vevent.get("DTEND")) is not None:
            end = self._moment(end_prop, where, "DTEND", circuit)
            if end is None:
                return None
            if end[0] is not None:
                minutes = (end[0] - instant).total_seconds() / 60
        elif (length := vevent.get("DURATION")) is not None and isinstance(length.dt, timedelta):
            minutes = length.dt.total_seconds() / 60
        if minutes is None:
            return instant, None, None
        duration = round(minutes)
        which = "DTEND" if end_prop is not None else "DURATION"
        if duration <= 0:
            b.problem(
                where, which, Problem(N_("the event ends before it starts; check {which}"), which=which)
            )
            return None
        if problem := check_duration(duration):
            b.problem(
                where,
                which,
                Problem(
                    N_("{problem}; give the race's own start and end, not the whole weekend"), problem=problem
                ),
            )
            return None
        return instant, None, duration

    def _moment(
        self, prop: Any, where: str, name: str, circuit: CircuitInfo
    ) -> tuple[datetime | None, date | None] | None:
        """(instant, None) for a time, (None, day) for a date, or None after a problem."""
        b = self.builder
        value = prop.dt
        if isinstance(value, date) and not MIN_YEAR <= value.year <= MAX_YEAR:
            # Checked first: near year 1 or 9999 a zone conversion overflows.
            b.problem(
                where,
                name,
                Problem(
                    N_("{value} is outside the years {first}-{last}"),
                    value=f"{value:%Y-%m-%d}",
                    first=MIN_YEAR,
                    last=MAX_YEAR,
                ),
            )
            return None
        if isinstance(value, datetime):
            tzid = prop.params.get("TZID")
            if value.tzinfo is None and tzid:
                b.problem(
                    where,
                    name,
                    Problem(
                        N_("TZID {tzid} is not a time zone fanbot knows: use an IANA name"), tzid=repr(tzid)
                    ),
                )
                return None
            zone = _wall_clock_zone(value, str(tzid) if tzid else None, circuit)
            if zone is None:
                instant: datetime | None = value.astimezone(UTC)
            else:
                # Refuse a time in the spring-forward gap or the fall-back hour, as the
                # CSV and JSON files do, rather than let the library pick one.
                instant, problem = local_instant(
                    value.date(),
                    value.time(),
                    zone,
                    Problem(
                        N_("Say which: write {name} in UTC, ending in Z (like {name}:20270612T140000Z)."),
                        name=name,
                    ),
                )
                if instant is None:
                    b.problem(where, name, problem)
                    return None
            return instant, None
        if isinstance(value, date):
            return None, value
        b.problem(where, name, Problem(N_("must be a date or a date and time")))
        return None


def _wall_clock_zone(value: datetime, tzid: str | None, circuit: CircuitInfo) -> str | None:
    """The zone whose wall clock ``value`` was written in, or None for an exact instant.

    A floating time (no zone at all) is the wall clock wherever the event is,
    i.e. at the circuit. A UTC time or a zone only the file's VTIMEZONE defines
    is taken as the instant icalendar computed.
    """
    if value.tzinfo is None:
        return circuit.timezone
    if value.utcoffset() == timedelta(0) and not tzid:
        return None
    if tzid and is_known_zone(tzid):
        return tzid
    # icalendar maps Windows names ("W. Europe Standard Time") to IANA zones.
    key = getattr(value.tzinfo, "key", None)
    if isinstance(key, str) and is_known_zone(key):
        return key
    return None


def _kind(text: str) -> SessionKind | None:
    try:
        return SessionKind(text.lower())
    except ValueError:
        return None


def _status(vevent: Component) -> str:
    status = (read_text(vevent.get("STATUS")) or "").upper()
    if status == "CANCELLED":
        return EventStatus.CANCELLED.value
    if status == "TENTATIVE":
        return EventStatus.POSTPONED.value
    return EventStatus.SCHEDULED.value


def _name_from_summary(summary: str) -> str:
    """ "Le Mans — Race" -> "Le Mans": the exporter's SUMMARY with the session label taken off."""
    name, dash, label = summary.rpartition(" — ")
    if dash and label.split(" ")[0] in SESSION_KIND.values():
        return name
    return summary
