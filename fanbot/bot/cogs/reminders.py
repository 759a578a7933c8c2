"""/reminders (a guild's reminder channel) and /remindme (a fan's DMs); the "Remind me"
button on /nextrace and /race does what /remindme add does (``views.remind_me``);
/reminders roles sets up pings by series (its menu and roles: ``views.series_roles``).

Handlers parse options, call one answer function and render; the dispatcher
(fanbot.reminders) does the sending.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str as _T
from discord.ext import commands

from fanbot.answers import reminders as answers
from fanbot.answers.errors import OPTION_SESSIONS, AnswerError, BadOption
from fanbot.bot import autocomplete as complete
from fanbot.bot.context import asker, interaction_translator
from fanbot.bot.courier import role_only
from fanbot.bot.embeds.pages import COLOUR, CONTENT_LIMIT, clip
from fanbot.bot.embeds.reminder import broken_text, describe_setup, upcoming_lines
from fanbot.bot.installs import everywhere_contexts, everywhere_installs, server_contexts, server_installs
from fanbot.bot.options import LEADS, Leads, Name, ShortText
from fanbot.bot.permissions import is_moderator, require_moderator
from fanbot.bot.replies import NO_MENTIONS, send
from fanbot.bot.views.remind_me import remind_me
from fanbot.bot.views.series_roles import (
    MENU_OPTIONS_LIMIT,
    ROLE_DELETED,
    SeriesMenu,
    can_ping,
    forget_deleted_roles,
    guild_language,
    manage_roles_problem,
    prepare_roles,
    role_refusal,
    series_menu,
    series_role_lines,
)
from fanbot.bot.weekend_threads import forum_problem, threads_line, threads_note
from fanbot.domain.model import SessionKind
from fanbot.domain.reminders import ReminderSetup
from fanbot.i18n import N_, Translate
from fanbot.reminders import planner

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot

log = logging.getLogger(__name__)

# What a reminder post needs in its channel.
NEEDED_IN_CHANNEL = ("view_channel", "send_messages", "embed_links")


class RemindersCog(commands.Cog):
    reminders = app_commands.Group(
        name=_T("reminders"),
        description=_T(N_("Race reminders in a channel of this server (moderators).")),
        guild_only=True,
        default_permissions=discord.Permissions(manage_events=True),
        allowed_installs=server_installs(),
        allowed_contexts=server_contexts(),
    )
    # A fan's own reminders: wherever the fan is, installed by a server or by the fan.
    remindme = app_commands.Group(
        name=_T("remindme"),
        description=_T(N_("Reminders for you, by direct message.")),
        allowed_installs=everywhere_installs(),
        allowed_contexts=everywhere_contexts(),
    )

    def __init__(self, bot: FanBot) -> None:
        self.bot = bot

    # /reminders roles: pings by series (below, "pings by series").
    roles = app_commands.Group(
        name=_T("roles"),
        description=_T(N_("Roles members pick to be pinged for the series they follow.")),
        parent=reminders,
    )

    async def cog_load(self) -> None:
        # The series menu answers whoever picks in it, after any restart.
        self.bot.add_dynamic_items(SeriesMenu)

    # ------------------------------------------------------------ guild reminders

    @reminders.command(
        name=_T("setup"), description=_T(N_("Choose the channel, series, sessions and times."))
    )
    @app_commands.rename(
        channel=_T("channel"),
        role=_T("role"),
        series=_T("series"),
        before=_T("before"),
        sessions=_T("sessions"),
        green_flag=_T("green_flag"),
        threads=_T("threads"),
    )
    @app_commands.describe(
        channel=_T(N_("Where reminders are posted")),
        role=_T(N_("A role to ping with each reminder (optional)")),
        series=_T(N_("Only these series, comma-separated (default: all)")),
        before=_T(LEADS),
        sessions=_T(N_("Which sessions, e.g. qualifying, race (default)")),
        green_flag=_T(N_("Also post when the race starts (default: yes)")),
        threads=_T(N_("A thread per race weekend for its reminders; a forum: a post each (default: no)")),
    )
    @app_commands.check(require_moderator)
    @app_commands.autocomplete(series=complete.series_list)
    async def setup(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | discord.ForumChannel,
        role: discord.Role | None = None,
        series: ShortText | None = None,
        before: Leads | None = None,
        sessions: ShortText | None = None,
        green_flag: bool = True,
        threads: bool = False,
    ) -> None:
        tr = interaction_translator(interaction)
        assert interaction.guild_id is not None
        try:
            leads = answers.read_leads(before)
            chosen_series = await answers.read_series(self.bot.store, series)
            kinds: tuple[SessionKind, ...] = planner.DEFAULT_KINDS
            if sessions:
                try:
                    kinds = planner.parse_kinds(sessions)
                except planner.LeadError as exc:
                    raise BadOption(
                        value=sessions, option=OPTION_SESSIONS, hint=exc.message, hint_fields=exc.fields
                    ) from exc
        except AnswerError as exc:
            await send(interaction, content=exc.render(tr), ephemeral=True)
            return
        problem = self._channel_problem(channel, tr) or forum_problem(channel, tr)
        if problem is None and role is not None and role.is_default():
            problem = tr("Pinging @everyone is not something I do; pick a role fans can join.")
        if problem:
            await send(interaction, content=problem, ephemeral=True)
            return
        now = self.bot.clock.now()
        setup = ReminderSetup(
            guild_id=interaction.guild_id,
            channel_id=channel.id,
            role_id=role.id if role else None,
            series=chosen_series,
            kinds=kinds,
            leads=leads,
            green_flag=green_flag,
            since=now,
            updated_by=interaction.user.id,
            # A forum holds posts only: one per weekend.
            threads=threads or isinstance(channel, discord.ForumChannel),
        )
        await self.bot.store.reminders.save_setup(setup, now=now)
        status = await answers.guild_status(self.bot.store, guild_id=interaction.guild_id, now=now)
        embed = discord.Embed(
            title=tr("Reminders are on"),
            description=describe_setup(setup, tr) + "\n" + threads_line(setup, tr),
            colour=COLOUR,
        )
        if note := threads_note(channel, setup.threads, tr):
            embed.add_field(name=tr("Threads"), value=note, inline=False)
        self._add_upcoming(embed, status.upcoming, tr)
        if role is not None and not role.mentionable and not self._can_mention_everyone(channel):
            embed.add_field(
                name=tr("Note"),
                value=tr(
                    "The role is not mentionable and I lack Mention Everyone there: it will not be pinged."
                ),
            )
        await send(interaction, embeds=[embed], ephemeral=True)

    def _channel_problem(self, channel: discord.abc.GuildChannel, tr: Translate) -> str | None:
        me = channel.guild.me
        if me is None:
            return None  # not cached yet: /reminders test will tell
        perms = channel.permissions_for(me)
        missing = [name for name in NEEDED_IN_CHANNEL if not getattr(perms, name)]
        if missing:
            return tr(
                "I cannot post reminders in {channel}: I need {perms} there. Fix the channel's "
                "permissions and try again.",
                channel=channel.mention,
                perms=", ".join(p.replace("_", " ").title() for p in missing),
            )
        return None

    def _can_mention_everyone(self, channel: discord.abc.GuildChannel) -> bool:
        me = channel.guild.me
        return me is not None and channel.permissions_for(me).mention_everyone

    def _add_upcoming(self, embed: discord.Embed, upcoming: list[answers.Upcoming], tr: Translate) -> None:
        lines = upcoming_lines(upcoming, tr)
        embed.add_field(
            name=tr("Next reminders"),
            value=clip("\n".join(lines), 1024) if lines else tr("None scheduled with a known time yet."),
            inline=False,
        )

    @reminders.command(
        name=_T("status"), description=_T(N_("Show the settings and the next five reminders."))
    )
    @app_commands.check(require_moderator)
    async def status(self, interaction: discord.Interaction) -> None:
        tr = interaction_translator(interaction)
        assert interaction.guild_id is not None
        now = self.bot.clock.now()
        status = await answers.guild_status(self.bot.store, guild_id=interaction.guild_id, now=now)
        setup = status.setup
        if setup is None or not setup.active:
            await send(
                interaction,
                content=tr("Reminders are off here. Turn them on with /reminders setup."),
                ephemeral=True,
            )
            return
        description = describe_setup(setup, tr) + "\n" + threads_line(setup, tr)
        if setup.broken:
            description = broken_text(setup, tr) + "\n\n" + description
            await self.bot.store.reminders.take_broken_notice(interaction.guild_id)
        embed = discord.Embed(title=tr("Reminders"), description=clip(description, 4096), colour=COLOUR)
        self._add_upcoming(embed, status.upcoming, tr)
        await self._add_series_roles(embed, interaction.guild_id, tr)
        if status.recent_failures:
            embed.add_field(name=tr("Recent problems"), value=clip("\n".join(status.recent_failures), 1024))
        # Reminders of a feed's sessions are only as right as the feed: one failing for a
        # day is said here too (/calendar feeds has the details).
        failing = [
            sub for sub in await self.bot.store.feeds.subscriptions(interaction.guild_id) if sub.broken(now)
        ]
        if failing:
            lines = [
                tr("Failing for more than a day; its last good data is kept: {url}", url=f"<{sub.url}>")
                for sub in failing
            ]
            embed.add_field(name=tr("Calendar feeds"), value=clip("\n".join(lines), 1024))
        await send(interaction, embeds=[embed], ephemeral=True)

    @reminders.command(name=_T("test"), description=_T(N_("Post a sample reminder to check permissions.")))
    @app_commands.check(require_moderator)
    async def test(self, interaction: discord.Interaction) -> None:
        tr = interaction_translator(interaction)
        assert interaction.guild_id is not None
        setup = await self.bot.store.reminders.setup(interaction.guild_id)
        if setup is None or not setup.active:
            await send(
                interaction, content=tr("Set reminders up first with /reminders setup."), ephemeral=True
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        channel = self.bot.get_partial_messageable(setup.channel_id, guild_id=interaction.guild_id)
        role = f"<@&{setup.role_id}> " if setup.role_id else ""
        text = tr("🔔 Test: race reminders will appear here, like this one.")
        try:
            # The role is written but not pinged: a test should not wake anyone.
            await channel.send(f"{role}{text}", allowed_mentions=role_only(None))
        except discord.HTTPException as exc:
            await interaction.followup.send(
                tr(
                    "I could not post in <#{channel}>: {error}. Check that I can view the channel, send "
                    "messages and embed links there.",
                    channel=setup.channel_id,
                    error=f"{exc.status} {exc.text}",
                ),
                ephemeral=True,
            )
            return
        if setup.broken:
            # Posting works again: clear the broken mark by saving the same settings.
            await self.bot.store.reminders.save_setup(setup, now=self.bot.clock.now())
            reply = tr("Posted in <#{channel}>; reminders are flowing again.", channel=setup.channel_id)
        else:
            reply = tr("Posted in <#{channel}>.", channel=setup.channel_id)
        await interaction.followup.send(reply, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @reminders.command(name=_T("off"), description=_T(N_("Stop posting reminders in this server.")))
    @app_commands.check(require_moderator)
    async def off(self, interaction: discord.Interaction) -> None:
        tr = interaction_translator(interaction)
        assert interaction.guild_id is not None
        stopped = await self.bot.store.reminders.turn_off(
            interaction.guild_id, by=interaction.user.id, now=self.bot.clock.now()
        )
        text = (
            tr("Reminders are off. /reminders setup turns them back on.")
            if stopped
            else tr("Reminders were not on.")
        )
        await send(interaction, content=text, ephemeral=True)

    # ------------------------------------------------------------ pings by series

    @roles.command(
        name=_T("setup"),
        description=_T(N_("Post a menu where members pick the series whose reminders ping them.")),
    )
    @app_commands.rename(channel=_T("channel"), series=_T("series"))
    @app_commands.describe(
        channel=_T(N_("Where to post the menu (default: here)")),
        series=_T(N_("Only these series, comma-separated (default: those of the reminders)")),
    )
    @app_commands.check(require_moderator)
    @app_commands.autocomplete(series=complete.series_list)
    async def roles_setup(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        series: ShortText | None = None,
    ) -> None:
        tr = interaction_translator(interaction)
        guild = interaction.guild
        assert guild is not None
        store = self.bot.store
        try:
            chosen = await answers.read_series(store, series)
        except AnswerError as exc:
            await send(interaction, content=exc.render(tr), ephemeral=True)
            return
        setup = await store.reminders.setup(guild.id)
        wanted = chosen or (setup.series if setup is not None and setup.active else ())
        offered = [s for s in await store.series() if not wanted or s.code in wanted]
        target = channel or interaction.channel
        problem = manage_roles_problem(interaction, tr)
        if problem is None and not isinstance(target, discord.TextChannel):
            problem = tr("Name a text channel for the menu.")
        elif problem is None and isinstance(target, discord.TextChannel):
            problem = self._channel_problem(target, tr)
        if problem is not None or not isinstance(target, discord.TextChannel):
            await send(interaction, content=problem, ephemeral=True)
            return
        # Creating roles is a request each: answer Discord now.
        await interaction.response.defer(ephemeral=True, thinking=True)
        guild_tr = await guild_language(store, guild)
        prepared = await prepare_roles(
            store,
            guild,
            [s.code for s in offered[:MENU_OPTIONS_LIMIT]],
            tr=guild_tr,
            mentionable=not can_ping(guild, setup.channel_id if setup is not None else None),
            by=interaction.user.id,
            now=self.bot.clock.now(),
        )
        if prepared.stopped is not None:
            text = tr("I could not create the roles: {problem}", problem=tr(prepared.stopped))
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        embed, view = series_menu(offered, prepared.roles, guild_tr)
        try:
            await target.send(embed=embed, view=view, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            text = tr(
                "I could not post the menu in {channel}: {error}.",
                channel=target.mention,
                error=f"{exc.status} {exc.text}",
            )
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        lines = [
            f"**{code}** → <@&{role_id}>" + (" " + tr("(created)") if code in prepared.created else "")
            for code, role_id in prepared.roles.items()
        ]
        lines += [f"⚠ **{code}**: {tr(problem)}" for code, problem in prepared.problems]
        if len(offered) > MENU_OPTIONS_LIMIT:
            lines.append(
                tr("A menu holds {count} series at most: name fewer with series.", count=MENU_OPTIONS_LIMIT)
            )
        lines.append(tr("Each reminder now pings only the role of its series."))
        if setup is None or not setup.active:
            lines.append(tr("Reminders are off here. Turn them on with /reminders setup."))
        summary = discord.Embed(
            title=tr("Menu posted in {channel}", channel=f"#{target.name}"),
            description=clip("\n".join(lines), 4096),
            colour=COLOUR,
        )
        await interaction.followup.send(embeds=[summary], ephemeral=True, allowed_mentions=NO_MENTIONS)

    @roles.command(name=_T("use"), description=_T(N_("Ping an existing role for one series.")))
    @app_commands.rename(series=_T("series"), role=_T("role"))
    @app_commands.describe(
        series=_T(N_("The series, e.g. WEC")),
        role=_T(N_("The role its reminders ping and its members pick")),
    )
    @app_commands.check(require_moderator)
    @app_commands.autocomplete(series=complete.series)
    async def roles_use(
        self, interaction: discord.Interaction, series: ShortText, role: discord.Role
    ) -> None:
        tr = interaction_translator(interaction)
        guild = interaction.guild
        assert guild is not None
        try:
            codes = await answers.read_series(self.bot.store, series)
        except AnswerError as exc:
            await send(interaction, content=exc.render(tr), ephemeral=True)
            return
        problem = manage_roles_problem(interaction, tr) or role_refusal(interaction, role, tr)
        if problem is None and len(codes) != 1:
            problem = tr("Name one series, e.g. WEC.")
        if problem is not None:
            await send(interaction, content=problem, ephemeral=True)
            return
        [code] = codes
        await self.bot.store.series_roles.set_role(
            guild.id, code, role.id, created=False, by=interaction.user.id, now=self.bot.clock.now()
        )
        text = tr(
            "{series} reminders now ping {role}, and members who pick {series} in the menu get it. "
            "Post the menu with /reminders roles setup.",
            series=code,
            role=role.mention,
        )
        setup = await self.bot.store.reminders.setup(guild.id)
        if not role.mentionable and not can_ping(guild, setup.channel_id if setup is not None else None):
            text += "\n" + tr(
                "The role is not mentionable and I lack Mention Everyone there: it will not be pinged."
            )
        await send(interaction, content=text, ephemeral=True)

    @roles.command(name=_T("off"), description=_T(N_("Stop pinging by series (the roles stay).")))
    @app_commands.check(require_moderator)
    async def roles_off(self, interaction: discord.Interaction) -> None:
        tr = interaction_translator(interaction)
        assert interaction.guild_id is not None
        cleared = await self.bot.store.series_roles.clear(interaction.guild_id)
        text = (
            tr(
                "Reminders no longer ping by series: they ping the role of /reminders setup, if any. "
                "The roles and the menu stay; delete them in Discord if you wish."
            )
            if cleared
            else tr("Pings by series were not on.")
        )
        await send(interaction, content=text, ephemeral=True)

    async def _add_series_roles(self, embed: discord.Embed, guild_id: int, tr: Translate) -> None:
        """/reminders status: each series' role, and what went wrong with it."""
        lines = series_role_lines(await self.bot.store.series_roles.of_guild(guild_id), tr)
        if lines:
            embed.add_field(name=tr("Pings by series"), value=clip("\n".join(lines), 1024), inline=False)

    @commands.Cog.listener()
    async def on_guild_role_delete(self, role: discord.Role) -> None:
        """A series role deleted in Discord: cleared, and shown in /reminders status."""
        lost = await self.bot.store.series_roles.lose_role(
            role.guild.id, role.id, ROLE_DELETED, now=self.bot.clock.now()
        )
        if lost:
            log.warning("guild %s: the role of %s was deleted", role.guild.id, ", ".join(lost))

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Series roles deleted while fanbot was away: the guilds' roles arrived with them."""
        await forget_deleted_roles(self.bot.store, self.bot.guilds, now=self.bot.clock.now())

    # ------------------------------------------------------------ fans

    @remindme.command(name=_T("add"), description=_T(N_("Get a DM before an event's qualifying and race.")))
    @app_commands.rename(event=_T("event"), before=_T("before"))
    @app_commands.describe(
        event=_T(N_("The event's name")),
        before=_T(LEADS),
    )
    @app_commands.autocomplete(event=complete.events)
    async def add(self, interaction: discord.Interaction, event: Name, before: Leads | None = None) -> None:
        await remind_me(interaction, event, before)

    @remindme.command(name=_T("list"), description=_T(N_("The events you asked to be reminded of.")))
    async def list_(self, interaction: discord.Interaction) -> None:
        tr = interaction_translator(interaction)
        now = self.bot.clock.now()
        mine = await answers.fan_list(self.bot.store, user_id=interaction.user.id, now=now)
        if not mine.items:
            await send(
                interaction,
                content=tr("You have no reminders. Use /remindme add or the Remind me button."),
                ephemeral=True,
            )
            return
        embed = discord.Embed(title=tr("Your reminders"), colour=COLOUR)
        events = [f"• {e.display_name}" for _, e in mine.items if e is not None]
        embed.description = clip("\n".join(events), 4096)
        self._add_upcoming(embed, mine.upcoming, tr)
        if mine.dms_closed:
            await self.bot.store.reminders.take_closed_dm_notice(interaction.user.id)
            embed.add_field(name=tr("Paused"), value=answers.DmsClosed().render(tr), inline=False)
        await send(interaction, embeds=[embed], ephemeral=True)

    @remindme.command(name=_T("cancel"), description=_T(N_("Stop reminders for one event, or for all.")))
    @app_commands.rename(event=_T("event"))
    @app_commands.describe(event=_T(N_("The event (leave empty to cancel them all)")))
    @app_commands.autocomplete(event=complete.events)
    async def cancel(self, interaction: discord.Interaction, event: Name | None = None) -> None:
        tr = interaction_translator(interaction)
        event_id: int | None = None
        if event:
            try:
                event_id = (await asker(self.bot, interaction).resolve_event(event)).id
            except AnswerError as exc:
                await send(interaction, content=exc.render(tr), ephemeral=True)
                return
        gone = await self.bot.store.reminders.cancel_fan_request(
            user_id=interaction.user.id, event_id=event_id
        )
        text = (
            tr("Cancelled {count} reminder request(s).", count=gone)
            if gone
            else tr("There was nothing to cancel.")
        )
        await send(interaction, content=text, ephemeral=True)

    # ------------------------------------------------------------ one-time notices

    async def notices_for(self, interaction: discord.Interaction) -> list[str]:
        """Things to tell this person once, after their command was answered: closed DMs
        for a fan, a broken reminder channel for a moderator."""
        tr = interaction_translator(interaction)
        rem = self.bot.store.reminders
        found: list[str] = []
        if await rem.dms_closed(interaction.user.id) and await rem.take_closed_dm_notice(interaction.user.id):
            found.append(answers.DmsClosed().render(tr))
        if interaction.guild_id is not None:
            setup = await rem.setup(interaction.guild_id)
            if (
                setup is not None
                and setup.broken
                and not setup.broken_told
                and await is_moderator(self.bot, interaction)
                and await rem.take_broken_notice(interaction.guild_id)
            ):
                found.append(broken_text(setup, tr))
        return found

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: app_commands.Command[Any, Any, Any]
    ) -> None:
        """After any command was answered: closed DMs for a fan, a broken reminder
        channel for the next moderator who uses the bot."""
        if interaction.response.is_done():
            await self.tell_notices(interaction)

    async def tell_notices(self, interaction: discord.Interaction) -> None:
        try:
            for text in await self.notices_for(interaction):
                await interaction.followup.send(
                    clip(text, CONTENT_LIMIT), ephemeral=True, allowed_mentions=NO_MENTIONS
                )
        except discord.HTTPException:
            log.warning("could not show a pending notice to %s", interaction.user.id, exc_info=True)

    async def cog_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        # The tree's handler answers; nothing cog-specific to add.
        return None
