"""Shared fixtures: a real SQLite file per test, seeded from the shipped catalog; a
throwaway PostgreSQL database per test for the tests that run on both backends
(``postgres_url``, ``seeded_postgres_url``); the bot driven through simcord (``world``)
and its moderators (``mods``). Helpers that are not fixtures live in ``tests/support``."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from fanbot.answers.context import Asker, Lookups
from fanbot.calendar_files.catalog import shipped_catalog
from fanbot.clock import FixedClock
from fanbot.domain.localtime import parse_instant
from fanbot.store import Scope, Store
from tests.support.postgres import PostgresServer, database_name

# Each test makes its own database: a developer's FANBOT_DATABASE_URL (a real bot's
# PostgreSQL) must never reach the console or `fanbot run` the tests start.
os.environ.pop("FANBOT_DATABASE_URL", None)


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store seeded with the shipped catalog once per module: a test starts its bot on a
    copy (seeding takes a second or more)."""
    path = tmp_path_factory.mktemp("seeded") / "seeded.sqlite3"

    async def seed() -> None:
        store = await Store.open(path, seed=shipped_catalog())
        await store.close()

    asyncio.run(seed())
    return path


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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The PostgreSQL server of the test run (``tests.support.postgres``), checked once.

    Unreachable: the tests that need it are skipped with the reason, or fail in CI.
    Whatever databases the run made are dropped at its end."""
    server = PostgresServer.from_environment()
    why = asyncio.run(server.unreachable())
    if why is not None:
        server.give_up(why)
    yield server
    asyncio.run(server.drop_all())


@pytest.fixture(scope="session")
def postgres_seeded_template(postgres_server: PostgresServer) -> str:
    """A database migrated and seeded with the shipped catalog once per run: the
    template that ``seeded_postgres_url`` copies (a copy costs far less than an import)."""

    async def seeded() -> str:
        url = await postgres_server.create()
        store = await Store.open(url, seed=shipped_catalog())
        await store.close()
        return url

    return database_name(asyncio.run(seeded()))


@pytest.fixture
async def postgres_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for this test alone; dropped after it."""
    async with postgres_server.throwaway() as url:
        yield url


@pytest.fixture
async def seeded_postgres_url(
    postgres_server: PostgresServer, postgres_seeded_template: str
) -> AsyncIterator[str]:
    """A PostgreSQL database of this test's own, migrated and holding the shipped
    catalog (as ``Store.open(url, seed=shipped_catalog())`` leaves a new one); dropped after."""
    async with postgres_server.throwaway(template=postgres_seeded_template) as url:
        yield url


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
    config.addinivalue_line(
        "markers", "postgres: runs on a throwaway PostgreSQL database (-m 'not postgres' leaves them out)"
    )
    config.addinivalue_line(
        "markers",
        "alone: several bot processes on the real clock with deadlines of seconds; .ci/run runs "
        "these after the others, not beside them",
    )


@pytest.fixture
async def mods(world, request: pytest.FixtureRequest):
    """The moderators' permission matrix (:func:`tests.support.moderation_world.make_mods`).

    A module or test marked ``pytest.mark.guild_catalog(make=...)`` starts with ``make()``
    imported as the guild's own catalog (the permission tests' club weekend)."""
    from tests.support.moderation_world import make_mods

    marker = request.node.get_closest_marker("guild_catalog")
    return await make_mods(world, guild_catalog=marker.kwargs["make"]() if marker is not None else None)
