"""The fake Discord's sharding, shared limits and message history, against unmodified discord.py.

Several processes of one bot share Discord's limits: which shard gets a guild's events, the
IDENTIFY buckets of ``max_concurrency``, the global 50 requests/s. These tests prove the fake
keeps them as Discord documents them, with ``AutoShardedBot(shard_count=..., shard_ids=[...])``
clients in this process (two of them standing for two processes) and one bare discord.py bot
in two real processes, before fanbot's multi-process tests lean on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import textwrap
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import aiohttp
import discord
import pytest
from discord.ext import commands

from testing.fakediscord import FakeDiscord, FakeGuild, pointed_at
from testing.fakediscord.permissions import READ_MESSAGE_HISTORY, VIEW_CHANNEL
from testing.fakediscord.sharding import shard_of, spread_guild_id
from testing.fanbot_process import REPO_ROOT, fanbot_env

TOKEN = "fake-token"
ALICE_ID = 1_150_000_000_000_000_100


class ShardedBot(commands.AutoShardedBot):
    """A bare sharded bot named ``label``: ``/whoami`` answers who took the interaction, and
    every user message it sees is kept in ``seen``."""

    def __init__(self, label: str, *, hook_delays: Iterable[float] = (), **kwargs: object) -> None:
        super().__init__(
            command_prefix="!",
            intents=discord.Intents.default(),
            help_command=None,
            guild_ready_timeout=0.05,
            **kwargs,  # type: ignore[arg-type]
        )
        self.label = label
        self.seen: list[discord.Message] = []
        self.hook_calls: list[tuple[int | None, bool]] = []
        # Seconds to wait before each IDENTIFY, in order; none left: go at once (discord.py's
        # own hook would sleep 5 s before every shard but the first).
        self._hook_delays = list(hook_delays)

        @self.tree.command(name="whoami", description="Which process and shard took this")
        async def whoami(interaction: discord.Interaction) -> None:
            shard = interaction.guild.shard_id if interaction.guild is not None else 0
            await interaction.response.send_message(f"{self.label} shard {shard}")

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        self.hook_calls.append((shard_id, initial))
        if self._hook_delays:
            await asyncio.sleep(self._hook_delays.pop(0))

    async def on_message(self, message: discord.Message) -> None:
        if not message.author.bot:  # not the answers to /whoami
            self.seen.append(message)


async def start_until_ready(fake: FakeDiscord, client: ShardedBot) -> asyncio.Task[None]:
    runner = asyncio.create_task(client.start(TOKEN))
    await fake.wait_until(lambda: client.is_ready() or runner.done(), 10, f"{client.label}'s on_ready")
    if runner.done():
        runner.result()  # login or gateway failure: raise it here
    return runner


@contextlib.asynccontextmanager
async def running(fake: FakeDiscord, *clients: ShardedBot, sync: bool = True) -> AsyncIterator[None]:
    """Start ``clients`` one after the other (each until ready), sync the first one's commands."""
    runners: list[asyncio.Task[None]] = []
    with pointed_at(fake):
        try:
            for client in clients:
                runners.append(await start_until_ready(fake, client))
            if sync:
                await clients[0].tree.sync()
            yield
        finally:
            for client in clients:
                await client.close()
            for runner in runners:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(runner, 5)


def spread_guilds(fake: FakeDiscord, count: int) -> list[FakeGuild]:
    """``count`` guilds, guild ``i`` on shard ``i % n`` for every shard count up to 16, each with
    a text channel and alice in it."""
    alice = fake.users.get(ALICE_ID) or fake.add_user(ALICE_ID, "alice")
    guilds = []
    for i in range(count):
        guild = fake.add_guild(name=f"Fans {i}")
        guild.add_text_channel(None, "general")
        guild.add_member(alice)
        guilds.append(guild)
    return guilds


def channel_of(guild: FakeGuild) -> int:
    return next(iter(guild.channels))


async def identify_raw(fake: FakeDiscord, payload: dict[str, object]) -> tuple[aiohttp.WSMessage, int | None]:
    """HELLO, then ``payload`` as IDENTIFY: the first answer and the close code, if closed."""
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(fake.gateway_url + "?v=10&encoding=json") as ws,
    ):
        assert (await ws.receive_json(timeout=2))["op"] == 10
        await ws.send_json({"op": 2, "d": {"token": TOKEN, "intents": 513, "properties": {}, **payload}})
        answer = await ws.receive(timeout=2)
        return answer, ws.close_code


# ==== IDENTIFY, READY and GUILD_CREATE per shard ====================================================


async def test_each_shard_gets_ready_and_the_guild_creates_of_its_own_guilds_only() -> None:
    async with FakeDiscord(bot_token=TOKEN) as fake:
        guilds = spread_guilds(fake, 6)
        bot = ShardedBot("A", shard_count=3, shard_ids=[0, 1, 2])

        async with running(fake, bot, sync=False):
            sessions = {s.shard: s for s in fake.gateway.live.values()}
            assert set(sessions) == {(0, 3), (1, 3), (2, 3)}
            for (index, count), session in sessions.items():
                mine = {str(g.id) for g in guilds if shard_of(g.id, count) == index}
                ready = next(p["d"] for p in session.buffer if p["t"] == "READY")
                created = {p["d"]["id"] for p in session.buffer if p["t"] == "GUILD_CREATE"}
                assert ready["shard"] == [index, count]
                assert {g["id"] for g in ready["guilds"]} == mine
                assert created == mine
                assert len(mine) == 2
            assert {g.id: g.shard_id for g in bot.guilds} == {g.id: g.shard_id(3) for g in guilds}


@pytest.mark.parametrize("shard", [[2, 2], [0, 0], [-1, 1], [1], "0,1", [True, 2]])
async def test_an_invalid_shard_closes_with_4010(shard: object) -> None:
    async with FakeDiscord(bot_token=TOKEN) as fake:
        answer, code = await identify_raw(fake, {"shard": shard})

        assert answer.type is aiohttp.WSMsgType.CLOSE
        assert code == 4010
        assert fake.gateway.identifies == 0


async def test_a_shard_with_more_guilds_than_allowed_closes_with_4011_sharding_required() -> None:
    async with FakeDiscord(bot_token=TOKEN, max_guilds_per_shard=2) as fake:
        spread_guilds(fake, 3)

        answer, code = await identify_raw(fake, {"shard": [0, 1]})
        assert answer.type is aiohttp.WSMsgType.CLOSE
        assert code == 4011

        answer, code = await identify_raw(fake, {"shard": [0, 2]})  # 2 of the 3 guilds: allowed
        assert answer.type is aiohttp.WSMsgType.TEXT
        assert answer.json()["t"] == "READY"
        assert code is None


# ==== dispatch: a guild's events to its shard, DMs to shard 0, across processes ======================


async def test_interactions_and_messages_reach_the_client_holding_their_shard() -> None:
    async with FakeDiscord(bot_token=TOKEN) as fake:
        guilds = spread_guilds(fake, 4)  # one on each of 4 shards
        alice = fake.users[ALICE_ID]
        first = ShardedBot("A", shard_count=4, shard_ids=[0, 1])
        second = ShardedBot("B", shard_count=4, shard_ids=[2, 3])

        async with running(fake, first, second):
            await fake.wait_ready(shard_count=4)
            answers = [(await fake.slash(g, channel_of(g), alice, "whoami")).content for g in guilds]
            dm = await fake.slash(None, None, alice, "whoami")
            await fake.user_says(channel_of(guilds[3]), alice, "on shard 3")
            await fake.user_says(fake.open_dm(alice), alice, "a DM")
            await fake.wait_until(lambda: len(first.seen) + len(second.seen) == 2, 5, "both messages")

        assert answers == [f"{'AABB'[g.shard_id(4)]} shard {g.shard_id(4)}" for g in guilds]
        assert sorted(g.shard_id(4) for g in guilds) == [0, 1, 2, 3]
        assert dm.content == "A shard 0"
        assert [m.guild.id for m in second.seen if m.guild is not None] == [guilds[3].id]
        assert [m.channel.type for m in first.seen] == [discord.ChannelType.private]
        assert fake.gateway.session_for(guilds[3].id).shard == (guilds[3].shard_id(4), 4)  # type: ignore[union-attr]


SHARD_PROCESS = textwrap.dedent(
    """
    import asyncio, os
    import discord
    from discord.ext import commands
    from testing.fakediscord import point_from_env

    point_from_env()
    label = os.environ["LABEL"]
    ids = [int(i) for i in os.environ["SHARD_IDS"].split(",")]

    class Bot(commands.AutoShardedBot):
        async def before_identify_hook(self, shard_id, *, initial=False):
            pass

        async def setup_hook(self):
            @self.tree.command(name="whoami", description="Which process and shard took this")
            async def whoami(interaction):
                shard = interaction.guild.shard_id if interaction.guild else 0
                await interaction.response.send_message(f"{label} shard {shard}")

        async def on_ready(self):
            if os.environ.get("SYNC"):
                await self.tree.sync()
            print("ready", flush=True)

    bot = Bot(command_prefix="!", intents=discord.Intents.default(), help_command=None,
              shard_count=4, shard_ids=ids, guild_ready_timeout=0.05)
    asyncio.run(bot.start("fake-token"))
    """
)


async def test_two_processes_with_two_shards_each_get_their_own_shards_interactions(tmp_path: Path) -> None:
    script = tmp_path / "sharded_bot.py"
    script.write_text(SHARD_PROCESS)
    async with FakeDiscord(bot_token=TOKEN) as fake:
        guilds = spread_guilds(fake, 8)
        alice = fake.users[ALICE_ID]
        env = {**os.environ, **fake.env, "PYTHONPATH": str(REPO_ROOT)}
        processes = []
        try:
            for label, ids, sync in (("A", "0,1", "1"), ("B", "2,3", "")):
                process = await asyncio.create_subprocess_exec(
                    sys.executable, str(script), env={**env, "LABEL": label, "SHARD_IDS": ids, "SYNC": sync},
                    stdout=asyncio.subprocess.PIPE,
                )  # fmt: skip
                processes.append(process)
                assert process.stdout is not None
                assert await asyncio.wait_for(process.stdout.readline(), 20) == b"ready\n"
            await fake.wait_until(lambda: "whoami" in fake.commands, 10, "the command sync")

            answers = [(await fake.slash(g, channel_of(g), alice, "whoami")).content for g in guilds]
            dm = await fake.slash(None, None, alice, "whoami")
        finally:
            for process in processes:
                if process.returncode is None:
                    process.kill()
                await process.wait()

        assert answers == [f"{'AABB'[g.shard_id(4)]} shard {g.shard_id(4)}" for g in guilds]
        assert dm.content == "A shard 0"
        assert sorted(r.shard for r in fake.gateway.identify_log) == [(i, 4) for i in range(4)]


# ==== GET /gateway/bot and IDENTIFY buckets ==========================================================


async def test_gateway_bot_recommends_shards_and_reports_the_session_start_limit() -> None:
    async with FakeDiscord(bot_token=TOKEN, recommended_shard_count=3, max_concurrency=2) as fake:
        spread_guilds(fake, 3)
        bot = ShardedBot("A")  # no shard_count: discord.py asks GET /gateway/bot

        async with running(fake, bot, sync=False):
            limits = await bot.fetch_session_start_limits()

        assert fake.requests_to("GET", "/gateway/bot")
        assert bot.shard_count == 3
        assert sorted(fake.gateway.live) == [(0, 3), (1, 3), (2, 3)]
        assert (limits.total, limits.remaining, limits.max_concurrency) == (1000, 997, 2)
        assert 0 < limits.reset_after <= 86_400_000


async def test_gateway_bot_recommends_one_shard_per_thousand_guilds() -> None:
    async with FakeDiscord(bot_token=TOKEN) as fake:
        spread_guilds(fake, 1001)
        headers = {"Authorization": f"Bot {TOKEN}"}
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{fake.api_base_url}/gateway/bot", headers=headers) as r,
        ):
            body = await r.json()

    assert body["shards"] == 2
    assert body["url"] == fake.gateway_url
    assert body["session_start_limit"] == {
        "total": 1000,
        "remaining": 1000,
        "reset_after": 0,
        "max_concurrency": 1,
    }


async def test_identifies_in_one_bucket_closer_than_the_interval_are_recorded_as_violations() -> None:
    async with FakeDiscord(bot_token=TOKEN, max_concurrency=2, identify_interval_seconds=60) as fake:
        spread_guilds(fake, 4)
        bot = ShardedBot("A", shard_count=4)  # all four shards at once

        async with running(fake, bot, sync=False):
            pass

        assert [r.shard for r in fake.gateway.identify_log] == [(0, 4), (1, 4), (2, 4), (3, 4)]
        assert [(r.shard[0], r.bucket) for r in fake.gateway.identify_violations] == [(2, 0), (3, 1)]
        assert not any(r.refused for r in fake.gateway.identify_log)  # recorded, still answered READY


async def test_shards_started_bucket_by_bucket_leave_no_violations() -> None:
    async with FakeDiscord(bot_token=TOKEN, max_concurrency=2, identify_interval_seconds=0.2) as fake:
        spread_guilds(fake, 4)
        # Shards 0 and 1 (buckets 0 and 1) at once; shard 2 opens the next round of buckets.
        bot = ShardedBot("A", shard_count=4, hook_delays=[0, 0, 1.0, 0])

        async with running(fake, bot, sync=False):
            pass

        assert [r.shard[0] for r in fake.gateway.identify_log] == [0, 1, 2, 3]
        assert fake.gateway.identify_violations == []


async def test_an_early_identify_is_answered_invalid_session_and_discord_py_identifies_again() -> None:
    async with FakeDiscord(
        bot_token=TOKEN, identify_interval_seconds=0.3, reject_early_identify=True
    ) as fake:
        spread_guilds(fake, 2)
        # Shard 1 identifies at once (refused); discord.py then calls the hook again before
        # the new IDENTIFY, which waits long enough.
        bot = ShardedBot("A", shard_count=2, hook_delays=[0, 0, 1.0])

        async with running(fake, bot, sync=False):
            await fake.wait_ready(shard_count=2)

        log = fake.gateway.identify_log
        assert [(r.shard[0], r.refused) for r in log] == [(0, False), (1, True), (1, False)]
        assert fake.gateway.identify_violations == [log[1]]
        assert fake.gateway.invalid_sessions_sent == 1
        assert [shard for shard, _ in bot.hook_calls] == [0, 1, 1]
        assert {g.shard_id for g in bot.guilds} == {0, 1}


# ==== one global REST limit for every client of the bot ==============================================


async def test_the_global_limit_is_shared_by_every_client_of_the_bot() -> None:
    async with FakeDiscord(bot_token=TOKEN, global_limit_per_second=10) as fake:
        spread_guilds(fake, 1)
        first, second = (
            discord.Client(intents=discord.Intents.none()),
            discord.Client(intents=discord.Intents.none()),
        )
        with pointed_at(fake):
            await first.login(TOKEN)
            await second.login(TOKEN)
            try:
                # 7 requests each: each client alone stays under 10/s, together they do not.
                users = await asyncio.gather(
                    *(client.fetch_user(ALICE_ID) for client in (first, second) for _ in range(7))
                )
            finally:
                await first.close()
                await second.close()

    assert [u.id for u in users] == [ALICE_ID] * 14
    gets = fake.requests_to("GET", f"/users/{ALICE_ID}")
    limited = [r for r in gets if r.status == 429]
    assert limited
    assert all(r.response["global"] is True for r in limited)
    admitted = sorted(r.time for r in fake.requests if r.bot_auth and r.status != 429)
    assert max(sum(1 for t in admitted if start <= t < start + 1.0) for start in admitted) <= 10


# ==== message history ================================================================================


def marked(i: int) -> discord.Embed:
    embed = discord.Embed(title=f"Reminder {i}", description="Le Mans starts soon")
    return embed.set_footer(text=f"delivery:{i}")


async def test_history_reads_back_content_embeds_footers_and_authors_in_guild_channels() -> None:
    async with FakeDiscord(bot_token=TOKEN) as fake:
        [guild] = spread_guilds(fake, 1)
        alice = fake.users[ALICE_ID]
        bot = ShardedBot("A", shard_count=1)

        async with running(fake, bot, sync=False):
            channel = bot.get_channel(channel_of(guild))
            assert isinstance(channel, discord.TextChannel)
            sent = [await channel.send(f"post {i}", embed=marked(i)) for i in range(5)]
            said = await fake.user_says(channel.id, alice, "thanks")

            newest = [m async for m in channel.history(limit=3)]
            after = [m async for m in channel.history(after=sent[1], limit=2)]
            before = [m async for m in channel.history(before=sent[3], limit=2)]
            around = [m async for m in channel.history(around=sent[2], limit=3)]

        assert [m.content for m in newest] == ["thanks", "post 4", "post 3"]
        assert newest[0].author.id == alice.id == int(said["author"]["id"])
        assert newest[1].author.id == bot.user.id  # type: ignore[union-attr]
        assert [m.embeds[0].footer.text for m in newest[1:]] == ["delivery:4", "delivery:3"]
        assert [m.embeds[0].title for m in newest[1:]] == ["Reminder 4", "Reminder 3"]
        assert [m.id for m in after] == [sent[2].id, sent[3].id]
        assert [m.id for m in before] == [sent[2].id, sent[1].id]
        assert sorted(m.id for m in around) == [sent[1].id, sent[2].id, sent[3].id]


async def test_history_of_a_dm_channel_and_without_view_or_history_permission() -> None:
    async with FakeDiscord(bot_token=TOKEN) as fake:
        [guild] = spread_guilds(fake, 1)
        bot = ShardedBot("A", shard_count=1)

        async with running(fake, bot, sync=False):
            dm = await (await bot.fetch_user(ALICE_ID)).create_dm()
            await dm.send(embed=marked(1))
            await dm.send("plain")
            in_dm = [m async for m in dm.history(limit=10)]

            channel = bot.get_channel(channel_of(guild))
            assert isinstance(channel, discord.TextChannel)
            await channel.send("kept", embed=marked(2))
            fake_channel = guild.channels[channel.id]
            fake_channel.set_overwrite(guild.bot_member, deny=READ_MESSAGE_HISTORY)
            no_history = [m async for m in channel.history(limit=10)]
            fake_channel.set_overwrite(guild.bot_member, deny=VIEW_CHANNEL)
            with pytest.raises(discord.Forbidden) as hidden:
                [m async for m in channel.history(limit=10)]

        assert [m.content for m in in_dm] == ["plain", ""]
        assert in_dm[1].embeds[0].footer.text == "delivery:1"
        assert all(m.author.id == bot.user.id for m in in_dm)  # type: ignore[union-attr]
        assert no_history == []  # Discord "returns no messages" without Read Message History
        assert (hidden.value.status, hidden.value.code) == (403, 50001)


async def test_history_limit_outside_1_to_100_is_an_invalid_form_body() -> None:
    async with FakeDiscord(bot_token=TOKEN) as fake:
        [guild] = spread_guilds(fake, 1)
        url = f"{fake.api_base_url}/channels/{channel_of(guild)}/messages"
        headers = {"Authorization": f"Bot {TOKEN}"}
        async with aiohttp.ClientSession() as http:
            for limit, status in (("0", 400), ("101", 400), ("100", 200)):
                async with http.get(url, params={"limit": limit}, headers=headers) as r:
                    assert r.status == status
                    if status == 400:
                        assert (await r.json())["code"] == 50035


# ==== helpers ========================================================================================


def test_spread_guild_ids_land_on_every_shard_in_turn() -> None:
    for count in (1, 2, 3, 4, 7, 16):
        assert [shard_of(spread_guild_id(i), count) for i in range(2 * count)] == [
            i % count for i in range(2 * count)
        ]
    assert shard_of(None, 4) == 0


def test_fanbot_env_passes_shards_and_database_url_and_never_inherits_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    urls = {"DISCORD_API_BASE_URL": "http://127.0.0.1:1/api/v10", "DISCORD_GATEWAY_URL": "ws://127.0.0.1:1/"}
    monkeypatch.setenv("FANBOT_DATABASE_URL", "postgresql://someone-elses")
    monkeypatch.setenv("FANBOT_SHARD_IDS", "7")

    plain = fanbot_env(urls, tmp_path / "bot.sqlite3")
    sharded = fanbot_env(urls, None, shard_count=4, shard_ids=[2, 3], database_url="postgresql://mine")
    ranged = fanbot_env(urls, None, shard_count=4, shard_ids="0-3")

    assert plain["FANBOT_DB"] == str(tmp_path / "bot.sqlite3")
    assert not {"FANBOT_DATABASE_URL", "FANBOT_SHARD_IDS", "FANBOT_SHARD_COUNT"} & set(plain)
    assert (sharded["FANBOT_SHARD_COUNT"], sharded["FANBOT_SHARD_IDS"]) == ("4", "2,3")
    assert sharded["FANBOT_DATABASE_URL"] == "postgresql://mine"
    assert "FANBOT_DB" not in sharded
    assert ranged["FANBOT_SHARD_IDS"] == "0-3"
