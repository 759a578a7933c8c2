"""The shared catalog follows a published catalog (``fanbot.feeds.catalog_sync``): fetched
from a local web server, on both backends."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from fanbot.calendar_files.catalog import CatalogFile, parse_catalog, shipped_catalog
from fanbot.clock import FixedClock
from fanbot.domain.catalog import CatalogError
from fanbot.domain.localtime import from_iso_utc
from fanbot.feeds.catalog_sync import CatalogSyncError, follow_published_catalog, sync_catalog
from fanbot.feeds.fetch import FeedFetcher
from fanbot.store import Scope, Store
from tests.support.catalog_server import (
    IMOLA,
    IMOLA_2027,
    SHIPPED_PUBLISHED,
    CatalogServer,
    as_bytes,
    catalog_server,
    published_catalog,
    shipped,
)

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
# The shipped Imola race: 13:00 in Imola (CEST) on 19 April 2026.
SHIPPED_RACE = datetime(2026, 4, 19, 11, 0, tzinfo=UTC)
PUBLISHED_RACE = datetime(2026, 4, 19, 12, 0, tzinfo=UTC)  # 14:00 in Imola


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """A new SQLite file (seeded on open), or a PostgreSQL database holding the shipped catalog."""
    if request.param == "sqlite":
        return tmp_path / "fanbot.sqlite3"
    return str(request.getfixturevalue("seeded_postgres_url"))


@pytest.fixture
def empty_target(target: str | Path, tmp_path: Path, request: pytest.FixtureRequest) -> str | Path:
    """A database on the same backend that holds nothing yet."""
    if isinstance(target, Path):
        return tmp_path / "empty.sqlite3"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def seeded(target: str | Path) -> AsyncIterator[Store]:
    store = await Store.open(target, seed=shipped_catalog())
    yield store
    await store.close()


@pytest.fixture
async def server() -> AsyncIterator[CatalogServer]:
    async with catalog_server() as served:
        yield served


@pytest.fixture
async def fetcher() -> AsyncIterator[FeedFetcher]:
    async with FeedFetcher(allow_private=True) as f:
        yield f


async def race_start(store: Store, key: str = IMOLA) -> datetime | None:
    events = await store.events(Scope.catalog(), series="WEC")
    event = next((e for e in events if e.key == key), None)
    assert event is not None, f"{key} is not in the catalog"
    assert event.race is not None
    return event.race.start


async def catalog_keys(store: Store) -> set[str]:
    return {e.key for e in await store.events(Scope.catalog())}


# ---------------------------------------------------------------- importing, and not again


async def test_the_first_sync_imports_the_published_catalog_and_its_changes_show_in_reads(
    seeded, server, fetcher
):
    assert await race_start(seeded) == SHIPPED_RACE
    assert await seeded.catalog_published() == from_iso_utc(SHIPPED_PUBLISHED)
    server.publish(published_catalog())

    outcome = await sync_catalog(seeded, fetcher, server.url, now=NOW)

    assert outcome.status == "imported"
    assert outcome.published == datetime(2026, 12, 8, tzinfo=UTC)
    assert outcome.changes is not None
    assert outcome.changes.new_events == ["6 Hours of Imola"]
    assert outcome.changes.changed_events == ["6 Hours of Imola"]
    assert (outcome.changes.new["events"], outcome.changes.changed["events"]) == (1, 1)
    assert await race_start(seeded) == PUBLISHED_RACE
    assert await race_start(seeded, IMOLA_2027) == datetime(2027, 4, 18, 11, 0, tzinfo=UTC)
    assert await seeded.catalog_published() == datetime(2026, 12, 8, tzinfo=UTC)
    state = await seeded.published_catalog_state()
    assert state.etag == '"v1"'


async def test_a_second_sync_gets_304_and_writes_nothing(seeded, server, fetcher):
    server.publish(published_catalog())
    await sync_catalog(seeded, fetcher, server.url, now=NOW)
    writes, state = seeded.writes_begun, await seeded.published_catalog_state()

    outcome = await sync_catalog(seeded, fetcher, server.url, now=NOW + timedelta(days=1))

    assert outcome.status == "not-modified"
    assert server.requests[-1].get("If-None-Match") == '"v1"'
    assert seeded.writes_begun == writes
    assert await seeded.published_catalog_state() == state


async def test_the_same_file_sent_again_whole_is_not_imported_again(seeded, server, fetcher):
    server.publish(published_catalog(), etag=None)  # a server without validators: never a 304
    await sync_catalog(seeded, fetcher, server.url, now=NOW)
    writes = seeded.writes_begun

    outcome = await sync_catalog(seeded, fetcher, server.url, now=NOW)

    assert outcome.status == "unchanged"
    assert "If-None-Match" not in server.requests[-1]
    assert seeded.writes_begun == writes


async def test_a_new_stamp_with_the_same_events_changes_nothing_but_the_stamp(seeded, server, fetcher):
    server.publish(published_catalog())
    await sync_catalog(seeded, fetcher, server.url, now=NOW)
    server.publish(published_catalog("2026-12-08T06:00:00Z"), etag='"v2"')

    outcome = await sync_catalog(seeded, fetcher, server.url, now=NOW)

    assert outcome.status == "unchanged"
    assert outcome.changes is not None
    assert not outcome.changes.changed_anything
    assert await seeded.catalog_published() == datetime(2026, 12, 8, 6, tzinfo=UTC)


async def test_a_catalog_older_than_the_loaded_one_is_ignored(seeded, server, fetcher):
    server.publish(published_catalog("2026-11-01T00:00:00Z"))
    writes = seeded.writes_begun

    outcome = await sync_catalog(seeded, fetcher, server.url, now=NOW)

    assert outcome.status == "older"
    assert outcome.loaded == from_iso_utc(SHIPPED_PUBLISHED)
    assert "older than the catalog loaded (published 2026-12-07T00:00:00Z)" in outcome.describe()
    assert await race_start(seeded) == SHIPPED_RACE
    assert IMOLA_2027 not in await catalog_keys(seeded)
    assert await seeded.catalog_published() == from_iso_utc(SHIPPED_PUBLISHED)
    assert seeded.writes_begun == writes


async def test_a_dry_run_says_what_would_change_and_writes_nothing_not_even_the_etag(seeded, server, fetcher):
    server.publish(published_catalog())
    state = await seeded.published_catalog_state()

    outcome = await sync_catalog(seeded, fetcher, server.url, now=NOW, dry_run=True)

    assert outcome.status == "imported"
    text = outcome.describe()
    assert text.startswith(f"would import {server.url} (published 2026-12-08T00:00:00Z): ")
    assert "events: 1 new, 1 changed" in text
    assert "  new event: 6 Hours of Imola" in text
    assert "  changed event: 6 Hours of Imola" in text
    assert text.endswith("dry run: nothing was written")
    assert await race_start(seeded) == SHIPPED_RACE
    assert IMOLA_2027 not in await catalog_keys(seeded)
    assert await seeded.published_catalog_state() == state
    # Not even the validators: the real sync that follows fetches the whole file again.
    real = await sync_catalog(seeded, fetcher, server.url, now=NOW)
    assert "If-None-Match" not in server.requests[-1]
    assert real.status == "imported"


# ---------------------------------------------------------------- refused: nothing changes


async def test_a_refused_file_changes_nothing_and_names_its_problems(seeded, server, fetcher):
    raw = published_catalog()
    raw["events"][0]["sessions"][-1]["time"] = "25:00"
    server.publish(raw)
    state, writes = await seeded.published_catalog_state(), seeded.writes_begun

    with pytest.raises(CatalogSyncError) as refused:
        await sync_catalog(seeded, fetcher, server.url, now=NOW)

    assert refused.value.kind == "refused"
    text = str(refused.value)
    assert text.startswith(f"{server.url}: the published catalog was not loaded, nothing changed.\n  - ")
    assert '"6 Hours of Imola"' in text
    assert "25:00" in text
    assert await race_start(seeded) == SHIPPED_RACE
    assert IMOLA_2027 not in await catalog_keys(seeded)
    assert await seeded.published_catalog_state() == state
    assert seeded.writes_begun == writes


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"<html><body>Sign in</body></html>", "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8 text"),
        (b"[" * 100_000, "nested too deeply"),
        (b'{"format": "fanbot-catalog/1", "published": ' + b"[" * 900 + b"]" * 900 + b"}", "published"),
    ],
    ids=["html", "not-utf8", "nesting-bomb", "nested-stamp"],
)
async def test_a_file_that_is_not_a_catalog_is_refused_in_one_line_of_reasons(
    seeded, server, fetcher, body, said
):
    server.publish(body)
    keys = await catalog_keys(seeded)

    with pytest.raises(CatalogSyncError) as refused:
        await sync_catalog(seeded, fetcher, server.url, now=NOW)

    assert said in str(refused.value)
    assert "Traceback" not in str(refused.value)
    assert await catalog_keys(seeded) == keys


async def test_a_catalog_without_a_stamp_is_refused_once_a_stamped_one_is_loaded(seeded, server, fetcher):
    server.publish(published_catalog(None))

    with pytest.raises(CatalogSyncError) as refused:
        await sync_catalog(seeded, fetcher, server.url, now=NOW)

    assert "published: missing, but the catalog loaded was published at 2026-12-07T00:00:00Z" in str(
        refused.value
    )
    assert await race_start(seeded) == SHIPPED_RACE


async def test_a_catalog_without_a_stamp_is_imported_while_none_is_loaded(empty_target, server, fetcher):
    store = await Store.open(empty_target)  # not seeded: no stamp
    try:
        server.publish(published_catalog(None))
        outcome = await sync_catalog(store, fetcher, server.url, now=NOW)
        assert outcome.status == "imported"
        assert await race_start(store) == PUBLISHED_RACE
        assert await store.catalog_published() is None
    finally:
        await store.close()


async def test_a_stamp_far_in_the_future_is_refused(seeded, server, fetcher):
    server.publish(published_catalog("2062-12-08T00:00:00Z"))

    with pytest.raises(CatalogSyncError) as refused:
        await sync_catalog(seeded, fetcher, server.url, now=NOW)

    assert "published: 2062-12-08T00:00:00Z is in the future" in str(refused.value)
    assert await seeded.catalog_published() == from_iso_utc(SHIPPED_PUBLISHED)


async def test_a_loopback_url_is_refused_without_the_operator_setting(seeded, server):
    server.publish(published_catalog())
    async with FeedFetcher() as strict:
        with pytest.raises(CatalogSyncError) as refused:
            await sync_catalog(seeded, strict, server.url, now=NOW)

    assert refused.value.kind == "fetch:address"
    assert "127.0.0.1 is a private or local address" in str(refused.value)
    assert server.requests == []
    assert await race_start(seeded) == SHIPPED_RACE


async def test_an_http_error_changes_nothing(seeded, server, fetcher):
    server.status = 404

    with pytest.raises(CatalogSyncError) as refused:
        await sync_catalog(seeded, fetcher, server.url, now=NOW)

    assert refused.value.kind == "fetch:http"
    assert "HTTP 404" in str(refused.value)
    assert await seeded.catalog_published() == from_iso_utc(SHIPPED_PUBLISHED)


async def test_an_unreachable_server_is_one_clear_reason(seeded, fetcher):
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(CatalogSyncError) as refused:
        await sync_catalog(seeded, fetcher, f"http://127.0.0.1:{port}/catalog.json", now=NOW)

    assert refused.value.kind == "fetch:network"
    assert "Could not reach the feed" in str(refused.value)


# ---------------------------------------------------------------- the stamp and the other imports


def file_of(raw: dict[str, object], tmp_path: Path, name: str) -> CatalogFile:
    path = tmp_path / name
    path.write_bytes(as_bytes(raw))
    return CatalogFile(path)


async def test_a_restart_does_not_put_an_older_shipped_catalog_back(
    target, seeded, server, fetcher, tmp_path
):
    server.publish(published_catalog())
    await sync_catalog(seeded, fetcher, server.url, now=NOW)
    # A release whose shipped file changed (another digest) but is older than the one loaded.
    older = shipped()
    older["published"] = "2026-12-01T00:00:00Z"
    older["about"] = "an older release"

    restarted = await Store.open(target, seed=file_of(older, tmp_path, "older.json"))
    try:
        assert await race_start(restarted) == PUBLISHED_RACE
        assert await restarted.catalog_published() == datetime(2026, 12, 8, tzinfo=UTC)
    finally:
        await restarted.close()


async def test_a_restart_with_a_newer_shipped_catalog_imports_it(target, seeded, server, fetcher, tmp_path):
    server.publish(published_catalog())
    await sync_catalog(seeded, fetcher, server.url, now=NOW)
    newer = shipped()
    newer["published"] = "2026-12-09T00:00:00Z"

    restarted = await Store.open(target, seed=file_of(newer, tmp_path, "newer.json"))
    try:
        assert await race_start(restarted) == SHIPPED_RACE
        assert await restarted.catalog_published() == datetime(2026, 12, 9, tzinfo=UTC)
        # The next sync reads the published file whole again, and finds it older now.
        outcome = await sync_catalog(restarted, fetcher, server.url, now=NOW)
        assert "If-None-Match" not in server.requests[-1]
        assert outcome.status == "older"
    finally:
        await restarted.close()


async def test_a_catalog_imported_by_hand_makes_the_next_sync_read_the_file_whole(seeded, server, fetcher):
    server.publish(published_catalog())
    await sync_catalog(seeded, fetcher, server.url, now=NOW)
    by_hand = published_catalog("2026-12-07T12:00:00Z", race_time="15:00")
    await seeded.import_catalog(parse_catalog(by_hand))  # fanbot import: an older file, on purpose
    assert await seeded.catalog_published() == datetime(2026, 12, 7, 12, tzinfo=UTC)

    outcome = await sync_catalog(seeded, fetcher, server.url, now=NOW)

    assert "If-None-Match" not in server.requests[-1]
    assert outcome.status == "imported"
    assert await race_start(seeded) == PUBLISHED_RACE


@pytest.mark.parametrize(
    ("stamp", "found"),
    [
        ("2026-12-07", "'2026-12-07'"),
        ("2026-12-07T00:00:00", "'2026-12-07T00:00:00'"),  # no Z: local to where?
        (20261207, "20261207"),
        (["2026-12-07T00:00:00Z"], "[…]"),
    ],
)
def test_a_malformed_published_stamp_is_a_clear_problem(stamp, found):
    raw = published_catalog()
    raw["published"] = stamp

    with pytest.raises(CatalogError) as refused:
        parse_catalog(raw)

    assert refused.value.problems == [
        f'published: must be when the file was published, in UTC like "2026-12-07T00:00:00Z" (found {found})'
    ]


def test_a_stamp_with_an_offset_is_read_in_utc():
    raw = published_catalog("2026-12-08T01:30:00+01:00")
    assert parse_catalog(raw).published == datetime(2026, 12, 8, 0, 30, tzinfo=UTC)


def test_the_shipped_catalog_carries_a_stamp():
    assert (
        json.loads(Path(str(shipped_catalog())).read_text(encoding="utf-8"))["published"] == SHIPPED_PUBLISHED
    )
    assert shipped_catalog().parse(shipped_catalog().read()).published == from_iso_utc(SHIPPED_PUBLISHED)


# ---------------------------------------------------------------- the bot's loop


async def test_the_bot_loop_syncs_on_start_and_tries_again_after_a_failure(seeded, server):
    server.publish(published_catalog())
    server.fail_first = 1
    wrote = asyncio.Event()
    seeded.on_write(wrote.set)  # the import's commit
    task = asyncio.create_task(
        follow_published_catalog(
            seeded,
            server.url,
            clock=FixedClock(NOW),
            allow_private=True,
            every=timedelta(milliseconds=20),
        )
    )
    try:
        async with asyncio.timeout(30):
            await wrote.wait()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert await seeded.catalog_published() == datetime(2026, 12, 8, tzinfo=UTC)
    assert len(server.requests) >= 2  # the first answered 500, and a later turn imported
    assert await race_start(seeded) == PUBLISHED_RACE
    assert task.cancelled()


async def test_the_bot_loop_tells_which_catalog_races_an_import_moved(seeded, server):
    server.publish(published_catalog())
    heard: list[list[tuple[object, object]]] = []
    told = asyncio.Event()

    async def on_moved(moved):
        heard.append(moved)
        told.set()

    task = asyncio.create_task(
        follow_published_catalog(
            seeded,
            server.url,
            clock=FixedClock(NOW),
            allow_private=True,
            every=timedelta(milliseconds=20),
            on_moved=on_moved,
        )
    )
    try:
        async with asyncio.timeout(30):
            await told.wait()
        await asyncio.sleep(0.2)  # later turns: 304s, nothing moved
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    [[(before, after)]] = heard
    assert before.key == IMOLA
    assert before.race.start == SHIPPED_RACE
    assert after.race.start == PUBLISHED_RACE
    assert before.race.id == after.race.id  # the same session, moved: corrections follow it


def test_the_race_times_of_the_fixture_are_what_the_tests_assume():
    # 13:00 and 14:00 in Imola on 19 April 2026 (CEST, UTC+2).
    race = next(e for e in shipped()["events"] if e["key"] == IMOLA)["sessions"][-1]
    assert (race["date"], race["time"]) == ("2026-04-19", "13:00")
    assert time(11) == SHIPPED_RACE.timetz().replace(tzinfo=None)
