"""A published catalog for the sync tests: catalog files made from the shipped one, and a
local web server (aiohttp on 127.0.0.1, any free port) that serves one with an ETag and
answers 304 to a request that sends it back."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from fanbot.config import catalog_path
from tests.support.http import serving

IMOLA = "wec-2026-6-hours-of-imola"
IMOLA_2027 = "wec-2027-6-hours-of-imola"
# The shipped catalog's stamp (data/catalog.json).
SHIPPED_PUBLISHED = "2026-12-07T00:00:00Z"


def shipped() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(catalog_path().read_text(encoding="utf-8"))
    return data


def published_catalog(
    published: str | None = "2026-12-08T00:00:00Z", *, race_time: str = "14:00"
) -> dict[str, Any]:
    """A published catalog: the shipped WEC series and Imola circuit, the 2026 6 Hours of
    Imola with its race at ``race_time`` (shipped: 13:00 local), and a new 2027 edition."""
    base = shipped()
    imola = copy.deepcopy(next(e for e in base["events"] if e["key"] == IMOLA))
    for session in imola["sessions"]:
        if session["kind"] == "race":
            session["time"] = race_time
    new = {
        "key": IMOLA_2027,
        "series": "WEC",
        "season": 2027,
        "circuit": "imola",
        "name": "6 Hours of Imola",
        "sessions": [{"kind": "race", "date": "2027-04-18", "time": "13:00"}],
    }
    raw: dict[str, Any] = {"format": "fanbot-catalog/1"}
    if published is not None:
        raw["published"] = published
    raw["series"] = [s for s in base["series"] if s["code"] == "WEC"]
    raw["circuits"] = [c for c in base["circuits"] if c["key"] == "imola"]
    raw["events"] = [imola, new]
    return raw


def as_bytes(raw: object) -> bytes:
    return json.dumps(raw, indent=2, ensure_ascii=False).encode("utf-8")


@dataclass
class CatalogServer:
    """What the server serves at ``url``: ``body`` with ``etag`` (None: no ETag), or
    ``status`` when it is not 200. ``fail_first`` requests answer 500 first. Every
    request's headers are kept in ``requests``."""

    body: bytes = b""
    etag: str | None = '"v1"'
    status: int = 200
    fail_first: int = 0
    url: str = ""
    requests: list[dict[str, str]] = field(default_factory=list)

    def publish(self, raw: object, etag: str | None = '"v1"') -> None:
        self.body = raw if isinstance(raw, bytes) else as_bytes(raw)
        self.etag = etag

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(dict(request.headers))
        if len(self.requests) <= self.fail_first:
            return web.Response(status=500, text="try again later")
        if self.status != 200:
            return web.Response(status=self.status, text="not here")
        if self.etag is not None and request.headers.get("If-None-Match") == self.etag:
            return web.Response(status=304, headers={"ETag": self.etag})
        headers = {"ETag": self.etag} if self.etag is not None else {}
        return web.Response(body=self.body, headers=headers, content_type="application/json")


@asynccontextmanager
async def catalog_server() -> AsyncIterator[CatalogServer]:
    """A ``CatalogServer`` listening on 127.0.0.1 (its ``url`` set) for the block."""
    server = CatalogServer()
    app = web.Application()
    app.router.add_get("/catalog.json", server.handle)
    async with serving(app) as base:
        server.url = f"{base}/catalog.json"
        yield server
