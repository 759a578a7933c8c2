"""What the store's parts need from a database: the internal interface of a backend.

``CalendarReads``, ``CatalogImporter``, ``GuildSettings``, ``Editing`` (with its
``AuditLog``), ``Reminders`` and the migrations hold their SQL and reach the database
only through a ``Database`` (reads, and ``write()`` transactions) and the
``Transaction`` it yields; ``Store`` is composed of them. Two backends provide them:
``fanbot.store.sqlite`` (a file, the default) and ``fanbot.store.postgres`` (a
``postgresql://`` URL, for several processes on several machines).

The parts write one SQL that both run: ``?`` placeholders (the PostgreSQL backend
numbers them), ``ON CONFLICT`` upserts, ``CAST(? AS TEXT) IS NULL`` where a parameter
stands alone (PostgreSQL cannot guess its type otherwise), ``COALESCE(guild_id, -1) =
COALESCE(CAST(? AS BIGINT), -1)`` to match a guild or the catalog, ``NULLS LAST`` rather
than ``x IS NULL, x`` on an output column, and ``Transaction.insert`` for a new row's id.
Instants go in and come out as text in one form, ``2012-10-20T15:30:00Z``, whatever
type the backend keeps them in.

A backend's promises, which the parts rely on:

- ``write()`` runs one write transaction at a time in this process; it commits when
  the block ends, then calls every ``on_write`` listener, and rolls back whole on any
  error or cancellation. Waiting longer than ``wait`` for another process's write lock
  raises ``StoreBusy``. A write that changed rows moves the ``name_revision`` row of its
  ``names`` (``name_scope``) in the same transaction, unless ``names`` is "none".
- While this process has a write open (``writing``), reads see what it has written so
  far: a moderator's preview reads its own rows before rolling them back.
- ``rows()``, ``scan()`` and ``stream()`` are short reads (a few rows by key), made on the event loop
  when the backend can; ``fetch_all()`` is a long read (the catalog's thousand events),
  kept off the event loop.
- ``watch_writes`` hears other processes' writes as they commit where the backend can
  (PostgreSQL's ``NOTIFY``); where it cannot (SQLite), it says so and a caller polls
  ``data_version`` instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from fanbot.store.write_watch import OtherWrite

# Set in a task whose writes change nothing another part of the process shows or plans
# from (the reminder dispatcher's claims and outcomes, the board keeper's digests, the
# Events tab mirror's records): this process's write listeners (``Database.on_write``) are
# not called for them, so no loop wakes for another loop's bookkeeping (a fan-out's 10,000
# recorded deliveries would each start a pass of every other loop). Tasks started from
# such a task inherit it.
BOOKKEEPING_WRITES: ContextVar[bool] = ContextVar("fanbot_bookkeeping_writes", default=False)


def writes_are_bookkeeping() -> None:
    """Mark the writes of the current task (and the tasks it starts) as bookkeeping."""
    BOOKKEEPING_WRITES.set(True)


# How long a write waits for another process's write lock before giving up: short enough
# for a command to apologise within Discord's 3 seconds. (It waits in ``SqliteDatabase._begin``,
# not in SQLite's busy handler, which would hold the connection's one thread, and every
# read of the process queued behind it, for as long.)
WRITE_WAIT_SECONDS = 2.0

# What a write may change among the names that indexes in memory hold (``Database.write``).
# A guild id: that guild's own names.
NameChange = Literal["catalog", "none"] | int


def name_scope(names: str | int) -> str:
    """name_revision's row for a ``NameChange``: "catalog", or "guild:<id>"."""
    return f"guild:{names}" if isinstance(names, int) else names


class StoreBusy(RuntimeError):
    """Another process held the database's write lock longer than a write could wait:
    nothing was written, and asking again once it is done will work."""


class StoreUnavailable(RuntimeError):
    """The database cannot be opened (a folder, a missing folder, no permission, not a
    SQLite file; a PostgreSQL server that does not answer or refuses); the message names
    the file or server, says why, and how to put it right."""


class Row(Protocol):
    """One result row, read by column name or by position (``sqlite3.Row``,
    ``asyncpg.Record``)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...

    def keys(self) -> Iterable[str]: ...


class Transaction(Protocol):
    """One open write transaction (``Database.write``): every statement runs inside it."""

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement to its end; the rows it inserted, updated or deleted."""
        ...

    async def insert(self, sql: str, params: Sequence[Any] = ()) -> int | None:
        """Run one single-row ``INSERT`` (plain, or ``ON CONFLICT DO NOTHING``, without
        ``RETURNING``) into a table with an ``id`` key: the new row's id, None when it
        inserted nothing."""
        ...

    async def executemany(self, sql: str, params: Iterable[Sequence[Any]]) -> None:
        """Run one statement once for each set of parameters."""
        ...

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a query (or of a statement's ``RETURNING``), None if none."""
        ...

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row of a query."""
        ...


class Database(Protocol):
    """One database as the store's parts use it (see the module's docstring)."""

    # Where it is, for log lines and messages (never a password).
    path: str
    # Which migrations it takes (``fanbot/store/migrations``, ``.../postgres``).
    dialect: Literal["sqlite", "postgresql"]
    # Write transactions this process has begun: a cache filled while one was open may
    # hold what it had not committed (``writing``).
    writes_begun: int

    @property
    def writing(self) -> bool:
        """This process has a write transaction open (or waiting to open)."""
        ...

    def on_write(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after each committed write of this process (but not those
        of a task marked ``writes_are_bookkeeping``)."""
        ...

    def write(
        self, *, names: NameChange = "catalog", wait: float = WRITE_WAIT_SECONDS
    ) -> AbstractAsyncContextManager[Transaction]:
        """One write transaction; ``names`` says which name indexes it may invalidate."""
        ...

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """A short read."""
        ...

    def scan(self, sql: str, params: Sequence[Any] = ()) -> AbstractAsyncContextManager[Iterable[Row]]:
        """The rows of a short read, which the caller may stop reading early."""
        ...

    def stream(self, sql: str, params: Sequence[Any] = ()) -> AbstractAsyncContextManager[AsyncIterator[Row]]:
        """The rows of a read the caller may stop early, iterated with ``async for``: where
        a read is a trip to a server, fetched a batch at a time (``scan`` reads them all
        before the first, since a plain ``for`` cannot wait for the next batch)."""
        ...

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """A long read, kept off the event loop."""
        ...

    async def columns(self, table: str) -> frozenset[str]:
        """The columns ``table`` has in the schema as migrated."""
        ...

    async def schema_version(self) -> int:
        """The number of the last migration applied (0: none yet)."""
        ...

    async def set_schema_version(self, tx: Transaction, version: int) -> None:
        """Record, inside the migration's own transaction, that ``version`` is applied."""
        ...

    async def data_version(self) -> int:
        """A number that moves when another process commits anything."""
        ...

    async def watch_writes(self, callback: Callable[[OtherWrite], None], *, wait: float) -> bool:
        """Call ``callback`` for each write another process commits, until ``close``;
        False if this backend cannot (nothing is called then)."""
        ...

    @property
    def watching_writes(self) -> bool:
        """Other processes' writes are being heard right now (``watch_writes``)."""
        ...

    async def explain(self, sql: str, params: Sequence[Any]) -> list[str]:
        """The query plan's lines, for tests that guard the indexes."""
        ...

    async def close(self) -> None: ...
