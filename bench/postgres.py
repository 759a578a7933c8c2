"""Throwaway PostgreSQL databases for one bench run: made on the local server, dropped after.

The server is ``postgresql://postgres@127.0.0.1:5432/postgres`` (trust authentication, as on
this project's machines) unless ``FANBOT_BENCH_POSTGRES`` names another. A run grows its
benchmark store once into a database of its own and gives each benchmark a copy of it
(``CREATE DATABASE ... TEMPLATE``, a file copy on the server: a second or two, where growing
again takes minutes); every database it made is dropped when the run ends, whatever happens.
The bench touches only databases it made, named ``fanbot_bench_<random>``.

(``tests/support/postgres.py`` does the same for the tests; the bench does not import test
support, which brings pytest with it.)
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import asyncpg

SERVER_ENV = "FANBOT_BENCH_POSTGRES"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
NAME_PREFIX = "fanbot_bench_"
CONNECT_TIMEOUT_SECONDS = 5.0


def is_url(target: object) -> bool:
    """Whether a benchmark's store is a PostgreSQL URL (else a SQLite file)."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


@dataclass
class BenchPostgres:
    """The server the bench makes its databases on, and the databases it made."""

    url: str = field(default_factory=lambda: os.environ.get(SERVER_ENV) or DEFAULT_SERVER)
    made: set[str] = field(default_factory=set)

    def where(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"

    async def version(self) -> str:
        """The server's version (for the report), e.g. "15.20"; raises when it does not answer."""
        connection = await asyncpg.connect(self.url, timeout=CONNECT_TIMEOUT_SECONDS)
        try:
            return str(await connection.fetchval("SHOW server_version")).split()[0]
        finally:
            await connection.close()

    async def create(self, label: str, *, template: str | None = None) -> str:
        """A new database, empty or a copy of ``template`` (a URL this bench made); its URL."""
        name = f"{NAME_PREFIX}{secrets.token_hex(4)}_{label.replace('-', '_')}"[:63]
        source = database_name(template) if template else "template0"
        if template and source not in self.made:
            raise ValueError(f"{source} is not a database this bench made")
        connection = await asyncpg.connect(self.url, timeout=CONNECT_TIMEOUT_SECONDS)
        try:
            # Names are ours (a fixed prefix, hex digits and a label), so quoting them is enough.
            await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        finally:
            await connection.close()
        self.made.add(name)
        return urlunsplit(urlsplit(self.url)._replace(path=f"/{name}"))

    async def drop(self, url: str) -> None:
        """Drop a database this bench made, ending any session still connected to it."""
        name = database_name(url)
        if name not in self.made:
            raise ValueError(f"{name} is not a database this bench made")
        connection = await asyncpg.connect(self.url, timeout=CONNECT_TIMEOUT_SECONDS)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
        self.made.discard(name)

    async def drop_all(self) -> None:
        for name in sorted(self.made):
            await self.drop(urlunsplit(urlsplit(self.url)._replace(path=f"/{name}")))
