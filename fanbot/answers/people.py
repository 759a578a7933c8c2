"""/lineup, /circuit and /driver: who races, where, and with whom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fanbot.answers.context import Asker
from fanbot.answers.errors import WHAT_CLASS, WHAT_TEAM, NotFound
from fanbot.answers.lookup import NameIndex, fold
from fanbot.domain.localtime import utc_to_local
from fanbot.domain.model import Circuit, Entry, Event


@dataclass(frozen=True)
class ClassGroup:
    car_class: str
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Lineup:
    event: Event
    groups: tuple[ClassGroup, ...]
    car_class: str | None
    team: str | None

    @property
    def entry_count(self) -> int:
        return sum(len(g.entries) for g in self.groups)


UNCLASSED = "—"


async def lineup(asker: Asker, event: str, car_class: str | None = None, team: str | None = None) -> Lineup:
    """The entry list grouped by class, in the order the catalog gives."""
    found = await asker.resolve_event(event)
    entries = await asker.lookups.entries(found)
    chosen_class = chosen_team = None
    if car_class:
        names = dict.fromkeys(e.car_class or UNCLASSED for e in entries)
        classes = NameIndex.build([(c, c, []) for c in names])
        hit = classes.find(car_class)
        if hit is None:
            raise NotFound(WHAT_CLASS, car_class, [c.label for c in classes.candidates][:10])
        chosen_class = hit.label
        entries = [e for e in entries if (e.car_class or UNCLASSED) == chosen_class]
    if team:
        teams = NameIndex.build([(t, t, []) for t in dict.fromkeys(e.team for e in entries if e.team)])
        hit = teams.find(team)
        if hit is None:
            known = [c.label for c in teams.candidates][:5]
            raise NotFound(WHAT_TEAM, team, teams.suggestions(team) or known)
        chosen_team = hit.label
        entries = [e for e in entries if e.team == chosen_team]
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        groups.setdefault(entry.car_class or UNCLASSED, []).append(entry)
    return Lineup(
        found, tuple(ClassGroup(c, tuple(es)) for c, es in groups.items()), chosen_class, chosen_team
    )


@dataclass(frozen=True)
class CircuitCard:
    now: datetime
    circuit: Circuit
    local_now: datetime
    next_event: Event | None
    last_event: Event | None
    event_count: int


async def circuit(asker: Asker, circuit: str) -> CircuitCard:
    found = await asker.resolve_circuit(circuit)
    now = asker.now
    # Cancelled events are left out: one is neither the circuit's next race nor its last.
    # An event is done once its last dated session is; one with no date is neither.
    calendar = await asker.lookups.circuit_calendar(asker.scope, found.id)
    upcoming = [row.event_id for row in calendar if row.until is not None and row.until > now]
    done = [row.event_id for row in calendar if row.until is not None and row.until <= now]
    wanted = [ids[i] for ids, i in ((upcoming, 0), (done, -1)) if ids]
    loaded = {e.id: e for e in await asker.lookups.events_by_id(asker.scope, wanted)}
    return CircuitCard(
        now,
        found,
        utc_to_local(now, found.timezone),
        loaded.get(upcoming[0]) if upcoming else None,
        loaded.get(done[-1]) if done else None,
        len(calendar),
    )


@dataclass(frozen=True)
class Appearance:
    event: Event
    entry: Entry
    co_drivers: tuple[str, ...]


@dataclass(frozen=True)
class DriverCard:
    name: str
    appearances: tuple[Appearance, ...]


async def driver(asker: Asker, driver: str) -> DriverCard:
    name = await asker.resolve_driver(driver)
    pairs = await asker.store.entries_of_driver(asker.scope, name)
    events = {e.id: e for e in await asker.store.events_by_id(asker.scope, [p[0] for p in pairs])}
    appearances = tuple(
        Appearance(events[event_id], entry, tuple(d for d in entry.drivers if fold(d) != fold(name)))
        for event_id, entry in pairs
        if event_id in events
    )
    return DriverCard(name, appearances)
