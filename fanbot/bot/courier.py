"""Posting reminders and their corrections through discord.py, turning Discord's
answers into the outcomes the dispatcher acts on, and keeping the process under
Discord's global REST limit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any

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
# Discord's global limit: 50 requests per second per bot (interaction responses and
# follow-ups are outside it; they do not go through discord.py's HTTPClient.request).
GLOBAL_LIMIT = 50


class RestBudget:
    """Discord's global limit kept on our side, for every REST request of the process.

    A permit is taken before a request goes out and comes back ``per`` seconds after
    Discord *answered* it. The answer comes after the request arrived, so request n + 50
    can never reach Discord within a second of request n, whatever the network delays:
    a thousand reminders at once provoke no 429, yet the budget is used in full (each
    permit again as soon as it may be). Sends, DM channels, corrections and test posts
    share it, so none of them can push another over the limit.

    Once four fifths of the budget are out, requests also start at least ``spacing`` apart
    (half the average interval): a long burst would queue at Discord and lengthen every
    answer, and each permit comes back only an answer later, so it would cost throughput.
    A burst of up to 40 (one race's reminders on a mid-sized bot) still goes out at once.
    """

    def __init__(self, limit: int = GLOBAL_LIMIT, per: float = 1.0) -> None:
        self.limit = limit
        self.per = per
        self.spacing = per / limit / 2
        self._last_start = -1.0
        self._in_flight = 0
        self._returning: deque[float] = deque()  # when used permits come back, in order
        self._turn = asyncio.Lock()  # first come, first served
        self._released = asyncio.Event()

    def _used(self, now: float) -> int:
        while self._returning and self._returning[0] <= now:
            self._returning.popleft()
        return self._in_flight + len(self._returning)

    async def acquire(self) -> None:
        async with self._turn:
            while self._used(time.monotonic()) >= self.limit:
                self._released.clear()
                # Every permit out: wait for the first to come back, or for an answer
                # (which starts another permit's way back).
                wait = self._returning[0] - time.monotonic() if self._returning else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._released.wait(), wait)
            busy = self._used(time.monotonic()) >= self.limit * 4 // 5
            too_soon = self._last_start + self.spacing - time.monotonic()
            if busy and too_soon > 0:
                # Nobody else gets a permit meanwhile (we hold the turn), and a request
                # cancelled here has taken none: the permit is counted after the sleep.
                await asyncio.sleep(too_soon)
            self._in_flight += 1
            self._last_start = time.monotonic()

    def release(self) -> None:
        self._in_flight -= 1
        self._returning.append(time.monotonic() + self.per)
        self._released.set()

    def install(self, http: discord.http.HTTPClient) -> None:
        """Make every request of ``http`` (discord.py's REST client) take a permit."""
        send = http.request

        async def request(route: discord.http.Route, **kwargs: Any) -> Any:
            await self.acquire()  # takes its permit at its last step: nothing to give back if cancelled
            try:
                return await send(route, **kwargs)
            finally:
                self.release()

        http.request = request  # type: ignore[method-assign]


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
