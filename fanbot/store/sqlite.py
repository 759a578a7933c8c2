"""The SQLite backend: one file through aiosqlite, opened, tuned and written one
transaction at a time.

Opening (pragmas, WAL), the second read-only connection that short reads use on the
event loop itself, write transactions that wait for another process's lock without
holding up reads, and the counters other processes' commits move. It holds no query
of its own: the store's parts bring their SQL through ``Database`` and ``Transaction``
(``fanbot.store.backend``).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import aiosqlite

from fanbot.store.backend import (
    BOOKKEEPING_WRITES,
    WRITE_WAIT_SECONDS,
    NameChange,
    Row,
    StoreBusy,
    StoreUnavailable,
    Transaction,
    name_scope,
)
from fanbot.store.write_watch import OtherWrite

BUSY_TIMEOUT_MS = 5000


def _why_unopenable(path: Path, exc: sqlite3.Error) -> str:
    if path.is_dir():
        return f"{path} is a folder, not a database file: give a file path, like {path / 'fanbot.sqlite3'}"
    if not path.parent.exists():
        return f"cannot create {path}: the folder {path.parent} does not exist (create it first)"
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
        return f"{path} is not a SQLite database (SQLite says: {exc}); give fanbot a file of its own"
    return f"cannot open the database {path}: {exc}"


class SqliteTransaction:
    """The statements of a write transaction, on the writing connection."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute one statement and close its cursor at once (an open cursor keeps a
        statement "in progress", and COMMIT then fails)."""
        cursor = await self._connection.execute(sql, params)
        changed = cursor.rowcount
        await cursor.close()
        return changed

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int | None:
        """The new row's id from SQLite's ``lastrowid`` (one trip to aiosqlite's thread
        fewer than ``RETURNING id``: the importer inserts thousands); ``rowcount`` tells
        an insert that a conflict skipped, whose ``lastrowid`` is a previous row's."""
        cursor = await self._connection.execute(sql, params)
        new_id = cursor.lastrowid if cursor.rowcount == 1 else None
        await cursor.close()
        return new_id

    async def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        cursor = await self._connection.executemany(sql, params)
        await cursor.close()

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._connection.execute(sql, params) as cur:
            row: Row | None = await cur.fetchone()
        return row

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._connection.execute(sql, params) as cur:
            return list(await cur.fetchall())


class SqliteDatabase:
    """One aiosqlite connection for writes and long reads, shared by every caller of
    this process, and a second connection for short reads on the event loop itself."""

    dialect: Literal["sqlite", "postgresql"] = "sqlite"

    def __init__(self, connection: aiosqlite.Connection, path: str) -> None:
        # The writing connection; tests and benchmarks poke the file through it.
        self.connection = connection
        self.path = path
        self._transaction = SqliteTransaction(connection)
        self._write_lock = asyncio.Lock()
        # Short reads (one event, its sessions, an entry list: tens of microseconds in
        # SQLite) run here, on the event loop's thread: a trip to aiosqlite's thread and
        # back costs ~0.15 ms, more than the read, and commands make several. Opened once
        # the schema is migrated.
        self._reader: sqlite3.Connection | None = None
        # Whether the schema has the name counter yet (upgrade tests stop before it).
        self.counts_names = False
        # Write transactions this process has begun: a cache filled while one was open
        # may hold what it had not committed (``writing``).
        self.writes_begun = 0
        # Called after every commit: the reminder dispatcher wakes on any change
        # that could bring a reminder forward.
        self._after_write: list[Callable[[], None]] = []

    @classmethod
    async def connect(cls, path: str | Path) -> SqliteDatabase:
        """Open (creating if needed) the database file at ``path``, not yet migrated.

        Raises ``StoreUnavailable`` when the file cannot be opened as a database."""
        connecting = aiosqlite.connect(str(path), isolation_level=None)
        try:
            db = await connecting
        except sqlite3.Error as exc:
            # aiosqlite stops its thread through this event loop: let it, before the loop
            # ends (asyncio.run), or the thread dies with "Event loop is closed".
            await asyncio.to_thread(connecting._thread.join, 5)
            raise StoreUnavailable(_why_unopenable(Path(path), exc)) from exc
        db.row_factory = aiosqlite.Row
        try:
            # The busy timeout first: switching to WAL must wait for another starting process.
            await _run(db, f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await _run(db, "PRAGMA journal_mode = WAL")
            await _run(db, "PRAGMA foreign_keys = ON")
            await _run(db, "PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            await db.close()
            raise StoreUnavailable(_why_unopenable(Path(path), exc)) from exc
        return cls(db, str(path))

    def open_reader(self) -> None:
        """Open the connection for short reads (``rows``), once the schema is migrated."""
        self._reader = _open_reader(self.path)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        await self.connection.close()

    @property
    def writing(self) -> bool:
        """This process has a write transaction open (or waiting to open): reads may see
        what it has not committed, and may yet roll back (a moderator's preview does)."""
        return self._write_lock.locked()

    def on_write(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after each committed write of this process."""
        self._after_write.append(listener)

    @asynccontextmanager
    async def write(
        self, *, names: NameChange = "catalog", wait: float = WRITE_WAIT_SECONDS
    ) -> AsyncIterator[SqliteTransaction]:
        """One write transaction at a time; rolled back whole on any error.

        ``names``: which names the write may change, so that the name indexes held in
        memory (``change_token``) are rebuilt only when they must: "catalog" (the shared
        catalog's, by ``fanbot import``), a guild id (that guild's own, by its moderators)
        or "none" (reminder bookkeeping: sending a thousand reminders keeps them). ``wait``:
        how long another process's write lock may hold it up before ``StoreBusy``."""
        deadline = asyncio.get_running_loop().time() + wait
        try:
            # This process's own writes queue here first; the wait counts against ``wait`` too.
            async with asyncio.timeout(wait):
                await self._write_lock.acquire()
        except TimeoutError:
            raise StoreBusy(f"the database stayed busy for {wait:g} s") from None
        self.writes_begun += 1
        try:
            try:
                await self._begin(deadline)
                # Rows changed by this connection so far: a transaction that changes none
                # (importing the same file again) leaves the name counter alone too, so
                # that it changes nothing at all and no process rebuilds its name indexes.
                changes_before = self.connection.total_changes
                yield self._transaction
                changed = self.connection.total_changes != changes_before
                if names != "none" and self.counts_names and changed:
                    await _run(
                        self.connection,
                        "INSERT INTO name_revision (scope, value) VALUES (?, 1) "
                        "ON CONFLICT (scope) DO UPDATE SET value = value + 1",
                        (name_scope(names),),
                    )
                await _run(self.connection, "COMMIT")
            except BaseException:
                # Whatever failed or was cancelled (even the BEGIN, which runs on aiosqlite's
                # thread after its caller gave up): no transaction may outlive the lock, or
                # every later write of this process would fail and other processes wait.
                await asyncio.shield(self._roll_back_if_open())
                raise
        finally:
            self._write_lock.release()
        if not BOOKKEEPING_WRITES.get():
            for listener in self._after_write:
                listener()

    async def _roll_back_if_open(self) -> None:
        # Queued behind anything already sent to the connection's thread (a BEGIN whose
        # caller was cancelled), so it sees the transaction that BEGIN opened.
        await self.connection._execute(_roll_back_if_open, self.connection._conn)  # type: ignore[no-untyped-call]

    async def _begin(self, deadline: float) -> None:
        """BEGIN IMMEDIATE: take the write lock, waiting for another process's in short
        tries with the connection's thread free in between, so reads go on meanwhile.

        Each try turns SQLite's busy wait off for the BEGIN alone, in one call on the
        connection's thread (no other statement of this connection runs in between), and
        always turns it back on: reads keep the full busy timeout."""
        loop = asyncio.get_running_loop()
        pause = 0.005
        while True:
            try:
                # aiosqlite's own way onto its thread (private, but stable across 0.17-0.22).
                await self.connection._execute(_begin_immediate_without_waiting, self.connection._conn)  # type: ignore[no-untyped-call]
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                    raise
                if loop.time() + pause > deadline:
                    raise StoreBusy("the database is locked by another writer") from exc
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.1)

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """A short read: on the event loop through the reader connection when it can,
        through aiosqlite's thread otherwise (see ``scan``)."""
        async with self.scan(sql, params) as rows:
            return list(rows)

    @asynccontextmanager
    async def scan(self, sql: str, params: Sequence[Any] = ()) -> AsyncIterator[Iterable[Row]]:
        """Rows of a short read, which the caller may stop reading early.

        While this process has a write transaction open, reads go through the writing
        connection as they always did, so code that reads during a write sees it.
        The reader never waits for a lock (WAL readers seldom have to): when it would,
        the read takes the thread's way instead of stalling the event loop."""
        cursor = None
        if self._reader is not None and not self._write_lock.locked():
            try:
                cursor = self._reader.execute(sql, params)
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                    raise
        if cursor is None:
            yield await self.connection.execute_fetchall(sql, params)
            return
        try:
            yield cursor
        finally:
            cursor.close()

    @asynccontextmanager
    async def stream(self, sql: str, params: Sequence[Any] = ()) -> AsyncIterator[AsyncIterator[Row]]:
        """``scan``'s rows for ``async for``: a step of SQLite's cursor is microseconds on
        the event loop, with nothing to wait for."""
        async with self.scan(sql, params) as rows:
            yield _each(rows)

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """A long read, through the writing connection on aiosqlite's thread (one trip
        there and back, not three: execute, fetch, close)."""
        return list(await self.connection.execute_fetchall(sql, params))

    async def columns(self, table: str) -> frozenset[str]:
        async with self.connection.execute(f"PRAGMA table_info({table})") as cur:
            return frozenset(str(r[1]) for r in await cur.fetchall())

    async def schema_version(self) -> int:
        async with self.connection.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def set_schema_version(self, tx: Transaction, version: int) -> None:
        """``PRAGMA user_version``: SQLite's own slot for it, in the file's header."""
        await tx.execute(f"PRAGMA user_version = {int(version)}")

    async def data_version(self) -> int:
        """Moves when another connection (another process) commits anything, this
        process's own writes aside: ``PRAGMA data_version`` on the writing connection."""
        rows = list(await self.connection.execute_fetchall("PRAGMA data_version"))
        return int(rows[0][0]) if rows else 0

    async def watch_writes(self, callback: Callable[[OtherWrite], None], *, wait: float) -> bool:
        """SQLite cannot tell one process of another's commits: they poll ``data_version``."""
        return False

    @property
    def watching_writes(self) -> bool:
        return False

    async def explain(self, sql: str, params: Sequence[Any]) -> list[str]:
        """``EXPLAIN QUERY PLAN`` details, for tests that guard the indexes."""
        async with self.connection.execute(f"EXPLAIN QUERY PLAN {sql}", params) as cur:
            return [str(row["detail"]) for row in await cur.fetchall()]


def _roll_back_if_open(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _begin_immediate_without_waiting(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        conn.execute("BEGIN IMMEDIATE")
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _open_reader(path: str) -> sqlite3.Connection:
    """The connection for ``SqliteDatabase.rows``: read-only, and never waiting for a
    lock (busy_timeout 0), since it runs on the event loop."""
    # check_same_thread=False: only the event loop's thread uses it, but tests and the
    # console may open the store on one thread and close it on another.
    reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    reader.row_factory = sqlite3.Row
    reader.execute("PRAGMA busy_timeout = 0")
    reader.execute("PRAGMA query_only = 1")
    return reader


async def _run(db: aiosqlite.Connection, sql: str, params: Sequence[Any] = ()) -> None:
    """Execute one statement and close its cursor at once (an open cursor keeps a
    statement "in progress", and COMMIT then fails)."""
    cursor = await db.execute(sql, params)
    await cursor.close()


async def _each(rows: Iterable[Row]) -> AsyncIterator[Row]:
    for row in rows:
        yield row
