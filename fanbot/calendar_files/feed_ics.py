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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from icalendar import Calendar, Component, vDuration

from fanbot.calendar_files._ics import read_text
from fanbot.calendar_files.feed_summary import session_kind, split_summary
from fanbot.calendar_files.feed_vevent import COULD_NOT_BE_READ, Vevent, problem_at, read_vevent, where_of
from fanbot.calendar_files.feed_weekends import KnownEvent, Weekends, group_weekends, merged_catalog
from fanbot.calendar_files.known import KnownCalendar
from fanbot.domain.catalog import Catalog, CatalogError, Problem
from fanbot.domain.limits import FEED_MAX_VEVENTS
from fanbot.i18n import N_

__all__ = ["FeedRead", "KnownEvent", "read_feed_ics", "session_kind", "split_summary"]


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
    read: list[Vevent] = []
    seen_uids: dict[str, Problem] = {}
    for index, vevent in enumerate(vevents, start=1):
        try:
            outcome = read_vevent(vevent, index, series, seen_uids)
        # icalendar decodes some values lazily, and a broken one fails when it is read:
        # that is this VEVENT's problem, not the feed's.
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            outcome = problem_at(where_of(vevent, index), None, Problem(COULD_NOT_BE_READ, reason=exc))
        if isinstance(outcome, Vevent):
            read.append(outcome)
        else:
            unread.append((index, outcome))
    reader = Weekends(known, series, key_prefix, known_events, source)
    for weekend in group_weekends(read):
        reader.read(weekend)
    unread.extend(reader.unread)
    # In file order, as the author reads the feed.
    problems = [p for _, p in sorted(unread, key=lambda pair: pair[0])]
    if not reader.catalogs:
        raise CatalogError(source, [Problem(N_("no event of this feed could be read")), *problems])
    tba = [p for _, p in sorted(reader.tba, key=lambda pair: pair[0])]
    return FeedRead(merged_catalog(reader.catalogs), reader.uids, problems, tba, _refresh(calendar))


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
