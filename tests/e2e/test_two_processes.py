"""fanbot past one machine: two ``fanbot run`` processes with two shards each, on one
PostgreSQL database and one fake Discord with 1,000 guilds (issue 16's proof).

Each process sends the channel reminders of its own shards' guilds, the one holding
shard 0 sends the DMs, and every reminder is claimed in the shared database before it is
sent. The bots run on the real clock, so reminders are placed a few real seconds ahead.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import discord
import pytest

from fanbot.calendar_files.catalog import FORMAT, parse_catalog, shipped_catalog
from fanbot.domain.localtime import to_iso_utc
from fanbot.domain.model import SessionKind
from fanbot.domain.reminders import ReminderSetup, Target
from fanbot.store import Store
from testing.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeUser, shard_of
from testing.fanbot_process import TOKEN, kill_fanbot, start_fanbot

# Alone: 2 processes x 1,000 guilds on the real clock need the machine's two cores.
pytestmark = [pytest.mark.postgres, pytest.mark.alone]

GUILDS = 1000
SHARDS = 4
# The two processes: shards 0-1 (which also sends the DMs) and shards 2-3.
GROUPS = ((0, 1), (2, 3))
LEASE_SECONDS = "2"
# Time for both processes to start, identify their shards and load 1,000 guilds before
# the fan-out falls due.
LEAD_IN = timedelta(seconds=25)
MOD_ID = 1_300_000_000_000_000_100
FAN_ID = 1_300_000_000_000_000_101


@dataclass
class ShardedWorld:
    fake: FakeDiscord
    url: str
    guilds: list[FakeGuild]
    channels: dict[int, FakeChannel]  # guild id -> its reminder channel
    mod: FakeUser
    fan: FakeUser

    def group_of(self, guild_id: int) -> int:
        shard = shard_of(guild_id, SHARDS)
        return next(i for i, group in enumerate(GROUPS) if shard in group)

    def guilds_of(self, group: int) -> list[FakeGuild]:
        return [g for g in self.guilds if self.group_of(g.id) == group]

    async def start(self, group: int) -> asyncio.subprocess.Process:
        return await start_fanbot(
            self.fake,
            None,
            shard_count=SHARDS,
            shard_ids=GROUPS[group],
            database_url=self.url,
            FANBOT_REMINDER_LEASE_SECONDS=LEASE_SECONDS,
        )

    async def wait_ready(self, group: int) -> None:
        await self.fake.wait_ready(timeout=60, shard_count=SHARDS, shard_ids=list(GROUPS[group]))


@pytest.fixture
async def world(seeded_postgres_url: str) -> AsyncIterator[ShardedWorld]:
    # Shards 0-3 in buckets of their own: both processes identify at once; any identify
    # Discord would refuse is answered Invalid Session and recorded.
    fake = FakeDiscord(bot_token=TOKEN, max_concurrency=SHARDS, reject_early_identify=True)
    mod = fake.add_user(MOD_ID, "marshal")
    fan = fake.add_user(FAN_ID, "fan")
    guilds, channels = [], {}
    for i in range(GUILDS):
        guild = fake.add_guild(name=f"Endurance fans {i}", locale="en-US")
        channels[guild.id] = guild.add_text_channel(name="race-reminders")
        guilds.append(guild)
    # The moderator and the fan are in the first guild of the second process.
    home = next(g for g in guilds if shard_of(g.id, SHARDS) in GROUPS[1])
    home.add_text_channel(name="general")
    home.add_member(
        mod, permissions=discord.Permissions(manage_events=True, view_channel=True, send_messages=True).value
    )
    home.add_member(fan)
    await fake.start()
    try:
        yield ShardedWorld(fake, seeded_postgres_url, guilds, channels, mod, fan)
    finally:
        await fake.stop()


async def place_fan_out(world: ShardedWorld, due: datetime) -> None:
    """A catalog race (fictional) whose reminder, one minute ahead, falls due at ``due`` in
    every guild's reminder channel."""
    start = due + timedelta(minutes=1)
    store = await Store.open(world.url, seed=shipped_catalog())
    try:
        series = [{"code": s.code, "name": s.name} for s in await store.series()]
        await store.import_catalog(
            parse_catalog(
                {
                    "format": FORMAT,
                    "series": series,
                    "circuits": [
                        {"key": "e2e-oval", "name": "E2E Oval (fictional)", "timezone": "UTC", "aliases": []}
                    ],
                    "events": [
                        {
                            "key": "e2e-fan-out-6h",
                            "series": "WEC",
                            "season": start.year,
                            "name": "Fan-out 6 Hours (fictional)",
                            "circuit": "e2e-oval",
                            "sessions": [
                                {"kind": "race", "date": f"{start.year + 3}-01-01", "time": "12:00"}
                            ],
                        }
                    ],
                },
                source="two-process test",
            )
        )
        async with store.database.write() as tx:
            await tx.execute(
                "UPDATE sessions SET start_at = ?, sort_at = ?, horizon_at = ? WHERE event_id = "
                "(SELECT id FROM events WHERE key = 'e2e-fan-out-6h')",
                (to_iso_utc(start), to_iso_utc(start), to_iso_utc(start)),
            )
        now = datetime.now(UTC)
        for guild in world.guilds:
            await store.reminders.save_setup(
                ReminderSetup(
                    guild_id=guild.id,
                    channel_id=world.channels[guild.id].id,
                    role_id=None,
                    series=(),
                    kinds=(SessionKind.RACE,),
                    leads=(1,),
                    green_flag=False,
                    since=now - timedelta(hours=1),
                ),
                now=now,
            )
    finally:
        await store.close()


def reminded(world: ShardedWorld, guilds: list[FakeGuild]) -> int:
    """How many of ``guilds`` have a message in their reminder channel (from the fake's
    request records: cheap enough to look at every few milliseconds)."""
    wanted = {f"/channels/{world.channels[g.id].id}/messages" for g in guilds}
    return len(
        {r.path for r in world.fake.requests if r.method == "POST" and r.status == 200 and r.path in wanted}
    )


async def stop_all(processes: list[asyncio.subprocess.Process]) -> None:
    for process in processes:
        await kill_fanbot(process)


async def test_a_fan_out_over_two_processes_reaches_every_guild_exactly_once_through_a_kill_9(world):
    due = datetime.now(UTC).replace(microsecond=0) + LEAD_IN
    await place_fan_out(world, due)
    processes = [await world.start(0), await world.start(1)]
    try:
        await world.wait_ready(0)
        await world.wait_ready(1)
        # The second process is killed with a tenth of its guilds reminded, and started again.
        theirs = world.guilds_of(1)
        await world.fake.wait_until(
            lambda: reminded(world, theirs) >= len(theirs) // 10,
            120,
            "a tenth of the second process's guilds",
        )
        processes[1].send_signal(signal.SIGKILL)
        await processes[1].wait()
        processes[1] = await world.start(1)
        await world.fake.wait_until(
            lambda: reminded(world, world.guilds) == GUILDS, 180, "every guild's reminder"
        )
        # Long enough for a claim left by the killed process to be taken over (and a
        # reminder sent twice, if it could be).
        await asyncio.sleep(3 * float(LEASE_SECONDS))
    finally:
        await stop_all(processes)

    posts = Counter(
        int(m["channel_id"]) for ch in world.channels.values() for m in world.fake.messages_in(ch)
    )
    assert posts == Counter({ch.id: 1 for ch in world.channels.values()})
    # Every delivery is recorded sent, with the id of the one message in its channel.
    store = await Store.open(world.url)
    try:
        for guild in world.guilds:
            [delivery] = await store.reminders.deliveries_of(Target("guild", guild.id))
            [message] = world.fake.messages_in(world.channels[guild.id])
            assert (delivery.state, delivery.message_id) == ("sent", int(message["id"]))
    finally:
        await store.close()
    # Each process sent only its own shards' reminders, under one global 50/s, never refused.
    assert [r for r in world.fake.requests if r.status == 429] == []
    assert world.fake.gateway.identify_violations == []


async def test_what_one_process_writes_the_other_acts_on_at_once(world):
    """The moderator and the fan are on the second process's shards; the fan's DM is sent by
    the first (the one holding shard 0), which must see their writes and wake for them.

    Times are typed to the minute, so the processes start at second 38 of a minute M, and
    the race is at M + 2: the fan's reminder falls due at M + 1, about 10 s after the fan
    asked. The first process would see the writes only at its next poll of other writers
    (30 s after it started, so about 8 s late), unless PostgreSQL tells it at once."""
    await asyncio.sleep((38 - datetime.now(UTC).second) % 60)
    started = datetime.now(UTC).replace(second=0, microsecond=0)
    processes = [await world.start(0), await world.start(1)]
    try:
        # Both ready (each sets its presence on each of its shards from on_ready), and the
        # first process's reminders have made their first pass before anyone writes.
        await world.fake.wait_until(
            lambda: sum(1 for p in world.fake.gateway.received if p.get("op") == 3) >= SHARDS,
            60,
            "both processes ready",
        )
        await asyncio.sleep(1)
        home = next(g for g in world.guilds_of(1) if MOD_ID in g.members)
        general = next(c for c in home.channels.values() if c.name == "general")
        race = (started + timedelta(minutes=2)).astimezone(ZoneInfo("Europe/Brussels"))
        preview = await world.fake.slash(
            home,
            general,
            world.mod,
            "event add",
            {
                "name": "Two Process Club Race (fictional)",
                "series": "WEC",
                "circuit": "Spa",
                "race": race.strftime("%Y-%m-%d %H:%M"),
            },
        )
        await preview.wait_final()
        confirmed = await world.fake.click(preview.final, label="Confirm", user=world.mod)
        await confirmed.wait_final()
        remind = await world.fake.slash(
            home, general, world.fan, "remindme add", {"event": "Two Process Club Race", "before": "1m"}
        )
        assert "I will send you a direct message" in str(await remind.wait_final())
        due = race.astimezone(UTC) - timedelta(minutes=1)
        assert datetime.now(UTC) < due - timedelta(seconds=5), "the processes took too long to start"
        wait = (due - datetime.now(UTC)).total_seconds()
        dm = await world.fake.wait_until(
            lambda: next((m for m in world.fake.dm_messages(world.fan) if m["embeds"]), None),
            wait + 45,
            "the fan's reminder",
        )
        arrived = datetime.now(UTC)
    finally:
        await stop_all(processes)
    assert "Two Process Club Race" in str(dm)
    # Sent by the process that did not answer the fan: DMs are shard 0's, the fan's guild is not.
    assert shard_of(home.id, SHARDS) in GROUPS[1]
    # Woken by the other process's write (LISTEN/NOTIFY), not by a poll every 30 s: on time
    # to within a few seconds (the fake's clock is the machine's, checked loosely on purpose).
    assert (arrived - due).total_seconds() < 5
