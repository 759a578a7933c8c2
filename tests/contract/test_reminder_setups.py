"""Who wants reminding, on every backend: a guild's reminder setup (saved, replaced,
broken, turned off) and fans' DM requests (asked, updated, cancelled, closed DMs)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from fanbot.domain.localtime import parse_instant
from fanbot.domain.model import SessionKind
from fanbot.domain.reminders import ReminderSetup
from tests.contract.store_data import club_event, guild_catalog

GUILD = 1_234_567_890_123_456_789  # Discord ids are 64-bit
OTHER = GUILD + 100
FAN, OTHER_FAN = GUILD + 1, GUILD + 2
NOW = parse_instant("2027-06-01T08:00:00Z")


def setup_of(guild_id: int, **changes: object) -> ReminderSetup:
    setup = ReminderSetup(
        guild_id=guild_id,
        channel_id=guild_id + 7,
        role_id=guild_id + 8,
        series=("WEC", "ELMS"),
        kinds=(SessionKind.QUALIFYING, SessionKind.RACE),
        leads=(1440, 60),
        green_flag=True,
        since=NOW,
        updated_by=guild_id + 9,
    )
    return replace(setup, **changes)  # type: ignore[arg-type]


async def test_a_guilds_setup_reads_back_as_saved_and_saving_again_replaces_it(backend):
    reminders = backend.reminders
    assert await reminders.setup(GUILD) is None
    await reminders.save_setup(setup_of(GUILD), now=NOW)
    assert await reminders.setup(GUILD) == setup_of(GUILD)
    replaced = setup_of(GUILD, series=(), kinds=(SessionKind.RACE,), leads=(10,), green_flag=False, role_id=None)
    await reminders.save_setup(replace(replaced, since=NOW + timedelta(days=1)), now=NOW + timedelta(days=1))
    # An active guild keeps its 'since': reminders owed during an outage are still reported.
    assert await reminders.setup(GUILD) == replaced
    await reminders.save_setup(setup_of(OTHER), now=NOW)
    assert [s.guild_id for s in await reminders.active_setups()] == [GUILD, OTHER]


async def test_a_broken_setup_is_told_once_and_left_out_until_saved_again(backend):
    reminders = backend.reminders
    await reminders.save_setup(setup_of(GUILD), now=NOW)
    await reminders.save_setup(setup_of(OTHER), now=NOW)
    later = NOW + timedelta(hours=1)
    await reminders.mark_broken(GUILD, "Missing Permissions " + "x" * 400, now=later)
    broken = await reminders.setup(GUILD)
    assert broken is not None
    assert (broken.broken_at, broken.broken_told) == (later, False)
    assert broken.broken_reason is not None
    assert len(broken.broken_reason) == 300
    assert [s.guild_id for s in await reminders.active_setups()] == [OTHER]
    told = await reminders.take_broken_notice(GUILD)
    assert told is not None
    assert told.guild_id == GUILD
    assert await reminders.take_broken_notice(GUILD) is None
    assert await reminders.take_broken_notice(OTHER) is None
    await reminders.save_setup(setup_of(GUILD), now=later)
    repaired = await reminders.setup(GUILD)
    assert repaired is not None
    assert not repaired.broken
    assert [s.guild_id for s in await reminders.active_setups()] == [GUILD, OTHER]


async def test_a_setup_turned_off_stays_off_and_a_new_one_starts_from_its_own_since(backend):
    reminders = backend.reminders
    await reminders.save_setup(setup_of(GUILD), now=NOW)
    assert await reminders.turn_off(GUILD, by=FAN, now=NOW)
    assert not await reminders.turn_off(GUILD, by=FAN, now=NOW)
    off = await reminders.setup(GUILD)
    assert off is not None
    assert (off.active, off.updated_by) == (False, FAN)
    assert await reminders.active_setups() == []
    later = NOW + timedelta(days=3)
    await reminders.save_setup(setup_of(GUILD, since=later), now=later)
    on = await reminders.setup(GUILD)
    assert on is not None
    assert (on.active, on.since) == (True, later)


async def test_a_fans_requests_are_kept_per_event_and_asking_again_updates_the_leads(backend):
    await backend.import_catalog(
        guild_catalog(club_event("a", "Club A", "2027-06-12"), club_event("b", "Club B", "2027-06-13")), guild_id=GUILD
    )
    a, b = (e.id for e in await backend.own_events(GUILD))
    reminders = backend.reminders
    assert await reminders.add_fan_request(user_id=FAN, event_id=a, guild_id=GUILD, leads=[60], locale="fr", now=NOW)
    assert not await reminders.add_fan_request(
        user_id=FAN, event_id=a, guild_id=GUILD, leads=[1440, 10], locale="de", now=NOW + timedelta(hours=1)
    )
    await reminders.add_fan_request(user_id=FAN, event_id=b, guild_id=None, leads=[0], locale="en-GB", now=NOW)
    await reminders.add_fan_request(user_id=OTHER_FAN, event_id=a, guild_id=GUILD, leads=[5], locale="en-US", now=NOW)
    mine = await reminders.fan_requests(user_id=FAN)
    assert [(r.event_id, r.guild_id, r.leads, r.locale, r.since) for r in mine] == [
        (a, GUILD, (1440, 10), "de", NOW),
        (b, None, (0,), "en-GB", NOW),
    ]
    assert len(await reminders.fan_requests()) == 3
    assert await reminders.cancel_fan_request(user_id=FAN, event_id=b) == 1
    assert await reminders.cancel_fan_request(user_id=FAN, event_id=b) == 0
    assert await reminders.cancel_fan_request(user_id=OTHER_FAN, event_id=None) == 1
    assert [r.event_id for r in await reminders.fan_requests()] == [a]


async def test_closed_dms_leave_a_fans_requests_out_are_told_once_and_reopen_when_they_ask_again(backend):
    await backend.import_catalog(guild_catalog(club_event("a", "Club A", "2027-06-12")), guild_id=GUILD)
    [event] = await backend.own_events(GUILD)
    reminders = backend.reminders
    await reminders.add_fan_request(user_id=FAN, event_id=event.id, guild_id=GUILD, leads=[60], locale="en-GB", now=NOW)
    await reminders.close_dms(FAN, now=NOW)
    await reminders.close_dms(FAN, now=NOW + timedelta(hours=1))  # closed already: no change
    assert await reminders.dms_closed(FAN)
    assert not await reminders.dms_closed(OTHER_FAN)
    assert await reminders.fan_requests() == []
    assert len(await reminders.fan_requests(user_id=FAN)) == 1
    assert await reminders.take_closed_dm_notice(FAN)
    assert not await reminders.take_closed_dm_notice(FAN)
    await reminders.add_fan_request(user_id=FAN, event_id=event.id, guild_id=GUILD, leads=[60], locale="en-GB", now=NOW)
    assert not await reminders.dms_closed(FAN)
    assert len(await reminders.fan_requests()) == 1
