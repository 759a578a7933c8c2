"""The yardstick: a bare discord.py bot with one /ping command, started like fanbot
(its own process, pointed at the fake through DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL,
the same intents), so the command-latency ratios compare fanbot's work with nothing."""

from __future__ import annotations

import os

import discord
import yarl
from discord.ext import commands


class PingBot(commands.Bot):
    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def on_ready(self) -> None:
        # The same readiness signal fanbot gives (a presence update after on_ready).
        await self.change_presence(activity=discord.CustomActivity(name="pong"))


def main() -> None:
    discord.http.Route.BASE = os.environ["DISCORD_API_BASE_URL"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])
    intents = discord.Intents.none()
    intents.guilds = True
    bot = PingBot(command_prefix=commands.when_mentioned, intents=intents, help_command=None)

    @bot.tree.command(name="ping", description="Answers pong")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong")

    bot.run(os.environ["DISCORD_TOKEN"], log_handler=None)


if __name__ == "__main__":
    main()
