"""The command tree: server-only unless a command says otherwise, and an error handler that
leaves nobody without an answer."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from fanbot.bot.context import interaction_translator
from fanbot.bot.installs import server_contexts, server_installs
from fanbot.bot.permissions import NotInGuild, NotModerator
from fanbot.bot.replies import send
from fanbot.metrics import COMMAND_SECONDS, COMMANDS

log = logging.getLogger(__name__)


class FanTree(app_commands.CommandTree):
    """Every command is installed with the bot to a server and runs there, unless it says
    otherwise (the fan commands go everywhere: ``installs.everywhere``)."""

    def __init__(self, client: discord.Client, **options: Any) -> None:
        options.setdefault("allowed_installs", server_installs())
        options.setdefault("allowed_contexts", server_contexts())
        super().__init__(client, **options)
        if isinstance(client, commands.Bot):
            client.add_listener(self._completed, "on_app_command_completion")

    async def _completed(self, interaction: discord.Interaction, command: object) -> None:
        answered(interaction, "ok")

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        tr = interaction_translator(interaction)
        refused = isinstance(error, (app_commands.CheckFailure, app_commands.CommandOnCooldown))
        answered(interaction, "refused" if refused else "error")
        if isinstance(error, NotInGuild):
            message = tr("This command works in a server, not in direct messages.")
        elif isinstance(error, NotModerator):
            message = tr(
                "Only this server's moderators can do this: members with the Manage Events "
                "permission or the moderator role."
            )
        elif isinstance(error, app_commands.CheckFailure):
            message = tr("You cannot use this command here.")
        elif isinstance(error, app_commands.CommandOnCooldown):
            message = tr("Slow down a little: try again in {seconds} s.", seconds=round(error.retry_after))
        else:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error(
                "command /%s failed (guild %s, channel %s, user %s, options %s)",
                command,
                interaction.guild_id,
                interaction.channel_id,
                interaction.user.id,
                dict(interaction.data or {}).get("options"),
                exc_info=error,
            )
            message = tr("Sorry, something went wrong on our side. It has been logged; please try again.")
        try:
            await send(interaction, content=message, ephemeral=True)
        except discord.HTTPException:
            log.exception("could not even send the apology for /%s", interaction.command)


def answered(interaction: discord.Interaction, outcome: str) -> None:
    """Count a command answered (``fanbot_commands_total``: ok, refused by a check, or an
    error) and how long it took from the interaction's arrival (autocomplete never comes
    here: it is no command)."""
    command = interaction.command
    name = command.qualified_name if command is not None else "?"
    COMMANDS.labels(command=name, outcome=outcome).inc()
    seconds = (discord.utils.utcnow() - interaction.created_at).total_seconds()
    COMMAND_SECONDS.labels(command=name).observe(max(seconds, 0.0))
