"""``fanbot sync [--dry-run]``: the published catalog (FANBOT_CATALOG_URL) from a local web
server into the console's database; what it printed and what it exited with."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fanbot.cli import main
from fanbot.store import Scope, Store
from tests.support.catalog_server import IMOLA, CatalogServer, catalog_server, published_catalog

SHIPPED_RACE = datetime(2026, 4, 19, 11, 0, tzinfo=UTC)
PUBLISHED_RACE = datetime(2026, 4, 19, 12, 0, tzinfo=UTC)


@pytest.fixture
async def server(db: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[CatalogServer]:
    """The published catalog, served on 127.0.0.1 and named by FANBOT_CATALOG_URL; the
    operator's setting lets the bot fetch from a local address."""
    async with catalog_server() as served:
        served.publish(published_catalog())
        monkeypatch.setenv("FANBOT_CATALOG_URL", served.url)
        monkeypatch.setenv("FANBOT_FEEDS_ALLOW_PRIVATE", "1")
        yield served


async def fanbot(*args: str) -> int:
    # main() runs its own event loop: in a thread, while the server answers on this one.
    return await asyncio.to_thread(main, list(args))


async def race_start(db: Path) -> datetime | None:
    store = await Store.open(db)
    try:
        event = next(e for e in await store.events(Scope.catalog(), series="WEC") if e.key == IMOLA)
        return event.race.start if event.race else None
    finally:
        await store.close()


async def test_sync_imports_and_a_second_sync_has_nothing_to_do(db, server, capsys):
    assert await fanbot("sync") == 0
    out = capsys.readouterr().out
    assert out.startswith(f"imported {server.url} (published 2026-12-08T00:00:00Z): series: 0 new")
    assert "  changed event: 6 Hours of Imola" in out
    assert await race_start(db) == PUBLISHED_RACE

    assert await fanbot("sync") == 0
    assert (
        capsys.readouterr().out
        == f"{server.url}: not modified since the last sync (HTTP 304): nothing to do\n"
    )


async def test_dry_run_prints_what_would_change_and_writes_nothing(db, server, capsys):
    assert await fanbot("sync", "--dry-run") == 0
    out = capsys.readouterr().out
    assert out.startswith(f"would import {server.url} (published 2026-12-08T00:00:00Z): ")
    assert "events: 1 new, 1 changed" in out
    assert "  new event: 6 Hours of Imola\n  changed event: 6 Hours of Imola\n" in out
    assert out.endswith("dry run: nothing was written\n")
    assert await race_start(db) == SHIPPED_RACE
    store = await Store.open(db)
    try:
        assert (await store.published_catalog_state()).etag is None
    finally:
        await store.close()


async def test_an_older_catalog_is_ignored_with_exit_0(db, server, capsys):
    server.publish(published_catalog("2026-01-01T00:00:00Z"))
    assert await fanbot("sync") == 0
    assert "older than the catalog loaded (published 2026-12-07T00:00:00Z): ignored, nothing changed" in (
        capsys.readouterr().out
    )
    assert await race_start(db) == SHIPPED_RACE


async def test_a_refused_file_lists_its_problems_on_stderr_with_exit_1(db, server, capsys):
    raw = published_catalog()
    raw["events"][0]["sessions"][-1]["kind"] = "parade"
    server.publish(raw)
    assert await fanbot("sync") == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(
        f"{server.url}: the published catalog was not loaded, nothing changed.\n  - "
    )
    assert "'parade'" in captured.err
    assert "Traceback" not in captured.err
    assert await race_start(db) == SHIPPED_RACE


async def test_a_loopback_address_is_refused_without_the_operator_setting(db, server, capsys, monkeypatch):
    monkeypatch.delenv("FANBOT_FEEDS_ALLOW_PRIVATE")
    assert await fanbot("sync") == 1
    err = capsys.readouterr().err
    assert "127.0.0.1 is a private or local address; feeds must be on the public internet" in err
    assert server.requests == []
    assert await race_start(db) == SHIPPED_RACE


async def test_an_http_error_is_one_reason_with_exit_1(db, server, capsys):
    server.status = 404
    assert await fanbot("sync") == 1
    err = capsys.readouterr().err
    assert err == (
        f"{server.url}: the published catalog was not loaded, nothing changed.\n"
        "  - The feed's server answered with an error: HTTP 404\n"
    )


async def test_url_option_overrides_the_setting(db, server, capsys, monkeypatch):
    monkeypatch.setenv("FANBOT_CATALOG_URL", "https://example.invalid/catalog.json")
    assert await fanbot("sync", "--url", server.url, "--dry-run") == 0
    assert capsys.readouterr().out.startswith(f"would import {server.url}")


async def test_without_a_url_it_says_how_to_give_one_with_exit_2(db, capsys, monkeypatch):
    monkeypatch.delenv("FANBOT_CATALOG_URL", raising=False)
    assert await fanbot("sync") == 2
    assert capsys.readouterr().err.startswith(
        "fanbot: sync: say which catalog to follow: set FANBOT_CATALOG_URL"
    )


async def test_an_address_that_is_not_one_is_a_usage_error(db, capsys):
    assert await fanbot("sync", "--url", "ftp://example.org/catalog.json") == 2
    assert "it must start with https://, http:// or webcal://" in capsys.readouterr().err
