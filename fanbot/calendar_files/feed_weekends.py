"""Community feed VEVENTs grouped into race weekends, each built into a checked catalog.

Once every VEVENT is read (``feed_vevent``), sessions of one event name close
in time and place form a weekend; its circuit, times, season and session keys
are settled here and the weekend is built through ``build.Builder``, so every
check of an import applies. Kept apart from reading the file and the VEVENTs
because this is where the feed's vague choices are made. ``feed_ics`` tells the
whole story.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from fanbot.calendar_files.build import (
    Builder,
    EventFields,
    SessionDraft,
    check_duration,
    check_season,
    local_instant,
    slug,
)
from fanbot.calendar_files.feed_vevent import Moment, Vevent, problem_at
from fanbot.calendar_files.known import CircuitInfo, KnownCalendar, Names
from fanbot.domain.catalog import Catalog, CatalogError, Problem
from fanbot.domain.folding import fold_words
from fanbot.domain.limits import MAX_KEY, MAX_NOTES
from fanbot.domain.localtime import zone as pytz_zone
from fanbot.domain.model import EventStatus, SessionKind
from fanbot.i18n import N_

# Sessions of one weekend are at most this far apart.
WEEKEND_SPAN = timedelta(days=4)


@dataclass(frozen=True)
class KnownEvent:
    """An event the server already sees, to find a circuit from a feed's event name."""

    series: str
    season: int
    name: str
    aliases: tuple[str, ...]
    circuit: str  # circuit key


# ---------------------------------------------------------------------------- weekends


@dataclass
class _Weekend:
    folded: str
    location: str | None
    first: date
    vevents: list[Vevent] = field(default_factory=list)


def group_weekends(vevents: list[Vevent]) -> list[_Weekend]:
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

    vevents: list[Vevent]
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


def _uid_order(v: Vevent) -> tuple[str, int]:
    return (v.uid, v.index)


class Weekends:
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
                    self.unread.append((s.vevents[0].index, problem_at(s.where, "STATUS", left_out)))
            sessions = [s for s in sessions if not s.vevents[0].cancelled]
        season = _season(sessions, circuit)
        if problem := check_season(season):
            self.unread.append((weekend.vevents[0].index, problem_at(_weekend_where(weekend), None, problem)))
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
                    (weekend.vevents[0].index, problem_at(_weekend_where(weekend), "LOCATION", unknown))
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
        self.unread.append((weekend.vevents[0].index, problem_at(_weekend_where(weekend), None, problem)))
        return None

    def _session(self, v: Vevent, circuit: CircuitInfo) -> _Session | None:
        """The VEVENT's timing at ``circuit``, or None after listing why not."""
        start = _resolve(v.start, circuit.timezone)
        if isinstance(start, Problem):
            self.unread.append((v.index, problem_at(v.where, "DTSTART", start)))
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
                    self.unread.append((v.index, problem_at(v.where, "DTEND", end)))
                    return None
                if end[0] is not None:
                    minutes = (end[0] - instant).total_seconds() / 60
            elif v.length is not None:
                minutes = v.length.total_seconds() / 60
            if minutes is not None:
                duration = round(minutes)
                if duration <= 0:
                    ends = Problem(N_("the event ends before it starts; check {which}"), which=which)
                    self.unread.append((v.index, problem_at(v.where, which, ends)))
                    return None
                if problem := check_duration(duration):
                    too_long = Problem(
                        N_("{problem}; give the session's own start and end, not the whole weekend"),
                        problem=problem,
                    )
                    self.unread.append((v.index, problem_at(v.where, which, too_long)))
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


def _resolve(m: Moment, circuit_zone: str) -> tuple[datetime | None, date | None] | Problem:
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


def _written(m: Moment) -> str:
    clock = f"{m.wall:%H:%M}" if m.wall else ""
    return f"{m.day.isoformat()} {clock} {m.zone or ''}".strip()


def _wall_minutes(start: Moment, end: Moment) -> float | None:
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


def merged_catalog(catalogs: list[Catalog]) -> Catalog:
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
