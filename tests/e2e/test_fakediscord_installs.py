"""The fake Discord's user installs, against a bare, unmodified discord.py bot: the synced
``integration_types`` and ``contexts``, interactions from a user's own install (in a server
the bot is not in, in its DM, in a group DM) as discord.py reads them, replies shown to the
user alone where a server turned off USE_EXTERNAL_APPS, and the 5 follow-ups allowed there."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from testing.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeUser, NotInvocable, pointed_at
from testing.fakediscord.installs import PRIVATE_CHANNEL_PERMISSIONS, RESPONSE_PERMISSIONS, USE_EXTERNAL_APPS

TOKEN = "fake-token"


class Again(discord.ui.View):
    def __init__(self, bot: InstallsBot) -> None:
        super().__init__(timeout=None)
        self.bot = bot

    @discord.ui.button(label="Again", custom_id="where:again")
    async def again(self, interaction: discord.Interaction, _: discord.ui.Button[Again]) -> None:
        self.bot.seen.append(interaction)
        await interaction.response.send_message("again", ephemeral=True)


class InstallsBot(commands.Bot):
    """A bare bot: /where (everywhere), /chatty (everywhere, follow-ups), /serveronly,
    /useronly, /plain (no settings); it notes every interaction and message it gets."""

    def __init__(self) -> None:
        super().__init__(
            command_prefix="!", intents=discord.Intents.default(), help_command=None, guild_ready_timeout=0.1
        )
        self.seen: list[discord.Interaction] = []
        self.heard: list[discord.Message] = []
        self.followup_errors: list[int] = []

        everywhere_installs = app_commands.allowed_installs(guilds=True, users=True)
        everywhere_contexts = app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)

        @self.tree.command(name="where", description="Where am I")
        @everywhere_installs
        @everywhere_contexts
        async def where(interaction: discord.Interaction) -> None:
            self.seen.append(interaction)
            await interaction.response.send_message("here", view=Again(self))

        @self.tree.command(name="chatty", description="Follow-ups")
        @everywhere_installs
        @everywhere_contexts
        async def chatty(interaction: discord.Interaction, count: int) -> None:
            await interaction.response.defer(thinking=True)
            for n in range(count):
                try:
                    await interaction.followup.send(f"follow-up {n + 1}")
                except discord.HTTPException as exc:
                    self.followup_errors.append(exc.code)

        @self.tree.command(name="serveronly", description="In servers that added the bot")
        @app_commands.allowed_installs(guilds=True, users=False)
        @app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
        async def serveronly(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("server")

        @self.tree.command(name="useronly", description="Installed by users only")
        @app_commands.allowed_installs(guilds=False, users=True)
        async def useronly(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("user")

        @self.tree.command(name="plain", description="No install settings")
        async def plain(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("plain")

    async def on_message(self, message: discord.Message) -> None:
        self.heard.append(message)


@dataclass
class World:
    fake: FakeDiscord
    home: FakeGuild  # the bot is a member
    general: FakeChannel
    away: FakeGuild  # the bot is not
    lounge: FakeChannel
    group: FakeChannel  # alice, bob, carol
    alice: FakeUser  # installed the app; in both servers
    bob: FakeUser  # did not; in both servers
    carol: FakeUser  # installed the app; in no server with the bot
    bot: InstallsBot


@pytest.fixture
async def world() -> AsyncIterator[World]:
    fake = FakeDiscord(bot_token=TOKEN)
    home = fake.add_guild(name="Endurance fans")
    general = home.add_text_channel(name="general")
    away = fake.add_guild_without_bot(name="Another server")
    lounge = away.add_text_channel(name="lounge")
    alice, bob, carol = (fake.add_user(username=n) for n in ("alice", "bob", "carol"))
    for user in (alice, bob):
        home.add_member(user)
    for user in (alice, bob, carol):
        away.add_member(user)
    fake.install_app_for_user(alice)
    fake.install_app_for_user(carol)
    group = fake.add_private_channel(alice, bob, carol, name="Race night")
    await fake.start()
    world = World(fake, home, general, away, lounge, group, alice, bob, carol, InstallsBot())
    with pointed_at(fake):
        runner = asyncio.create_task(world.bot.start(TOKEN))
        await fake.wait_until(lambda: world.bot.is_ready() or runner.done(), 5, "the bot's on_ready")
        if runner.done():
            runner.result()
        try:
            yield world
        finally:
            await world.bot.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(runner, 5)
            await fake.stop()


def owners(result: Any) -> dict[str, str]:
    return dict(result.payload["authorizing_integration_owners"])


async def test_synced_commands_keep_their_installs_and_contexts(world: World) -> None:
    await world.bot.tree.sync()
    synced = world.fake.commands
    assert (synced["where"]["integration_types"], synced["where"]["contexts"]) == ([0, 1], [0, 1, 2])
    assert (synced["serveronly"]["integration_types"], synced["serveronly"]["contexts"]) == ([0], [0])
    assert synced["useronly"]["integration_types"] == [1]
    # Not set: the application's installs (servers and users), every context.
    assert (synced["plain"]["integration_types"], synced["plain"]["contexts"]) == ([0, 1], None)
    # As discord.py fetches them. (Its AppCommand.allowed_installs / allowed_contexts read these
    # arrays as if they counted from 1, as other flag arrays do: off by one in 2.7.1.)
    assert world.bot.application_id is not None
    fetched = {c["name"]: c for c in await world.bot.http.get_global_commands(world.bot.application_id)}
    assert (fetched["where"]["integration_types"], fetched["where"]["contexts"]) == ([0, 1], [0, 1, 2])
    info = await world.bot.application_info()
    assert info.guild_integration_config is not None
    assert info.user_integration_config is not None


async def test_sync_refuses_unknown_values_and_installs_the_application_does_not_support(
    world: World,
) -> None:
    assert world.bot.application_id is not None
    with pytest.raises(discord.HTTPException) as refused:
        await world.bot.http.upsert_global_command(
            world.bot.application_id, {"name": "odd", "description": "Odd", "contexts": [0, 3]}
        )
    assert refused.value.code == 50035
    assert "contexts.1" in refused.value.text
    assert "not a valid enum value" in refused.value.text

    world.fake.supported_integration_types = frozenset({0})  # a server-only application
    assert (await world.bot.application_info()).user_integration_config is None
    with pytest.raises(discord.HTTPException) as unsupported:
        await world.bot.tree.sync()
    assert unsupported.value.code == 50035
    assert world.fake.global_commands == []


async def test_interactions_name_the_installs_they_came_through_as_discord_py_reads_them(
    world: World,
) -> None:
    await world.bot.tree.sync()
    away = await world.fake.slash(world.away, world.lounge, world.alice, "where")
    group = await world.fake.slash(None, world.group, world.alice, "where")
    dm = await world.fake.slash(None, None, world.carol, "where")  # no server with the bot
    home = await world.fake.slash(world.home, world.general, world.alice, "where")
    assert [owners(r) for r in (away, group, dm, home)] == [
        {"1": str(world.alice.id)},
        {"1": str(world.alice.id)},
        {"1": str(world.carol.id)},
        {"0": str(world.home.id), "1": str(world.alice.id)},
    ]
    on_away, on_group, on_dm, on_home = world.bot.seen
    assert on_away.context.guild
    assert on_away.is_user_integration()
    assert not on_away.is_guild_integration()
    assert on_away.guild_id == world.away.id
    assert world.bot.get_guild(world.away.id) is None
    assert on_away.app_permissions.value == int(away.payload["app_permissions"])
    assert int(away.payload["app_permissions"]) & ~RESPONSE_PERMISSIONS == 0
    assert on_group.context.private_channel
    assert isinstance(on_group.channel, discord.GroupChannel)
    assert on_group.app_permissions.value == PRIVATE_CHANNEL_PERMISSIONS
    assert on_dm.context.dm_channel
    assert on_dm.is_user_integration()
    assert on_home.is_guild_integration()
    assert on_home.is_user_integration()
    assert on_home.app_permissions.value == world.home.channel_permissions(
        world.fake.bot_user.id, world.general
    )


async def test_a_command_is_offered_only_where_an_install_carries_it(world: World) -> None:
    await world.bot.tree.sync()
    with pytest.raises(NotInvocable, match="not installed to this server"):
        await world.fake.slash(world.away, world.lounge, world.alice, "serveronly")
    with pytest.raises(NotInvocable, match="not available in context 2"):
        await world.fake.slash(None, world.group, world.alice, "serveronly")
    with pytest.raises(NotInvocable, match="has not installed the app"):
        await world.fake.slash(world.home, world.general, world.bob, "useronly")
    with pytest.raises(NotInvocable):
        await world.fake.slash(None, None, world.carol, "serveronly")  # no server with the bot
    assert (await world.fake.slash(world.home, world.general, world.bob, "serveronly")).content == "server"
    assert (await world.fake.slash(None, None, world.bob, "plain")).content == "plain"  # bob shares a server


async def test_five_follow_ups_where_a_user_install_alone_answers(world: World) -> None:
    await world.bot.tree.sync()
    alone = await world.fake.slash(None, world.group, world.alice, "chatty", {"count": 6})
    await alone.wait_followups(5)
    await world.fake.wait_until(lambda: world.bot.followup_errors, 5, "the refused sixth follow-up")
    assert world.bot.followup_errors == [40094]
    assert len(alone.followups) == 5
    installed = await world.fake.slash(world.home, world.general, world.alice, "chatty", {"count": 6})
    await installed.wait_followups(6)
    assert world.bot.followup_errors == [40094]


async def test_a_server_without_external_apps_shows_the_reply_to_the_user_alone(world: World) -> None:
    await world.bot.tree.sync()
    world.lounge.set_overwrite(world.away.everyone, deny=USE_EXTERNAL_APPS)
    answer = await world.fake.slash(world.away, world.lounge, world.alice, "where")
    assert not answer.data.get("flags")  # the bot asked for a public reply
    assert answer.ephemeral
    assert world.fake.messages_in(world.lounge) == []
    later = await world.fake.slash(world.away, world.lounge, world.alice, "chatty", {"count": 1})
    [followup] = await later.wait_followups(1)
    assert int(followup["flags"]) & 64
    with pytest.raises(NotInvocable, match="only the user"):
        await world.fake.click(answer.original, label="Again", user=world.bob)
    # Where the bot is installed, the server's setting does not apply.
    world.general.set_overwrite(world.home.everyone, deny=USE_EXTERNAL_APPS)
    assert not (await world.fake.slash(world.home, world.general, world.alice, "where")).ephemeral


async def test_a_click_comes_through_the_installs_of_the_reply_and_the_bot_hears_nothing_where_it_is_not(
    world: World,
) -> None:
    await world.bot.tree.sync()
    answer = await world.fake.slash(None, world.group, world.alice, "where")
    await world.fake.slash(world.away, world.lounge, world.alice, "where")
    pressed = await world.fake.click(answer.original, label="Again", user=world.bob)
    assert owners(pressed) == {"1": str(world.alice.id)}
    clicked = world.bot.seen[-1]
    assert clicked.user.id == world.bob.id
    assert not clicked.is_user_integration()
    assert clicked.context.private_channel
    # Only the reply in its own server reaches the bot as a message (the gateway keeps order).
    home = await world.fake.slash(world.home, world.general, world.alice, "where")
    await world.fake.wait_until(lambda: world.bot.heard, 5, "the bot's own reply at home")
    assert [m.id for m in world.bot.heard] == [int(home.original["id"])]
