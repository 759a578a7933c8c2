"""The name counters on PostgreSQL (``Store.change_token``), kept in the process while the
other processes' writes are heard, and read from the database whenever they are not.

Every lookup asks for the counters; kept, they cost no trip. They must stay exact: a write
of this process, or one heard from another, makes the next answer read them again; with the
listener not started, or dropped, every answer reads them. Tests wait for notifications
(an ``asyncio.Event``), never for a time. A write made outside fanbot (a person's psql,
which notifies nobody) shows which answers were kept and which were read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

from fanbot.store import Store
from tests.contract.test_write_notifications import HEARD_WITHIN_SECONDS, Tables

pytestmark = pytest.mark.postgres
GUILD = 7


@asynccontextmanager
async def two_processes(url: str) -> AsyncIterator[tuple[Store, Store]]:
    mine, other = await Store.open(url), await Store.open(url)
    try:
        yield mine, other
    finally:
        await mine.close()
        await other.close()


async def move_names_outside_fanbot(url: str) -> None:
    """Move both counters as a person's psql would: no notification."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "INSERT INTO name_revision (scope, value) VALUES ('catalog', 100), ($1, 100) "
            "ON CONFLICT (scope) DO UPDATE SET value = name_revision.value + 100",
            f"guild:{GUILD}",
        )
    finally:
        await connection.close()


async def write_names(store: Store, names: str | int) -> None:
    """A write that changed a row and may change ``names`` (a moderator's edit would)."""
    async with store.database.write(names=names) as tx:  # type: ignore[arg-type]
        await tx.execute(
            "INSERT INTO guild_settings (guild_id, moderator_role_id) VALUES (?, 1) "
            "ON CONFLICT (guild_id) DO UPDATE SET moderator_role_id = guild_settings.moderator_role_id + 1",
            (GUILD,),
        )


async def until_not_listening(store: Store) -> None:
    """Until the listener has noticed its connection ended (it says so at once, from the
    connection's termination callback; it tries again a second later)."""
    async with asyncio.timeout(HEARD_WITHIN_SECONDS):
        while store.watching_writes:  # noqa: ASYNC110 - a state, not an event, to wait on
            await asyncio.sleep(0.01)


async def test_another_process_write_changes_the_token_once_heard(postgres_url: str) -> None:
    heard = Tables()
    async with two_processes(postgres_url) as (mine, other):
        assert await mine.database.watch_writes(heard, wait=HEARD_WITHIN_SECONDS)
        before = await mine.change_token(GUILD)
        assert await mine.change_token(GUILD) == before  # kept from here

        await write_names(other, GUILD)
        await heard.until("name_revision")
        after_guild = await mine.change_token(GUILD)
        heard.heard.clear()
        await write_names(other, "catalog")
        await heard.until("name_revision")
        after_catalog = await mine.change_token(GUILD)

        assert after_guild == (before[0], before[1] + 1)
        assert after_catalog == (before[0] + 1, before[1] + 1)
        assert after_catalog == await other.change_token(GUILD)


async def test_the_token_is_kept_while_heard_and_this_process_writes_forget_it(postgres_url: str) -> None:
    async with two_processes(postgres_url) as (mine, _other):
        assert await mine.watch_writes(lambda: None)
        before = await mine.change_token(GUILD)

        await move_names_outside_fanbot(postgres_url)
        kept = await mine.change_token(GUILD)  # nothing heard: the counters were kept
        await write_names(mine, "none")  # its own write, even one that moves no counter
        read_again = await mine.change_token(GUILD)

    assert kept == before
    assert read_again == (before[0] + 100, before[1] + 100)


async def test_without_a_listener_the_token_is_read_from_the_database(postgres_url: str) -> None:
    async with two_processes(postgres_url) as (mine, _other):
        before = await mine.change_token(GUILD)  # watch_writes never called
        await move_names_outside_fanbot(postgres_url)

        assert await mine.change_token(GUILD) == (before[0] + 100, before[1] + 100)


async def test_once_the_listener_drops_the_token_is_read_from_the_database(postgres_url: str) -> None:
    async with two_processes(postgres_url) as (mine, other):
        assert await mine.watch_writes(lambda: None)
        before = await mine.change_token(GUILD)
        await move_names_outside_fanbot(postgres_url)
        assert await mine.change_token(GUILD) == before  # kept while heard

        # The listener's connection ends (the server restarted, a network cut).
        ended = await other.database.rows(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'fanbot-listener' AND datname = current_database()"
        )
        assert ended, "the listening connection was found"
        await until_not_listening(mine)

        assert await mine.change_token(GUILD) == (before[0] + 100, before[1] + 100)
