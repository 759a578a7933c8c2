"""Throwaway PostgreSQL databases for the tests: made on the test server, dropped after.

The server is ``postgresql://postgres@127.0.0.1:5432/postgres`` (trust authentication, as
on this project's machines) unless ``FANBOT_TEST_POSTGRES`` names another; the tests only
ever touch databases they made themselves, named ``fanbot_test_<random>``. Making one
costs tens of milliseconds, so each test gets a database of its own (a clean schema with
nothing to reset); a database seeded once per run with the shipped catalog serves as
the template of the seeded ones, which spares importing the catalog test after test.

Without a server the PostgreSQL tests are skipped with a one-line reason, except in CI
(``CI`` set, as ``.ci/run`` does), where they fail: CI must never pass by skipping them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

SERVER_ENV = "FANBOT_TEST_POSTGRES"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
NAME_PREFIX = "fanbot_test_"
# Long enough for a server that is up, short enough that a missing one costs little.
CONNECT_TIMEOUT_SECONDS = 5.0


def in_ci() -> bool:
    """CI (``CI`` set and not "false"/"0"): the PostgreSQL tests may not be skipped there."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def database_url(server: str, name: str) -> str:
    """The URL of database ``name`` on the server of ``server`` (same user, host, options)."""
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_name(url: str) -> str:
    """The database a URL names."""
    return urlsplit(url).path.lstrip("/")


def where(url: str) -> str:
    """host:port of a URL, for messages (never its user or password)."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"


@dataclass
class PostgresServer:
    """The server the tests make their databases on, through its maintenance database."""

    url: str
    # Databases made and not yet dropped (templates live for the whole run).
    made: set[str] = field(default_factory=set)

    @classmethod
    def from_environment(cls) -> PostgresServer:
        return cls(os.environ.get(SERVER_ENV) or DEFAULT_SERVER)

    async def unreachable(self) -> str | None:
        """None when the server answers; otherwise why not, in a few words."""
        try:
            connection = await asyncpg.connect(self.url, timeout=CONNECT_TIMEOUT_SECONDS)
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        await connection.close()
        return None

    def give_up(self, why: str) -> NoReturn:
        """Skip the test that needs the server, with a one-line reason; fail it in CI."""
        if in_ci():
            pytest.fail(
                f"PostgreSQL not reachable at {where(self.url)} ({why}): CI must run the PostgreSQL tests",
                pytrace=False,
            )
        pytest.skip(
            f"PostgreSQL not reachable at {where(self.url)} ({why}; set {SERVER_ENV} to use another server): "
            "the PostgreSQL tests are skipped"
        )

    async def create(self, *, template: str = "template0") -> str:
        """A new empty database (or a copy of ``template``); its URL."""
        name = f"{NAME_PREFIX}{secrets.token_hex(6)}"
        connection = await asyncpg.connect(self.url, timeout=CONNECT_TIMEOUT_SECONDS)
        try:
            # Names are ours (a fixed prefix and hex digits), so quoting them is enough.
            await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        finally:
            await connection.close()
        self.made.add(name)
        return database_url(self.url, name)

    async def drop(self, url: str) -> None:
        """Drop a database this server made, ending any session still connected to it."""
        name = database_name(url)
        if name not in self.made:
            raise ValueError(f"{name} is not a database these tests made")
        connection = await asyncpg.connect(self.url, timeout=CONNECT_TIMEOUT_SECONDS)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
        self.made.discard(name)

    async def drop_all(self) -> None:
        """Drop every database still standing (the run's templates)."""
        for name in sorted(self.made):
            await self.drop(database_url(self.url, name))

    @asynccontextmanager
    async def throwaway(self, *, template: str = "template0") -> AsyncIterator[str]:
        """A database for one test: its URL while the block runs, dropped after."""
        url = await self.create(template=template)
        try:
            yield url
        finally:
            await self.drop(url)
