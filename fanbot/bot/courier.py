"""Posting reminders through discord.py, and turning Discord's answers into the
outcomes the dispatcher acts on."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import aiohttp
import discord

from fanbot.i18n import pick_locale, translator
from fanbot.reminders.dispatcher import Delivered, Notice, Outcome, Refused, TargetGone, TryLater
from fanbot.render.reminder import reminder_message

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot

log = logging.getLogger(__name__)

# Discord's JSON error code for "Cannot send messages to this user" (DMs closed).
CANNOT_MESSAGE_USER = 50007


def role_only(role_id: int | None) -> discord.AllowedMentions:
    """The one mention fanbot ever makes: the role a guild chose, and only it."""
    roles: list[discord.abc.Snowflake] | bool = [discord.Object(id=role_id)] if role_id else False
    return discord.AllowedMentions(everyone=False, users=False, roles=roles, replied_user=False)


class DiscordCourier:
    def __init__(self, bot: FanBot) -> None:
        self.bot = bot

    async def _locale(self, notice: Notice) -> str:
        if notice.target.kind == "user":
            return pick_locale(notice.fan_locale)
        chosen = await self.bot.store.reminders.guild_locale(notice.target.id)
        guild = self.bot.get_guild(notice.target.id)
        return pick_locale(chosen, guild.preferred_locale if guild else None)

    async def deliver(self, notice: Notice) -> Outcome:
        tr = translator(await self._locale(notice))
        content, embed = reminder_message(
            notice.event, notice.session, notice.lead_minutes, late=notice.late, tr=tr
        )
        try:
            if notice.target.kind == "guild":
                assert notice.setup is not None
                if notice.setup.role_id:
                    content = f"<@&{notice.setup.role_id}> {content}"
                channel: discord.abc.Messageable = self.bot.get_partial_messageable(
                    notice.setup.channel_id, guild_id=notice.target.id
                )
                mentions = role_only(notice.setup.role_id)
            else:
                channel = await self.bot.create_dm(discord.Object(id=notice.target.id))
                mentions = role_only(None)
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
            return TryLater("rate limited", exc.retry_after)
        except discord.HTTPException as exc:
            if exc.status == 429 or exc.status >= 500:
                return TryLater(f"{exc.status}: {exc.text}"[:300])
            return Refused(f"{exc.status} (code {exc.code}): {exc.text}"[:300])
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            return TryLater(f"network: {exc!r}"[:300])
        return Delivered(message.channel.id, message.id)
