"""Who may run the moderator commands: every write command, for every kind of member.

Discord hides the commands from members without Manage Events (default_permissions),
but admins can show them to anyone per guild, so the bot checks again on every call.
/calendar is shown to everyone (members use /calendar link): every other subcommand of it
checks. The guild's own event below is fictional."""

from __future__ import annotations

import dataclasses
import json

import pytest
import simcord
from discord import app_commands

from fanbot.bot.permissions import NotInGuild, require_moderator
from fanbot.calendar_files.catalog import parse_catalog
from fanbot.config import catalog_path
from tests.support.database import dump
from tests.support.moderation_world import CALENDAR_MODERATORS, MODERATOR_COMMANDS, SPA_CSV

REFUSAL = (
    "Only this server's moderators can do this: members with the Manage Events permission or the "
    "moderator role."
)
CLUB = "Club 4 Hours (fictional)"

# Every command a moderator runs, with options that would work on the guild's own event.
COMMANDS: list[tuple[str, dict[str, object]]] = [
    (
        "event add",
        {"name": "New club race (fictional)", "series": "WEC", "circuit": "Spa", "race": "2027-05-08 13:00"},
    ),
    ("event edit", {"event": CLUB, "name": "Club 4 Hours renamed (fictional)"}),
    ("event postpone", {"event": CLUB}),
    ("event cancel", {"event": CLUB}),
    ("event remove", {"event": CLUB}),
    ("event history", {"event": CLUB}),
    ("event import", {"file": ("spa.csv", SPA_CSV.encode())}),
    ("session add", {"event": CLUB, "kind": "practice", "start": "2026-12-11 10:00"}),
    ("session edit", {"event": CLUB, "session": "race", "start": "2026-12-12 12:30"}),
    ("session remove", {"event": CLUB, "session": "qualifying"}),
    ("entry add", {"event": CLUB, "number": "7", "drivers": "C. Driver"}),
    ("entry edit", {"event": CLUB, "number": "6", "team": "Another team"}),
    ("entry remove", {"event": CLUB, "number": "6"}),
    ("result set", {"event": CLUB, "class": "Overall", "position": 2, "description": "Car 7"}),
    ("result remove", {"event": CLUB, "class": "Overall", "position": 1}),
    ("calendar export", {}),
    ("calendar add-circuit", {"name": "Autódromo do Algarve", "timezone": "Europe/Lisbon"}),
    ("calendar board status", {}),
    ("calendar board off", {}),
]


def club_catalog():
    """A guild weekend of December 2026 (fictional) with one entry and one result."""
    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    raw["events"] = [
        {
            "key": "club-4h",
            "series": "WEC",
            "season": 2026,
            "name": CLUB,
            "circuit": "la-sarthe",
            "sessions": [
                {"kind": "qualifying", "date": "2026-12-11", "time": "15:00"},
                {"kind": "race", "date": "2026-12-12", "time": "12:00", "duration_minutes": 240},
            ],
            "entries": [{"number": "6", "class": "Hypercar", "team": "Club team", "drivers": ["A. Driver"]}],
            "results": [{"class": "Overall", "position": 1, "number": "6", "description": "Club team"}],
        }
    ]
    return parse_catalog(raw)


# Every test here starts with the club weekend as the guild's own (the shared ``mods`` fixture).
pytestmark = pytest.mark.guild_catalog(make=club_catalog)


def show_everything_to(mods, member) -> None:
    """An admin's per-guild override: the commands are visible to ``member`` too."""
    for name in (*MODERATOR_COMMANDS, "fanbot"):
        mods.guild.set_command_permissions(mods.commands[name], {member: True})


async def accepted(mods, who, command, options):
    result = await who.slash(mods.channel, command, **options)
    content = result.response.content or ""
    assert REFUSAL not in content, (command, content)
    assert "belongs to the shared catalog" not in content, (command, content)
    assert "No event matches" not in content, (command, content)
    return result


async def test_members_do_not_see_the_moderator_commands(mods):
    visible = mods.member.available_commands(mods.channel)
    for name in (*MODERATOR_COMMANDS, "fanbot"):
        assert name not in visible
    with pytest.raises(simcord.SetupError, match="not visible"):
        await mods.member.slash(mods.channel, "event remove", event=CLUB)
    # /calendar is everyone's, for /calendar link: its other subcommands refuse members.
    assert "calendar link" in visible


async def test_every_calendar_subcommand_but_link_checks_for_a_moderator(mods):
    from fanbot.bot.cogs.moderation.calendar import CalendarCog

    group = CalendarCog.calendar_group
    assert group.default_permissions is None
    checked, open_to_members = set(), set()
    for command in group.walk_commands():
        if isinstance(command, app_commands.Command):
            name = command.qualified_name.removeprefix("calendar ")
            (checked if require_moderator in command.checks else open_to_members).add(name)
    assert open_to_members == {"link"}
    assert checked >= set(CALENDAR_MODERATORS)
    # And a member is refused each of them when run (the matrix below runs the rest).
    board = await mods.member.slash(
        mods.channel, "calendar board setup", channel=mods.channel, series="WEC", count=3
    )
    assert board.response.content == REFUSAL
    assert len(mods.env.errors) == 1


async def test_a_member_sees_calendar_and_may_ask_for_its_link(mods):
    result = await mods.member.slash(mods.channel, "calendar link")
    assert result.ephemeral
    assert REFUSAL not in result.response.content
    # This bot runs no web server (FANBOT_HTTP_PORT unset): it says so instead of a link.
    assert result.response.content.startswith("This bot does not serve calendar links")


@pytest.mark.parametrize("who", ["member", "owner"])
async def test_a_member_shown_the_commands_is_still_refused_every_write(mods, who):
    member = getattr(mods, who)
    if who == "owner":
        # A bot owner runs the shared catalog from the server, not other people's guilds.
        mods.env.bot.settings = dataclasses.replace(mods.env.bot.settings, owner_ids=frozenset({member.id}))
    show_everything_to(mods, member)
    before = await dump(mods.store)
    for command, options in COMMANDS:
        result = await member.slash(mods.channel, command, **options)
        assert result.ephemeral, command
        assert result.response.content == REFUSAL, command
    assert await dump(mods.store) == before
    refused = await member.slash(mods.channel, "fanbot settings moderator-role", role=mods.moderator_role)
    assert refused.response.content.startswith("Only the server's admins")
    # The refusals were answered by the tree's handler; simcord recorded them as errors.
    assert len(mods.env.errors) == len(COMMANDS)


@pytest.mark.parametrize("who", ["by_permission", "by_role", "admin"])
async def test_every_kind_of_moderator_may_run_every_command(mods, who):
    member = getattr(mods, who)
    for command, options in COMMANDS:
        await accepted(mods, member, command, options)


async def test_another_guilds_moderator_cannot_touch_this_guilds_event(mods):
    before = await dump(mods.store)
    [event] = await mods.own_events()
    for command, options in COMMANDS:
        if "event" not in options:
            continue
        for named in (CLUB, f"id:{event.id}"):
            result = await mods.other_mod.slash(mods.other_channel, command, **{**options, "event": named})
            assert result.ephemeral, command
            assert "No event matches" in result.response.content, (command, result.response.content)
    assert await dump(mods.store) == before


async def test_the_moderator_role_is_chosen_by_admins_and_takes_effect(mods):
    newcomer_role = mods.guild.create_role("Newcomers")
    newcomer = mods.guild.add_member(mods.env.create_user("ivy"), roles=[newcomer_role])
    show_everything_to(mods, newcomer)
    refused = await newcomer.slash(mods.channel, "entry add", event=CLUB, number="9")
    assert refused.response.content == REFUSAL
    assert len(mods.env.errors) == 1  # the refusal, answered by the tree's handler
    shown = await mods.admin.slash(mods.channel, "fanbot settings moderator-role")
    assert shown.response.content == f"The moderator role is <@&{mods.moderator_role.id}>."
    chosen = await mods.admin.slash(mods.channel, "fanbot settings moderator-role", role=newcomer_role)
    assert chosen.ephemeral
    assert chosen.response.content.startswith(
        f"Members with <@&{newcomer_role.id}> can now"
    )
    assert await mods.store.moderator_role(mods.guild.id) == newcomer_role.id
    await accepted(mods, newcomer, "entry add", {"event": CLUB, "number": "9"})
    everyone = await mods.admin.slash(
        mods.channel, "fanbot settings moderator-role", role=mods.guild.default_role
    )
    assert everyone.response.content.startswith("@everyone cannot be the moderator role")
    cleared = await mods.admin.slash(mods.channel, "fanbot settings moderator-role", clear=True)
    assert cleared.response.content.startswith("The moderator role is removed")
    assert await mods.store.moderator_role(mods.guild.id) is None
    [latest, *_] = await mods.store.editing.history(mods.guild.id)
    assert (latest.action, latest.user_id, latest.after) == (
        "settings.moderator-role",
        mods.admin.id,
        {"moderator_role_id": None},
    )


async def test_manage_events_alone_does_not_choose_the_moderator_role(mods):
    assert "fanbot" not in mods.by_permission.available_commands(mods.channel)
    show_everything_to(mods, mods.by_permission)
    refused = await mods.by_permission.slash(
        mods.channel, "fanbot settings moderator-role", role=mods.moderator_role
    )
    assert refused.response.content == (
        "Only the server's admins (Manage Server permission) can choose the moderator role."
    )


async def test_the_check_refuses_direct_messages_even_if_a_command_got_there():
    class DmInteraction:
        guild_id = None

    with pytest.raises(NotInGuild):
        await require_moderator(DmInteraction())  # type: ignore[arg-type]
