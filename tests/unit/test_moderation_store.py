"""The write side of moderation in the store (``store.editing``) and the guild-import
fixes, on a real SQLite file. The guild events below are fictional."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from fanbot.calendar_files.catalog import parse_catalog, shipped_catalog
from fanbot.config import catalog_path
from fanbot.domain.catalog import CatalogError, SessionRecord
from fanbot.store import Scope, Store
from fanbot.store.editing import EventWrite, NotOwned, StaleVersion
from tests.support.database import dump

GUILD, OTHER = 101, 202
AT = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)


def guild_file(*, circuits: list[dict[str, object]] | None = None, circuit: str = "la-sarthe") -> object:
    raw = copy.deepcopy(json.loads(catalog_path().read_text(encoding="utf-8")))
    if circuits is not None:
        raw["circuits"] = circuits
    raw["events"] = [
        {
            "key": "club-race",
            "series": "WEC",
            "season": 2027,
            "name": "Club race (fictional)",
            "circuit": circuit,
            "sessions": [{"kind": "race", "date": "2027-06-12", "time": "16:00"}],
        }
    ]
    return parse_catalog(raw)


async def own(store: Store, guild: int):
    return [e for e in await store.events(Scope(guild)) if e.guild_id == guild]


def write_of(event, **changes) -> EventWrite:
    fields = {
        "key": event.key,
        "series": event.series.code,
        "circuit_id": event.circuit.id,
        "season": event.season,
        "name": event.name,
        "length": event.length,
        "status": event.status.value,
        "info_url": event.info_url,
        "watch_url": event.watch_url,
        "sessions": (
            SessionRecord(
                "race",
                "race",
                "2027-06-12T15:00:00Z",
                "2027-06-12",
                "2027-06-12T15:00:00Z",
                None,
                None,
            ),
        ),
    }
    return EventWrite(**{**fields, **changes})


async def test_a_guild_file_uses_the_shared_circuits_instead_of_copying_them(store):
    circuits_before = len(await store.circuits(Scope.catalog()))
    summary = await store.import_catalog(guild_file(), guild_id=GUILD)
    assert summary.new["circuits"] == 0
    assert summary.new["events"] == 1
    [event] = await own(store, GUILD)
    assert event.circuit.key == "la-sarthe"
    shared = {c.key: c.id for c in await store.circuits(Scope.catalog())}
    assert event.circuit.id == shared["la-sarthe"]
    assert len(await store.circuits(Scope(GUILD))) == circuits_before


async def test_a_guild_file_may_bring_its_own_circuit_which_only_that_guild_sees(store):
    ring = {"key": "club-ring", "name": "Club Ring (fictional)", "timezone": "Europe/Berlin"}
    summary = await store.import_catalog(guild_file(circuits=[ring], circuit="club-ring"), guild_id=GUILD)
    assert summary.new["circuits"] == 1
    again = await store.import_catalog(guild_file(circuits=[ring], circuit="club-ring"), guild_id=GUILD)
    assert again.unchanged["circuits"] == 1
    assert not again.changed_anything
    assert "club-ring" in {c.key for c in await store.circuits(Scope(GUILD))}
    assert "club-ring" not in {c.key for c in await store.circuits(Scope(OTHER))}


async def test_a_dry_run_counts_the_changes_and_rolls_them_back(store):
    before = await dump(store)
    summary = await store.import_catalog(guild_file(), guild_id=GUILD, dry_run=True)
    assert summary.new["events"] == 1
    assert await dump(store) == before
    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    raw["series"].append({"code": "XYZ", "name": "Guild series"})
    with pytest.raises(CatalogError):
        await store.import_catalog(parse_catalog(raw), guild_id=GUILD, dry_run=True)
    assert await dump(store) == before


async def test_guild_copies_made_before_version_4_are_folded_into_the_shared_circuit(db_path):
    old = await Store.open(db_path, seed=shipped_catalog(), upto_version=3)
    # What the version-3 importer did with a guild file naming la-sarthe: a guild copy.
    await old.database.connection.execute(
        "INSERT INTO circuits (guild_id, key, name, timezone) VALUES (?, 'la-sarthe', 'Copy', 'Europe/Paris')",
        (GUILD,),
    )
    await old.database.connection.execute(
        "INSERT INTO events (guild_id, key, series_id, circuit_id, season, name) VALUES "
        "(?, 'club-race', 1, (SELECT id FROM circuits WHERE guild_id = ?), 2027, 'Club race (fictional)')",
        (GUILD, GUILD),
    )
    await old.close()
    upgraded = await Store.open(db_path)
    try:
        [event] = await own(upgraded, GUILD)
        assert event.circuit.name == "Circuit de la Sarthe"
        names = [c.name for c in await upgraded.circuits(Scope(GUILD)) if c.key == "la-sarthe"]
        assert names == ["Circuit de la Sarthe"]
    finally:
        await upgraded.close()


async def test_writes_name_the_guild_so_catalog_and_other_guilds_events_are_never_touched(store):
    await store.import_catalog(guild_file(), guild_id=GUILD)
    [event] = await own(store, GUILD)
    catalog_event = (await store.events(Scope.catalog()))[0]
    version = await store.editing.version(GUILD, event.id)
    assert version is not None
    before = await dump(store)
    editing = store.editing
    with pytest.raises(StaleVersion):
        await editing.update_event(
            OTHER, event.id, version, write_of(event, name="Hijacked"), by=1, at=AT, action="event.edit"
        )
    with pytest.raises(StaleVersion):
        await editing.delete_event(OTHER, event.id, version, by=1, at=AT)
    with pytest.raises(StaleVersion):
        await editing.delete_event(GUILD, catalog_event.id, 1, by=1, at=AT)
    assert await editing.version(GUILD, catalog_event.id) is None
    # Another guild's own circuit is not usable either.
    ring = {"key": "club-ring", "name": "Club Ring (fictional)", "timezone": "Europe/Berlin"}
    await store.import_catalog(guild_file(circuits=[ring], circuit="club-ring"), guild_id=OTHER)
    before = await dump(store)
    [other_event] = await own(store, OTHER)
    with pytest.raises(NotOwned):
        await editing.update_event(
            GUILD,
            event.id,
            version,
            write_of(event, circuit_id=other_event.circuit.id),
            by=1,
            at=AT,
            action="event.edit",
        )
    assert await dump(store) == before


async def test_a_stale_version_writes_neither_the_change_nor_an_audit_row(store):
    await store.import_catalog(guild_file(), guild_id=GUILD)
    [event] = await own(store, GUILD)
    version = await store.editing.version(GUILD, event.id)
    assert version is not None
    await store.editing.update_event(
        GUILD, event.id, version, write_of(event, name="First (fictional)"), by=1, at=AT, action="event.edit"
    )
    before = await dump(store)
    with pytest.raises(StaleVersion):
        await store.editing.update_event(
            GUILD,
            event.id,
            version,
            write_of(event, name="Second (fictional)"),
            by=2,
            at=AT,
            action="event.edit",
        )
    assert await dump(store) == before
    [row] = await store.editing.history(GUILD, event_key="club-race")
    assert (row.user_id, row.before["name"], row.after["name"]) == (
        1,
        "Club race (fictional)",
        "First (fictional)",
    )
    assert row.after["version"] == version + 1
    # The session moved by key, so reminders that point at it follow.
    [moved] = await own(store, GUILD)
    assert moved.race.id == event.race.id
    assert moved.race.start.hour == 15
