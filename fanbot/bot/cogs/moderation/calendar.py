"""/calendar export|add-circuit|board|link|subscribe|feeds|unsubscribe: the server's calendar as an
.ics file, feeds it follows (``cogs.moderation.feeds``), circuits of
its own, a pinned board of its next events that keeps itself up to date (``board_keeper``),
and a link calendar apps subscribe to (``fanbot.bot.web``).

/calendar is shown to every member, for /calendar link; every other subcommand is the
moderators' and checks it on each call (``require_moderator``)."""

from __future__ import annotations

import io
from typing import Any

import discord
from discord import app_commands
from discord.app_commands import locale_str as _T
from discord.ext import commands
from discord.utils import format_dt

from fanbot.answers import moderation as mod
from fanbot.answers.errors import AnswerError
from fanbot.bot.board_keeper import BoardGone
from fanbot.bot.cogs.moderation import feeds
from fanbot.bot.cogs.moderation.base import ModerationCog
from fanbot.bot.context import language
from fanbot.bot.embeds.pages import COLOUR
from fanbot.bot.options import CIRCUIT_NAME, Label, NameList, SeriesCode, Url, Zone, described
from fanbot.bot.permissions import require_moderator
from fanbot.bot.replies import NO_MENTIONS, send, within_deadline
from fanbot.domain.boards import (
    DEFAULT_BOARD_EVENTS,
    DELETIONS_TO_STOP,
    MAX_BOARD_EVENTS,
    BoardStop,
    CalendarBoard,
    PinState,
)
from fanbot.i18n import N_, Translate

# How many events a board lists: Discord refuses anything outside before the bot sees it.
BoardCount = app_commands.Range[int, 1, MAX_BOARD_EVENTS]
# What posting the board needs in its channel (pinning it, Pin Messages, is optional).
NEEDED_FOR_BOARD = ("view_channel", "send_messages", "embed_links")

PIN_WORDS = {
    PinState.PINNED: N_("pinned"),
    PinState.UNPINNED: N_("not pinned"),
    PinState.NO_PERMISSION: N_(
        "not pinned: give me Pin Messages in its channel to pin it (or pin it yourself)"
    ),
    PinState.PINS_FULL: N_("not pinned: the channel already holds as many pins as Discord allows"),
    PinState.FAILED: N_("not pinned: Discord refused; pin it yourself if you like"),
}
STOP_WORDS = {
    BoardStop.DELETED: N_("Stopped: moderators deleted it twice. /calendar board setup posts it again."),
    BoardStop.FORBIDDEN: N_(
        "Stopped: I can no longer see or post in its channel. Fix the channel's permissions, then "
        "/calendar board setup."
    ),
    BoardStop.GONE: N_("Stopped: its channel was deleted. /calendar board setup posts it elsewhere."),
}


def _message_link(board: CalendarBoard) -> str:
    return f"https://discord.com/channels/{board.guild_id}/{board.channel_id}/{board.message_id}"


def board_status_lines(board: CalendarBoard, tr: Translate) -> list[str]:
    """What /calendar board status says of a board (Discord timestamps for its instants)."""
    what = (
        tr.ngettext(
            "the next {series} event", "the next {n} {series} events", board.count, series=board.series
        )
        if board.series
        else tr.ngettext("the next event", "the next {n} events", board.count)
    )
    lines = [
        tr("Channel: <#{channel}>", channel=board.channel_id),
        tr("Lists: {what}", what=what),
    ]
    if board.stopped_reason is not None:
        lines.append(tr(STOP_WORDS[board.stopped_reason]))
    elif board.message_id is None:
        lines.append(
            tr(
                "Deleted: posted again with the next change, not before {when}.",
                when=format_dt(board.repost_after, "f"),
            )
        )
    else:
        lines.append(tr("Message: {link} ({pin})", link=_message_link(board), pin=tr(PIN_WORDS[board.pin])))
    if board.edited_at is not None and not board.stopped:
        lines.append(tr("Last updated: {when}", when=format_dt(board.edited_at, "R")))
    if board.deletions and not board.stopped:
        lines.append(
            tr(
                "Deleted by moderators: {n} of {most} times (at {most}, it stops).",
                n=board.deletions,
                most=DELETIONS_TO_STOP,
            )
        )
    return lines


class CalendarCog(ModerationCog):
    calendar_group = app_commands.Group(
        name=_T("calendar"),
        description=described(N_("This server's calendar: links for calendar apps, files and circuits.")),
        guild_only=True,
        # No default_permissions: members use /calendar link; the rest checks moderators.
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

    # ------------------------------------------------------------ /calendar subscribe|feeds|unsubscribe

    @calendar_group.command(
        name=_T("subscribe"),
        description=described(N_("Follow a calendar feed: its events join this server's calendar.")),
    )
    @app_commands.rename(url=_T("url"), series=_T("series"), refresh=_T("refresh"))
    @app_commands.describe(
        url=described(N_("An https:// or webcal:// iCalendar feed, or a fanbot catalog file (.json)")),
        series=described(N_("The series its events belong to (needed for an iCalendar feed)")),
        refresh=described(N_("How often to fetch it again (default: every 6 hours)")),
    )
    @app_commands.choices(refresh=feeds.REFRESH_CHOICES)
    @app_commands.check(require_moderator)
    async def calendar_subscribe(
        self,
        interaction: discord.Interaction,
        url: Url,
        series: SeriesCode | None = None,
        refresh: app_commands.Choice[int] | None = None,
    ) -> None:
        await feeds.subscribe(self, interaction, url, series, refresh.value if refresh else None)

    @calendar_group.command(
        name=_T("feeds"),
        description=described(N_("The feeds this server follows: last fetch, last change, health.")),
    )
    @app_commands.check(require_moderator)
    async def calendar_feeds(self, interaction: discord.Interaction) -> None:
        await feeds.list_feeds(self, interaction)

    @calendar_group.command(
        name=_T("unsubscribe"),
        description=described(N_("Stop following a feed; its events leave this server's calendar.")),
    )
    @app_commands.rename(feed=_T("feed"))
    @app_commands.describe(feed=described(N_("The feed (its address)")))
    @app_commands.autocomplete(feed=feeds.subscriptions_choices)
    @app_commands.check(require_moderator)
    async def calendar_unsubscribe(self, interaction: discord.Interaction, feed: Url) -> None:
        await feeds.unsubscribe(self, interaction, feed)

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction, command: app_commands.Command[Any, Any, Any]
    ) -> None:
        await feeds.tell_broken(self, interaction, command)

    # ------------------------------------------------------------ /calendar link

    @calendar_group.command(
        name=_T("link"),
        description=described(N_("A link that keeps this server's calendar in your calendar app.")),
    )
    @app_commands.rename(series=_T("series"), reset=_T("reset"))
    @app_commands.describe(
        series=described(N_("Only this series (WEC, IMSA, ...)")),
        reset=described(N_("Moderators: replace the link; the old one stops working")),
    )
    async def calendar_link(
        self, interaction: discord.Interaction, series: SeriesCode | None = None, reset: bool = False
    ) -> None:
        tr, _ = language(interaction)
        assert interaction.guild_id is not None
        if reset:
            await require_moderator(interaction)  # refused by the tree's handler, as any check
        web = self.bot.web
        if web is None:
            text = tr(
                "This bot does not serve calendar links (its operator has not turned its web server on). "
                "/calendar export gives the calendar as a file to import instead."
            )
            await send(interaction, content=text, ephemeral=True)
            return
        try:
            wanted = await self.asker(interaction).resolve_series(series)
        except AnswerError as exc:
            await self._refuse(interaction, exc)
            return
        links, now = self.bot.store.calendar_links, self.bot.clock.now()
        if reset:
            token = await links.reset(interaction.guild_id, by=interaction.user.id, at=now)
        else:
            token = await links.token(interaction.guild_id, by=interaction.user.id, at=now)
        link = web.link(token, wanted.code if wanted else None)
        if reset:
            intro = tr(
                "A new link replaces the old one, which has stopped working: calendars subscribed to it "
                "must subscribe again with this one."
            )
        else:
            intro = tr(
                "Subscribe to this server's calendar in your calendar app: it fetches it again every "
                "few hours, so moved and new sessions show up by themselves."
            )
        lines = [
            intro,
            tr(
                "Phone: copy this link and open it; your calendar app offers to subscribe: {webcal}",
                webcal=f"`{link.webcal}`",
            ),
            tr(
                "Google Calendar, Outlook and others: add a calendar from its URL: {web}", web=f"<{link.web}>"
            ),
            tr("Times are in UTC with the circuit's zone named; your app shows them in your time zone."),
        ]
        await send(interaction, content="\n".join(lines), ephemeral=True)

    # ------------------------------------------------------------ /calendar board

    board_group = app_commands.Group(
        name=_T("board"),
        description=described(N_("A pinned list of the next events that keeps itself up to date.")),
        parent=calendar_group,
    )

    @board_group.command(
        name=_T("setup"),
        description=described(N_("Post the board of the next events in a channel, and keep it up to date.")),
    )
    @app_commands.rename(channel=_T("channel"), series=_T("series"), count=_T("count"))
    @app_commands.describe(
        channel=described(N_("Where the board is posted (and pinned, with Pin Messages)")),
        series=described(N_("Only this series (WEC, IMSA, ...)")),
        count=described(N_("How many events it lists (default 5, at most 10)")),
    )
    @app_commands.check(require_moderator)
    async def board_setup(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        series: SeriesCode | None = None,
        count: BoardCount | None = None,
    ) -> None:
        tr, _ = language(interaction)
        assert interaction.guild_id is not None
        keeper = self.bot.board_keeper
        assert keeper is not None, "the board keeper is made in setup_hook"
        try:
            wanted = await self.asker(interaction).resolve_series(series)
        except AnswerError as exc:
            await self._refuse(interaction, exc)
            return
        problem = self._board_channel_problem(channel, tr)
        if problem is not None:
            await send(interaction, content=problem, ephemeral=True)
            return
        work = keeper.set_up(
            interaction.guild_id,
            channel.id,
            wanted.code if wanted else None,
            count or DEFAULT_BOARD_EVENTS,
            by=interaction.user.id,
        )
        try:
            board = await within_deadline(interaction, work, ephemeral=True)
        except (BoardGone, discord.HTTPException) as exc:
            await send(
                interaction,
                content=tr(
                    "I could not post the board in {channel}: {error}. Check that I can view the "
                    "channel, send messages and embed links there.",
                    channel=channel.mention,
                    error=str(exc)[:300],
                ),
                ephemeral=True,
            )
            return
        text = tr(
            "The calendar board is in {channel}: {pin}. It is edited when the calendar changes and "
            "as sessions pass; nothing else is posted.",
            channel=channel.mention,
            pin=tr(PIN_WORDS[board.pin]),
        )
        await send(interaction, content=text, ephemeral=True)

    def _board_channel_problem(self, channel: discord.abc.GuildChannel, tr: Translate) -> str | None:
        me = channel.guild.me
        if me is None:
            return None  # not cached yet: posting will tell
        perms = channel.permissions_for(me)
        missing = [name for name in NEEDED_FOR_BOARD if not getattr(perms, name)]
        if not missing:
            return None
        return tr(
            "I cannot post the calendar board in {channel}: I need {perms} there. Fix the channel's "
            "permissions and try again.",
            channel=channel.mention,
            perms=", ".join(p.replace("_", " ").title() for p in missing),
        )

    @board_group.command(
        name=_T("status"), description=described(N_("Where the board is and how it is kept."))
    )
    @app_commands.check(require_moderator)
    async def board_status(self, interaction: discord.Interaction) -> None:
        tr, _ = language(interaction)
        assert interaction.guild_id is not None
        board = await self.bot.store.boards.board(interaction.guild_id)
        if board is None:
            await send(
                interaction,
                content=tr("There is no calendar board here. Post one with /calendar board setup."),
                ephemeral=True,
            )
            return
        embed = discord.Embed(
            title=tr("Calendar board"), description="\n".join(board_status_lines(board, tr)), colour=COLOUR
        )
        await send(interaction, embeds=[embed], ephemeral=True)

    @board_group.command(name=_T("off"), description=described(N_("Stop the board and delete its message.")))
    @app_commands.check(require_moderator)
    async def board_off(self, interaction: discord.Interaction) -> None:
        tr, _ = language(interaction)
        assert interaction.guild_id is not None
        keeper = self.bot.board_keeper
        assert keeper is not None, "the board keeper is made in setup_hook"
        old = await within_deadline(interaction, keeper.turn_off(interaction.guild_id), ephemeral=True)
        text = (
            tr("The calendar board is off and its message deleted. /calendar board setup posts it again.")
            if old is not None
            else tr("There was no calendar board here.")
        )
        await send(interaction, content=text, ephemeral=True)
