"""A reminder claim taken over after Discord forgot its nonce, with the bot's real courier
against the local fake Discord (testing/fakediscord), in-process.

A process that posted a reminder and died before writing it down leaves a claim that another
process takes over after its lease, with the same nonce: within Discord's nonce window
Discord drops the resend; later, the new process first looks for the earlier message in the
channel's (or DM's) recent history, known by the delivery's marker in its footer. The fake
counts its nonce window in real seconds while the dispatchers run on an injected clock, so a
test that is "past the window" says so to the fake too (``nonce_window_seconds = 0``).

The bot is logged in over REST only: each ``Dispatcher`` here stands for a process. The
fake's message ids carry the real time, so the race is placed an hour from now, at Lusail
(no daylight saving), and the clock starts at its reminder's due time.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fanbot.bot.app import FanBot
from fanbot.bot.courier import DiscordCourier
from fanbot.bot.embeds.reminder import delivery_marker
from fanbot.clock import FixedClock
from fanbot.domain.model import SessionKind
from fanbot.domain.reminders import DeliveryKey, ReminderSetup, Target
from fanbot.reminders.dispatcher import Dispatcher, Notice
from fanbot.reminders.planner import delivery_nonce
from fanbot.store import Scope, Store
from testing.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeUser, pointed_at
from testing.fakediscord.permissions import READ_MESSAGE_HISTORY
from tests.support.reminder_world import DiesAfterPosting, weekend

TOKEN = "fake-token"
GUILD_ID = 1_160_000_000_000_000_001
CHANNEL_ID = 1_160_000_000_000_000_010
FAN_ID = 1_160_000_000_000_000_100
LEAD = 60
LEASE = timedelta(seconds=30)
# Long after the earlier attempt: past its lease and past Discord's nonce window.
TAKEN_OVER_AFTER = timedelta(minutes=10)
HISTORY = "/channels/*/messages"


@dataclass
class Takeover:
    """The fake with a guild, its reminder channel and a fan; the bot logged in over REST on
    a store holding a race an hour away; the clock at its reminder's due time."""

    fake: FakeDiscord
    guild: FakeGuild
    channel: FakeChannel
    fan: FakeUser
    bot: FanBot
    clock: FixedClock
    due: datetime

    @property
    def store(self) -> Store:
        return self.bot.store

    def dispatcher(self, courier: Any = None) -> Dispatcher:
        """Another process: its own dispatcher (owner) on the same database."""
        return Dispatcher(self.store, self.clock, courier or DiscordCourier(self.bot), lease=LEASE)

    async def remind(self, target: Target) -> DeliveryKey:
        """The guild's channel, or the fan's DMs, reminded an hour before the race."""
        if target.kind == "guild":
            await self.store.reminders.save_setup(
                ReminderSetup(
                    guild_id=GUILD_ID,
                    channel_id=CHANNEL_ID,
                    role_id=None,
                    series=(),
                    kinds=(SessionKind.RACE,),
                    leads=(LEAD,),
                    green_flag=False,
                    since=self.due - timedelta(days=1),
                ),
                now=self.due - timedelta(days=1),
            )
        else:
            await self.store.reminders.add_fan_request(
                user_id=FAN_ID,
                event_id=(await self.race()).event_id,
                guild_id=GUILD_ID,
                leads=(LEAD,),
                locale="en",
                now=self.due - timedelta(days=1),
            )
        slot = await self.race()
        return DeliveryKey(target, slot.session_id, LEAD, slot.start)

    async def race(self) -> Any:
        [slot] = await self.store.reminders.sessions_starting(self.due, self.due + timedelta(hours=2))
        return slot

    def posted(self, target: Target) -> list[dict[str, Any]]:
        return (
            self.fake.messages_in(self.channel) if target.kind == "guild" else self.fake.dm_messages(self.fan)
        )

    def posts(self) -> int:
        return len([r for r in self.fake.requests_to("POST", HISTORY) if r.status == 200 and not r.deduped])


@pytest.fixture
async def takeover(tmp_path: Path) -> AsyncIterator[Takeover]:
    fake = FakeDiscord(bot_token=TOKEN)
    guild = fake.add_guild(GUILD_ID, name="Endurance fans", locale="en-US")
    channel = guild.add_text_channel(CHANNEL_ID, "race-reminders")
    fan = fake.add_user(FAN_ID, "fan")
    guild.add_member(fan)  # DMs need a guild in common
    await fake.start()
    start = (datetime.now(UTC) + timedelta(hours=1)).replace(second=0, microsecond=0)
    due = start - timedelta(minutes=LEAD)  # at most a minute ago: the fake's ids are later
    clock = FixedClock(due)
    try:
        with pointed_at(fake):
            bot = FanBot(tmp_path / "fanbot.sqlite3", clock=clock, sync_commands=False)
            await bot.login(TOKEN)
            try:
                local = start.astimezone(ZoneInfo("Asia/Qatar"))
                race = weekend(
                    "lusail-night",
                    [("race", local.date().isoformat(), local.strftime("%H:%M"))],
                    name="Lusail 10 Hours",
                    circuit="lusail",
                )
                await bot.store.import_catalog(race, guild_id=GUILD_ID)
                yield Takeover(fake, guild, channel, fan, bot, clock, due)
            finally:
                await bot.close()
    finally:
        await fake.stop()


TARGETS = [
    pytest.param(Target("guild", GUILD_ID), id="channel"),
    pytest.param(Target("user", FAN_ID), id="dm"),
]


@pytest.mark.parametrize("target", TARGETS)
async def test_a_reminder_posted_before_its_process_died_is_found_later_and_not_posted_again(
    takeover, target
):
    key = await takeover.remind(target)
    await takeover.dispatcher(DiesAfterPosting(DiscordCourier(takeover.bot))).run_once()
    [earlier] = takeover.posted(target)
    assert earlier["embeds"][0]["footer"]["text"].endswith(delivery_marker(delivery_nonce(key)))
    [claimed] = await takeover.store.reminders.deliveries_of(target)
    assert claimed.state == "claimed"

    takeover.fake.nonce_window_seconds = 0  # Discord has forgotten the nonce
    takeover.clock.instant = takeover.due + TAKEN_OVER_AFTER
    second = takeover.dispatcher()
    await second.run_once()

    assert takeover.posted(target) == [earlier]
    assert takeover.posts() == 1
    [done] = await takeover.store.reminders.deliveries_of(target)
    assert (done.state, done.message_id, done.channel_id, done.attempts) == (
        "sent",
        int(earlier["id"]),
        int(earlier["channel_id"]),
        2,
    )
    assert (second.found_posted, second.sent) == (1, 0)
    [lookup] = takeover.fake.requests_to("GET", HISTORY)
    assert lookup.query["limit"] == "50"
    assert "after" in lookup.query


async def test_a_reminder_retaken_with_nothing_of_its_own_in_the_channel_is_posted_once_after_looking(
    takeover,
):
    target = Target("guild", GUILD_ID)
    key = await takeover.remind(target)
    # A process claimed it and stopped before posting; the channel holds another reminder.
    await takeover.store.reminders.claim(
        [(key, takeover.due, delivery_nonce(key))],
        owner="stopped",
        now=takeover.due,
        lease_until=takeover.due + LEASE,
    )
    event = await takeover.store.event(Scope(GUILD_ID), (await takeover.race()).event_id)
    assert event is not None
    setup = await takeover.store.reminders.setup(GUILD_ID)
    other = Notice(target, event, event.sessions[0], 10, False, "r-another-delivery", setup, None)
    await DiscordCourier(takeover.bot).deliver(other)

    takeover.clock.instant = takeover.due + TAKEN_OVER_AFTER
    await takeover.dispatcher().run_once()

    [_, posted] = takeover.posted(target)
    assert posted["embeds"][0]["footer"]["text"].endswith(delivery_marker(delivery_nonce(key)))
    [lookup] = takeover.fake.requests_to("GET", HISTORY)
    [post] = [r for r in takeover.fake.requests_to("POST", HISTORY) if r.json["nonce"] == delivery_nonce(key)]
    assert lookup.time < post.time
    [done] = await takeover.store.reminders.deliveries_of(target)
    assert (done.state, done.message_id) == ("sent", int(posted["id"]))


@pytest.mark.parametrize("unreadable", ["no Read Message History", "403 Missing Access"])
async def test_when_the_history_cannot_be_read_the_reminder_is_posted_and_why_is_logged_once(
    takeover, unreadable, caplog
):
    target = Target("guild", GUILD_ID)
    await takeover.remind(target)
    await takeover.dispatcher(DiesAfterPosting(DiscordCourier(takeover.bot))).run_once()
    [earlier] = takeover.posted(target)
    if unreadable == "no Read Message History":
        # Discord then answers the history with no messages at all, not with an error.
        takeover.channel.set_overwrite(takeover.guild.bot_member, deny=READ_MESSAGE_HISTORY)
        reason = "Read Message History is missing"
    else:
        takeover.fake.fail_next("GET", HISTORY, 403, code=50001, message="Missing Access")
        reason = "403 (code 50001): Missing Access"

    takeover.fake.nonce_window_seconds = 0
    takeover.clock.instant = takeover.due + TAKEN_OVER_AFTER
    caplog.clear()  # the first process's death, logged
    with caplog.at_level(logging.WARNING, logger="fanbot.reminders.dispatcher"):
        await takeover.dispatcher().run_once()

    # A missed reminder is worse than a rare duplicate: posted again, once.
    [_, again] = takeover.posted(target)
    assert again["id"] != earlier["id"]
    assert takeover.posts() == 2
    [done] = await takeover.store.reminders.deliveries_of(target)
    assert (done.state, done.message_id) == ("sent", int(again["id"]))
    [warning] = [r for r in caplog.records if r.name == "fanbot.reminders.dispatcher"]
    assert "could not read the recent messages" in warning.getMessage()
    assert reason in warning.getMessage()


async def test_a_reminder_retaken_within_the_nonce_window_is_left_to_discords_nonce_check(takeover):
    target = Target("guild", GUILD_ID)
    await takeover.remind(target)
    await takeover.dispatcher(DiesAfterPosting(DiscordCourier(takeover.bot))).run_once()
    [earlier] = takeover.posted(target)

    takeover.clock.instant = takeover.due + LEASE + timedelta(seconds=1)
    await takeover.dispatcher().run_once()

    assert takeover.fake.requests_to("GET", HISTORY) == []
    assert takeover.fake.nonce_dedupes == 1
    assert takeover.posted(target) == [earlier]
    [done] = await takeover.store.reminders.deliveries_of(target)
    assert (done.state, done.message_id) == ("sent", int(earlier["id"]))
