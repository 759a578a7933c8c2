"""A thread per race weekend, end to end in one process: the real bot (gateway and REST)
against the fake Discord, its reminders driven on a fixed clock.

``/reminders setup threads:true``: the qualifying reminder opens a thread named for the
event, the race reminder and a correction go in it, and the archive pass closes it after
the race; in a forum, the first reminder is a post tagged with the series. Without the
thread permissions reminders go in the channel and ``/reminders status`` says why. Two
processes open one thread, and a process that died between Discord creating the thread
and recording it leaves one thread, found again by the next."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import pytest

from fanbot.bot.app import FanBot
from fanbot.bot.cogs.weekend_threads import WeekendThreadsCog
from fanbot.bot.courier import DiscordCourier
from fanbot.calendar_files.catalog import shipped_catalog
from fanbot.clock import FixedClock
from fanbot.domain.localtime import parse_instant
from fanbot.domain.model import Event, SessionKind
from fanbot.domain.reminders import DeliveryKey, Target
from fanbot.reminders.dispatcher import Delivered, Notice
from fanbot.reminders.planner import delivery_nonce
from fanbot.reminders.weekend_threads import ARCHIVE_AFTER, weekend_ends
from fanbot.store import Store
from testing.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeUser, pointed_at
from testing.fakediscord.permissions import DEFAULT_BOT_PERMISSIONS
from testing.fakediscord.thread_routes import CREATE_PUBLIC_THREADS, THREAD_CREATED
from tests.support.reminder_world import drive, weekend

TOKEN = "fake-token"
GUILD_ID = 1_180_000_000_000_000_001
GENERAL_ID = 1_180_000_000_000_000_010
REMINDERS_ID = 1_180_000_000_000_000_011
FORUM_ID = 1_180_000_000_000_000_012
MOD_ID = 1_180_000_000_000_000_100
# Le Mans (Europe/Paris, UTC+1 in January): qualifying 09:00Z, race 13:00Z.
SESSIONS = [("qualifying", "2026-01-01", "10:00"), ("race", "2026-01-01", "14:00")]
Q_START = parse_instant("2026-01-01T09:00:00Z")
R_START = parse_instant("2026-01-01T13:00:00Z")
NAME = "Club 6 Hours 2026"
START_SECONDS = 30.0


class QuietBot(FanBot):
    """The bot without its own reminder loop: the tests drive the dispatcher themselves."""

    async def _start_reminders(self) -> None:
        return None


@dataclass
class World:
    fake: FakeDiscord
    guild: FakeGuild
    general: FakeChannel
    reminders: FakeChannel
    forum: FakeChannel
    mod: FakeUser
    bot: FanBot
    clock: FixedClock

    @property
    def store(self) -> Store:
        return self.bot.store

    async def setup(self, channel: FakeChannel, **options: Any) -> Any:
        result = await self.fake.slash(
            self.guild,
            self.general,
            self.mod,
            "reminders setup",
            {"channel": channel, "green_flag": False, **options},
        )
        return await result.wait_final()

    async def status(self) -> str:
        result = await self.fake.slash(self.guild, self.general, self.mod, "reminders status")
        final = await result.wait_final()
        return str(final["embeds"][0]["description"])

    async def until(self, instant: Any) -> None:
        assert self.bot.dispatcher is not None
        await drive(self.bot.dispatcher, self.clock, instant)

    async def event(self) -> Event:
        [found] = await self.store.own_events(GUILD_ID)
        return found

    async def notice(self, kind: SessionKind, *, lead: int = 60) -> Notice:
        """The reminder the dispatcher would hand a courier for ``kind``."""
        event = await self.event()
        session = next(s for s in event.sessions if s.kind is kind)
        assert session.start is not None
        target = Target("guild", GUILD_ID)
        key = DeliveryKey(target, session.id, lead, session.start)
        setup = await self.store.reminders.setup(GUILD_ID)
        return Notice(target, event, session, lead, False, delivery_nonce(key), setup, None)

    def titles(self, channel_id: int) -> list[str]:
        return [m["embeds"][0]["title"] for m in self.fake.messages_in(channel_id) if m["embeds"]]

    def thread_posts(self) -> list[Any]:
        return self.fake.requests_to("POST", "/channels/*/threads")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database seeded with the shipped catalog once for the module (seeding takes a
    second; each test starts from a copy)."""
    path = tmp_path_factory.mktemp("seeded") / "fanbot.sqlite3"

    async def seed() -> None:
        store = await Store.open(path, seed=shipped_catalog())
        await store.close()

    asyncio.run(seed())
    return path


WorldFactory = Callable[..., contextlib.AbstractAsyncContextManager[World]]


@pytest.fixture
def world(seeded: Path, tmp_path: Path) -> WorldFactory:
    @contextlib.asynccontextmanager
    async def build(*, thread_permissions: bool = True) -> AsyncIterator[World]:
        fake = FakeDiscord(bot_token=TOKEN)
        guild = fake.add_guild(
            GUILD_ID, name="Endurance fans", bot_permissions=DEFAULT_BOT_PERMISSIONS | CREATE_PUBLIC_THREADS
        )
        general = guild.add_text_channel(GENERAL_ID, "general")
        reminders = guild.add_text_channel(REMINDERS_ID, "race-reminders")
        if not thread_permissions:
            # Known to the bot from its first GUILD_CREATE.
            reminders.set_overwrite(guild.bot_member, deny=CREATE_PUBLIC_THREADS)
        forum = fake.add_forum_channel(guild, FORUM_ID, "race-weekends", tags=("IMSA", "WEC", "ELMS"))
        mod = fake.add_user(MOD_ID, "marshal")
        guild.add_member(
            mod,
            permissions=discord.Permissions(manage_events=True, view_channel=True, send_messages=True).value,
        )
        db = tmp_path / "fanbot.sqlite3"
        shutil.copy(seeded, db)
        clock = FixedClock(parse_instant("2025-12-31T12:00:00Z"))
        await fake.start()
        try:
            with pointed_at(fake):
                bot = QuietBot(db, clock=clock, guild_ready_timeout=0.1)
                runner = asyncio.create_task(bot.start(TOKEN))
                try:
                    await fake.wait_until(lambda: bot.is_ready() or runner.done(), START_SECONDS, "on_ready")
                    if runner.done():
                        runner.result()
                    race = weekend(
                        "club-6h", SESSIONS, name="Club 6 Hours", watch_url="https://example.org/live"
                    )
                    await bot.store.import_catalog(race, guild_id=GUILD_ID)
                    yield World(fake, guild, general, reminders, forum, mod, bot, clock)
                    assert fake.unknown_routes == []
                finally:
                    await bot.close()
                    with contextlib.suppress(asyncio.CancelledError):
                        await asyncio.wait_for(runner, 10)
        finally:
            await fake.stop()

    return build


async def test_a_weekends_reminders_and_correction_land_in_its_thread_which_is_archived_after_the_race(
    world: WorldFactory,
) -> None:
    async with world() as w:
        reply = await w.setup(w.reminders, threads=True)
        assert "One thread per race weekend: yes" in reply["embeds"][0]["description"]

        await w.until(Q_START - timedelta(hours=1))
        [thread] = w.fake.threads_in(w.reminders)
        assert (thread.name, thread.owner_id, thread.auto_archive_duration) == (NAME, w.bot.user.id, 4320)
        assert w.titles(thread.id) == [f"{NAME}: Qualifying starts in 1 hour"]
        # The channel shows Discord's "started a thread" line, not the reminder itself.
        assert [m["type"] for m in w.fake.messages_in(w.reminders)] == [THREAD_CREATED]

        await w.until(R_START - timedelta(hours=1))
        assert w.fake.threads_in(w.reminders) == [thread]
        assert w.titles(thread.id)[-1] == f"{NAME}: Race starts in 1 hour"
        assert len(w.thread_posts()) == 1
        sent = await w.store.reminders.deliveries_of(Target("guild", GUILD_ID))
        assert [d.channel_id for d in sent] == [thread.id, thread.id]

        # The race is moved after its reminder went out: the correction goes where it went.
        before = await w.event()
        moved = tuple(
            replace(s, start=R_START + timedelta(hours=2)) if s.kind is SessionKind.RACE else s
            for s in before.sessions
        )
        await w.bot.event_changed(GUILD_ID, before, replace(before, sessions=moved))
        last = w.fake.messages_in(thread.id)[-1]
        assert last["content"].startswith(f"Correction: {NAME}, Race now starts")
        assert [m["type"] for m in w.fake.messages_in(w.reminders)] == [THREAD_CREATED]

        cog = w.bot.get_cog("WeekendThreadsCog")
        assert isinstance(cog, WeekendThreadsCog)
        over = weekend_ends(before)
        assert over is not None
        assert await cog.threads.archive_finished(over + ARCHIVE_AFTER - timedelta(minutes=1)) == 0
        assert not thread.archived
        assert await cog.threads.archive_finished(over + ARCHIVE_AFTER) == 1
        assert thread.archived
        assert not thread.locked  # a late correction may still reopen it
        [patch] = w.fake.requests_to("PATCH", f"/channels/{thread.id}")
        assert patch.json["archived"] is True
        [row] = await w.store.weekend_threads.threads_of(GUILD_ID)
        assert row.archived_at == over + ARCHIVE_AFTER
        assert await cog.threads.archive_finished(over + ARCHIVE_AFTER + timedelta(hours=1)) == 0


async def test_in_a_forum_the_first_reminder_is_a_post_tagged_with_the_series(world: WorldFactory) -> None:
    async with world() as w:
        reply = await w.setup(w.forum)  # a forum holds posts only: threads without asking
        assert "One thread per race weekend: yes" in reply["embeds"][0]["description"]
        assert (await w.store.reminders.setup(GUILD_ID)).threads

        await w.until(R_START - timedelta(hours=1))

        [post] = w.fake.threads_in(w.forum)
        wec = next(t for t in w.forum.available_tags if t["name"] == "WEC")
        assert (post.name, post.applied_tags) == (NAME, [int(wec["id"])])
        first, second = w.fake.messages_in(post.id)
        assert int(first["id"]) == post.id  # the post's own message is the first reminder
        assert first["embeds"][0]["title"] == f"{NAME}: Qualifying starts in 1 hour"
        assert second["embeds"][0]["title"] == f"{NAME}: Race starts in 1 hour"
        [create] = w.thread_posts()
        assert create.json["message"]["allowed_mentions"]["parse"] == []


async def test_without_thread_permissions_reminders_go_in_the_channel_and_status_says_why(
    world: WorldFactory,
) -> None:
    async with world(thread_permissions=False) as w:
        reply = await w.setup(w.reminders, threads=True)
        fields = {f["name"]: f["value"] for f in reply["embeds"][0]["fields"]}
        assert "I lack Create Public Threads" in fields["Threads"]

        await w.until(Q_START - timedelta(hours=1))

        assert w.fake.threads_in(w.reminders) == []
        assert w.thread_posts() == []  # known from the cache: no refused request
        assert w.titles(w.reminders.id) == [f"{NAME}: Qualifying starts in 1 hour"]
        status = await w.status()
        assert "Reminders go in the channel itself, not in threads" in status
        assert "Create Public Threads" in status


async def test_a_permission_discord_refuses_though_the_cache_allowed_it_falls_back_to_the_channel(
    world: WorldFactory,
) -> None:
    async with world() as w:
        await w.setup(w.reminders, threads=True)
        # Taken away without the bot hearing of it: only Discord's answer tells.
        w.reminders.set_overwrite(w.guild.bot_member, deny=CREATE_PUBLIC_THREADS)

        await w.until(R_START - timedelta(hours=1))

        assert w.fake.threads_in(w.reminders) == []
        assert [r.status for r in w.thread_posts()] == [403, 403]  # tried again for the race
        assert w.titles(w.reminders.id) == [
            f"{NAME}: Qualifying starts in 1 hour",
            f"{NAME}: Race starts in 1 hour",
        ]
        assert "Missing Permissions" in await w.status()


async def test_two_processes_posting_one_weekend_at_once_open_one_thread(world: WorldFactory) -> None:
    async with world() as w:
        await w.setup(w.reminders, threads=True)
        w.clock.instant = Q_START - timedelta(minutes=30)
        qualifying, race = await w.notice(SessionKind.QUALIFYING), await w.notice(SessionKind.RACE)
        # Each courier stands for a process: its own claims, its own locks.
        results = await asyncio.gather(
            DiscordCourier(w.bot).deliver(qualifying), DiscordCourier(w.bot).deliver(race)
        )
        # The one that waited is told to try again soon; it then posts in the thread.
        waiting = [
            n for n, r in zip((qualifying, race), results, strict=True) if not isinstance(r, Delivered)
        ]
        for notice in waiting:
            assert isinstance(await DiscordCourier(w.bot).deliver(notice), Delivered)

        [thread] = w.fake.threads_in(w.reminders)
        assert len(w.fake.messages_in(thread.id)) == 2
        assert len(w.thread_posts()) == 1


@pytest.mark.parametrize("channel", ["text", "forum"])
async def test_a_thread_created_by_a_process_that_died_before_recording_it_is_found_not_made_twice(
    world: WorldFactory, channel: str
) -> None:
    async with world() as w:
        parent = w.reminders if channel == "text" else w.forum
        await w.setup(parent, threads=True)
        w.clock.instant = Q_START - timedelta(hours=1)
        notice = await w.notice(SessionKind.QUALIFYING)
        # Discord creates the thread; the process dies before it hears back.
        w.fake.hold_after_accept("POST", f"/channels/{parent.id}/threads")
        dying = asyncio.create_task(DiscordCourier(w.bot).deliver(notice))
        await w.fake.wait_held()
        dying.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await dying
        w.fake.release_held()
        w.clock.instant += timedelta(minutes=2)  # past its claim's lease

        outcome = await DiscordCourier(w.bot).deliver(notice)

        [thread] = w.fake.threads_in(parent)
        assert len(w.thread_posts()) == 1
        assert w.fake.requests_to("GET", f"/guilds/{GUILD_ID}/threads/active")
        assert isinstance(outcome, Delivered)
        assert outcome.channel_id == thread.id
        # The reminder once: a forum post already held it; a text thread gets it now.
        assert w.titles(thread.id) == [f"{NAME}: Qualifying starts in 1 hour"]
        assert (
            await w.store.weekend_threads.thread(GUILD_ID, notice.event.id, parent.id)
        ).thread_id == thread.id


@pytest.mark.parametrize("channel", ["text", "forum"])
async def test_after_a_moderator_deletes_the_thread_the_weekend_goes_on_in_the_channel_or_a_new_post(
    world: WorldFactory, channel: str
) -> None:
    async with world() as w:
        parent = w.reminders if channel == "text" else w.forum
        await w.setup(parent, threads=True)
        await w.until(Q_START - timedelta(hours=1))
        [thread] = w.fake.threads_in(parent)
        w.fake.delete_thread(thread)

        await w.until(R_START - timedelta(hours=1))

        race = f"{NAME}: Race starts in 1 hour"
        if channel == "text":
            # Not a new thread against the moderator's choice: the channel, as without threads.
            assert w.fake.threads_in(parent) == []
            assert w.titles(parent.id) == [race]
            assert len(w.thread_posts()) == 1
        else:
            # A forum has no channel to post in: the weekend gets a new post.
            [again] = w.fake.threads_in(parent)
            assert again.id != thread.id
            assert w.titles(again.id) == [race]


async def test_a_thread_left_unrecorded_and_since_archived_is_found_among_the_archived_and_reopened(
    world: WorldFactory,
) -> None:
    async with world() as w:
        await w.setup(w.reminders, threads=True)
        event = await w.event()
        # A process claimed the thread, created it and stopped; Discord archived it meanwhile.
        stopped = w.clock.now()
        await w.store.weekend_threads.claim(
            GUILD_ID,
            event.id,
            REMINDERS_ID,
            owner="stopped",
            now=stopped,
            lease_until=stopped + timedelta(minutes=1),
        )
        earlier = w.fake.add_thread(w.reminders, NAME, archived=True)
        w.fake.add_thread(w.reminders, NAME, owner=w.mod)  # a member's namesake is not fanbot's

        await w.until(Q_START - timedelta(hours=1))

        assert len(w.fake.threads_in(w.reminders)) == 2
        assert w.thread_posts() == []
        assert w.titles(earlier.id) == [f"{NAME}: Qualifying starts in 1 hour"]
        assert not earlier.archived  # posting in it reopened it, as on Discord
        assert w.fake.requests_to("GET", f"/channels/{REMINDERS_ID}/threads/archived/public")
