"""Community iCalendar feeds of race sessions, read into a checked ``Catalog``.

Pure: bytes in, a ``FeedRead`` out; no I/O, no store. Fans publish one VEVENT
per session, the event and the session in ``SUMMARY``::

    WEC R1: 6 Hours of Imola - Qualifying - Hypercar     (clean: UTC, LOCATION)
    TotalEnergies 6 Heures de Spa-Francorchamps 2025 Free Practice 1-
    6 Heures d'Imola 2025 -                               (no session name)

How a feed is read, and the choices made where feeds are vague:

- ``SUMMARY``: a leading series or round tag ("WEC R1:", "R3 -") is dropped;
  the session is the part from the first " - " separated part that starts with a
  session word, or else from a session word inside the text ("... 2025 Free
  Practice 1"); with neither, the first part is the event and the rest the
  session's name. A trailing year is dropped from the event's name.
- Sessions: English and French words, in any case and with or without accents
  (free practice / FP1 / essais libres / EL1, qualifying / qualifications,
  hyperpole, warm-up, race / course). A number after the word goes into the
  session key (``practice-2``, which fanbot shows as "Practice 2"); the rest of
  the name (a class: "Hypercar", "LMP2 & LMGT3") is the session's ``notes``,
  the label shown beside the kind, and part of the key
  (``qualifying-hypercar``, ``hyperpole-lmgt3-1``). Anything else, an empty
  name included, is kind ``other`` with the name (if any) in its notes.
- Keys never depend on times, so a session keeps its identity when the feed
  moves it: kind + label (+ number); two sessions with the same key get
  ``-2``, ``-3`` in the order of their UIDs. Two VEVENTs of one weekend with
  the same kind at the same time (or the same TBA day) are ONE session, whose
  notes list both labels and to which both UIDs map (``uids``).
- Weekends: sessions with the same folded event name, all within 4 days, and
  at the same LOCATION when both give one. The season is the year of the race
  (or the first session) at the circuit. Event keys are
  ``{key_prefix}{series}-{season}-{name}`` (``-2`` when two weekends collide).
- Circuit: from LOCATION (``Names.circuit_in_location``); without LOCATION,
  from ``known_events`` of the same series and season whose name or an alias
  is the event's name (folded), possibly after a sponsor ("Rolex 6 Heures de
  São Paulo" is "6 Heures de São Paulo"). A LOCATION that names no known
  circuit is not replaced by a name match (a race can move). Otherwise the
  weekend goes to ``unread``: never guessed.
- Times: UTC as written; a known IANA ``TZID`` (with or without VTIMEZONE) as
  the wall clock there, a time in its spring-forward gap or fall-back hour
  refused; a zone only the file's VTIMEZONE defines as icalendar computes it;
  an unknown ``TZID`` refused; a floating time at the circuit. A start at
  exactly 00:00 written in local time (a TZID or floating, not ``Z``) is a
  placeholder, and a date-only start a date: both become "time TBA" sessions
  on that day, listed in ``tba``.
- ``STATUS:CANCELLED``: when every session of a weekend is cancelled the
  event is imported as cancelled; otherwise a cancelled session is left out
  and listed in ``unread`` (the feed dropped it).
- Every weekend is built through ``build.Builder``, so every check of an
  import applies. A problem with one session (a race before its qualifying, a
  repeated row) leaves that session out (``unread``) and the rest is built
  again; a problem with the event leaves the weekend out.
- A VEVENT without a UID, or with one an earlier VEVENT used, is ``unread``:
  a feed's sessions are followed by UID.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from icalendar import Calendar, Component, vDuration

from fanbot.calendar_files._ics import read_text
from fanbot.calendar_files.build import (
    Builder,
    EventFields,
    SessionDraft,
    check_duration,
    check_event_name,
    check_season,
    check_url,
    local_instant,
    slug,
)
from fanbot.calendar_files.known import CircuitInfo, KnownCalendar, Names
from fanbot.domain.catalog import Catalog, CatalogError, Problem
from fanbot.domain.folding import fold_words
from fanbot.domain.limits import FEED_MAX_VEVENTS, MAX_KEY, MAX_LOCATION, MAX_NOTES, MAX_YEAR, MIN_YEAR
from fanbot.domain.localtime import is_known_zone
from fanbot.domain.localtime import zone as pytz_zone
from fanbot.domain.model import EventStatus, SessionKind
from fanbot.i18n import N_

# Sessions of one weekend are at most this far apart.
WEEKEND_SPAN = timedelta(days=4)

# The properties a broken value of which makes a VEVENT unreadable.
USED = ("UID", "DTSTART", "DTEND", "DURATION", "SUMMARY", "LOCATION", "URL", "STATUS")

# Zones that are UTC under another name: a midnight written in them is a real time.
_UTC_ZONES = frozenset(
    {"UTC", "UCT", "GMT", "Zulu", "Universal", "Greenwich", "GMT0", "GMT+0", "GMT-0"}
    | {f"Etc/{n}" for n in ("UTC", "UCT", "GMT", "Zulu", "Universal", "Greenwich", "GMT0", "GMT+0", "GMT-0")}
)


@dataclass(frozen=True)
class KnownEvent:
    """An event the server already sees, to find a circuit from a feed's event name."""

    series: str
    season: int
    name: str
    aliases: tuple[str, ...]
    circuit: str  # circuit key


@dataclass(frozen=True)
class FeedRead:
    """What a feed gave: a checked catalog and what could not be taken from it."""

    catalog: Catalog
    # VEVENT UID -> (event key, session key) it became.
    uids: dict[str, tuple[str, str]]
    # What was not imported, each naming its VEVENT(s) and why.
    unread: list[Problem]
    # Sessions whose time was a placeholder or only a date: imported as "time TBA".
    tba: list[Problem]
    # REFRESH-INTERVAL or X-PUBLISHED-TTL (the shorter), when the feed gives one.
    refresh: timedelta | None


def read_feed_ics(
    data: bytes,
    known: KnownCalendar,
    *,
    series: str,
    key_prefix: str,
    known_events: Sequence[KnownEvent] = (),
    source: str = "feed",
) -> FeedRead:
    """Read a feed of race sessions (one VEVENT each) into race weekends of ``series``.

    Raises ``CatalogError`` only when the bytes are not iCalendar, when the feed
    has more than ``FEED_MAX_VEVENTS`` VEVENTs, or when no event at all could be
    read (listing why); otherwise what could not be read is in ``unread`` and the
    rest is imported. ``key_prefix`` starts every event key ("feed-12-"): lowercase
    letters, digits and '-' (a ``ValueError`` otherwise, a caller's mistake).
    """
    if key_prefix and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", key_prefix):
        raise ValueError(f"key_prefix must be lowercase letters, digits and '-': {key_prefix!r}")
    calendar, vevents = _parse(data, source)
    unread: list[tuple[int, Problem]] = []  # by the index of the VEVENT named first
    read: list[_Vevent] = []
    seen_uids: dict[str, Problem] = {}
    for index, vevent in enumerate(vevents, start=1):
        try:
            outcome = _read_vevent(vevent, index, series, seen_uids)
        # icalendar decodes some values lazily, and a broken one fails when it is read:
        # that is this VEVENT's problem, not the feed's.
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            outcome = _problem(_where(vevent, index), None, Problem(COULD_NOT_BE_READ, reason=exc))
        if isinstance(outcome, _Vevent):
            read.append(outcome)
        else:
            unread.append((index, outcome))
    reader = _Weekends(known, series, key_prefix, known_events, source)
    for weekend in _group(read):
        reader.read(weekend)
    unread.extend(reader.unread)
    # In file order, as the author reads the feed.
    problems = [p for _, p in sorted(unread, key=lambda pair: pair[0])]
    if not reader.catalogs:
        raise CatalogError(source, [Problem(N_("no event of this feed could be read")), *problems])
    tba = [p for _, p in sorted(reader.tba, key=lambda pair: pair[0])]
    return FeedRead(_merged(reader.catalogs), reader.uids, problems, tba, _refresh(calendar))


COULD_NOT_BE_READ = N_("could not be read ({reason})")


# ---------------------------------------------------------------------------- the file


def _parse(data: bytes, source: str) -> tuple[Calendar, list[Component]]:
    # Counted before parsing too: a huge feed is refused without building it.
    rough = data.upper().count(b"BEGIN:VEVENT") if isinstance(data, bytes | bytearray) else 0
    if rough > FEED_MAX_VEVENTS:
        raise CatalogError(source, [_too_many(rough)])
    try:
        calendar = Calendar.from_ical(data)
        if not isinstance(calendar, Calendar):
            raise CatalogError(
                source, [Problem(N_("not an iCalendar file: it must start with BEGIN:VCALENDAR"))]
            )
        vevents = list(calendar.walk("VEVENT"))
    except CatalogError:
        raise
    # icalendar raises ValueError for most bad input, but a third-party parser fed
    # arbitrary bytes can fail in other ways; every one is "not a readable feed".
    except Exception as exc:
        raise CatalogError(
            source, [Problem(N_("not a readable iCalendar feed ({reason})"), reason=exc)]
        ) from exc
    if len(vevents) > FEED_MAX_VEVENTS:
        raise CatalogError(source, [_too_many(len(vevents))])
    if not vevents:
        raise CatalogError(source, [Problem(N_("the file has no events (VEVENT): nothing to import"))])
    return calendar, vevents


def _too_many(count: int) -> Problem:
    return Problem(
        N_(
            "the feed has {count} events (VEVENT); fanbot follows feeds of at most {limit}: "
            "subscribe to a feed of one series and season"
        ),
        count=count,
        limit=FEED_MAX_VEVENTS,
    )


def _refresh(calendar: Calendar) -> timedelta | None:
    """The shorter of REFRESH-INTERVAL and X-PUBLISHED-TTL, when either is a positive duration."""
    found: list[timedelta] = []
    for name in ("REFRESH-INTERVAL", "X-PUBLISHED-TTL"):
        try:
            value: Any = calendar.get(name)
            if isinstance(value, list):
                value = value[0] if value else None
            if value is None:
                continue
            length = getattr(value, "dt", None)
            if not isinstance(length, timedelta):
                length = vDuration.from_ical(str(read_text(value) or ""))  # type: ignore[no-untyped-call]
        except (ValueError, TypeError):
            continue
        if isinstance(length, timedelta) and length > timedelta(0):
            found.append(length)
    return min(found) if found else None


# ---------------------------------------------------------------------------- one VEVENT


@dataclass(frozen=True)
class _Moment:
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
class _Vevent:
    index: int
    uid: str
    where: Problem
    name: str
    folded: str
    kind: SessionKind
    label: str | None
    number: int | None
    location: str | None
    start: _Moment
    end: _Moment | None
    length: timedelta | None  # DURATION, when there is no DTEND
    cancelled: bool
    url: str | None


def _where(vevent: Component, index: int) -> Problem:
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


def _problem(where: Problem, field_name: str | None, message: str) -> Problem:
    if field_name:
        return Problem(N_("{where}, {field}: {problem}"), where=where, field=field_name, problem=message)
    return Problem(N_("{where}: {problem}"), where=where, problem=message)


def _read_vevent(
    vevent: Component, index: int, series: str, seen_uids: dict[str, Problem]
) -> _Vevent | Problem:
    where = _where(vevent, index)
    for name, message in vevent.errors:
        if str(name).upper() in USED:
            return _problem(where, str(name), Problem(COULD_NOT_BE_READ, reason=message))
    for name in ("RRULE", "RDATE", "RECURRENCE-ID"):
        if name in vevent:
            return _problem(
                where, name, Problem(N_("repeating events are not supported: a feed lists each session"))
            )
    uid = read_text(vevent.get("UID"))
    if not uid:
        return _problem(where, "UID", Problem(N_("missing: fanbot follows a feed's sessions by their UID")))
    if uid in seen_uids:
        return _problem(where, "UID", Problem(N_("already used by {where}"), where=seen_uids[uid]))
    seen_uids[uid] = where
    name, session = split_summary(read_text(vevent.get("SUMMARY")) or "", series)
    if problem := check_event_name(name):
        return _problem(where, "SUMMARY", problem)
    kind, number, label = session_kind(session)
    location = read_text(vevent.get("LOCATION"))
    if location and len(location) > MAX_LOCATION:
        return _problem(
            where,
            "LOCATION",
            Problem(N_("longer than {limit} characters; give the circuit's name"), limit=MAX_LOCATION),
        )
    start_prop = vevent.get("DTSTART")
    if start_prop is None:
        return _problem(where, "DTSTART", Problem(N_("missing: every event needs its start date (and time)")))
    start = _moment(start_prop)
    if isinstance(start, Problem):
        return _problem(where, "DTSTART", start)
    end: _Moment | None = None
    length: timedelta | None = None
    if (end_prop := vevent.get("DTEND")) is not None:
        read_end = _moment(end_prop)
        if isinstance(read_end, Problem):
            return _problem(where, "DTEND", read_end)
        end = read_end
    elif (duration_prop := vevent.get("DURATION")) is not None and isinstance(duration_prop.dt, timedelta):
        length = duration_prop.dt
    url = read_text(vevent.get("URL"))
    return _Vevent(
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


def _moment(prop: Any) -> _Moment | Problem:
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
        return _Moment(value, None, None, None)
    params = getattr(prop, "params", {})
    tzid = str(params.get("TZID")) if params.get("TZID") else None
    wall = value.time().replace(tzinfo=None)
    if value.tzinfo is None:
        if tzid is None:
            return _Moment(value.date(), wall, None, None)
        if is_known_zone(tzid):
            return _Moment(value.date(), wall, tzid, None)
        return Problem(N_("TZID {tzid} is not a time zone fanbot knows: use an IANA name"), tzid=repr(tzid))
    if tzid is None:
        instant = value.astimezone(UTC)
        return _Moment(instant.date(), instant.time().replace(tzinfo=None), "UTC", instant)
    zone = tzid if is_known_zone(tzid) else None
    # icalendar maps Windows names ("W. Europe Standard Time") to IANA zones.
    key = getattr(value.tzinfo, "key", None)
    if zone is None and isinstance(key, str) and is_known_zone(key):
        zone = key
    if zone in _UTC_ZONES:
        instant = value.astimezone(UTC)
        return _Moment(instant.date(), instant.time().replace(tzinfo=None), "UTC", instant)
    if zone is not None:
        return _Moment(value.date(), wall, zone, None)
    return _Moment(value.date(), wall, None, value.astimezone(UTC))


# ---------------------------------------------------------------------------- SUMMARY

# "WEC R1:", "R3 -", "Round 3:", "ELMS Rd 2 |": a series and round tag before the event.
_ROUND_TAG = re.compile(
    r"^\s*(?:[^\W\d_][\w&+.]*\s*)?(?:r|rd\.?|round|manche)\s*\d{1,3}\s*[:\-–—|]\s*", re.IGNORECASE
)
# Parts of a SUMMARY: " - ", " – ", " | " (a hyphen inside a name, Spa-Francorchamps, is not one).
_SEPARATOR = re.compile(r"\s+[-–—|]\s+|\s*[–—|]\s*")
_ENDS = " \t-–—|:,;/"
_TRAILING_YEAR = re.compile(r"[\s,\-–—]+(?:19|20|21)\d\d$")

# Session words, matched on text lowercased without accents (same length as written).
_KIND = re.compile(
    r"(?<![a-z0-9])(?:"
    r"(?P<practice>free\s+practice|practice|fp(?=\s*\d)|essais?\s+libres?|el(?=\s*\d)"
    r"|entrainements?\s+libres?|essais)"
    r"|(?P<qualifying>qualifying|qualifications?|qualifs?|quali)"
    r"|(?P<hyperpole>hyper\s*-?\s*pole)"
    r"|(?P<warmup>warm\s*-?\s*up|echauffement)"
    r"|(?P<race>the\s+race|race|la\s+course|course)"
    r")(?![a-z])"
)
_NUMBER = re.compile(r"^\s*(?:n°|no\.?|#)?\s*(\d{1,2})(?!\d)")


def _plain(text: str) -> str:
    """Lowercase without accents, one character for one, so positions still match ``text``."""
    out = []
    for ch in text:
        base = ch if ch.isascii() else unicodedata.normalize("NFKD", ch)[:1]
        low = base.lower()
        out.append(low if len(low) == 1 else ch)
    return "".join(out)


def split_summary(summary: str, series: str = "") -> tuple[str, str]:
    """(event name, session name) of a feed's SUMMARY.

    "WEC R1: 6 Hours of Imola - Qualifying - Hypercar" -> ("6 Hours of Imola", "Qualifying - Hypercar");
    "6 Heures d'Imola 2025 -" -> ("6 Heures d'Imola", "").
    """
    text = _ROUND_TAG.sub("", summary, count=1)
    if series:
        text = re.sub(rf"^\s*{re.escape(series)}\s*[:\-–—|]\s*", "", text, count=1, flags=re.IGNORECASE)
    text = text.strip(_ENDS)
    parts = [p.strip(_ENDS) for p in _SEPARATOR.split(text)]
    parts = [p for p in parts if p]
    if not parts:
        return "", ""
    event, session = parts[0], " - ".join(parts[1:])
    for i in range(1, len(parts)):
        if _KIND.match(_plain(parts[i])):
            event, session = " - ".join(parts[:i]), " - ".join(parts[i:])
            break
    else:
        # "... Spa-Francorchamps 2025 Free Practice 1": the session written after the name.
        inside = next((m for m in _KIND.finditer(_plain(parts[0])) if m.start() > 0), None)
        if inside is not None:
            head, tail = parts[0][: inside.start()], parts[0][inside.start() :]
            event, session = head.strip(_ENDS), " - ".join([tail, *parts[1:]])
    return _TRAILING_YEAR.sub("", event).strip(_ENDS), session.strip(_ENDS)


def session_kind(name: str) -> tuple[SessionKind, int | None, str | None]:
    """(kind, number, label) of a session's name, English or French.

    "Free Practice 2" -> (practice, 2, None); "Hyperpole 1 - Hypercar" -> (hyperpole, 1, "Hypercar");
    "Morning Session" -> (other, None, "Morning Session"); "" -> (other, None, None).
    """
    name = " ".join(name.split())
    found = _KIND.search(_plain(name))
    if found is None or found.lastgroup is None:
        return SessionKind.OTHER, None, _label(name)
    kind = SessionKind(found.lastgroup)
    rest = name[found.end() :]
    number: int | None = None
    if match := _NUMBER.match(rest):
        number = int(match[1])
        rest = rest[match.end() :]
    return kind, number, _label(f"{name[: found.start()]} {rest}")


def _label(text: str) -> str | None:
    words = [w for w in (part.strip(_ENDS + "()") for part in _SEPARATOR.split(text)) if w]
    label = " - ".join(" ".join(w.split()) for w in words)
    return label[:MAX_NOTES] or None


# ---------------------------------------------------------------------------- weekends


@dataclass
class _Weekend:
    folded: str
    location: str | None
    first: date
    vevents: list[_Vevent] = field(default_factory=list)


def _group(vevents: list[_Vevent]) -> list[_Weekend]:
    """Sessions of one event name, within ``WEEKEND_SPAN`` of the first, at one location."""
    weekends: list[_Weekend] = []
    for v in sorted(vevents, key=lambda v: (v.start.day, v.index)):
        place = fold_words(v.location) if v.location else None
        for w in weekends:
            if (
                w.folded == v.folded
                and v.start.day - w.first <= WEEKEND_SPAN
                and (place is None or w.location is None or place == w.location)
            ):
                w.vevents.append(v)
                w.location = w.location or place
                break
        else:
            weekends.append(_Weekend(v.folded, place, v.start.day, [v]))
    for w in weekends:
        w.vevents.sort(key=lambda v: v.index)
    return weekends


@dataclass
class _Session:
    """A session to build: one VEVENT, or several that give the same kind and time."""

    vevents: list[_Vevent]
    kind: SessionKind
    labels: list[str]
    number: int | None
    instant: datetime | None
    day: date | None
    duration: int | None
    # Why each VEVENT's time is TBA (a placeholder, a date), told once the session is imported.
    tba: list[tuple[int, Problem]] = field(default_factory=list)
    key: str = ""

    @property
    def where(self) -> Problem:
        return self.vevents[0].where

    @property
    def notes(self) -> str | None:
        return ", ".join(self.labels)[:MAX_NOTES] or None

    @property
    def base_key(self) -> str:
        parts = [self.kind.value]
        if self.labels:
            parts.append(slug(self.labels[0])[:40].strip("-"))
        if self.number is not None:
            parts.append(str(self.number))
        return "-".join(p for p in parts if p)[: MAX_KEY - 4].rstrip("-")


def _uid_order(v: _Vevent) -> tuple[str, int]:
    return (v.uid, v.index)


class _Weekends:
    """Reads weekends one by one, each through its own ``Builder``."""

    def __init__(
        self,
        known: KnownCalendar,
        series: str,
        key_prefix: str,
        known_events: Sequence[KnownEvent],
        source: str,
    ) -> None:
        self.known = known
        self.names = Names(known)
        self.series = series
        self.key_prefix = key_prefix
        self.known_events = known_events
        self.source = source
        # (index of the VEVENT named first, problem): sorted into file order at the end.
        self.unread: list[tuple[int, Problem]] = []
        self.tba: list[tuple[int, Problem]] = []
        self.uids: dict[str, tuple[str, str]] = {}
        self.catalogs: list[Catalog] = []
        self.event_keys: set[str] = set()

    def read(self, weekend: _Weekend) -> None:
        vevents = weekend.vevents
        name = vevents[0].name
        circuit = self._circuit(weekend, name)
        if circuit is None:
            return
        sessions = [s for v in vevents if (s := self._session(v, circuit)) is not None]
        if not sessions:
            return
        status = EventStatus.SCHEDULED.value
        if all(s.vevents[0].cancelled for s in sessions):
            status = EventStatus.CANCELLED.value
        else:
            for s in sessions:
                if s.vevents[0].cancelled:
                    left_out = Problem(N_("cancelled in the feed; left out"))
                    self.unread.append((s.vevents[0].index, _problem(s.where, "STATUS", left_out)))
            sessions = [s for s in sessions if not s.vevents[0].cancelled]
        season = _season(sessions, circuit)
        if problem := check_season(season):
            self.unread.append((weekend.vevents[0].index, _problem(_weekend_where(weekend), None, problem)))
            return
        sessions = _merged_sessions(sessions)
        _assign_keys(sessions)
        url = next((v.url for v in vevents if v.url), None)
        fields = EventFields(self._event_key(season, name), self.series, season, name, circuit, status, url)
        self._build(weekend, fields, sessions)

    def _circuit(self, weekend: _Weekend, name: str) -> CircuitInfo | None:
        location = next((v.location for v in weekend.vevents if v.location), None)
        if location:
            found, problem = self.names.circuit_in_location(location)
            if found is None:
                unknown = Problem(N_("unknown circuit: {problem}"), problem=problem or location)
                self.unread.append(
                    (weekend.vevents[0].index, _problem(_weekend_where(weekend), "LOCATION", unknown))
                )
            return found
        race = [v for v in weekend.vevents if v.kind == SessionKind.RACE] or weekend.vevents
        year = min(v.start.day for v in race).year
        folded = weekend.folded
        circuits = {
            e.circuit
            for e in self.known_events
            if fold_words(e.series) == fold_words(self.series)
            and e.season == year
            and any(_same_event(folded, fold_words(n)) for n in (e.name, *e.aliases))
        }
        if len(circuits) == 1 and (key := next(iter(circuits))) in self.known.circuits:
            return self.known.circuits[key]
        if len(circuits) > 1:
            problem = Problem(
                N_("unknown circuit: {name} could be the event at {listed}; the feed gives no LOCATION"),
                name=repr(name),
                listed=", ".join(sorted(circuits)),
            )
        else:
            problem = Problem(
                N_(
                    "unknown circuit: the feed gives no LOCATION, and this server knows no {series} "
                    "{season} event called {name}. Add that name as an alias of the event, or ask the "
                    "feed's author to give each session its LOCATION"
                ),
                series=self.series,
                season=year,
                name=repr(name),
            )
        self.unread.append((weekend.vevents[0].index, _problem(_weekend_where(weekend), None, problem)))
        return None

    def _session(self, v: _Vevent, circuit: CircuitInfo) -> _Session | None:
        """The VEVENT's timing at ``circuit``, or None after listing why not."""
        start = _resolve(v.start, circuit.timezone)
        if isinstance(start, Problem):
            self.unread.append((v.index, _problem(v.where, "DTSTART", start)))
            return None
        instant, day = start
        duration: int | None = None
        minutes: float | None = None
        which = "DTEND" if v.end is not None else "DURATION"
        tba: Problem | None = None
        if instant is None:
            tba = Problem(
                N_("{where}: {value} is a placeholder, not a time: kept as {day}, time TBA"),
                where=v.where,
                value=_written(v.start),
                day=day,
            )
            if v.start.wall is None:
                tba = Problem(N_("{where}: only a date: kept as {day}, time TBA"), where=v.where, day=day)
            # A placeholder's length may still be the session's; a date's end is not one.
            if v.start.wall is not None and v.end is not None and v.end.wall is not None:
                minutes = _wall_minutes(v.start, v.end)
            elif v.start.wall is not None and v.length is not None:
                minutes = v.length.total_seconds() / 60
            if minutes is not None and check_duration(round(minutes)) is None:
                duration = round(minutes)
        else:
            if v.end is not None:
                end = _resolve(v.end, circuit.timezone)
                if isinstance(end, Problem):
                    self.unread.append((v.index, _problem(v.where, "DTEND", end)))
                    return None
                if end[0] is not None:
                    minutes = (end[0] - instant).total_seconds() / 60
            elif v.length is not None:
                minutes = v.length.total_seconds() / 60
            if minutes is not None:
                duration = round(minutes)
                if duration <= 0:
                    ends = Problem(N_("the event ends before it starts; check {which}"), which=which)
                    self.unread.append((v.index, _problem(v.where, which, ends)))
                    return None
                if problem := check_duration(duration):
                    too_long = Problem(
                        N_("{problem}; give the session's own start and end, not the whole weekend"),
                        problem=problem,
                    )
                    self.unread.append((v.index, _problem(v.where, which, too_long)))
                    return None
        labels = [v.label] if v.label else []
        return _Session(
            [v], v.kind, labels, v.number, instant, day, duration, [(v.index, tba)] if tba else []
        )

    def _event_key(self, season: int, name: str) -> str:
        key = f"{self.key_prefix}{slug(self.series)}-{season}-{slug(name)}"[:MAX_KEY].rstrip("-")
        n = 1
        unique = key
        while unique in self.event_keys:
            n += 1
            unique = f"{key[: MAX_KEY - len(str(n)) - 1].rstrip('-')}-{n}"
        self.event_keys.add(unique)
        return unique

    def _build(self, weekend: _Weekend, fields: EventFields, sessions: list[_Session]) -> None:
        """Build the weekend; a session a check blames is left out and the rest built again."""
        while sessions:
            builder = Builder(self.known, self.source, noun="VEVENT")
            for s in sessions:
                draft = SessionDraft(s.where, s.kind, s.instant, s.day, s.duration, s.key, s.notes)
                builder.add(fields, draft)
            try:
                catalog = builder.finish()
            except CatalogError as exc:
                by_where = {str(s.where): s for s in sessions}
                blamed = [(p, _blamed(p, by_where)) for p in exc.problems]
                if any(s is None for _, s in blamed):
                    first = weekend.vevents[0].index
                    self.unread.extend((first, _as_problem(p)) for p in exc.problems)
                    return
                dropped: list[_Session] = []
                for p, culprit in blamed:
                    self.unread.append((culprit.vevents[0].index if culprit else 0, _as_problem(p)))
                    if culprit is not None and culprit not in dropped:
                        dropped.append(culprit)
                sessions = [s for s in sessions if s not in dropped]
                continue
            self.catalogs.append(catalog)
            for s in sessions:
                self.tba.extend(s.tba)
                for v in s.vevents:
                    self.uids[v.uid] = (fields.key, s.key)
            return


def _same_event(feed_name: str, known_name: str) -> bool:
    """The same folded name, or the known name after a sponsor ("rolex 6 heures de sao paulo")."""
    if not known_name:
        return False
    return feed_name == known_name or (len(known_name.split()) >= 2 and feed_name.endswith(f" {known_name}"))


def _weekend_where(weekend: _Weekend) -> Problem:
    indexes = [v.index for v in weekend.vevents]
    shown = ", ".join(str(i) for i in indexes[:12]) + (", …" if len(indexes) > 12 else "")
    return Problem(
        N_("{name} of {day} (VEVENT {indexes})"),
        name=repr(weekend.vevents[0].name),
        day=weekend.first.isoformat(),
        indexes=shown,
    )


def _resolve(m: _Moment, circuit_zone: str) -> tuple[datetime | None, date | None] | Problem:
    """(instant, None) for a time, (None, day) for a date or a midnight placeholder."""
    if m.wall is None:
        return None, m.day
    if m.local and m.wall == time(0, 0):
        return None, m.day
    if m.instant is not None:
        return m.instant, None
    instant, problem = local_instant(
        m.day,
        m.wall,
        m.zone or circuit_zone,
        Problem(N_("Ask the feed's author to write it in UTC, ending in Z.")),
    )
    if instant is None:
        return problem if isinstance(problem, Problem) else Problem(problem)
    return instant, None


def _written(m: _Moment) -> str:
    clock = f"{m.wall:%H:%M}" if m.wall else ""
    return f"{m.day.isoformat()} {clock} {m.zone or ''}".strip()


def _wall_minutes(start: _Moment, end: _Moment) -> float | None:
    """Minutes between two wall clocks of one zone (a placeholder's length as written)."""
    if start.wall is None or end.wall is None or start.zone != end.zone:
        return None
    days = (end.day - start.day).days
    return days * 1440 + (end.wall.hour * 60 + end.wall.minute) - (start.wall.hour * 60 + start.wall.minute)


def _season(sessions: list[_Session], circuit: CircuitInfo) -> int:
    """The year of the race (or of the first session) at the circuit."""

    def local_day(s: _Session) -> date:
        if s.instant is not None:
            return s.instant.astimezone(pytz_zone(circuit.timezone)).date()
        assert s.day is not None  # a session is timed or has its day
        return s.day

    races = [s for s in sessions if s.kind == SessionKind.RACE] or sessions
    return min(local_day(s) for s in races).year


def _merged_sessions(sessions: list[_Session]) -> list[_Session]:
    """One session for VEVENTs of the same kind at the same time (or TBA the same day)."""
    merged: dict[tuple[SessionKind, datetime | date | None], _Session] = {}
    for s in sorted(sessions, key=lambda s: _uid_order(s.vevents[0])):
        when: datetime | date | None = s.instant if s.instant is not None else s.day
        same = merged.get((s.kind, when))
        if same is None:
            merged[(s.kind, when)] = s
            continue
        same.vevents.extend(s.vevents)
        same.tba.extend(s.tba)
        same.labels.extend(label for label in s.labels if label not in same.labels)
        if same.duration is None or (s.duration is not None and s.duration > same.duration):
            same.duration = s.duration
    return list(merged.values())


def _assign_keys(sessions: list[_Session]) -> None:
    """Keys from kind + label (+ number), never from times: the first by UID takes the key,
    the others the next free ``-2``, ``-3``."""
    ordered = sorted(sessions, key=lambda s: _uid_order(s.vevents[0]))
    taken: set[str] = set()
    waiting: list[_Session] = []
    for s in ordered:
        if s.base_key in taken:
            waiting.append(s)
        else:
            s.key = s.base_key
            taken.add(s.key)
    for s in waiting:
        n = 2
        while f"{s.base_key}-{n}" in taken:
            n += 1
        s.key = f"{s.base_key}-{n}"
        taken.add(s.key)


def _blamed(problem: str, by_where: dict[str, _Session]) -> _Session | None:
    """The session a builder problem is about (its leading "where"), if it names one."""
    current: object = problem
    while isinstance(current, Problem):
        where = current.fields.get("where")
        if where is None:
            return None
        if str(where) in by_where:
            return by_where[str(where)]
        current = where
    return None


def _as_problem(problem: str) -> Problem:
    return problem if isinstance(problem, Problem) else Problem(problem)


def _merged(catalogs: list[Catalog]) -> Catalog:
    merged = Catalog()
    series: set[str] = set()
    circuits: set[str] = set()
    for c in catalogs:
        for s in c.series:
            if s.code not in series:
                series.add(s.code)
                merged.series.append(s)
        for circuit in c.circuits:
            if circuit.key not in circuits:
                circuits.add(circuit.key)
                merged.circuits.append(circuit)
        merged.events.extend(c.events)
    return merged
