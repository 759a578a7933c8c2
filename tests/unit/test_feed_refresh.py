"""One URL followed by two guilds, fetched once for both: a guild whose read of the file
fails keeps failing, and is told why, even when the next fetch of the URL is a 304 that the
other guild's up-to-date read makes possible. Real SQLite store, local aiohttp server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from fanbot.calendar_files.catalog import shipped_catalog
from fanbot.config import catalog_path
from fanbot.domain.localtime import parse_instant
from fanbot.feeds.fetch import FeedFetcher
from fanbot.feeds.refresh import refresh_url
from fanbot.store import Store
from tests.support.http import serving

NOW = parse_instant("2030-01-01T00:00:00Z")


def club_catalog(*series: str) -> bytes:
    """A catalog file with one made-up race of each series."""
    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    raw["events"] = [
        {
            "key": f"club-{code.lower()}-2030",
            "series": code,
            "season": 2030,
            "name": f"Club {code} 6 Hours (fictional)",
            "circuit": "la-sarthe",
            "status": "scheduled",
            "sessions": [{"kind": "race", "date": "2030-03-10", "time": "14:00"}],
        }
        for code in series
    ]
    return json.dumps(raw).encode()


class Served:
    """The file at one URL, with an ETag per version; 304 to the current one."""

    def __init__(self) -> None:
        self.body = club_catalog("WEC", "IMSA")
        self.seen: list[dict[str, str]] = []
        self.url = ""

    def etag(self) -> str:
        return f'"{len(self.body)}"'

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == self.etag():
            return web.Response(status=304, headers={"ETag": self.etag()})
        return web.Response(body=self.body, headers={"ETag": self.etag()})


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    feed = Served()
    app = web.Application()
    app.router.add_get("/club.json", feed.handle)
    async with serving(app) as base:
        feed.url = f"{base}/club.json"
        yield feed


async def test_a_guild_whose_read_fails_keeps_failing_when_the_url_then_answers_304(
    tmp_path: Path, served: Served
) -> None:
    url = served.url
    store = await Store.open(tmp_path / "f.sqlite3", seed=shipped_catalog())
    try:
        wec = await store.feeds.subscribe(1, url=url, series="WEC", refresh_minutes=360, by=7, at=NOW)
        imsa = await store.feeds.subscribe(2, url=url, series="IMSA", refresh_minutes=360, by=7, at=NOW)
        async with FeedFetcher(allow_private=True) as fetcher:
            assert (await refresh_url(store, fetcher, url, now=NOW)).failed == {}
            # The file drops its IMSA race: the IMSA guild's read fails, the WEC guild's works.
            served.body = club_catalog("WEC")
            second = await refresh_url(store, fetcher, url, now=NOW)
            assert set(second.failed) == {imsa.id}
            # Nothing changed since: the WEC guild alone would make this a 304, but the failing
            # guild needs the body, and its read fails again.
            third = await refresh_url(store, fetcher, url, now=NOW)
        assert "If-None-Match" not in served.seen[-1]
        assert set(third.failed) == {imsa.id}
        failing = await store.feeds.get(2, imsa.id)
        assert failing is not None
        assert failing.failing_since == NOW
        assert "no events of IMSA" in str(failing.last_error)
        working = await store.feeds.get(1, wec.id)
        assert working is not None
        assert working.failing_since is None
    finally:
        await store.close()
