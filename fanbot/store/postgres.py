"""The PostgreSQL backend: a pool of asyncpg connections to one database, written one
transaction at a time across every process that shares it.

Chosen by a ``postgresql://`` URL (``Store.open``). It keeps every promise of
``fanbot.store.backend`` as the SQLite backend does: a write takes an advisory lock
that every fanbot process takes to write (PostgreSQL's counterpart of SQLite's one
writer), so two processes never interleave an import, a claim or a migration, and
waiting longer than ``wait`` for it is ``StoreBusy``; while this process writes, its
reads go through the writing connection and see what it wrote. The parts' SQL arrives
with ``?`` placeholders, numbered here (``$1``, ``$2``...); asyncpg prepares each
statement once per connection and keeps it. Instants are ``timestamptz`` in the tables
and text at the boundary, in the store's one form (``2012-10-20T15:30:00Z``).

Every write that changed rows also notifies the other processes as it commits (``NOTIFY
fanbot_writes``, ``fanbot.store.write_watch``), so that they need not poll to notice it.
While this process hears them, it keeps the name counters it read (``name_tokens``): a
lookup's answer then makes no trip to learn that no name changed.

A trip to the server is what a read costs here (about half a millisecond on one machine,
far more than the query): the pool hands connections back without asyncpg's reset query,
which would double every read (see ``_keep_session``), and a read the caller may stop
early (``stream``) fetches its rows a batch at a time.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import re
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import asyncpg

from fanbot.config import POSTGRES_URL_SCHEMES
from fanbot.domain.localtime import to_iso_utc
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
from fanbot.store.write_watch import (
    CHANNEL,
    NAME_COUNTER_TABLE,
    KeptWhileHeard,
    OtherWrite,
    WriteWatcher,
    changed_table,
    payload,
)

# The advisory lock every fanbot write takes (pg_advisory_xact_lock): any 64-bit number no
# other program on the database uses; this one spells "fanbotwr".
WRITE_LOCK_KEY = 0x66616E626F747772
# Row locks inside a write: no other fanbot writer holds any (they wait for the advisory
# lock first), so only a person's psql session could make one wait; give up as SQLite would.
STATEMENT_LOCK_WAIT_MS = 5000
# Connections: one for the writer, the rest for reads made while it writes.
POOL_MIN, POOL_MAX = 1, 10
CONNECT_TIMEOUT_SECONDS = 10.0
# Rows a ``stream`` fetches per trip: a walk that stops within the first batch (the next
# ten races, from about 11,000 sessions to come) costs one small fetch.
STREAM_BATCH_ROWS = 128
# Not numbered by ``placeholders``: quoted text and identifiers, comments.
_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|--[^\n]*|\?")
_ROW_COUNT = re.compile(r"^(?:INSERT \d+|UPDATE|DELETE|MERGE) (\d+)$")


def is_postgres_url(target: object) -> bool:
    """Whether ``Store.open`` was given a PostgreSQL URL rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(POSTGRES_URL_SCHEMES)


def where(url: str) -> str:
    """The URL without its password, for log lines and messages."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"postgresql://{user}{parts.hostname or ''}{port}{parts.path}"


@functools.lru_cache(maxsize=4096)
def placeholders(sql: str) -> str:
    """The parts' SQL with its ``?`` numbered as PostgreSQL wants them (``$1``, ``$2``...)."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group() != "?":
            return match.group()
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


def instant_in(value: str | datetime) -> str:
    """An instant as the store passes it (its text, or an aware datetime) for timestamptz."""
    return value if isinstance(value, str) else to_iso_utc(value)


def instant_out(text: str) -> str:
    """timestamptz as PostgreSQL writes it in UTC (``2012-10-20 15:30:00+00``) in the
    store's form (``2012-10-20T15:30:00Z``); the store keeps whole seconds."""
    if len(text) == 22 and text.endswith("+00"):
        return f"{text[:10]}T{text[11:19]}Z"
    return to_iso_utc(datetime.fromisoformat(text))


def date_in(value: str | date) -> str:
    return value if isinstance(value, str) else value.isoformat()


async def _prepare_connection(connection: asyncpg.Connection) -> None:
    """Every new connection of the pool: instants and days as text both ways."""
    await connection.set_type_codec(
        "timestamptz", schema="pg_catalog", encoder=instant_in, decoder=instant_out, format="text"
    )
    await connection.set_type_codec("date", schema="pg_catalog", encoder=date_in, decoder=str, format="text")


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """The pool's reset of a connection handed back: nothing to send.

    asyncpg's own reset (``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``)
    is one more trip to the server on every read. fanbot's connections never change their
    session: writes take their advisory lock and ``SET LOCAL`` for the transaction only,
    cursors live inside a transaction, listening has its own connection
    (``write_watch``). The pool still rolls back a transaction left open before handing
    a connection back."""


def _row_count(status: str) -> int:
    """Rows an INSERT, UPDATE or DELETE changed, from its status ("UPDATE 3")."""
    found = _ROW_COUNT.match(status or "")
    return int(found.group(1)) if found else 0


def _is_change(sql: str) -> bool:
    return sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE")


class PostgresTransaction:
    """The statements of a write transaction, on the writing connection."""

    def __init__(self, database: PostgresDatabase) -> None:
        self._database = database
        # Rows changed so far: a write that changed none moves no counter.
        self.changes = 0
        # The tables they are in, for the other processes' listeners (``write_watch``).
        self.tables: set[str] = set()

    def _changed(self, sql: str, rows: int) -> None:
        if rows:
            self.changes += rows
            table = changed_table(sql)
            if table is not None:
                self.tables.add(table)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._database.writer() as connection:
            # Without parameters asyncpg uses the simple protocol: DDL of migrations runs too.
            status = await connection.execute(placeholders(sql), *params)
        changed = _row_count(status)
        self._changed(sql, changed)
        return changed

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int | None:
        rows = await self._fetch(f"{sql} RETURNING id", params, first=True)
        return int(rows[0][0]) if rows else None

    async def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        batch = list(params)
        if not batch:
            return
        async with self._database.writer() as connection:
            await connection.executemany(placeholders(sql), batch)
        # asyncpg does not count them; the callers' statements change rows when they run.
        self._changed(sql, len(batch))

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self._fetch(sql, params, first=True)
        return rows[0] if rows else None

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return await self._fetch(sql, params, first=False)

    async def _fetch(self, sql: str, params: Sequence[Any], *, first: bool) -> list[Row]:
        query = placeholders(sql)
        async with self._database.writer() as connection:
            if _is_change(sql):
                # An INSERT, UPDATE or DELETE ... RETURNING returns one row per row it changed.
                rows = list(await connection.fetch(query, *params))
                self._changed(sql, len(rows))
                return rows[:1] if first else rows
            if first:
                row = await connection.fetchrow(query, *params)
                return [row] if row is not None else []
            return list(await connection.fetch(query, *params))


class PostgresDatabase:
    """One PostgreSQL database through a pool of connections: one writes at a time, the
    others read (see the module's docstring)."""

    dialect: Literal["sqlite", "postgresql"] = "postgresql"

    def __init__(self, pool: asyncpg.Pool, path: str, *, url: str | None = None) -> None:
        self._pool = pool
        self.path = path
        # The URL itself (it may hold a password): the listening connection opens with it.
        self._url = url
        # Names this process's notifications, so that its listener leaves them out.
        self.origin = secrets.token_hex(8)
        self._watcher: WriteWatcher | None = None
        self._write_lock = asyncio.Lock()
        # The connection of the write transaction open now, if any; ``_writer_lock`` lets
        # one statement at a time use it (the writer's own, and reads made meanwhile).
        self._writer: asyncpg.Connection | None = None
        self._writer_lock = asyncio.Lock()
        # Whether the schema has the name counter yet (upgrade tests stop before it), and
        # the write counter (migration 1 adds it; the backend learns it from the version).
        self.counts_names = False
        self.counts_writes = False
        # A migration changed the tables in this write (``write`` then renews the pool).
        self._migrated = False
        self.writes_begun = 0
        self._after_write: list[Callable[[], None]] = []
        # ``data_version``: this process's own committed writes, left out of the count, and
        # a mark that moves while one commits (a count read meanwhile may be off by it).
        self._own_writes = 0
        self._commits = 0
        self._committing = False
        self._last_data_version: int | None = None
        # Name counters read while other processes' writes are heard (``name_tokens``).
        self._names = KeptWhileHeard()

    @classmethod
    async def connect(cls, url: str) -> PostgresDatabase:
        """A pool on the database at ``url``, not yet migrated.

        Raises ``StoreUnavailable`` when the server does not answer or refuses."""
        shown = where(url)
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=POOL_MIN,
                max_size=POOL_MAX,
                timeout=CONNECT_TIMEOUT_SECONDS,
                init=_prepare_connection,
                reset=_keep_session,
                # UTC: timestamptz comes back as "...+00", which instant_out reads.
                server_settings={"TimeZone": "UTC", "DateStyle": "ISO, YMD", "application_name": "fanbot"},
            )
        except (OSError, TimeoutError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise StoreUnavailable(
                f"cannot open the PostgreSQL database {shown}: {why} (is the server running, and "
                "does the database exist? create it with: createdb <name>)"
            ) from exc
        return cls(pool, shown, url=url)

    async def close(self) -> None:
        if self._watcher is not None:
            await self._watcher.close()
            self._watcher = None
        await self._pool.close()

    async def watch_writes(self, callback: Callable[[OtherWrite], None], *, wait: float) -> bool:
        """Call ``callback`` for each write another process commits, from a connection
        that listens until ``close`` (opened again whenever it drops). Waits up to
        ``wait`` seconds for it to listen, so that writes from then on are heard."""
        if self._url is None:
            return False
        if self._watcher is None:
            self._watcher = WriteWatcher(self._url, self.origin, self.path)
            self._watcher.add(self._heard_other_write)
        self._watcher.add(callback)
        await self._watcher.wait_listening(wait)
        return True

    @property
    def watching_writes(self) -> bool:
        """A listening connection is up: other processes' writes are heard as they commit."""
        return self._watcher is not None and self._watcher.listening

    def _heard_other_write(self, write: OtherWrite) -> None:
        """Another process committed a write: its name counters may have moved (a write of
        unknown tables, after the listener came back, may have moved them too)."""
        if not write.tables or NAME_COUNTER_TABLE in write.tables:
            self._names.forget()

    @property
    def name_tokens(self) -> KeptWhileHeard | None:
        """Name counters read before, kept while they cannot have moved unheard: None (read
        them from the database) unless other processes' writes are heard right now and this
        process has no write open (its own write forgets them as it begins and ends)."""
        if self.writing or not self.watching_writes:
            return None
        return self._names

    @property
    def writing(self) -> bool:
        return self._write_lock.locked()

    def on_write(self, listener: Callable[[], None]) -> None:
        self._after_write.append(listener)

    @asynccontextmanager
    async def writer(self) -> AsyncIterator[asyncpg.Connection]:
        """The writing connection, for one statement at a time."""
        async with self._writer_lock:
            assert self._writer is not None, "statements of a write run while it is open"
            yield self._writer

    @asynccontextmanager
    async def write(
        self, *, names: NameChange = "catalog", wait: float = WRITE_WAIT_SECONDS
    ) -> AsyncIterator[PostgresTransaction]:
        """One write transaction at a time, across processes; rolled back whole on any
        error or cancellation (see ``SqliteDatabase.write`` for ``names`` and ``wait``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        try:
            async with asyncio.timeout(wait):
                await self._write_lock.acquire()
        except TimeoutError:
            raise StoreBusy(f"the database stayed busy for {wait:g} s") from None
        self.writes_begun += 1
        self._names.forget()
        transaction = PostgresTransaction(self)
        connection: asyncpg.Connection | None = None
        try:
            try:
                connection = await self._pool.acquire()
                await self._begin(connection, deadline - loop.time())
                self._writer = connection
                yield transaction
                await self._commit(connection, names, transaction)
            except BaseException:
                if connection is not None:
                    await asyncio.shield(_roll_back_if_open(connection))
                raise
        finally:
            self._writer = None
            if connection is not None:
                await asyncio.shield(self._pool.release(connection))
            if self._migrated:
                # asyncpg keeps each connection's prepared statements, and one prepared
                # before a migration (``SELECT e.*``) fails inside a later transaction: open
                # fresh connections.
                self._migrated = False
                await asyncio.shield(self._pool.expire_connections())
            # Whatever it did to the name counters, committed or not: read them again.
            self._names.forget()
            self._write_lock.release()
        if not BOOKKEEPING_WRITES.get():
            for listener in self._after_write:
                listener()

    async def _begin(self, connection: asyncpg.Connection, wait: float) -> None:
        """BEGIN and the advisory lock of writers, in one round trip; ``lock_timeout``
        bounds the wait for another process's write."""
        wait_ms = max(1, int(wait * 1000))
        try:
            await connection.execute(
                f"BEGIN; SET LOCAL lock_timeout = '{wait_ms}ms'; "
                f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY}); "
                f"SET LOCAL lock_timeout = '{STATEMENT_LOCK_WAIT_MS}ms'"
            )
        except asyncpg.LockNotAvailableError as exc:
            raise StoreBusy("the database is locked by another writer") from exc

    async def _commit(
        self, connection: asyncpg.Connection, names: NameChange, transaction: PostgresTransaction
    ) -> None:
        """Move the counters and notify the other processes (when the write changed rows),
        and COMMIT, in one round trip. The notification leaves with the commit, or not at all."""
        statements = []
        changes = transaction.changes
        counted = bool(changes) and self.counts_writes
        if counted:
            statements.append("UPDATE store_writes SET value = value + 1")
        tables = set(transaction.tables)
        if changes and names != "none" and self.counts_names:
            scope = name_scope(names).replace("'", "''")
            statements.append(
                f"INSERT INTO {NAME_COUNTER_TABLE} (scope, value) VALUES ('{scope}', 1) "
                f"ON CONFLICT (scope) DO UPDATE SET value = {NAME_COUNTER_TABLE}.value + 1"
            )
            # Named in the notification: the other processes forget the counters they kept.
            tables.add(NAME_COUNTER_TABLE)
        if changes:
            # The origin is hex and table names are words: nothing to quote.
            statements.append(f"SELECT pg_notify('{CHANNEL}', '{payload(self.origin, tables)}')")
        statements.append("COMMIT")
        async with self._writer_lock:
            self._committing = True
            self._commits += 1
            try:
                await connection.execute("; ".join(statements))
                if counted:
                    self._own_writes += 1
            finally:
                self._committing = False

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """A short read: through the writing connection while this process writes (it
        sees the write), through any connection of the pool otherwise."""
        query = placeholders(sql)
        if self._writer is not None:
            async with self._writer_lock:
                if self._writer is not None:
                    return list(await self._writer.fetch(query, *params))
        return list(await self._pool.fetch(query, *params))

    @asynccontextmanager
    async def scan(self, sql: str, params: Sequence[Any] = ()) -> AsyncIterator[Iterable[Row]]:
        """The rows of a short read, read whole (one trip): the protocol's ``scan`` is
        iterated with a plain ``for``, which cannot wait for a next batch. A caller that
        may stop early and can iterate with ``async for`` takes ``stream``."""
        yield await self.rows(sql, params)

    @asynccontextmanager
    async def stream(
        self, sql: str, params: Sequence[Any] = (), *, batch: int = STREAM_BATCH_ROWS
    ) -> AsyncIterator[AsyncIterator[Row]]:
        """The rows of a read the caller may stop early, fetched ``batch`` rows at a time
        through a server-side cursor: a walk that stops within the first batch costs one
        small fetch, not the whole result.

        The cursor is ``DECLARE``d, not asyncpg's protocol-level one: PostgreSQL plans a
        declared cursor for its first rows (``cursor_tuple_fraction``), so the walk in
        horizon order reads the index, where a plain query (or a portal) sorts every row
        to come first. It lives in a read-only transaction on a connection of the pool,
        held until the block ends (however it ends: the caller stopped early, raised, or
        was cancelled), then closed with the transaction and the connection handed back.
        While this process writes, the rows come whole through the writing connection,
        which sees the write (as ``rows``)."""
        if self._writer is not None:
            yield _each(await self.rows(sql, params))
            return
        query = placeholders(sql)
        # One name per query: asyncpg keeps each FETCH prepared with its cursor's columns.
        cursor = f"fanbot_walk_{hashlib.blake2s(query.encode(), digest_size=8).hexdigest()}"
        async with self._pool.acquire() as connection, connection.transaction(readonly=True):
            await connection.execute(f"DECLARE {cursor} NO SCROLL CURSOR FOR {query}", *params)
            yield _batches(connection, f"FETCH {batch} FROM {cursor}", batch)

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """A long read: asyncpg reads it without holding up the event loop in between."""
        return await self.rows(sql, params)

    async def columns(self, table: str) -> frozenset[str]:
        rows = await self.rows(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ?",
            (table,),
        )
        return frozenset(str(r[0]) for r in rows)

    async def schema_version(self) -> int:
        """The ``schema_version`` table's (migration 1 makes it; 0 before)."""
        [(exists,)] = await self.rows("SELECT to_regclass('schema_version') IS NOT NULL")
        if not exists:
            return 0
        rows = await self.rows("SELECT version FROM schema_version")
        version = int(rows[0][0]) if rows else 0
        self.counts_writes = version >= 1
        return version

    async def set_schema_version(self, tx: Transaction, version: int) -> None:
        await tx.execute("UPDATE schema_version SET version = ?", (version,))
        self.counts_writes = True
        self._migrated = True

    async def data_version(self) -> int:
        """Moves when another process commits a write that changed rows: the ``store_writes``
        counter every such write moves, less this process's own."""
        if not self.counts_writes:
            return 0
        commits = self._commits
        if self._committing and self._last_data_version is not None:
            return self._last_data_version
        rows = await self._pool.fetch("SELECT value FROM store_writes")
        total = int(rows[0][0]) if rows else 0
        if (self._committing or commits != self._commits) and self._last_data_version is not None:
            # One of this process's commits landed while the count was read: it may or may
            # not be in it. The next call reads it again.
            return self._last_data_version
        self._last_data_version = total - self._own_writes
        return self._last_data_version

    async def explain(self, sql: str, params: Sequence[Any]) -> list[str]:
        """``EXPLAIN`` lines, for tests that guard the indexes."""
        rows = await self.rows(f"EXPLAIN {sql}", params)
        return [str(r[0]) for r in rows]


async def _each(rows: list[Row]) -> AsyncIterator[Row]:
    for row in rows:
        yield row


async def _batches(connection: asyncpg.Connection, fetch: str, batch: int) -> AsyncIterator[Row]:
    """A declared cursor's rows, one ``FETCH`` of ``batch`` rows per trip, as they are needed."""
    while True:
        rows = await connection.fetch(fetch)
        for row in rows:
            yield row
        if len(rows) < batch:
            return


async def _roll_back_if_open(connection: asyncpg.Connection) -> None:
    """ROLLBACK a write that failed or was cancelled; a connection that cannot (it broke
    mid-statement) is closed, and the pool opens a new one in its place."""
    try:
        if connection.is_in_transaction():
            await connection.execute("ROLLBACK")
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        connection.terminate()
