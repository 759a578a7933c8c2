"""The store's short reads (on the event loop, through a second connection) and the
name counter that tells the name indexes when to rebuild. Real SQLite files; the
guild events are fictional."""

from __future__ import annotations

import asyncio
import copy
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from fanbot.answers.calendar import event_is_done
from fanbot.answers.nextrace import next_race
from fanbot.answers.people import circuit, lineup
from fanbot.calendar_files.catalog import parse_catalog
from fanbot.config import catalog_path
from fanbot.domain.model import EventStatus
from fanbot.store import Scope, Store, StoreBusy
from fanbot.store.sqlite import BUSY_TIMEOUT_MS

GUILD = 4242


def _guild_calendar() -> object:
    """Own events at Sebring around the catalog's: one cancelled, one with no date yet."""
    raw = copy.deepcopy(json.loads(catalog_path().read_text(encoding="utf-8")))
    raw["events"] = _raw_guild_events()
    return parse_catalog(raw)


def _raw_guild_events() -> list[dict[str, object]]:
    def race(key: str, day: str | None, status: str = "scheduled") -> dict[str, object]:
        sessions = [{"kind": "race", "date": day, "time": "10:00"}] if day else [{"kind": "race"}]
        return {
            "key": key,
            "series": "IMSA",
            "season": int(day[:4]) if day else 2030,
            "name": f"Club {key} (fictional)",
            "circuit": "sebring",
            "status": status,
            "sessions": sessions,
        }

    return [
        race("spring", "2013-03-02"),
        race("called-off", "2013-04-06", "cancelled"),
        race("autumn", "2030-10-05"),
        race("someday", None, "postponed"),
    ]


def _reference(events: list, now: datetime) -> tuple[int | None, int | None, int]:
    """What /circuit answered when it loaded every event at the circuit."""
    events = [e for e in events if e.status is not EventStatus.CANCELLED]
    done = [e for e in events if event_is_done(e, now)]
    upcoming = [
        e for e in events if not event_is_done(e, now) and any(s.local_date or s.start for s in e.sessions)
    ]
    if not upcoming:  # else one of this season or later whose date is not announced yet
        upcoming = [
            e
            for e in events
            if e.season >= now.year and not any(s.local_date or s.start for s in e.sessions)
        ]
    return (upcoming[0].id if upcoming else None, done[-1].id if done else None, len(events))


@pytest.mark.parametrize("guild", [None, GUILD])
async def test_circuit_card_names_the_same_next_and_last_events_as_loading_every_event(store, asker, guild):
    await store.import_catalog(_guild_calendar(), guild_id=GUILD)
    scope = Scope(guild)
    instants = [datetime(year, month, 15, tzinfo=UTC) for year in range(1998, 2032) for month in (3, 10)]
    compared = 0
    for found in await store.circuits(scope):
        every = await store.events(scope, circuit_id=found.id)
        for now in instants:
            card = await circuit(asker(now, guild_id=guild), found.key)
            got = (
                card.next_event.id if card.next_event else None,
                card.last_event.id if card.last_event else None,
                card.event_count,
            )
            assert got == _reference(every, now), (found.key, now)
            compared += 1
    assert compared > 100


async def test_circuit_card_counts_own_events_but_not_cancelled_ones(store, asker):
    await store.import_catalog(_guild_calendar(), guild_id=GUILD)
    catalog = await circuit(asker(datetime(2013, 3, 20, tzinfo=UTC)), "sebring")
    mine = await circuit(asker(datetime(2013, 3, 20, tzinfo=UTC), guild_id=GUILD), "sebring")
    # Three own events count (spring, autumn and the undated one), the cancelled one does not.
    assert mine.event_count == catalog.event_count + 3
    assert mine.last_event is not None
    assert mine.last_event.key == "spring"


async def test_circuit_calendar_query_uses_the_circuit_index(store):
    sql, params = store.circuit_calendar_sql(1, GUILD)
    plan = await store.explain(sql, params)
    assert any("events_by_circuit" in line for line in plan), plan


async def test_answers_read_without_a_trip_to_the_database_thread(store, asker, monkeypatch):
    """/nextrace, /lineup and /circuit read through the loop's own connection: each trip to
    aiosqlite's thread costs more than the read itself (issue 6's latency benchmark)."""
    ask = asker("2012-10-01T00:00:00Z")
    event = (await next_race(ask)).event
    assert event is not None
    await circuit(ask, "Road Atlanta")  # builds the circuit index (a long read, on the thread)

    def no_trip(*args: object, **kwargs: object) -> None:
        raise AssertionError("a short read went through aiosqlite's thread")

    monkeypatch.setattr(store.database.connection, "execute_fetchall", no_trip)
    monkeypatch.setattr(store.database.connection, "execute", no_trip)
    assert (await next_race(ask)).event == event
    assert (await lineup(ask, f"id:{event.id}")).event.id == event.id
    assert (await circuit(ask, "Road Atlanta")).circuit.key == "road-atlanta"


async def test_a_read_during_this_process_write_sees_that_write(store):
    event = (await store.events(Scope.catalog()))[0]
    async with store.database.write() as db:
        await db.execute("UPDATE events SET name = 'Renamed' WHERE id = ?", (event.id,))
        # Code that reads in the middle of its own write (the moderators' snapshots) sees it.
        assert (await store.event(Scope.catalog(), event.id)).name == "Renamed"  # type: ignore[union-attr]
    assert (await store.event(Scope.catalog(), event.id)).name == "Renamed"  # type: ignore[union-attr]


async def test_reads_see_only_what_another_process_committed_and_never_wait_for_its_lock(store, db_path):
    event = (await store.events(Scope.catalog()))[0]
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE events SET name = 'Uncommitted' WHERE id = ?", (event.id,))
        seen = await store.event(Scope.catalog(), event.id)
        assert seen is not None
        assert seen.name == event.name
        other.execute("COMMIT")
        seen = await store.event(Scope.catalog(), event.id)
        assert seen is not None
        assert seen.name == "Uncommitted"
    finally:
        other.close()


async def test_reminder_bookkeeping_keeps_the_name_indexes_and_a_name_change_renews_them(store, asker):
    ask = asker("2012-10-01T00:00:00Z", guild_id=GUILD)
    index = await ask.lookups.events(ask.scope)
    await store.reminders.close_dms(77, now=datetime(2012, 10, 1, tzinfo=UTC))
    assert await ask.lookups.events(ask.scope) is index
    await store.import_catalog(_guild_calendar(), guild_id=GUILD)
    renewed = await ask.lookups.events(ask.scope)
    assert renewed is not index
    assert renewed.find("Club autumn") is not None


async def test_a_guilds_names_written_by_another_process_move_that_guilds_counter_only(store, db_path):
    before, elsewhere = await store.change_token(GUILD), await store.change_token(GUILD + 1)
    other = await Store.open(db_path)  # as `fanbot import --guild` would, beside the running bot
    try:
        await other.import_catalog(_guild_calendar(), guild_id=GUILD)
    finally:
        await other.close()
    after = await store.change_token(GUILD)
    assert after[1] != before[1]
    assert after[0] == before[0]  # the catalog's names did not change
    assert await store.change_token(GUILD + 1) == elsewhere


async def test_the_circuit_card_of_a_long_gone_circuit_has_no_next_event(store, asker):
    # Every catalog race at Road Atlanta is in the past by 2031.
    card = await circuit(asker(datetime(2031, 1, 1, tzinfo=UTC) + timedelta(days=1)), "Road Atlanta")
    assert card.next_event is None
    assert card.last_event is not None


async def test_a_moderators_edit_keeps_the_catalogs_index_and_renews_the_guilds(store, asker):
    ask = asker("2012-10-01T00:00:00Z", guild_id=GUILD)
    before = await ask.lookups.events(ask.scope)
    catalog_before = await ask.lookups.events(Scope.catalog())
    await store.import_catalog(_guild_calendar(), guild_id=GUILD)
    assert await ask.lookups.events(Scope.catalog()) is catalog_before
    after = await ask.lookups.events(ask.scope)
    assert after is not before
    assert after.find("Club autumn") is not None
    # A change to the catalog renews the catalog's index too.
    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    raw["events"][0]["name"] = "Renamed in the catalog (fictional)"
    await store.import_catalog(parse_catalog(raw))
    assert await ask.lookups.events(Scope.catalog()) is not catalog_before


async def test_requests_arriving_together_build_a_stale_index_once(store, asker, monkeypatch):
    ask = asker("2012-10-01T00:00:00Z")
    await ask.lookups.events(Scope.catalog())
    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    raw["events"][0]["name"] = "Renamed in the catalog (fictional)"
    await store.import_catalog(parse_catalog(raw))
    reads = 0
    every_event = store.events

    async def counted(*args: object, **kwargs: object) -> object:
        nonlocal reads
        reads += 1
        return await every_event(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "events", counted)
    indexes = await asyncio.gather(*(ask.lookups.events(Scope.catalog()) for _ in range(8)))
    assert reads == 1
    assert all(index is indexes[0] for index in indexes)


async def test_a_write_that_gave_up_on_the_lock_leaves_reads_their_busy_timeout(store, db_path):
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreBusy):
            async with store.database.write(wait=0.05):
                pass
    finally:
        other.execute("ROLLBACK")
        other.close()
    rows = await store.database.connection.execute_fetchall("PRAGMA busy_timeout")
    assert next(iter(rows))[0] == BUSY_TIMEOUT_MS


async def test_what_is_read_during_a_previewed_import_is_not_kept_after_it_rolls_back(store, asker):
    """A moderator's file preview imports inside a transaction and rolls it back; a
    command answered meanwhile reads through that transaction, and must not keep what it
    saw once the preview is gone."""
    ask = asker("2012-10-01T00:00:00Z", guild_id=GUILD)
    await ask.lookups.events(Scope.catalog())  # the guild's own index is not built yet
    preview_open = asyncio.Event()
    answered = asyncio.Event()
    real_import_into = store.importer.import_into

    async def slow_import_into(db, catalog, guild_id):  # type: ignore[no-untyped-def]
        summary = await real_import_into(db, catalog, guild_id)
        preview_open.set()
        await answered.wait()  # the command reads while the preview's rows are there
        return summary

    store.importer.import_into = slow_import_into  # type: ignore[method-assign]
    preview = asyncio.create_task(store.import_catalog(_guild_calendar(), guild_id=GUILD, dry_run=True))
    await preview_open.wait()
    seen = await ask.lookups.events(ask.scope)
    answered.set()
    await preview
    store.importer.import_into = real_import_into  # type: ignore[method-assign]
    assert seen.find("Club autumn") is not None  # it did read through the open transaction
    assert (await ask.lookups.events(ask.scope)).find("Club autumn") is None


async def test_a_line_up_and_a_circuit_card_seen_before_an_edit_show_the_edit(store, asker):
    ask = asker(datetime(2030, 1, 1, tzinfo=UTC), guild_id=GUILD)
    calendar = _guild_calendar()
    await store.import_catalog(calendar, guild_id=GUILD)
    assert (await lineup(ask, "Club autumn")).entry_count == 0
    assert (await circuit(ask, "sebring")).next_event.key == "autumn"  # type: ignore[union-attr]

    raw = copy.deepcopy(json.loads(catalog_path().read_text(encoding="utf-8")))
    raw["events"] = [e for e in _raw_guild_events() if e["key"] != "autumn"]
    autumn = next(e for e in _raw_guild_events() if e["key"] == "autumn")
    autumn["entries"] = [{"number": "7", "team": "Club team (fictional)", "drivers": ["A. Driver"]}]
    autumn["sessions"] = [{"kind": "race", "date": "2030-11-09", "time": "10:00"}]
    raw["events"].append(autumn)
    await store.import_catalog(parse_catalog(raw), guild_id=GUILD)

    assert (await lineup(ask, "Club autumn")).entry_count == 1
    card = await circuit(ask, "sebring")
    assert card.next_event is not None
    assert card.next_event.sessions[0].local_date.isoformat() == "2030-11-09"


async def test_a_moderators_new_event_is_offered_to_the_moderators_at_once(store, asker):
    from fanbot.answers.moderation import own_event_choices

    ask = asker("2012-10-01T00:00:00Z", guild_id=GUILD)
    assert await own_event_choices(ask, "Club autumn") == []
    await store.import_catalog(_guild_calendar(), guild_id=GUILD)
    assert any("Club autumn" in label for label, _ in await own_event_choices(ask, "Club autumn"))


async def test_a_guild_never_sees_the_line_up_another_guild_kept_under_a_reused_event_id(store, asker):
    """Event ids are reused after a removal; guild counters of the same value are common."""
    other = GUILD + 1
    raw = copy.deepcopy(json.loads(catalog_path().read_text(encoding="utf-8")))
    autumn = next(e for e in _raw_guild_events() if e["key"] == "autumn")
    autumn["entries"] = [{"number": "7", "team": "Secret team (fictional)", "drivers": ["A. Driver"]}]
    raw["events"] = [autumn]
    await store.import_catalog(parse_catalog(raw), guild_id=GUILD)
    [mine] = [e for e in await store.events(Scope(GUILD)) if e.guild_id == GUILD]
    assert (await lineup(asker("2012-10-01T00:00:00Z", guild_id=GUILD), f"id:{mine.id}")).entry_count == 1
    kept_under = await store.change_token(GUILD)
    async with store.database.write(names=GUILD) as db:  # removed (the newest row: its id is free again)
        await db.execute("DELETE FROM events WHERE id = ?", (mine.id,))
    raw["events"] = [next(e for e in _raw_guild_events() if e["key"] == "spring")]
    await store.import_catalog(parse_catalog(raw), guild_id=other)
    [theirs] = [e for e in await store.events(Scope(other)) if e.guild_id == other]
    assert theirs.id == mine.id
    assert await store.change_token(other) == kept_under
    assert (await lineup(asker("2012-10-01T00:00:00Z", guild_id=other), f"id:{theirs.id}")).entry_count == 0


async def test_a_write_cancelled_while_it_begins_leaves_no_transaction_behind(store):
    for _ in range(20):  # cancelled at various points of BEGIN's trip to the database thread
        task = asyncio.create_task(store.reminders.close_dms(1, now=datetime(2012, 10, 1, tzinfo=UTC)))
        await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    await store.reminders.close_dms(2, now=datetime(2012, 10, 1, tzinfo=UTC))  # still writes
    assert await store.reminders.dms_closed(2)
