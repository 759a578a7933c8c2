"""Moderators' spreadsheets: one row per session, with this header line::

    series,season,event,circuit,session,date,time,duration_minutes,timezone,info_url,watch_url,key

Columns may come in any order but all twelve must be there (a ';'-separated
file, as some spreadsheets save, works too). Rows with the same event key, or
when ``key`` is blank the same series, season and event name, form one event.
See docs/calendar-files.md for what each column takes.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Callable
from datetime import date, time

import pytz

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
from fanbot.calendar_files.known import DID_YOU_MEAN, KnownCalendar, Names
from fanbot.domain.catalog import Catalog, CatalogError, Problem
from fanbot.domain.folding import fold_words
from fanbot.domain.limits import MAX_CIRCUIT_TEXT, MAX_SERIES_TEXT, MAX_YEAR, MAX_ZONE_TEXT, MIN_YEAR
from fanbot.domain.localtime import is_known_zone
from fanbot.domain.model import SessionKind
from fanbot.i18n import N_

HEADER = (
    "series",
    "season",
    "event",
    "circuit",
    "session",
    "date",
    "time",
    "duration_minutes",
    "timezone",
    "info_url",
    "watch_url",
    "key",
)
HEADER_LINE = ",".join(HEADER)
# Words people write for "not announced yet" in the time column.
TBA_WORDS = {"", "tba", "tbc", "tbd"}

_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_FIRST_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_CLOCK_24 = re.compile(r"^(\d{1,2})[:h.](\d{2})$")
_CLOCK_12 = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s*m\.?$", re.IGNORECASE)

# Reports a problem with one column of the row being read.
_Bad = Callable[[str, str], None]

HOW_TO_CHOOSE = Problem(
    N_("Say which: write that UTC time in the time column and UTC in the timezone column.")
)


def _line(number: int) -> Problem:
    """Where a CSV problem sits: "line 7"."""
    return Problem(N_("line {n}"), n=number)


def parse_events_csv(text: str, known: KnownCalendar, *, source: str = "file.csv") -> Catalog:
    """A moderator's CSV calendar as a checked ``Catalog`` of the guild's events.

    Every problem is collected with its line number and column, and then
    ``CatalogError`` is raised with all of them: a file is taken whole or not at all.
    """
    text = text.removeprefix("\ufeff")  # spreadsheets often save a byte-order mark
    if not text.strip():
        raise CatalogError(
            source,
            [
                Problem(
                    N_("the file is empty: its first line must be the header {header}"), header=HEADER_LINE
                )
            ],
        )
    builder = Builder(known, source, noun=Problem(N_("row")))
    names = Names(known)
    first_line = text.splitlines()[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    columns: list[str] | None = None
    rows = 0
    line = 1
    try:
        for row in reader:
            # csv counts physical lines: a quoted field may span several.
            start, line = line, reader.line_num + 1
            if columns is None:
                columns = _read_header(row, source)
                continue
            if not any(cell.strip() for cell in row):
                continue
            rows += 1
            where = _line(start)
            if len(row) != len(columns):
                builder.problem(
                    where,
                    None,
                    Problem(
                        N_(
                            "has {count} fields but the header has {columns}; a value containing "
                            "{delimiter} must be written in double quotes"
                        ),
                        count=len(row),
                        columns=len(columns),
                        delimiter=repr(delimiter),
                    ),
                )
                continue
            _read_row(builder, names, where, dict(zip(columns, (c.strip() for c in row), strict=True)))
    except csv.Error as exc:
        builder.problem(
            _line(reader.line_num), None, Problem(N_("the file cannot be read as CSV ({reason})"), reason=exc)
        )
    if not rows and not builder.problems:
        raise CatalogError(
            source, [Problem(N_("the file has a header but no rows: add one row per session"))]
        )
    return builder.finish()


def _read_header(row: list[str], source: str) -> list[str]:
    columns = [fold_words(c).replace(" ", "_") for c in row]
    problems: list[str] = []
    missing = [c for c in HEADER if c not in columns]
    extra = [c for c in columns if c not in HEADER]
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if missing:
        problems.append(
            Problem(
                N_("{where}: the header lacks the column(s) {columns}"),
                where=_line(1),
                columns=", ".join(missing),
            )
        )
    if extra:
        problems.append(
            Problem(
                N_("{where}: unknown column(s) {columns}"),
                where=_line(1),
                columns=", ".join(repr(c) for c in extra),
            )
        )
    if twice:
        problems.append(
            Problem(
                N_("{where}: the column(s) {columns} appear more than once"),
                where=_line(1),
                columns=", ".join(twice),
            )
        )
    if problems:
        problems.append(
            Problem(N_("the first line must name these columns (in any order): {header}"), header=HEADER_LINE)
        )
        raise CatalogError(source, problems)
    return columns


def _read_row(builder: Builder, names: Names, where: str, cells: dict[str, str]) -> None:
    """Check one row; add it to its event, or record every problem it has."""
    before = len(builder.problems)

    def bad(column: str, message: str) -> None:
        builder.problem(where, column, message)

    series: str | None = None
    if not cells["series"]:
        bad("series", Problem(N_("missing: give the series code, like WEC")))
    elif len(cells["series"]) > MAX_SERIES_TEXT:
        bad(
            "series",
            Problem(
                N_("longer than {limit} characters; give the series code, like WEC"), limit=MAX_SERIES_TEXT
            ),
        )
    else:
        series, problem = names.series(cells["series"])
        if problem:
            bad("series", problem)

    season = _season(cells["season"], bad)

    name = cells["event"]
    if problem := check_event_name(name):
        bad("event", problem)

    circuit = None
    if not cells["circuit"]:
        bad("circuit", Problem(N_("missing: give the circuit's key or name")))
    elif len(cells["circuit"]) > MAX_CIRCUIT_TEXT:
        bad(
            "circuit",
            Problem(
                N_("longer than {limit} characters; give the circuit's key or name"), limit=MAX_CIRCUIT_TEXT
            ),
        )
    else:
        circuit, problem = names.circuit(cells["circuit"])
        if problem:
            bad("circuit", problem)

    kind = _kind(cells["session"], bad)
    day = _date(cells["date"], bad)
    clock = _clock(cells["time"], bad)
    if clock is not None and day is None and not cells["date"]:
        bad("time", Problem(N_("a time needs a date: fill in the date column (or leave the time blank)")))

    duration = _whole(cells["duration_minutes"])
    if cells["duration_minutes"] and duration is None:
        bad(
            "duration_minutes",
            Problem(
                N_("{value} is not a whole number of minutes, like 360"),
                value=repr(cells["duration_minutes"]),
            ),
        )
    elif duration is not None and (problem := check_duration(duration)):
        bad("duration_minutes", problem)
        duration = None

    zone_name = cells["timezone"]
    if zone_name and (len(zone_name) > MAX_ZONE_TEXT or not is_known_zone(zone_name)):
        bad("timezone", _zone_problem(zone_name, circuit.timezone if circuit else None))
        zone_name = ""

    urls: dict[str, str | None] = {}
    for column in ("info_url", "watch_url"):
        urls[column] = cells[column] or None
        if cells[column] and (problem := check_url(cells[column])):
            bad(column, problem)

    key = cells["key"]
    if key and (problem := check_key(key)):
        bad(
            "key",
            Problem(
                N_("{problem} (or leave it blank to have one made from the series, season and name)"),
                problem=problem,
            ),
        )

    if len(builder.problems) > before or series is None or season is None or circuit is None or kind is None:
        return
    instant = None
    if day is not None and clock is not None:
        zone = zone_name or circuit.timezone
        instant, problem = local_instant(day, clock, zone, HOW_TO_CHOOSE)
        if instant is None:
            bad("time", problem)
            return
    fields = EventFields(
        key=key or derived_event_key(series, season, name),
        series=series,
        season=season,
        name=name,
        circuit=circuit,
        info_url=urls["info_url"],
        watch_url=urls["watch_url"],
    )
    builder.add(fields, SessionDraft(where, kind, instant, day, duration))


def _season(text: str, bad: _Bad) -> int | None:
    if not text:
        bad("season", Problem(N_("missing: give the season's year, like 2027")))
        return None
    year = _whole(text)
    if year is None:
        bad("season", Problem(N_("{value} is not a year, like 2027"), value=repr(text)))
        return None
    if problem := check_season(year):
        bad("season", problem)
        return None
    return year


def _whole(text: str) -> int | None:
    # ASCII digits only: str.isdigit() accepts '²', which int() refuses.
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None


def _kind(text: str, bad: _Bad) -> SessionKind | None:
    # "Warm-up" and "Warm up" are how people write it; the stored kind is "warmup".
    wanted = fold_words(text).replace(" ", "")
    for kind in SessionKind:
        if kind.value == wanted:
            return kind
    allowed = ", ".join(k.value for k in SessionKind)
    bad(
        "session",
        Problem(
            N_("{value} is not a session kind: write one of {allowed}"), value=repr(text), allowed=allowed
        ),
    )
    return None


def _date(text: str, bad: _Bad) -> date | None:
    if not text:
        return None
    iso, day_first = _ISO_DATE.match(text), _DAY_FIRST_DATE.match(text)
    try:
        if iso:
            day = date(int(iso[1]), int(iso[2]), int(iso[3]))
        elif day_first:
            day = date(int(day_first[3]), int(day_first[2]), int(day_first[1]))
        else:
            raise ValueError(text)
    except ValueError:
        bad(
            "date",
            Problem(
                N_("{value} is not a date: write it like 2027-03-18 (or 18/03/2027, day first)"),
                value=repr(text),
            ),
        )
        return None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        bad(
            "date",
            Problem(
                N_("{value} is outside the years {first}-{last}"),
                value=repr(text),
                first=MIN_YEAR,
                last=MAX_YEAR,
            ),
        )
        return None
    return day


def _clock(text: str, bad: _Bad) -> time | None:
    if text.lower() in TBA_WORDS:
        return None
    hour: int | None = None
    minute = 0
    if match := _CLOCK_24.match(text):
        hour, minute = int(match[1]), int(match[2])
    elif match := _CLOCK_12.match(text):
        twelve = int(match[1])
        minute = int(match[2] or 0)
        if 1 <= twelve <= 12:
            # 12am is midnight and 12pm is noon.
            hour = twelve % 12 + (12 if match[3].lower() == "p" else 0)
    if hour is None or not (0 <= hour <= 23 and 0 <= minute <= 59):
        bad(
            "time",
            Problem(
                N_("{value} is not a time: write it like 14:00 or 2:00pm (leave it blank when TBA)"),
                value=repr(text),
            ),
        )
        return None
    return time(hour, minute)


def _zone_problem(text: str, circuit_zone: str | None) -> str:
    close = difflib.get_close_matches(text, pytz.common_timezones, n=1, cutoff=0.6)
    hint = Problem(DID_YOU_MEAN, name=close[0]) if close else ""
    if circuit_zone:
        return Problem(
            N_(
                "{value} is not an IANA time zone name{hint}: write it like Europe/Paris or UTC; "
                "leave it blank "
                "to use the circuit's zone, {zone}"
            ),
            value=repr(text),
            hint=hint,
            zone=circuit_zone,
        )
    return Problem(
        N_("{value} is not an IANA time zone name{hint}: write it like Europe/Paris or UTC"),
        value=repr(text),
        hint=hint,
    )
