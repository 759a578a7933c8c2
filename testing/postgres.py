"""Throwaway PostgreSQL databases: made on a local server for one run, dropped after.

The tests (``tests/support/postgres.py``) and the benchmarks (``bench/postgres.py``) both
make databases of their own on a server they reach through its maintenance database,
copy them (``CREATE DATABASE ... TEMPLATE``, a file copy on the server, far cheaper than
migrating and seeding again) and drop them when done (``WITH (FORCE)``, since a store under
test may still hold a connection). The knowledge lives here once; each side keeps its own
server variable, name prefix and way of giving up when no server answers (the tests skip
or fail through pytest, which the bench must not import).

Safety: a run only ever copies or drops a database it made itself, recognised by name, so
pointing a run at a shared server never touches anyone else's data.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
# Long enough for a server that is up, short enough that a missing one costs little.
CONNECT_TIMEOUT_SECONDS = 5.0
# The server's own pristine template: what an empty database is a copy of.
EMPTY_TEMPLATE = "template0"
# PostgreSQL truncates identifiers longer than this; we cut names ourselves so the name we
# remember is the name the server made.
MAX_NAME_LENGTH = 63


def database_url(server: str, name: str) -> str:
    """The URL of database ``name`` on the server of ``server`` (same user, host, options)."""
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


def database_name(url: str) -> str:
    """The database a URL names."""
    return urlsplit(url).path.lstrip("/")


def where(url: str) -> str:
    """host:port of a URL, for messages (never its user or password)."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"


async def connect(url: str) -> Any:
    """An asyncpg connection to ``url``, giving up after ``CONNECT_TIMEOUT_SECONDS``."""
    return await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_SECONDS)


@dataclass
class ThrowawayDatabases:
    """The databases one run makes on ``server`` (a maintenance-database URL), named
    ``<prefix><random hex>[_<label>]``; ``owner`` names the run in refusals ("these tests")."""

    server: str
    prefix: str
    owner: str
    # Databases made and not yet dropped (templates live until drop_all).
    made: set[str] = field(default_factory=set)

    async def create(self, label: str | None = None, *, template: str = EMPTY_TEMPLATE) -> str:
        """A new database, empty or a copy of ``template`` (the name of one this run made);
        its URL. ``label`` (hyphens become underscores) tells databases apart in ``psql``."""
        if template != EMPTY_TEMPLATE and template not in self.made:
            raise ValueError(f"{template} is not a database {self.owner} made")
        name = f"{self.prefix}{secrets.token_hex(6)}"
        if label:
            name = f"{name}_{label.replace('-', '_')}"[:MAX_NAME_LENGTH]
        connection = await connect(self.server)
        try:
            # Names are ours (a fixed prefix, hex digits and a label), so quoting them is enough.
            await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            await connection.close()
        self.made.add(name)
        return database_url(self.server, name)

    async def drop(self, url: str) -> None:
        """Drop a database this run made, ending any session still connected to it."""
        name = database_name(url)
        if name not in self.made:
            raise ValueError(f"{name} is not a database {self.owner} made")
        connection = await connect(self.server)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
        self.made.discard(name)

    async def drop_all(self) -> None:
        """Drop every database still standing (templates, or what a crash left behind)."""
        for name in sorted(self.made):
            await self.drop(database_url(self.server, name))

    @asynccontextmanager
    async def throwaway(
        self, label: str | None = None, *, template: str = EMPTY_TEMPLATE
    ) -> AsyncIterator[str]:
        """A database for one block: its URL while the block runs, dropped after."""
        url = await self.create(label, template=template)
        try:
            yield url
        finally:
            await self.drop(url)
