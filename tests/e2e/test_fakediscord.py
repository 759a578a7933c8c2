"""The fake Discord against a bare, unmodified discord.py bot, in-process over real HTTP/websocket.

These tests prove the harness before fanbot's tests lean on it: each drives discord.py's own
code paths (login, gateway, interaction callbacks, follow-ups, rate-limit retries, RESUME) and
checks what the fake recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import discord
import discord.http
import pytest
from discord import app_commands
from discord.ext import commands

from testing.fakediscord import (
    FakeChannel,
    FakeDiscord,
    FakeGuild,
    FakeUser,
    InteractionTimeout,
    NotInvocable,
    pointed_at,
)
from testing.fanbot_process import REPO_ROOT

TOKEN = "fake-token"
GUILD_ID = 1_150_000_000_000_000_001
CHANNEL_ID = 1_150_000_000_000_000_010
ALICE_ID = 1_150_000_000_000_000_100
BOB_ID = 1_150_000_000_000_000_101
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"


class FrenchNames(app_commands.Translator):
    """Gives /echo a French name, so the synced schema carries name_localizations."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContext[Any, Any],
    ) -> str | None:
        if locale is discord.Locale.french and string.message == "echo":
            return "répéter"
        return None


class Vote(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Yes", custom_id="vote:yes")
    async def yes(self, interaction: discord.Interaction, button: discord.ui.Button[Vote]) -> None:
        await interaction.response.edit_message(content=f"{interaction.user.name} voted yes", view=None)


def make_bot() -> commands.Bot:
    """A bare bot: no fanbot code, only discord.py."""
    bot = commands.Bot(
        command_prefix="!", intents=discord.Intents.default(), help_command=None, guild_ready_timeout=0.1
    )

    @bot.tree.command(name="ping", description="Round trip")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    @bot.tree.command(name="echo", description="Says it back")
    @app_commands.describe(text="What to say")
    async def echo(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(text)

    @bot.tree.command(name="slow", description="Thinks, then answers")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(0.05)
        await interaction.followup.send("done thinking")

    @bot.tree.command(name="calendar", description="An .ics file")
    async def calendar(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("here", file=discord.File(io.BytesIO(ICS), "race.ics"))

    @bot.tree.command(name="purge", description="Moderators only")
    @app_commands.default_permissions(manage_guild=True)
    async def purge(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("purged", ephemeral=True)

    @bot.tree.command(name="event", description="Pick an event")
    async def event(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(name)

    @event.autocomplete("name")
    async def event_names(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        names = ["Le Mans 24 Hours", "Sebring 12 Hours", "Spa 6 Hours"]
        return [app_commands.Choice(name=n, value=n) for n in names if current.lower() in n.lower()]

    @bot.tree.command(name="late", description="Answers after the 3-second deadline")
    async def late(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.3)
        with contextlib.suppress(discord.NotFound):
            await interaction.response.send_message("too late")

    @bot.tree.command(name="vote", description="A button")
    async def vote(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("vote?", view=Vote())

    return bot


@dataclass
class FakeDiscordWorld:
    """The fake with a guild, a channel, a plain member (alice) and a moderator (bob), for a bare
    discord.py bot."""

    fake: FakeDiscord
    guild: FakeGuild
    channel: FakeChannel
    alice: FakeUser
    bob: FakeUser


@pytest.fixture
async def world() -> AsyncIterator[FakeDiscordWorld]:
    fake = FakeDiscord(bot_token=TOKEN)
    guild = fake.add_guild(GUILD_ID, name="Endurance fans", locale="en-US")
    channel = guild.add_text_channel(CHANNEL_ID, "reminders")
    alice = fake.add_user(ALICE_ID, "alice")
    bob = fake.add_user(BOB_ID, "bob")
    mods = guild.add_role(None, "Moderators", permissions=discord.Permissions(manage_guild=True).value)
    guild.add_member(alice)
    guild.add_member(bob, roles=[mods])
    await fake.start()
    yield FakeDiscordWorld(fake, guild, channel, alice, bob)
    await fake.stop()


@contextlib.asynccontextmanager
async def running(fake: FakeDiscord, client: commands.Bot) -> AsyncIterator[commands.Bot]:
    """Start ``client`` against ``fake`` until on_ready, sync its commands, close it afterwards."""
    with pointed_at(fake):
        runner = asyncio.create_task(client.start(TOKEN))
        await fake.wait_until(lambda: client.is_ready() or runner.done(), 5, "the bot's on_ready")
        if runner.done():
            runner.result()  # login or gateway failure: raise it here
        await client.tree.sync()
        try:
            yield client
        finally:
            await client.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(runner, 5)
    assert discord.http.Route.BASE == "https://discord.com/api/v10"


@pytest.fixture
async def bot(world: FakeDiscordWorld) -> AsyncIterator[commands.Bot]:
    client = make_bot()
    await client.tree.set_translator(FrenchNames())
    async with running(world.fake, client):
        yield client


async def test_ping_round_trip(world: FakeDiscordWorld, bot: commands.Bot) -> None:
    result = await world.fake.slash(world.guild, world.channel, world.alice, "ping")

    assert result.type == 4
    assert result.final is not None
    assert result.final["content"] == "pong"
    [shown] = world.fake.messages_in(world.channel)
    assert shown["content"] == "pong"
    assert shown["author"]["id"] == str(bot.user.id if bot.user else 0)
    [callback] = world.fake.requests_to("POST", "/interactions/*/callback")
    assert callback.status == 200
    assert "Authorization" not in callback.headers  # the token is in the URL
    assert callback.query == {"with_response": "1"}


async def test_slash_option_reaches_the_handler(world: FakeDiscordWorld, bot: commands.Bot) -> None:
    result = await world.fake.slash(world.guild, world.channel, world.alice, "echo", {"text": "hello there"})

    assert result.content == "hello there"


async def test_command_schema_is_recorded(world: FakeDiscordWorld, bot: commands.Bot) -> None:
    commands_ = world.fake.commands

    assert {"ping", "echo", "slow", "calendar", "purge", "event", "vote"} <= set(commands_)
    echo = commands_["echo"]
    assert echo["name_localizations"] == {"fr": "répéter"}
    assert echo["options"][0]["name"] == "text"
    assert echo["options"][0]["type"] == 3
    assert echo["options"][0]["required"] is True
    assert echo["id"]
    assert echo["version"]
    assert echo["application_id"] == str(world.fake.application_id)
    assert commands_["purge"]["default_member_permissions"] == str(
        discord.Permissions(manage_guild=True).value
    )
    assert commands_["event"]["options"][0]["autocomplete"] is True
    # The schema drives what a user can do: the localized name works, the hidden command does not.
    french = await world.fake.slash(
        world.guild, world.channel, world.alice, "répéter", {"text": "salut"}, locale="fr"
    )
    assert french.content == "salut"
    with pytest.raises(NotInvocable):
        await world.fake.slash(world.guild, world.channel, world.alice, "purge")
    moderator = await world.fake.slash(world.guild, world.channel, world.bob, "purge")
    assert moderator.ephemeral
    assert moderator.content == "purged"
    assert world.fake.messages_in(world.channel)[-1]["content"] == "salut"  # the ephemeral one is not shown


async def test_follow_up_after_defer_replaces_the_thinking_message(
    world: FakeDiscordWorld, bot: commands.Bot
) -> None:
    result = await world.fake.slash(world.guild, world.channel, world.alice, "slow")

    assert result.type == 5
    [followup] = await result.wait_followups(1)
    assert followup["content"] == "done thinking"
    assert result.final is not None
    assert result.final["id"] == result.original["id"] == followup["id"]
    assert [m["content"] for m in world.fake.messages_in(world.channel)] == ["done thinking"]


async def test_attachment_in_callback_is_kept_and_served(world: FakeDiscordWorld, bot: commands.Bot) -> None:
    result = await world.fake.slash(world.guild, world.channel, world.alice, "calendar")

    [attachment] = result.final["attachments"]  # type: ignore[index]
    assert attachment["filename"] == "race.ics"
    assert attachment["content"] == ICS
    async with aiohttp.ClientSession() as http, http.get(attachment["url"]) as response:
        assert await response.read() == ICS


async def test_autocomplete_returns_the_bots_choices(world: FakeDiscordWorld, bot: commands.Bot) -> None:
    choices = await world.fake.autocomplete(
        world.guild, world.channel, world.alice, "event", option="name", typed="le m"
    )

    assert choices == [{"name": "Le Mans 24 Hours", "value": "Le Mans 24 Hours"}]


async def test_button_click_updates_the_message(world: FakeDiscordWorld, bot: commands.Bot) -> None:
    asked = await world.fake.slash(world.guild, world.channel, world.alice, "vote")
    clicked = await world.fake.click(asked.final, custom_id="vote:yes", user=world.bob)  # type: ignore[arg-type]

    assert clicked.type == 7
    assert clicked.final is not None
    assert clicked.final["content"] == "bob voted yes"
    assert clicked.final["id"] == asked.final["id"]  # type: ignore[index]
    assert clicked.final["components"] == []


async def test_channel_send_with_same_nonce_is_stored_once(
    world: FakeDiscordWorld, bot: commands.Bot
) -> None:
    channel = bot.get_channel(CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)

    first = await channel.send("race starts in 1 hour", nonce="reminder-42")
    second = await channel.send("race starts in 1 hour", nonce="reminder-42")
    other = await channel.send("race starts in 1 hour", nonce="reminder-43")

    assert second.id == first.id
    assert other.id != first.id
    assert len(world.fake.messages_in(world.channel)) == 2
    assert world.fake.nonce_dedupes == 1
    posted = world.fake.requests_to("POST", f"/channels/{CHANNEL_ID}/messages")
    assert [r.json["enforce_nonce"] for r in posted] == [True, True, True]


async def test_429_is_retried_by_discord_py_and_ends_in_one_message(
    world: FakeDiscordWorld, bot: commands.Bot
) -> None:
    channel = bot.get_channel(CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    world.fake.fail_next("POST", "/channels/*/messages", 429, retry_after=0.2)

    started = time.monotonic()
    sent = await channel.send("after the limit")

    assert time.monotonic() - started >= 0.2
    posted = world.fake.requests_to("POST", "/channels/*/messages")
    assert [r.status for r in posted] == [429, 200]
    assert posted[0].response == {
        "message": "You are being rate limited.", "retry_after": 0.2, "global": False, "code": 0,
    }  # fmt: skip
    assert [m["id"] for m in world.fake.messages_in(world.channel)] == [str(sent.id)]
    assert world.fake.rate_limited_count == 1


async def test_hold_after_accept_stores_then_withholds_the_answer(
    world: FakeDiscordWorld, bot: commands.Bot
) -> None:
    channel = bot.get_channel(CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    world.fake.hold_after_accept("POST", "/channels/*/messages")

    sending = asyncio.create_task(channel.send("accepted but unanswered"))
    held = await world.fake.wait_held()
    [stored] = world.fake.messages_in(world.channel)
    await asyncio.sleep(0.1)
    assert not sending.done()
    assert held.answered_at is None

    assert world.fake.release_held() == 1
    sent = await asyncio.wait_for(sending, 5)
    assert str(sent.id) == stored["id"]
    assert held.answered_at is not None
    assert len(world.fake.messages_in(world.channel)) == 1


async def test_dm_open_and_send(world: FakeDiscordWorld, bot: commands.Bot) -> None:
    alice = await bot.fetch_user(ALICE_ID)

    await alice.send("your reminder: Le Mans starts soon")

    assert [m["content"] for m in world.fake.dm_messages(world.alice)] == [
        "your reminder: Le Mans starts soon"
    ]
    assert world.fake.requests_to("POST", "/users/@me/channels")[0].json == {"recipient_id": ALICE_ID}
    world.alice.accepts_dms = False
    with pytest.raises(discord.Forbidden) as refused:
        await alice.send("again")
    assert refused.value.code == 50007


async def test_global_limit_answers_429_beyond_50_per_second(
    world: FakeDiscordWorld, bot: commands.Bot
) -> None:
    results = await asyncio.gather(*(bot.fetch_user(ALICE_ID) for _ in range(70)))

    assert all(u.id == ALICE_ID for u in results)
    gets = world.fake.requests_to("GET", f"/users/{ALICE_ID}")
    limited = [r for r in gets if r.status == 429]
    assert limited
    assert world.fake.rate_limited_count == len(limited)
    assert all(r.response["global"] is True for r in limited)
    accepted = sorted(r.time for r in gets if r.status == 200)
    assert len(accepted) == 70
    assert max(sum(1 for t in accepted if start <= t < start + 1.0) for start in accepted) <= 50


async def test_drop_websocket_resumes_and_replays_the_missed_command(
    world: FakeDiscordWorld, bot: commands.Bot
) -> None:
    gateway = world.fake.gateway
    assert (gateway.identifies, gateway.resumes) == (1, 0)

    await world.fake.drop_websocket()
    result = await world.fake.slash(
        world.guild, world.channel, world.alice, "ping"
    )  # sent into the dead socket

    assert result.content == "pong"
    assert (gateway.identifies, gateway.resumes) == (1, 1)
    assert gateway.connects == 2
    again = await world.fake.slash(world.guild, world.channel, world.alice, "echo", {"text": "still here"})
    assert again.content == "still here"


async def test_wrong_token_is_refused_at_login(world: FakeDiscordWorld) -> None:
    with pointed_at(world.fake):
        client = discord.Client(intents=discord.Intents.none())
        with pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")
        await client.close()


async def test_unknown_route_is_answered_404_and_recorded(world: FakeDiscordWorld, bot: commands.Bot) -> None:
    with pytest.raises(discord.NotFound):
        await bot.http.request(discord.http.Route("GET", "/stickers/{sticker_id}", sticker_id=1))

    assert ("GET", "/stickers/1") in world.fake.unknown_routes


async def test_late_callback_is_refused_like_discord(world: FakeDiscordWorld, bot: commands.Bot) -> None:
    world.fake.interaction_deadline_seconds = 0.2

    with pytest.raises(InteractionTimeout, match="refused"):
        await world.fake.slash(world.guild, world.channel, world.alice, "late")

    [callback] = world.fake.requests_to("POST", "/interactions/*/callback")
    assert callback.status == 404
    assert callback.response == {"message": "Unknown interaction", "code": 10062}
    assert world.fake.messages_in(world.channel) == []


async def test_route_limit_headers_make_discord_py_pace_itself(
    world: FakeDiscordWorld, bot: commands.Bot
) -> None:
    channel = bot.get_channel(CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    world.fake.set_route_limit("POST", "/channels/*/messages", 5, 0.3)

    started = time.monotonic()
    await asyncio.gather(*(channel.send(f"lap {n}") for n in range(7)))

    assert time.monotonic() - started >= 0.25  # the 6th waited for the bucket to reset
    assert world.fake.rate_limited_count == 0
    posted = world.fake.requests_to("POST", "/channels/*/messages")
    assert [r.status for r in posted] == [200] * 7
    assert len(world.fake.messages_in(world.channel)) == 7


async def test_json_responses_carry_exactly_application_json(world: FakeDiscordWorld) -> None:
    headers = {"Authorization": f"Bot {TOKEN}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{world.fake.api_base_url}/users/@me", headers=headers) as ok:
            assert ok.status == 200
            assert ok.headers["Content-Type"] == "application/json"
        async with http.get(
            f"{world.fake.api_base_url}/users/@me", headers={"Authorization": "Bot nope"}
        ) as bad:
            assert bad.status == 401
            assert bad.headers["Content-Type"] == "application/json"
            assert await bad.json() == {"message": "401: Unauthorized", "code": 0}


BOT_PROCESS = textwrap.dedent(
    """
    import asyncio, os
    import discord
    from testing.fakediscord import point_from_env

    point_from_env()  # DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL

    class Bot(discord.Client):
        async def on_ready(self):
            await self.get_channel(int(os.environ["CHANNEL_ID"])).send("reminder", nonce="reminder-7")
            print("sent", flush=True)

    asyncio.run(Bot(intents=discord.Intents.default(), guild_ready_timeout=0.05).start("fake-token"))
    """
)


@pytest.fixture
def bot_script(tmp_path: Path) -> Path:
    script = tmp_path / "bot.py"
    script.write_text(BOT_PROCESS)
    return script


async def test_bot_process_killed_after_accept_then_restarted_is_deduplicated(
    world: FakeDiscordWorld, bot_script: Path
) -> None:
    script = bot_script
    env = {
        **os.environ,
        **world.fake.env,
        "CHANNEL_ID": str(CHANNEL_ID),
        "PYTHONPATH": str(REPO_ROOT),
    }
    world.fake.hold_after_accept("POST", "/channels/*/messages")

    first = await asyncio.create_subprocess_exec(sys.executable, str(script), env=env)
    held = await world.fake.wait_held(timeout=10)
    first.send_signal(signal.SIGKILL)  # Discord accepted the message; the bot never heard back
    await first.wait()
    world.fake.release_held()
    assert [m["content"] for m in world.fake.messages_in(world.channel)] == ["reminder"]

    second = await asyncio.create_subprocess_exec(
        sys.executable, str(script), env=env, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert second.stdout is not None
        assert await asyncio.wait_for(second.stdout.readline(), 10) == b"sent\n"
    finally:
        second.send_signal(signal.SIGKILL)
        await second.wait()

    assert held.json["nonce"] == "reminder-7"
    assert world.fake.nonce_dedupes == 1
    assert [m["content"] for m in world.fake.messages_in(world.channel)] == ["reminder"]
    assert world.fake.gateway.identifies == 2


async def test_zlib_compressed_gateway_works_with_discord_py(world: FakeDiscordWorld) -> None:
    world.fake.gateway_compression = True

    async with running(world.fake, make_bot()):
        result = await world.fake.slash(world.guild, world.channel, world.alice, "ping")

    assert result.content == "pong"
    assert (
        next(iter(world.fake.gateway.sessions.values())).seq >= 3
    )  # READY, GUILD_CREATE, INTERACTION_CREATE


async def test_gateway_acks_heartbeats_and_closes_4004_on_a_wrong_token(world: FakeDiscordWorld) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(world.fake.gateway_url + "?v=10&encoding=json") as ws,
    ):
        hello = await ws.receive_json(timeout=2)
        assert hello["op"] == 10
        assert hello["d"]["heartbeat_interval"] > 0
        await ws.send_json({"op": 1, "d": None})
        assert (await ws.receive_json(timeout=2))["op"] == 11
        await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 513, "properties": {}}})
        closing = await ws.receive(timeout=2)
    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert ws.close_code == 4004
    assert world.fake.gateway.identifies == 0
