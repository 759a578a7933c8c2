"""The web server inside the bot (``fanbot.bot.web``), on a real local port, with the bot
driven through simcord: the link /calendar link gives serves the server's calendar (the
file /calendar export gives, parsed back with icalendar), with an ETag and 304s; a reset
changes the link and the old one gets 404; members cannot reset; the shared catalog's
routes; /healthz flips to 503 when the store is closed; /metrics counts commands and
Discord's 429s; bad paths and methods get short plain answers. Guild events here are
fictional."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from icalendar import Calendar
from prometheus_client import REGISTRY

from fanbot.bot.app import FanBot
from fanbot.bot.rest_budget import rate_limit_trace
from fanbot.bot.web import WebServer
from fanbot.clock import FixedClock
from fanbot.config import Settings
from tests.support.moderation_world import SPA_CSV

REFUSAL = (
    "Only this server's moderators can do this: members with the Manage Events permission or the "
    "moderator role."
)
LINK = re.compile(r"<(http://127\.0\.0\.1:\d+/calendar/[^>]+\.ics)>")
WEBCAL = re.compile(r"`(webcal://127\.0\.0\.1:\d+/calendar/[^`]+\.ics)`")


@pytest.fixture
async def simcord_bot(db_path: Path, bot_clock: FixedClock) -> AsyncIterator[FanBot]:
    """The bot with its web server on a free local port (FANBOT_HTTP_PORT=0)."""
    bot = FanBot(db_path, clock=bot_clock, settings=Settings(http_port=0))
    yield bot
    if bot.web is not None:
        await bot.web.stop()
    if bot._store is not None:
        await bot._store.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A client that closes each connection after its answer: simcord waits for the bot's
    tasks to settle, and a kept-alive connection is one that never does."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session:
        yield session


def server(mods: Any) -> WebServer:
    web_server = mods.env.bot.web
    assert web_server is not None
    assert web_server.port
    return web_server


async def link_of(mods: Any, who: Any, **options: Any) -> str:
    result = await who.slash(mods.channel, "calendar link", **options)
    assert result.ephemeral
    content = result.response.content
    [url] = LINK.findall(content)
    [webcal] = WEBCAL.findall(content)
    assert webcal == "webcal://" + url.removeprefix("http://")
    return url


async def import_spa(mods: Any) -> None:
    preview = await mods.by_permission.slash(mods.channel, "event import", file=("spa.csv", SPA_CSV.encode()))
    await mods.by_permission.click(preview.response, label="Confirm")


def uids(data: bytes) -> list[str]:
    return sorted(str(v["UID"]) for v in Calendar.from_ical(data).walk("VEVENT"))


def without_stamps(data: bytes) -> bytes:
    return re.sub(rb"\r\nDTSTAMP:\d{8}T\d{6}Z", b"", data)


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_members_link_serves_the_calendar_export_gives_with_an_etag_and_304s(mods, http):
    await import_spa(mods)
    url = await link_of(mods, mods.member)
    async with http.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
        etag = response.headers["ETag"]
        last_modified = response.headers["Last-Modified"]
        served = await response.read()
    exported = await mods.by_permission.slash(mods.channel, "calendar export")
    [attachment] = exported.response.attachments
    file = await attachment.read()
    # The same file, to its DTSTAMPs (the link's is when the content was first served).
    assert without_stamps(served) == without_stamps(file)
    calendar = Calendar.from_ical(served)
    vevents = calendar.walk("VEVENT")
    assert len(vevents) == len(Calendar.from_ical(file).walk("VEVENT")) > 3
    assert uids(served) == uids(file)
    assert any("Club 6 Hours of Spa" in str(v["SUMMARY"]) for v in vevents)
    assert str(calendar["X-WR-CALNAME"]) == "Endurance fans"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in served
    assert b"X-PUBLISHED-TTL:PT6H\r\n" in served
    # A calendar app that has it already is told so, by its ETag or its date.
    async with http.get(url, headers={"If-None-Match": etag}) as again:
        assert again.status == 304
        assert again.headers["ETag"] == etag
        assert await again.read() == b""
    async with http.get(url, headers={"If-Modified-Since": last_modified}) as again:
        assert again.status == 304
    # Asked again later with nothing changed: the same bytes, the same validators.
    mods.world.clock.instant = mods.world.clock.instant.replace(hour=18)
    async with http.get(url) as again:
        assert again.headers["ETag"] == etag
        assert again.headers["Last-Modified"] == last_modified
        assert await again.read() == served


async def test_a_change_to_the_calendar_changes_the_etag_and_the_date(mods, http):
    url = await link_of(mods, mods.member)
    async with http.get(url) as first:
        etag, data = first.headers["ETag"], await first.read()
    mods.world.clock.instant = mods.world.clock.instant.replace(hour=18)
    await import_spa(mods)
    async with http.get(url, headers={"If-None-Match": etag}) as changed:
        assert changed.status == 200
        assert changed.headers["ETag"] != etag
        assert changed.headers["Last-Modified"] == format_datetime(mods.world.clock.instant, usegmt=True)
        new = await changed.read()
    assert len(uids(new)) == len(uids(data)) + 3


async def test_a_series_link_serves_that_series_alone(mods, http):
    await import_spa(mods)
    url = await link_of(mods, mods.member, series="IMSA")
    assert url.endswith("/imsa.ics")
    async with http.get(url) as response:
        vevents = Calendar.from_ical(await response.read()).walk("VEVENT")
    assert vevents
    assert {str(v["X-FANBOT-SERIES"]) for v in vevents} == {"IMSA"}
    async with http.get(url.replace("/imsa.ics", "/no-such-series.ics")) as unknown:
        assert unknown.status == 404


async def test_a_reset_changes_the_link_and_the_old_one_gets_404(mods, http):
    old = await link_of(mods, mods.member)
    assert await link_of(mods, mods.by_role) == old  # one link per server
    result = await mods.by_role.slash(mods.channel, "calendar link", reset=True)
    assert result.ephemeral
    assert "has stopped working" in result.response.content
    [new] = LINK.findall(result.response.content)
    assert new != old
    async with http.get(old) as gone:
        assert gone.status == 404
        assert await gone.text() == "404 Not Found\n"
    async with http.get(new) as served:
        assert served.status == 200
    assert await link_of(mods, mods.member) == new
    [entry] = await mods.store.editing.history(mods.guild.id)
    assert (entry.action, entry.user_id) == ("calendar.link-reset", mods.by_role.id)


async def test_a_member_is_refused_a_reset_and_the_link_keeps_working(mods, http):
    url = await link_of(mods, mods.member)
    refused = await mods.member.slash(mods.channel, "calendar link", reset=True)
    assert refused.ephemeral
    assert refused.response.content == REFUSAL
    assert len(mods.env.errors) == 1  # the refusal, answered by the tree's handler
    async with http.get(url) as still:
        assert still.status == 200
    assert await link_of(mods, mods.member) == url


async def test_without_the_web_server_the_link_says_so_and_points_to_export(mods):
    await server(mods).stop()
    mods.env.bot.web = None
    result = await mods.member.slash(mods.channel, "calendar link")
    assert result.ephemeral
    assert result.response.content.startswith("This bot does not serve calendar links")
    assert "/calendar export" in result.response.content


async def test_the_catalog_routes_serve_a_series_and_404_an_unknown_one(mods, http):
    base = server(mods).base_url
    async with http.get(f"{base}/calendar/catalog/wec.ics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
        wec = Calendar.from_ical(await response.read())
    vevents = wec.walk("VEVENT")
    assert vevents
    assert {str(v["X-FANBOT-SERIES"]) for v in vevents} == {"WEC"}
    assert {str(v["X-FANBOT-SCOPE"]) for v in vevents} == {"catalog"}
    async with http.get(f"{base}/calendar/catalog.ics") as everything:
        assert len(Calendar.from_ical(await everything.read()).walk("VEVENT")) > len(vevents)
    async with http.get(f"{base}/calendar/catalog/formula-e.ics") as unknown:
        assert unknown.status == 404


async def test_healthz_is_200_and_then_503_naming_the_store_once_it_is_closed(mods, http):
    base = server(mods).base_url
    async with http.get(f"{base}/healthz") as healthy:
        assert healthy.status == 200
        assert await healthy.json() == {"store": "ok", "gateway": "connected"}
    await mods.env.bot.store.close()
    async with http.get(f"{base}/healthz") as down:
        assert down.status == 503
        assert await down.json() == {"store": "unavailable", "gateway": "connected"}
    mods.env.bot._store = None  # closed already: the bot's close leaves it


async def test_metrics_count_the_commands_answered(mods, http):
    before = metric("fanbot_commands_total", command="nextrace", outcome="ok")
    refused_before = metric("fanbot_commands_total", command="calendar export", outcome="refused")
    timed_before = metric("fanbot_command_seconds_count", command="nextrace")
    await mods.member.slash(mods.channel, "nextrace")
    await mods.member.slash(mods.channel, "calendar link", reset=True)
    mods.env.errors  # noqa: B018 - the refusal was handled; reading it acknowledges it
    async with http.get(f"{server(mods).base_url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = await response.text()
    line = re.search(r'^fanbot_commands_total\{command="nextrace",outcome="ok"\} (\S+)$', text, re.M)
    assert line is not None
    assert float(line[1]) == before + 1
    assert metric("fanbot_command_seconds_count", command="nextrace") == timed_before + 1
    assert metric("fanbot_commands_total", command="calendar link", outcome="refused") >= 1
    assert metric("fanbot_commands_total", command="calendar export", outcome="refused") == refused_before
    assert "fanbot_reminders_pending" in text
    assert "fanbot_rate_limited_total" in text


async def test_bad_paths_and_methods_get_short_plain_answers(mods, http):
    base = server(mods).base_url
    for path in ("/nope", "/calendar/" + "A" * 32 + ".ics", "/calendar/x.ics", "/calendar/catalog/.ics"):
        async with http.get(base + path) as response:
            assert response.status == 404, path
            assert await response.text() == "404 Not Found\n", path
    async with http.post(f"{base}/healthz") as wrong:
        assert wrong.status == 405
        assert wrong.headers["Allow"] == "GET,HEAD"
        assert "Traceback" not in await wrong.text()


async def test_a_429_from_discord_is_counted(http):
    async def limited(request: web.Request) -> web.Response:
        return web.json_response({"message": "You are being rate limited.", "retry_after": 0.1}, status=429)

    app = web.Application()
    app.router.add_get("/api/v10/users/@me", limited)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    before = metric("fanbot_rate_limited_total")
    try:
        async with aiohttp.ClientSession(trace_configs=[rate_limit_trace()]) as traced:
            for _ in range(2):
                async with traced.get(f"http://127.0.0.1:{port}/api/v10/users/@me") as response:
                    assert response.status == 429
            async with traced.get(f"http://127.0.0.1:{port}/other") as response:
                assert response.status == 404
    finally:
        await runner.cleanup()
    assert metric("fanbot_rate_limited_total") == before + 2


async def test_a_calendar_with_nothing_in_it_is_served_as_an_empty_calendar(empty_store, bot_clock):
    from types import SimpleNamespace

    from fanbot.answers.context import Lookups
    from fanbot.bot.web import CalendarFeeds

    # Only what CalendarFeeds reads of the bot: its store (empty: no catalog), names and clock.
    bot = SimpleNamespace(store=empty_store, lookups=Lookups(empty_store), clock=bot_clock)
    published = await CalendarFeeds(bot).calendar(None, None, "fanbot")  # type: ignore[arg-type]
    calendar = Calendar.from_ical(published.body)
    assert calendar.walk("VEVENT") == []
    assert str(calendar["X-WR-CALNAME"]) == "fanbot"
    assert published.since == bot_clock.now()


async def test_reminder_outcomes_and_pending_reminders_are_counted(db_path):
    from datetime import timedelta

    from fanbot.domain.localtime import parse_instant
    from fanbot.domain.model import SessionKind
    from fanbot.domain.reminders import ReminderSetup
    from fanbot.reminders.dispatcher import Dispatcher
    from tests.support.reminder_world import StandInDiscord, store_at, weekend

    guild = 1 << 22
    # A made-up 2027 weekend at Le Mans: qualifying 12:00Z on 12 June, the race 14:00Z on 13 June.
    q_start, r_start = parse_instant("2027-06-12T12:00:00Z"), parse_instant("2027-06-13T14:00:00Z")
    store = await store_at(db_path)
    try:
        clock = FixedClock(parse_instant("2027-06-01T00:00:00Z"))
        sessions = [("qualifying", "2027-06-12", "14:00"), ("race", "2027-06-13", "16:00")]
        await store.import_catalog(weekend("test-6h", sessions), guild_id=guild)
        setup = ReminderSetup(
            guild_id=guild,
            channel_id=guild + 7,
            role_id=None,
            series=(),
            kinds=(SessionKind.QUALIFYING, SessionKind.RACE),
            leads=(60,),
            green_flag=True,
            since=parse_instant("2027-01-01T00:00:00Z"),
        )
        await store.reminders.save_setup(setup, now=clock.now())
        before = {r: metric("fanbot_reminders_total", result=r) for r in ("sent", "late", "missed")}
        dispatcher = Dispatcher(store, clock, StandInDiscord(clock))
        # Down until 20 minutes before qualifying: its reminder goes out late.
        clock.instant = q_start - timedelta(minutes=20)
        await dispatcher.run_once()
        assert metric("fanbot_reminders_total", result="late") == before["late"] + 1
        await dispatcher.run_once()
        assert metric("fanbot_reminders_pending") == 0  # the race is beyond the next two hours
        # 90 minutes before the race: its two reminders (an hour before, and the start) are owed.
        clock.instant = r_start - timedelta(minutes=90)
        await dispatcher.run_once()
        assert metric("fanbot_reminders_pending") == 2
        # Down through the race start: both race reminders are missed.
        clock.instant = r_start + timedelta(hours=2)
        await dispatcher.run_once()
        assert metric("fanbot_reminders_total", result="missed") == before["missed"] + 2
        assert metric("fanbot_reminders_total", result="sent") == before["sent"]
        assert metric("fanbot_reminders_pending") == 0
    finally:
        await store.close()
