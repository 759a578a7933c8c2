"""The JSON catalog file format (``data/catalog.json``, documented in ``data/README.md``).

``parse_catalog`` checks a whole file before anything is written and reports
every problem with the entry and field it sits in, so a bad file is refused as
a whole and the database is never half-imported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fanbot.calendar_files.catalog_fields import (
    KEY_RULE,
    MISSING,
    MUST_BE_A_LIST,
    FieldChecker,
    check_unique,
    list_field,
    read_date,
    read_time,
)
from fanbot.config import catalog_path
from fanbot.domain.catalog import (
    Catalog,
    CatalogError,
    CircuitRecord,
    EntryRecord,
    EventRecord,
    Problem,
    ResultRecord,
    SeriesRecord,
    SessionRecord,
    session_timing,
    time_problem,
)
from fanbot.domain.limits import (
    KEY_PATTERN,
    MAX_DURATION,
    MAX_EVENT_ALIASES,
    MAX_NAME,
    MAX_POSITION,
    MAX_TEXT,
)
from fanbot.domain.localtime import (
    LocalTimeError,
    is_known_zone,
    parse_instant,
)
from fanbot.domain.model import EventStatus, SessionKind
from fanbot.i18n import N_

FORMAT = "fanbot-catalog/1"


@dataclass(frozen=True)
class CatalogFile:
    """A catalog file as the store's seed: read once, parsed only when it changed."""

    path: Path

    def read(self) -> bytes:
        return read_file_bytes(self.path)

    def parse(self, data: bytes) -> Catalog:
        return parse_catalog_json(data, source=str(self.path))

    def __str__(self) -> str:
        return str(self.path)


def shipped_catalog() -> CatalogFile:
    """The catalog fanbot ships (``data/catalog.json``), as a store seed."""
    return CatalogFile(catalog_path())


def load_catalog_file(path: Path) -> Catalog:
    """Read and check ``path``; raises ``CatalogError`` naming every problem."""
    return parse_catalog_json(read_file_bytes(path), source=str(path))


def read_file_bytes(path: Path) -> bytes:
    """The bytes of a file to import, or ``CatalogError`` saying why it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise CatalogError(str(path), [Problem(N_("file not found"))]) from exc
    except IsADirectoryError as exc:
        raise CatalogError(
            str(path), [Problem(N_("this is a folder: give the path of a file inside it"))]
        ) from exc
    except OSError as exc:
        raise CatalogError(
            str(path), [Problem(N_("cannot be read: {reason}"), reason=exc.strerror or exc)]
        ) from exc


def parse_catalog_json(data: bytes | str, source: str = "catalog") -> Catalog:
    """A catalog file's content (UTF-8, with or without a byte-order mark) -> ``Catalog``;
    ``CatalogError`` for text that is not JSON, or not a catalog."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CatalogError(
                source,
                [
                    Problem(
                        N_("not UTF-8 text (byte {byte} cannot be read): save it again as UTF-8"),
                        byte=exc.start,
                    )
                ],
            ) from exc
    else:
        text = data.removeprefix("\ufeff")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(
            source,
            [
                Problem(
                    N_("line {line}, column {column}: not valid JSON ({reason})"),
                    line=exc.lineno,
                    column=exc.colno,
                    reason=exc.msg,
                )
            ],
        ) from exc
    except RecursionError as exc:
        # Python's JSON reader recurses once per nesting level: thousands of "[" exhaust it.
        raise CatalogError(source, [NESTED_TOO_DEEPLY]) from exc
    return parse_catalog(raw, source=source)


NESTED_TOO_DEEPLY = Problem(N_("not a catalog: its lists or objects are nested too deeply"))


def parse_catalog(raw: Any, source: str = "catalog") -> Catalog:
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise CatalogError(source, [Problem(N_("the top level must be a JSON object"))])
    if raw.get("format") != FORMAT:
        problems.append(
            Problem(
                N_('format: must be "{format}", found {found}'), format=FORMAT, found=repr(raw.get("format"))
            )
        )
    catalog = Catalog(published=_published(raw.get("published"), problems))
    checker = FieldChecker(problems)
    # Indexes are the file's own (events[7] is the eighth event written), whatever was
    # refused before it. A series or circuit the file writes but that has a problem of its
    # own (a bad time zone, say) is "refused": its events are not told that it is unknown.
    series_indexes: list[int] = []
    refused_series: set[str] = set()
    for i, item in enumerate(list_field(raw, "series", problems)):
        where = f"series[{i}]"
        if not checker.is_object(item, where):
            continue
        code = checker.text(item, "code", where, required=True, limit=16)
        name = checker.text(item, "name", where, required=True)
        if code and name:
            catalog.series.append(SeriesRecord(code, name, checker.text(item, "source", where)))
            series_indexes.append(i)
        elif isinstance(item.get("code"), str):
            refused_series.add(item["code"].strip())
    circuit_indexes: list[int] = []
    refused_circuits: set[str] = set()
    for i, item in enumerate(list_field(raw, "circuits", problems)):
        record = _parse_circuit(checker, item, f"circuits[{i}]")
        if record:
            catalog.circuits.append(record)
            circuit_indexes.append(i)
        elif isinstance(item, dict) and isinstance(item.get("key"), str):
            refused_circuits.add(item["key"].strip())
    zones = {c.key: c.timezone for c in catalog.circuits}
    known = _Known(zones, refused_circuits, {s.code for s in catalog.series}, refused_series)
    event_indexes: list[int] = []
    for i, item in enumerate(list_field(raw, "events", problems)):
        event = _parse_event(checker, item, i, known)
        if event:
            catalog.events.append(event)
            event_indexes.append(i)
    check_unique(problems, "series", [s.code for s in catalog.series], "code", series_indexes)
    check_unique(problems, "circuits", [c.key for c in catalog.circuits], "key", circuit_indexes)
    check_unique(problems, "events", [e.key for e in catalog.events], "key", event_indexes)
    if problems:
        raise CatalogError(source, problems)
    return catalog


def _published(value: Any, problems: list[str]) -> datetime | None:
    """The file's optional "published" stamp: an ISO 8601 instant with Z (or an offset),
    kept to the second in UTC; None when the file has none."""
    if value is None:
        return None
    if isinstance(value, str) and "T" in value:
        try:
            return parse_instant(value).replace(microsecond=0)
        except LocalTimeError:
            pass
    problems.append(
        Problem(
            N_('published: must be when the file was published, in UTC like "{example}" (found {found})'),
            example=PUBLISHED_EXAMPLE,
            found=_shown(value),
        )
    )
    return None


PUBLISHED_EXAMPLE = "2026-12-07T00:00:00Z"


def _shown(value: Any) -> str:
    """A short ``repr`` of a value a file gave, for a problem (never a whole nested list)."""
    if isinstance(value, str | int | float | bool):
        text = repr(value)
        return text if len(text) <= 60 else text[:59] + "…"
    return "[…]" if isinstance(value, list) else "{…}" if isinstance(value, dict) else repr(value)


@dataclass(frozen=True)
class _Known:
    """What an event of the file may refer to."""

    zones: dict[str, str]  # circuit key -> IANA zone, for the circuits that passed
    refused_circuits: set[str]  # circuit keys the file gives, with problems of their own
    series: set[str]
    refused_series: set[str]


def _event_where(index: int, name: Any) -> str:
    """``events[7] "name"``: ``index`` is the event's place in the file's list, counted from 0."""
    if not isinstance(name, str):
        return f"events[{index}]"
    shown = name if len(name) <= 60 else name[:59] + "…"
    return f'events[{index}] "{shown}"'


def _parse_circuit(c: FieldChecker, item: Any, where: str) -> CircuitRecord | None:
    if not c.is_object(item, where):
        return None
    key = c.text(item, "key", where, required=True, limit=80)
    if key and not KEY_PATTERN.match(key):
        c.problems.append(Problem(KEY_RULE, where=f"{where}.key", value=repr(key)))
        key = None
    name = c.text(item, "name", where, required=True)
    zone = c.text(item, "timezone", where, required=True, limit=64)
    if zone and not is_known_zone(zone):
        c.problems.append(
            Problem(
                N_("{where}: {zone} is not an IANA time zone"), where=f"{where}.timezone", zone=repr(zone)
            )
        )
        zone = None
    aliases = item.get("aliases", [])
    # '|' separates aliases in the database.
    if not isinstance(aliases, list) or not all(isinstance(a, str) and "|" not in a for a in aliases):
        c.problems.append(
            Problem(N_("{where}: must be a list of names (without '|')"), where=f"{where}.aliases")
        )
        aliases = []
    length = c.number(item, "length_km", where, kind=float, minimum=0.1, maximum=100)
    turns = c.number(item, "turns", where, kind=int, minimum=1, maximum=200)
    location = c.text(item, "location", where)
    country = c.text(item, "country", where)
    source = c.text(item, "source", where, limit=MAX_TEXT)
    notes = c.text(item, "notes", where, limit=MAX_TEXT)
    if not (key and name and zone):
        return None
    return CircuitRecord(
        key,
        name,
        zone,
        location,
        country,
        length,
        turns,
        tuple(a.strip() for a in aliases if a.strip()),
        source,
        notes,
    )


def _parse_event(c: FieldChecker, item: Any, index: int, known: _Known) -> EventRecord | None:
    where = _event_where(index, item.get("name") if isinstance(item, dict) else None)
    if not c.is_object(item, where):
        return None
    key = c.text(item, "key", where, required=True, limit=80)
    if key and not KEY_PATTERN.match(key):
        c.problems.append(Problem(KEY_RULE, where=f"{where}.key", value=repr(key)))
        key = None
    series = c.text(item, "series", where, required=True, limit=16)
    if series and series not in known.series:
        if series not in known.refused_series:
            c.problems.append(
                Problem(N_("{where}: unknown series {value}"), where=f"{where}.series", value=repr(series))
            )
        series = None
    circuit = c.text(item, "circuit", where, required=True, limit=80)
    if circuit and circuit not in known.zones:
        if circuit not in known.refused_circuits:
            c.problems.append(
                Problem(
                    N_("{where}: unknown circuit key {value}"), where=f"{where}.circuit", value=repr(circuit)
                )
            )
        circuit = None
    season = c.number(item, "season", where, kind=int, minimum=1900, maximum=2200)
    if season is None and "season" not in item:
        c.problems.append(Problem(MISSING, where=f"{where}.season"))
    name = c.text(item, "name", where, required=True)
    edition = c.number(item, "edition", where, kind=int, minimum=1, maximum=1000)
    length = c.text(item, "length", where)
    length_minutes = c.number(item, "length_minutes", where, kind=int, minimum=1, maximum=MAX_DURATION)
    status = item.get("status", EventStatus.SCHEDULED.value)
    if not isinstance(status, str) or status not in {s.value for s in EventStatus}:
        c.problems.append(
            Problem(
                N_("{where}: must be one of scheduled, postponed, cancelled (found {found})"),
                where=f"{where}.status",
                found=repr(status),
            )
        )
    info_url = c.url(item, "info_url", where)
    watch_url = c.url(item, "watch_url", where)
    source = c.text(item, "source", where, limit=MAX_TEXT)
    notes = c.text(item, "notes", where, limit=MAX_TEXT)
    zone = known.zones.get(circuit or "")
    aliases = _event_aliases(c, item, where)
    sessions = _parse_sessions(c, item.get("sessions", []), where, zone)
    entries = _parse_entries(c, item.get("entries", []), where)
    results = _parse_results(c, item.get("results", []), where)
    if not (key and series and circuit and season and name) or sessions is None:
        return None
    return EventRecord(
        key,
        series,
        circuit,
        season,
        name,
        edition,
        length,
        length_minutes,
        str(status),
        info_url,
        watch_url,
        source,
        notes,
        sessions,
        entries,
        results,
        aliases,
    )


def _event_aliases(c: FieldChecker, item: dict[str, Any], where: str) -> tuple[str, ...]:
    """An event's other names: a list of names, each without '|' (the stored separator)."""
    raw = item.get("aliases", [])
    if (
        not isinstance(raw, list)
        or len(raw) > MAX_EVENT_ALIASES
        or not all(isinstance(a, str) and "|" not in a and len(a) <= MAX_NAME for a in raw)
    ):
        c.problems.append(
            Problem(
                N_(
                    "{where}: must be a list of at most {count} names "
                    "(without '|', each at most {limit} characters)"
                ),
                where=f"{where}.aliases",
                count=MAX_EVENT_ALIASES,
                limit=MAX_NAME,
            )
        )
        return ()
    return tuple(dict.fromkeys(" ".join(a.split()) for a in raw if a.strip()))


def _parse_sessions(
    c: FieldChecker, raw: Any, where: str, zone: str | None
) -> tuple[SessionRecord, ...] | None:
    if not isinstance(raw, list):
        c.problems.append(Problem(MUST_BE_A_LIST, where=f"{where}.sessions"))
        return None
    records: list[SessionRecord] = []
    kinds_seen: dict[str, int] = {}
    for j, item in enumerate(raw):
        at = f"{where}.sessions[{j}]"
        if not c.is_object(item, at):
            continue
        kind = item.get("kind")
        if not isinstance(kind, str) or kind not in {k.value for k in SessionKind}:
            allowed = ", ".join(k.value for k in SessionKind)
            c.problems.append(
                Problem(
                    N_("{where}: must be one of {allowed} (found {found})"),
                    where=f"{at}.kind",
                    allowed=allowed,
                    found=repr(kind),
                )
            )
            continue
        day = read_date(c, item.get("date"), f"{at}.date")
        clock = read_time(c, item.get("time"), f"{at}.time")
        if clock is not None and day is None:
            c.problems.append(Problem(N_("{where}: a time needs a date"), where=f"{at}.time"))
            continue
        duration = c.number(item, "duration_minutes", at, kind=int, minimum=1, maximum=MAX_DURATION)
        notes = c.text(item, "notes", at, limit=MAX_TEXT)
        kinds_seen[kind] = kinds_seen.get(kind, 0) + 1
        key = kind if kinds_seen[kind] == 1 else f"{kind}-{kinds_seen[kind]}"
        if zone is None:
            continue  # the circuit problem is already reported
        try:
            timing = session_timing(day, clock, zone)
        except LocalTimeError as exc:
            c.problems.append(
                Problem(N_("{where}: {problem}"), where=f"{at}.time", problem=time_problem(exc))
            )
            continue
        records.append(SessionRecord(key, kind, *timing, duration, notes))
    return tuple(records)


def _parse_entries(c: FieldChecker, raw: Any, where: str) -> tuple[EntryRecord, ...]:
    if not isinstance(raw, list):
        c.problems.append(Problem(MUST_BE_A_LIST, where=f"{where}.entries"))
        return ()
    records: list[EntryRecord] = []
    for j, item in enumerate(raw):
        at = f"{where}.entries[{j}]"
        if not c.is_object(item, at):
            continue
        numeric = isinstance(item.get("number"), int | float)
        if numeric:
            c.problems.append(
                Problem(N_('{where}: write car numbers as text ("055", not 55)'), where=f"{at}.number")
            )
        number = None if numeric else c.text(item, "number", at, limit=8)
        drivers = item.get("drivers", [])
        if not isinstance(drivers, list) or not all(
            isinstance(d, str) and d.strip() and len(d) <= MAX_NAME for d in drivers
        ):
            c.problems.append(Problem(N_("{where}: must be a list of names"), where=f"{at}.drivers"))
            continue
        if numeric:
            continue
        records.append(
            EntryRecord(
                number,
                c.text(item, "class", at, limit=40),
                c.text(item, "team", at),
                c.text(item, "car", at),
                tuple(d.strip() for d in drivers),
                c.text(item, "source", at, limit=MAX_TEXT),
                c.text(item, "notes", at, limit=MAX_TEXT),
            )
        )
    return tuple(records)


def _parse_results(c: FieldChecker, raw: Any, where: str) -> tuple[ResultRecord, ...]:
    if not isinstance(raw, list):
        c.problems.append(Problem(MUST_BE_A_LIST, where=f"{where}.results"))
        return ()
    records: list[ResultRecord] = []
    for j, item in enumerate(raw):
        at = f"{where}.results[{j}]"
        if not c.is_object(item, at):
            continue
        car_class = c.text(item, "class", at, required=True, limit=40)
        position = c.number(item, "position", at, kind=int, minimum=1, maximum=MAX_POSITION)
        description = c.text(item, "description", at, required=True, limit=300)
        if car_class and position and (car_class, position) in {(r.car_class, r.position) for r in records}:
            c.problems.append(
                Problem(
                    N_("{where}: {car_class} P{position} is listed twice"),
                    where=at,
                    car_class=car_class,
                    position=position,
                )
            )
            continue
        if car_class and position and description:
            records.append(
                ResultRecord(
                    car_class,
                    position,
                    c.text(item, "number", at, limit=8),
                    description,
                    c.text(item, "source", at, limit=MAX_TEXT),
                )
            )
    return tuple(records)
