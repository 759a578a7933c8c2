"""What the CSV and ICS readers share: checked drafts of events, and how they
become a ``Catalog`` through the same ``parse_catalog`` the JSON files go through.

A reader turns each row (or VEVENT) into an ``EventFields`` plus a
``SessionDraft`` and hands them to ``Builder.add``, which groups them by event
key and reports rows that disagree about their event. ``Builder.finish`` then
checks whole events (session keys, duplicates, a race before its qualifying),
builds the ``fanbot-catalog/1`` dict, lets ``parse_catalog`` apply its rules,
and rewrites any problem it finds so that it names the row, not a JSON path.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from typing import Any

from fanbot.calendar_files.catalog import FORMAT, parse_catalog
from fanbot.calendar_files.known import CircuitInfo, KnownCalendar
from fanbot.domain.catalog import Catalog, CatalogError, Problem, SessionRecord, session_timing, time_problem
from fanbot.domain.limits import (
    KEY_PATTERN,
    MAX_DURATION,
    MAX_EVENT_NAME,
    MAX_KEY,
    MAX_URL,
    MAX_YEAR,
    MIN_YEAR,
)
from fanbot.domain.localtime import (
    AmbiguousLocalTime,
    LocalTimeError,
    NonExistentLocalTime,
    local_to_utc,
    to_iso_utc,
)
from fanbot.domain.localtime import zone as pytz_zone
from fanbot.domain.model import GRID_KINDS, EventStatus, SessionKind
from fanbot.i18n import N_

# Derived event keys start with this, so a guild's events never take a catalog key.
DERIVED_KEY_PREFIX = "guild-"


def slug(text: str) -> str:
    """Lowercase ASCII letters, digits and '-': 'São Paulo 6 Hours' -> 'sao-paulo-6-hours'."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def derived_event_key(series: str, season: int, name: str) -> str:
    """The key an event gets when its file does not give one: guild-wec-2027-1812-km-of-qatar."""
    key = f"{DERIVED_KEY_PREFIX}{slug(series)}-{season}-{slug(name)}"
    return key[:MAX_KEY].rstrip("-")


def check_url(value: str) -> str | None:
    """A problem with an info/watch link, or None."""
    if len(value) > MAX_URL:
        return Problem(N_("longer than {limit} characters; use a shorter link"), limit=MAX_URL)
    if not re.match(r"^https?://\S+$", value):
        return Problem(
            N_("{value} is not a web address: write it in full, starting with https://"), value=repr(value)
        )
    return None


def check_event_name(value: str) -> str | None:
    """A problem with an event name (required, at most 100 characters), or None."""
    if not value:
        return Problem(N_("missing: give the event's name, like 24 Hours of Le Mans"))
    if len(value) > MAX_EVENT_NAME:
        return Problem(
            N_("longer than {limit} characters ({length}); shorten the name"),
            limit=MAX_EVENT_NAME,
            length=len(value),
        )
    return None


def check_key(value: str) -> str | None:
    """A problem with an event or session key (the JSON format's key rule), or None."""
    if not KEY_PATTERN.match(value):
        return Problem(
            N_(
                "{value} is not a usable key: use up to {limit} lowercase letters, digits and '-', "
                "starting with a letter or digit"
            ),
            value=repr(value),
            limit=MAX_KEY,
        )
    return None


def check_season(value: int) -> str | None:
    """A problem with a season year, or None."""
    if not MIN_YEAR <= value <= MAX_YEAR:
        return Problem(
            N_("{value} is not a season between {first} and {last}"),
            value=value,
            first=MIN_YEAR,
            last=MAX_YEAR,
        )
    return None


def check_duration(minutes: int) -> str | None:
    """A problem with a duration in minutes, or None."""
    if not 1 <= minutes <= MAX_DURATION:
        return Problem(
            N_("{minutes} minutes: a session lasts from 1 to {limit} minutes (two days)"),
            minutes=minutes,
            limit=MAX_DURATION,
        )
    return None


def ambiguous_message(exc: AmbiguousLocalTime, how_to_choose: str) -> str:
    """Which local time happens twice, both instants it can be, and how to say which."""
    first, second = exc.options
    return Problem(
        N_(
            "{local} happens twice in {zone} (the clocks go back that night): it is either {first} UTC "
            "(the first time) or {second} UTC (an hour later). {how_to_choose}"
        ),
        local=f"{exc.local:%Y-%m-%d %H:%M}",
        zone=exc.zone,
        first=f"{first:%Y-%m-%d %H:%M}",
        second=f"{second:%Y-%m-%d %H:%M}",
        how_to_choose=how_to_choose,
    )


def local_instant(day: date, clock: time, zone_name: str, how_to_choose: str) -> tuple[datetime | None, str]:
    """(instant, "") or (None, problem) for a wall-clock time typed in ``zone_name``."""
    try:
        return local_to_utc(day, clock, zone_name), ""
    except AmbiguousLocalTime as exc:
        return None, ambiguous_message(exc, how_to_choose)
    except NonExistentLocalTime as exc:
        return None, time_problem(exc)
    except LocalTimeError as exc:
        return None, time_problem(exc)


@dataclass
class SessionDraft:
    """One session as read: when it starts, or only its day at the circuit."""

    where: str  # "line 7" / "VEVENT 3 (UID x)": where the moderator finds it
    kind: SessionKind
    # The UTC instant of a timed session; None when the time is TBA.
    instant: datetime | None
    # The day at the circuit for a session whose time is TBA (ignored when timed).
    day: date | None
    duration: int | None = None
    key: str | None = None  # given by a fanbot export; otherwise derived like the JSON parser
    notes: str | None = None


@dataclass(frozen=True)
class EventFields:
    """What every row (or VEVENT) of one event must agree on."""

    key: str
    series: str
    season: int
    name: str
    circuit: CircuitInfo
    status: str = EventStatus.SCHEDULED.value
    info_url: str | None = None
    watch_url: str | None = None


@dataclass
class _EventDraft:
    fields: EventFields
    where: str
    sessions: list[SessionDraft] = field(default_factory=list)


class Builder:
    """Collects drafts and problems; ``finish`` returns a Catalog or raises with every problem."""

    def __init__(self, known: KnownCalendar, source: str, *, noun: str) -> None:
        self.known = known
        self.source = source
        self.noun = noun  # "row" / "VEVENT", for messages
        self.problems: list[str] = []
        self._events: dict[str, _EventDraft] = {}

    def problem(self, where: str, field_name: str | None, message: str) -> None:
        self.problems.append(
            Problem(N_("{where}, {field}: {problem}"), where=where, field=field_name, problem=message)
            if field_name
            else Problem(N_("{where}: {problem}"), where=where, problem=message)
        )

    def add(self, fields: EventFields, session: SessionDraft) -> None:
        """File ``session`` under its event, reporting fields that disagree with earlier rows."""
        draft = self._events.get(fields.key)
        if draft is None:
            self._events[fields.key] = _EventDraft(fields, session.where, [session])
            return
        first = draft.fields
        merged = first
        comparisons: list[tuple[str, object, object]] = [
            ("name", first.name, fields.name),
            ("series", first.series, fields.series),
            ("season", first.season, fields.season),
            ("circuit", first.circuit.key, fields.circuit.key),
            ("status", first.status, fields.status),
        ]
        for name, before, now in comparisons:
            if before != now:
                self._disagree(session.where, name, draft, before, now)
        # A link may be written on one row only; two different links are a mistake.
        for name in ("info_url", "watch_url"):
            before_url, now_url = getattr(first, name), getattr(fields, name)
            if before_url and now_url and before_url != now_url:
                self._disagree(session.where, name, draft, before_url, now_url)
            elif now_url and not before_url:
                merged = replace(merged, **{name: now_url})
        draft.fields = merged
        draft.sessions.append(session)

    def _disagree(self, where: str, name: str, draft: _EventDraft, before: object, now: object) -> None:
        self.problem(
            where,
            name,
            Problem(
                N_(
                    "this {noun} belongs to event {key} (first seen at {first}) but gives {now} where that "
                    "one gave {before}; write the same {field} for every session of an event, or give this "
                    "{noun} its own event key"
                ),
                noun=self.noun,
                key=repr(draft.fields.key),
                first=draft.where,
                now=repr(now),
                before=repr(before),
                field=name,
            ),
        )

    def finish(self) -> Catalog:
        """The checked catalog, or ``CatalogError`` with every problem found."""
        if not self._events and not self.problems:
            self.problems.append(
                Problem(N_("no events found: nothing to import from {source}"), source=self.source)
            )
        records: dict[str, list[SessionRecord]] = {}
        for draft in self._events.values():
            records[draft.fields.key] = self._session_records(draft)
        if self.problems:
            raise CatalogError(self.source, self.problems)
        drafts = list(self._events.values())
        raw = self._raw_catalog(drafts)
        try:
            catalog = parse_catalog(raw, source=self.source)
        except CatalogError as exc:
            raise CatalogError(self.source, [self._locate(p, drafts) for p in exc.problems]) from exc
        # The JSON path types times in the circuit's zone; these files may give an exact
        # instant (UTC, or another zone) that the circuit's wall clock cannot name (the
        # fall-back hour), so the session timings computed here are the ones kept.
        catalog.events = [replace(e, sessions=tuple(records[e.key])) for e in catalog.events]
        return catalog

    # -------------------------------------------------------------- sessions

    def _session_records(self, draft: _EventDraft) -> list[SessionRecord]:
        zone = draft.fields.circuit.timezone
        counts: dict[SessionKind, int] = {}
        seen_keys: dict[str, SessionDraft] = {}
        seen_times: dict[tuple[SessionKind, datetime | date], SessionDraft] = {}
        kept: list[tuple[SessionDraft, SessionRecord]] = []
        for s in draft.sessions:
            # The JSON parser's rule: the kind, then kind-2, kind-3 in file order.
            counts[s.kind] = counts.get(s.kind, 0) + 1
            key = s.key or (s.kind.value if counts[s.kind] == 1 else f"{s.kind.value}-{counts[s.kind]}")
            if not KEY_PATTERN.match(key):
                self.problem(
                    s.where,
                    "session key",
                    Problem(N_("{key} is not a usable session key (like race-2)"), key=repr(key)),
                )
                continue
            if key in seen_keys:
                self.problem(
                    s.where,
                    "session key",
                    Problem(
                        N_("{key} is already used at {where}"), key=repr(key), where=seen_keys[key].where
                    ),
                )
                continue
            seen_keys[key] = s
            when: datetime | date | None = s.instant if s.instant is not None else s.day
            if when is not None and (s.kind, when) in seen_times:
                other = seen_times[(s.kind, when)]
                self.problem(
                    s.where,
                    "session",
                    Problem(
                        N_(
                            "repeats the {kind} at {where} (same event, kind, date and time); "
                            "delete one of them, or correct its date or time"
                        ),
                        kind=s.kind.value,
                        where=other.where,
                    ),
                )
                continue
            if when is not None:
                seen_times[(s.kind, when)] = s
            kept.append((s, _record(s, key, zone)))
        self._check_race_after_grid(kept)
        return [record for _, record in kept]

    def _check_race_after_grid(self, sessions: list[tuple[SessionDraft, SessionRecord]]) -> None:
        grid = [(s, r) for s, r in sessions if r.kind in GRID_KINDS]
        for race_draft, race in sessions:
            if race.kind != SessionKind.RACE:
                continue
            for quali_draft, quali in grid:
                if _comes_before(race, quali):
                    self.problem(
                        race_draft.where,
                        "date",
                        Problem(
                            N_(
                                "the race ({race}) is before the {kind} at {where} ({when}); "
                                "check the dates and times"
                            ),
                            race=_when(race),
                            kind=quali.kind,
                            where=quali_draft.where,
                            when=_when(quali),
                        ),
                    )
                    break

    # ------------------------------------------------------------ JSON path

    def _raw_catalog(self, drafts: list[_EventDraft]) -> dict[str, Any]:
        series = sorted({d.fields.series for d in drafts})
        circuits = {d.fields.circuit.key: d.fields.circuit for d in drafts}
        return {
            "format": FORMAT,
            "series": [{"code": code, "name": self.known.series_names.get(code, code)} for code in series],
            "circuits": [_raw_circuit(c) for c in circuits.values()],
            "events": [_raw_event(d) for d in drafts],
        }

    def _locate(self, problem: str, drafts: list[_EventDraft]) -> str:
        """Name the row behind a ``parse_catalog`` problem instead of its JSON path."""
        path = problem.fields.get("where") if isinstance(problem, Problem) else None
        if isinstance(problem, Problem) and isinstance(path, str) and problem.msgid.startswith("{where}"):
            # The row named in the reader's language, the rest of the problem as it was.
            where = _row_where(path, drafts)
            if where is not None:
                return Problem(problem.msgid, **{**problem.fields, "where": where})
        elif (where := _row_where(problem, drafts)) is not None:
            return where
        if problem.startswith(("series[", "circuits[")):
            return Problem(
                N_("the server's own data is not valid here ({problem}); tell the bot's maintainers"),
                problem=problem,
            )
        return problem


def _row_where(path: str, drafts: list[_EventDraft]) -> Problem | None:
    """``events[0] "name".sessions[1].time`` as the row a person wrote: "line 3, time"."""
    for i, d in enumerate(drafts):
        prefix = f'events[{i}] "{d.fields.name}"'
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix) :]
        match = re.match(r"^\.sessions\[(\d+)\]\.?", rest)
        if match and int(match.group(1)) < len(d.sessions):
            return Problem(
                N_("{where}, {field}"), where=d.sessions[int(match.group(1))].where, field=rest[match.end() :]
            )
        return Problem(
            N_("{where} (event {key}){field}"),
            where=d.where,
            key=repr(d.fields.key),
            field=rest.replace(".", ", ", 1),
        )
    return None


def _comes_before(race: SessionRecord, quali: SessionRecord) -> bool:
    if race.start_at and quali.start_at:
        return race.start_at < quali.start_at
    # A session whose time is TBA is only known to the day: compare days.
    return bool(race.local_date and quali.local_date and race.local_date < quali.local_date)


def _when(record: SessionRecord) -> str:
    if record.start_at:
        return record.start_at.replace("T", " ").replace(":00Z", " UTC")
    if record.local_date:
        return Problem(N_("{day}, time TBA"), day=record.local_date)
    return Problem(N_("no date"))


def _record(s: SessionDraft, key: str, zone: str) -> SessionRecord:
    if s.instant is None:
        start, day, sort_at = session_timing(s.day, None, zone)
        return SessionRecord(key, s.kind.value, start, day, sort_at, s.duration, s.notes)
    start = to_iso_utc(s.instant)
    local_day = s.instant.astimezone(pytz_zone(zone)).date().isoformat()
    return SessionRecord(key, s.kind.value, start, local_day, start, s.duration, s.notes)


def _raw_circuit(c: CircuitInfo) -> dict[str, Any]:
    return {
        "key": c.key,
        "name": c.name,
        "timezone": c.timezone,
        "aliases": list(c.aliases),
        "location": c.location,
        "country": c.country,
        "length_km": c.length_km,
        "turns": c.turns,
        "source": c.source,
        "notes": c.notes,
    }


def _raw_event(d: _EventDraft) -> dict[str, Any]:
    f = d.fields
    return {
        "key": f.key,
        "series": f.series,
        "season": f.season,
        "circuit": f.circuit.key,
        "name": f.name,
        "status": f.status,
        "info_url": f.info_url,
        "watch_url": f.watch_url,
        "sessions": [_raw_session(s, f.circuit.timezone) for s in d.sessions],
    }


def _raw_session(s: SessionDraft, zone: str) -> dict[str, Any]:
    """The session as the JSON format writes it: date and wall-clock time at the circuit."""
    day, clock = s.day, None
    if s.instant is not None:
        local = s.instant.astimezone(pytz_zone(zone))
        day = local.date()
        # Only a wall-clock time that names exactly this instant can be written in
        # the JSON form; otherwise the date alone goes through (the exact timing
        # replaces it in ``finish``).
        try:
            if local_to_utc(day, time(local.hour, local.minute), zone) == s.instant.astimezone(UTC):
                clock = f"{local:%H:%M}"
        except LocalTimeError:
            clock = None
    return {
        "kind": s.kind.value,
        "date": day.isoformat() if day else None,
        "time": clock,
        "duration_minutes": s.duration,
        "notes": s.notes,
    }
