"""/events mirror on|off|status (moderators): the server's races in its Events tab, one
Discord scheduled event per race, kept in step with the calendar by ``mirror_sync``.

``on`` checks what Discord will need before anything is saved: the Create Events
permission (refused with what to grant), and room under Discord's cap of 100 scheduled
events, the server's own events counted (refused with how many there are). The sync does
the rest in the background; a refusal from Discord later stops the mirror, which
``status`` shows and the next moderator is told once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str as _T
from discord.ext import commands

from fanbot.answers import reminders as answers
from fanbot.answers.errors import AnswerError
from fanbot.bot import autocomplete as complete
from fanbot.bot.context import interaction_translator
from fanbot.bot.embeds.pages import COLOUR, CONTENT_LIMIT, clip
from fanbot.bot.mirror_sync import MirrorSync, calendar_events, remote_events
from fanbot.bot.options import ShortText, described
from fanbot.bot.permissions import is_moderator, require_moderator
from fanbot.bot.replies import NO_MENTIONS, send, within_deadline
from fanbot.domain.mirror import CAP_HEADROOM, DEFAULT_DAYS, MAX_DAYS, MIRROR_CAP, MirrorSetup
from fanbot.i18n import N_, Translate
from fanbot.reminders import mirror_plan as plan
from fanbot.store import Scope

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot

log = logging.getLogger(__name__)

# Races listed by /events mirror status.
STATUS_RACES = 5
Days = app_commands.Range[int, 1, MAX_DAYS]


def series_words(series: tuple[str, ...], tr: Translate) -> str:
    return ", ".join(series) if series else tr("every series")


def stopped_text(setup: MirrorSetup, tr: Translate) -> str:
    return tr(
        "The events mirror stopped: Discord refused a change ({reason}). Give my role the Create "
        "Events permission (Server Settings > Roles), then use /events mirror on again.",
        reason=clip(setup.broken_reason or "?", 200),
    )


class EventsMirrorCog(commands.Cog):
    events_group = app_commands.Group(
        name=_T("events"),
        description=described(N_("This server's Events tab (moderators).")),
        guild_only=True,
        default_permissions=discord.Permissions(manage_events=True),
    )
    mirror_group = app_commands.Group(
        name=_T("mirror"),
        description=described(N_("Keep one Discord event per race in the Events tab.")),
        parent=events_group,
    )

    def __init__(self, bot: FanBot) -> None:
        self.bot = bot
        self.sync = MirrorSync(bot)

    async def cog_load(self) -> None:
        self.sync.start()

    async def cog_unload(self) -> None:
        await self.sync.stop()

    @commands.Cog.listener()
    async def on_calendar_changed(self, guild_id: int | None) -> None:
        """A moderator moved, cancelled or removed an event (``FanBot.event_changed``); None:
        the shared catalog changed (every server of this process)."""
        self.sync.calendar_changed(guild_id)

    # ------------------------------------------------------------ on

    @mirror_group.command(
        name=_T("on"),
        description=described(N_("Show the races of the next days in this server's Events tab.")),
    )
    @app_commands.rename(series=_T("series"), days=_T("days"))
    @app_commands.describe(
        series=described(N_("Only these series, comma-separated (default: all)")),
        days=described(N_("How many days ahead (default 14, at most 60)")),
    )
    @app_commands.check(require_moderator)
    @app_commands.autocomplete(series=complete.series_list)
    async def mirror_on(
        self, interaction: discord.Interaction, series: ShortText | None = None, days: Days = DEFAULT_DAYS
    ) -> None:
        tr = interaction_translator(interaction)
        guild = interaction.guild
        assert interaction.guild_id is not None
        try:
            chosen = await answers.read_series(self.bot.store, series)
        except AnswerError as exc:
            await send(interaction, content=exc.render(tr), ephemeral=True)
            return
        if not interaction.app_permissions.create_events:
            await send(
                interaction,
                content=tr(
                    "I need the Create Events permission to put races in this server's Events tab. "
                    "Give it to my role (Server Settings > Roles), then use /events mirror on again."
                ),
                ephemeral=True,
            )
            return
        setup = MirrorSetup(guild_id=interaction.guild_id, series=chosen, days=days)
        now = self.bot.clock.now()
        try:
            races, others = await within_deadline(interaction, self._room(guild, setup, now), ephemeral=True)
        except discord.HTTPException as exc:
            await send(
                interaction,
                content=tr(
                    "I could not read this server's events from Discord ({error}); please try again.",
                    error=f"{exc.status} {exc.text}",
                ),
                ephemeral=True,
            )
            return
        if races + others > MIRROR_CAP:
            await send(
                interaction,
                content=tr(
                    "The next {days} days hold {races} races and this server has {others} other scheduled "
                    "events: together they would pass Discord's limit of 100 events (fanbot leaves "
                    "{spare} free for yours). Choose fewer days or fewer series.",
                    days=days,
                    races=races,
                    others=others,
                    spare=CAP_HEADROOM,
                ),
                ephemeral=True,
            )
            return
        await self.bot.store.mirror.turn_on(
            interaction.guild_id, series=chosen, days=days, by=interaction.user.id, now=now
        )
        self.sync.calendar_changed(interaction.guild_id)
        text = tr(
            "The events mirror is on: the races of the next {days} days ({series}) appear in this "
            "server's Events tab, {races} of them now. They follow the calendar: a moved race moves, "
            "a cancelled one is cancelled, a removed one disappears.",
            days=days,
            series=series_words(chosen, tr),
            races=races,
        )
        await send(interaction, content=text, ephemeral=True)

    async def _room(self, guild: discord.Guild | None, setup: MirrorSetup, now: datetime) -> tuple[int, int]:
        """(races in the window, the server's scheduled or active events not the mirror's)."""
        events = await calendar_events(self.bot, setup, [], now)
        races = len(plan.wanted_races(events, now=now, setup=setup))
        if guild is None:
            return races, 0
        listed = await guild.fetch_scheduled_events(with_counts=False)
        return races, plan.others_live(remote_events(self.bot, listed).values())

    # ------------------------------------------------------------ off

    @mirror_group.command(
        name=_T("off"), description=described(N_("Stop the events mirror and remove its races to come."))
    )
    @app_commands.check(require_moderator)
    async def mirror_off(self, interaction: discord.Interaction) -> None:
        tr = interaction_translator(interaction)
        assert interaction.guild_id is not None
        stopped = await self.bot.store.mirror.turn_off(
            interaction.guild_id, by=interaction.user.id, now=self.bot.clock.now()
        )
        if stopped:
            self.sync.calendar_changed(interaction.guild_id)
            text = tr(
                "The events mirror is off; its races still to come are being removed from the Events tab."
            )
        else:
            text = tr("The events mirror was not on.")
        await send(interaction, content=text, ephemeral=True)

    # ------------------------------------------------------------ status

    @mirror_group.command(
        name=_T("status"), description=described(N_("Show the events mirror's settings and next races."))
    )
    @app_commands.check(require_moderator)
    async def mirror_status(self, interaction: discord.Interaction) -> None:
        tr = interaction_translator(interaction)
        guild_id = interaction.guild_id
        assert guild_id is not None
        store = self.bot.store
        setup = await store.mirror.setup(guild_id)
        if setup is None or not setup.active:
            await send(
                interaction,
                content=tr(
                    "The events mirror is off. /events mirror on puts this server's races in its Events tab."
                ),
                ephemeral=True,
            )
            return
        now = self.bot.clock.now()
        lines = [
            tr(
                "On: the races of the next {days} days ({series}) are kept in this server's Events tab.",
                days=setup.days,
                series=series_words(setup.series, tr),
            )
        ]
        if setup.broken:
            lines.insert(0, "**" + stopped_text(setup, tr) + "**")
            await store.mirror.take_broken_notice(guild_id)
        if setup.skipped:
            lines.append(
                tr.ngettext(
                    "{n} race is not shown: with the server's other events it would pass Discord's "
                    "limit of 100. Choose fewer days or fewer series.",
                    "{n} races are not shown: with the server's other events they would pass Discord's "
                    "limit of 100. Choose fewer days or fewer series.",
                    setup.skipped,
                )
            )
        if setup.synced_at is not None:
            lines.append(
                tr("Last change sent to Discord {when}.", when=f"<t:{int(setup.synced_at.timestamp())}:R>")
            )
        description = clip("\n".join(lines), 4096)
        embed = discord.Embed(title=tr("Events mirror"), description=description, colour=COLOUR)
        rows = await store.mirror.mirrored(guild_id)
        kept = [r for r in rows if r.state == "scheduled" and r.ends_at > now]
        events = await store.events_by_id(Scope(guild_id), {r.event_id for r in kept})
        names = {e.id: e.display_name for e in events}
        shown = [
            f"• {clip(names.get(r.event_id, '?'), 100)} — <t:{int(r.starts_at.timestamp())}:F>"
            for r in kept[:STATUS_RACES]
        ]
        embed.add_field(
            name=tr.ngettext("{n} race in the Events tab", "{n} races in the Events tab", len(kept)),
            value=clip("\n".join(shown), 1024) if shown else tr("None yet."),
            inline=False,
        )
        await send(interaction, embeds=[embed], ephemeral=True)

    # ------------------------------------------------------------ told once

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: app_commands.Command[Any, Any, Any]
    ) -> None:
        """After any command a moderator used: a mirror stopped by Discord is told to the
        first moderator who comes by, once."""
        if interaction.guild_id is None or not interaction.response.is_done():
            return
        try:
            setup = await self.bot.store.mirror.setup(interaction.guild_id)
            if setup is None or not setup.active or not setup.broken or setup.broken_told:
                return
            if not await is_moderator(self.bot, interaction):
                return
            told = await self.bot.store.mirror.take_broken_notice(interaction.guild_id)
            if told is not None:
                await interaction.followup.send(
                    clip(stopped_text(told, interaction_translator(interaction)), CONTENT_LIMIT),
                    ephemeral=True,
                    allowed_mentions=NO_MENTIONS,
                )
        except discord.HTTPException:
            log.warning("could not tell %s the events mirror stopped", interaction.user.id, exc_info=True)
