"""Who counts as a guild's moderator: checked on every call, since Discord's
``default_permissions`` only hides commands and admins can override it per guild."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from fanbot.bot.context import bot_of

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot


class NotModerator(app_commands.CheckFailure):
    """The member is neither Manage Events nor holder of the moderator role."""


class NotInGuild(app_commands.CheckFailure):
    """A moderator command used in DMs."""


async def is_moderator(bot: FanBot, interaction: discord.Interaction) -> bool:
    if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
        return False
    perms = interaction.permissions
    if perms.administrator or perms.manage_guild or perms.manage_events:
        return True
    role_id = await bot.store.moderator_role(interaction.guild_id)
    return role_id is not None and any(r.id == role_id for r in interaction.user.roles)


async def require_moderator(interaction: discord.Interaction) -> bool:
    """An app-command check: raises ``NotModerator`` / ``NotInGuild`` for the tree's error handler."""
    if interaction.guild_id is None:
        raise NotInGuild()
    if not await is_moderator(bot_of(interaction), interaction):
        raise NotModerator()
    return True
