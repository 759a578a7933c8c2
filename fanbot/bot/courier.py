"""Posting reminders and their corrections through discord.py, and turning Discord's
answers into the outcomes the dispatcher acts on (the pacing under Discord's global
REST limit is ``rest_budget.RestBudget``, under every request of the process)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import aiohttp
import discord

from fanbot.bot.embeds.correction import correction_text
from fanbot.bot.embeds.reminder import reminder_message
from fanbot.domain.reminders import Target
from fanbot.i18n import pick_locale, translator
from fanbot.reminders.corrections import Correction
from fanbot.reminders.dispatcher import Delivered, Notice, Outcome, Refused, TargetGone, TryLater

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

    async def _locale(self, target: Target, fan_locale: str | None) -> str:
        if target.kind == "user":
            return pick_locale(fan_locale)
        chosen = await self.bot.store.reminders.guild_locale(target.id)
        guild = self.bot.get_guild(target.id)
        return pick_locale(chosen, guild.preferred_locale if guild else None)

    async def deliver(self, notice: Notice) -> Outcome:
        tr = translator(await self._locale(notice.target, notice.fan_locale))
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
