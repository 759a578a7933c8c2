"""Pings by series through the real bot against the fake Discord, in-process: a moderator
posts the series menu, a member picks in it and gets the role, and each channel reminder
mentions the role of its event's series and only it. A role the bot cannot give, a
permission missing, a role deleted: each gets a clear message, never a silent failure;
the menu works after a restart.

The bot runs on a fixed clock; a reminder is sent by moving the clock to its due time and
waking the dispatcher. The made-up weekends race at Le Mans on 2030-03-01 (UTC+1)."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from fanbot.bot.app import FanBot
from fanbot.calendar_files.catalog import parse_catalog
from fanbot.clock import FixedClock
from fanbot.config import Settings, catalog_path
from fanbot.domain.catalog import Catalog
from fanbot.domain.localtime import parse_instant
from testing.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeRole, FakeUser, pointed_at
from testing.fakediscord.permissions import DEFAULT_BOT_PERMISSIONS, MANAGE_ROLES

TOKEN = "fake-token"
GUILD_ID = 1_180_000_000_000_000_001
# Seeding the store with the catalog comes first; a loaded machine is slow at it.
START_SECONDS = 60.0
START = parse_instant("2030-03-01T07:00:00Z")
IMSA_RACE = parse_instant("2030-03-01T10:00:00Z")  # 11:00 at Le Mans
WEC_RACE = parse_instant("2030-03-01T11:00:00Z")
LEAD = timedelta(hours=1)
MANAGE_EVENTS = 1 << 33


async def until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Until ``check()`` (a look at the bot's store) holds: a listener writes it after the
    gateway event that the fake sent."""
    for _ in range(500):  # 10 s
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def weekends() -> Catalog:
    """The guild's own calendar: an IMSA race and, an hour later, a WEC one."""
    raw = copy.deepcopy(json.loads(catalog_path().read_text(encoding="utf-8")))
    raw["events"] = [
        {
            "key": key,
            "series": series,
            "season": 2030,
            "name": name,
            "circuit": "la-sarthe",
            "status": "scheduled",
            "sessions": [{"kind": "race", "date": "2030-03-01", "time": time}],
        }
        for key, series, name, time in [
            ("club-imsa", "IMSA", "Club IMSA Sprint", "11:00"),
            ("club-wec", "WEC", "Club WEC 6 Hours", "12:00"),
        ]
    ]
    return parse_catalog(raw)


@dataclass
class RolesWorld:
    """The fake with a guild (the bot may manage roles), its general and reminder channels,
    a moderator and a fan; the bot, on a fixed clock, once started."""

    fake: FakeDiscord
    guild: FakeGuild
    general: FakeChannel
    reminders: FakeChannel
    mod: FakeUser
    fan: FakeUser
    clock: FixedClock
    db_path: Path
    bot: FanBot | None = None

    async def slash(self, command: str, options: dict[str, Any] | None = None, **kw: Any) -> Any:
        return await self.fake.slash(self.guild, self.general, self.mod, command, options, **kw)

    async def reply(self, command: str, options: dict[str, Any] | None = None) -> str:
        """What the moderator reads after ``command``: content, or embed title and text."""
        result = await self.slash(command, options)
        final = await result.wait_final(timeout=10)
        parts = [final.get("content") or ""]
        for embed in final.get("embeds") or []:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields") or []]
        return "\n".join(p for p in parts if p)

    def menu(self) -> dict[str, Any]:
        return next(m for m in self.fake.messages_in(self.general) if m.get("components"))

    async def pick(self, *series: str, locale: str = "en-US") -> str:
        result = await self.fake.click(
            self.menu(), "fanbot:series-roles", user=self.fan, values=list(series), locale=locale
        )
        final = await result.wait_final(timeout=10)
        assert result.ephemeral
        return str(final["content"])

    def role(self, name: str) -> FakeRole:
        return next(r for r in self.guild.roles.values() if r.name == name)

    async def reminder_at(self, due: Any) -> dict[str, Any]:
        """Move the clock to ``due``, wake the dispatcher: the reminder it posts."""
        seen = len(self.fake.messages_in(self.reminders))
        self.clock.instant = due
        assert self.bot is not None
        assert self.bot.dispatcher is not None
        self.bot.dispatcher.wake()
        await self.fake.wait_until(
            lambda: len(self.fake.messages_in(self.reminders)) > seen, 10, "the reminder"
        )
        return self.fake.messages_in(self.reminders)[-1]


@contextlib.asynccontextmanager
async def running(world: RolesWorld) -> AsyncIterator[FanBot]:
    bot = FanBot(world.db_path, settings=Settings(), clock=world.clock, guild_ready_timeout=0.1)
    with pointed_at(world.fake):
        runner = asyncio.create_task(bot.start(TOKEN))
        try:
            await world.fake.wait_until(
                lambda: bot.is_ready() or runner.done(), START_SECONDS, "the bot's on_ready"
            )
            if runner.done():
                runner.result()
            world.bot = bot
            yield bot
        finally:
            world.bot = None
            await bot.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(runner, 10)


async def make_world(db_path: Path, *, manage_roles: bool = True) -> AsyncIterator[RolesWorld]:
    fake = FakeDiscord(bot_token=TOKEN)
    permissions = DEFAULT_BOT_PERMISSIONS | (MANAGE_ROLES if manage_roles else 0)
    guild = fake.add_guild(GUILD_ID, name="Endurance fans", bot_permissions=permissions)
    general = guild.add_text_channel(name="general")
    reminders = guild.add_text_channel(name="race-reminders")
    control = guild.add_role(name="Race control", permissions=MANAGE_EVENTS | MANAGE_ROLES, position=3)
    mod = fake.add_user(username="marshal")
    fan = fake.add_user(username="fan")
    guild.add_member(mod, roles=[control])
    guild.add_member(fan)
    await fake.start()
    try:
        yield RolesWorld(fake, guild, general, reminders, mod, fan, FixedClock(START), db_path)
    finally:
        await fake.stop()


@pytest.fixture
async def world(db_path: Path) -> AsyncIterator[RolesWorld]:
    async for made in make_world(db_path):
        async with running(made) as bot:
            await bot.store.import_catalog(weekends(), guild_id=GUILD_ID)
            yield made


async def set_up(world: RolesWorld) -> None:
    """Reminders an hour before each race in the reminder channel, and the series menu."""
    await world.slash(
        "reminders setup", {"channel": world.reminders, "sessions": "race", "green_flag": False}
    )
    await world.reply("reminders roles setup")


async def test_the_role_a_member_picks_is_the_one_their_series_reminders_mention(world: RolesWorld) -> None:
    await set_up(world)
    names = {r.name for r in world.guild.roles.values()}
    assert {"ALMS pings", "AsLMS pings", "ELMS pings", "IMSA pings", "WEC pings"} <= names
    imsa, wec = world.role("IMSA pings"), world.role("WEC pings")

    told = await world.pick("IMSA")
    assert told == "Done. Reminders of these series will ping you: IMSA."
    assert world.guild.members[world.fan.id].roles == [imsa.id]

    imsa_post = await world.reminder_at(IMSA_RACE - LEAD)
    assert imsa_post["content"].startswith(f"<@&{imsa.id}> ")
    assert imsa_post["mention_roles"] == [str(imsa.id)]
    wec_post = await world.reminder_at(WEC_RACE - LEAD)
    assert wec_post["content"].startswith(f"<@&{wec.id}> ")
    assert wec_post["mention_roles"] == [str(wec.id)]
    sent = [r.json for r in world.fake.requests_to("POST", f"/channels/{world.reminders.id}/messages")]
    assert [(m["allowed_mentions"]["parse"], m["allowed_mentions"]["roles"]) for m in sent] == [
        ([], [imsa.id]),
        ([], [wec.id]),
    ]


async def test_a_pick_replaces_the_last_one_and_is_told_in_the_members_language(world: RolesWorld) -> None:
    await set_up(world)
    imsa, wec, elms = world.role("IMSA pings"), world.role("WEC pings"), world.role("ELMS pings")

    await world.pick("IMSA", "WEC")
    assert sorted(world.guild.members[world.fan.id].roles) == sorted([imsa.id, wec.id])
    told = await world.pick("ELMS", locale="fr")

    assert world.guild.members[world.fan.id].roles == [elms.id]
    assert told.startswith("C'est fait.")
    assert "ELMS" in told
    assert await world.pick() == "Done. No series will ping you."
    assert world.guild.members[world.fan.id].roles == []
    # A second menu uses the same roles.
    await world.reply("reminders roles setup")
    assert len(world.fake.requests_to("POST", "/guilds/*/roles")) == 5


async def test_a_role_a_moderator_names_is_given_and_pinged_for_its_series(world: RolesWorld) -> None:
    await set_up(world)
    fans = world.guild.add_role(name="WEC fans", position=1)
    greedy = world.guild.add_role(name="Helpers", permissions=MANAGE_ROLES, position=1)

    refused = await world.reply("reminders roles use", {"series": "WEC", "role": greedy})
    named = await world.reply("reminders roles use", {"series": "wec", "role": fans})
    await world.pick("WEC")
    post = await world.reminder_at(WEC_RACE - LEAD)

    assert "grants permissions that @everyone lacks" in refused
    assert named.startswith(f"WEC reminders now ping <@&{fans.id}>")
    assert world.guild.members[world.fan.id].roles == [fans.id]
    assert post["mention_roles"] == [str(fans.id)]


async def test_a_role_above_the_bots_own_is_refused_with_how_to_fix_it(world: RolesWorld) -> None:
    marshals = world.guild.add_role(name="Marshals", position=20)
    refused = await world.reply("reminders roles use", {"series": "WEC", "role": marshals})
    assert "drag my role above it" in refused
    await set_up(world)
    # A moderator drags the WEC role above the bot's: a pick cannot give it any more.
    world.fake.move_role(world.guild, world.role("WEC pings"), 30)

    told = await world.pick("WEC")
    status = await world.reply("reminders status")

    assert "I could not change your WEC role" in told
    assert "drag my role above it" in told
    assert world.guild.members[world.fan.id].roles == []
    assert "Pings by series" in status
    assert "drag my role above it" in status
    assert not world.fake.requests_to("PUT", "/guilds/*/members/*/roles/*")  # refused before asking


async def test_a_deleted_role_is_cleared_shown_in_status_and_its_series_pings_nobody(
    world: RolesWorld,
) -> None:
    await set_up(world)
    imsa = world.role("IMSA pings")
    assert world.bot is not None
    store = world.bot.store

    async def imsa_cleared() -> bool:
        return any(r.series == "IMSA" and r.lost for r in await store.series_roles.of_guild(GUILD_ID))

    world.fake.delete_role(world.guild, imsa)
    await until(imsa_cleared, "the IMSA role cleared after GUILD_ROLE_DELETE")
    status = await world.reply("reminders status")
    post = await world.reminder_at(IMSA_RACE - LEAD)

    assert "IMSA**: The role was deleted in Discord." in status
    assert "<@&" not in post["content"]
    assert post["mention_roles"] == []


async def test_a_role_discord_answers_404_for_is_cleared_and_the_member_told(world: RolesWorld) -> None:
    await set_up(world)
    wec = world.role("WEC pings")
    assert world.bot is not None
    # Gone from Discord without the bot hearing of it (a gateway event lost).
    del world.guild.roles[wec.id]

    told = await world.pick("WEC")
    [row] = [r for r in await world.bot.store.series_roles.of_guild(GUILD_ID) if r.series == "WEC"]

    assert "Discord no longer knows the role" in told
    assert row.lost
    assert [r.status for r in world.fake.requests_to("PUT", "/guilds/*/members/*/roles/*")] == [404]


async def test_the_menu_works_after_a_restart_and_a_role_deleted_meanwhile_is_noticed(
    db_path: Path,
) -> None:
    async for world in make_world(db_path):
        async with running(world) as bot:
            await bot.store.import_catalog(weekends(), guild_id=GUILD_ID)
            await set_up(world)
        # While the bot is away, a moderator deletes the ELMS role.
        world.fake.delete_role(world.guild, world.role("ELMS pings"))
        async with running(world) as bot:
            told = await world.pick("IMSA")

            async def elms_cleared() -> bool:
                rows = await bot.store.series_roles.of_guild(GUILD_ID)
                return any(r.series == "ELMS" and r.lost for r in rows)

            await until(elms_cleared, "the ELMS role deleted while away, cleared on start")

        assert told == "Done. Reminders of these series will ping you: IMSA."
        assert world.guild.members[world.fan.id].roles == [world.role("IMSA pings").id]


async def test_without_manage_roles_setup_says_what_to_grant_and_creates_nothing(db_path: Path) -> None:
    async for world in make_world(db_path, manage_roles=False):
        async with running(world):
            told = await world.reply("reminders roles setup")

        assert "I need the Manage Roles permission" in told
        assert "Server Settings > Roles" in told
        assert not world.fake.requests_to("POST", "/guilds/*/roles")
        assert not [m for m in world.fake.messages_in(world.general) if m.get("components")]
