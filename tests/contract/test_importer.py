"""The catalog importer, on every backend: a good catalog imports whole, a bad one is
refused whole and changes nothing, and importing the same file twice changes nothing.
The guild events are fictional."""

from __future__ import annotations

import pytest

from fanbot.calendar_files.catalog import parse_catalog, shipped_catalog
from fanbot.domain.catalog import CatalogError
from fanbot.domain.localtime import to_iso_utc
from fanbot.store import Scope, Store
from tests.contract.store_data import (
    PETIT_LE_MANS,
    club_event,
    count_rows,
    guild_catalog,
    shipped_raw,
)
from tests.support.database import dump

GUILD = 1001


async def test_a_good_catalog_imports_into_an_empty_store_as_all_new(empty_backend):
    raw = shipped_raw()
    summary = await empty_backend.import_catalog(parse_catalog(raw))
    assert summary.new == {"series": len(raw["series"]), "circuits": len(raw["circuits"]), "events": len(raw["events"])}
    assert not any(summary.changed.values())
    assert not any(summary.unchanged.values())
    assert len(await empty_backend.events(Scope.catalog())) == len(raw["events"])
    sessions = sum(len(e["sessions"]) for e in raw["events"])
    entries = sum(len(e.get("entries", [])) for e in raw["events"])
    results = sum(len(e.get("results", [])) for e in raw["events"])
    assert await count_rows(empty_backend, "sessions") == sessions
    assert await count_rows(empty_backend, "entries") == entries
    assert await count_rows(empty_backend, "results") == results


async def test_a_new_store_is_seeded_on_open_and_seeding_again_changes_nothing(empty_target):
    raw = shipped_raw()
    first = await Store.open(empty_target, seed=shipped_catalog())
    try:
        assert len(await first.events(Scope.catalog())) == len(raw["events"])
        before = await dump(first)
        tokens = await first.change_token()
    finally:
        await first.close()
    again = await Store.open(empty_target, seed=shipped_catalog())  # a restart
    try:
        assert await dump(again) == before
        assert await again.change_token() == tokens
    finally:
        await again.close()


async def test_importing_the_same_catalog_twice_changes_nothing(backend):
    before = await dump(backend)
    tokens = await backend.change_token(GUILD)
    raw = shipped_raw()
    summary = await backend.import_catalog(parse_catalog(raw))
    assert not summary.changed_anything
    assert summary.unchanged == {"series": len(raw["series"]), "circuits": len(raw["circuits"]), "events": len(raw["events"])}
    assert await dump(backend) == before
    assert await backend.change_token(GUILD) == tokens  # no process rebuilds its name indexes

    club = guild_catalog(club_event("club", "Club race", "2027-06-12"))
    assert (await backend.import_catalog(club, guild_id=GUILD)).new["events"] == 1
    after_first = await dump(backend)
    tokens = await backend.change_token(GUILD)
    again = await backend.import_catalog(club, guild_id=GUILD)
    assert not again.changed_anything
    assert again.unchanged["events"] == 1
    assert await dump(backend) == after_first
    assert await backend.change_token(GUILD) == tokens


async def test_a_changed_catalog_updates_only_what_changed_and_a_moved_session_keeps_its_id(backend):
    raw = shipped_raw()
    index = next(i for i, e in enumerate(raw["events"]) if e["key"] == PETIT_LE_MANS)
    [plm] = [e for e in await backend.events(Scope.catalog(), series="ALMS") if e.key == PETIT_LE_MANS]
    assert plm.race is not None
    raw["events"][index]["sessions"][1]["time"] = "12:30"
    summary = await backend.import_catalog(parse_catalog(raw))
    assert summary.changed["events"] == 1
    assert summary.unchanged["events"] == len(raw["events"]) - 1
    moved = await backend.event(Scope.catalog(), plm.id)
    assert moved is not None
    assert moved.race is not None
    assert moved.race.id == plm.race.id  # reminders that point at it follow it
    assert moved.race.start is not None
    assert to_iso_utc(moved.race.start) == "2012-10-20T16:30:00Z"


async def test_a_bad_guild_catalog_is_refused_whole_and_changes_nothing(backend):
    raw = shipped_raw()
    raw["events"] = [club_event("club-1", "First club race", "2027-06-12"), club_event("club-2", "Second", "2027-06-13")]
    raw["series"].append({"code": "XYZ", "name": "A series no one shipped"})
    before = await dump(backend)
    tokens = await backend.change_token(GUILD)
    with pytest.raises(CatalogError, match="series 'XYZ' is not known"):
        await backend.import_catalog(parse_catalog(raw), guild_id=GUILD)
    assert await dump(backend) == before
    assert await backend.change_token(GUILD) == tokens
    assert await backend.own_events(GUILD) == []


async def test_a_failure_while_writing_rolls_the_whole_import_back(backend, monkeypatch):
    raw = shipped_raw()
    raw["events"][0]["name"] = "Changed name"
    raw["events"][5]["name"] = "Another change"
    catalog = parse_catalog(raw)
    before = await dump(backend)
    calls = 0
    original = backend.importer.replace_event_details

    async def fail_on_second(*args):
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("disk on fire")
        await original(*args)

    monkeypatch.setattr(backend.importer, "replace_event_details", fail_on_second)
    with pytest.raises(RuntimeError, match="disk on fire"):
        await backend.import_catalog(catalog)
    assert await dump(backend) == before
    # The store still writes after a rolled-back transaction.
    monkeypatch.undo()
    assert (await backend.import_catalog(catalog)).changed["events"] == 2


async def test_a_dry_run_counts_what_would_change_and_rolls_it_all_back(backend):
    before = await dump(backend)
    tokens = await backend.change_token(GUILD)
    club = guild_catalog(club_event("club", "Club race", "2027-06-12"))
    summary = await backend.import_catalog(club, guild_id=GUILD, dry_run=True)
    assert summary.new["events"] == 1
    assert await dump(backend) == before
    assert await backend.change_token(GUILD) == tokens
    assert (await backend.import_catalog(club, guild_id=GUILD)).new["events"] == 1
