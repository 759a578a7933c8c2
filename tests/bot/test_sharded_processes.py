"""A process of a sharded bot, against the fake Discord in this process: it runs only its
shards (their guilds, not the others'), leaves the bot-wide chores to the process with
shard 0, waits its turn to IDENTIFY behind other processes, and on PostgreSQL hears
another process's writes at once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import discord
import pytest

from fanbot.bot.app import (
    OTHER_WRITERS_EVERY_SECONDS,
    OTHER_WRITERS_SAFETY_NET_SECONDS,
    FanBot,
    ShardedFanBot,
    make_bot,
)
from fanbot.config import Settings
from fanbot.reminders.dispatcher import Shards
from fanbot.store import Store
from testing.fakediscord import FakeDiscord, pointed_at

TOKEN = "fake-token"
# Starting a bot seeds its store with the catalog first; a loaded machine is slow at it.
START_SECONDS = 60.0


class RecordingBot(ShardedFanBot):
    """A sharded process that notes when each of its IDENTIFYs was let go."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.identified_at: list[datetime] = []

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        await super().before_identify_hook(shard_id, initial=initial)
        self.identified_at.append(discord.utils.utcnow())


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    discord_ = FakeDiscord(bot_token=TOKEN)
    for n in range(6):
        discord_.add_guild(name=f"Fans {n}")  # ids spread evenly over the shards
    await discord_.start()
    yield discord_
    await discord_.stop()


@contextlib.asynccontextmanager
async def running(fake: FakeDiscord, bot: FanBot) -> AsyncIterator[FanBot]:
    with pointed_at(fake):
        runner = asyncio.create_task(bot.start(TOKEN))
        try:
            await fake.wait_until(
                lambda: bot.is_ready() or runner.done(), START_SECONDS, "the bot's on_ready"
            )
            if runner.done():
                runner.result()
            yield bot
        finally:
            await bot.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(runner, 10)


def sharded(count: int, *ids: int) -> Settings:
    return Settings(shard_count=count, shard_ids=ids)


async def test_a_process_runs_only_its_shards_and_leaves_syncing_to_shard_0(
    fake: FakeDiscord, db_path: Path
) -> None:
    bot = make_bot(sharded(2, 1), db_path, guild_ready_timeout=0.1)

    async with running(fake, bot):
        # The first presence is set once ready, on every shard of the process (and then on
        # the bot's member in each of their guilds).
        await fake.wait_until(
            lambda: all(g.me.activities for g in bot.guilds), START_SECONDS, "the status line"
        )
        guilds = {g.id for g in bot.guilds}
        live = fake.gateway.ready_shards()
        turns = await bot.store.database.rows("SELECT bucket FROM identify_turns")

    assert isinstance(bot, ShardedFanBot)
    assert live == {(1, 2)}
    assert guilds == {g.id for g in fake.guilds.values() if (g.id >> 22) % 2 == 1}
    assert guilds  # the fixture spreads its guilds over both shards
    assert bot.reminder_shards() == Shards(frozenset({1}), 2)
    assert not bot.update_presence.failed()
    # Commands are the bot's: the process holding shard 0 syncs them, this one does not.
    assert fake.sync_count == 0
    # Its IDENTIFY took the turn of bucket 0 (max_concurrency 1: every shard's bucket).
    assert [int(r[0]) for r in turns] == [0]


async def test_the_process_with_shard_0_syncs_the_commands_and_identifies_as_shard_0_of_2(
    fake: FakeDiscord, db_path: Path
) -> None:
    bot = make_bot(sharded(2, 0), db_path, guild_ready_timeout=0.1)

    async with running(fake, bot):
        live = fake.gateway.ready_shards()

    assert live == {(0, 2)}
    assert fake.sync_count >= 1
    assert bot.reminder_shards().sends_dms


async def test_a_shard_waits_5_seconds_after_another_process_identified_in_its_bucket(
    fake: FakeDiscord, db_path: Path
) -> None:
    other = await Store.open(db_path)
    try:
        # Another process's shard of bucket 0 identified just now.
        their_identify = discord.utils.utcnow()
        assert (await other.take_identify_turn(0, now=their_identify)).taken
    finally:
        await other.close()
    bot = RecordingBot(db_path, settings=sharded(2, 1), guild_ready_timeout=0.1)

    async with running(fake, bot):
        pass

    [identified] = bot.identified_at
    # A lower bound the turn guarantees: however fast or slow the machine, never sooner.
    assert (identified - their_identify).total_seconds() >= 5.0


async def test_on_sqlite_other_processes_are_polled_as_before(fake: FakeDiscord, db_path: Path) -> None:
    bot = FanBot(db_path, settings=Settings(), watch_other_writers=True, guild_ready_timeout=0.1)

    async with running(fake, bot):
        assert bot.notice_other_writers.is_running()
        assert bot.notice_other_writers.seconds == OTHER_WRITERS_EVERY_SECONDS
        assert not bot.store.watching_writes


@pytest.mark.postgres
async def test_on_postgres_another_process_write_wakes_the_reminders_at_once(
    fake: FakeDiscord, seeded_postgres_url: str
) -> None:
    bot = FanBot(seeded_postgres_url, settings=Settings(), watch_other_writers=True, guild_ready_timeout=0.1)

    async with running(fake, bot):
        dispatcher = bot.dispatcher
        assert dispatcher is not None
        # Its first pass finds nothing to send, and it sleeps for an hour.
        await fake.wait_until(lambda: dispatcher.passes >= 1, START_SECONDS, "the first reminder pass")
        passes = dispatcher.passes
        assert bot.store.watching_writes
        assert bot.notice_other_writers.seconds == OTHER_WRITERS_SAFETY_NET_SECONDS

        other = await Store.open(seeded_postgres_url)
        try:
            await other.set_moderator_role(next(iter(fake.guilds)), 42)
        finally:
            await other.close()

        # Only the notification can wake it this soon: the poll is minutes away.
        await fake.wait_until(lambda: dispatcher.passes > passes, START_SECONDS, "a pass after the write")


async def test_the_rest_budget_is_under_the_login_requests_too(tmp_path: Path) -> None:
    """A process restarted while the others fan out must not add its login requests
    (/users/@me, the application) on top of its share of the global limit: the budget is
    in place before login, not from setup_hook on (a 429 seen once in CI, session 7)."""
    fake = FakeDiscord(bot_token=TOKEN)
    await fake.start()
    bot = FanBot(tmp_path / "f.sqlite3", settings=Settings(), sync_commands=False)
    try:
        with pointed_at(fake):
            await bot.login(TOKEN)
        assert [r.path for r in fake.requests if r.method == "GET"] == [
            "/users/@me",
            "/oauth2/applications/@me",
        ]
        # Both login requests took a permit (answered within the last second: still counted).
        assert bot.rest_budget is not None
        assert bot.rest_budget.in_use() >= 2
    finally:
        await bot.close()
        await fake.stop()
