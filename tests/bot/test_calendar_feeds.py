"""/calendar subscribe, /calendar feeds and /calendar unsubscribe through the unmodified
discord.py against the fake Discord, with the feed served by a local aiohttp server and
a clock the test sets: the feed's race reaches /nextrace and the reminders, a session the
feed moves gets a correction where the reminder went, a 304 writes nothing, a feed that
starts failing keeps its data and is reported (and told once to a moderator a day on), a
URL into the bot's own network is refused, and unsubscribing takes the events away.

The weekend below is made up (fictional times, in 2030, after the shipped catalog)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import discord
from aiohttp import web

from fanbot.bot.app import FanBot
from fanbot.bot.feed_keeper import FeedKeeper
from fanbot.clock import FixedClock
from fanbot.config import Settings
from fanbot.domain.localtime import parse_instant
from fanbot.store import Scope
from testing.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeUser, pointed_at
from tests.support.http import serving

TOKEN = "fake-token"
START_SECONDS = 60.0
T0 = parse_instant("2030-03-01T08:00:00Z")
Q_START = parse_instant("2030-03-09T09:00:00Z")
Q_MOVED = parse_instant("2030-03-09T11:00:00Z")


def club_feed(qualifying: str = "20300309T090000Z") -> bytes:
    def vevent(uid: str, start: str, end: str, summary: str) -> str:
        return (
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\n"
            f"SUMMARY:{summary}\r\nLOCATION:Circuit de la Sarthe\\, Le Mans\\, France\r\nEND:VEVENT\r\n"
        )

    q_end = qualifying[:11] + "15" + qualifying[13:]  # 15 minutes of qualifying
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fanbot tests//fictional//EN\r\n"
        + vevent("club-q@test", qualifying, q_end, "Club 6 Hours - Qualifying - Hypercar")
        + vevent("club-race@test", "20300310T130000Z", "20300310T190000Z", "Club 6 Hours - Race")
        + "END:VCALENDAR\r\n"
    ).encode()


@dataclass
class FeedServer:
    """Serves ``body`` at /club.ics with an ETag, answering 304 to a matching If-None-Match."""

    body: bytes = field(default_factory=club_feed)
    status: int = 200
    seen: list[dict[str, str]] = field(default_factory=list)
    base: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append(dict(request.headers))
        if self.status != 200:
            return web.Response(status=self.status, text="down")
        etag = f'"{hash(self.body) & 0xFFFFFFFF:x}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=self.body, headers={"ETag": etag, "Content-Type": "text/calendar"})

    @property
    def url(self) -> str:
        return f"{self.base}/club.ics"


@dataclass
class World:
    fake: FakeDiscord
    guild: FakeGuild
    general: FakeChannel
    reminders: FakeChannel
    mod: FakeUser
    bot: FanBot
    clock: FixedClock
    feed: FeedServer

    @property
    def keeper(self) -> FeedKeeper:
        assert self.bot.feed_keeper is not None
        return self.bot.feed_keeper

    async def slash(self, command: str, options: dict[str, object] | None = None) -> str:
        result = await self.fake.slash(self.guild, self.general, self.mod, command, options or {})
        final = await result.wait_final()
        return str(final.get("content") or "") + " ".join(str(e) for e in final.get("embeds") or [])

    def posts_in(self, channel: FakeChannel) -> list[dict[str, object]]:
        return [m for m in self.fake.messages_in(channel) if m["type"] == 0]


@contextlib.asynccontextmanager
async def world_of(tmp_path: Path, template: Path, *, allow_private: bool = True) -> AsyncIterator[World]:
    feed = FeedServer()
    app = web.Application()
    app.router.add_get("/club.ics", feed.handle)
    async with serving(app) as base, world_in(tmp_path, template, feed, base, allow_private) as world:
        yield world


@contextlib.asynccontextmanager
async def world_in(
    tmp_path: Path, template: Path, feed: FeedServer, base: str, allow_private: bool
) -> AsyncIterator[World]:
    feed.base = base
    fake = FakeDiscord(bot_token=TOKEN)
    guild = fake.add_guild(name="Endurance fans")
    general = guild.add_text_channel(name="general")
    reminders = guild.add_text_channel(name="reminders")
    mod = fake.add_user(username="marshal")
    guild.add_member(
        mod, permissions=discord.Permissions(manage_events=True, view_channel=True, send_messages=True).value
    )
    db = tmp_path / "fanbot.sqlite3"
    shutil.copy(template, db)
    clock = FixedClock(T0)
    await fake.start()
    bot = FanBot(
        db, clock=clock, settings=Settings(feeds_allow_private=allow_private), guild_ready_timeout=0.1
    )
    try:
        with pointed_at(fake):
            task = asyncio.create_task(bot.start(TOKEN))
            try:
                await fake.wait_until(lambda: bot.is_ready() or task.done(), START_SECONDS, "on_ready")
                if task.done():
                    task.result()
                await fake.wait_until(lambda: bot.feed_keeper is not None, 10, "the feed keeper")
                yield World(fake, guild, general, reminders, mod, bot, clock, feed)
            finally:
                await bot.close()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(task, 10)
    finally:
        await fake.stop()
    assert fake.unknown_routes == []


async def test_a_feed_reaches_nextrace_and_reminders_and_its_moved_session_is_corrected(
    tmp_path: Path, seeded_template: Path
) -> None:
    async with world_of(tmp_path, seeded_template) as w:
        await w.slash("reminders setup", {"channel": w.reminders, "before": "1h"})
        reply = await w.slash("calendar subscribe", {"url": w.feed.url, "series": "WEC"})
        assert "Following <" + w.feed.url + ">: 1 events" in reply
        nextrace = await w.slash("nextrace")
        assert "Club 6 Hours" in nextrace
        assert "Qualifying · Hypercar" in await w.slash("race", {"event": "Club 6 Hours"})
        assert "Club 6 Hours" in await w.slash("schedule", {"series": "WEC"})

        # An hour before qualifying: the reminder is posted.
        w.clock.instant = Q_START - timedelta(minutes=59)
        assert w.bot.dispatcher is not None
        await w.bot.dispatcher.run_once()
        [reminder] = w.posts_in(w.reminders)
        assert "Club 6 Hours" in str(reminder)

        # The feed moves qualifying by two hours: at its next fetch, the correction goes
        # where the reminder went, and the calendar shows the new time.
        w.feed.body = club_feed("20300309T110000Z")
        [done] = await w.keeper.run_once()
        assert done.result == "changed"
        await w.fake.wait_until(lambda: len(w.posts_in(w.reminders)) == 2, 10, "the correction")
        correction = str(w.posts_in(w.reminders)[1])
        assert f"<t:{int(Q_MOVED.timestamp())}" in correction
        assert f"<t:{int(Q_MOVED.timestamp())}:" in await w.slash("nextrace")

        shown = await w.slash("event history", {"event": "Club 6 Hours"})
        assert "event updated by its feed" in shown
        assert "the feed" in shown
        assert "<@0>" not in shown

        # Six hours on, the feed has not changed: a 304, nothing written.
        history = await w.bot.store.editing.history(w.guild.id)
        w.clock.instant = w.clock.instant + timedelta(hours=7)
        [again] = await w.keeper.run_once()
        assert again.result == "not-modified"
        assert w.feed.seen[-1].get("If-None-Match")
        assert await w.bot.store.editing.history(w.guild.id) == history

        # A moderator's edit of the feed's event is previewed with whose word wins.
        preview = await w.slash(
            "session edit", {"event": "Club 6 Hours", "session": "race", "start": "2030-03-10 15:00"}
        )
        assert "comes from a calendar feed" in preview

        feeds = await w.slash("calendar feeds")
        assert w.feed.url in feeds
        assert "Working" in feeds
        assert "WEC · 1 events" in feeds


async def test_a_failing_feed_keeps_its_data_is_reported_and_told_once_after_a_day(
    tmp_path: Path, seeded_template: Path
) -> None:
    async with world_of(tmp_path, seeded_template) as w:
        await w.slash("reminders setup", {"channel": w.reminders})
        await w.slash("calendar subscribe", {"url": w.feed.url, "series": "WEC"})
        w.feed.status = 500
        w.clock.instant = T0 + timedelta(hours=7)
        [failed] = await w.keeper.run_once()
        assert failed.result == "failed"
        assert "Club 6 Hours" in await w.slash("nextrace")  # the last good data stays
        feeds = await w.slash("calendar feeds")
        assert "Failing since" in feeds
        assert "HTTP 500" in feeds

        # A day of failing: the next moderator's command is followed by one notice, once.
        w.clock.instant = T0 + timedelta(hours=31)
        await w.keeper.run_once()
        for _ in range(3):
            await w.slash("calendar feeds")

        def notices() -> list[dict[str, object]]:
            shown = w.fake.messages_in(w.general, include_ephemeral=True)
            return [m for m in shown if "failing for more than a day" in str(m)]

        await w.fake.wait_until(lambda: bool(notices()), 10, "the broken feed's notice")
        await w.slash("nextrace")
        await asyncio.sleep(0.5)  # any second notice would come with the commands' completion
        [notice] = notices()
        assert w.feed.url in str(notice)
        assert f"Failing for more than a day; its last good data is kept: <{w.feed.url}>" in await w.slash(
            "reminders status"
        )


async def test_a_url_into_the_bots_network_is_refused_without_the_operators_setting(
    tmp_path: Path, seeded_template: Path
) -> None:
    async with world_of(tmp_path, seeded_template, allow_private=False) as w:
        reply = await w.slash("calendar subscribe", {"url": w.feed.url, "series": "WEC"})
        assert reply.startswith("Not subscribed: ")
        assert "private or local address" in reply
        assert w.feed.seen == []  # never connected
        assert "None." in await w.slash("calendar feeds")
        assert await w.bot.store.feeds.subscriptions(w.guild.id) == []
        bad = await w.slash("calendar subscribe", {"url": "ftp://example.com/x.ics", "series": "WEC"})
        assert "Not subscribed" not in bad
        assert "http" in bad.lower()


async def test_unsubscribing_takes_the_feeds_events_away(tmp_path: Path, seeded_template: Path) -> None:
    async with world_of(tmp_path, seeded_template) as w:
        await w.slash("calendar subscribe", {"url": w.feed.url, "series": "WEC"})
        [sub] = await w.bot.store.feeds.subscriptions(w.guild.id)
        preview = await w.fake.slash(w.guild, w.general, w.mod, "calendar unsubscribe", {"feed": str(sub.id)})
        await preview.wait_final()
        confirmed = await w.fake.click(preview.final, label="Confirm", user=w.mod)
        final = await confirmed.wait_final()
        assert "No longer following" in str(final)
        own = await w.bot.store.own_events(w.guild.id)
        assert own == []
        assert "Club 6 Hours" not in await w.slash("nextrace")
        assert await w.bot.store.events(Scope(w.guild.id), series="WEC", season=2030) == []
