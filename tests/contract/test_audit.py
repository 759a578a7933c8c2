"""The moderators' audit log and the guild settings, on every backend: who changed what
and when, the event before and after, newest first, each guild's log its own.
The guild events are fictional."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fanbot.domain.catalog import EntryRecord, SessionRecord
from fanbot.store import EventWrite, Scope, Store

GUILD, OTHER = 1001, 1002
ALICE, BOB = 501, 502
# A Discord snowflake: ids are 64-bit, beyond what a 32-bit integer column would hold.
BIG_ID = 1_234_567_890_123_456_789
AT = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)


async def club_write(store: Store, name: str) -> EventWrite:
    circuit = next(c.id for c in await store.circuits(Scope.catalog()) if c.key == "la-sarthe")
    return EventWrite(
        key="club-6h",
        series="WEC",
        circuit_id=circuit,
        season=2027,
        name=name,
        length=None,
        status="scheduled",
        info_url=None,
        watch_url=None,
        sessions=(SessionRecord("race", "race", "2027-06-12T15:00:00Z", "2027-06-12", "2027-06-12T15:00:00Z", None, None),),
    )


async def test_the_history_records_who_changed_what_and_when_newest_first(backend):
    editing = backend.editing
    event_id = await editing.create_event(GUILD, await club_write(backend, "Club 6 Hours"), by=ALICE, at=AT)
    later = AT + timedelta(minutes=5)
    await editing.update_event(
        GUILD, event_id, 1, await club_write(backend, "Club 8 Hours"), by=BOB, at=later, action="event.edit"
    )
    entry = EntryRecord("7", "Club", "Club Racing", "Kart", ("Ada Fictional",), None, None)
    await editing.put_entry(GUILD, event_id, 2, entry, replacing=None, by=ALICE, at=later + timedelta(minutes=1))

    [add_entry, edit, add] = await editing.history(GUILD)
    assert [(r.action, r.user_id, r.at) for r in (add, edit, add_entry)] == [
        ("event.add", ALICE, AT),
        ("event.edit", BOB, later),
        ("entry.add", ALICE, later + timedelta(minutes=1)),
    ]
    assert add.at.tzinfo is not None
    assert add.before is None
    assert add.after is not None
    assert (add.after["name"], add.after["version"]) == ("Club 6 Hours", 1)
    assert edit.before is not None
    assert edit.after is not None
    assert (edit.before["name"], edit.after["name"]) == ("Club 6 Hours", "Club 8 Hours")
    assert (edit.event_key, edit.event_name, edit.guild_id) == ("club-6h", "Club 8 Hours", GUILD)
    assert edit.after["sessions"][0]["start_at"] == "2027-06-12T15:00:00Z"
    assert add_entry.after is not None
    assert add_entry.before is not None
    assert add_entry.before["entries"] == []
    assert add_entry.after["entries"] == [
        {"number": "7", "class": "Club", "team": "Club Racing", "car": "Kart", "drivers": ["Ada Fictional"]}
    ]
    assert [r.action for r in await editing.history(GUILD, limit=1)] == ["entry.add"]


async def test_a_removed_event_stays_in_the_log_under_its_key_and_last_name(backend):
    editing = backend.editing
    event_id = await editing.create_event(GUILD, await club_write(backend, "Club 6 Hours"), by=ALICE, at=AT)
    await editing.update_event(
        GUILD, event_id, 1, await club_write(backend, "Club 8 Hours"), by=ALICE, at=AT, action="event.edit"
    )
    await editing.delete_event(GUILD, event_id, 2, by=BOB, at=AT)
    [removed, *_] = await editing.history(GUILD, event_key="club-6h")
    assert (removed.action, removed.user_id, removed.after) == ("event.remove", BOB, None)
    assert removed.before is not None
    assert removed.before["name"] == "Club 8 Hours"
    assert await editing.audited_events(GUILD) == [("club-6h", "Club 8 Hours")]
    assert await editing.history(GUILD, event_key="another") == []


async def test_a_guilds_log_and_settings_are_its_own(backend):
    await backend.editing.create_event(GUILD, await club_write(backend, "Club 6 Hours"), by=ALICE, at=AT)
    await backend.set_moderator_role(GUILD, BIG_ID)
    await backend.editing.record(
        GUILD, by=BIG_ID, at=AT, action="settings.moderator-role", before=None, after={"role": BIG_ID}
    )
    [setting, _add] = await backend.editing.history(GUILD)
    assert (setting.action, setting.user_id, setting.after, setting.event_key) == (
        "settings.moderator-role",
        BIG_ID,
        {"role": BIG_ID},
        None,
    )
    assert await backend.moderator_role(GUILD) == BIG_ID
    assert await backend.moderator_role(OTHER) is None
    assert await backend.editing.history(OTHER) == []
    assert await backend.editing.audited_events(OTHER) == []
    await backend.set_moderator_role(GUILD, None)
    assert await backend.moderator_role(GUILD) is None
