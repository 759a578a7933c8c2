"""Moderators' edits, on every backend: each write checks the version the moderator
previewed and takes the next, a stale one is refused and writes nothing, and a guild
never writes the catalog's or another guild's rows. The guild events are fictional."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from fanbot.domain.catalog import CircuitRecord, EntryRecord, ResultRecord, SessionRecord
from fanbot.store import DuplicateKey, EventWrite, NotOwned, Scope, StaleVersion, Store
from tests.contract.store_data import club_event, guild_catalog
from tests.support.database import dump

GUILD, OTHER = 1001, 1002
MOD, OTHER_MOD = 501, 502
AT = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)


async def sarthe_id(store: Store) -> int:
    return next(c.id for c in await store.circuits(Scope.catalog()) if c.key == "la-sarthe")


def club_write(circuit_id: int, **changes: Any) -> EventWrite:
    """A made-up 6-hour race at Le Mans on 12 June 2027, 17:00 local (15:00 UTC)."""
    fields: dict[str, Any] = {
        "key": "club-6h",
        "series": "WEC",
        "circuit_id": circuit_id,
        "season": 2027,
        "name": "Club 6 Hours (fictional)",
        "length": "6 hours",
        "status": "scheduled",
        "info_url": None,
        "watch_url": None,
        "sessions": (
            SessionRecord("race", "race", "2027-06-12T15:00:00Z", "2027-06-12", "2027-06-12T15:00:00Z", 360, None),
        ),
    }
    return EventWrite(**{**fields, **changes})


ENTRY = EntryRecord("7", "Club", "Club Racing", "Kart", ("Ada Fictional", "Bo Fictional"), None, None)


async def test_a_moderator_adds_edits_and_removes_an_event_each_write_taking_the_next_version(backend):
    editing = backend.editing
    circuit = await sarthe_id(backend)
    event_id = await editing.create_event(GUILD, club_write(circuit), by=MOD, at=AT)
    assert await editing.version(GUILD, event_id) == 1
    created = await backend.event(Scope(GUILD), event_id)
    assert created is not None
    assert created.race is not None
    assert (created.name, created.guild_id, created.race.duration_minutes) == ("Club 6 Hours (fictional)", GUILD, 360)

    await editing.update_event(
        GUILD, event_id, 1, club_write(circuit, name="Club 8 Hours (fictional)"), by=MOD, at=AT, action="event.edit"
    )
    assert await editing.version(GUILD, event_id) == 2
    assert await editing.versions(GUILD, ["club-6h", "nowhere"]) == {"club-6h": 2}
    edited = await backend.event(Scope(GUILD), event_id)
    assert edited is not None
    assert edited.race is not None
    assert edited.name == "Club 8 Hours (fictional)"
    assert edited.race.id == created.race.id  # the session is matched by key: reminders follow it

    await editing.delete_event(GUILD, event_id, 2, by=MOD, at=AT)
    assert await backend.event(Scope(GUILD), event_id) is None
    assert await editing.version(GUILD, event_id) is None


async def test_a_stale_version_is_refused_and_writes_neither_the_change_nor_an_audit_row(backend):
    editing = backend.editing
    circuit = await sarthe_id(backend)
    event_id = await editing.create_event(GUILD, club_write(circuit), by=MOD, at=AT)
    await editing.update_event(GUILD, event_id, 1, club_write(circuit, name="First"), by=MOD, at=AT, action="event.edit")
    before = await dump(backend)
    with pytest.raises(StaleVersion):
        await editing.update_event(
            GUILD, event_id, 1, club_write(circuit, name="Second"), by=OTHER_MOD, at=AT, action="event.edit"
        )
    with pytest.raises(StaleVersion):
        await editing.delete_event(GUILD, event_id, 1, by=OTHER_MOD, at=AT)
    with pytest.raises(StaleVersion):
        await editing.put_entry(GUILD, event_id, 1, ENTRY, replacing=None, by=OTHER_MOD, at=AT)
    assert await dump(backend) == before
    assert [row.user_id for row in await editing.history(GUILD)] == [MOD, MOD]


async def test_of_two_moderators_saving_one_preview_at_once_in_two_processes_one_is_refused(backend, backend_target):
    circuit = await sarthe_id(backend)
    event_id = await backend.editing.create_event(GUILD, club_write(circuit), by=MOD, at=AT)
    other = await Store.open(backend_target)
    try:
        outcomes = await asyncio.gather(
            backend.editing.update_event(
                GUILD, event_id, 1, club_write(circuit, name="By the first"), by=MOD, at=AT, action="event.edit"
            ),
            other.editing.update_event(
                GUILD, event_id, 1, club_write(circuit, name="By the second"), by=OTHER_MOD, at=AT, action="event.edit"
            ),
            return_exceptions=True,
        )
    finally:
        await other.close()
    refused = [o for o in outcomes if isinstance(o, StaleVersion)]
    assert len(refused) == 1, outcomes
    assert outcomes.count(None) == 1
    assert await backend.editing.version(GUILD, event_id) == 2
    [edit, _add] = await backend.editing.history(GUILD)
    event = await backend.event(Scope(GUILD), event_id)
    assert event is not None
    assert edit.after is not None
    assert edit.after["name"] == event.name


async def test_a_guild_cannot_touch_the_catalogs_or_another_guilds_events(backend):
    editing = backend.editing
    circuit = await sarthe_id(backend)
    event_id = await editing.create_event(GUILD, club_write(circuit), by=MOD, at=AT)
    catalog_event = (await backend.events(Scope.catalog()))[0]
    await backend.import_catalog(
        guild_catalog(
            club_event("ring", "Ring race", "2027-07-01", circuit="club-ring"),
            circuits=[{"key": "club-ring", "name": "Club Ring (fictional)", "timezone": "Europe/Berlin"}],
        ),
        guild_id=OTHER,
    )
    [other_event] = await backend.own_events(OTHER)
    before = await dump(backend)
    with pytest.raises(StaleVersion):
        await editing.update_event(OTHER, event_id, 1, club_write(circuit, name="Hijacked"), by=MOD, at=AT, action="event.edit")
    with pytest.raises(StaleVersion):
        await editing.delete_event(OTHER, event_id, 1, by=MOD, at=AT)
    with pytest.raises(StaleVersion):
        await editing.delete_event(GUILD, catalog_event.id, 1, by=MOD, at=AT)
    with pytest.raises(StaleVersion):
        await editing.put_result(GUILD, catalog_event.id, 1, ResultRecord("Overall", 1, "1", "Us", None), by=MOD, at=AT)
    assert await editing.version(GUILD, catalog_event.id) is None
    with pytest.raises(NotOwned):  # another guild's own circuit
        await editing.update_event(
            GUILD, event_id, 1, club_write(other_event.circuit.id), by=MOD, at=AT, action="event.edit"
        )
    assert await dump(backend) == before


async def test_a_key_the_guild_or_the_catalog_holds_is_refused(backend):
    editing = backend.editing
    circuit = await sarthe_id(backend)
    await editing.create_event(GUILD, club_write(circuit), by=MOD, at=AT)
    before = await dump(backend)
    with pytest.raises(DuplicateKey):
        await editing.create_event(GUILD, club_write(circuit, name="Again"), by=MOD, at=AT)
    sarthe = CircuitRecord("la-sarthe", "Another Sarthe", "Europe/Paris", None, None, None, None, (), None, None)
    with pytest.raises(DuplicateKey):
        await editing.add_circuit(GUILD, sarthe, by=MOD, at=AT)
    assert await dump(backend) == before
    # Another guild may use the key; a new circuit key is the guild's own.
    await editing.create_event(OTHER, club_write(circuit), by=OTHER_MOD, at=AT)
    ring = CircuitRecord("club-ring", "Club Ring", "Europe/Berlin", "Nowhere", "DE", None, None, ("Ring",), None, None)
    ring_id = await editing.add_circuit(GUILD, ring, by=MOD, at=AT)
    [own] = await backend.own_circuits(GUILD)
    assert (own.id, own.key, own.aliases) == (ring_id, "club-ring", ("Ring",))
    assert await backend.own_circuits(OTHER) == []


async def test_entries_and_results_are_edited_under_the_events_version(backend):
    editing = backend.editing
    event_id = await editing.create_event(GUILD, club_write(await sarthe_id(backend)), by=MOD, at=AT)
    await editing.put_entry(GUILD, event_id, 1, ENTRY, replacing=None, by=MOD, at=AT)
    second = EntryRecord("8", "Club", "Other Team", "Kart", ("Cy Fictional",), None, None)
    await editing.put_entry(GUILD, event_id, 2, second, replacing=None, by=MOD, at=AT)
    with pytest.raises(DuplicateKey):
        await editing.put_entry(GUILD, event_id, 3, second, replacing=None, by=MOD, at=AT)
    renumbered = EntryRecord("77", "Club", "Club Racing", "Kart", ("Ada Fictional",), None, None)
    await editing.put_entry(GUILD, event_id, 3, renumbered, replacing="7", by=MOD, at=AT)
    entries = await backend.entries(Scope(GUILD), event_id)
    assert [(en.number, en.drivers) for en in entries] == [("77", ("Ada Fictional",)), ("8", ("Cy Fictional",))]
    await editing.put_result(GUILD, event_id, 4, ResultRecord("Overall", 1, "77", "Club Racing", None), by=MOD, at=AT)
    await editing.put_result(GUILD, event_id, 5, ResultRecord("Overall", 1, "8", "Other Team", None), by=MOD, at=AT)
    assert [(r.position, r.number) for r in await backend.results(Scope(GUILD), event_id)] == [(1, "8")]
    await editing.delete_result(GUILD, event_id, 6, "Overall", 1, by=MOD, at=AT)
    await editing.delete_entry(GUILD, event_id, 7, "8", by=MOD, at=AT)
    with pytest.raises(NotOwned):
        await editing.delete_entry(GUILD, event_id, 8, "99", by=MOD, at=AT)
    assert [en.number for en in await backend.entries(Scope(GUILD), event_id)] == ["77"]
    assert await backend.results(Scope(GUILD), event_id) == []
    assert await editing.version(GUILD, event_id) == 8


async def test_a_guild_file_is_imported_against_the_versions_the_moderator_previewed(backend):
    editing = backend.editing
    first = guild_catalog(club_event("club-a", "Club A", "2027-06-12"), club_event("club-b", "Club B", "2027-06-13"))
    preview = await editing.import_events(GUILD, first, by=MOD, at=AT, versions=None, dry_run=True)
    assert preview.touched == ("club-a", "club-b")
    assert await backend.own_events(GUILD) == []
    done = await editing.import_events(GUILD, first, by=MOD, at=AT, versions={}, dry_run=False)
    assert done.summary.new["events"] == 2
    versions = await editing.versions(GUILD, ["club-a", "club-b"])
    assert versions == {"club-a": 1, "club-b": 1}

    changed = guild_catalog(club_event("club-a", "Club A, renamed", "2027-06-12"), club_event("club-b", "Club B", "2027-06-13"))
    preview = await editing.import_events(GUILD, changed, by=MOD, at=AT, versions=None, dry_run=True)
    assert preview.touched == ("club-a",)
    # Meanwhile another moderator edits club-a: the confirmed preview is stale.
    [club_a] = [e for e in await backend.own_events(GUILD) if e.key == "club-a"]
    await backend.editing.delete_event(GUILD, club_a.id, 1, by=OTHER_MOD, at=AT)
    before = await dump(backend)
    with pytest.raises(StaleVersion):
        await editing.import_events(GUILD, changed, by=MOD, at=AT, versions=versions, dry_run=False)
    assert await dump(backend) == before
