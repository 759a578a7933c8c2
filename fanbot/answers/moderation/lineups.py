"""A guild event's entry list and results: written at once (no time moves), with the same
checks as an event's changes; removing one is confirmed first.
"""

from __future__ import annotations

from fanbot.answers.context import Asker
from fanbot.answers.errors import NotFound
from fanbot.answers.moderation.errors import (
    WHAT_CAR,
    WHAT_RESULT,
    BadPosition,
    DuplicateCar,
    NothingToChange,
    ResultNeedsDescription,
    ResultTooEarly,
)
from fanbot.answers.moderation.finding import guild_of, meanwhile_error, own_event_with_version
from fanbot.answers.moderation.options import cleared, read_car_number, read_drivers, read_text
from fanbot.answers.moderation.plans import EntryRemoval, ResultRemoval
from fanbot.domain.catalog import EntryRecord, ResultRecord
from fanbot.domain.folding import fold
from fanbot.domain.limits import MAX_CAR, MAX_CLASS, MAX_DESCRIPTION, MAX_POSITION, MAX_TEAM
from fanbot.domain.model import Entry, Event, Result
from fanbot.store import DuplicateKey, NotOwned, StaleVersion

# ---------------------------------------------------------------------------- entries


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
    return found, find_entry(await asker.store.entries(asker.scope, found.id), record.number or "", found)


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
    old = find_entry(entries, read_car_number(number), found)
    if all(v is None for v in (new_number, car_class, team, car, drivers)):
        raise NothingToChange()

    def text(value: str | None, option: str, limit: int, current: str | None) -> str | None:
        if value is None:
            return current
        return None if cleared(value) else read_text(value, option, limit)

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
    return found, find_entry(await asker.store.entries(asker.scope, found.id), record.number or "", found)


async def _entry_write(
    asker: Asker, event: Event, version: int, record: EntryRecord, *, replacing: str | None, by: int
) -> None:
    editing = asker.store.editing
    try:
        await editing.put_entry(
            guild_of(asker), event.id, version, record, replacing=replacing, by=by, at=asker.now
        )
    except DuplicateKey as exc:
        raise DuplicateCar(number=record.number, event=event.display_name) from exc
    except StaleVersion as exc:
        raise await meanwhile_error(asker, event) from exc


def find_entry(entries: list[Entry], number: str, event: Event) -> Entry:
    """The entry of car ``number``; else ``NotFound``, suggesting the numbers on the list."""
    for e in entries:
        if e.number == number:
            return e
    # Suggested are the numbers one can type: a car without a number is not found by one.
    numbered = [f"#{e.number}" for e in entries if e.number is not None]
    raise NotFound(WHAT_CAR, f"#{number}", numbered[:10] or [event.display_name])


async def plan_entry_remove(asker: Asker, *, event: str, number: str) -> EntryRemoval:
    found, version = await own_event_with_version(asker, event)
    entry = find_entry(await asker.store.entries(asker.scope, found.id), read_car_number(number), found)
    return EntryRemoval(found, version, entry)


async def commit_entry_remove(asker: Asker, removal: EntryRemoval, *, by: int) -> None:
    try:
        await asker.store.editing.delete_entry(
            guild_of(asker),
            removal.event.id,
            removal.version,
            removal.entry.number or "",
            by=by,
            at=asker.now,
        )
    except (StaleVersion, NotOwned) as exc:
        raise await meanwhile_error(asker, removal.event) from exc


# ---------------------------------------------------------------------------- results


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
    if not 1 <= position <= MAX_POSITION:
        raise BadPosition(limit=MAX_POSITION)
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
        await asker.store.editing.put_result(guild_of(asker), found.id, version, record, by=by, at=asker.now)
    except StaleVersion as exc:
        raise await meanwhile_error(asker, found) from exc
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
            guild_of(asker), removal.event.id, removal.version, r.car_class, r.position, by=by, at=asker.now
        )
    except (StaleVersion, NotOwned) as exc:
        raise await meanwhile_error(asker, removal.event) from exc
