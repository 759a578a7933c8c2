"""Events' other names (``aliases``) in the catalog format: read, checked, stored, and
answered to by the name lookup."""

import json

import pytest

from fanbot.answers.errors import NotFound
from fanbot.calendar_files.catalog import parse_catalog
from fanbot.config import catalog_path
from fanbot.domain.catalog import CatalogError
from fanbot.store import Scope


def _catalog_with(event: dict) -> dict:
    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    raw["events"] = [event]
    return raw


WINTER = {
    "key": "winter-classic-2027",
    "series": "WEC",
    "season": 2027,
    "name": "Winter Classic",
    "circuit": "imola",
    "sessions": [{"kind": "race", "date": "2027-01-23", "time": "13:00"}],
}


async def test_the_shipped_catalogs_aliases_are_stored_and_read_back(store):
    events = await store.events(Scope.catalog(), series="WEC", season=2025)
    le_mans = next(e for e in events if e.key == "wec-2025-24-hours-of-le-mans")
    assert "24 Heures du Mans" in le_mans.aliases


async def test_an_events_aliases_find_it_alone_and_with_its_season(store, asker):
    await store.import_catalog(parse_catalog(_catalog_with({**WINTER, "aliases": ["Classique d'hiver"]})))
    ask = asker("2026-12-01T00:00:00Z")
    assert (await ask.resolve_event("classique d'hiver")).key == "winter-classic-2027"
    assert (await ask.resolve_event("Classique d'Hiver 2027")).key == "winter-classic-2027"


async def test_aliases_changed_by_a_new_import_replace_the_old_ones(store, asker):
    await store.import_catalog(parse_catalog(_catalog_with({**WINTER, "aliases": ["Old Frost"]})))
    summary = await store.import_catalog(parse_catalog(_catalog_with({**WINTER, "aliases": ["Snow Cup"]})))
    assert summary.changed["events"] == 1
    again = await store.import_catalog(parse_catalog(_catalog_with({**WINTER, "aliases": ["Snow Cup"]})))
    assert not again.changed_anything
    ask = asker("2026-12-01T00:00:00Z")
    assert (await ask.resolve_event("snow cup")).key == "winter-classic-2027"
    with pytest.raises(NotFound):
        await ask.resolve_event("old frost")


async def test_a_guilds_own_event_is_found_by_its_aliases_in_that_guild_only(store, asker):
    await store.import_catalog(
        parse_catalog(_catalog_with({**WINTER, "aliases": ["Frosty Six"]})), guild_id=77
    )
    assert (
        await asker("2026-12-01T00:00:00Z", guild_id=77).resolve_event("frosty six")
    ).name == "Winter Classic"
    with pytest.raises(NotFound):
        await asker("2026-12-01T00:00:00Z", guild_id=78).resolve_event("frosty six")


@pytest.mark.parametrize("aliases", ["24h", ["a|b"], [12], ["x" * 121]])
def test_aliases_that_are_not_a_list_of_names_are_refused(aliases):
    with pytest.raises(CatalogError) as err:
        parse_catalog(_catalog_with({**WINTER, "aliases": aliases}))
    assert any(".aliases:" in p and "events[0]" in p for p in err.value.problems)
