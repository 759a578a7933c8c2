"""What moderators ask for: their guild's events, sessions, line-ups and results.

Each change is read and checked in two steps. ``plan_*`` turns what was typed
into a plan (an event as it would be, with the warnings worth a second look)
without writing anything: the adapter shows it as a preview. ``commit_*``
writes the plan once the moderator confirmed it, re-checking in the same
transaction that the event is still the one previewed. Changes that move no
time (entries, results, a circuit) are written at once, with the same checks.

Every failure is an ``AnswerError`` that says what was wrong and how to write
it; nothing here knows Discord.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import pytz

from fanbot.answers.context import Asker, chosen_id
from fanbot.answers.errors import WHAT_CIRCUIT, WHAT_EVENT, WHAT_SERIES, AnswerError, NotFound
from fanbot.answers.lookup import MATCH_SCORE, NameIndex, fold_name
from fanbot.calendar_files import (
    HEADER_LINE,
    KnownCalendar,
    derived_event_key,
    events_to_ics,
    parse_events_csv,
    parse_events_ics,
)
from fanbot.calendar_files.build import slug
from fanbot.calendar_files.catalog import NESTED_TOO_DEEPLY, parse_catalog
from fanbot.domain.catalog import (
    Catalog,
    CatalogError,
    CircuitRecord,
    EntryRecord,
    Problem,
    ResultRecord,
    SessionRecord,
    render_problem,
    session_timing,
)
from fanbot.domain.folding import fold
from fanbot.domain.labels import SESSION_KIND
from fanbot.domain.limits import (
    FAR_AHEAD,
    IMPORT_MAX_BYTES,
    LONG_AGO,
    MAX_ALIAS,
    MAX_ALIASES,
    MAX_CAR,
    MAX_CIRCUIT_NAME,
    MAX_CLASS,
    MAX_DESCRIPTION,
    MAX_DRIVER,
    MAX_DRIVERS,
    MAX_DURATION,
    MAX_EVENT_NAME,
    MAX_LENGTH_TEXT,
    MAX_NOTES,
    MAX_NUMBER,
    MAX_PLACE,
    MAX_SESSIONS,
    MAX_TEAM,
    MAX_URL,
)
from fanbot.domain.localtime import (
    AmbiguousLocalTime,
    LocalTimeError,
    NonExistentLocalTime,
    is_known_zone,
    local_to_utc,
    parse_local,
    to_iso_utc,
    utc_to_local,
)
from fanbot.domain.model import Circuit, Entry, Event, EventStatus, Result, Series, Session, SessionKind
from fanbot.i18n import N_, Translate
from fanbot.store import AuditEntry, DuplicateKey, EventWrite, NotOwned, Scope, StaleVersion, Store

# Typed in an optional text option to empty it.
CLEAR_WORDS = {"-", "none", "aucun", "aucune"}

# Sessions that decide the grid: the race may not come before them.
GRID_KINDS = (SessionKind.QUALIFYING, SessionKind.HYPERPOLE)

STATUS_LABEL = N_("Status")
WHAT_SESSION = N_("session")
WHAT_CAR = N_("car")
WHAT_RESULT = N_("result")

ACTIONS = {
    "event.add": N_("event added"),
    "event.edit": N_("event edited"),
    "event.postpone": N_("event postponed"),
    "event.cancel": N_("event cancelled"),
    "event.remove": N_("event removed"),
    "event.import": N_("event imported"),
    "event.import-update": N_("event updated by an import"),
    "session.add": N_("session added"),
    "session.edit": N_("session changed"),
    "session.remove": N_("session removed"),
    "entry.add": N_("entry added"),
    "entry.edit": N_("entry changed"),
    "entry.remove": N_("entry removed"),
    "result.set": N_("result recorded"),
    "result.remove": N_("result removed"),
    "circuit.add": N_("circuit added"),
    "settings.moderator-role": N_("moderator role set"),
}


# ---------------------------------------------------------------------------- errors


class CatalogEventRefused(AnswerError):
    message = N_(
        "{name} belongs to the shared catalog, which servers cannot change. Add this server's own "
        "events with /event add."
    )


# What a text option is called in messages, in the reader's language.
OPTION_LABELS = {
    "name": N_("name"),
    "length": N_("length"),
    "notes": N_("notes"),
    "class": N_("class"),
    "team": N_("team"),
    "car": N_("car"),
    "description": N_("description"),
    "location": N_("location"),
    "country": N_("country"),
    "aliases": N_("aliases"),
    "timezone": N_("time zone"),
}


class _OptionProblem(AnswerError):
    def render(self, tr: Translate) -> str:
        option = str(self.fields["option"])
        return tr(self.message, **{**self.fields, "option": tr(OPTION_LABELS.get(option, option))})


class TooLong(_OptionProblem):
    message = N_("The {option} is too long ({length} characters): at most {limit}, please.")


class Missing(_OptionProblem):
    message = N_("The {option} cannot be empty.")


class BadUrl(AnswerError):
    message = N_(
        "“{value}” is not a web address: write it in full, starting with https:// (at most {limit} "
        "characters), or - to remove it."
    )


class BadZone(AnswerError):
    message = N_("“{zone}” is not an IANA time zone. Write it like Europe/Paris or America/New_York.")

    def __init__(self, zone: str) -> None:
        close = difflib.get_close_matches(zone, pytz.common_timezones, n=1, cutoff=0.6)
        self.hint = close[0] if close else None
        super().__init__(zone=zone)

    def render(self, tr: Translate) -> str:
        text = super().render(tr)
        if self.hint:
            text += " " + tr("Did you mean: {names}?", names=self.hint)
        return text


class BadTime(AnswerError):
    message = N_(
        "Could not read “{text}” as a date and time. Write the circuit's local time like "
        "2027-01-23 13:40 or 23/01/2027 1:40pm, or only the date (2027-01-23) when the time "
        "is not announced yet."
    )


class NoSuchLocalTime(AnswerError):
    message = N_(
        "{local} does not exist at {circuit} ({zone}): the clocks jump forward that night. "
        "Check the time in the organiser's schedule."
    )


class TwiceLocalTime(AnswerError):
    message = N_(
        "{local} happens twice at {circuit} ({zone}): the clocks go back that night. Type one "
        "of these instead: “{first}” (the first time, {first_utc} UTC) or “{second}” (an hour "
        "later, {second_utc} UTC)."
    )

    def __init__(self, exc: AmbiguousLocalTime, circuit: str) -> None:
        tz = pytz.timezone(exc.zone)
        first, second = exc.options
        self.options = exc.options
        super().__init__(
            local=f"{exc.local:%Y-%m-%d %H:%M}",
            circuit=circuit,
            zone=exc.zone,
            first=f"{exc.local:%Y-%m-%d %H:%M} {_offset(first.astimezone(tz))}",
            second=f"{exc.local:%Y-%m-%d %H:%M} {_offset(second.astimezone(tz))}",
            first_utc=f"{first:%H:%M}",
            second_utc=f"{second:%H:%M}",
        )


class BadDuration(AnswerError):
    message = N_(
        "“{text}” is not a duration: write minutes (360) or hours and minutes (6h, 1h30, 90m), "
        "from 1 minute to 48 hours."
    )


class RaceBeforeGrid(AnswerError):
    message = N_(
        "The race ({race}) would come before the {session} ({other}). Check the dates and times; "
        "times are the circuit's local time."
    )


class DuplicateEvent(AnswerError):
    message = N_(
        "{name} is already on this server's calendar ({existing}). Change it with /event edit "
        "instead of adding it again."
    )


class DuplicateSession(AnswerError):
    message = N_("{event} already has a {session} at that time.")


class DuplicateCircuit(AnswerError):
    message = N_("A circuit called {name} is already known ({existing}): use it by that name.")


class UnknownCircuit(NotFound):
    """No circuit by that name: the suggestions, and how to add one."""

    def __init__(self, query: str, suggestions: list[str]) -> None:
        super().__init__(WHAT_CIRCUIT, query, suggestions)

    def render(self, tr: Translate) -> str:
        return (
            super().render(tr)
            + " "
            + tr(
                "A circuit fanbot does not know yet can be added with /calendar add-circuit and its "
                "time zone, for example timezone:Europe/Paris."
            )
        )


class ChangedMeanwhile(AnswerError):
    message = N_(
        "{name} was changed by someone else after this preview was made, so nothing was saved. "
        "Here it is as it is now: run the command again."
    )

    def __init__(self, name: str, current: Event) -> None:
        self.current = current
        super().__init__(name=name)


class RemovedMeanwhile(AnswerError):
    message = N_("{name} was removed by someone else after this preview was made; nothing was saved.")


class NothingToChange(AnswerError):
    message = N_("Nothing to change: give at least one option besides the event.")


class TooManySessions(AnswerError):
    message = N_("{event} already has {count} sessions, the most an event can have.")


class BadCarNumber(AnswerError):
    message = N_("“{number}” is not a car number: use up to 8 letters or digits, like 6, 055 or 7A.")


class DuplicateCar(AnswerError):
    message = N_("Car #{number} is already on the entry list of {event}: change it with /entry edit.")


class BadDrivers(AnswerError):
    message = N_(
        "Give the drivers separated by commas, like “A. Driver, B. Driver”: at most {count} drivers "
        "of at most {limit} characters each, each named once."
    )


class ResultTooEarly(AnswerError):
    message = N_("The race of {event} has not started yet: record results once it has.")


class ResultNeedsDescription(AnswerError):
    message = N_(
        "Say who finished there: give a description, or the number of a car on the entry list "
        "(its team, car and drivers are then used)."
    )


class BadPosition(AnswerError):
    message = N_("A position is a whole number from 1 to 500.")


class FileTooBig(AnswerError):
    message = N_("{name} is {size} KB: files up to {limit} KB can be imported. Split it into several files.")


class FileKindUnknown(AnswerError):
    message = N_(
        "{name} is not a calendar file fanbot reads: send a .csv whose first line is {header}, an .ics "
        "(iCalendar) or a .json file in fanbot's catalog format."
    )


class FileNotText(AnswerError):
    message = N_("{name} is not UTF-8 text: save it again as UTF-8 (CSV UTF-8 in spreadsheets).")


class ImportRefused(AnswerError):
    """A file with problems: nothing is imported, every problem is listed."""

    message = N_("Nothing was imported from {name}: fix these problems and send the file again.")

    def __init__(self, name: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(name=name)

    def shown_problems(self, tr: Translate) -> list[str]:
        """Every problem in the reader's language."""
        return [str(render_problem(p, tr)) for p in self.problems]

    def render(self, tr: Translate) -> str:
        return super().render(tr) + "\n" + "\n".join(f"• {p}" for p in self.shown_problems(tr))


class NothingToExport(AnswerError):
    message = N_("There are no events to export here.")


class EveryoneRole(AnswerError):
    message = N_("@everyone cannot be the moderator role: that would make every member a moderator.")


# ---------------------------------------------------------------------------- view models


@dataclass(frozen=True)
class Notice:
    """A warning shown in a preview; a session in ``fields`` is shown by its translated name."""

    message: str
    fields: dict[str, Any] = field(default_factory=dict)
    # A likely mistake to look at (the button then says "Confirm anyway"), not just information.
    check: bool = True
    # What the confirm button says instead when this notice is shown (a msgid).
    confirm_label: str | None = None

    def render(self, tr: Translate) -> str:
        values = {
            k: session_name(v, tr) if isinstance(v, PlannedSession) else v for k, v in self.fields.items()
        }
        return tr(self.message, **values)


@dataclass(frozen=True)
class PlannedSession:
    key: str
    kind: SessionKind
    start: datetime | None
    local_date: date | None
    duration: int | None
    notes: str | None = None
    was: Session | None = None  # the session as it is now (None: a new one)

    @property
    def changed(self) -> bool:
        w = self.was
        return w is None or (w.start, w.local_date, w.duration_minutes, w.notes) != (
            self.start,
            self.local_date,
            self.duration,
            self.notes,
        )

    def record(self, zone: str) -> SessionRecord:
        if self.start is not None:
            start = to_iso_utc(self.start)
            local_day = utc_to_local(self.start, zone).date().isoformat()
            return SessionRecord(
                self.key, self.kind.value, start, local_day, start, self.duration, self.notes
            )
        start_at, day, sort_at = session_timing(self.local_date, None, zone)
        return SessionRecord(self.key, self.kind.value, start_at, day, sort_at, self.duration, self.notes)


@dataclass(frozen=True)
class Change:
    """One field a plan changes: its label (a msgid) and both values as text."""

    label: str
    before: str
    after: str
    session: bool = False  # the label is a session key ("practice-2"), not a msgid


@dataclass(frozen=True)
class EventPlan:
    """An event as it would be after the change, for the preview and the commit."""

    action: str  # a key of ACTIONS
    before: Event | None  # None when adding
    version: int | None  # the version of ``before`` the preview shows; the commit insists on it
    key: str
    series: Series
    circuit: Circuit
    season: int
    name: str
    length: str | None
    status: EventStatus
    info_url: str | None
    watch_url: str | None
    sessions: tuple[PlannedSession, ...]
    removed_sessions: tuple[Session, ...] = ()
    changes: tuple[Change, ...] = ()
    warnings: tuple[Notice, ...] = ()

    @property
    def removing(self) -> bool:
        return self.action == "event.remove"

    @property
    def zone(self) -> str:
        return self.circuit.timezone

    def write(self) -> EventWrite:
        return EventWrite(
            key=self.key,
            series=self.series.code,
            circuit_id=self.circuit.id,
            season=self.season,
            name=self.name,
            length=self.length,
            status=self.status.value,
            info_url=self.info_url,
            watch_url=self.watch_url,
            sessions=tuple(s.record(self.zone) for s in self.sessions),
        )

    @property
    def moves_times(self) -> bool:
        """Whether reminders may be affected: a time, the status, or the event itself."""
        return self.before is not None and (
            self.removing
            or self.status != self.before.status
            or bool(self.removed_sessions)
            or any(s.changed for s in self.sessions)
        )


@dataclass(frozen=True)
class EntryRemoval:
    event: Event
    version: int
    entry: Entry


@dataclass(frozen=True)
class ResultRemoval:
    event: Event
    version: int
    result: Result


@dataclass(frozen=True)
class ImportPlan:
    filename: str
    catalog: Catalog
    versions: dict[str, int]
    new: tuple[str, ...]  # names of events the file adds
    changed: tuple[str, ...]  # names of the guild's events it changes
    unchanged: int
    circuits_new: int


@dataclass(frozen=True)
class ImportDone:
    plan: ImportPlan
    before: tuple[Event, ...]  # the changed events as they were
    after: tuple[Event, ...]  # the new and changed events as they are now


@dataclass(frozen=True)
class HistoryLine:
    entry: AuditEntry
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class History:
    name: str
    lines: tuple[HistoryLine, ...]


@dataclass(frozen=True)
class ExportFile:
    filename: str
    data: bytes
    events: int


# ---------------------------------------------------------------------------- reading options


def session_name(session: PlannedSession | Session, tr: Translate) -> str:
    """ "Race", "Practice 2" (from the key practice-2)."""
    repeat = re.search(r"-(\d+)$", session.key)
    return tr(SESSION_KIND[session.kind]) + (f" {repeat[1]}" if repeat else "")


def _offset(local: datetime) -> str:
    text = local.strftime("%z")
    return f"{text[:3]}:{text[3:]}"


def _cleared(text: str | None) -> bool:
    return text is not None and text.strip().lower() in CLEAR_WORDS


def read_text(text: str | None, option: str, limit: int, *, required: bool = False) -> str | None:
    """A free-text option, trimmed; over-long text is refused (it would not fit an answer)."""
    if text is None:
        return None
    value = " ".join(text.split())
    if not value:
        if required:
            raise Missing(option=option)
        return None
    if len(value) > limit:
        raise TooLong(option=option, length=len(value), limit=limit)
    return value


def read_url(text: str | None) -> str | None:
    if text is None or _cleared(text):
        return None
    value = text.strip()
    if len(value) > MAX_URL or not re.match(r"^https?://[^\s/$.?#][^\s]*$", value, re.IGNORECASE):
        raise BadUrl(value=value[:100], limit=MAX_URL)
    return value


def read_zone(text: str | None, default: str) -> str:
    """The zone typed times are read in: the option's, else the circuit's."""
    if text is None or not text.strip():
        return default
    zone = text.strip()
    if len(zone) > 64 or not is_known_zone(zone):
        raise BadZone(zone[:64])
    return str(pytz.timezone(zone).zone)


def read_duration(text: str | None) -> int | None:
    """Minutes from "360", "6h", "1h30", "90m", "6 hours"."""
    if text is None or not text.strip():
        return None
    cleaned = text.strip().lower()
    match = re.fullmatch(
        r"(?:(\d{1,3})\s*(?:h|hr|hrs|hours?|heures?))?\s*(?:(\d{1,4})\s*(?:m|min|mins|minutes?)?)?", cleaned
    )
    if not match or not (match[1] or match[2]):
        raise BadDuration(text=text.strip()[:40])
    minutes = int(match[1] or 0) * 60 + int(match[2] or 0)
    if not 1 <= minutes <= MAX_DURATION:
        raise BadDuration(text=text.strip()[:40])
    return minutes


# Something that says a time of day was typed ("13:40", "13h40", "16h", "1:40pm", "...T13").
_CLOCK = re.compile(r"\d\s*[:h]\s*\d{2}|\d\s*h\b|\d\s*[ap]\.?\s*m\b|\dT\d", re.IGNORECASE)
_TBA = re.compile(r"[\s,]+(tba|tbc|tbd)\.?$", re.IGNORECASE)


@dataclass(frozen=True)
class When:
    """A typed time: an instant, or only the day at the circuit (time TBA)."""

    start: datetime | None
    day: date | None


def read_when(text: str, zone: str, circuit_name: str) -> When:
    """What a moderator typed for a session, read on the circuit's clocks.

    "2027-06-12 16:00", "12/06/2027 4pm", an explicit offset ("2027-10-31 02:30
    +01:00") or only a date ("2027-06-12", "2027-06-12 TBA"): the time is then
    not announced. A local time the clocks skip or repeat is refused with what
    to type instead, never shifted.
    """
    cleaned = _TBA.sub("", text.strip())
    if not cleaned or len(cleaned) > 60:
        raise BadTime(text=text.strip()[:60])
    try:
        if not _CLOCK.search(cleaned):
            # Only a date: read it (at midnight UTC, so no zone rule can interfere).
            day_only = parse_local(cleaned, "UTC")
            if day_only.time() == time(0, 0):
                return When(None, day_only.date())
        start = parse_local(cleaned, zone)
    except AmbiguousLocalTime as exc:
        raise TwiceLocalTime(exc, circuit_name) from exc
    except NonExistentLocalTime as exc:
        raise NoSuchLocalTime(local=f"{exc.local:%Y-%m-%d %H:%M}", circuit=circuit_name, zone=zone) from exc
    except LocalTimeError as exc:
        raise BadTime(text=text.strip()[:60]) from exc
    return When(start, utc_to_local(start, zone).date())


def read_car_number(text: str) -> str:
    number = text.strip().removeprefix("#").strip()
    if not re.fullmatch(rf"[0-9A-Za-z]{{1,{MAX_NUMBER}}}", number):
        raise BadCarNumber(number=text.strip()[:20])
    return number


def read_drivers(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    if _cleared(text):
        return ()
    names = [" ".join(part.split()) for part in re.split(r"[,;]", text)]
    names = [n for n in names if n]
    if (
        not names
        or len(names) > MAX_DRIVERS
        or any(len(n) > MAX_DRIVER for n in names)
        or len({fold(n) for n in names}) != len(names)
    ):
        raise BadDrivers(count=MAX_DRIVERS, limit=MAX_DRIVER)
    return tuple(names)


# ---------------------------------------------------------------------------- finding things


async def _own_event_index(asker: Asker) -> NameIndex[object]:
    """Fuzzy index of the guild's own events, kept with the fans' indexes (``Lookups``)
    until the guild's names change."""
    guild = _guild(asker)

    async def build() -> NameIndex[object]:
        items: list[tuple[str, object, list[str]]] = []
        # Most recent first, as in the fans' lookup: suggestions name the latest first.
        for e in reversed(await asker.store.own_events(guild)):
            terms = [e.name, f"{e.name} {e.season}", e.key, f"{e.circuit.name} {e.season}"]
            items.append((f"{e.display_name} · {e.series.code}"[:100], e.id, terms))
        return NameIndex.build(items)

    return await asker.lookups.remember(
        ("moderation-events", guild), await asker.store.change_token(guild), build
    )


def _pick(index: NameIndex[object], text: str) -> object | None:
    """The one candidate ``text`` means, stricter than the fans' lookup: a change must not
    land on the wrong event, so a near tie between two names is no match at all."""
    wanted = chosen_id(text)
    if wanted is not None:
        return wanted
    folded = fold_name(text)  # as the index folds its names
    exact = [c for c in index.candidates if folded in c.terms or text == c.label]
    if len(exact) == 1:
        return exact[0].value
    ranked = index.ranked(text, limit=2)
    if (
        not exact
        and ranked
        and ranked[0][1] >= MATCH_SCORE
        and (len(ranked) == 1 or ranked[0][1] > ranked[1][1])
    ):
        return ranked[0][0].value
    return None


async def resolve_own_event(asker: Asker, text: str) -> Event:
    """The guild's own event ``text`` names; a catalog event is refused by name."""
    guild = asker.scope.guild_id
    index = await _own_event_index(asker)
    wanted = _pick(index, text)
    event = await asker.store.event(asker.scope, int(str(wanted))) if wanted is not None else None
    if event is None:
        shared = _pick(await asker.lookups.events(asker.scope), text)
        other = await asker.store.event(asker.scope, int(str(shared))) if shared is not None else None
        if other is not None and other.guild_id is None:
            raise CatalogEventRefused(name=other.display_name)
        raise NotFound(WHAT_EVENT, text, index.suggestions(text))
    if event.guild_id != guild:
        raise CatalogEventRefused(name=event.display_name)
    return event


async def own_event_with_version(asker: Asker, text: str) -> tuple[Event, int]:
    """The guild's own event and its version, read in that order: should the event change in
    between, the commit sees a newer version and refuses, rather than overwrite the change."""
    found = await resolve_own_event(asker, text)
    version = await asker.store.editing.version(_guild(asker), found.id)
    again = await asker.store.event(asker.scope, found.id)
    if version is None or again is None:
        raise RemovedMeanwhile(name=found.display_name)
    return again, version


async def own_event_choices(asker: Asker, typed: str, limit: int = 25) -> list[tuple[str, int]]:
    """(label, event id) of the guild's own events, for autocomplete."""
    index = await _own_event_index(asker)
    return [(c.label, int(str(c.value))) for c in index.choices(typed, limit)]


async def resolve_circuit(asker: Asker, text: str) -> Circuit:
    try:
        return await asker.resolve_circuit(text)
    except NotFound as exc:
        raise UnknownCircuit(text, exc.suggestions) from exc


async def resolve_series(asker: Asker, text: str) -> Series:
    found = await asker.resolve_series(text)
    if found is None:
        raise NotFound(WHAT_SERIES, text, [s.code for s in await asker.store.series()])
    return found


def find_session(event: Event, text: str) -> Session:
    """A session of ``event`` by key ("practice-2"), label ("Practice 2") or kind ("race")."""
    wanted = text.strip().lower()
    by_key = {s.key: s for s in event.sessions}
    if wanted in by_key:
        return by_key[wanted]
    slugged = slug(wanted)
    candidates = [s for s in event.sessions if slug(s.key.replace("-", " ")) == slugged or s.key == slugged]
    if not candidates:
        labels = {s.key: s for s in event.sessions}
        # "practice 2" -> "practice-2"; "warm-up" -> "warmup"
        candidates = [labels[k] for k in (slugged, slugged.replace("-", "")) if k in labels]
    if len(candidates) == 1:
        return candidates[0]
    raise NotFound(WHAT_SESSION, text, [s.key for s in event.sessions])


# ---------------------------------------------------------------------------- checks


def _local_text(instant: datetime, zone: str) -> str:
    return f"{utc_to_local(instant, zone):%Y-%m-%d %H:%M %Z}"


def _when_text(s: PlannedSession | Session, zone: str) -> str:
    start = s.start
    day = s.local_date
    if start is not None:
        return _local_text(start, zone)
    return f"{day:%Y-%m-%d}, time TBA" if day else "date TBA"


def check_race_after_grid(sessions: tuple[PlannedSession, ...], zone: str) -> None:
    for race in (s for s in sessions if s.kind is SessionKind.RACE):
        for grid in (s for s in sessions if s.kind in GRID_KINDS):
            if race.start is not None and grid.start is not None:
                early = race.start < grid.start
            else:
                early = bool(race.local_date and grid.local_date and race.local_date < grid.local_date)
            if early:
                raise RaceBeforeGridError(race, grid, zone)


class RaceBeforeGridError(RaceBeforeGrid):
    def __init__(self, race: PlannedSession, grid: PlannedSession, zone: str) -> None:
        self.grid = grid
        super().__init__(race=_when_text(race, zone), session=grid, other=_when_text(grid, zone))

    def render(self, tr: Translate) -> str:
        fields = dict(self.fields)
        fields["session"] = session_name(self.grid, tr)
        return tr(self.message, **fields)


def date_warnings(sessions: tuple[PlannedSession, ...], now: datetime, zone: str) -> tuple[Notice, ...]:
    """Sessions more than three years ahead or more than a year ago: probably a typo in the year."""
    notices: list[Notice] = []
    for s in sessions:
        if not s.changed:
            continue
        moment = s.start or (local_to_utc(s.local_date, time(12, 0), "UTC") if s.local_date else None)
        if moment is None:
            continue
        if moment - now > FAR_AHEAD:
            notices.append(
                Notice(
                    N_("{session} is more than three years away ({when}): is the year right?"),
                    {"session": s, "when": _when_text(s, zone)},
                )
            )
        elif now - moment > LONG_AGO:
            notices.append(
                Notice(
                    N_("{session} was more than a year ago ({when}): is the year right?"),
                    {"session": s, "when": _when_text(s, zone)},
                )
            )
    return tuple(notices)


async def _check_not_duplicate(asker: Asker, plan: EventPlan) -> tuple[Notice, ...]:
    """A new event must not repeat one the guild sees (its own or the catalog's): the same
    key or name is refused. One of another name at the same circuit, series and race day
    is only a warning: double-header weekends hold two races."""
    notices: list[Notice] = []
    for e in await asker.store.events(asker.scope, series=plan.series.code, season=plan.season):
        if plan.before is not None and e.id == plan.before.id:
            continue
        same_key = e.guild_id is not None and e.key == plan.key
        same_name = fold(e.name) == fold(plan.name)
        if same_key or same_name:
            raise DuplicateEvent(name=plan.name, existing=e.display_name)
        race = next((s for s in plan.sessions if s.kind is SessionKind.RACE), None)
        if (
            race is not None
            and race.local_date is not None
            and e.circuit.id == plan.circuit.id
            and e.race is not None
            and e.race.local_date == race.local_date
        ):
            notices.append(
                Notice(
                    N_(
                        "{existing} is at the same circuit on the same day. Add this one too only "
                        "if it is another race (a double-header), not the same one renamed."
                    ),
                    {"existing": e.display_name},
                    confirm_label=N_("Add anyway"),
                )
            )
    return tuple(notices)


# ---------------------------------------------------------------------------- events


def _next_key(kind: SessionKind, taken: set[str]) -> str:
    if kind.value not in taken:
        return kind.value
    n = 2
    while f"{kind.value}-{n}" in taken:
        n += 1
    return f"{kind.value}-{n}"


def _set_session(
    sessions: list[PlannedSession], kind: SessionKind, when: When, duration: int | None = None
) -> None:
    """Move the first session of ``kind`` (the last race), or add one if there is none."""
    same = [i for i, s in enumerate(sessions) if s.kind is kind]
    if same:
        i = same[-1] if kind is SessionKind.RACE else same[0]
        sessions[i] = replace(
            sessions[i],
            start=when.start,
            local_date=when.day,
            duration=duration if duration is not None else sessions[i].duration,
        )
    else:
        key = _next_key(kind, {s.key for s in sessions})
        sessions.append(PlannedSession(key, kind, when.start, when.day, duration))


def _ordered(sessions: list[PlannedSession]) -> tuple[PlannedSession, ...]:
    def moment(s: PlannedSession) -> tuple[int, str]:
        if s.start is not None:
            return (0, to_iso_utc(s.start))
        if s.local_date is not None:
            return (0, s.local_date.isoformat())
        return (1, s.key)

    return tuple(sorted(sessions, key=moment))


def _planned(event: Event) -> list[PlannedSession]:
    return [
        PlannedSession(s.key, s.kind, s.start, s.local_date, s.duration_minutes, s.notes, was=s)
        for s in event.sessions
    ]


async def plan_event_add(
    asker: Asker,
    *,
    name: str,
    series: str,
    circuit: str,
    race: str,
    qualifying: str | None = None,
    practice: str | None = None,
    duration: str | None = None,
    season: int | None = None,
    info_url: str | None = None,
    watch_url: str | None = None,
    timezone: str | None = None,
) -> EventPlan:
    """A new guild event with its practice, qualifying and race, read in the circuit's time."""
    event_name = read_text(name, "name", MAX_EVENT_NAME, required=True)
    assert event_name is not None
    found_series = await resolve_series(asker, series)
    found_circuit = await resolve_circuit(asker, circuit)
    zone = read_zone(timezone, found_circuit.timezone)
    minutes = read_duration(duration)
    info, watch = read_url(info_url), read_url(watch_url)
    sessions: list[PlannedSession] = []
    for kind, text in ((SessionKind.PRACTICE, practice), (SessionKind.QUALIFYING, qualifying)):
        if text:
            _set_session(sessions, kind, read_when(text, zone, found_circuit.name))
    race_when = read_when(race, zone, found_circuit.name)
    _set_session(sessions, SessionKind.RACE, race_when, minutes)
    ordered = _ordered(sessions)
    check_race_after_grid(ordered, found_circuit.timezone)
    year = season or (race_when.day.year if race_when.day else asker.now.year)
    plan = EventPlan(
        action="event.add",
        before=None,
        version=None,
        key=derived_event_key(found_series.code, year, event_name),
        series=found_series,
        circuit=found_circuit,
        season=year,
        name=event_name,
        length=None,
        status=EventStatus.SCHEDULED,
        info_url=info,
        watch_url=watch,
        sessions=ordered,
        warnings=date_warnings(ordered, asker.now, found_circuit.timezone),
    )
    same_day = await _check_not_duplicate(asker, plan)
    return replace(plan, warnings=(*same_day, *plan.warnings))


async def plan_event_edit(
    asker: Asker,
    *,
    event: str,
    name: str | None = None,
    series: str | None = None,
    circuit: str | None = None,
    race: str | None = None,
    qualifying: str | None = None,
    practice: str | None = None,
    duration: str | None = None,
    season: int | None = None,
    length: str | None = None,
    status: str | None = None,
    info_url: str | None = None,
    watch_url: str | None = None,
    timezone: str | None = None,
) -> EventPlan:
    """Any field of a guild event, a session's time included; unchanged fields stay."""
    before, version = await own_event_with_version(asker, event)
    given = (
        name,
        series,
        circuit,
        race,
        qualifying,
        practice,
        duration,
        season,
        length,
        status,
        info_url,
        watch_url,
    )
    if all(v is None for v in given):
        raise NothingToChange()
    new_circuit = await resolve_circuit(asker, circuit) if circuit else before.circuit
    zone = read_zone(timezone, new_circuit.timezone)
    sessions = _planned(before)
    if circuit and new_circuit.timezone != before.circuit.timezone:
        # Instants stay as they are; their day at the (new) circuit may differ.
        sessions = [
            replace(s, local_date=utc_to_local(s.start, new_circuit.timezone).date()) if s.start else s
            for s in sessions
        ]
    minutes = read_duration(duration)
    for kind, text in (
        (SessionKind.PRACTICE, practice),
        (SessionKind.QUALIFYING, qualifying),
        (SessionKind.RACE, race),
    ):
        if text:
            _set_session(sessions, kind, read_when(text, zone, new_circuit.name))
    if minutes is not None:
        if not any(s.kind is SessionKind.RACE for s in sessions):
            raise NotFound(WHAT_SESSION, "race", [s.key for s in sessions])
        races = [i for i, s in enumerate(sessions) if s.kind is SessionKind.RACE]
        sessions[races[-1]] = replace(sessions[races[-1]], duration=minutes)
    ordered = _ordered(sessions)
    check_race_after_grid(ordered, new_circuit.timezone)
    plan = EventPlan(
        action="event.edit",
        before=before,
        version=version,
        key=before.key,
        series=await resolve_series(asker, series) if series else before.series,
        circuit=new_circuit,
        season=season or before.season,
        name=(read_text(name, "name", MAX_EVENT_NAME, required=True) or before.name) if name else before.name,
        length=None if _cleared(length) else (read_text(length, "length", MAX_LENGTH_TEXT) or before.length),
        status=EventStatus(status) if status else before.status,
        info_url=read_url(info_url) if info_url is not None else before.info_url,
        watch_url=read_url(watch_url) if watch_url is not None else before.watch_url,
        sessions=ordered,
    )
    plan = replace(
        plan,
        changes=_field_changes(before, plan),
        warnings=date_warnings(ordered, asker.now, new_circuit.timezone),
    )
    if plan.name != before.name or plan.series != before.series or plan.season != before.season:
        same_day = await _check_not_duplicate(asker, plan)
        plan = replace(plan, warnings=(*same_day, *plan.warnings))
    if not plan.changes and not any(s.changed for s in plan.sessions):
        raise NothingToChange()
    return plan


def _field_changes(before: Event, plan: EventPlan) -> tuple[Change, ...]:
    pairs = [
        (N_("Name"), before.name, plan.name),
        (N_("Series"), before.series.code, plan.series.code),
        (N_("Circuit"), before.circuit.name, plan.circuit.name),
        (N_("Season"), str(before.season), str(plan.season)),
        (N_("Length"), before.length or "—", plan.length or "—"),
        (STATUS_LABEL, before.status.value, plan.status.value),
        (N_("Info"), before.info_url or "—", plan.info_url or "—"),
        (N_("Watch"), before.watch_url or "—", plan.watch_url or "—"),
    ]
    return tuple(Change(label, old, new) for label, old, new in pairs if old != new)


async def plan_postpone(
    asker: Asker, *, event: str, race: str | None = None, timezone: str | None = None
) -> EventPlan:
    """Postponed: to a new race date (the weekend moves by as many days), or to "date TBA"."""
    before, version = await own_event_with_version(asker, event)
    zone = read_zone(timezone, before.circuit.timezone)
    sessions = _planned(before)
    warnings: list[Notice] = []
    if race:
        when = read_when(race, zone, before.circuit.name)
        old_race = before.race
        shift = (
            (when.day - old_race.local_date)
            if when.day is not None and old_race is not None and old_race.local_date is not None
            else None
        )
        moved: list[PlannedSession] = []
        for s in sessions:
            if s.kind is SessionKind.RACE and old_race is not None and s.key == old_race.key:
                moved.append(replace(s, start=when.start, local_date=when.day))
            elif shift is None or s.local_date is None:
                moved.append(replace(s, start=None, local_date=None))
            else:
                moved.append(_shifted(s, shift, before.circuit))
        if old_race is None:
            moved.append(
                PlannedSession(
                    _next_key(SessionKind.RACE, {s.key for s in moved}),
                    SessionKind.RACE,
                    when.start,
                    when.day,
                    None,
                )
            )
        sessions = moved
    else:
        sessions = [replace(s, start=None, local_date=None) for s in sessions]
        warnings.append(
            Notice(
                N_("With no new date, every session shows as “date TBA” until you set it with /event edit."),
                check=False,
            )
        )
    ordered = _ordered(sessions)
    check_race_after_grid(ordered, before.circuit.timezone)
    plan = _status_plan(before, version, "event.postpone", EventStatus.POSTPONED, ordered)
    return replace(plan, warnings=(*warnings, *date_warnings(ordered, asker.now, before.circuit.timezone)))


def _shifted(s: PlannedSession, days: timedelta, circuit: Circuit) -> PlannedSession:
    """The session ``days`` later at the same wall-clock time at the circuit."""
    assert s.local_date is not None
    day = s.local_date + days
    if s.start is None:
        return replace(s, local_date=day)
    clock = utc_to_local(s.start, circuit.timezone).time().replace(tzinfo=None)
    try:
        start = local_to_utc(day, clock, circuit.timezone)
    except AmbiguousLocalTime as exc:
        raise TwiceLocalTime(exc, circuit.name) from exc
    except NonExistentLocalTime as exc:
        raise NoSuchLocalTime(
            local=f"{exc.local:%Y-%m-%d %H:%M}", circuit=circuit.name, zone=circuit.timezone
        ) from exc
    return replace(s, start=start, local_date=day)


def _status_plan(
    before: Event,
    version: int,
    action: str,
    status: EventStatus,
    sessions: tuple[PlannedSession, ...] | None = None,
) -> EventPlan:
    plan = EventPlan(
        action=action,
        before=before,
        version=version,
        key=before.key,
        series=before.series,
        circuit=before.circuit,
        season=before.season,
        name=before.name,
        length=before.length,
        status=status,
        info_url=before.info_url,
        watch_url=before.watch_url,
        sessions=sessions if sessions is not None else tuple(_planned(before)),
    )
    return replace(plan, changes=_field_changes(before, plan))


async def plan_cancel(asker: Asker, *, event: str) -> EventPlan:
    """Cancelled: the event stays on the calendar, marked, and no reminder goes out for it."""
    before, version = await own_event_with_version(asker, event)
    if before.status is EventStatus.CANCELLED:
        raise NothingToChange()
    return _status_plan(before, version, "event.cancel", EventStatus.CANCELLED)


async def plan_remove(asker: Asker, *, event: str) -> EventPlan:
    """Removed with its sessions, entry list and results (asked to confirm first)."""
    before, version = await own_event_with_version(asker, event)
    return replace(
        _status_plan(before, version, "event.remove", before.status), removed_sessions=before.sessions
    )


# ---------------------------------------------------------------------------- sessions


async def plan_session_add(
    asker: Asker,
    *,
    event: str,
    kind: str,
    start: str,
    duration: str | None = None,
    notes: str | None = None,
    timezone: str | None = None,
) -> EventPlan:
    before, version = await own_event_with_version(asker, event)
    if len(before.sessions) >= MAX_SESSIONS:
        raise TooManySessions(event=before.display_name, count=len(before.sessions))
    session_kind = SessionKind(kind)
    zone = read_zone(timezone, before.circuit.timezone)
    when = read_when(start, zone, before.circuit.name)
    sessions = _planned(before)
    new = PlannedSession(
        _next_key(session_kind, {s.key for s in sessions}),
        session_kind,
        when.start,
        when.day,
        read_duration(duration),
        read_text(notes, "notes", MAX_NOTES),
    )
    for s in sessions:
        if s.kind is session_kind and (s.start, s.local_date if s.start is None else None) == (
            new.start,
            new.local_date if new.start is None else None,
        ):
            raise _DuplicateSession(before, s)
    ordered = _ordered([*sessions, new])
    check_race_after_grid(ordered, before.circuit.timezone)
    plan = _status_plan(before, version, "session.add", before.status, ordered)
    return replace(plan, warnings=date_warnings(ordered, asker.now, before.circuit.timezone))


class _DuplicateSession(DuplicateSession):
    def __init__(self, event: Event, session: PlannedSession) -> None:
        self.session = session
        super().__init__(event=event.display_name, session=session.key)

    def render(self, tr: Translate) -> str:
        return tr(self.message, event=self.fields["event"], session=session_name(self.session, tr))


async def plan_session_edit(
    asker: Asker,
    *,
    event: str,
    session: str,
    start: str | None = None,
    duration: str | None = None,
    notes: str | None = None,
    timezone: str | None = None,
) -> EventPlan:
    before, version = await own_event_with_version(asker, event)
    target = find_session(before, session)
    if start is None and duration is None and notes is None:
        raise NothingToChange()
    zone = read_zone(timezone, before.circuit.timezone)
    sessions = _planned(before)
    i = next(n for n, s in enumerate(sessions) if s.key == target.key)
    s = sessions[i]
    if start is not None:
        when = read_when(start, zone, before.circuit.name)
        s = replace(s, start=when.start, local_date=when.day)
    if duration is not None:
        s = replace(s, duration=None if _cleared(duration) else read_duration(duration))
    if notes is not None:
        s = replace(s, notes=None if _cleared(notes) else read_text(notes, "notes", MAX_NOTES))
    sessions[i] = s
    ordered = _ordered(sessions)
    check_race_after_grid(ordered, before.circuit.timezone)
    if not any(x.changed for x in ordered):
        raise NothingToChange()
    plan = _status_plan(before, version, "session.edit", before.status, ordered)
    return replace(plan, warnings=date_warnings(ordered, asker.now, before.circuit.timezone))


async def plan_session_remove(asker: Asker, *, event: str, session: str) -> EventPlan:
    before, version = await own_event_with_version(asker, event)
    target = find_session(before, session)
    kept = tuple(s for s in _planned(before) if s.key != target.key)
    return replace(
        _status_plan(before, version, "session.remove", before.status, kept), removed_sessions=(target,)
    )


# ---------------------------------------------------------------------------- committing


async def commit_event(asker: Asker, plan: EventPlan, *, by: int) -> Event | None:
    """Write a confirmed plan; the event as it is now (None once removed).

    ``ChangedMeanwhile`` / ``RemovedMeanwhile`` when someone else changed the
    event after the preview; ``DuplicateEvent`` when someone added it meanwhile.
    """
    guild = _guild(asker)
    editing = asker.store.editing
    now = asker.now
    try:
        if plan.before is None:
            await _check_not_duplicate(asker, plan)
            event_id = await editing.create_event(guild, plan.write(), by=by, at=now)
        else:
            event_id = plan.before.id
            assert plan.version is not None
            version = plan.version
            if plan.removing:
                await editing.delete_event(guild, event_id, version, by=by, at=now)
                return None
            await editing.update_event(
                guild, event_id, version, plan.write(), by=by, at=now, action=plan.action
            )
    except DuplicateKey as exc:
        raise DuplicateEvent(name=plan.name, existing=plan.name) from exc
    except (StaleVersion, NotOwned) as exc:
        assert plan.before is not None
        raise await _meanwhile(asker, plan.before) from exc
    return await asker.store.event(asker.scope, event_id)


async def _meanwhile(asker: Asker, before: Event) -> AnswerError:
    current = await asker.store.event(asker.scope, before.id)
    if current is None or current.guild_id != asker.scope.guild_id:
        return RemovedMeanwhile(name=before.display_name)
    return ChangedMeanwhile(before.display_name, current)


def _guild(asker: Asker) -> int:
    guild = asker.scope.guild_id
    if guild is None:
        raise RuntimeError("moderation needs a guild scope")
    return guild


# ---------------------------------------------------------------------------- entries and results


async def add_entry(
    asker: Asker,
    *,
    by: int,
    event: str,
    number: str,
    car_class: str | None = None,
    team: str | None = None,
    car: str | None = None,
    drivers: str | None = None,
) -> tuple[Event, Entry]:
    """Add a car to a guild event's entry list (written at once: no time moves)."""
    found, version = await own_event_with_version(asker, event)
    record = EntryRecord(
        read_car_number(number),
        read_text(car_class, "class", MAX_CLASS),
        read_text(team, "team", MAX_TEAM),
        read_text(car, "car", MAX_CAR),
        read_drivers(drivers) or (),
        None,
        None,
    )
    await _entry_write(asker, found, version, record, replacing=None, by=by)
    return found, _find_entry(await asker.store.entries(asker.scope, found.id), record.number or "", found)


async def edit_entry(
    asker: Asker,
    *,
    by: int,
    event: str,
    number: str,
    new_number: str | None = None,
    car_class: str | None = None,
    team: str | None = None,
    car: str | None = None,
    drivers: str | None = None,
) -> tuple[Event, Entry]:
    """Change any field of one entry; "-" empties an optional field."""
    found, version = await own_event_with_version(asker, event)
    entries = await asker.store.entries(asker.scope, found.id)
    old = _find_entry(entries, read_car_number(number), found)
    if all(v is None for v in (new_number, car_class, team, car, drivers)):
        raise NothingToChange()

    def text(value: str | None, option: str, limit: int, current: str | None) -> str | None:
        if value is None:
            return current
        return None if _cleared(value) else read_text(value, option, limit)

    new_drivers = read_drivers(drivers)
    record = EntryRecord(
        read_car_number(new_number) if new_number else old.number,
        text(car_class, "class", MAX_CLASS, old.car_class),
        text(team, "team", MAX_TEAM, old.team),
        text(car, "car", MAX_CAR, old.car),
        old.drivers if new_drivers is None else new_drivers,
        old.source,
        old.notes,
    )
    await _entry_write(asker, found, version, record, replacing=old.number, by=by)
    return found, _find_entry(await asker.store.entries(asker.scope, found.id), record.number or "", found)


async def _entry_write(
    asker: Asker, event: Event, version: int, record: EntryRecord, *, replacing: str | None, by: int
) -> None:
    editing = asker.store.editing
    try:
        await editing.put_entry(
            _guild(asker), event.id, version, record, replacing=replacing, by=by, at=asker.now
        )
    except DuplicateKey as exc:
        raise DuplicateCar(number=record.number, event=event.display_name) from exc
    except StaleVersion as exc:
        raise await _meanwhile(asker, event) from exc


def _find_entry(entries: list[Entry], number: str, event: Event) -> Entry:
    for e in entries:
        if e.number == number:
            return e
    # Suggested are the numbers one can type: a car without a number is not found by one.
    numbered = [f"#{e.number}" for e in entries if e.number is not None]
    raise NotFound(WHAT_CAR, f"#{number}", numbered[:10] or [event.display_name])


async def plan_entry_remove(asker: Asker, *, event: str, number: str) -> EntryRemoval:
    found, version = await own_event_with_version(asker, event)
    entry = _find_entry(await asker.store.entries(asker.scope, found.id), read_car_number(number), found)
    return EntryRemoval(found, version, entry)


async def commit_entry_remove(asker: Asker, removal: EntryRemoval, *, by: int) -> None:
    try:
        await asker.store.editing.delete_entry(
            _guild(asker), removal.event.id, removal.version, removal.entry.number or "", by=by, at=asker.now
        )
    except (StaleVersion, NotOwned) as exc:
        raise await _meanwhile(asker, removal.event) from exc


async def set_result(
    asker: Asker,
    *,
    by: int,
    event: str,
    car_class: str,
    position: int,
    number: str | None = None,
    description: str | None = None,
) -> tuple[Event, Result]:
    """Record one finishing position of one class, shown behind spoilers by /race."""
    found, version = await own_event_with_version(asker, event)
    race = found.race
    if race is not None and race.start is not None and race.start > asker.now:
        raise ResultTooEarly(event=found.display_name)
    if not 1 <= position <= 500:
        raise BadPosition()
    chosen_class = read_text(car_class, "class", MAX_CLASS, required=True)
    assert chosen_class is not None
    car_number = read_car_number(number) if number else None
    text = read_text(description, "description", MAX_DESCRIPTION)
    if text is None and car_number is not None:
        entries = await asker.store.entries(asker.scope, found.id)
        entry = next((e for e in entries if e.number == car_number), None)
        if entry is not None:
            text = _describe_entry(entry)
    if text is None:
        raise ResultNeedsDescription()
    record = ResultRecord(chosen_class, position, car_number, text, None)
    try:
        await asker.store.editing.put_result(_guild(asker), found.id, version, record, by=by, at=asker.now)
    except StaleVersion as exc:
        raise await _meanwhile(asker, found) from exc
    return found, Result(chosen_class, position, car_number, text)


def _describe_entry(entry: Entry) -> str:
    """The catalog's way: "Team Car (A / B / C)"."""
    # Only a car found by its number is described, so "#6" is what it is called.
    who = " ".join(p for p in (entry.team, entry.car) if p) or f"#{entry.number}"
    drivers = f" ({' / '.join(entry.drivers)})" if entry.drivers else ""
    return (who + drivers)[:MAX_DESCRIPTION]


async def plan_result_remove(asker: Asker, *, event: str, car_class: str, position: int) -> ResultRemoval:
    """One recorded position, to remove once the moderator confirms."""
    found, version = await own_event_with_version(asker, event)
    results = await asker.store.results(asker.scope, found.id)
    match = next(
        (r for r in results if fold(r.car_class) == fold(car_class) and r.position == position), None
    )
    if match is None:
        raise NotFound(
            WHAT_RESULT, f"{car_class} P{position}", [f"{r.car_class} P{r.position}" for r in results][:10]
        )
    return ResultRemoval(found, version, match)


async def commit_result_remove(asker: Asker, removal: ResultRemoval, *, by: int) -> None:
    r = removal.result
    try:
        await asker.store.editing.delete_result(
            _guild(asker), removal.event.id, removal.version, r.car_class, r.position, by=by, at=asker.now
        )
    except (StaleVersion, NotOwned) as exc:
        raise await _meanwhile(asker, removal.event) from exc


# ---------------------------------------------------------------------------- circuits


async def add_circuit(
    asker: Asker,
    *,
    by: int,
    name: str,
    timezone: str,
    location: str | None = None,
    country: str | None = None,
    aliases: str | None = None,
) -> Circuit:
    """A circuit of the guild's own, with the IANA zone its local times are read in."""
    circuit_name = read_text(name, "name", MAX_CIRCUIT_NAME, required=True)
    assert circuit_name is not None
    zone = read_zone(timezone, "")
    if not zone:
        raise Missing(option="timezone")
    alias_list = tuple(a for a in (" ".join(x.split()) for x in re.split(r"[,;|]", aliases or "")) if a)
    if len(alias_list) > MAX_ALIASES or any(len(a) > MAX_ALIAS for a in alias_list):
        raise TooLong(option="aliases", length=len(aliases or ""), limit=MAX_ALIASES * MAX_ALIAS)
    key = slug(circuit_name)[:80].strip("-")
    if not key:
        raise Missing(option="name")
    for existing in await asker.store.circuits(asker.scope):
        names = {fold(n) for n in (existing.name, existing.key, *existing.aliases)}
        if existing.key == key or names & {fold(n) for n in (circuit_name, *alias_list)}:
            raise DuplicateCircuit(name=circuit_name, existing=existing.name)
    record = CircuitRecord(
        key,
        circuit_name,
        zone,
        read_text(location, "location", MAX_PLACE),
        read_text(country, "country", MAX_PLACE),
        None,
        None,
        alias_list,
        None,
        None,
    )
    try:
        circuit_id = await asker.store.editing.add_circuit(_guild(asker), record, by=by, at=asker.now)
    except DuplicateKey as exc:
        raise DuplicateCircuit(name=circuit_name, existing=key) from exc
    return next(c for c in await asker.store.circuits(asker.scope) if c.id == circuit_id)


# ---------------------------------------------------------------------------- files


def file_kind(filename: str, data: bytes) -> str | None:
    """ "csv", "ics" or "json": by the name's extension, else by the content."""
    lower = filename.lower()
    for kind in ("csv", "ics", "json"):
        if lower.endswith(f".{kind}"):
            return kind
    if lower.endswith(".ical") or lower.endswith(".ifb"):
        return "ics"
    head = data[:200].lstrip(b"\xef\xbb\xbf \t\r\n").upper()
    if head.startswith(b"BEGIN:VCALENDAR"):
        return "ics"
    if head.startswith(b"{"):
        return "json"
    if lower.endswith(".txt") or b"," in head or b";" in head:
        return "csv"
    return None


async def plan_import(
    asker: Asker, *, filename: str, data: bytes, series: str | None = None, size: int | None = None
) -> ImportPlan:
    """Read and check a calendar file, and count what importing it would change (a dry
    run that writes nothing). ``ImportRefused`` lists every problem, with its line."""
    shown = filename[:100]
    length = size if size is not None else len(data)
    if length > IMPORT_MAX_BYTES:
        raise FileTooBig(name=shown, size=(length + 1023) // 1024, limit=IMPORT_MAX_BYTES // 1000)
    kind = file_kind(filename, data)
    if kind is None:
        raise FileKindUnknown(name=shown, header=HEADER_LINE)
    default_series = (await resolve_series(asker, series)).code if series else None
    scope = asker.scope
    known = KnownCalendar.from_model(await asker.store.series(), await asker.store.circuits(scope))
    try:
        if kind == "ics":
            catalog = parse_events_ics(data, known, default_series=default_series, source=shown)
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise FileNotText(name=shown) from exc
            catalog = (
                parse_events_csv(text, known, source=shown) if kind == "csv" else _parse_json(text, shown)
            )
    except CatalogError as exc:
        raise ImportRefused(shown, exc.problems) from exc
    problems = await _guild_file_problems(asker, catalog)
    if problems:
        raise ImportRefused(shown, problems)
    guild = _guild(asker)
    keys = [e.key for e in catalog.events]
    versions = await asker.store.editing.versions(guild, keys)
    try:
        outcome = await asker.store.editing.import_events(
            guild, catalog, by=0, at=asker.now, versions=None, dry_run=True
        )
    except CatalogError as exc:
        raise ImportRefused(shown, exc.problems) from exc
    touched = set(outcome.touched)
    return ImportPlan(
        filename=shown,
        catalog=catalog,
        versions=versions,
        new=tuple(e.name for e in catalog.events if e.key in touched and e.key not in versions),
        changed=tuple(e.name for e in catalog.events if e.key in touched and e.key in versions),
        unchanged=len(keys) - len(touched),
        circuits_new=outcome.summary.new["circuits"],
    )


def _parse_json(text: str, source: str) -> Catalog:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(
            source, [Problem(N_("line {line}: not valid JSON ({reason})"), line=exc.lineno, reason=exc.msg)]
        ) from exc
    except RecursionError as exc:
        # Python's JSON reader recurses once per nesting level: thousands of "[" exhaust it.
        raise CatalogError(source, [NESTED_TOO_DEEPLY]) from exc
    return parse_catalog(raw, source=source)


async def _guild_file_problems(asker: Asker, catalog: Catalog) -> list[str]:
    """What a guild's file may not do: take a catalog event's key or repeat a catalog
    event, or put a race before its qualifying (JSON files too)."""
    problems: list[str] = []
    visible = await asker.store.events(asker.scope)
    catalog_keys = {e.key for e in visible if e.guild_id is None}
    shared = {(e.series.code, e.season, fold(e.name)): e for e in visible if e.guild_id is None}
    zones = {c.key: c.timezone for c in catalog.circuits}
    for i, e in enumerate(catalog.events, start=1):
        where = Problem(N_('event {index} "{name}"'), index=i, name=e.name)
        if e.key in catalog_keys:
            problems.append(
                Problem(
                    N_(
                        "{where}: key {key} is the shared catalog's event, which every server already "
                        "has; give this event its own key"
                    ),
                    where=where,
                    key=repr(e.key),
                )
            )
        elif (same := shared.get((e.series, e.season, fold(e.name)))) is not None:
            problems.append(
                Problem(
                    N_("{where}: the shared catalog already has {event}"),
                    where=where,
                    event=same.display_name,
                )
            )
        sessions = tuple(
            PlannedSession(
                s.key,
                SessionKind(s.kind),
                datetime.fromisoformat(s.start_at.replace("Z", "+00:00")) if s.start_at else None,
                date.fromisoformat(s.local_date) if s.local_date else None,
                s.duration_minutes,
            )
            for s in e.sessions
        )
        try:
            check_race_after_grid(sessions, zones.get(e.circuit, "UTC"))
        except RaceBeforeGrid:
            problems.append(
                Problem(
                    N_("{where}: the race comes before its qualifying; check the dates and times"),
                    where=where,
                )
            )
    return problems


async def commit_import(asker: Asker, plan: ImportPlan, *, by: int) -> ImportDone:
    """Import a file the moderator confirmed, exactly as its dry run showed, all or nothing."""
    guild = _guild(asker)
    keys = {e.key for e in plan.catalog.events}
    before = tuple(e for e in await asker.store.events(asker.scope) if e.guild_id == guild and e.key in keys)
    try:
        outcome = await asker.store.editing.import_events(
            guild, plan.catalog, by=by, at=asker.now, versions=plan.versions, dry_run=False
        )
    except StaleVersion as exc:
        raise ImportChangedMeanwhile(name=plan.filename) from exc
    except CatalogError as exc:
        raise ImportRefused(plan.filename, exc.problems) from exc
    touched = set(outcome.touched)
    after = tuple(
        e for e in await asker.store.events(asker.scope) if e.guild_id == guild and e.key in touched
    )
    return ImportDone(plan, tuple(e for e in before if e.key in touched), after)


class ImportChangedMeanwhile(AnswerError):
    message = N_(
        "Events in {name} were changed by someone else after this preview was made, so nothing "
        "was imported. Send the file again to see what it would change now."
    )


async def export_calendar(asker: Asker, *, series: str | None, calendar_name: str) -> ExportFile:
    """The guild's visible calendar (catalog and own events) as an .ics file."""
    code = (await resolve_series(asker, series)).code if series else None
    events = await asker.store.events(asker.scope, series=code)
    events = [e for e in events if any(s.start or s.local_date for s in e.sessions)]
    if not events:
        raise NothingToExport()
    data = events_to_ics(events, calendar_name=calendar_name, guild_id=asker.scope.guild_id, stamp=asker.now)
    name = f"fanbot-{slug(calendar_name) or 'calendar'}{'-' + code.lower() if code else ''}.ics"
    return ExportFile(name, data, len(events))


async def export_ics(store: Store, *, guild_id: int | None, series: str | None, now: datetime) -> bytes:
    """The same file for the console (``fanbot export --ics``); raises ``NotFound`` for a bad series."""
    from fanbot.answers.context import Lookups
    from fanbot.clock import FixedClock

    asker = Asker(store, Scope(guild_id), FixedClock(now), Lookups(store))
    name = "fanbot" if guild_id is None else f"fanbot server {guild_id}"
    return (await export_calendar(asker, series=series, calendar_name=name)).data


# ---------------------------------------------------------------------------- history


async def event_history(asker: Asker, *, event: str) -> History:
    """Every audited change to one of the guild's events, newest first (removed events too)."""
    guild = _guild(asker)
    editing = asker.store.editing
    try:
        found = await resolve_own_event(asker, event)
        key, name = found.key, found.display_name
    except NotFound:
        logged = await editing.audited_events(guild)
        index = NameIndex.build([(n[:100], k, [k]) for k, n in logged])
        hit = index.find(event)
        if hit is None:
            raise
        key, name = str(hit.value), hit.label
    rows = await editing.history(guild, event_key=key)
    return History(name, tuple(HistoryLine(r, describe_changes(r.before, r.after)) for r in rows))


def describe_changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[Change, ...]:
    """What an audit row changed, field by field, times in the circuit's local time."""
    if before is None or after is None:
        return ()
    changes: list[Change] = []
    for label, name in (
        (N_("Name"), "name"),
        (N_("Series"), "series"),
        (N_("Circuit"), "circuit"),
        (N_("Season"), "season"),
        (N_("Length"), "length"),
        (STATUS_LABEL, "status"),
        (N_("Info"), "info_url"),
        (N_("Watch"), "watch_url"),
    ):
        if before.get(name) != after.get(name):
            changes.append(Change(label, str(before.get(name) or "—"), str(after.get(name) or "—")))
    old = {s["key"]: s for s in before.get("sessions", [])}
    new = {s["key"]: s for s in after.get("sessions", [])}
    for key in dict.fromkeys([*old, *new]):
        a, b = old.get(key), new.get(key)
        if a != b:
            changes.append(
                Change(
                    key,
                    _session_text(a, before.get("timezone")),
                    _session_text(b, after.get("timezone")),
                    session=True,
                )
            )
    for label, part, describe in (
        (N_("Entries"), "entries", _entry_line),
        (N_("Results"), "results", _result_line),
    ):
        gone = [describe(x) for x in before.get(part, []) if x not in after.get(part, [])]
        came = [describe(x) for x in after.get(part, []) if x not in before.get(part, [])]
        if gone or came:
            changes.append(Change(label, "; ".join(gone) or "—", "; ".join(came) or "—"))
    return tuple(changes)


def _session_text(s: dict[str, Any] | None, zone: Any) -> str:
    if s is None:
        return "—"
    if s.get("start_at"):
        instant = datetime.fromisoformat(str(s["start_at"]).replace("Z", "+00:00"))
        return _local_text(instant, str(zone or "UTC"))
    if s.get("local_date"):
        return f"{s['local_date']}, time TBA"
    return "date TBA"


def _entry_line(e: dict[str, Any]) -> str:
    parts = [f"#{e.get('number')}", e.get("class") or "", e.get("team") or "", e.get("car") or ""]
    drivers = ", ".join(e.get("drivers") or [])
    return " ".join(p for p in parts if p) + (f": {drivers}" if drivers else "")


def _result_line(r: dict[str, Any]) -> str:
    return f"{r.get('class')} P{r.get('position')}"


# ---------------------------------------------------------------------------- settings


async def set_moderator_role(
    asker: Asker, *, by: int, role_id: int | None, is_everyone: bool = False
) -> int | None:
    """Name (or clear) the role whose members moderate this guild besides Manage Events."""
    if is_everyone:
        raise EveryoneRole()
    guild = _guild(asker)
    before = await asker.store.moderator_role(guild)
    await asker.store.set_moderator_role(guild, role_id)
    await asker.store.editing.record(
        guild,
        by=by,
        at=asker.now,
        action="settings.moderator-role",
        before={"moderator_role_id": before},
        after={"moderator_role_id": role_id},
    )
    return before
