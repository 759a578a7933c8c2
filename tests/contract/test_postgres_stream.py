"""``PostgresDatabase.stream``: a read the caller may stop early, fetched a batch at a time
through a server-side cursor in a read-only transaction on a connection of the pool.

What it promises: the same rows as a whole read, in order; the connection handed back
with no transaction left open however the block ends (read to the end, stopped early,
raised, cancelled); and, while this process writes, what the write has written so far.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from fanbot.store import Store
from fanbot.store.postgres import PostgresDatabase

pytestmark = pytest.mark.postgres
SESSIONS = "SELECT id, horizon_at FROM sessions WHERE id > ? AND horizon_at IS NOT NULL ORDER BY id"


@pytest.fixture
async def database(seeded_postgres_url: str) -> AsyncIterator[PostgresDatabase]:
    store = await Store.open(seeded_postgres_url)
    assert isinstance(store.database, PostgresDatabase)
    yield store.database
    await store.close()


async def left_open(database: PostgresDatabase) -> int:
    """fanbot's connections to this database with a transaction open."""
    [(count,)] = await database.rows(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name = 'fanbot' AND state LIKE 'idle in transaction%'"
    )
    return int(count)


async def test_it_yields_every_row_of_a_whole_read_in_order_across_batches(
    database: PostgresDatabase,
) -> None:
    whole = [tuple(r) for r in await database.rows(SESSIONS, (0,))]
    async with database.stream(SESSIONS, (0,), batch=7) as rows:
        streamed = [tuple(r) async for r in rows]

    assert len(whole) > 7 * 3
    assert streamed == whole
    assert streamed[0][1].endswith("Z")  # instants in the store's form, as in ``rows``


async def test_stopping_early_hands_the_connection_back_with_nothing_open(database: PostgresDatabase) -> None:
    taken = []
    async with database.stream(SESSIONS, (0,), batch=4) as rows:
        async for row in rows:
            taken.append(row["id"])
            if len(taken) == 3:
                assert await left_open(database) == 1  # the cursor's transaction
                break

    assert len(taken) == 3
    assert await left_open(database) == 0


async def walk_then_fail(database: PostgresDatabase) -> None:
    async with database.stream(SESSIONS, (0,)) as rows:
        async for _row in rows:
            raise RuntimeError("the caller's own error")


async def test_an_error_or_a_cancellation_in_the_walk_leaves_nothing_open(database: PostgresDatabase) -> None:
    with pytest.raises(RuntimeError):
        await walk_then_fail(database)

    started = asyncio.Event()

    async def walk_and_wait() -> None:
        async with database.stream(SESSIONS, (0,)) as rows:
            async for _row in rows:
                started.set()
                await asyncio.Event().wait()

    task = asyncio.create_task(walk_and_wait())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert await left_open(database) == 0


async def preview(database: PostgresDatabase, seen: list[int]) -> None:
    """A moderator's preview: a write that reads what it wrote, then rolls back."""
    async with database.write(names="none") as tx:
        await tx.execute("INSERT INTO guild_settings (guild_id, moderator_role_id) VALUES (5, 6)")
        async with database.stream("SELECT guild_id FROM guild_settings WHERE guild_id = ?", (5,)) as rows:
            seen.extend([int(r["guild_id"]) async for r in rows])
        raise RuntimeError("a moderator's preview, rolled back")


async def test_while_this_process_writes_it_sees_the_write(database: PostgresDatabase) -> None:
    seen: list[int] = []
    with pytest.raises(RuntimeError):
        await preview(database, seen)

    assert seen == [5]
    assert await database.rows("SELECT guild_id FROM guild_settings WHERE guild_id = 5") == []
