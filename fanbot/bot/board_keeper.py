"""The calendar boards' keeper: one task that keeps each guild's board message up to date.

A board (``/calendar board setup``) is one message listing the guild's next events
(``answers.board``, ``render.board``). Its text changes only when the calendar is written
or when a session it shows starts or ends (``reminders.board_planner``), so the keeper
sleeps until the earliest such boundary of all its boards and is woken by every write:
this process's own (``Store.on_write``; a moderator's change also calls
``FanBot.event_changed``) and another process's (the bot's write watch). It renders a
board again only when its calendar's revision moved (the name counters every calendar
write moves: ``store.boards.kept``) or a boundary passed, and edits the message only when
the digest of the new text differs from what the message shows.

A message found deleted (Unknown Message on edit) is posted again with that change, at
most once a day, and the board stops after two deletions; a channel gone or closed to
the bot stops it too (``/calendar board status`` says why). With several processes, each
keeps the boards of its own shards' guilds (``Shards.owns_guild``), as for reminders.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

import aiohttp
import discord
from discord.utils import TimestampStyle, format_dt

from fanbot.answers.board import Board, calendar_board
from fanbot.answers.context import Asker
from fanbot.bot.embeds.pages import COLOUR
from fanbot.clock import FixedClock
from fanbot.domain.boards import BoardStop, CalendarBoard, PinState
from fanbot.i18n import pick_locale, translator
from fanbot.reminders.board_planner import Decision, Step, decide, next_boundary, next_look
from fanbot.reminders.dispatcher import Shards
from fanbot.reminders.nap import Nap
from fanbot.render.board import BoardText, board_text
from fanbot.store import Scope, StoreBusy, writes_are_bookkeeping

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot

log = logging.getLogger(__name__)

# Discord's JSON error codes the keeper tells apart.
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
MAX_PINS_REACHED = 30003
# A board Discord could not be reached for (5xx, 429, the network) is tried again after this.
RETRY_AFTER = timedelta(minutes=1)
# The keeper never sleeps longer than this: a clock jump or a lost wake-up heals itself.
MAX_SLEEP = timedelta(hours=1)
NO_MENTIONS = discord.AllowedMentions.none()
UNREACHABLE = (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError)

Revision = tuple[int, int]


@dataclass(frozen=True)
class _Seen:
    """What the keeper last made of a board: rendered at ``revision``, with the board as
    stored then; nothing to do before ``look_at`` unless either changes."""

    revision: Revision
    board: CalendarBoard
    look_at: datetime | None


class BoardGone(Exception):
    """The board's channel is gone or closed to the bot: it is stopped (``reason``)."""

    def __init__(self, reason: BoardStop, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def stamp(instant: datetime, style: str) -> str:
    """An instant in Discord's timestamp markup: every reader sees it in their own zone."""
    return format_dt(instant, cast("TimestampStyle", style))


def board_embed(text: BoardText) -> discord.Embed:
    embed = discord.Embed(title=text.title, description=text.description, colour=COLOUR)
    embed.set_footer(text=text.footer)
    return embed


def _gone(exc: discord.HTTPException) -> BoardGone | None:
    """What a refusal means for the board's channel: gone (404), closed to the bot (403)."""
    if isinstance(exc, discord.NotFound) and exc.code == UNKNOWN_CHANNEL:
        return BoardGone(BoardStop.GONE, f"404 (code {exc.code}): {exc.text}")
    if isinstance(exc, discord.Forbidden):
        return BoardGone(BoardStop.FORBIDDEN, f"403 (code {exc.code}): {exc.text}")
    return None


class BoardKeeper:
    def __init__(
        self, bot: FanBot, *, shards: Shards | None = None, max_sleep: timedelta = MAX_SLEEP
    ) -> None:
        self.bot = bot
        self.shards = shards or Shards()
        self.max_sleep = max_sleep
        self._seen: dict[int, _Seen] = {}
        # Guilds whose calendar a moderator of this process just changed.
        self._dirty: set[int] = set()
        self._nap = Nap()
        self._task: asyncio.Task[None] | None = None
        # One action at a time per board: a moderator's setup and the loop's edit.
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.edits = 0
        self.reposts = 0

    # ------------------------------------------------------------ the loop

    def wake(self, guild_id: int | None = None) -> None:
        """Look at the boards again now (``guild_id``'s whatever its revision says)."""
        if guild_id is not None:
            self._dirty.add(guild_id)
        self._nap.wake()

    def start(self) -> None:
        if self._task is None:
            self.bot.store.on_write(self.wake)
            self._task = asyncio.create_task(self._run_forever(), name="fanbot-boards")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run_forever(self) -> None:
        # Its writes (a digest recorded) bring nothing new to show, to it or any other loop.
        writes_are_bookkeeping()
        while True:
            # Cleared before looking, so a write made while it looks still wakes it.
            self._nap.woken = False
            try:
                look_at = await self.run_once()
            except StoreBusy:
                log.warning("the database stayed locked; looking at the boards again in a few seconds")
                look_at = self.bot.clock.now() + timedelta(seconds=5)
            except Exception:
                log.exception("a pass over the calendar boards failed; trying again shortly")
                look_at = self.bot.clock.now() + timedelta(seconds=30)
            if self._nap.woken:
                continue
            wait = self.max_sleep
            if look_at is not None:
                wait = min(wait, look_at - self.bot.clock.now())
            await self._nap.sleep(max(wait.total_seconds(), 0.001))

    async def run_once(self) -> datetime | None:
        """Bring every board of this process's guilds up to date; the next instant one
        needs looking at by itself (None: not before something is written)."""
        now = self.bot.clock.now()
        dirty, self._dirty = self._dirty, set()
        looks: list[datetime] = []
        for board, revision in await self.bot.store.boards.kept():
            if not self.shards.owns_guild(board.guild_id):
                continue
            seen = self._seen.get(board.guild_id)
            fresh = (
                seen is not None
                and board.guild_id not in dirty
                and seen.revision == revision
                and seen.board == board
                and (seen.look_at is None or now < seen.look_at)
            )
            if not fresh:
                try:
                    async with self._locks[board.guild_id]:
                        seen = await self._keep(board, revision, now)
                except StoreBusy:
                    raise
                except Exception:
                    # One board's trouble (fanbot's bug, most likely) holds up no other board.
                    log.exception("could not keep the calendar board of guild %s", board.guild_id)
                    seen = self._remember(board, revision, now + RETRY_AFTER, retry=True)
            if seen is not None and seen.look_at is not None:
                looks.append(seen.look_at)
        return min(looks, default=None)

    async def _keep(self, board: CalendarBoard, revision: Revision, now: datetime) -> _Seen | None:
        """Render one board and bring its message up to date; what was made of it."""
        # The board as stored now: a setup may have replaced it while this pass was reading.
        current = await self.bot.store.boards.board(board.guild_id)
        if current is None or current.stopped:
            self._seen.pop(board.guild_id, None)
            return None
        board = current
        text, shown = await self.render(board.guild_id, board.series, board.count, now)
        decision = decide(board, text.digest, now)
        try:
            board, decision = await self._act(board, decision, text, now)
        except BoardGone as gone:
            log.warning("calendar board of guild %s stopped: %s", board.guild_id, gone)
            await self.bot.store.boards.stop(board.guild_id, gone.reason, now=now)
            self._seen.pop(board.guild_id, None)
            return None
        except UNREACHABLE as exc:
            log.warning(
                "could not update the calendar board of guild %s (%r); trying again soon", board.guild_id, exc
            )
            return self._remember(board, revision, now + RETRY_AFTER, retry=True)
        if board.stopped:
            self._seen.pop(board.guild_id, None)
            return None
        return self._remember(
            board, revision, next_look(next_boundary((e.event for e in shown.events), now), decision)
        )

    def _remember(
        self, board: CalendarBoard, revision: Revision, look_at: datetime | None, *, retry: bool = False
    ) -> _Seen:
        # A retry keeps nothing of the board: the next pass after it renders again.
        seen = _Seen((-1, -1) if retry else revision, board, look_at)
        self._seen[board.guild_id] = seen
        return seen

    async def _act(
        self, board: CalendarBoard, decision: Decision, text: BoardText, now: datetime
    ) -> tuple[CalendarBoard, Decision]:
        """Do what ``decision`` says; the board and the decision as they end up."""
        boards = self.bot.store.boards
        if decision.step is Step.EDIT:
            message_id = board.message_id
            assert message_id is not None
            try:
                await self._edit(board.channel_id, board.guild_id, message_id, text)
            except discord.NotFound as exc:
                if exc.code != UNKNOWN_MESSAGE:
                    raise
                # A moderator deleted it: counted, and posted again with this change.
                log.info("calendar board of guild %s was deleted", board.guild_id)
                after = await boards.record_deleted(board.guild_id, message_id, now=now)
                if after is None or after.stopped:
                    return after or board, Decision(Step.NOTHING)
                board, decision = after, decide(after, text.digest, now)
            else:
                self.edits += 1
                await boards.record_edit(board.guild_id, message_id, text.digest, now=now)
                return await boards.board(board.guild_id) or board, decision
        if decision.step is Step.REPOST:
            message = await self._post(board.channel_id, board.guild_id, text)
            pin = await self._pin(message, board.guild_id, board.channel_id)
            if not await boards.record_repost(board.guild_id, message.id, text.digest, pin, now=now):
                with contextlib.suppress(*UNREACHABLE):
                    await message.delete()
            self.reposts += 1
            after = await boards.board(board.guild_id)
            return after or board, decision
        return board, decision

    # ------------------------------------------------------------ Discord

    async def render(
        self, guild_id: int, series: str | None, count: int, now: datetime
    ) -> tuple[BoardText, Board]:
        """The board's text at ``now`` in the guild's language, and what it shows."""
        asker = Asker(self.bot.store, Scope(guild_id), FixedClock(now), self.bot.lookups)
        shown = await calendar_board(asker, series, count)
        locale = await self._locale(guild_id)
        return board_text(shown, translator(locale), locale, stamp), shown

    async def _locale(self, guild_id: int) -> str:
        chosen = await self.bot.store.reminders.guild_locale(guild_id)
        guild = self.bot.get_guild(guild_id)
        return pick_locale(chosen, guild.preferred_locale if guild else None)

    def _channel(self, channel_id: int, guild_id: int) -> discord.PartialMessageable:
        return self.bot.get_partial_messageable(channel_id, guild_id=guild_id)

    async def _edit(self, channel_id: int, guild_id: int, message_id: int, text: BoardText) -> None:
        """Edit the board's message; ``BoardGone`` if its channel went or closed (a deleted
        message is ``discord.NotFound`` with Unknown Message)."""
        message = self._channel(channel_id, guild_id).get_partial_message(message_id)
        try:
            await message.edit(embed=board_embed(text), allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            gone = _gone(exc)
            if gone is not None:
                raise gone from exc
            raise

    async def _post(self, channel_id: int, guild_id: int, text: BoardText) -> discord.Message:
        """Post the board's message; ``BoardGone`` if its channel went or closed."""
        channel = self._channel(channel_id, guild_id)
        try:
            return await channel.send(embed=board_embed(text), allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            gone = _gone(exc)
            if gone is not None:
                raise gone from exc
            raise

    async def _pin(
        self, message: discord.Message | discord.PartialMessage, guild_id: int, channel_id: int
    ) -> PinState:
        """Pin the board's message if the bot may (Pin Messages in its channel), and say how it went."""
        guild = self.bot.get_guild(guild_id)
        channel = guild.get_channel(channel_id) if guild is not None else None
        me = guild.me if guild is not None else None
        if me is not None and channel is not None and not channel.permissions_for(me).pin_messages:
            # Asking anyway would only earn a 403 (Discord counts those against the bot).
            return PinState.NO_PERMISSION
        try:
            await message.pin(reason="fanbot calendar board")
        except discord.Forbidden:
            return PinState.NO_PERMISSION
        except discord.HTTPException as exc:
            if exc.code == MAX_PINS_REACHED:
                return PinState.PINS_FULL
            log.warning("could not pin the calendar board in channel %s: %s", channel_id, exc)
            return PinState.FAILED
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            log.warning("could not pin the calendar board in channel %s: %r", channel_id, exc)
            return PinState.FAILED
        return PinState.PINNED

    # ------------------------------------------------------------ what moderators do

    async def set_up(
        self, guild_id: int, channel_id: int, series: str | None, count: int, *, by: int
    ) -> CalendarBoard:
        """Post the board in ``channel_id`` (or edit it in place if it is already there),
        pin it if the bot may, and keep it from now on. Raises ``BoardGone`` when the
        channel refuses, ``discord.HTTPException`` for anything else Discord refused."""
        async with self._locks[guild_id]:
            now = self.bot.clock.now()
            text, _ = await self.render(guild_id, series, count, now)
            old = await self.bot.store.boards.board(guild_id)
            message: discord.Message | discord.PartialMessage | None = None
            posted_at, pin = now, PinState.UNPINNED
            if old is not None and old.channel_id == channel_id and old.message_id is not None:
                message = self._channel(channel_id, guild_id).get_partial_message(old.message_id)
                try:
                    await self._edit(channel_id, guild_id, old.message_id, text)
                    posted_at, pin = old.posted_at, old.pin
                except discord.NotFound:
                    message = None
            if message is None:
                message = await self._post(channel_id, guild_id, text)
                if old is not None and old.message_id is not None and old.channel_id != channel_id:
                    await self._delete_quietly(old)
            if pin is not PinState.PINNED:
                pin = await self._pin(message, guild_id, channel_id)
            board = CalendarBoard(
                guild_id=guild_id,
                channel_id=channel_id,
                message_id=message.id,
                series=series,
                count=count,
                content_hash=text.digest,
                pin=pin,
                deletions=0,
                posted_at=posted_at,
                edited_at=now,
                updated_by=by,
            )
            await self.bot.store.boards.save(board, now=now)
            self._seen.pop(guild_id, None)
        self.wake(guild_id)
        return board

    async def turn_off(self, guild_id: int) -> CalendarBoard | None:
        """Stop keeping the guild's board and delete its message; the board it had."""
        async with self._locks[guild_id]:
            old = await self.bot.store.boards.remove(guild_id)
            self._seen.pop(guild_id, None)
            if old is not None:
                await self._delete_quietly(old)
        return old

    async def _delete_quietly(self, board: CalendarBoard) -> None:
        if board.message_id is None:
            return
        try:
            await (
                self._channel(board.channel_id, board.guild_id).get_partial_message(board.message_id).delete()
            )
        except UNREACHABLE:
            log.info("could not delete the old calendar board message %s", board.message_id, exc_info=True)
