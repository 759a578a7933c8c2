"""/calendar export|add-circuit: the server's calendar as an .ics file, and circuits of its own."""

from __future__ import annotations

import io

import discord
from discord import app_commands
from discord.app_commands import locale_str as _T

from fanbot.answers import moderation as mod
from fanbot.answers.errors import AnswerError
from fanbot.bot.cogs.moderation.base import MODERATORS, ModerationCog
from fanbot.bot.context import language
from fanbot.bot.options import CIRCUIT_NAME, Label, NameList, SeriesCode, Zone, described
from fanbot.bot.permissions import require_moderator
from fanbot.bot.replies import NO_MENTIONS, within_deadline
from fanbot.i18n import N_


class CalendarCog(ModerationCog):
    calendar_group = app_commands.Group(
        name=_T("calendar"),
        description=described(N_("Calendar files and circuits for this server (moderators).")),
        guild_only=True,
        default_permissions=MODERATORS,
    )

    # ------------------------------------------------------------ /calendar

    @calendar_group.command(
        name=_T("export"),
        description=described(N_("This server's calendar as an .ics file for calendar apps.")),
    )
    @app_commands.rename(series=_T("series"), public=_T("public"))
    @app_commands.describe(
        series=described(N_("Only this series (WEC, IMSA, ...)")),
        public=described(N_("Post the file in the channel for everyone (default: only you)")),
    )
    @app_commands.check(require_moderator)
    async def calendar_export(
        self,
        interaction: discord.Interaction,
        series: SeriesCode | None = None,
        public: bool = False,
    ) -> None:
        tr, _ = language(interaction)
        name = interaction.guild.name if interaction.guild else "fanbot"
        try:
            exported = await within_deadline(
                interaction,
                mod.export_calendar(self.asker(interaction), series=series, calendar_name=name),
                ephemeral=not public,
            )
        except AnswerError as exc:
            await self._refuse(interaction, exc)
            return
        text = tr(
            "{n} events, every time in UTC with the circuit's zone named. Import the file into Google "
            "Calendar, Apple Calendar, Outlook or Thunderbird; a newer file updates the same entries.",
            n=exported.events,
        )
        file = discord.File(io.BytesIO(exported.data), filename=exported.filename)
        if interaction.response.is_done():
            await interaction.followup.send(
                text, file=file, ephemeral=not public, allowed_mentions=NO_MENTIONS
            )
        else:
            await interaction.response.send_message(
                text, file=file, ephemeral=not public, allowed_mentions=NO_MENTIONS
            )

    @calendar_group.command(
        name=_T("add-circuit"),
        description=described(N_("Add a circuit fanbot does not know, with its time zone.")),
    )
    @app_commands.rename(
        name=_T("name"),
        timezone=_T("timezone"),
        location=_T("location"),
        country=_T("country"),
        aliases=_T("aliases"),
    )
    @app_commands.describe(
        name=described(CIRCUIT_NAME),
        timezone=described(N_("Its IANA time zone, e.g. Europe/Paris or America/New_York")),
        location=described(N_("The town or region")),
        country=described(N_("The country")),
        aliases=described(N_("Other names people use, separated by commas")),
    )
    @app_commands.check(require_moderator)
    async def calendar_add_circuit(
        self,
        interaction: discord.Interaction,
        name: Label,
        timezone: Zone,
        location: Label | None = None,
        country: Label | None = None,
        aliases: NameList | None = None,
    ) -> None:
        tr, _ = language(interaction)
        await self._written(
            interaction,
            mod.add_circuit(
                self.asker(interaction),
                by=interaction.user.id,
                name=name,
                timezone=timezone,
                location=location,
                country=country,
                aliases=aliases,
            ),
            lambda c: tr(
                "Added {name} ({zone}). Times typed for its events are read on its clocks.",
                name=c.name,
                zone=c.timezone,
            ),
        )
