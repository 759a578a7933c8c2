"""/fanbot settings moderator-role: who, besides Manage Events, moderates the server (admins)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import locale_str as _T

from fanbot.answers import moderation as mod
from fanbot.answers.errors import AnswerError
from fanbot.bot.cogs.moderation.base import ModerationCog
from fanbot.bot.context import language
from fanbot.bot.options import described
from fanbot.bot.replies import send
from fanbot.i18n import N_


class SettingsCog(ModerationCog):
    fanbot_group = app_commands.Group(
        name=_T("fanbot"),
        description=described(N_("fanbot's settings for this server (admins).")),
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )
    settings_group = app_commands.Group(
        name=_T("settings"), description=described(N_("Settings for this server.")), parent=fanbot_group
    )

    # ------------------------------------------------------------ /fanbot settings

    @settings_group.command(
        name=_T("moderator-role"),
        description=described(N_("Choose the role whose members may manage this server's calendar.")),
    )
    @app_commands.rename(role=_T("role"), clear=_T("clear"))
    @app_commands.describe(
        role=described(N_("The moderator role (leave empty to see the current one)")),
        clear=described(N_("Remove the moderator role (Manage Events still counts)")),
    )
    async def moderator_role(
        self, interaction: discord.Interaction, role: discord.Role | None = None, clear: bool = False
    ) -> None:
        tr, _ = language(interaction)
        perms = interaction.permissions
        # default_permissions only hides the command; admins can show it to anyone.
        if interaction.guild_id is None or not (perms.administrator or perms.manage_guild):
            await send(
                interaction,
                content=tr(
                    "Only the server's admins (Manage Server permission) can choose the moderator role."
                ),
                ephemeral=True,
            )
            return
        asker = self.asker(interaction)
        if role is None and not clear:
            current = await self.bot.store.moderator_role(interaction.guild_id)
            text = (
                tr("The moderator role is <@&{role}>.", role=current)
                if current
                else tr("No moderator role is set: members with Manage Events are the moderators.")
            )
            await send(interaction, content=text, ephemeral=True)
            return
        try:
            await mod.set_moderator_role(
                asker,
                by=interaction.user.id,
                role_id=None if clear else role.id if role else None,
                is_everyone=bool(role and role.is_default() and not clear),
            )
        except AnswerError as exc:
            await self._refuse(interaction, exc)
            return
        text = (
            tr("The moderator role is removed: members with Manage Events are the moderators.")
            if clear
            else tr(
                "Members with <@&{role}> can now manage this server's calendar, as can those with "
                "Manage Events. Discord hides the commands from members without Manage Events: allow "
                "the role for /event, /session, /entry, /result and /calendar in Server Settings > "
                "Integrations > fanbot.",
                role=role.id if role else 0,
            )
        )
        await send(interaction, content=text, ephemeral=True)
