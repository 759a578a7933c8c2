"""/schedule and /race: season calendars and one event in full."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from fanbot.answers.context import Asker
from fanbot.answers.errors import BadOption
from fanbot.answers.timing import SessionStatus, statuses
from fanbot.domain.localtime import utc_to_local
from fanbot.domain.model import Event, Result, Series
from fanbot.domain.session_time import SessionState
from fanbot.i18n import N_


@dataclass(frozen=True)
class ScheduleRow:
    event: Event
    first_day: date | None  # the first session's local day at the circuit
    race_day: date | None
    done: bool
    under_way: bool = False  # a session is running now
    possibly_under_way: bool = False  # a session known only by its day may be running now


@dataclass(frozen=True)
class Schedule:
    now: datetime
    series: Series | None
    season: int | None
    rows: tuple[ScheduleRow, ...]
    seasons: tuple[int, ...]  # the seasons on record, to suggest when one is empty

    @property
    def season_label(self) -> str | None:
        """ "2025", or "2025–26" for a winter series' season that runs into the next year."""
        if self.season is None:
            return None
        return season_label(self.season, [d for r in self.rows for d in (r.first_day, r.race_day)])


def season_label(season: int, days: Iterable[date | None]) -> str:
    """How a season is named: its year, or "2025–26" when its events run into later years
    (the Asian Le Mans Series races in the northern winter; the catalog files such a
    season under the year it starts, ``data/README.md``)."""
    last = max((d.year for d in days if d is not None), default=season)
    return f"{season}–{last % 100:02d}" if last > season else str(season)


def _local_day(event: Event, which: str) -> date | None:
    sessions = [s for s in event.sessions if s.local_date is not None]
    if which == "race" and event.race is not None:
        sessions = [event.race] if event.race.local_date else []
    if not sessions:
        return None
    chosen = sessions[0] if which == "first" else sessions[-1]
    if chosen.start is not None:
        return utc_to_local(chosen.start, event.circuit.timezone).date()
    return chosen.local_date


def event_is_done(event: Event, now: datetime) -> bool:
    """Every dated session is over (an event with no date is never "done")."""
    return _all_done({s.state for s in statuses(event, now)})


def _all_done(states: set[SessionState]) -> bool:
    dated = states - {SessionState.UNDATED}
    return dated == {SessionState.DONE}


def _row(event: Event, now: datetime) -> ScheduleRow:
    """One calendar line: the sessions' states are worked out once for all it says."""
    states = {s.state for s in statuses(event, now)}
    return ScheduleRow(
        event,
        _local_day(event, "first"),
        _local_day(event, "race"),
        _all_done(states),
        SessionState.UNDER_WAY in states,
        SessionState.UNDER_WAY not in states and SessionState.POSSIBLY_UNDER_WAY in states,
    )


def parse_season(text: str | int | None) -> int | None:
    if text is None or text == "":
        return None
    try:
        season = int(str(text).strip())
    except ValueError:
        raise BadOption(value=text, option=N_("season"), hint=N_("give a year such as 2026.")) from None
    if not 1900 <= season <= 2200:
        raise BadOption(value=text, option=N_("season"), hint=N_("give a year such as 2026."))
    return season


async def schedule(asker: Asker, series: str | None = None, season: str | int | None = None) -> Schedule:
    """The calendar of one season (default: the season of the next event, else the latest)."""
    wanted = await asker.resolve_series(series)
    code = wanted.code if wanted else None
    year = parse_season(season)
    seasons = tuple(await asker.store.seasons(asker.scope, code))
    if year is None:
        upcoming = await asker.store.upcoming_event_ids(asker.scope, asker.now, series=code, limit=1)
        nxt = await asker.store.events_by_id(asker.scope, upcoming)
        year = nxt[0].season if nxt else (seasons[-1] if seasons else None)
    events = await asker.store.events(asker.scope, series=code, season=year) if year else []
    rows = tuple(_row(e, asker.now) for e in events)
    return Schedule(asker.now, wanted, year, rows, seasons)


@dataclass(frozen=True)
class RaceCard:
    now: datetime
    event: Event
    results: tuple[Result, ...]
    entry_count: int
    sessions: tuple[SessionStatus, ...] = ()  # every session of the event, in its order

    def session_state(self, index: int) -> SessionState:
        return self.sessions[index].state

    @property
    def season_label(self) -> str:
        """The event's season as fans name it ("2025–26" for a winter season)."""
        days = [_local_day(self.event, "first"), _local_day(self.event, "race")]
        return season_label(self.event.season, days)


async def race(asker: Asker, event: str) -> RaceCard:
    found = await asker.resolve_event(event)
    results = await asker.store.results(asker.scope, found.id)
    entries = await asker.store.entries(asker.scope, found.id)
    return RaceCard(asker.now, found, tuple(results), len(entries), statuses(found, asker.now))
