"""/calendar subscribe|feeds|unsubscribe: calendar feeds a server follows (``fanbot.feeds``).

The bodies of the three subcommands, which ``CalendarCog`` declares; a subscription's
first fetch runs while the moderator waits, so a URL that cannot be used is refused
at once, with why, and nothing is kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.app_commands import locale_str as _T
from discord.utils import format_dt

from fanbot.answers.errors import AnswerError
from fanbot.bot.context import bot_of, language
from fanbot.bot.embeds.pages import COLOUR, CONTENT_LIMIT, clip
from fanbot.bot.permissions import require_moderator
from fanbot.bot.replies import send, within_deadline
from fanbot.bot.views.confirm import ConfirmView, Outcome
from fanbot.domain.catalog import Problem
from fanbot.domain.limits import FEED_BROKEN_AFTER, FEED_REFRESH_DEFAULT
from fanbot.feeds.apply import FeedChange
from fanbot.feeds.fetch import FetchError, feed_url
from fanbot.i18n import Translate
from fanbot.render.words import duration_words
from fanbot.store.feeds import MAX_SUBSCRIPTIONS, Subscription, SubscriptionExists, TooManySubscriptions

if TYPE_CHECKING:
    from fanbot.bot.cogs.moderation.calendar import CalendarCog

# What /calendar subscribe offers for ``refresh``, in minutes (FEED_REFRESH_MIN is the least).
REFRESH_CHOICES = [
    app_commands.Choice(name=_T("every 15 minutes"), value=15),
    app_commands.Choice(name=_T("every hour"), value=60),
    app_commands.Choice(name=_T("every 6 hours (default)"), value=360),
    app_commands.Choice(name=_T("every 12 hours"), value=720),
    app_commands.Choice(name=_T("every day"), value=1440),
]
# How many of a feed's unread items /calendar feeds and the first fetch list.
SHOWN_PROBLEMS = 8


def _problem_lines(problems: tuple[Problem, ...] | list[Problem], tr: Translate) -> list[str]:
    lines = [f"• {p.render(tr)}" for p in problems[:SHOWN_PROBLEMS]]
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(tr("… and {n} more", n=len(problems) - SHOWN_PROBLEMS))
    return lines


async def subscribe(
    cog: CalendarCog,
    interaction: discord.Interaction,
    url: str,
    series: str | None,
    refresh: int | None,
) -> None:
    tr, _ = language(interaction)
    guild_id = interaction.guild_id
    assert guild_id is not None
    bot = cog.bot
    keeper = bot.feed_keeper
    assert keeper is not None, "the feed keeper is made in setup_hook"
    try:
        target = feed_url(url)
    except FetchError as exc:
        await send(interaction, content=clip(exc.problem.render(tr), CONTENT_LIMIT), ephemeral=True)
        return
    try:
        wanted = await cog.asker(interaction).resolve_series(series)
    except AnswerError as exc:
        await cog._refuse(interaction, exc)
        return
    minutes = refresh or int(FEED_REFRESH_DEFAULT.total_seconds() // 60)

    async def first_fetch() -> tuple[Subscription | None, list[str]]:
        sub = await bot.store.feeds.subscribe(
            guild_id,
            url=target,
            series=wanted.code if wanted else "",
            refresh_minutes=minutes,
            by=interaction.user.id,
            at=bot.clock.now(),
        )
        done = await keeper.refresh_now(sub.url)
        now_sub = await bot.store.feeds.get(guild_id, sub.id)
        if now_sub is None or now_sub.last_ok_at is None:
            problem = done.failed.get(sub.id) or done.problem or (now_sub.last_error if now_sub else None)
            await bot.store.feeds.unsubscribe(guild_id, sub.id, by=interaction.user.id, at=bot.clock.now())
            reason = problem.render(tr) if problem is not None else tr("the feed could not be read")
            return None, [tr("Not subscribed: {reason}. Nothing was changed.", reason=reason)]
        return now_sub, []

    try:
        sub, refusal = await within_deadline(interaction, first_fetch(), ephemeral=True)
    except SubscriptionExists:
        await send(
            interaction,
            content=tr(
                "This server already follows {url}. /calendar feeds shows how it is doing.", url=target
            ),
            ephemeral=True,
        )
        return
    except TooManySubscriptions:
        await send(
            interaction,
            content=tr(
                "This server already follows {n} feeds, as many as it may. /calendar unsubscribe one first.",
                n=MAX_SUBSCRIPTIONS,
            ),
            ephemeral=True,
        )
        return
    if sub is None:
        await send(interaction, content=clip("\n".join(refusal), CONTENT_LIMIT), ephemeral=True)
        return
    lines = [
        tr(
            "Following {url}: {n} events in this server's calendar, fetched again {every}. "
            "Changes the feed makes reach reminders and the calendar by themselves.",
            url=f"<{sub.url}>",
            n=sub.events,
            every=_every(sub.refresh_minutes, tr),
        )
    ]
    if sub.unread:
        lines.append(tr("Not taken from the feed (see /calendar feeds):"))
        lines.extend(_problem_lines(sub.unread, tr))
    await send(interaction, content=clip("\n".join(lines), CONTENT_LIMIT), ephemeral=True)


def _every(minutes: int, tr: Translate) -> str:
    return tr("every {duration}", duration=duration_words(minutes, tr))


def feed_embed(subs: list[Subscription], now: datetime, tr: Translate) -> discord.Embed:
    embed = discord.Embed(title=tr("Calendar feeds this server follows"), colour=COLOUR)
    if not subs:
        embed.description = tr(
            "None. /calendar subscribe follows an iCalendar feed or a fanbot catalog file."
        )
        return embed
    for sub in subs[:25]:
        lines = [
            tr(
                "{series} · {n} events · fetched {every}",
                series=sub.series or tr("every series"),
                n=sub.events,
                every=_every(sub.refresh_minutes, tr),
            ),
            tr(
                "Last fetch: {fetched} · last change: {changed}",
                fetched=format_dt(sub.last_fetch_at, "R") if sub.last_fetch_at else tr("never"),
                changed=format_dt(sub.last_change_at, "R") if sub.last_change_at else tr("never"),
            ),
        ]
        if sub.failing_since is None:
            lines.append("✅ " + tr("Working"))
        else:
            mark = "⛔ " if sub.broken(now) else "⚠️ "
            lines.append(
                mark
                + tr(
                    "Failing since {since}: {error}. The last good data is kept.",
                    since=format_dt(sub.failing_since, "R"),
                    error=sub.last_error.render(tr) if sub.last_error else "?",
                )
            )
        if sub.unread:
            lines.append(tr("Not taken from the feed:"))
            lines.extend(_problem_lines(sub.unread, tr))
        embed.add_field(name=clip(sub.url, 256), value=clip("\n".join(lines), 1024), inline=False)
    return embed


async def list_feeds(cog: CalendarCog, interaction: discord.Interaction) -> None:
    tr, _ = language(interaction)
    assert interaction.guild_id is not None
    subs = await cog.bot.store.feeds.subscriptions(interaction.guild_id)
    await send(interaction, embeds=[feed_embed(subs, cog.bot.clock.now(), tr)], ephemeral=True)


async def subscriptions_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """The server's subscriptions for /calendar unsubscribe, by URL."""
    if interaction.guild_id is None:
        return []
    subs = await bot_of(interaction).store.feeds.subscriptions(interaction.guild_id)
    typed = current.strip().lower()
    return [
        app_commands.Choice(name=clip(s.url, 100), value=str(s.id)) for s in subs if typed in s.url.lower()
    ][:25]


async def unsubscribe(cog: CalendarCog, interaction: discord.Interaction, feed: str) -> None:
    tr, locale = language(interaction)
    guild_id = interaction.guild_id
    assert guild_id is not None
    bot = cog.bot
    subs = await bot.store.feeds.subscriptions(guild_id)
    chosen = next((s for s in subs if str(s.id) == feed.strip() or s.url == feed.strip()), None)
    if chosen is None:
        await send(
            interaction,
            content=tr(
                "This server follows no feed {feed}. /calendar feeds lists the ones it does.", feed=feed
            ),
            ephemeral=True,
        )
        return
    sub = chosen
    user_id = interaction.user.id

    async def commit() -> Outcome:
        before = [e for e in await bot.store.own_events(guild_id) if e.key.startswith(sub.key_prefix)]
        await bot.store.feeds.unsubscribe(guild_id, sub.id, by=user_id, at=bot.clock.now())
        changes = [FeedChange(guild_id, e, None) for e in before]

        async def then() -> None:
            if bot.feed_keeper is not None:
                await bot.feed_keeper.pass_on(changes)

        text = tr(
            "No longer following {url}: {n} of its events left the calendar.", url=sub.url, n=len(before)
        )
        return Outcome(text, [], then)

    line = tr(
        "{url}: its {n} events leave this server's calendar (reminders of them stop; fans already "
        "reminded are told).",
        url=sub.url,
        n=sub.events,
    )
    view = ConfirmView(bot, user_id, tr, locale, commit, danger=True)
    embed = discord.Embed(title=tr("Stop following this feed?"), description=clip(line, 4000), colour=COLOUR)
    view.message = await send(interaction, embeds=[embed], view=view, ephemeral=True)


async def tell_broken(
    cog: CalendarCog, interaction: discord.Interaction, command: app_commands.Command[Any, Any, Any]
) -> None:
    """Once per failure, the next moderator who uses a moderator's command hears of a feed
    failing for a day. (Asked after moderators' commands only: fans' cost nothing.)"""
    guild_id = interaction.guild_id
    if guild_id is None or require_moderator not in command.checks or not interaction.response.is_done():
        return
    bot = cog.bot
    now = bot.clock.now()
    subs = await bot.store.feeds.take_broken_notice(guild_id, failing_since_before=now - FEED_BROKEN_AFTER)
    if not subs:
        return
    tr, _ = language(interaction)
    lines = [tr("A calendar feed of this server has been failing for more than a day:")]
    for sub in subs:
        error = sub.last_error.render(tr) if sub.last_error else "?"
        lines.append(f"• <{sub.url}>: {error}")
    lines.append(tr("Its last good data is kept. /calendar feeds shows every feed's health."))
    try:
        await interaction.followup.send(clip("\n".join(lines), CONTENT_LIMIT), ephemeral=True)
    except discord.HTTPException:
        return


__all__ = [
    "REFRESH_CHOICES",
    "feed_embed",
    "list_feeds",
    "subscribe",
    "subscriptions_choices",
    "tell_broken",
    "unsubscribe",
]
