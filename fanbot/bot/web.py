"""The optional web server of ``fanbot run``: calendar subscription links, /healthz, /metrics.

Off unless ``FANBOT_HTTP_PORT`` is set; it runs on the bot's own event loop (aiohttp's
``AppRunner`` and ``TCPSite``) and reads the bot's store, so it adds no process and no
connection. Routes:

- ``GET /calendar/{token}.ics`` and ``/calendar/{token}/{series}.ics``: a guild's calendar
  (the catalog and its own events), the file ``/calendar export`` gives, for calendar
  apps to subscribe to. The token is the guild's secret (``store.calendar_links``); an
  unknown one is a plain 404, like any other path that does not exist.
- ``GET /calendar/catalog.ics`` and ``/calendar/catalog/{series}.ics``: the shared catalog.
- ``GET /healthz``: 200 when the store answers a trivial read and the gateway (every shard
  of this process) is connected, else 503; a JSON body says which part is down.
- ``GET /metrics``: the process's Prometheus metrics (``fanbot.metrics``).

A calendar is served with ``ETag`` and ``Last-Modified``, and answers 304 to a client that
already has it. Its ``Last-Modified`` (and every ``DTSTAMP`` in it) is when this process
first served that content: the calendar's rows keep no time of their last change, and a
time later than the change is honest where an earlier one would not be (after a restart,
a client fetches the same calendar once more). What a guild's calendar holds is rendered
again only when the store's name counters (``Store.change_token``, which move with every
write that may change a calendar) or the guild's name moved.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from fanbot.answers import moderation as mod
from fanbot.answers.context import Asker
from fanbot.answers.moderation.errors import NothingToExport
from fanbot.calendar_files.ics_export import events_to_ics
from fanbot.clock import FixedClock
from fanbot.store import Scope

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot

log = logging.getLogger(__name__)

ICS_TYPE = "text/calendar; charset=utf-8"
# The DTSTAMP a calendar is first rendered with: its content is hashed with this stamp,
# which is then replaced by the time the content was first served.
PLACEHOLDER_STAMP = datetime(2000, 1, 1, tzinfo=UTC)
_PLACEHOLDER_LINE = b"\r\nDTSTAMP:20000101T000000Z\r\n"
# Calendars kept rendered (a guild's, one per series asked, and the catalog's).
KEPT_CALENDARS = 1024
# How long /healthz waits for the store before calling it down.
STORE_CHECK_SECONDS = 5.0
# A token or series code as they appear in a path (tokens are URL-safe base64).
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SERIES = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

Key = tuple[int | None, str | None]  # (guild, series code)


@dataclass(frozen=True)
class SubscriptionLink:
    """A guild's calendar as calendar apps subscribe to it: the ``webcal://`` link (most
    phones open their calendar app with it) and the plain web one."""

    web: str
    webcal: str


@dataclass(frozen=True)
class _Published:
    change_token: tuple[int, int]
    name: str
    digest: str  # of the content with the placeholder stamp
    since: datetime  # when this process first served that content
    body: bytes
    etag: str


class CalendarFeeds:
    """The calendars the server hands out, rendered again only when they may have changed."""

    def __init__(self, bot: FanBot) -> None:
        self.bot = bot
        self._kept: OrderedDict[Key, _Published] = OrderedDict()

    async def calendar(self, guild_id: int | None, series: str | None, name: str) -> _Published:
        store = self.bot.store
        key: Key = (guild_id, series)
        change_token = await store.change_token(guild_id)
        kept = self._kept.get(key)
        if kept is not None and kept.change_token == change_token and kept.name == name:
            self._kept.move_to_end(key)
            return kept
        # Rendered while a write of this process was open, it may show what that write had
        # not committed (a moderator's preview rolls back): served, but not kept.
        clean = not store.writing
        begun = store.writes_begun
        content = await self._render(guild_id, series, name)
        digest = hashlib.sha256(content).hexdigest()
        if kept is not None and kept.digest == digest:
            since = kept.since
        else:
            since = self.bot.clock.now().astimezone(UTC).replace(microsecond=0)
        stamp = f"\r\nDTSTAMP:{since:%Y%m%dT%H%M%SZ}\r\n".encode()
        body = content.replace(_PLACEHOLDER_LINE, stamp)
        published = _Published(
            change_token, name, digest, since, body, '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
        )
        if clean and not store.writing and store.writes_begun == begun:
            self._kept[key] = published
            self._kept.move_to_end(key)
            while len(self._kept) > KEPT_CALENDARS:
                self._kept.popitem(last=False)
        return published

    async def _render(self, guild_id: int | None, series: str | None, name: str) -> bytes:
        """The file /calendar export gives (``export_calendar``), with the placeholder stamp;
        a calendar with nothing in it yet is an empty calendar, not an error."""
        asker = Asker(self.bot.store, Scope(guild_id), FixedClock(PLACEHOLDER_STAMP), self.bot.lookups)
        try:
            return (await mod.export_calendar(asker, series=series, calendar_name=name)).data
        except NothingToExport:
            return events_to_ics([], calendar_name=name, guild_id=guild_id, stamp=PLACEHOLDER_STAMP)


class WebServer:
    """The web server of one bot process: ``start`` in ``setup_hook``, ``stop`` in ``close``."""

    def __init__(self, bot: FanBot, *, host: str, port: int, public_url: str | None = None) -> None:
        self.bot = bot
        self.host = host
        self.wanted_port = port
        self.public_url = public_url.rstrip("/") if public_url else None
        self.feeds = CalendarFeeds(bot)
        self.app = make_app(bot, self.feeds)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None  # as bound (FANBOT_HTTP_PORT=0: whichever was free)

    async def start(self) -> None:
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.wanted_port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound = [a for a in runner.addresses if isinstance(a, tuple)]
        self.port = int(bound[0][1]) if bound else self.wanted_port
        log.info("web server listening on %s (calendar links, /healthz, /metrics)", self.base_url)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """Where members' links point: ``FANBOT_HTTP_PUBLIC_URL``, else the address bound."""
        if self.public_url:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port if self.port is not None else self.wanted_port}"

    def link(self, token: str, series: str | None = None) -> SubscriptionLink:
        """A guild's subscription link (one series, or all)."""
        path = f"/calendar/{token}/{series.lower()}.ics" if series else f"/calendar/{token}.ics"
        url = self.base_url + path
        return SubscriptionLink(url, "webcal://" + url.split("://", 1)[1])


# ---------------------------------------------------------------------------- the app


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _plain_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Errors as short plain text: a 404 says nothing of whether a token ever existed, and
    no traceback ever leaves the process (it goes to the log)."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status >= 400:
            return web.Response(status=exc.status, text=f"{exc.status} {exc.reason}\n", headers=_allow(exc))
        raise
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("web request %s %s failed", request.method, request.path)
        return web.Response(status=500, text="500 Internal Server Error\n")


def _allow(exc: web.HTTPException) -> dict[str, str]:
    allow = exc.headers.get("Allow")
    return {"Allow": allow} if allow else {}


def make_app(bot: FanBot, feeds: CalendarFeeds) -> web.Application:
    """The aiohttp application (its routes are the module's docstring's)."""
    app = web.Application(middlewares=[_plain_errors])

    async def catalog(request: web.Request) -> web.StreamResponse:
        series = await _series(bot, request.match_info.get("series"))
        return _calendar_response(request, await feeds.calendar(None, series, "fanbot"), shared=True)

    async def guild_calendar(request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        guild_id = await bot.store.calendar_links.guild_of(token) if _TOKEN.match(token) else None
        if guild_id is None:
            raise web.HTTPNotFound()
        series = await _series(bot, request.match_info.get("series"))
        guild = bot.get_guild(guild_id)
        name = guild.name if guild is not None else "fanbot"
        return _calendar_response(request, await feeds.calendar(guild_id, series, name), shared=False)

    async def healthz(request: web.Request) -> web.StreamResponse:
        status: dict[str, object] = {"store": "ok" if await _store_answers(bot) else "unavailable"}
        status.update(_gateway_status(bot))
        healthy = status["store"] == "ok" and status["gateway"] == "connected"
        return web.Response(
            status=200 if healthy else 503,
            text=json.dumps(status, sort_keys=True),
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    async def metrics(request: web.Request) -> web.StreamResponse:
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    # The catalog's routes first: "catalog" is never a token (too short), but it would
    # match the token routes' pattern.
    app.router.add_get("/calendar/catalog.ics", catalog)
    app.router.add_get("/calendar/catalog/{series}.ics", catalog)
    app.router.add_get("/calendar/{token}.ics", guild_calendar)
    app.router.add_get("/calendar/{token}/{series}.ics", guild_calendar)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


async def _series(bot: FanBot, text: str | None) -> str | None:
    """The series code a path names (its code, any case); 404 for any other."""
    if text is None:
        return None
    if _SERIES.match(text):
        for series in await bot.store.series():
            if series.code.lower() == text.lower():
                return series.code
    raise web.HTTPNotFound()


def _calendar_response(request: web.Request, published: _Published, *, shared: bool) -> web.StreamResponse:
    headers = {
        "ETag": published.etag,
        # Calendar apps ask again on their own schedule (REFRESH-INTERVAL): always check.
        "Cache-Control": ("public" if shared else "private") + ", no-cache",
    }
    if _not_modified(request, published):
        response = web.Response(status=304, headers=headers)
    else:
        response = web.Response(body=published.body, headers={**headers, "Content-Type": ICS_TYPE})
    response.last_modified = published.since
    return response


def _not_modified(request: web.Request, published: _Published) -> bool:
    """RFC 9110: If-None-Match when given (any of its tags, weak or not), else
    If-Modified-Since."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or published.etag in tags
    since = request.if_modified_since
    return since is not None and published.since <= since


async def _store_answers(bot: FanBot) -> bool:
    try:
        await asyncio.wait_for(bot.store.schema_version(), STORE_CHECK_SECONDS)
    except asyncio.CancelledError:
        raise
    except Exception:
        return False
    return True


def _gateway_status(bot: FanBot) -> dict[str, object]:
    """The gateway as this process holds it: connected when ready and every connection
    (each shard's, for a process of a sharded bot) is open."""
    ready = bot.is_ready() and not bot.is_closed()
    if isinstance(bot, discord.AutoShardedClient):
        shards = {str(i): "connected" if not s.is_closed() else "disconnected" for i, s in bot.shards.items()}
        up = ready and bool(shards) and all(v == "connected" for v in shards.values())
        return {"gateway": "connected" if up else "disconnected", "shards": shards}
    ws = bot.ws
    up = ready and ws is not None and bool(ws.open)
    return {"gateway": "connected" if up else "disconnected"}
