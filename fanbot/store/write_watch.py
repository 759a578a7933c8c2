"""Another process's writes, as they commit: PostgreSQL's ``LISTEN``/``NOTIFY``.

Every write transaction that changed rows sends, inside itself, a notification on
``fanbot_writes`` (``PostgresDatabase._commit``): PostgreSQL delivers it when, and only
if, the transaction commits. Its payload is the writing process's origin (a random
token per open store, so that a process can leave out its own writes, which it already
knows about) and the tables the write changed. ``WriteWatcher`` keeps one connection
of its own listening, and opens it again when it drops: a notification sent while it
was down is lost, so after each reconnection it reports a write of unknown tables, and
whoever listens looks again at everything.

While it listens, a process may keep what it read of tables that only writes change,
and forget it when a write to them is heard (``KeptWhileHeard``: the name counters).

SQLite has nothing of the kind: a process there notices others by polling
(``Store.data_version``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

log = logging.getLogger(__name__)

# The channel every fanbot process notifies and listens on.
CHANNEL = "fanbot_writes"
# Tables whose changes only ever matter to the process that made them: claims and outcomes
# of reminder deliveries (each process sends for its own shards' guilds), and turns to
# identify; and what the process keeping a guild's Discord side records of it (the Events
# tab mirror, the weekend threads: kept by the process holding the guild's shard). Another
# process's writes to them wake nobody.
BOOKKEEPING_TABLES = frozenset(
    {
        "deliveries",
        "identify_turns",
        "mirror_events",
        "mirror_setups",
        "weekend_threads",
        # A feed's fetch state; the events a feed changes are written with it and do wake.
        "feed_sources",
        "feed_subscriptions",
        "feed_fields",
    }
)
# The name counters (``GuildSettings.change_token``): every write that moves one names it
# in its notification, though the statement that moves it is the commit's own.
NAME_COUNTER_TABLE = "name_revision"
# How often the listening connection is checked: a connection whose server or network
# vanished without closing it says nothing until asked.
CHECK_EVERY_SECONDS = 30.0
CHECK_TIMEOUT_SECONDS = 10.0
CONNECT_TIMEOUT_SECONDS = 10.0
# Waits between tries to listen again, doubling from the first to the longest.
FIRST_RETRY_SECONDS = 1.0
LONGEST_RETRY_SECONDS = 60.0

_CHANGED_TABLE = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)", re.IGNORECASE)


def changed_table(sql: str) -> str | None:
    """The table an INSERT, UPDATE or DELETE changes (None for anything else)."""
    found = _CHANGED_TABLE.match(sql)
    return found.group(1).lower() if found else None


def payload(origin: str, tables: set[str]) -> str:
    """The notification of one write: ``<origin> <table>,<table>`` (well under
    PostgreSQL's 8,000 bytes: fanbot has twenty tables)."""
    return f"{origin} {','.join(sorted(tables))}"


@dataclass(frozen=True)
class OtherWrite:
    """A write another process committed (``Store.watch_writes``)."""

    # The tables it changed; empty when unknown (the listener was down and may have missed
    # some writes: look again at everything).
    tables: frozenset[str]

    @property
    def only_bookkeeping(self) -> bool:
        """Only another process's own bookkeeping (its reminder claims and outcomes, its
        turns to identify): nothing that could bring this process's reminders forward."""
        return bool(self.tables) and self.tables <= BOOKKEEPING_TABLES


class KeptWhileHeard:
    """What a table held when last read whole, kept until a write may have changed it.

    Its owner calls ``forget`` whenever that may be (a write of this process begins or
    ends; another's is heard; the listener came back after missing some), and offers it
    only while it hears every other process's write. A table read across a ``forget`` is
    not kept: ``era`` is taken before the read and given back with the rows."""

    def __init__(self) -> None:
        # key -> value of every row, or None: nothing kept.
        self._rows: dict[str, int] | None = None
        # Moves at each ``forget``.
        self.era = 0

    def get(self, key: str) -> int | None:
        """The row's value (0: no such row), or None when nothing is kept."""
        return None if self._rows is None else self._rows.get(key, 0)

    def keep(self, era: int, rows: dict[str, int]) -> None:
        """Keep the table's ``rows``, read whole since ``era`` began, unless it ended meanwhile."""
        if era == self.era:
            self._rows = rows

    def forget(self) -> None:
        self._rows = None
        self.era += 1


class WriteWatcher:
    """One listening connection to the database at ``url``, kept open until ``close``;
    each other process's write is passed to every callback, as it commits."""

    def __init__(self, url: str, origin: str, shown: str) -> None:
        self._url = url
        self._origin = origin
        self._shown = shown
        self._callbacks: list[Callable[[OtherWrite], None]] = []
        self._task: asyncio.Task[None] | None = None
        # Listening now: a notification sent meanwhile will arrive.
        self.listening = False
        # Listening for the first time has been reported (``wait_listening``).
        self._listening_event = asyncio.Event()

    def add(self, callback: Callable[[OtherWrite], None]) -> None:
        self._callbacks.append(callback)
        if self._task is None:
            self._task = asyncio.create_task(self._listen_forever(), name="fanbot-write-watch")

    async def wait_listening(self, seconds: float) -> bool:
        """Until the connection listens (True), or ``seconds`` have passed (False)."""
        try:
            await asyncio.wait_for(self._listening_event.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _tell(self, write: OtherWrite) -> None:
        for callback in list(self._callbacks):
            try:
                callback(write)
            except Exception:
                log.exception("a listener of other processes' writes failed")

    def _on_notification(self, _connection: Any, _pid: int, _channel: str, message: str) -> None:
        origin, _, tables = message.partition(" ")
        if origin == self._origin:
            return  # this process's own write: its on_write listeners were told already
        self._tell(OtherWrite(frozenset(filter(None, tables.split(",")))))

    async def _listen_forever(self) -> None:
        delay = FIRST_RETRY_SECONDS
        listened_before = False
        while True:
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(
                    self._url,
                    timeout=CONNECT_TIMEOUT_SECONDS,
                    server_settings={"application_name": "fanbot-listener"},
                )
                lost = asyncio.Event()
                connection.add_termination_listener(lambda _c, lost=lost: lost.set())
                await connection.add_listener(CHANNEL, self._on_notification)
                self.listening = True
                self._listening_event.set()
                if listened_before:
                    log.info("listening again for other processes' writes on %s", self._shown)
                    # Whatever was committed while the connection was down went unheard.
                    self._tell(OtherWrite(frozenset()))
                listened_before = True
                delay = FIRST_RETRY_SECONDS
                await self._until_lost(connection, lost)
                log.warning("lost the connection that listens for other processes' writes on %s", self._shown)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                log.warning(
                    "cannot listen for other processes' writes on %s (%s); trying again in %g s",
                    self._shown,
                    why,
                    delay,
                )
            finally:
                self.listening = False
                if connection is not None and not connection.is_closed():
                    connection.terminate()
            await asyncio.sleep(delay)
            delay = min(delay * 2, LONGEST_RETRY_SECONDS)

    @staticmethod
    async def _until_lost(connection: asyncpg.Connection, lost: asyncio.Event) -> None:
        """Until the connection closes, or stops answering a check."""
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), CHECK_EVERY_SECONDS)
                return
            await connection.execute("SELECT 1", timeout=CHECK_TIMEOUT_SECONDS)
