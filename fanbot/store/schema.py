"""The schema: the numbered SQL migrations shipped in ``fanbot/store/migrations`` (SQLite)
and ``fanbot/store/migrations/postgres`` (PostgreSQL, the same numbers to the same
effect), and applying them on open, each whole or not at all.

Each migration runs in a write transaction of its own and reads the schema's version
inside it (SQLite's ``PRAGMA user_version``; PostgreSQL's ``schema_version`` table): the
backend lets one write in at a time across processes (SQLite's write lock, a PostgreSQL
advisory lock), so two processes starting at once on a new database never both apply
one. Some versions matter to the code as well as to the tables; they are named here.
"""

from __future__ import annotations

import logging
from importlib import resources

from fanbot.store.backend import Database
from fanbot.store.rows import recompute_session_ends

log = logging.getLogger(__name__)

# The schema version that adds name_revision.
NAME_COUNTER_VERSION = 5
# The schema version that adds events.length_minutes; the store derives every session's
# end again after its SQL.
SESSION_ENDS_VERSION = 6
# The schema version that adds store_meta (the shipped catalog's digest, for re-seeding).
SEED_VERSION = 8


# How long a migration waits for another process's write (another process migrating the
# same new database, most likely).
MIGRATION_WAIT_SECONDS = 5.0


def migrations() -> list[tuple[int, str]]:
    """The numbered SQL migrations shipped in ``fanbot/store/migrations`` (SQLite's)."""
    return _shipped("fanbot.store.migrations")


def postgres_migrations() -> list[tuple[int, str]]:
    """The numbered SQL migrations shipped in ``fanbot/store/migrations/postgres``."""
    return _shipped("fanbot.store.migrations.postgres")


def _shipped(package: str) -> list[tuple[int, str]]:
    found = []
    for item in resources.files(package).iterdir():
        name = item.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), item.read_text(encoding="utf-8")))
    return sorted(found)


async def migrate(database: Database, upto_version: int | None) -> None:
    """Apply the migrations the database has not had yet, each in its own transaction.

    ``upto_version`` stops early: for upgrade tests only."""
    shipped = migrations() if database.dialect == "sqlite" else postgres_migrations()
    for version, sql in shipped:
        if upto_version is not None and version > upto_version:
            break
        # names="none": the name counter may not exist yet (migration 5 adds it), and
        # no running process holds name indexes of a schema it does not know.
        async with database.write(names="none", wait=MIGRATION_WAIT_SECONDS) as tx:
            # Read the version inside the write transaction: two processes
            # starting on a new file at once must not both apply a migration.
            if await database.schema_version() >= version:
                continue
            log.info("migrating %s to schema version %d", database.path, version)
            # executescript would commit on its own; run statement by statement
            # inside our transaction so a failed migration leaves nothing behind.
            for statement in split_sql(sql):
                await tx.execute(statement)
            if version == SESSION_ENDS_VERSION:
                await recompute_session_ends(tx)
            await database.set_schema_version(tx, version)


def split_sql(script: str) -> list[str]:
    """Statements of a migration file. Comments are dropped first (they may hold
    ';'); our migrations keep '--' out of string literals."""
    code = "\n".join(line.split("--", 1)[0] for line in script.splitlines())
    return [s.strip() for s in code.split(";") if s.strip()]
