"""Another process's writes, heard as they commit (``Store.watch_writes``): PostgreSQL's
LISTEN/NOTIFY; SQLite says it cannot (its processes poll ``data_version``).

Each test waits for an ``asyncio.Event`` with a generous timeout, never for a time. What
must *not* be heard is checked after a later write that must be: PostgreSQL delivers one
connection's notifications in commit order, so anything before it has arrived by then.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from fanbot.domain.localtime import parse_instant
from fanbot.store import Store
from fanbot.store.write_watch import CHANNEL, OtherWrite, changed_table

# Generous: a notification takes milliseconds; a loaded CI machine may take much longer.
HEARD_WITHIN_SECONDS = 30.0
NOW = parse_instant("2026-03-01T12:00:00Z")


class Heard:
    """A callback for ``watch_writes`` that counts, and lets a test wait for the n-th call."""

    def __init__(self) -> None:
        self.count = 0
        self._changed = asyncio.Event()

    def __call__(self) -> None:
        self.count += 1
        self._changed.set()

    async def reaches(self, count: int) -> None:
        async with asyncio.timeout(HEARD_WITHIN_SECONDS):
            while self.count < count:
                self._changed.clear()
                await self._changed.wait()


class Tables:
    """A backend-level callback (``Database.watch_writes``): the tables of each write
    heard, in order, and a wait for the write that changed ``table``."""

    def __init__(self) -> None:
        self.heard: list[frozenset[str]] = []
        self._changed = asyncio.Event()

    def __call__(self, write: OtherWrite) -> None:
        self.heard.append(write.tables)
        self._changed.set()

    async def until(self, table: str) -> None:
        async with asyncio.timeout(HEARD_WITHIN_SECONDS):
            while not any(table in tables for tables in self.heard):
                self._changed.clear()
                await self._changed.wait()


async def write_then_fail(store: Store) -> None:
    """A write that changed a row and then failed: rolled back whole (as a preview is)."""
    async with store.database.write(names="none") as tx:
        await tx.execute("INSERT INTO guild_settings (guild_id, moderator_role_id) VALUES (5, 6)")
        raise RuntimeError("a moderator's preview, rolled back")


@asynccontextmanager
async def two_processes(url: str) -> AsyncIterator[tuple[Store, Store]]:
    writer, listener = await Store.open(url), await Store.open(url)
    try:
        yield writer, listener
    finally:
        await writer.close()
        await listener.close()


async def test_sqlite_says_it_cannot_watch_and_calls_nothing(tmp_path: Path) -> None:
    heard = Heard()
    store = await Store.open(tmp_path / "fanbot.sqlite3")
    try:
        watching = await store.watch_writes(heard)
        await store.set_moderator_role(1, 2)
    finally:
        await store.close()

    assert watching is False
    assert store.watching_writes is False
    assert heard.count == 0


@pytest.mark.postgres
async def test_a_write_through_one_process_wakes_the_other(postgres_url: str) -> None:
    heard = Heard()
    async with two_processes(postgres_url) as (writer, listener):
        assert await listener.watch_writes(heard) is True
        assert listener.watching_writes

        await writer.set_moderator_role(1, 2)

        await heard.reaches(1)


@pytest.mark.postgres
async def test_a_process_does_not_hear_its_own_writes(postgres_url: str) -> None:
    mine = Tables()
    async with two_processes(postgres_url) as (writer, other):
        await writer.database.watch_writes(mine, wait=HEARD_WITHIN_SECONDS)

        await writer.set_moderator_role(1, 2)  # its own: its on_write listeners know it
        await other.take_identify_turn(0, now=NOW)  # the other's, heard after the first if at all
        await mine.until("identify_turns")

    assert mine.heard == [frozenset({"identify_turns"})]


@pytest.mark.postgres
async def test_another_process_bookkeeping_wakes_no_one_unless_asked_for(postgres_url: str) -> None:
    wanted, everything = Heard(), Heard()
    async with two_processes(postgres_url) as (writer, listener):
        await listener.watch_writes(wanted)
        await listener.watch_writes(everything, bookkeeping=True)

        await writer.take_identify_turn(0, now=NOW)  # bookkeeping: another process's turn
        await writer.set_moderator_role(1, 2)
        # Every callback hears a write before the next write is heard: once both are in,
        # the filtered one has had all it will get.
        await everything.reaches(2)

    assert wanted.count == 1


@pytest.mark.postgres
async def test_a_rolled_back_write_and_a_write_that_changed_nothing_are_not_heard(postgres_url: str) -> None:
    heard = Tables()
    async with two_processes(postgres_url) as (writer, listener):
        await listener.database.watch_writes(heard, wait=HEARD_WITHIN_SECONDS)

        with pytest.raises(RuntimeError):
            await write_then_fail(writer)
        async with writer.database.write(names="none") as tx:
            await tx.execute("UPDATE guild_settings SET moderator_role_id = 1 WHERE guild_id = 404")
        await writer.take_identify_turn(0, now=NOW)
        await heard.until("identify_turns")

    assert heard.heard == [frozenset({"identify_turns"})]


@pytest.mark.postgres
async def test_the_listener_comes_back_after_losing_its_connection_and_says_writes_may_be_missed(
    postgres_url: str,
) -> None:
    heard = Heard()
    async with two_processes(postgres_url) as (writer, listener):
        await listener.watch_writes(heard)
        admin = await asyncpg.connect(postgres_url)
        try:
            # What a restarted server or a broken network does to the listening connection.
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = 'fanbot-listener'"
            )
        finally:
            await admin.close()

        await heard.reaches(1)  # listening again: whatever was written meanwhile went unheard
        await writer.set_moderator_role(1, 2)
        await heard.reaches(2)

        assert listener.watching_writes


@pytest.mark.postgres
async def test_writes_notify_on_the_fanbot_channel_with_the_tables_they_changed(postgres_url: str) -> None:
    """The wire format other tools (or another fanbot version) may listen to."""
    payloads: asyncio.Queue[str] = asyncio.Queue()
    async with two_processes(postgres_url) as (writer, _):
        spy = await asyncpg.connect(postgres_url)
        try:
            await spy.add_listener(CHANNEL, lambda *args: payloads.put_nowait(args[3]))
            await writer.set_moderator_role(1, 2)
            async with asyncio.timeout(HEARD_WITHIN_SECONDS):
                payload = await payloads.get()
        finally:
            await spy.close()

    origin, tables = payload.split(" ")
    assert origin == writer.database.origin  # type: ignore[attr-defined]
    assert tables == "guild_settings"


def test_the_changed_table_is_read_from_the_statement() -> None:
    assert changed_table("INSERT INTO deliveries (a) VALUES (?)") == "deliveries"
    assert changed_table("  update Reminder_setups SET x = 1") == "reminder_setups"
    assert changed_table("DELETE FROM fan_reminders WHERE id = ?") == "fan_reminders"
    assert changed_table("SELECT * FROM events") is None
    assert changed_table("CREATE TABLE x (a int)") is None
