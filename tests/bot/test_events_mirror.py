"""/events mirror on|off|status and the sync behind it: the bot in this process against
the fake Discord (its scheduled event routes), on the real clock, with made-up ALMS races
a few days ahead. Every change is waited for in the fake's state, never timed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord

from fanbot.bot.app import FanBot
from fanbot.bot.cogs.events_mirror import EventsMirrorCog
from fanbot.domain.mirror import MIRROR_CAP
from fanbot.store import Scope
from testing.fakediscord import FakeDiscord, FakeGuild, FakeUser, pointed_at
from testing.fakediscord.permissions import DEFAULT_BOT_PERMISSIONS
from testing.fakediscord.scheduled_event_routes import CREATE_EVENTS
from tests.support.mirror_world import (
    ZONE,
    Weekend,
    at_two_pm,
    by_name,
    guild_catalog,
    live,
    marker_of,
    starts,
)

TOKEN = "fake-token"
GUILD_ID = 1_300_000_000_000_000_001
START_SECONDS = 60.0
WAIT = 10.0

A = Weekend("mirror-a", "Mirror Sprint A (fictional)", days=2)
B = Weekend("mirror-b", "Mirror Sprint B (fictional)", days=9)
LATER = Weekend("mirror-later", "Mirror Sprint Later (fictional)", days=20)
OFF = Weekend("mirror-off", "Mirror Sprint Off (fictional)", days=5, status="cancelled")


@dataclass
class World:
    fake: FakeDiscord
    guild: FakeGuild
    channel: Any
    mod: FakeUser
    fan: FakeUser
    bot: FanBot
    now: datetime

    @property
    def cog(self) -> EventsMirrorCog:
        cog = self.bot.get_cog("EventsMirrorCog")
        assert isinstance(cog, EventsMirrorCog)
        return cog

    def events(self) -> list[dict[str, Any]]:
        return self.fake.scheduled_events_in(self.guild)

    async def until_events(self, count: int, what: str = "the mirror's Discord events") -> None:
        """Until the Events tab holds ``count`` live events and the bot recorded each
        (the bot writes its row once Discord's answer is in)."""
        await self.fake.wait_until(lambda: len(live(self.events())) == count, WAIT, what)

        async def recorded() -> bool:
            return (await self.states()).count("scheduled") == count

        await self.until(recorded, f"{what}, recorded")

    async def until(self, check: Callable[[], Awaitable[bool]], what: str) -> None:
        """Until an async ``check`` (a read of the bot's store) holds."""
        deadline = asyncio.get_running_loop().time() + WAIT
        while not await check():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)

    async def states(self) -> list[str]:
        return [r.state for r in await self.bot.store.mirror.mirrored(GUILD_ID)]

    async def stopped(self) -> bool:
        setup = await self.bot.store.mirror.setup(GUILD_ID)
        return setup is not None and setup.broken

    async def synced(self) -> None:
        """Until the sync loop went round once more (a sync asked for before is done)."""
        seen = self.cog.sync.passes
        self.cog.sync.calendar_changed(self.guild.id)
        await self.fake.wait_until(lambda: self.cog.sync.passes > seen, WAIT, "a sync pass")

    async def slash(self, command: str, user: FakeUser | None = None, **options: Any) -> str:
        result = await self.fake.slash(self.guild, self.channel, user or self.mod, command, options)
        final = await result.wait_final()
        return str(final.get("content") or "") + str(final.get("embeds") or "")

    async def confirmed(self, command: str, **options: Any) -> None:
        """A moderator's previewed change, confirmed (as ``/event postpone`` and friends)."""
        preview = await self.fake.slash(self.guild, self.channel, self.mod, command, options)
        await preview.wait_final()
        done = await self.fake.click(preview.final, label="Confirm", user=self.mod)
        await done.wait_final()


def world_fake(*, permissions: int = DEFAULT_BOT_PERMISSIONS | CREATE_EVENTS) -> tuple[FakeDiscord, Any]:
    fake = FakeDiscord(bot_token=TOKEN)
    guild = fake.add_guild(GUILD_ID, name="Endurance fans", bot_permissions=permissions)
    return fake, guild


@contextlib.asynccontextmanager
async def running(
    tmp_path: Path, weekends: list[Weekend], *, permissions: int = DEFAULT_BOT_PERMISSIONS | CREATE_EVENTS
) -> AsyncIterator[World]:
    fake, guild = world_fake(permissions=permissions)
    channel = guild.add_text_channel(name="general")
    mod = fake.add_user(username="marshal")
    fan = fake.add_user(username="fan")
    guild.add_member(mod, permissions=discord.Permissions(manage_events=True, view_channel=True).value)
    guild.add_member(fan)
    await fake.start()
    now = datetime.now(UTC)
    bot = FanBot(tmp_path / "fanbot.sqlite3", guild_ready_timeout=0.1)
    try:
        with pointed_at(fake):
            runner = asyncio.create_task(bot.start(TOKEN))
            try:
                await fake.wait_until(lambda: bot.is_ready() or runner.done(), START_SECONDS, "on_ready")
                if runner.done():
                    runner.result()
                await bot.store.import_catalog(guild_catalog(weekends, now), guild_id=GUILD_ID)
                yield World(fake, guild, channel, mod, fan, bot, now)
            finally:
                await bot.close()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(runner, 10)
    finally:
        await fake.stop()


def scheduled_requests(fake: FakeDiscord) -> list[Any]:
    return fake.requests_to("*", "/guilds/*/scheduled-events*")


async def test_on_puts_the_races_of_the_next_two_weeks_in_the_events_tab(tmp_path: Path) -> None:
    async with running(tmp_path, [A, B, LATER, OFF]) as w:
        reply = await w.slash("events mirror on", series="ALMS")
        await w.until_events(2)
        shown = by_name(w.events())
        rows = await w.bot.store.mirror.mirrored(GUILD_ID)
        own = {e.key: e for e in await w.bot.store.own_events(GUILD_ID)}

    assert "appear in this server's Events tab, 2 of them now" in reply
    assert sorted(shown) == [f"{A.name} {A.race_start(w.now).year}", f"{B.name} {B.race_start(w.now).year}"]
    a = shown[f"{A.name} {A.race_start(w.now).year}"]
    race = own[A.key].race
    assert race is not None
    assert race.start is not None
    assert (a["entity_type"], a["privacy_level"], a["channel_id"]) == (3, 2, None)
    assert a["entity_metadata"] == {"location": "Circuit de la Sarthe, France"}
    assert starts(a) == race.start == A.race_start(w.now)
    # No length is known for these races: the end is the series' usual one (ALMS: 2 h 45).
    assert datetime.fromisoformat(a["scheduled_end_time"]) - race.start == timedelta(minutes=165)
    description = a["description"]
    for session in own[A.key].sessions:
        assert session.start is not None
        assert f"<t:{int(session.start.timestamp())}:F>" in description
    assert "Length: about 2 h 45 min (estimate)" in description
    assert "How to watch: https://example.org/watch" in description
    assert marker_of(a) == (own[A.key].id, race.id)
    assert len(description) <= 1000
    assert sorted((r.event_id, r.state) for r in rows) == sorted(
        (own[k].id, "scheduled") for k in (A.key, B.key)
    )


async def test_a_sync_with_nothing_changed_sends_no_request(tmp_path: Path) -> None:
    async with running(tmp_path, [A, B]) as w:
        await w.slash("events mirror on")
        await w.until_events(2)
        await w.synced()
        before = len(scheduled_requests(w.fake))
        writes = w.bot.store.writes_begun
        await w.synced()
        await w.synced()
        after = len(scheduled_requests(w.fake))
        written = w.bot.store.writes_begun - writes

    assert after == before
    assert written == 0  # not even a note that it looked: a write wakes every other process


async def test_moving_cancelling_and_removing_follow_the_calendar(tmp_path: Path) -> None:
    c = Weekend("mirror-c", "Mirror Sprint C (fictional)", days=4)
    async with running(tmp_path, [A, B, c]) as w:
        await w.slash("events mirror on", series="ALMS")
        await w.until_events(3)
        ids = {e["name"].split(" (")[0]: e["id"] for e in w.events()}
        local = at_two_pm(w.now + timedelta(days=3)).astimezone(ZONE)
        await w.confirmed("event postpone", event=A.name, race=f"{local:%Y-%m-%d %H:%M}")
        await w.fake.wait_until(
            lambda: (
                starts(w.fake.scheduled_event(w.guild, ids["Mirror Sprint A"]) or {}) != A.race_start(w.now)
            ),
            WAIT,
            "the moved race's event",
        )
        await w.confirmed("event cancel", event=B.name)
        await w.fake.wait_until(
            lambda: (w.fake.scheduled_event(w.guild, ids["Mirror Sprint B"]) or {}).get("status") == 4,
            WAIT,
            "the cancelled race's event",
        )
        await w.confirmed("event remove", event=c.name)
        await w.fake.wait_until(
            lambda: w.fake.scheduled_event(w.guild, ids["Mirror Sprint C"]) is None, WAIT, "the removed race"
        )
        moved = w.fake.scheduled_event(w.guild, ids["Mirror Sprint A"])

        async def forgotten() -> bool:
            return len(await w.states()) == 2

        await w.until(forgotten, "the removed race's row forgotten")
        rows = {r.discord_event_id: r.state for r in await w.bot.store.mirror.mirrored(GUILD_ID)}

    assert moved is not None
    assert starts(moved) == local
    assert rows == {int(ids["Mirror Sprint A"]): "scheduled", int(ids["Mirror Sprint B"]): "cancelled"}
    # Nothing was created twice: three creates, one edit, one cancel, one delete.
    methods = [r.method for r in scheduled_requests(w.fake) if r.method != "GET"]
    assert sorted(methods) == ["DELETE", "PATCH", "PATCH", "POST", "POST", "POST"]


async def test_an_event_the_bot_made_before_a_crash_is_adopted_not_made_again(tmp_path: Path) -> None:
    async with running(tmp_path, [A]) as w:
        [event] = await w.bot.store.own_events(GUILD_ID)
        race = event.race
        assert race is not None
        assert race.start is not None
        # Discord created it, the bot died before recording it: only the marker says whose it is.
        orphan = w.fake.add_scheduled_event(
            w.guild,
            name="half made",
            start=race.start,
            end=race.start + timedelta(hours=1),
            creator=w.fake.bot_user,
            description=f"old text\n\nfanbot:{event.id}/{race.id}",
        )
        await w.slash("events mirror on")
        await w.fake.wait_until(
            lambda: (w.fake.scheduled_event(w.guild, orphan["id"]) or {}).get("name") != "half made",
            WAIT,
            "the adopted event's edit",
        )

        async def adopted() -> bool:
            return await w.states() == ["scheduled"]

        await w.until(adopted, "the adopted event recorded")
        rows = await w.bot.store.mirror.mirrored(GUILD_ID)

    assert [e["id"] for e in w.events()] == [orphan["id"]]
    assert [r.discord_event_id for r in rows] == [int(orphan["id"])]
    assert not w.fake.requests_to("POST", "/guilds/*/scheduled-events")


async def test_on_without_create_events_is_refused_with_what_to_grant(tmp_path: Path) -> None:
    async with running(tmp_path, [A], permissions=DEFAULT_BOT_PERMISSIONS) as w:
        reply = await w.slash("events mirror on")
        setup = await w.bot.store.mirror.setup(GUILD_ID)

    assert "I need the Create Events permission" in reply
    assert setup is None
    assert w.events() == []


async def test_on_is_refused_when_the_window_would_pass_discords_cap(tmp_path: Path) -> None:
    async with running(tmp_path, [A, B]) as w:
        owner = w.fake.add_user(username="organiser")
        for n in range(MIRROR_CAP - 1):  # 94 of the server's own: with 2 races, 96 > 95
            w.fake.add_scheduled_event(
                w.guild, name=f"Movie night {n}", start=w.now + timedelta(days=30),
                end=w.now + timedelta(days=30, hours=2), creator=owner,
            )  # fmt: skip
        reply = await w.slash("events mirror on")
        setup = await w.bot.store.mirror.setup(GUILD_ID)

    assert "this server has 94 other scheduled events" in reply
    assert "Discord's limit of 100 events" in reply
    assert setup is None
    assert not w.fake.requests_to("POST", "/guilds/*/scheduled-events")


async def test_creates_stop_below_the_cap_and_status_says_how_many_were_left_out(tmp_path: Path) -> None:
    async with running(tmp_path, [A, B]) as w:
        owner = w.fake.add_user(username="organiser")
        for n in range(MIRROR_CAP - 1):
            w.fake.add_scheduled_event(
                w.guild, name=f"Movie night {n}", start=w.now + timedelta(days=30),
                end=w.now + timedelta(days=30, hours=2), creator=owner,
            )  # fmt: skip
        # Turned on before the server filled up (the check at /events mirror on passed).
        await w.bot.store.mirror.turn_on(GUILD_ID, series=(), days=14, by=None, now=w.now)
        await w.synced()
        status = await w.slash("events mirror status")

    assert len(live(w.events())) == MIRROR_CAP
    assert len(w.fake.requests_to("POST", "/guilds/*/scheduled-events")) == 1
    assert "1 race is not shown" in status
    assert "1 race in the Events tab" in status


async def test_a_permission_lost_later_stops_the_mirror_and_one_moderator_is_told(tmp_path: Path) -> None:
    async with running(tmp_path, [A, B]) as w:
        await w.slash("events mirror on")
        await w.until_events(2)
        w.guild.bot_role.permissions &= ~CREATE_EVENTS  # an admin took it away
        [event] = [e for e in await w.bot.store.own_events(GUILD_ID) if e.key == A.key]
        await w.bot.store.import_catalog(
            guild_catalog([Weekend(A.key, A.name, days=3)], w.now), guild_id=GUILD_ID
        )
        after = await w.bot.store.event(Scope(GUILD_ID), event.id)
        await w.bot.event_changed(GUILD_ID, event, after)
        await w.fake.wait_until(
            lambda: w.fake.requests_to("PATCH", "/guilds/*/scheduled-events/*"), WAIT, "the refused edit"
        )
        await w.until(w.stopped, "the mirror stopping")
        first = await w.fake.slash(w.guild, w.channel, w.mod, "reminders status", {})
        await first.wait_followups(1)
        second = await w.fake.slash(w.guild, w.channel, w.mod, "reminders status", {})
        await second.wait_final()
        fan = await w.fake.slash(w.guild, w.channel, w.fan, "nextrace", {})
        await fan.wait_final()
        status = await w.slash("events mirror status")
        requests_after_stop = len(scheduled_requests(w.fake))
        await w.synced()

    told = str(first.followups[-1].get("content"))
    assert "The events mirror stopped: Discord refused a change (403" in told
    assert "Create Events permission" in told
    assert second.followups == []
    assert fan.followups == []
    assert "The events mirror stopped" in status
    # Stopped: no more requests for this server until a moderator turns it on again.
    assert len(scheduled_requests(w.fake)) == requests_after_stop


async def test_off_removes_the_races_to_come(tmp_path: Path) -> None:
    async with running(tmp_path, [A, B]) as w:
        await w.slash("events mirror on")
        await w.until_events(2)
        reply = await w.slash("events mirror off")
        await w.until_events(0, "the races' events removed")
        rows = await w.bot.store.mirror.mirrored(GUILD_ID)
        status = await w.slash("events mirror status")

    assert "The events mirror is off" in reply
    assert rows == []
    assert "The events mirror is off" in status


async def test_an_event_someone_deleted_by_hand_is_not_made_again_until_on(tmp_path: Path) -> None:
    async with running(tmp_path, [A, B]) as w:
        await w.slash("events mirror on")
        await w.until_events(2)
        [gone] = [e for e in w.events() if e["name"].startswith(A.name)]
        del w.fake.scheduled_events[GUILD_ID][int(gone["id"])]  # a moderator deleted it in Discord
        [event] = [e for e in await w.bot.store.own_events(GUILD_ID) if e.key == A.key]
        await w.bot.store.import_catalog(
            guild_catalog([Weekend(A.key, A.name, days=3)], w.now), guild_id=GUILD_ID
        )
        await w.bot.event_changed(GUILD_ID, event, await w.bot.store.event(Scope(GUILD_ID), event.id))
        await w.until(lambda: _has_gone(w), "the deleted event's mark")
        kept = len(live(w.events()))
        await w.slash("events mirror on")
        await w.until_events(2, "the race made again")

    assert kept == 1


async def _has_gone(w: World) -> bool:
    return "gone" in await w.states()


async def test_a_race_a_moderator_adds_appears_at_once_not_at_the_next_periodic_sync(tmp_path: Path) -> None:
    async with running(tmp_path, [A]) as w:
        await w.slash("events mirror on")
        await w.until_events(1)
        local = at_two_pm(w.now + timedelta(days=6)).astimezone(ZONE)
        await w.confirmed(
            "event add",
            name="Mirror Sprint Added (fictional)",
            series="ALMS",
            circuit="Sarthe",
            race=f"{local:%Y-%m-%d %H:%M}",
        )
        # Well within the 10 minutes between periodic syncs.
        await w.until_events(2, "the added race's Discord event")
        shown = by_name(w.events())

    assert any(name.startswith("Mirror Sprint Added (fictional)") for name in shown)
