"""Which retaken reminders look for an earlier post before posting: those whose earlier attempt
may have reached Discord (a 5xx, a lost answer, a process that died) once Discord may have
forgotten the nonce; not those Discord refused (a 429). Discord's message endpoint is a
stand-in (tests/support/reminder_world); the real courier's look is in
tests/e2e/test_reminder_takeover."""

from datetime import timedelta

import pytest

from fanbot.clock import FixedClock
from fanbot.domain.localtime import parse_instant
from fanbot.domain.model import SessionKind
from fanbot.domain.reminders import ReminderSetup, Target
from fanbot.reminders.dispatcher import NONCE_WINDOW, Dispatcher, TryLater
from tests.support.reminder_world import StandInDiscord, drive, store_at, weekend

GUILD = 1 << 22
R_START = parse_instant("2027-06-13T14:00:00Z")  # 16:00 at Le Mans (CEST)
DUE = R_START - timedelta(hours=1)
# A retry this long after the due time comes when Discord may no longer know the nonce.
LATE_RETRY = (NONCE_WINDOW + timedelta(seconds=30)).total_seconds()


@pytest.fixture
def clock():
    return FixedClock(parse_instant("2027-06-01T00:00:00Z"))


@pytest.fixture
async def rstore(db_path, clock):
    store = await store_at(db_path)
    await store.import_catalog(weekend("test-6h", [("race", "2027-06-13", "16:00")]), guild_id=GUILD)
    setup = ReminderSetup(
        guild_id=GUILD,
        channel_id=GUILD + 7,
        role_id=None,
        series=(),
        kinds=(SessionKind.RACE,),
        leads=(60,),
        green_flag=False,
        since=parse_instant("2027-01-01T00:00:00Z"),
    )
    await store.reminders.save_setup(setup, now=clock.now())
    yield store
    await store.close()


async def test_a_retry_after_a_server_error_past_the_nonce_window_looks_for_the_earlier_post_first(
    rstore, clock
):
    discord = StandInDiscord(clock, outcomes={GUILD: [TryLater("503: upstream", retry_after=LATE_RETRY)]})
    await drive(Dispatcher(rstore, clock, discord), clock, R_START)
    [looked] = discord.lookups
    assert looked.nonce == discord.attempts[0].nonce
    [posted] = discord.posted
    assert posted.at - DUE > NONCE_WINDOW
    [done] = await rstore.reminders.deliveries_of(Target("guild", GUILD))
    assert (done.state, done.attempts, done.message_id) == ("sent", 2, posted.message_id)


async def test_a_retry_after_discord_refused_the_post_does_not_look_for_it(rstore, clock):
    refused = TryLater("429: rate limited", retry_after=LATE_RETRY, maybe_posted=False)
    discord = StandInDiscord(clock, outcomes={GUILD: [refused]})
    await drive(Dispatcher(rstore, clock, discord), clock, R_START)
    assert discord.lookups == []
    assert len(discord.attempts) == 2
    [posted] = discord.posted
    assert posted.at - DUE > NONCE_WINDOW


async def test_when_the_stand_in_cannot_read_the_history_the_reminder_is_still_posted(rstore, clock):
    discord = StandInDiscord(
        clock,
        outcomes={GUILD: [TryLater("network: timeout", retry_after=LATE_RETRY)]},
        history_unreadable="403 (code 50001): Missing Access",
    )
    await drive(Dispatcher(rstore, clock, discord), clock, R_START)
    assert len(discord.lookups) == 1
    assert len(discord.posted) == 1
