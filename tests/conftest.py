"""Shared fixtures: a real SQLite file per test, seeded from the shipped catalog; the bot
driven through simcord (``world``) and its moderators (``mods``). Helpers that are not
fixtures live in ``tests/support``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

import pytest

from fanbot.answers.context import Asker, Lookups
from fanbot.calendar_files.catalog import shipped_catalog
from fanbot.clock import FixedClock
from fanbot.domain.localtime import parse_instant
from fanbot.store import Scope, Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "fanbot.sqlite3"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The console's database (FANBOT_DB) for tests that run ``fanbot.cli.main``: in a
    folder of its own, away from the checkout's .env and any FANBOT_LOG_LEVEL."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "fanbot.sqlite3"
    monkeypatch.setenv("FANBOT_DB", str(path))
    monkeypatch.delenv("FANBOT_LOG_LEVEL", raising=False)
    return path


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(db_path, seed=shipped_catalog())
    yield opened
    await opened.close()


@pytest.fixture
async def empty_store(db_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(db_path)
    yield opened
    await opened.close()


AskerFactory = Callable[..., Asker]


@pytest.fixture
def asker(store: Store) -> AskerFactory:
    lookups = Lookups(store)

    def make(at: str | datetime, guild_id: int | None = None) -> Asker:
        instant = parse_instant(at) if isinstance(at, str) else at
        return Asker(store, Scope(guild_id), FixedClock(instant), lookups)

    return make


@pytest.fixture
def bot_clock() -> FixedClock:
    """The bot's "now"; tests move it by setting ``instant``."""
    return FixedClock(parse_instant("2012-10-01T00:00:00Z"))


@pytest.fixture
async def simcord_bot(db_path: Path, bot_clock: FixedClock):
    from fanbot.bot.app import FanBot

    bot = FanBot(db_path, clock=bot_clock)
    yield bot
    # When a test fails, simcord may stop without closing the bot; an open
    # aiosqlite connection would then keep pytest from exiting at all.
    if bot._store is not None:
        await bot._store.close()


@pytest.fixture
async def world(simcord_env, bot_clock):
    from tests.support.bot_world import BotWorld

    env = simcord_env
    guild = env.create_guild("Endurance fans")
    channel = guild.create_text_channel("general")
    alice = guild.add_member(env.create_user("alice"))
    bob = guild.add_member(env.create_user("bob"))
    await env.bot.tree.sync()
    return BotWorld(env, guild, channel, alice, bob, bot_clock)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "guild_catalog(make=...): the mods fixture imports make() as the guild's own catalog",
    )


@pytest.fixture
async def mods(world, request: pytest.FixtureRequest):
    """The moderators' permission matrix (:func:`tests.support.moderation_world.make_mods`).

    A module or test marked ``pytest.mark.guild_catalog(make=...)`` starts with ``make()``
    imported as the guild's own catalog (the permission tests' club weekend)."""
    from tests.support.moderation_world import make_mods

    marker = request.node.get_closest_marker("guild_catalog")
    return await make_mods(world, guild_catalog=marker.kwargs["make"]() if marker is not None else None)
