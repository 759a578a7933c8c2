"""``fanbot run`` with FANBOT_CATALOG_URL: the process that sends the DMs (shard 0) follows
the published catalog from the start; another process of a sharded bot leaves it alone."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fanbot.bot.app import FanBot, ShardedFanBot
from fanbot.config import Settings
from testing.fakediscord import FakeDiscord, pointed_at
from tests.support.catalog_server import CatalogServer, catalog_server, published_catalog

TOKEN = "fake-token"
# Starting a bot seeds its store with the catalog first; a loaded machine is slow at it.
START_SECONDS = 60.0


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    discord_ = FakeDiscord(bot_token=TOKEN)
    discord_.add_guild(name="Fans")
    await discord_.start()
    yield discord_
    await discord_.stop()


@pytest.fixture
async def server() -> AsyncIterator[CatalogServer]:
    async with catalog_server() as served:
        served.publish(published_catalog())
        yield served


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


async def test_the_bot_imports_the_published_catalog_on_start_and_stops_following_it_on_close(
    fake: FakeDiscord, server: CatalogServer, db_path: Path
) -> None:
    settings = Settings(catalog_url=server.url, feeds_allow_private=True)
    bot = FanBot(db_path, settings=settings, guild_ready_timeout=0.1)

    async with running(fake, bot):
        stamp = datetime(2026, 12, 8, tzinfo=UTC)
        wrote = asyncio.Event()
        bot.store.on_write(wrote.set)  # set by the import's commit, unless it came before
        while await bot.store.catalog_published() != stamp:
            await asyncio.wait_for(wrote.wait(), START_SECONDS)
            wrote.clear()
        task = bot.catalog_sync
        assert task is not None

    assert task.done()
    assert bot.catalog_sync is None


async def test_a_process_without_shard_0_does_not_follow_the_catalog(
    fake: FakeDiscord, server: CatalogServer, db_path: Path
) -> None:
    settings = Settings(catalog_url=server.url, feeds_allow_private=True, shard_count=2, shard_ids=(1,))
    bot = ShardedFanBot(db_path, settings=settings, guild_ready_timeout=0.1)

    async with running(fake, bot):
        assert bot.catalog_sync is None
    assert server.requests == []
