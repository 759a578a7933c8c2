"""The dispatcher against a real SQLite file: due times, edits, downtime, faults,
several processes. Discord's message endpoint is a stand-in (tests/support/reminder_world);
the bot's real courier is exercised in test_bot_reminders and test_end_to_end."""

import asyncio
from datetime import timedelta

import pytest

from fanbot.clock import FixedClock
from fanbot.domain.localtime import parse_instant, utc_to_local
from fanbot.domain.model import SessionKind
from fanbot.domain.reminders import DeliveryKey, ReminderSetup, Target
from fanbot.reminders.dispatcher import Dispatcher, Shards, TargetGone, TryLater
from fanbot.reminders.planner import DEFAULT_KINDS, delivery_nonce
from fanbot.store import Scope
from tests.support.reminder_world import RunningClock, StandInDiscord, drive, store_at, weekend

GUILD = 1 << 22  # shard 1 of 2
OTHER_GUILD = 2 << 22  # shard 0 of 2
# A made-up 2027 weekend at Le Mans (Europe/Paris, CEST = UTC+2 in June).
JUNE = [
    ("practice", "2027-06-11", "10:00"),
    ("qualifying", "2027-06-12", "14:00"),
    ("race", "2027-06-13", "16:00"),
]
Q_START = parse_instant("2027-06-12T12:00:00Z")
R_START = parse_instant("2027-06-13T14:00:00Z")


def setup_for(
    guild_id,
    *,
    since="2027-01-01T00:00:00Z",
    leads=(60,),
    series=(),
    kinds=DEFAULT_KINDS,
    green_flag=True,
    role_id=None,
):
    return ReminderSetup(
        guild_id=guild_id,
        channel_id=guild_id + 7,
        role_id=role_id,
        series=series,
        kinds=kinds,
        leads=leads,
        green_flag=green_flag,
        since=parse_instant(since),
    )


@pytest.fixture
def clock():
    return FixedClock(parse_instant("2027-06-01T00:00:00Z"))


@pytest.fixture
async def rstore(db_path):
    s = await store_at(db_path)
    yield s
    await s.close()


async def with_guild(store, clock, guild_id=GUILD, sessions=JUNE, key="test-6h", **setup):
    await store.import_catalog(weekend(key, sessions), guild_id=guild_id)
    await store.reminders.save_setup(setup_for(guild_id, **setup), now=clock.now())


def sent(discord):
    return [(p.at, p.notice.session.kind, p.notice.lead_minutes) for p in discord.posted]


async def test_default_setup_reminds_an_hour_before_qualifying_and_race_and_at_the_green_flag(rstore, clock):
    await with_guild(rstore, clock)
    discord = StandInDiscord(clock)
    await drive(Dispatcher(rstore, clock, discord), clock, parse_instant("2027-06-14T00:00:00Z"))
    assert sent(discord) == [
        (Q_START - timedelta(hours=1), SessionKind.QUALIFYING, 60),
        (R_START - timedelta(hours=1), SessionKind.RACE, 60),
        (R_START, SessionKind.RACE, 0),
    ]
    assert not any(p.notice.late for p in discord.posted)


async def test_each_lead_is_its_own_reminder_at_start_minus_lead(rstore, clock):
    await with_guild(rstore, clock, leads=(1440, 60, 10), green_flag=False, kinds=(SessionKind.RACE,))
    discord = StandInDiscord(clock)
    await drive(Dispatcher(rstore, clock, discord), clock, parse_instant("2027-06-14T00:00:00Z"))
    assert [(at, lead) for at, _, lead in sent(discord)] == [
        (R_START - timedelta(minutes=m), m) for m in (1440, 60, 10)
    ]


async def test_a_day_ahead_across_the_clock_change_is_24_real_hours(rstore, clock):
    # Sunday 28 March 2027: Paris moves from UTC+1 to UTC+2 at 02:00. A race at 15:00
    # local that day is 13:00Z; 24 h before is 13:00Z on Saturday, 14:00 on Paris clocks.
    clock.instant = parse_instant("2027-03-20T00:00:00Z")
    await with_guild(
        rstore, clock, sessions=[("race", "2027-03-28", "15:00")], leads=(1440,), green_flag=False
    )
    discord = StandInDiscord(clock)
    await drive(Dispatcher(rstore, clock, discord), clock, parse_instant("2027-03-29T00:00:00Z"))
    [(at, _, _)] = sent(discord)
    race = parse_instant("2027-03-28T13:00:00Z")
    assert race - at == timedelta(hours=24)
    assert utc_to_local(at, "Europe/Paris").strftime("%H:%M %Z") == "14:00 CET"


async def test_moving_a_session_moves_its_reminders(rstore, clock):
    await with_guild(rstore, clock, kinds=(SessionKind.RACE,), green_flag=False)
    discord = StandInDiscord(clock)
    dispatcher = Dispatcher(rstore, clock, discord)
    await drive(dispatcher, clock, R_START - timedelta(hours=2))
    assert discord.posted == []
    moved = [JUNE[0], JUNE[1], ("race", "2027-06-13", "18:30")]
    await rstore.import_catalog(weekend("test-6h", moved), guild_id=GUILD)
    await drive(dispatcher, clock, parse_instant("2027-06-14T00:00:00Z"))
    assert [at for at, _, _ in sent(discord)] == [parse_instant("2027-06-13T15:30:00Z")]


async def test_a_cancelled_event_sends_nothing(rstore, clock):
    await with_guild(rstore, clock)
    raw = weekend("test-6h", JUNE, status="cancelled")
    await rstore.import_catalog(raw, guild_id=GUILD)
    discord = StandInDiscord(clock)
    await drive(Dispatcher(rstore, clock, discord), clock, parse_instant("2027-06-14T00:00:00Z"))
    assert discord.posted == []


async def test_after_downtime_a_reminder_still_useful_is_sent_late_and_one_too_late_is_recorded_missed(
    rstore, clock
):
    await with_guild(rstore, clock)
    discord = StandInDiscord(clock)
    # Down from before qualifying's reminder until 20 minutes before qualifying.
    clock.instant = Q_START - timedelta(minutes=20)
    dispatcher = Dispatcher(rstore, clock, discord)
    await dispatcher.run_once()
    assert [(p.notice.session.kind, p.notice.late) for p in discord.posted] == [
        (SessionKind.QUALIFYING, True)
    ]
    # Down again through the whole race start: both race reminders are missed, not sent.
    clock.instant = R_START + timedelta(hours=2)
    await dispatcher.run_once()
    assert len(discord.posted) == 1
    states = {
        (d.key.lead_minutes, d.state) for d in await rstore.reminders.deliveries_of(Target("guild", GUILD))
    }
    assert states == {(60, "sent"), (60, "missed"), (0, "missed")}


async def test_a_setup_made_after_a_due_time_gets_one_timely_reminder_not_a_late_one(rstore, clock):
    clock.instant = R_START - timedelta(minutes=30)
    await with_guild(rstore, clock, since="2027-06-13T13:30:00Z", leads=(1440, 60))
    discord = StandInDiscord(clock)
    await drive(Dispatcher(rstore, clock, discord), clock, R_START + timedelta(minutes=1))
    # The 24 h and 1 h reminders both fell due before the setup: one heads-up, then the green flag.
    assert [(p.notice.lead_minutes, p.notice.late) for p in discord.posted] == [
        (60, False),
        (0, False),
    ]
    rows = {
        (d.key.lead_minutes, d.state, d.error)
        for d in await rstore.reminders.deliveries_of(Target("guild", GUILD))
    }
    assert rows == {
        (60, "sent", None),
        (0, "sent", None),
        (1440, "missed", "superseded by a reminder closer to the start"),
    }


async def test_two_dispatchers_on_one_database_post_each_reminder_once(db_path, clock):
    first, second = await store_at(db_path), await store_at(db_path)
    try:
        await with_guild(first, clock)
        discord = StandInDiscord(clock)
        a, b = Dispatcher(first, clock, discord), Dispatcher(second, clock, discord)
        for instant in (Q_START - timedelta(hours=1), R_START - timedelta(hours=1), R_START):
            clock.instant = instant
            await asyncio.gather(a.run_once(), b.run_once(), a.run_once())
        assert len(discord.posted) == 3
        assert len(discord.attempts) == 3  # nobody even tried a second time
    finally:
        await first.close()
        await second.close()


async def test_a_crash_after_discord_accepted_is_resent_with_the_same_nonce_and_posted_once(db_path, clock):
    store = await store_at(db_path)
    await with_guild(store, clock, kinds=(SessionKind.RACE,), green_flag=False)
    discord = StandInDiscord(clock, crash_after_accept=True)
    clock.instant = R_START - timedelta(hours=1)
    await Dispatcher(store, clock, discord, lease=timedelta(seconds=30)).run_once()
    await store.close()

    # A new process after the lease ran out takes the claim over.
    restarted = await store_at(db_path)
    try:
        [claimed] = await restarted.reminders.deliveries_of(Target("guild", GUILD))
        assert claimed.state == "claimed"
        discord.crash_after_accept = False
        clock.instant += timedelta(seconds=31)
        await Dispatcher(restarted, clock, discord).run_once()
        assert len(discord.attempts) == 2
        assert discord.attempts[0].nonce == discord.attempts[1].nonce
        assert len(discord.posted) == 1
        [done] = await restarted.reminders.deliveries_of(Target("guild", GUILD))
        assert (done.state, done.message_id) == ("sent", discord.posted[0].message_id)
    finally:
        await restarted.close()


async def test_a_claim_is_not_taken_over_while_its_lease_runs(db_path, clock):
    store = await store_at(db_path)
    try:
        await with_guild(store, clock, kinds=(SessionKind.RACE,), green_flag=False)
        discord = StandInDiscord(clock, crash_after_accept=True)
        clock.instant = R_START - timedelta(hours=1)
        await Dispatcher(store, clock, discord, lease=timedelta(seconds=30)).run_once()
        other = Dispatcher(store, clock, StandInDiscord(clock))
        assert await other.run_once() == clock.instant + timedelta(seconds=30)
        assert other.courier.attempts == []  # type: ignore[attr-defined]
    finally:
        await store.close()


async def test_a_claim_still_waiting_in_this_process_is_not_sent_again_when_its_lease_runs_out(rstore, clock):
    await with_guild(rstore, clock, kinds=(SessionKind.RACE,), green_flag=False)
    discord = StandInDiscord(clock, hold=asyncio.Event())  # Discord is slow to answer
    clock.instant = R_START - timedelta(hours=1)
    dispatcher = Dispatcher(rstore, clock, discord, lease=timedelta(seconds=30))
    await dispatcher.run_once(drain=False)  # the loop's way: it does not wait for the send
    await asyncio.sleep(0)
    assert len(discord.attempts) == 1
    # Its lease ran out while this process is still sending it: the next pass leaves it alone.
    clock.instant += timedelta(seconds=31)
    await dispatcher.run_once(drain=False)
    assert len(discord.attempts) == 1
    discord.hold.set()  # type: ignore[union-attr]
    await asyncio.gather(*dispatcher._sending)
    [done] = await rstore.reminders.deliveries_of(Target("guild", GUILD))
    assert (done.state, done.attempts, len(discord.attempts)) == ("sent", 1, 1)


BURST_START = parse_instant("2030-01-01T11:00:00Z")  # a catalog race at Le Mans, 12:00 Paris time


async def with_burst(store, guilds, now):
    """A catalog race whose 1-minute reminder falls due for ``guilds`` guilds at BURST_START - 1 min."""
    await store.import_catalog(weekend("burst-race", [("race", "2030-01-01", "12:00")], name="Burst 6 Hours"))
    ids = [(i + 1) << 22 for i in range(guilds)]
    for guild_id in ids:
        await store.reminders.save_setup(
            setup_for(guild_id, leads=(1,), kinds=(SessionKind.RACE,), green_flag=False), now=now
        )
    return ids


async def test_a_live_process_keeps_the_leases_of_a_long_queue_so_nobody_sends_a_reminder_twice(db_path):
    # 40 reminders at once, Discord taking 0.8 s per post and 16 posts at a time: the last
    # ones wait 1.6 s for their turn and are answered 2.4 s after their due time, past the
    # lease (2 s, kept to the second: it lapses 1.1 to 2 s after the claim). Neither this
    # process nor another one on the same database takes them again meanwhile.
    due = BURST_START - timedelta(minutes=1)
    first, second = await store_at(db_path), await store_at(db_path)
    guilds = await with_burst(first, 40, due - timedelta(hours=1))
    clock = RunningClock(due - timedelta(seconds=0.1))
    discord = StandInDiscord(clock, delay=0.8)
    lease = timedelta(seconds=2)
    a = Dispatcher(first, clock, discord, lease=lease)
    b = Dispatcher(second, clock, discord, lease=lease)
    try:
        a.start()
        for _ in range(200):
            if discord.attempts:
                break
            await asyncio.sleep(0.01)
        b.start()  # another process, which finds every reminder claimed
        for _ in range(400):
            if len(discord.posted) == 40 and not a._sending and not b._sending:
                break
            await asyncio.sleep(0.01)
        assert len(discord.posted) == 40
        assert len(discord.attempts) == 40  # nobody tried anything a second time
        rows = [d for g in guilds for d in await first.reminders.deliveries_of(Target("guild", g))]
        assert sorted({(d.state, d.attempts) for d in rows}) == [("sent", 1)]
        assert len(rows) == 40
    finally:
        await a.stop()
        await b.stop()
        await first.close()
        await second.close()


async def test_waiting_for_a_retry_time_the_dispatcher_sleeps_instead_of_spinning(rstore):
    due = BURST_START - timedelta(minutes=1)
    clock = RunningClock(due - timedelta(seconds=0.05))
    [guild] = await with_burst(rstore, 1, clock.now())
    # One 429: the retry comes 2 s later (the backoff after a first attempt).
    discord = StandInDiscord(clock, outcomes={guild: [TryLater("429", retry_after=0.5)]})
    dispatcher = Dispatcher(rstore, clock, discord)
    dispatcher.start()
    try:
        for _ in range(150):
            if discord.attempts:
                break
            await asyncio.sleep(0.02)
        assert len(discord.attempts) == 1
        passes = dispatcher.passes
        for _ in range(300):
            if discord.posted:
                break
            await asyncio.sleep(0.02)
        assert len(discord.posted) == 1
        assert len(discord.attempts) == 2
        assert discord.posted[0].at - due >= timedelta(seconds=1)  # 2 s, kept to the second
        # Woken by the retry's write, then asleep until the retry time: a handful of passes.
        assert dispatcher.passes - passes <= 5, dispatcher.passes - passes
    finally:
        await dispatcher.stop()


async def test_waiting_for_a_stopped_process_lease_the_dispatcher_sleeps_then_takes_the_claim_over(db_path):
    due = BURST_START - timedelta(minutes=1)
    clock = RunningClock(due)
    store = await store_at(db_path)
    try:
        [guild] = await with_burst(store, 1, clock.now())
        # A process that claimed the reminder and stopped before sending it.
        [slot] = await store.reminders.sessions_starting(due, BURST_START)
        key = DeliveryKey(Target("guild", guild), slot.session_id, 1, BURST_START)
        await store.reminders.claim(
            [(key, due, delivery_nonce(key))],
            owner="stopped",
            now=clock.now(),
            lease_until=clock.now() + timedelta(seconds=1.5),  # kept to the second: 1 s
        )
        discord = StandInDiscord(clock)
        dispatcher = Dispatcher(store, clock, discord)
        dispatcher.start()
        try:
            for _ in range(150):
                if discord.posted:
                    break
                await asyncio.sleep(0.02)
            [posted] = discord.posted
            assert posted.notice.nonce == delivery_nonce(key)
            assert posted.at - due >= timedelta(seconds=1)
            assert dispatcher.passes <= 5, dispatcher.passes
        finally:
            await dispatcher.stop()
    finally:
        await store.close()


async def test_a_forbidden_channel_breaks_that_guild_only(rstore, clock):
    await with_guild(rstore, clock)
    await with_guild(rstore, clock, guild_id=OTHER_GUILD, key="other-6h")
    discord = StandInDiscord(
        clock, outcomes={GUILD: [TargetGone("403 Forbidden (code 50013): Missing Permissions")]}
    )
    await drive(Dispatcher(rstore, clock, discord), clock, parse_instant("2027-06-14T00:00:00Z"))
    assert {p.notice.target.id for p in discord.posted} == {OTHER_GUILD}
    assert len(discord.posted) == 3
    setup = await rstore.reminders.setup(GUILD)
    assert setup is not None
    assert setup.broken
    assert "Missing Permissions" in (setup.broken_reason or "")
    assert [p.notice.target.id for p in discord.posted if p.notice.target.id == GUILD] == []


async def test_rate_limits_and_server_errors_are_retried_with_the_same_nonce_until_sent(rstore, clock):
    await with_guild(rstore, clock, kinds=(SessionKind.RACE,), green_flag=False)
    discord = StandInDiscord(clock, outcomes={GUILD: [TryLater("429", retry_after=3.0), TryLater("503")]})
    await drive(Dispatcher(rstore, clock, discord), clock, parse_instant("2027-06-14T00:00:00Z"))
    assert len(discord.attempts) == 3
    assert len({n.nonce for n in discord.attempts}) == 1
    [posted] = discord.posted
    assert posted.at - (R_START - timedelta(hours=1)) >= timedelta(seconds=3)


async def test_retries_stop_when_the_session_has_started(rstore, clock):
    await with_guild(rstore, clock, kinds=(SessionKind.RACE,), green_flag=False, leads=(1,))
    discord = StandInDiscord(clock, outcomes={GUILD: [TryLater("503")] * 20})
    await drive(Dispatcher(rstore, clock, discord), clock, parse_instant("2027-06-14T00:00:00Z"))
    assert discord.posted == []
    [d] = await rstore.reminders.deliveries_of(Target("guild", GUILD))
    assert d.state == "failed"
    assert "503" in (d.error or "")


async def test_closed_dms_stop_a_fans_reminders_without_retrying(rstore, clock):
    await with_guild(rstore, clock)
    [event] = [e for e in await rstore.events(Scope(GUILD), season=2027) if e.key == "test-6h"]
    fan = 99
    await rstore.reminders.add_fan_request(
        user_id=fan, event_id=event.id, guild_id=GUILD, leads=(60,), locale="fr", now=clock.now()
    )
    discord = StandInDiscord(clock, outcomes={fan: [TargetGone("403 Forbidden (code 50007)")]})
    await drive(Dispatcher(rstore, clock, discord), clock, parse_instant("2027-06-14T00:00:00Z"))
    assert [n.target for n in discord.attempts if n.target.kind == "user"] == [Target("user", fan)]
    assert await rstore.reminders.dms_closed(fan)
    assert await rstore.reminders.take_closed_dm_notice(fan) is True
    assert await rstore.reminders.take_closed_dm_notice(fan) is False  # told once


async def test_a_fan_gets_dms_for_qualifying_and_race_in_their_language(rstore, clock):
    await rstore.import_catalog(weekend("test-6h", JUNE), guild_id=GUILD)
    [event] = [e for e in await rstore.events(Scope(GUILD), season=2027) if e.key == "test-6h"]
    await rstore.reminders.add_fan_request(
        user_id=5, event_id=event.id, guild_id=GUILD, leads=(60,), locale="fr", now=clock.now()
    )
    discord = StandInDiscord(clock)
    await drive(Dispatcher(rstore, clock, discord), clock, parse_instant("2027-06-14T00:00:00Z"))
    assert [(p.notice.target, p.notice.session.kind, p.notice.fan_locale) for p in discord.posted] == [
        (Target("user", 5), SessionKind.QUALIFYING, "fr"),
        (Target("user", 5), SessionKind.RACE, "fr"),
    ]


async def test_a_process_sends_only_for_its_shards_guilds_and_dms_only_on_shard_zero(rstore, clock):
    await with_guild(rstore, clock)
    await with_guild(rstore, clock, guild_id=OTHER_GUILD, key="other-6h")
    shard1 = StandInDiscord(clock)
    await drive(
        Dispatcher(rstore, clock, shard1, shards=Shards(frozenset({1}), 2)),
        clock,
        parse_instant("2027-06-14T00:00:00Z"),
    )
    assert {p.notice.target.id for p in shard1.posted} == {GUILD}
    assert Shards(frozenset({1}), 2).sends_dms is False
    assert Shards(frozenset({0}), 2).owns_guild(OTHER_GUILD)


async def test_a_series_filter_keeps_other_series_out(rstore, clock):
    await with_guild(rstore, clock, series=("IMSA",))
    discord = StandInDiscord(clock)
    await drive(Dispatcher(rstore, clock, discord), clock, parse_instant("2027-06-14T00:00:00Z"))
    assert discord.posted == []


async def test_a_guild_is_never_reminded_of_another_guilds_event(rstore, clock):
    await with_guild(rstore, clock)  # GUILD's own event
    await rstore.reminders.save_setup(setup_for(OTHER_GUILD), now=clock.now())  # no event of its own
    discord = StandInDiscord(clock)
    await drive(Dispatcher(rstore, clock, discord), clock, parse_instant("2027-06-14T00:00:00Z"))
    assert {p.notice.target.id for p in discord.posted} == {GUILD}


async def test_writes_wake_the_dispatcher_and_it_sleeps_until_the_next_due(rstore, clock):
    discord = StandInDiscord(clock)
    dispatcher = Dispatcher(rstore, clock, discord)
    assert await dispatcher.run_once() is None  # nothing set up: sleep the full cap
    await with_guild(rstore, clock)
    assert dispatcher._woken is True
    # Asleep until the weekend's first session could matter; then exactly until the first due time.
    assert await dispatcher.run_once() <= Q_START - timedelta(hours=1)
    clock.instant = Q_START - timedelta(hours=3)
    assert await dispatcher.run_once() == Q_START - timedelta(hours=1)


async def test_the_window_query_uses_the_start_index(rstore):
    plan = await rstore.explain(
        "SELECT s.id FROM sessions s CROSS JOIN events e WHERE e.id = s.event_id AND s.start_at > ? "
        "AND s.start_at <= ?",
        ["2027-01-01T00:00:00Z", "2027-01-02T00:00:00Z"],
    )
    assert any("sessions_by_start" in line for line in plan), plan


async def test_a_moved_session_that_was_already_announced_needs_one_correction_per_target(rstore, clock):
    from fanbot.reminders.corrections import corrections_needed

    await with_guild(rstore, clock, kinds=(SessionKind.RACE,), leads=(120, 60), green_flag=False)
    discord = StandInDiscord(clock)
    await drive(Dispatcher(rstore, clock, discord), clock, R_START - timedelta(minutes=30))
    assert len(discord.posted) == 2
    [before] = [e for e in await rstore.events(Scope(GUILD), season=2027) if e.key == "test-6h"]
    await rstore.import_catalog(
        weekend("test-6h", [*JUNE[:2], ("race", "2027-06-13", "17:00")]), guild_id=GUILD
    )
    [after] = [e for e in await rstore.events(Scope(GUILD), season=2027) if e.key == "test-6h"]
    [correction] = await corrections_needed(rstore, before, after)
    assert (correction.target, correction.new_start) == (Target("guild", GUILD), R_START + timedelta(hours=1))
    assert correction.channel_id == GUILD + 7
    cancelled = await corrections_needed(rstore, before, None)
    assert [c.new_start for c in cancelled] == [None]
    # Nothing was announced for qualifying (race reminders only): no correction for it.
    assert await corrections_needed(rstore, after, after) == []
