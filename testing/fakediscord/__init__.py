"""A local fake Discord (REST API v10 + gateway) for the unmodified discord.py client.

Why: simcord and friends replace discord.py's HTTP client and skip the gateway, so discord.py's
own retry, rate-limit, multipart and reconnect code never runs in tests. This fake is a real
HTTP/websocket server on 127.0.0.1; the bot only needs two URLs changed
(``discord.http.Route.BASE`` and ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``, see
:func:`pointed_at`, or the env vars DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL in a bot process).

Typical use::

    fake = FakeDiscord(bot_token="fake-token")
    guild = fake.add_guild(name="Endurance fans", locale="en-US")
    channel = guild.add_text_channel(name="reminders")
    alice = fake.add_user(username="alice")
    guild.add_member(alice)
    await fake.start()
    with pointed_at(fake):
        ...  # start the bot with bot.start("fake-token"), sync its commands
        await fake.wait_ready()
        result = await fake.slash(guild, channel, alice, "ping")
        assert result.final["content"] == "pong"
    await fake.stop()
"""

from .client import point_from_env, pointed_at
from .interactions import Attachment, InteractionResult, InteractionState, InteractionTimeout, NotInvocable
from .model import FakeChannel, FakeGuild, FakeMember, FakeRole, FakeUser, Overwrite
from .records import RequestRecord, UploadedFile
from .server import FakeDiscord
from .sharding import IdentifyRecord, shard_of, spread_guild_id
from .snowflake import SnowflakeGenerator, snowflake_time
from .validation import DiscordError

__all__ = [
    "Attachment",
    "DiscordError",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeMember",
    "FakeRole",
    "FakeUser",
    "IdentifyRecord",
    "InteractionResult",
    "InteractionState",
    "InteractionTimeout",
    "NotInvocable",
    "Overwrite",
    "RequestRecord",
    "SnowflakeGenerator",
    "UploadedFile",
    "point_from_env",
    "pointed_at",
    "shard_of",
    "snowflake_time",
    "spread_guild_id",
]
