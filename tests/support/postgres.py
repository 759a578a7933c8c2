"""Throwaway PostgreSQL databases for the tests: made on the test server, dropped after.

The server is ``postgresql://postgres@127.0.0.1:5432/postgres`` (trust authentication, as
on this project's machines) unless ``FANBOT_TEST_POSTGRES`` names another; the tests only
ever touch databases they made themselves, named ``fanbot_test_<random>``. Making one
costs tens of milliseconds, so each test gets a database of its own (a clean schema with
nothing to reset); a database seeded once per run with the shipped catalog serves as
the template of the seeded ones, which spares importing the catalog test after test.
Making, copying and dropping them is :mod:`testing.postgres`, shared with the bench; what
is the tests' own is here: the server variable, the prefix and giving up through pytest.

Without a server the PostgreSQL tests are skipped with a one-line reason, except in CI
(``CI`` set, as ``.ci/run`` does), where they fail: CI must never pass by skipping them.
"""

from __future__ import annotations

import os
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import NoReturn

import asyncpg
import pytest

from testing.postgres import (
    CONNECT_TIMEOUT_SECONDS,
    DEFAULT_SERVER,
    EMPTY_TEMPLATE,
    ThrowawayDatabases,
    connect,
    database_name,
    database_url,
    where,
)

__all__ = [
    "CONNECT_TIMEOUT_SECONDS",
    "DEFAULT_SERVER",
    "NAME_PREFIX",
    "SERVER_ENV",
    "PostgresServer",
    "database_name",
    "database_url",
    "in_ci",
    "where",
]

SERVER_ENV = "FANBOT_TEST_POSTGRES"
NAME_PREFIX = "fanbot_test_"


def in_ci() -> bool:
    """CI (``CI`` set and not "false"/"0"): the PostgreSQL tests may not be skipped there."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


@dataclass
class PostgresServer:
    """The server the tests make their databases on, through its maintenance database."""

    url: str
    databases: ThrowawayDatabases = field(init=False)

    def __post_init__(self) -> None:
        self.databases = ThrowawayDatabases(self.url, NAME_PREFIX, owner="these tests")

    @classmethod
    def from_environment(cls) -> PostgresServer:
        return cls(os.environ.get(SERVER_ENV) or DEFAULT_SERVER)

    async def unreachable(self) -> str | None:
        """None when the server answers; otherwise why not, in a few words."""
        try:
            connection = await connect(self.url)
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

    async def create(self, *, template: str = EMPTY_TEMPLATE) -> str:
        """A new empty database (or a copy of ``template``, the name of one made here); its URL."""
        return await self.databases.create(template=template)

    async def drop(self, url: str) -> None:
        """Drop a database this server made, ending any session still connected to it."""
        await self.databases.drop(url)

    async def drop_all(self) -> None:
        """Drop every database still standing (the run's templates)."""
        await self.databases.drop_all()

    def throwaway(self, *, template: str = EMPTY_TEMPLATE) -> AbstractAsyncContextManager[str]:
        """A database for one test: its URL while the block runs, dropped after."""
        return self.databases.throwaway(template=template)
