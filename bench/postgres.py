"""Throwaway PostgreSQL databases for one bench run: made on the local server, dropped after.

The server is ``postgresql://postgres@127.0.0.1:5432/postgres`` (trust authentication, as on
this project's machines) unless ``FANBOT_BENCH_POSTGRES`` names another. A run grows its
benchmark store once into a database of its own and gives each benchmark a copy of it
(``CREATE DATABASE ... TEMPLATE``, a file copy on the server: a second or two, where growing
again takes minutes); every database it made is dropped when the run ends, whatever happens.
The bench touches only databases it made, named ``fanbot_bench_<random>_<label>``.

Making, copying and dropping them is :mod:`testing.postgres`, shared with the tests (the
bench does not import test support, which brings pytest with it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from testing.postgres import (
    CONNECT_TIMEOUT_SECONDS,
    DEFAULT_SERVER,
    EMPTY_TEMPLATE,
    ThrowawayDatabases,
    connect,
    database_name,
    where,
)

__all__ = [
    "CONNECT_TIMEOUT_SECONDS",
    "DEFAULT_SERVER",
    "NAME_PREFIX",
    "SERVER_ENV",
    "BenchPostgres",
    "database_name",
    "is_url",
]

SERVER_ENV = "FANBOT_BENCH_POSTGRES"
NAME_PREFIX = "fanbot_bench_"


def is_url(target: object) -> bool:
    """Whether a benchmark's store is a PostgreSQL URL (else a SQLite file)."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


@dataclass
class BenchPostgres:
    """The server the bench makes its databases on, and the databases it made."""

    url: str = field(default_factory=lambda: os.environ.get(SERVER_ENV) or DEFAULT_SERVER)
    databases: ThrowawayDatabases = field(init=False)

    def __post_init__(self) -> None:
        self.databases = ThrowawayDatabases(self.url, NAME_PREFIX, owner="this bench")

    def where(self) -> str:
        return where(self.url)

    async def version(self) -> str:
        """The server's version (for the report), e.g. "15.20"; raises when it does not answer."""
        connection = await connect(self.url)
        try:
            return str(await connection.fetchval("SHOW server_version")).split()[0]
        finally:
            await connection.close()

    async def create(self, label: str, *, template: str | None = None) -> str:
        """A new database, empty or a copy of ``template`` (a URL this bench made); its URL."""
        source = database_name(template) if template else EMPTY_TEMPLATE
        return await self.databases.create(label, template=source)

    async def drop(self, url: str) -> None:
        """Drop a database this bench made, ending any session still connected to it."""
        await self.databases.drop(url)

    async def drop_all(self) -> None:
        await self.databases.drop_all()
