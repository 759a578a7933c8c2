"""Name counters and what another process sees, on every backend: a write that may change
names moves the counter of the names it touches (the catalog's, or one guild's) and no
other, reminder bookkeeping moves none, and a second store on the same database (another
process) sees each committed write at once. The guild events are fictional."""

from __future__ import annotations

from datetime import UTC, datetime

from fanbot.calendar_files.catalog import parse_catalog
from fanbot.store import Scope, Store
from tests.contract.store_data import PETIT_LE_MANS, club_event, guild_catalog, shipped_raw

GUILD, OTHER = 1001, 1002
AT = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)


async def test_a_guilds_import_moves_that_guilds_counter_only(backend):
    catalog_before, guild_before = await backend.change_token(GUILD)
    other_before = await backend.change_token(OTHER)
    await backend.import_catalog(guild_catalog(club_event("club", "Club race", "2027-06-12")), guild_id=GUILD)
    catalog_after, guild_after = await backend.change_token(GUILD)
    assert guild_after != guild_before
    assert catalog_after == catalog_before
    assert await backend.change_token(OTHER) == other_before


async def test_a_catalog_import_that_changes_a_name_moves_the_catalog_counter(backend):
    before = await backend.change_token(GUILD)
    raw = shipped_raw()
    next(e for e in raw["events"] if e["key"] == PETIT_LE_MANS)["name"] = "Petit Le Mans (renamed)"
    await backend.import_catalog(parse_catalog(raw))
    after = await backend.change_token(GUILD)
    assert after[0] != before[0]
    assert after[1] == before[1]


async def test_a_moderators_edit_moves_the_guilds_counter_and_reminder_bookkeeping_moves_none(backend):
    await backend.import_catalog(guild_catalog(club_event("club", "Club race", "2027-06-12")), guild_id=GUILD)
    [event] = await backend.own_events(GUILD)
    before = await backend.change_token(GUILD)
    await backend.editing.delete_event(GUILD, event.id, 1, by=5, at=AT)
    after_edit = await backend.change_token(GUILD)
    assert after_edit[1] != before[1]
    assert after_edit[0] == before[0]
    await backend.reminders.close_dms(77, now=AT)
    await backend.set_moderator_role(GUILD, 99)
    assert await backend.change_token(GUILD) == after_edit


async def test_a_committed_write_calls_this_processes_listeners_and_a_rolled_back_one_does_not(backend):
    heard: list[str] = []
    backend.on_write(lambda: heard.append("write"))
    assert not backend.writing
    club = guild_catalog(club_event("club", "Club race", "2027-06-12"))
    await backend.import_catalog(club, guild_id=GUILD, dry_run=True)
    assert heard == []
    await backend.import_catalog(club, guild_id=GUILD)
    assert heard == ["write"]
    assert not backend.writing


async def test_another_process_sees_each_committed_write_at_once(backend, backend_target):
    other = await Store.open(backend_target)
    try:
        tokens = await other.change_token(GUILD)
        seen_before = await other.data_version()
        await backend.import_catalog(guild_catalog(club_event("club", "Club race", "2027-06-12")), guild_id=GUILD)
        assert [e.key for e in await other.own_events(GUILD)] == ["club"]
        assert len(await other.events(Scope(GUILD))) == len(await backend.events(Scope(GUILD)))
        assert (await other.change_token(GUILD))[1] != tokens[1]
        assert await other.data_version() != seen_before
        # And the other way round.
        await other.set_moderator_role(GUILD, 42)
        assert await backend.moderator_role(GUILD) == 42
    finally:
        await other.close()
