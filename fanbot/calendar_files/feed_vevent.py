"""One VEVENT of a community feed, read into what its session needs.

Each VEVENT is read on its own, before weekends are formed: its UID, SUMMARY
(through ``feed_summary``), LOCATION, times as written (``Moment``: the circuit,
and so a floating time's zone, is not known yet) and STATUS. A VEVENT that
cannot be read becomes a ``Problem`` naming it (``where_of``, ``problem_at``).
``feed_ics`` tells the whole story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from icalendar import Component

from fanbot.calendar_files._ics import read_text
from fanbot.calendar_files.build import check_event_name, check_url
from fanbot.calendar_files.feed_summary import session_kind, split_summary
from fanbot.domain.catalog import Problem
from fanbot.domain.folding import fold_words
from fanbot.domain.limits import MAX_LOCATION, MAX_YEAR, MIN_YEAR
from fanbot.domain.localtime import is_known_zone
from fanbot.domain.model import SessionKind
from fanbot.i18n import N_

# The properties a broken value of which makes a VEVENT unreadable.
USED = ("UID", "DTSTART", "DTEND", "DURATION", "SUMMARY", "LOCATION", "URL", "STATUS")

# Zones that are UTC under another name: a midnight written in them is a real time.
_UTC_ZONES = frozenset(
    {"UTC", "UCT", "GMT", "Zulu", "Universal", "Greenwich", "GMT0", "GMT+0", "GMT-0"}
    | {f"Etc/{n}" for n in ("UTC", "UCT", "GMT", "Zulu", "Universal", "Greenwich", "GMT0", "GMT+0", "GMT-0")}
)


COULD_NOT_BE_READ = N_("could not be read ({reason})")


# ---------------------------------------------------------------------------- one VEVENT


@dataclass(frozen=True)
class Moment:
    """A DTSTART or DTEND as written, before its circuit (and so a floating zone) is known."""

    day: date  # the date as written (UTC's for a Z time)
    wall: time | None  # the clock as written; None for a date-only value
    zone: str | None  # the IANA zone of the wall clock; None: floating, or a VTIMEZONE's zone
    instant: datetime | None  # exact, when the file fixes it (Z, or a zone only its VTIMEZONE defines)

    @property
    def local(self) -> bool:
        """Written on a local wall clock (TZID or floating), where midnight is a placeholder."""
        return self.wall is not None and (self.instant is None or self.zone is None)


@dataclass(frozen=True)
class Vevent:
    index: int
    uid: str
    where: Problem
    name: str
    folded: str
    kind: SessionKind
    label: str | None
    number: int | None
    location: str | None
    start: Moment
    end: Moment | None
    length: timedelta | None  # DURATION, when there is no DTEND
    cancelled: bool
    url: str | None


def where_of(vevent: Component, index: int) -> Problem:
    uid = read_text(vevent.get("UID"))
    summary = read_text(vevent.get("SUMMARY"))
    if summary:
        shown = repr(summary if len(summary) <= 80 else summary[:79] + "…")
        if uid:
            return Problem(N_("VEVENT {index} (UID {uid}, {summary})"), index=index, uid=uid, summary=shown)
        return Problem(N_("VEVENT {index} (no UID, {summary})"), index=index, summary=shown)
    if uid:
        return Problem(N_("VEVENT {index} (UID {uid})"), index=index, uid=uid)
    return Problem(N_("VEVENT {index} (no UID)"), index=index)


def problem_at(where: Problem, field_name: str | None, message: str) -> Problem:
    if field_name:
        return Problem(N_("{where}, {field}: {problem}"), where=where, field=field_name, problem=message)
    return Problem(N_("{where}: {problem}"), where=where, problem=message)


def read_vevent(
    vevent: Component, index: int, series: str, seen_uids: dict[str, Problem]
) -> Vevent | Problem:
    where = where_of(vevent, index)
    for name, message in vevent.errors:
        if str(name).upper() in USED:
            return problem_at(where, str(name), Problem(COULD_NOT_BE_READ, reason=message))
    for name in ("RRULE", "RDATE", "RECURRENCE-ID"):
        if name in vevent:
            return problem_at(
                where, name, Problem(N_("repeating events are not supported: a feed lists each session"))
            )
    uid = read_text(vevent.get("UID"))
    if not uid:
        return problem_at(where, "UID", Problem(N_("missing: fanbot follows a feed's sessions by their UID")))
    if uid in seen_uids:
        return problem_at(where, "UID", Problem(N_("already used by {where}"), where=seen_uids[uid]))
    seen_uids[uid] = where
    name, session = split_summary(read_text(vevent.get("SUMMARY")) or "", series)
    if problem := check_event_name(name):
        return problem_at(where, "SUMMARY", problem)
    kind, number, label = session_kind(session)
    location = read_text(vevent.get("LOCATION"))
    if location and len(location) > MAX_LOCATION:
        return problem_at(
            where,
            "LOCATION",
            Problem(N_("longer than {limit} characters; give the circuit's name"), limit=MAX_LOCATION),
        )
    start_prop = vevent.get("DTSTART")
    if start_prop is None:
        return problem_at(
            where, "DTSTART", Problem(N_("missing: every event needs its start date (and time)"))
        )
    start = _moment(start_prop)
    if isinstance(start, Problem):
        return problem_at(where, "DTSTART", start)
    end: Moment | None = None
    length: timedelta | None = None
    if (end_prop := vevent.get("DTEND")) is not None:
        read_end = _moment(end_prop)
        if isinstance(read_end, Problem):
            return problem_at(where, "DTEND", read_end)
        end = read_end
    elif (duration_prop := vevent.get("DURATION")) is not None and isinstance(duration_prop.dt, timedelta):
        length = duration_prop.dt
    url = read_text(vevent.get("URL"))
    return Vevent(
        index=index,
        uid=uid,
        where=where,
        name=name,
        folded=fold_words(name),
        kind=kind,
        label=label,
        number=number,
        location=location,
        start=start,
        end=end,
        length=length,
        cancelled=(read_text(vevent.get("STATUS")) or "").upper() == "CANCELLED",
        url=url if url and check_url(url) is None else None,
    )


def _moment(prop: Any) -> Moment | Problem:
    value = getattr(prop, "dt", None)
    if not isinstance(value, date):
        return Problem(N_("must be a date or a date and time"))
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        # Checked first: near year 1 or 9999 a zone conversion overflows.
        return Problem(
            N_("{value} is outside the years {first}-{last}"),
            value=f"{value:%Y-%m-%d}",
            first=MIN_YEAR,
            last=MAX_YEAR,
        )
    if not isinstance(value, datetime):
        return Moment(value, None, None, None)
    params = getattr(prop, "params", {})
    tzid = str(params.get("TZID")) if params.get("TZID") else None
    wall = value.time().replace(tzinfo=None)
    if value.tzinfo is None:
        if tzid is None:
            return Moment(value.date(), wall, None, None)
        if is_known_zone(tzid):
            return Moment(value.date(), wall, tzid, None)
        return Problem(N_("TZID {tzid} is not a time zone fanbot knows: use an IANA name"), tzid=repr(tzid))
    if tzid is None:
        instant = value.astimezone(UTC)
        return Moment(instant.date(), instant.time().replace(tzinfo=None), "UTC", instant)
    zone = tzid if is_known_zone(tzid) else None
    # icalendar maps Windows names ("W. Europe Standard Time") to IANA zones.
    key = getattr(value.tzinfo, "key", None)
    if zone is None and isinstance(key, str) and is_known_zone(key):
        zone = key
    if zone in _UTC_ZONES:
        instant = value.astimezone(UTC)
        return Moment(instant.date(), instant.time().replace(tzinfo=None), "UTC", instant)
    if zone is not None:
        return Moment(value.date(), wall, zone, None)
    return Moment(value.date(), wall, None, value.astimezone(UTC))
