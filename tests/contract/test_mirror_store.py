"""The events mirror's tables on both backends (``store.mirror``): a server's setup, the
map from race sessions to Discord events, the stop a refusal from Discord causes and its
one-time notice, and the races of a window."""

from __future__ import annotations

from datetime import timedelta

from fanbot.domain.localtime import parse_instant
from fanbot.domain.mirror import MirroredEvent
from fanbot.store import Scope, Store
from tests.support.reminder_world import weekend

GUILD = 1_400_000_000_000_000_001
OTHER_GUILD = 1_400_000_000_000_000_002
T0 = parse_instant("2026-03-01T12:00:00Z")


def row(
    event_id: int, session_id: int, discord_id: int, *, state: str = "scheduled", days: int = 2
) -> MirroredEvent:
    start = T0 + timedelta(days=days)
    return MirroredEvent(
        guild_id=GUILD,
        event_id=event_id,
        session_id=session_id,
        discord_event_id=discord_id,
        state=state,  # type: ignore[arg-type]
        payload_hash=f"hash-{discord_id}",
        starts_at=start,
        ends_at=start + timedelta(hours=6),
    )


async def test_a_setup_is_saved_read_and_turned_off(empty_backend: Store) -> None:
    mirror = empty_backend.mirror
    assert await mirror.setup(GUILD) is None
    await mirror.turn_on(GUILD, series=("WEC", "IMSA"), days=21, by=7, now=T0)

    setup = await mirror.setup(GUILD)
    assert setup is not None
    assert (setup.series, setup.days, setup.active, setup.broken, setup.updated_by) == (
        ("WEC", "IMSA"),
        21,
        True,
        False,
        7,
    )
    assert await mirror.turn_off(GUILD, by=8, now=T0)
    assert not await mirror.turn_off(GUILD, by=8, now=T0)
    off = await mirror.setup(GUILD)
    assert off is not None
    assert not off.active


async def test_the_map_is_upserted_by_race_and_read_soonest_first(empty_backend: Store) -> None:
    mirror = empty_backend.mirror
    await mirror.record(row(10, 100, 9001, days=5), now=T0)
    await mirror.record(row(11, 110, 9002, days=2), now=T0)
    await mirror.record(row(10, 100, 9001, state="cancelled", days=5), now=T0)

    found = await mirror.mirrored(GUILD)
    assert [(r.key, r.discord_event_id, r.state) for r in found] == [
        ((11, 110), 9002, "scheduled"),
        ((10, 100), 9001, "cancelled"),
    ]
    assert found[1].starts_at == T0 + timedelta(days=5)
    assert found[1].payload_hash == "hash-9001"
    assert await mirror.mirrored(OTHER_GUILD) == []
    assert await mirror.forget(GUILD, [(10, 100)]) == 1
    assert [r.key for r in await mirror.mirrored(GUILD)] == [(11, 110)]


async def test_a_stop_is_told_to_one_moderator_and_turning_on_again_clears_it(empty_backend: Store) -> None:
    mirror = empty_backend.mirror
    await mirror.turn_on(GUILD, series=(), days=14, by=None, now=T0)
    await mirror.record(row(10, 100, 9001, state="gone"), now=T0)
    await mirror.record(row(11, 110, 9002), now=T0)
    await mirror.mark_broken(GUILD, "403 Forbidden (error code: 50013): Missing Permissions", now=T0)

    assert [s.guild_id for s in await mirror.setups_to_sync()] == []
    told = await mirror.take_broken_notice(GUILD)
    assert told is not None
    assert told.broken_reason == "403 Forbidden (error code: 50013): Missing Permissions"
    assert await mirror.take_broken_notice(GUILD) is None

    await mirror.turn_on(GUILD, series=(), days=14, by=None, now=T0)
    again = await mirror.setup(GUILD)
    assert again is not None
    assert not again.broken
    # Starting over forgets the races whose event someone deleted by hand.
    assert [r.key for r in await mirror.mirrored(GUILD)] == [(11, 110)]


async def test_a_mirror_turned_off_is_synced_until_its_events_are_deleted(empty_backend: Store) -> None:
    mirror = empty_backend.mirror
    await mirror.turn_on(GUILD, series=(), days=14, by=None, now=T0)
    await mirror.turn_on(OTHER_GUILD, series=(), days=14, by=None, now=T0)
    await mirror.record(row(10, 100, 9001), now=T0)
    await mirror.turn_off(GUILD, by=None, now=T0)
    await mirror.turn_off(OTHER_GUILD, by=None, now=T0)

    assert [s.guild_id for s in await mirror.setups_to_sync()] == [GUILD]
    await mirror.forget(GUILD, [(10, 100)])
    assert await mirror.setups_to_sync() == []


async def test_a_sync_notes_when_it_ran_and_what_it_left_out(empty_backend: Store) -> None:
    await empty_backend.mirror.turn_on(GUILD, series=(), days=14, by=None, now=T0)
    await empty_backend.mirror.note_sync(GUILD, now=T0 + timedelta(minutes=3), skipped=4)

    setup = await empty_backend.mirror.setup(GUILD)
    assert setup is not None
    assert (setup.synced_at, setup.skipped) == (T0 + timedelta(minutes=3), 4)


async def test_the_races_of_a_window_are_the_catalogs_and_the_guilds_own(backend: Store) -> None:
    # Petit Le Mans 2012 (the catalog) raced on 20 October 2012, 15:30 UTC.
    await backend.import_catalog(
        weekend("own-race", [("race", "2012-10-19", "20:00")], name="Own Race (fictional)"), guild_id=GUILD
    )
    await backend.import_catalog(
        weekend("theirs", [("race", "2012-10-19", "21:00")], name="Their Race (fictional)"),
        guild_id=OTHER_GUILD,
    )
    await backend.import_catalog(
        weekend("called-off", [("race", "2012-10-19", "22:00")], name="Off (fictional)", status="cancelled"),
        guild_id=GUILD,
    )
    after, upto = parse_instant("2012-10-18T00:00:00Z"), parse_instant("2012-10-21T00:00:00Z")

    ids = await backend.mirror.race_event_ids(GUILD, after, upto)
    events = await backend.events_by_id(Scope(GUILD), ids)

    assert [e.name for e in events] == [
        "Own Race (fictional)",
        "Off (fictional)",
        "Petit Le Mans powered by Mazda (15th running)",
    ]
    assert await backend.mirror.race_event_ids(GUILD, upto, upto + timedelta(days=1)) == []
