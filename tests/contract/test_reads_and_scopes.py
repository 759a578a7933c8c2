"""Reads and scopes, on every backend: what the shipped catalog reads back as, what a DM
(the catalog scope) and a guild see, and that no guild ever sees another's events.
The guild events are fictional."""

from __future__ import annotations

from datetime import UTC, date

from fanbot.domain.localtime import parse_instant
from fanbot.domain.model import EventStatus, SessionKind
from fanbot.store import Scope, Store
from tests.contract.store_data import PETIT_LE_MANS, club_event, guild_catalog, shipped_raw

GUILD_A, GUILD_B = 1001, 1002
CLUB_DRIVER = "Ada Fictional"


async def two_guilds(store: Store) -> None:
    """Guild A and guild B each import a club race of their own in June 2027; A's has a line-up."""
    entry = {"number": "7", "class": "Club", "team": "Club A", "car": "Kart", "drivers": [CLUB_DRIVER]}
    await store.import_catalog(
        guild_catalog(club_event("club-a", "Club A night race", "2027-06-12", entries=[entry])),
        guild_id=GUILD_A,
    )
    await store.import_catalog(
        guild_catalog(club_event("club-b", "Club B night race", "2027-06-13")), guild_id=GUILD_B
    )


async def test_the_shipped_catalog_reads_back_with_its_instants_dates_and_text_car_numbers(backend):
    [plm] = [e for e in await backend.events(Scope.catalog(), series="ALMS", season=2012) if e.key == PETIT_LE_MANS]
    assert (plm.name, plm.series.code, plm.circuit.key, plm.season) == (
        "Petit Le Mans powered by Mazda (15th running)",
        "ALMS",
        "road-atlanta",
        2012,
    )
    assert plm.guild_id is None
    assert plm.status is EventStatus.SCHEDULED
    assert plm.length_minutes == 600
    assert set(plm.aliases) == {"Petit Le Mans", "PLM"}
    assert [s.kind for s in plm.sessions] == [SessionKind.QUALIFYING, SessionKind.RACE]
    race = plm.race
    assert race is not None
    # 11:30 at Road Atlanta (EDT) is 15:30 UTC; instants read back aware, in UTC.
    assert race.start == parse_instant("2012-10-20T15:30:00Z")
    assert race.start is not None
    assert race.start.utcoffset() == UTC.utcoffset(None)
    assert race.local_date == date(2012, 10, 20)
    entries = await backend.entries(Scope.catalog(), plm.id)
    assert len(entries) == 10
    assert entries[0].drivers == ("Neel Jani", "Nicolas Prost", "Andrea Belicchi")
    assert {"055", "0", "6"} <= {en.number for en in entries}
    results = await backend.results(Scope.catalog(), plm.id)
    assert [(r.car_class, r.position, r.number) for r in results[:2]] == [("Overall", 1, "12"), ("Overall", 2, "055")]


async def test_the_catalog_scope_sees_every_shipped_event_series_and_circuit(backend):
    raw = shipped_raw()
    assert len(await backend.events(Scope.catalog())) == len(raw["events"])
    assert {s.code for s in await backend.series()} == {s["code"] for s in raw["series"]}
    assert {c.key for c in await backend.circuits(Scope.catalog())} == {c["key"] for c in raw["circuits"]}
    assert await backend.seasons(Scope.catalog(), "ALMS") == sorted(
        {e["season"] for e in raw["events"] if e["series"] == "ALMS"}
    )


async def test_events_come_in_date_order_and_filter_by_series_season_and_circuit(backend):
    events = await backend.events(Scope.catalog())
    firsts = [e.sessions[0].start for e in events if e.sessions and e.sessions[0].start is not None]
    assert firsts == sorted(firsts)
    wec_2025 = await backend.events(Scope.catalog(), series="WEC", season=2025)
    assert wec_2025
    assert {(e.series.code, e.season) for e in wec_2025} == {("WEC", 2025)}
    sarthe = next(c for c in await backend.circuits(Scope.catalog()) if c.key == "la-sarthe")
    at_le_mans = await backend.events(Scope.catalog(), circuit_id=sarthe.id)
    assert at_le_mans
    assert {e.circuit.key for e in at_le_mans} == {"la-sarthe"}


async def test_the_next_and_the_last_race_are_found_by_instant(backend):
    before_plm = parse_instant("2012-10-01T00:00:00Z")
    [first, *_] = await backend.upcoming_event_ids(Scope.catalog(), before_plm, series="ALMS")
    plm = await backend.event(Scope.catalog(), first)
    assert plm is not None
    assert plm.key == PETIT_LE_MANS
    assert await backend.last_raced_event_id(Scope.catalog(), parse_instant("2012-10-22T00:00:00Z")) == plm.id
    # Its race has not come to pass during it: the last raced is an earlier one.
    earlier = await backend.last_raced_event_id(Scope.catalog(), parse_instant("2012-10-20T18:00:00Z"))
    assert earlier is not None
    assert earlier != plm.id
    # A limit of n gives the n soonest, in order.
    three = await backend.upcoming_event_ids(Scope.catalog(), before_plm, limit=3)
    assert three == (await backend.upcoming_event_ids(Scope.catalog(), before_plm, limit=10))[:3]


async def test_a_circuits_calendar_lists_its_events_in_date_order(backend):
    sarthe = next(c for c in await backend.circuits(Scope.catalog()) if c.key == "la-sarthe")
    rows = await backend.circuit_calendar(sarthe.id, None)
    at_le_mans = [e for e in await backend.events(Scope.catalog(), circuit_id=sarthe.id) if e.status != "cancelled"]
    assert [r.event_id for r in rows] == [e.id for e in at_le_mans]
    assert all(r.guild_id is None for r in rows)
    dated = [r.until for r in rows if r.until is not None]
    assert dated == sorted(dated)


async def test_a_guild_sees_the_catalog_and_its_own_events_but_never_another_guilds(backend):
    await two_guilds(backend)

    def names(events):
        return {e.name for e in events}

    assert names(await backend.events(Scope(GUILD_A), season=2027)) == {"Club A night race"}
    assert names(await backend.events(Scope(GUILD_B), season=2027)) == {"Club B night race"}
    assert names(await backend.events(Scope.catalog(), season=2027)) == set()
    assert len(await backend.events(Scope(GUILD_A))) == len(await backend.events(Scope.catalog())) + 1
    [b_event] = await backend.own_events(GUILD_B)
    [a_event] = await backend.own_events(GUILD_A)
    assert a_event.guild_id == GUILD_A
    # By id, by date, by line-up: B's event does not exist for A.
    assert await backend.event(Scope(GUILD_A), b_event.id) is None
    assert await backend.events_by_id(Scope(GUILD_A), [b_event.id, a_event.id]) == [a_event]
    assert b_event.id not in await backend.upcoming_event_ids(Scope(GUILD_A), parse_instant("2027-06-01T00:00:00Z"))
    assert await backend.entries(Scope(GUILD_B), a_event.id) == []
    assert await backend.entries(Scope.catalog(), a_event.id) == []
    assert [en.number for en in await backend.entries(Scope(GUILD_A), a_event.id)] == ["7"]


async def test_a_guilds_drivers_and_circuits_are_its_own(backend):
    await two_guilds(backend)
    ring = {"key": "club-ring", "name": "Club Ring (fictional)", "timezone": "Europe/Berlin"}
    await backend.import_catalog(
        guild_catalog(club_event("ring-race", "Ring race", "2027-07-01", circuit="club-ring"), circuits=[ring]),
        guild_id=GUILD_B,
    )
    assert CLUB_DRIVER in await backend.driver_names(Scope(GUILD_A))
    assert CLUB_DRIVER not in await backend.driver_names(Scope(GUILD_B))
    assert CLUB_DRIVER not in await backend.driver_names(Scope.catalog())
    assert await backend.own_driver_names(GUILD_A) == [CLUB_DRIVER]
    [(event_id, entry)] = await backend.entries_of_driver(Scope(GUILD_A), CLUB_DRIVER)
    assert entry.drivers == (CLUB_DRIVER,)
    assert await backend.entries_of_driver(Scope(GUILD_B), CLUB_DRIVER) == []
    assert [c.key for c in await backend.own_circuits(GUILD_B)] == ["club-ring"]
    assert await backend.own_circuits(GUILD_A) == []
    assert "club-ring" not in {c.key for c in await backend.circuits(Scope(GUILD_A))}
    [ring_circuit] = await backend.own_circuits(GUILD_B)
    [row] = await backend.circuit_calendar(ring_circuit.id, GUILD_B)
    assert row.guild_id == GUILD_B
    assert await backend.circuit_calendar(ring_circuit.id, GUILD_A) == []
    assert event_id != row.event_id


async def test_two_guilds_may_use_the_same_event_key(backend):
    for guild in (GUILD_A, GUILD_B):
        await backend.import_catalog(guild_catalog(club_event("club", "Club race", "2027-06-12")), guild_id=guild)
    [a_event] = await backend.own_events(GUILD_A)
    [b_event] = await backend.own_events(GUILD_B)
    assert a_event.key == b_event.key == "club"
    assert a_event.id != b_event.id
