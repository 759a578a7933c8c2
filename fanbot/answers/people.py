"""/lineup, /circuit and /driver: who races, where, and with whom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fanbot.answers.context import Asker, one_of
from fanbot.answers.errors import WHAT_CLASS, WHAT_TEAM, Ambiguous
from fanbot.answers.lookup import NameIndex, fold_name
from fanbot.domain.folding import fold
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


def _squeezed(name: str) -> str:
    return fold_name(name).replace(" ", "")


def pick_class(names: list[str], typed: str) -> str:
    """The class ``typed`` names among ``names`` (in the series' order). Class names are
    short codes, so they are compared without spaces ("p 1" is P1); a code that starts
    several ("P": P1, P2) is a question back; else as a name, typos allowed."""
    squeezed = _squeezed(typed)
    exact = [n for n in names if _squeezed(n) == squeezed]
    if exact:
        return exact[0]
    starting = [n for n in names if squeezed and _squeezed(n).startswith(squeezed)]
    if len(starting) == 1:
        return starting[0]
    if starting:
        raise Ambiguous(WHAT_CLASS, typed, [(n, n) for n in starting], "car_class")
    index = NameIndex.build([(n, n, []) for n in names])
    return str(one_of(index.resolve(typed), WHAT_CLASS, typed, index, "car_class", names[:10]).value)


def pick_team(names: list[str], typed: str) -> str:
    """The team ``typed`` names, with the typos event names allow ("Rebelion"); a word
    several teams share ("Racing") is a question back."""
    index = NameIndex.build([(n, n, []) for n in names])
    return str(one_of(index.resolve(typed), WHAT_TEAM, typed, index, "team", names[:5]).value)


async def lineup(asker: Asker, event: str, car_class: str | None = None, team: str | None = None) -> Lineup:
    """The entry list grouped by class, classes and cars in the order the catalog lists
    them (the series' own order of its classes)."""
    found = await asker.resolve_event(event)
    entries = await asker.lookups.entries(found)
    chosen_class = chosen_team = None
    if car_class:
        chosen_class = pick_class(list(dict.fromkeys(e.car_class or UNCLASSED for e in entries)), car_class)
        entries = [e for e in entries if (e.car_class or UNCLASSED) == chosen_class]
    if team:
        chosen_team = pick_team(list(dict.fromkeys(e.team for e in entries if e.team)), team)
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
    if not upcoming:
        # A weekend of this season or a later one whose date is not announced yet (moved,
        # or not published) is still the circuit's next event: "date TBA".
        upcoming = [row.event_id for row in calendar if row.until is None and row.order[2] >= now.year]
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
