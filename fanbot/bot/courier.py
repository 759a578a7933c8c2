"""Posting reminders and their corrections through discord.py, looking for a reminder an
earlier attempt posted, and turning Discord's answers into the outcomes the dispatcher
acts on (the pacing under Discord's global REST limit is ``rest_budget.RestBudget``,
under every request of the process)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import aiohttp
import discord

from fanbot.bot.embeds.correction import correction_text
from fanbot.bot.embeds.reminder import carries_marker, delivery_marker, reminder_message
from fanbot.bot.weekend_threads import WeekendThreads
from fanbot.domain.reminders import Target
from fanbot.i18n import pick_locale, translator
from fanbot.reminders.corrections import Correction
from fanbot.reminders.dispatcher import (
    Delivered,
    HistoryUnreadable,
    Notice,
    Outcome,
    Refused,
    TargetGone,
    TryLater,
)

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot

log = logging.getLogger(__name__)

# Discord's JSON error code for "Cannot send messages to this user" (DMs closed).
CANNOT_MESSAGE_USER = 50007
# Messages read when looking for a reminder an earlier attempt posted: those that followed
# its due time, one request's worth (a reminder channel or a DM is seldom busier).
HISTORY_LIMIT = 50


def role_only(role_id: int | None) -> discord.AllowedMentions:
    """The one mention fanbot ever makes: the role a guild chose, and only it."""
    roles: list[discord.abc.Snowflake] | bool = [discord.Object(id=role_id)] if role_id else False
    return discord.AllowedMentions(everyone=False, users=False, roles=roles, replied_user=False)


class DiscordCourier:
    def __init__(self, bot: FanBot) -> None:
        self.bot = bot
        # A guild that chose threads: each race weekend's reminders in a thread of their own.
        self.threads = WeekendThreads(bot)

    async def _locale(self, target: Target, fan_locale: str | None) -> str:
        if target.kind == "user":
            return pick_locale(fan_locale)
        chosen = await self.bot.store.reminders.guild_locale(target.id)
        guild = self.bot.get_guild(target.id)
        return pick_locale(chosen, guild.preferred_locale if guild else None)

    async def _channel(self, notice: Notice) -> discord.abc.Messageable:
        """Where the reminder goes: the guild's reminder channel, or the fan's DM."""
        if notice.target.kind == "guild":
            assert notice.setup is not None
            return self.bot.get_partial_messageable(notice.setup.channel_id, guild_id=notice.target.id)
        return await self.bot.create_dm(discord.Object(id=notice.target.id))

    async def deliver(self, notice: Notice) -> Outcome:
        tr = translator(await self._locale(notice.target, notice.fan_locale))
        content, embed = reminder_message(
            notice.event,
            notice.session,
            notice.lead_minutes,
            late=notice.late,
            tr=tr,
            marker=delivery_marker(notice.nonce),
        )
        role_id = notice.mention_role_id if notice.target.kind == "guild" else None
        if role_id:
            content = f"<@&{role_id}> {content}"
        mentions = role_only(role_id)
        try:
            if self.threads.wanted(notice):
                posted = await self.threads.post(
                    notice, content=content[:2000], embed=embed, mentions=mentions
                )
                if not isinstance(posted, discord.Message):
                    return posted
                message = posted
            else:
                channel = await self._channel(notice)
                # discord.py sends a nonce with enforce_nonce: Discord drops a repeat for a few minutes.
                message = await channel.send(
                    content=content[:2000], embed=embed, nonce=notice.nonce, allowed_mentions=mentions
                )
        except discord.Forbidden as exc:
            if notice.target.kind == "user" and exc.code != CANNOT_MESSAGE_USER:
                return Refused(f"403 {exc.code}: {exc.text}")
            return TargetGone(f"403 Forbidden (code {exc.code}): {exc.text}"[:300])
        except discord.NotFound as exc:
            return TargetGone(f"404 Not Found (code {exc.code}): {exc.text}"[:300])
        except discord.RateLimited as exc:
            return TryLater("rate limited", exc.retry_after, maybe_posted=False)
        except discord.HTTPException as exc:
            if exc.status == 429:
                return TryLater(f"{exc.status}: {exc.text}"[:300], maybe_posted=False)
            if exc.status >= 500:
                return TryLater(f"{exc.status}: {exc.text}"[:300])
            return Refused(f"{exc.status} (code {exc.code}): {exc.text}"[:300])
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return TryLater(f"network: {exc!r}"[:300])
        return Delivered(message.channel.id, message.id)

    async def find_posted(self, notice: Notice, *, since: datetime) -> Delivered | HistoryUnreadable | None:
        """The reminder's own message among the first ``HISTORY_LIMIT`` posted after
        ``since`` in its channel or DM (``GET /channels/{id}/messages``), known by the
        delivery's marker in its embed; None if it is not among them. A channel that
        cannot be read (no Read Message History, gone, the network) is ``HistoryUnreadable``."""
        marker = delivery_marker(notice.nonce)
        me = self.bot.user.id if self.bot.user is not None else None
        try:
            channel: discord.abc.Messageable
            if self.threads.wanted(notice):
                # The weekend's thread (or the channel, before it has one).
                where = await self.threads.history_channel(notice)
                if where is None:
                    return None
                channel = where
            else:
                channel = await self._channel(notice)
            seen = 0
            async for message in channel.history(limit=HISTORY_LIMIT, after=since):
                seen += 1
                if (me is None or message.author.id == me) and carries_marker(message.embeds, marker):
                    return Delivered(message.channel.id, message.id, posted_at=message.created_at)
            if not seen and isinstance(channel, discord.PartialMessageable) and notice.target.kind == "guild":
                return await self._hidden_history(channel.id, since)
        except discord.HTTPException as exc:
            return HistoryUnreadable(f"{exc.status} (code {exc.code}): {exc.text}"[:300])
        except discord.RateLimited as exc:
            return HistoryUnreadable(f"rate limited for {exc.retry_after:.0f} s")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return HistoryUnreadable(f"network: {exc!r}"[:300])
        return None

    async def _hidden_history(self, channel_id: int, since: datetime) -> HistoryUnreadable | None:
        """Why a guild channel showed no message after ``since``, if it was hiding them.

        Without Read Message History, Discord answers the history with no messages rather
        than an error (Get Channel Messages, in its documentation): an empty answer is told
        apart by the channel's last message (``GET /channels/{id}``), which is newer than
        ``since`` only if there were messages to show. One request, and only when the
        history came back empty; None if the channel is indeed quiet since then."""
        fetched = await self.bot.fetch_channel(channel_id)
        last_id = getattr(fetched, "last_message_id", None)
        if last_id is None or discord.utils.snowflake_time(last_id) <= since:
            return None
        return HistoryUnreadable(
            "the channel has messages that its history does not show: "
            "Read Message History is missing in the channel"
        )

    async def send_correction(self, correction: Correction, *, guild_id: int, fan_locale: str | None) -> bool:
        # Paced like every request of the process: the RestBudget sits under self.bot.http.
        tr = translator(await self._locale(correction.target, fan_locale))
        try:
            if correction.target.kind == "guild":
                assert correction.channel_id is not None
                channel: discord.abc.Messageable = self.bot.get_partial_messageable(
                    correction.channel_id, guild_id=guild_id
                )
            else:
                channel = await self.bot.create_dm(discord.Object(id=correction.target.id))
            await channel.send(
                correction_text(correction, tr)[:2000], allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException:
            log.warning("could not post a correction to %s", correction.target, exc_info=True)
            return False
        return True
