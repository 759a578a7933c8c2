"""Test support for the moderator commands: a guild with every kind of member, a
second guild with its own moderator, and readers for what simcord shows.

Every schedule written by these tests is made up (marked "fictional"); the
2027 weekends here are not real calendars."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import discord

from fanbot.config import catalog_path
from fanbot.domain.catalog import Catalog
from fanbot.domain.localtime import parse_instant
from fanbot.store import Scope, Store
from tests.support.bot_world import BotWorld

# The moderators' commands, hidden from members (default_permissions). /calendar is shown to
# everyone for /calendar link; its other subcommands are the moderators' (CALENDAR_MODERATORS).
MODERATOR_COMMANDS = ("event", "session", "entry", "result")
# Every /calendar subcommand a member may not run (each checks require_moderator).
CALENDAR_MODERATORS = ("export", "add-circuit", "board setup", "board status", "board off")

# The bot's "now" for these tests: mid-January 2027, before any of the made-up weekends.
NOW_2027 = "2027-01-15T12:00:00Z"


@dataclass
class Mods:
    world: BotWorld
    member: Any  # no permission at all (alice)
    by_permission: Any  # a role with Manage Events
    by_role: Any  # holds the role the admins named as the moderator role
    admin: Any  # Administrator
    owner: Any  # a bot owner (FANBOT_OWNER_IDS) who is a plain member here
    other_guild: Any
    other_channel: Any
    other_mod: Any  # Manage Events in the other guild only
    moderator_role: Any
    commands: dict[str, Any]  # name -> the synced AppCommand

    @property
    def env(self) -> Any:
        return self.world.env

    @property
    def guild(self) -> Any:
        return self.world.guild

    @property
    def channel(self) -> Any:
        return self.world.channel

    @property
    def store(self) -> Store:
        store: Store = self.env.bot.store
        return store

    @property
    def store_scope(self) -> Scope:
        return Scope(self.guild.id)

    async def own_events(self, guild: Any = None) -> list[Any]:
        guild_id = (guild or self.guild).id
        return [e for e in await self.store.events(Scope(guild_id)) if e.guild_id == guild_id]


async def make_mods(world: BotWorld, *, guild_catalog: Catalog | None = None) -> Mods:
    """Roles and members for the permission matrix; the bot clock at mid-January 2027.
    With ``guild_catalog``, the guild starts with those events as its own."""
    env, guild = world.env, world.guild
    world.clock.instant = parse_instant(NOW_2027)
    race_control = guild.create_role("Race control", permissions=discord.Permissions(manage_events=True))
    calendar_team = guild.create_role("Calendar team")
    admins = guild.create_role("Admins", permissions=discord.Permissions(administrator=True))
    by_permission = guild.add_member(env.create_user("carol"), roles=[race_control])
    by_role = guild.add_member(env.create_user("dave"), roles=[calendar_team])
    admin = guild.add_member(env.create_user("erin"), roles=[admins])
    owner = guild.add_member(env.create_user("owner"))
    await env.bot.store.set_moderator_role(guild.id, calendar_team.id)
    other = env.create_guild("Another server")
    other_channel = other.create_text_channel("general")
    other_control = other.create_role("Marshals", permissions=discord.Permissions(manage_events=True))
    other_mod = other.add_member(env.create_user("frank"), roles=[other_control])
    synced = await env.bot.tree.sync()
    # As admins do in Server Settings > Integrations: the moderator role sees the commands
    # that default_permissions hides from members without Manage Events.
    for command in synced:
        if command.name in MODERATOR_COMMANDS:
            guild.set_command_permissions(command, {calendar_team: True})
    made = Mods(
        world,
        world.alice,
        by_permission,
        by_role,
        admin,
        owner,
        other,
        other_channel,
        other_mod,
        calendar_team,
        {c.name: c for c in synced},
    )
    if guild_catalog is not None:
        await made.store.import_catalog(guild_catalog, guild_id=made.guild.id)
    return made


def labels(message: Any) -> list[str]:
    """The buttons under a message, by label."""
    return [c.get("label", "") for row in message.components for c in row["components"]]


def field_values(message: Any) -> dict[str, str]:
    embed = message.embeds[0]
    return {f.name: f.value for f in embed.fields}


def timestamp(iso: str, style: str = "F") -> str:
    return f"<t:{int(parse_instant(iso).timestamp())}:{style}>"


# A made-up 2027 weekend at Spa (fictional times), in the CSV format of docs/calendar-files.md.
SPA_CSV = (
    "series,season,event,circuit,session,date,time,duration_minutes,timezone,info_url,watch_url,key\n"
    "WEC,2027,Club 6 Hours of Spa (fictional),Spa,practice,2027-05-06,11:00,90,,,,\n"
    "WEC,2027,Club 6 Hours of Spa (fictional),Spa,qualifying,2027-05-07,16:30,20,,https://example.org/spa,,\n"
    "WEC,2027,Club 6 Hours of Spa (fictional),Spa,race,2027-05-08,13:00,360,,,https://example.org/watch,\n"
)


# A made-up guild weekend in the project's JSON catalog format, with a line-up (fictional).
def weekend_json(circuit: str = "club-ring") -> bytes:
    """The project's catalog format with a guild's weekend: sessions, line-up, maybe a new circuit."""
    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    raw["circuits"] = [c for c in raw["circuits"] if c["key"] == "la-sarthe"] + [
        {"key": "club-ring", "name": "Club Ring (fictional)", "timezone": "Europe/Berlin"}
    ]
    raw["events"] = [
        {
            "key": "club-ring-12h",
            "series": "WEC",
            "season": 2027,
            "name": "Club Ring 12 Hours (fictional)",
            "circuit": circuit,
            "sessions": [
                {"kind": "practice", "date": "2027-07-09", "time": "10:00"},
                {"kind": "qualifying", "date": "2027-07-09", "time": "17:00"},
                {"kind": "race", "date": "2027-07-10", "time": "12:00", "duration_minutes": 720},
            ],
            "entries": [{"number": "12", "class": "Hypercar", "team": "Ring team", "drivers": ["R. Driver"]}],
        }
    ]
    return json.dumps(raw).encode()
