"""``fanbot db copy``: a bot's whole state moved from one database to another, in one
transaction on the target (SQLite to PostgreSQL when a bot outgrows one machine; any
pair of the store's backends works the same way).

Both ends are opened with ``Store.open``, so both are migrated to this fanbot's schema
first: a source left by an older release is upgraded in place, exactly as ``fanbot run``
would upgrade it, and then both must be at the same version. The tables and their
columns are read from the source's schema at run time (not listed here), so a table a
later migration adds is copied with no change to this module; they are copied parents
first, as their foreign keys require, with their ids as they are (references keep
pointing at the same rows), and PostgreSQL's identity sequences are moved past the
copied ids so that the next insert gets a new one.

The source is read inside one of its write transactions: its write lock (SQLite's, or
PostgreSQL's advisory lock) keeps any fanbot process from changing it meanwhile, so the
copy is one moment of it. A bot still running on it waits (and its writes may give up as
busy) until the copy is done; whatever it does after that is not in the target, so the
bot is meant to be stopped first. Nothing is written to the source.

Values go across as each backend gives them to the store, which is one form on both:
instants as ``2012-10-20T15:30:00Z`` text (timestamptz on PostgreSQL, through its text
codec), days as ``2012-10-20``, ids and flags as integers. The target refuses to be
copied into unless it is empty; the rows of each table are counted on both sides before
the target commits, and any difference rolls the whole copy back.
"""

from __future__ import annotations

import asyncio
import graphlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from fanbot.store.backend import StoreBusy, StoreUnavailable, Transaction
from fanbot.store.facade import Store
from fanbot.store.postgres import is_postgres_url

# Tables that are the database's own bookkeeping, not the bot's state: never copied,
# never counted, and allowed to hold rows in an "empty" target. Per table, why:
NOT_COPIED = {
    # PostgreSQL's record of the migrations applied (SQLite keeps it in PRAGMA
    # user_version, outside any table): each end has its own, and the two are checked
    # equal instead.
    "schema_version",
    # PostgreSQL's count of committed writes, by which each process notices another's
    # (SQLite's PRAGMA data_version). A counter of the target's own history: the copy's
    # commit moves it, which is what processes already on the target need to see.
    "store_writes",
    # The name counters that processes compare with the name indexes they hold in memory
    # (``GuildSettings.change_token``). They mean something only on the database they
    # count: the source's values copied over could move a target counter backwards (and
    # the target's migration already holds a 'catalog' row). The copy's commit moves the
    # target's 'catalog' counter, and every index token includes it, so any index a
    # process built before the copy is rebuilt.
    "name_revision",
}
# Copied like the rest, on purpose: ``store_meta`` (which shipped catalog the copied
# catalog was seeded from: without it the target's first start would import it again for
# nothing), and tables of short-lived bookkeeping such as ``identify_turns``, since
# nothing in a schema says a table is ephemeral; their rows are leases that run out.

# Rows read and written at a time, so that memory stays flat however big the store is.
PAGE_ROWS = 5000
# Rows per INSERT statement: each statement costs a round of the protocol and the
# executor whatever its size, and a row-per-statement copy of 100,000 deliveries spent
# most of its time there. PostgreSQL takes up to 32,767 parameters in a statement,
# SQLite (3.32 and later) 32,766.
ROWS_PER_INSERT = 500
MAX_PARAMETERS = 32_000
# How long the copy waits for either database's write lock (a bot's write in progress).
LOCK_WAIT_SECONDS = 30.0


class CopyRefused(Exception):
    """Nothing was copied, because of what was given (a location that is not a database,
    a missing source, a target that is not empty, two schemas that differ): the message
    says which and what to do instead."""


class CopyFailed(Exception):
    """The copy ran and was rolled back whole (the target refused a row, or the counts
    did not match): the target holds what it held before."""


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int


@dataclass(frozen=True)
class CopyReport:
    """What ``copy_store`` copied and checked, table by table (in the order copied)."""

    source: str
    target: str
    schema_version: int
    tables: tuple[TableCount, ...]
    not_copied: tuple[str, ...]

    def lines(self) -> list[str]:
        """The report as ``fanbot db copy`` prints it."""
        width = max([len("table"), *(len(t.table) for t in self.tables)])
        total_source = sum(t.source for t in self.tables)
        total_target = sum(t.target for t in self.tables)
        digits = max(len("source"), len(str(total_source)), len(str(total_target)))
        out = [
            f"copied {self.source} to {self.target} (schema version {self.schema_version}), "
            "in one transaction; rows counted on both sides:",
            f"  {'table':<{width}}  {'source':>{digits}}  {'target':>{digits}}",
        ]
        out += [f"  {t.table:<{width}}  {t.source:>{digits}}  {t.target:>{digits}}" for t in self.tables]
        out.append(f"  {'total':<{width}}  {total_source:>{digits}}  {total_target:>{digits}}")
        if self.not_copied:
            out.append(f"not copied (each database keeps its own): {', '.join(self.not_copied)}")
        return out


def database_location(text: str) -> str | Path:
    """What ``Store.open`` takes, from what a person typed: a ``postgresql://`` URL as it
    is, a ``sqlite:///absolute/path`` URL or a bare path as a file path.

    ``CopyRefused`` for anything else (the message never repeats a URL: it may hold a
    password)."""
    if not text.strip():
        raise CopyRefused(
            "an empty location: give a SQLite file (a path, or sqlite:///path) or a postgresql:// URL"
        )
    if is_postgres_url(text):
        return text
    if "://" not in text:
        return Path(text)
    scheme = text.split("://", 1)[0]
    if scheme.lower() != "sqlite":
        raise CopyRefused(
            f"{scheme}:// is not a database fanbot keeps: give a SQLite file (a path, or sqlite:///path) "
            "or a postgresql:// URL"
        )
    parts = urlsplit(text)
    if parts.netloc or not parts.path or parts.query:
        raise CopyRefused(
            "a SQLite URL is sqlite:/// followed by the file's absolute path, like "
            "sqlite:///var/lib/fanbot/fanbot.sqlite3 (or give the path alone)"
        )
    return Path(unquote(parts.path))


@dataclass(frozen=True)
class _Table:
    name: str
    columns: tuple[str, ...]
    # The primary key's columns: the order the source is read in (every column if none).
    key: tuple[str, ...]
    # Tables its foreign keys point at.
    parents: frozenset[str]
    # PostgreSQL's identity column, whose sequence must move past the copied ids.
    identity: str | None


async def copy_store(source: str | Path, target: str | Path) -> CopyReport:
    """Copy every row of the bot's tables from ``source`` into ``target`` (each a SQLite
    file or a ``postgresql://`` URL), in one transaction on the target.

    ``CopyRefused`` when it cannot start (a missing source file, a database that cannot be
    opened, a target that is not empty, schemas that differ): nothing was written.
    ``CopyFailed`` when the copy was rolled back (the target holds what it held)."""
    # Store.open would create a missing file: an empty source copied is no copy at all.
    if isinstance(source, Path) and not await asyncio.to_thread(source.is_file):
        why = "is a folder" if await asyncio.to_thread(source.is_dir) else "does not exist"
        raise CopyRefused(f"the source {source} {why}: give the SQLite file of the bot to copy")
    if await asyncio.to_thread(_same_database, source, target):
        raise CopyRefused("the source and the target are the same database: give the target a new one")
    source_store = await _open("source", source)
    try:
        target_store = await _open("target", target)
        try:
            return await _copy(source_store, target_store)
        finally:
            await target_store.close()
    finally:
        await source_store.close()


async def _open(side: str, where: str | Path) -> Store:
    try:
        return await Store.open(where)
    except StoreUnavailable as exc:
        raise CopyRefused(f"the {side}: {exc}") from exc


def _same_database(a: str | Path, b: str | Path) -> bool:
    if isinstance(a, Path) and isinstance(b, Path):
        return a.resolve() == b.resolve()
    if isinstance(a, str) and isinstance(b, str):
        pa, pb = urlsplit(a), urlsplit(b)
        return (pa.hostname, pa.port or 5432, pa.path) == (pb.hostname, pb.port or 5432, pb.path)
    return False


async def _copy(source: Store, target: Store) -> CopyReport:
    versions = (await source.schema_version(), await target.schema_version())
    if versions[0] != versions[1]:
        raise CopyRefused(
            f"the source is at schema version {versions[0]} and the target at {versions[1]}: "
            "copy with the fanbot release that wrote the newer one"
        )
    try:
        # The source's write lock, held while it is read (see the module's docstring);
        # names="none": the source changes nothing, and no counter of it moves.
        async with source.database.write(names="none", wait=LOCK_WAIT_SECONDS) as reading:
            every = await _tables(reading, source.database.dialect)
            tables = {name: t for name, t in every.items() if name not in NOT_COPIED}
            # names="catalog": the commit moves the target's catalog name counter, so a
            # process already running on the target rebuilds its name indexes.
            async with target.database.write(names="catalog", wait=LOCK_WAIT_SECONDS) as writing:
                every_target = await _tables(writing, target.database.dialect)
                target_tables = {name: t for name, t in every_target.items() if name not in NOT_COPIED}
                order = _parents_first(tables)
                _check_same_schema(tables, target_tables, versions[0])
                await _check_empty(writing, target.path, [target_tables[name] for name in order])
                counts = []
                for name in order:
                    counts.append(await _copy_table(reading, writing, tables[name], target_tables[name]))
                if any(c.source != c.target for c in counts):
                    differ = ", ".join(
                        f"{c.table} {c.source} → {c.target}" for c in counts if c.source != c.target
                    )
                    raise CopyFailed(f"the row counts differ ({differ}): the copy was rolled back")
                await _move_identities(writing, target.database.dialect, list(target_tables.values()))
                if target.database.dialect == "postgresql":
                    # Fresh statistics for the planner: without them PostgreSQL guesses a
                    # few rows per table until autovacuum comes by, and sorts whole tables
                    # where an index walk would stop early (/nextrace: 8.5 ms against 2.6 ms).
                    await writing.execute("ANALYZE")
    except StoreBusy as exc:
        raise CopyFailed(
            f"{exc}: a bot is still writing to one of the databases; stop it and try again"
        ) from exc
    skipped = sorted(NOT_COPIED & (every.keys() | every_target.keys()))
    return CopyReport(source.path, target.path, versions[0], tuple(counts), tuple(skipped))


async def _copy_table(reading: Transaction, writing: Transaction, table: _Table, into: _Table) -> TableCount:
    """One table, page by page in key order; (rows counted in the source, in the target)."""
    columns = ", ".join(_quoted(c) for c in table.columns)
    order = ", ".join(_quoted(c) for c in table.key)
    select = f"SELECT {columns} FROM {_quoted(table.name)} ORDER BY {order} LIMIT ? OFFSET ?"
    read = 0
    while True:
        page = [tuple(row) for row in await reading.fetch_all(select, (PAGE_ROWS, read))]
        if not page:
            break
        try:
            await _insert(writing, table, into, page)
        except Exception as exc:
            # Whatever the backend raises for a row it will not take (a constraint, a value
            # its column's type refuses): one line, and the transaction rolls back.
            why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise CopyFailed(
                f"the target refused a row of {table.name} ({why}): the copy was rolled back"
            ) from exc
        read += len(page)
    source_count = await _count(reading, table.name)
    if source_count != read:
        raise CopyFailed(
            f"{table.name}: {read} rows read but {source_count} counted: the copy was rolled back"
        )
    return TableCount(table.name, source_count, await _count(writing, table.name))


async def _insert(writing: Transaction, table: _Table, into: _Table, page: list[tuple[Any, ...]]) -> None:
    """A page of rows, ``ROWS_PER_INSERT`` to a statement (``executemany`` of them), the
    rest in one statement more."""
    per = max(1, min(ROWS_PER_INSERT, MAX_PARAMETERS // len(table.columns)))
    whole = len(page) - len(page) % per
    if whole:
        await writing.executemany(
            _insert_sql(table, into, per),
            [[value for row in page[at : at + per] for value in row] for at in range(0, whole, per)],
        )
    if whole < len(page):
        rest = page[whole:]
        await writing.execute(_insert_sql(table, into, len(rest)), [value for row in rest for value in row])


def _insert_sql(table: _Table, into: _Table, rows: int) -> str:
    columns = ", ".join(_quoted(c) for c in table.columns)
    # PostgreSQL refuses explicit values for a GENERATED ALWAYS identity without it, and
    # takes it as well for the BY DEFAULT ones fanbot makes.
    overriding = " OVERRIDING SYSTEM VALUE" if into.identity else ""
    values = ", ".join([f"({', '.join('?' * len(table.columns))})"] * rows)
    return f"INSERT INTO {_quoted(table.name)} ({columns}){overriding} VALUES {values}"


async def _count(tx: Transaction, table: str) -> int:
    row = await tx.fetch_one(f"SELECT COUNT(*) FROM {_quoted(table)}")
    return int(row[0]) if row is not None else 0


async def _check_empty(writing: Transaction, where: str, tables: Sequence[_Table]) -> None:
    """``CopyRefused`` when any of the tables to fill holds a row: copying into a bot's
    data would mix two bots, and ids would collide. The target's own bookkeeping
    (``NOT_COPIED``, which its migrations fill) does not count."""
    full = [t.name for t in tables if await writing.fetch_one(f"SELECT 1 FROM {_quoted(t.name)} LIMIT 1")]
    if full:
        raise CopyRefused(
            f"the target {where} is not empty (it has rows in {', '.join(full[:3])}"
            f"{', ...' if len(full) > 3 else ''}): fanbot db copy fills a new database only; "
            "give it one with nothing in it"
        )


def _check_same_schema(source: dict[str, _Table], target: dict[str, _Table], version: int) -> None:
    """Both ends are at one schema version, so their tables and columns must be the same;
    if they are not, the two dialects' migrations disagree (a bug, refused before a row
    could be lost)."""
    differ = []
    for name in sorted(source.keys() | target.keys()):
        mine, theirs = source.get(name), target.get(name)
        if mine is None or theirs is None:
            differ.append(f"{name} only in the {'target' if mine is None else 'source'}")
        elif set(mine.columns) != set(theirs.columns):
            odd = sorted(set(mine.columns) ^ set(theirs.columns))
            differ.append(f"{name} ({', '.join(odd)})")
    if differ:
        raise CopyRefused(
            f"the source and the target differ at schema version {version}: {'; '.join(differ)} "
            "(a bug in fanbot's migrations)"
        )


def _parents_first(tables: dict[str, _Table]) -> list[str]:
    """The tables in an order where each comes after those its foreign keys point at
    (and by name among equals, so that the report reads the same every time)."""
    sorter = graphlib.TopologicalSorter(
        {t.name: t.parents & tables.keys() - {t.name} for t in tables.values()}
    )
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order += ready
        sorter.done(*ready)
    return order


async def _move_identities(writing: Transaction, dialect: str, tables: Sequence[_Table]) -> None:
    """Each PostgreSQL identity sequence past the largest id copied, so that the next
    insert gets a new id (the copy wrote its ids explicitly; the sequences did not move).
    SQLite needs nothing: a new row takes the largest rowid plus one."""
    if dialect != "postgresql":
        return
    for table in tables:
        if table.identity is None:
            continue
        await writing.fetch_one(
            "SELECT setval(pg_get_serial_sequence(?, ?), "
            f"COALESCE(MAX({_quoted(table.identity)}), 0) + 1, false) FROM {_quoted(table.name)}",
            (_quoted(table.name), table.identity),
        )


# ---------------------------------------------------------------- the schema, as each backend tells it

_SQLITE_TABLES = "m.type = 'table' AND m.name NOT LIKE 'sqlite!_%' ESCAPE '!'"
_SQLITE_COLUMNS = (
    f"SELECT m.name, c.name, c.pk FROM sqlite_master m, pragma_table_info(m.name) c WHERE {_SQLITE_TABLES} "
    "ORDER BY m.name, c.cid"
)
_SQLITE_PARENTS = (
    f'SELECT m.name, f."table" FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE {_SQLITE_TABLES}'
)

_POSTGRES_COLUMNS = (
    "SELECT c.table_name, c.column_name, c.is_identity FROM information_schema.columns c "
    "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
    "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
    "ORDER BY c.table_name, c.ordinal_position"
)
_POSTGRES_KEYS = (
    "SELECT k.table_name, k.column_name FROM information_schema.table_constraints t "
    "JOIN information_schema.key_column_usage k "
    "ON k.constraint_schema = t.constraint_schema AND k.constraint_name = t.constraint_name "
    "WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = current_schema() "
    "ORDER BY k.table_name, k.ordinal_position"
)
_POSTGRES_PARENTS = (
    "SELECT child.relname, parent.relname FROM pg_constraint k "
    "JOIN pg_class child ON child.oid = k.conrelid JOIN pg_class parent ON parent.oid = k.confrelid "
    "JOIN pg_namespace n ON n.oid = child.relnamespace WHERE k.contype = 'f' AND n.nspname = current_schema()"
)


async def _tables(tx: Transaction, dialect: str) -> dict[str, _Table]:
    """Every table (SQLite's own aside), its columns in order, key, parents and identity."""
    columns: dict[str, list[str]] = {}
    keys: dict[str, list[tuple[int, str]]] = {}
    identity: dict[str, str] = {}
    parents: dict[str, set[str]] = {}
    if dialect == "sqlite":
        for table, column, pk in await _rows(tx, _SQLITE_COLUMNS):
            columns.setdefault(table, []).append(column)
            if pk:
                keys.setdefault(table, []).append((int(pk), column))
        parent_rows = await _rows(tx, _SQLITE_PARENTS)
    else:
        for table, column, is_identity in await _rows(tx, _POSTGRES_COLUMNS):
            columns.setdefault(table, []).append(column)
            if is_identity == "YES":
                identity[table] = column
        for position, (table, column) in enumerate(await _rows(tx, _POSTGRES_KEYS)):
            keys.setdefault(table, []).append((position, column))
        parent_rows = await _rows(tx, _POSTGRES_PARENTS)
    for child, parent in parent_rows:
        parents.setdefault(child, set()).add(parent)
    return {
        name: _Table(
            name,
            tuple(cols),
            tuple(c for _, c in sorted(keys[name])) if name in keys else tuple(cols),
            frozenset(parents.get(name, ())),
            identity.get(name),
        )
        for name, cols in columns.items()
    }


async def _rows(tx: Transaction, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in await tx.fetch_all(sql)]


def _quoted(name: str) -> str:
    """An identifier as both dialects take it (names come from the schema itself)."""
    return '"' + name.replace('"', '""') + '"'
