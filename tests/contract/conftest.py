"""The ``backend`` fixtures: each contract test runs once per backend, on a store of its own.

``backend`` is an opened ``Store`` holding the shipped catalog, ``empty_backend`` one that
is migrated and holds nothing; ``backend_target`` is where ``backend`` lives (a SQLite
path, a PostgreSQL URL), for tests that open a second store on it as another process
would. The PostgreSQL half is marked ``postgres`` and runs on a throwaway database
(``tests/support/postgres.py``): skipped without a server, except in CI.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fanbot.calendar_files.catalog import shipped_catalog
from fanbot.store import Store

Target = str | Path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def backend_target(backend_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Target:
    """Where the seeded store lives: a new SQLite file (``backend`` seeds it on open), or a
    PostgreSQL database that already holds the shipped catalog."""
    if backend_kind == "sqlite":
        return tmp_path / "fanbot.sqlite3"
    return str(request.getfixturevalue("seeded_postgres_url"))


@pytest.fixture
def empty_target(backend_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Target:
    if backend_kind == "sqlite":
        return tmp_path / "empty.sqlite3"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def backend(backend_target: Target) -> AsyncIterator[Store]:
    """A store on this backend, opened as the bot opens it: migrated and seeded."""
    store = await Store.open(backend_target, seed=shipped_catalog())
    yield store
    await store.close()


@pytest.fixture
async def empty_backend(empty_target: Target) -> AsyncIterator[Store]:
    """A store on this backend, migrated and empty (no catalog)."""
    store = await Store.open(empty_target)
    yield store
    await store.close()
