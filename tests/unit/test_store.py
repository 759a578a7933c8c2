"""The SQLite store: set-up, migrations, indexes and guild scoping, on a real file."""

import copy
import json

import aiosqlite
import pytest

from fanbot.calendar_files.catalog import parse_catalog, shipped_catalog
from fanbot.config import catalog_path
from fanbot.domain.localtime import parse_instant
from fanbot.store import Scope, Store
from fanbot.store.schema import migrations


async def test_new_database_is_migrated_to_the_latest_version_and_seeded(store):
    assert await store.schema_version() == max(v for v, _ in migrations())
    names = [e.name for e in await store.events(Scope.catalog(), series="ALMS", season=2012)]
    assert names[-1] == "Petit Le Mans powered by Mazda (15th running)"  # the season's finale


async def test_connection_uses_wal_foreign_keys_and_a_busy_timeout(store):
    async with store.database.connection.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone())[0] == "wal"
    async with store.database.connection.execute("PRAGMA foreign_keys") as cur:
        assert (await cur.fetchone())[0] == 1
    async with store.database.connection.execute("PRAGMA busy_timeout") as cur:
        assert (await cur.fetchone())[0] >= 1000


async def test_version_1_database_upgrades_in_place_with_nothing_lost(db_path):
    old = await Store.open(db_path, upto_version=1)
    assert await old.schema_version() == 1
    await old.database.connection.execute("INSERT INTO series (code, name) VALUES ('ELMS', 'European Le Mans Series')")
    await old.database.connection.execute(
        "INSERT INTO circuits (key, name, timezone) VALUES ('paul-ricard', 'Paul Ricard', 'Europe/Paris')"
    )
    await old.database.connection.execute(
        "INSERT INTO events (guild_id, key, series_id, circuit_id, season, name) "
        "VALUES (42, 'elms-2027-le-castellet', 1, 1, 2027, '4 Hours of Le Castellet')"
    )
    await old.database.connection.execute(
        "INSERT INTO sessions (event_id, key, kind, start_at, local_date, sort_at, horizon_at) "
        "VALUES (1, 'race', 'race', '2027-04-18T10:00:00Z', '2027-04-18', "
        "'2027-04-18T10:00:00Z', '2027-04-18T10:00:00Z')"
    )
    await old.close()

    upgraded = await Store.open(db_path)
    try:
        assert await upgraded.schema_version() == max(v for v, _ in migrations())
        events = await upgraded.events(Scope(42))
        assert [(e.name, e.series.code, e.sessions[0].start) for e in events] == [
            ("4 Hours of Le Castellet", "ELMS", parse_instant("2027-04-18T10:00:00Z"))
        ]
        assert await upgraded.results(Scope(42), events[0].id) == []  # the v2 table exists
    finally:
        await upgraded.close()


async def test_a_failed_migration_leaves_the_database_at_its_old_version(db_path, monkeypatch):
    old = await Store.open(db_path, upto_version=1)
    await old.close()
    broken = [
        *migrations()[:1],
        (2, "CREATE TABLE results (id INTEGER PRIMARY KEY); SELECT nope FROM nowhere;"),
    ]
    monkeypatch.setattr("fanbot.store.schema.migrations", lambda: broken)
    with pytest.raises(aiosqlite.OperationalError):
        await Store.open(db_path)
    async with aiosqlite.connect(db_path) as db:
        async with db.execute("PRAGMA user_version") as cur:
            assert (await cur.fetchone())[0] == 1
        async with db.execute("SELECT name FROM sqlite_master WHERE name = 'results'") as cur:
            assert await cur.fetchone() is None


async def test_next_sessions_query_uses_the_horizon_index_not_a_scan(store):
    sql, params = store.upcoming_sql(Scope(7), parse_instant("2026-01-01T00:00:00Z"), series="WEC")
    plan = await store.explain(sql, params)
    assert any("sessions_by_horizon" in line for line in plan), plan
    assert not any(line.startswith(("SCAN s", "SCAN e")) for line in plan), plan


def _guild_event(key, name, day):
    return {
        "key": key,
        "series": "WEC",
        "season": 2027,
        "name": name,
        "circuit": "la-sarthe",
        "sessions": [{"kind": "race", "date": day, "time": "16:00"}],
    }


def _catalog_with(*events):
    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    raw["events"] = list(events)
    return parse_catalog(raw)


async def test_a_guild_sees_the_catalog_and_its_own_events_but_never_another_guilds(store):
    await store.import_catalog(
        _catalog_with(_guild_event("club-a", "Club A night race", "2027-06-12")), guild_id=1
    )
    await store.import_catalog(
        _catalog_with(_guild_event("club-b", "Club B night race", "2027-06-13")), guild_id=2
    )

    def names(events):
        return {e.name for e in events}

    seen_by_a = names(await store.events(Scope(1), season=2027))
    seen_by_b = names(await store.events(Scope(2), season=2027))
    seen_in_dm = names(await store.events(Scope.catalog(), season=2027))
    assert seen_by_a == {"Club A night race"}
    assert seen_by_b == {"Club B night race"}
    assert seen_in_dm == set()
    assert len(await store.events(Scope(1))) == len(await store.events(Scope.catalog())) + 1

    b_event = next(iter(await store.events(Scope(2), season=2027)))
    assert await store.event(Scope(1), b_event.id) is None
    assert await store.upcoming_event_ids(Scope(1), parse_instant("2027-06-13T00:00:00Z")) == []


async def test_two_guilds_may_use_the_same_event_key(store):
    for guild in (1, 2):
        await store.import_catalog(
            _catalog_with(_guild_event("club", "Club race", "2027-06-12")), guild_id=guild
        )
    assert len(await store.events(Scope(1), season=2027)) == 1
    assert len(await store.events(Scope(2), season=2027)) == 1


async def test_two_processes_starting_on_a_new_file_at_once_both_succeed(db_path):
    import asyncio

    first, second = await asyncio.gather(
        Store.open(db_path, seed=shipped_catalog()), Store.open(db_path, seed=shipped_catalog())
    )
    try:
        assert await first.schema_version() == await second.schema_version() == max(v for v, _ in migrations())
        shipped = json.loads(catalog_path().read_text(encoding="utf-8"))
        assert len(await first.events(Scope.catalog())) == len(shipped["events"])
    finally:
        await first.close()
        await second.close()
