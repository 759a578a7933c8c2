"""Importing catalog files: the shipped one, twice, and bad ones (refused whole)."""

import copy
import json
from pathlib import Path

import pytest

from fanbot.answers.context import Asker, Lookups
from fanbot.answers.nextrace import next_race
from fanbot.calendar_files.catalog import CatalogFile, load_catalog_file, parse_catalog, shipped_catalog
from fanbot.clock import FixedClock
from fanbot.config import catalog_path
from fanbot.domain.catalog import CatalogError
from fanbot.domain.localtime import parse_instant, to_iso_utc
from fanbot.store import Scope, Store
from tests.support.database import dump


def shipped() -> dict:
    return json.loads(catalog_path().read_text(encoding="utf-8"))


async def test_shipped_catalog_imports_into_an_empty_database(empty_store):
    summary = await empty_store.import_catalog(load_catalog_file(catalog_path()))
    raw = shipped()
    assert summary.new == {
        "series": len(raw["series"]),
        "circuits": len(raw["circuits"]),
        "events": len(raw["events"]),
    }
    assert len(await empty_store.events(Scope.catalog())) == len(raw["events"])


async def test_importing_the_same_file_twice_changes_nothing(store):
    before = await dump(store)
    summary = await store.import_catalog(load_catalog_file(catalog_path()))
    assert not summary.changed_anything
    assert summary.unchanged["events"] == len(shipped()["events"])
    assert await dump(store) == before


async def test_reimport_with_a_moved_session_updates_it_and_keeps_its_id(store):
    raw = shipped()
    index = next(i for i, e in enumerate(raw["events"]) if e["key"] == "alms-2012-petit-le-mans-powered-by-mazda")
    [event] = [e for e in await store.events(Scope.catalog(), series="ALMS") if e.key == raw["events"][index]["key"]]
    race_id = event.race.id
    raw["events"][index]["sessions"][1]["time"] = "12:30"
    summary = await store.import_catalog(parse_catalog(raw))
    assert summary.changed["events"] == 1
    assert summary.unchanged["events"] == len(raw["events"]) - 1
    moved = await store.event(Scope.catalog(), event.id)
    assert moved.race.id == race_id
    assert to_iso_utc(moved.race.start) == "2012-10-20T16:30:00Z"


def test_unknown_times_stay_unknown_in_the_catalog():
    catalog = load_catalog_file(catalog_path())
    sao_paulo = next(e for e in catalog.events if e.key == "wec-2025-rolex-6-hours-of-sao-paulo")
    (race,) = sao_paulo.sessions
    assert race.start_at is None
    assert race.local_date == "2025-07-13"


def test_car_numbers_are_kept_as_text():
    catalog = load_catalog_file(catalog_path())
    plm = next(e for e in catalog.events if e.season == 2012)
    assert {"055", "0", "6"} <= {en.number for en in plm.entries}


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda raw: raw["events"][3]["sessions"][1].__setitem__("time", "25:00"),
            'events[3] "TotalEnergies 6 Hours of Spa-Francorchamps".sessions[1].time',
        ),
        (
            lambda raw: raw["events"][0].__setitem__("circuit", "nowhere"),
            "events[0] \"Petit Le Mans powered by Mazda (15th running)\".circuit: unknown circuit key 'nowhere'",
        ),
        (
            lambda raw: raw["circuits"][0].__setitem__("timezone", "America/Atlantis"),
            "circuits[0].timezone: 'America/Atlantis' is not an IANA time zone",
        ),
        (
            lambda raw: raw["events"][0]["entries"][1].__setitem__("number", 6),
            'events[0] "Petit Le Mans powered by Mazda (15th running)".entries[1].number',
        ),
        (
            lambda raw: raw["events"][1].__setitem__("status", "maybe"),
            'events[1] "Qatar Airways Qatar 1812 km".status',
        ),
        (
            lambda raw: raw["events"][1].__setitem__("watch_url", "javascript:alert(1)"),
            'events[1] "Qatar Airways Qatar 1812 km".watch_url: must be an http(s) address',
        ),
        # 02:30 on the US spring-forward night does not exist at Sebring.
        (
            lambda raw: raw["events"][18]["sessions"][1].update(date="2026-03-08", time="02:30"),
            'events[18] "Mobil 1 Twelve Hours of Sebring (73rd)".sessions[1].time: 2026-03-08 02:30 does not exist',
        ),
        (
            lambda raw: raw["events"].append(copy.deepcopy(raw["events"][0])),
            "events: key 'alms-2012-petit-le-mans-powered-by-mazda' appears twice",
        ),
    ],
)
async def test_a_bad_file_is_refused_whole_naming_entry_and_field(store, tmp_path: Path, mutate, expected):
    raw = shipped()
    raw["events"][2]["name"] = "Renamed so that a partial import would show"
    mutate(raw)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(raw), encoding="utf-8")
    before = await dump(store)
    with pytest.raises(CatalogError) as err:
        load_catalog_file(bad)
    assert expected in str(err.value)
    assert "nothing was imported" in str(err.value)
    assert await dump(store) == before


def test_a_file_that_is_not_json_is_refused(tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid JSON"):
        load_catalog_file(bad)


def test_a_file_of_another_format_is_refused():
    with pytest.raises(CatalogError, match="format: must be"):
        parse_catalog({"events": []})


async def test_a_failure_while_writing_rolls_the_whole_import_back(store, monkeypatch):
    raw = shipped()
    raw["events"][0]["name"] = "Changed name"
    raw["events"][5]["name"] = "Another change"
    catalog = parse_catalog(raw)
    before = await dump(store)
    calls = 0
    original = store.importer.replace_event_details

    async def fail_on_second(*args):
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("disk on fire")
        await original(*args)

    monkeypatch.setattr(store.importer, "replace_event_details", fail_on_second)
    with pytest.raises(RuntimeError):
        await store.import_catalog(catalog)
    assert await dump(store) == before


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda raw: raw["events"][1].__setitem__("status", ["x"]), ".status: must be one of"),
        (lambda raw: raw["events"][1]["sessions"][0].__setitem__("kind", ["race"]), ".sessions[0].kind"),
        (lambda raw: raw["events"][1]["sessions"][0].__setitem__("date", "9999-12-31"), "outside the years"),
        (lambda raw: raw["events"][1]["sessions"][0].__setitem__("date", "0999-06-01"), "outside the years"),
        (
            lambda raw: raw["events"][0]["results"].append(dict(raw["events"][0]["results"][0])),
            "Overall P1 is listed twice",
        ),
    ],
)
def test_odd_values_are_problems_not_crashes(mutate, expected):
    raw = shipped()
    mutate(raw)
    with pytest.raises(CatalogError) as err:
        parse_catalog(raw)
    assert expected in str(err.value)


async def test_a_guild_file_may_use_shared_series_but_not_rename_or_add_them(store):
    raw = shipped()
    raw["events"] = [
        {
            "key": "club",
            "series": "WEC",
            "season": 2027,
            "name": "Club race",
            "circuit": "la-sarthe",
            "sessions": [],
        }
    ]
    raw["series"] = [{"code": "WEC", "name": "Renamed by a guild"}]
    await store.import_catalog(parse_catalog(raw), guild_id=5)
    assert {s.name for s in await store.series() if s.code == "WEC"} == {"FIA World Endurance Championship"}
    raw["series"].append({"code": "XYZ", "name": "Guild series"})
    before = await dump(store)
    with pytest.raises(CatalogError, match="series 'XYZ' is not known"):
        await store.import_catalog(parse_catalog(raw), guild_id=5)
    assert await dump(store) == before


def asker_at(store: Store, at: str) -> Asker:
    return Asker(store, Scope(None), FixedClock(parse_instant(at)), Lookups(store))


async def test_a_database_seeded_by_an_older_release_gets_the_shipped_catalog_on_upgrade(db_path):
    # A bot seeded before races had lengths (schema 5, the catalog of then): after the
    # upgrade, 4 h into the 2012 Petit Le Mans (10 hours at most) is the weekend in progress,
    # not the end of an estimated 2 h 45 race.
    old_raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    for e in old_raw["events"]:
        e.pop("length_minutes", None)
        e.pop("aliases", None)
    old_file = db_path.parent / "catalog-of-then.json"
    old_file.write_text(json.dumps(old_raw), encoding="utf-8")
    old = await Store.open(db_path, seed=CatalogFile(old_file), upto_version=5)
    await old.close()
    upgraded = await Store.open(db_path, seed=shipped_catalog())
    try:
        answer = await next_race(asker_at(upgraded, "2012-10-20T19:30:00Z"))
        assert answer.event is not None
        assert answer.event.key == "alms-2012-petit-le-mans-powered-by-mazda"
        assert answer.in_progress
        before = await dump(upgraded)
    finally:
        await upgraded.close()
    again = await Store.open(db_path, seed=shipped_catalog())  # the same release: nothing to do
    try:
        assert await dump(again) == before
    finally:
        await again.close()
