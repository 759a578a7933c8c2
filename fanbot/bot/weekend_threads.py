"""A thread per race weekend, on Discord: the first reminder of an event opens a thread in
the guild's reminder channel (a forum post, tagged with the series, when the channel is a
forum) and the weekend's later reminders and corrections go in it; after the race, the
archive pass closes it.

Exactly one thread per event, even with several processes: the thread is claimed in the
store before it is created (``Store.weekend_threads``), as a reminder is before it is
sent, and within this process one lock per thread keeps two reminders of one weekend
(sent side by side after downtime) from both creating it. A process that stopped between
Discord creating the thread and the store recording it leaves a claim that lapses: whoever
takes it over looks for the thread by its name among the channel's threads first, and
for the reminder in it.

Without Create Public Threads or Send Messages in Threads in a text channel, reminders go
in the channel as before, and ``/reminders status`` says why (``threads_problem``). A
forum has no channel to fall back on: missing permissions there stop the guild's
reminders like a deleted channel does.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
import weakref
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from fanbot.bot.embeds.reminder import carries_marker, delivery_marker
from fanbot.domain.folding import fold_words
from fanbot.domain.reminders import ReminderSetup
from fanbot.i18n import N_, Translate
from fanbot.reminders.dispatcher import Notice, Outcome, TargetGone, TryLater
from fanbot.reminders.weekend_threads import AUTO_ARCHIVE_MINUTES, thread_name, weekend_over
from fanbot.store import Scope

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot

log = logging.getLogger(__name__)

# What a thread of a text channel needs, and a forum post (Send Messages is "Create
# Posts" in a forum). Discord checks Send Messages in Threads, not Send Messages, in them.
NEEDED_FOR_THREADS = ("create_public_threads", "send_messages_in_threads")
NEEDED_IN_FORUM = ("view_channel", "send_messages", "send_messages_in_threads", "embed_links")
PERMISSION_NAMES = {
    "view_channel": N_("View Channel"),
    "send_messages": N_("Send Messages and Create Posts"),
    "embed_links": N_("Embed Links"),
    "create_public_threads": N_("Create Public Threads"),
    "send_messages_in_threads": N_("Send Messages in Threads"),
}
# How a stored problem says which permissions were missing (the rest is Discord's text).
MISSING_PREFIX = "missing: "
# Threads of the channel read when looking for one a stopped process created: the archived
# ones come newest first, and a weekend's thread is among the last few.
ARCHIVED_LOOKUP = 50
# Messages read in a found thread when looking for the reminder an earlier attempt posted.
HISTORY_LIMIT = 50
# Discord's answer for a message posted in an archived thread it may not unarchive (locked).
THREAD_ARCHIVED = 50083
REASON = "fanbot: a thread per race weekend (/reminders setup threads:true)"

Parent = discord.TextChannel | discord.ForumChannel
PostIn = Callable[[int], Awaitable[discord.Message]]  # post the reminder in this thread


def missing_permissions(channel: discord.abc.GuildChannel, needed: Sequence[str]) -> list[str]:
    """Which of ``needed`` the bot lacks in ``channel``, by the gateway's cache (empty when
    the bot's member is not cached yet: Discord's answer will tell)."""
    me = channel.guild.me
    if me is None:
        return []
    perms = channel.permissions_for(me)
    return [name for name in needed if not getattr(perms, name)]


def permission_words(names: Sequence[str], tr: Translate) -> str:
    return ", ".join(tr(PERMISSION_NAMES[n]) if n in PERMISSION_NAMES else n for n in names)


def threads_line(setup: ReminderSetup, tr: Translate) -> str:
    """The line /reminders setup and status show about threads, with why reminders go in
    the channel when a thread permission is missing."""
    if not setup.threads:
        return tr("One thread per race weekend: {answer}", answer=tr("no"))
    line = tr("One thread per race weekend: {answer}", answer=tr("yes"))
    problem = setup.threads_problem
    if not problem:
        return line
    if problem.startswith(MISSING_PREFIX):
        names = [n.strip() for n in problem[len(MISSING_PREFIX) :].split(",") if n.strip()]
        why = tr(
            "I need {perms} in <#{channel}>",
            perms=permission_words(names, tr),
            channel=setup.channel_id,
        )
    else:
        why = problem
    return line + "\n" + tr("⚠️ Reminders go in the channel itself, not in threads: {why}.", why=why)


def forum_problem(channel: discord.abc.GuildChannel, tr: Translate) -> str | None:
    """Why /reminders setup refuses a forum: a permission its posts need is missing (a
    forum has no channel to fall back on). None for any other channel."""
    if not isinstance(channel, discord.ForumChannel):
        return None
    missing = missing_permissions(channel, NEEDED_IN_FORUM)
    if not missing:
        return None
    return tr(
        "I cannot post reminders in the forum {channel}: I need {perms} there. Fix the forum's "
        "permissions and try again.",
        channel=channel.mention,
        perms=permission_words(missing, tr),
    )


def threads_note(channel: discord.abc.GuildChannel, threads: bool, tr: Translate) -> str | None:
    """What /reminders setup notes about threads in a text channel that lacks a thread
    permission: reminders go in the channel itself until it is granted."""
    if not threads or isinstance(channel, discord.ForumChannel):
        return None
    missing = missing_permissions(channel, NEEDED_FOR_THREADS)
    if not missing:
        return None
    return tr(
        "I lack {perms} in {channel}: until you grant it, reminders go in the channel itself "
        "rather than in a thread per weekend.",
        perms=permission_words(missing, tr),
        channel=channel.mention,
    )


class WeekendThreads:
    """Posts a guild's reminders in their weekend's thread (one per courier, which is one
    per process: ``owner`` names its claims)."""

    def __init__(self, bot: FanBot, *, owner: str | None = None) -> None:
        self.bot = bot
        self.owner = owner or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._locks: weakref.WeakValueDictionary[tuple[int, int, int], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    @staticmethod
    def wanted(notice: Notice) -> bool:
        return notice.target.kind == "guild" and notice.setup is not None and notice.setup.threads

    def _lock(self, key: tuple[int, int, int]) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    def _lease(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.bot.settings.reminder_lease_seconds)

    async def _parent(self, setup: ReminderSetup) -> discord.abc.GuildChannel | None:
        channel = self.bot.get_channel(setup.channel_id)
        if channel is None:
            try:
                fetched = await self.bot.fetch_channel(setup.channel_id)
            except discord.HTTPException:
                return None  # the post itself will say what is wrong with the channel
            channel = fetched
        return channel if isinstance(channel, discord.abc.GuildChannel) else None

    def _messageable(self, setup: ReminderSetup, channel_id: int) -> discord.PartialMessageable:
        return self.bot.get_partial_messageable(channel_id, guild_id=setup.guild_id)

    async def _problem(self, setup: ReminderSetup, problem: str | None) -> None:
        """Write down (or clear) why this guild's reminders are not in threads, once."""
        if setup.threads_problem != problem:
            await self.bot.store.reminders.set_threads_problem(setup.guild_id, problem)

    # ------------------------------------------------------------ posting

    async def post(
        self,
        notice: Notice,
        *,
        content: str,
        embed: discord.Embed,
        mentions: discord.AllowedMentions,
    ) -> discord.Message | Outcome:
        """Post one reminder in its weekend's thread (opening it with the first one), or in
        the channel when threads cannot be used there. Errors of the final post are left
        to the courier, which turns them into outcomes."""
        setup = notice.setup
        assert setup is not None
        parent = await self._parent(setup)
        key = (setup.guild_id, notice.event.id, setup.channel_id)

        async def in_channel() -> discord.Message:
            return await self._messageable(setup, setup.channel_id).send(
                content=content, embed=embed, nonce=notice.nonce, allowed_mentions=mentions
            )

        async def in_thread(thread_id: int) -> discord.Message:
            return await self._messageable(setup, thread_id).send(
                content=content, embed=embed, nonce=notice.nonce, allowed_mentions=mentions
            )

        if isinstance(parent, discord.ForumChannel):
            async with self._lock(key):
                return await self._in_forum(notice, parent, key, content, embed, mentions, in_thread)
        if not isinstance(parent, discord.TextChannel):
            return await in_channel()  # not cached nor readable: the post says what is wrong
        missing = missing_permissions(parent, NEEDED_FOR_THREADS)
        if missing:
            await self._problem(setup, MISSING_PREFIX + ", ".join(missing))
            return await in_channel()
        async with self._lock(key):
            thread_id = await self._text_thread(notice, parent, key)
        if isinstance(thread_id, TryLater):
            return thread_id
        if thread_id is None:
            return await in_channel()
        if isinstance(thread_id, discord.Message):
            return thread_id  # an earlier attempt's reminder, found in the thread
        try:
            message = await in_thread(thread_id)
        except discord.NotFound:
            log.info("guild %s: the thread of event %s was deleted; posting in the channel", *key[:2])
            await self.bot.store.weekend_threads.mark_gone(*key, now=self.bot.clock.now())
            return await in_channel()
        except discord.Forbidden as exc:
            await self._problem(setup, f"{exc.status} (code {exc.code}): {exc.text}"[:300])
            return await in_channel()
        except discord.HTTPException as exc:
            if exc.code != THREAD_ARCHIVED:
                raise
            await self._problem(setup, f"{exc.status} (code {exc.code}): {exc.text}"[:300])
            return await in_channel()
        await self._problem(setup, None)
        return message

    async def _text_thread(
        self, notice: Notice, parent: discord.TextChannel, key: tuple[int, int, int]
    ) -> int | discord.Message | TryLater | None:
        """The thread to post in (its id), the reminder already in it, a wait, or None for
        the channel itself (the thread was deleted, or Discord refused to create one)."""
        setup = notice.setup
        assert setup is not None
        store = self.bot.store.weekend_threads
        now = self.bot.clock.now()
        claim = await store.claim(*key, owner=self.owner, now=now, lease_until=self._lease(now))
        if claim.kind == "busy":
            return _busy(claim.until, now)
        if claim.kind == "gone":
            return None
        if claim.kind == "open":
            assert claim.thread_id is not None
            return claim.thread_id
        name = thread_name(notice.event)
        if claim.retaken:
            found = await self._find_own(parent, name)
            if found is not None:
                await store.record(*key, found.id, owner=self.owner, now=self.bot.clock.now())
                earlier = await self._reminder_in(found, notice)
                return earlier if earlier is not None else found.id
        try:
            thread = await parent.create_thread(
                name=name,
                # An announcement channel's threads are of their own kind (Discord refuses others).
                type=discord.ChannelType.news_thread
                if parent.is_news()
                else discord.ChannelType.public_thread,
                auto_archive_duration=AUTO_ARCHIVE_MINUTES,
                reason=REASON,
            )
        except discord.Forbidden as exc:
            await store.release(*key, owner=self.owner)
            await self._problem(setup, f"{exc.status} (code {exc.code}): {exc.text}"[:300])
            return None
        except discord.HTTPException as exc:
            if exc.status < 500:
                await store.release(*key, owner=self.owner)
            else:
                # Discord may have created it all the same: the next try looks for it first.
                await store.lapse(*key, owner=self.owner, now=self.bot.clock.now())
            raise
        except BaseException:
            await store.lapse(*key, owner=self.owner, now=self.bot.clock.now())
            raise
        await store.record(*key, thread.id, owner=self.owner, now=self.bot.clock.now())
        return thread.id

    async def _in_forum(
        self,
        notice: Notice,
        forum: discord.ForumChannel,
        key: tuple[int, int, int],
        content: str,
        embed: discord.Embed,
        mentions: discord.AllowedMentions,
        in_thread: PostIn,
    ) -> discord.Message | Outcome:
        """A forum post per weekend: the first reminder is the post itself, tagged with the
        series when the forum has such a tag; the later ones are posted in it."""
        missing = missing_permissions(forum, NEEDED_IN_FORUM)
        if missing:
            return TargetGone(MISSING_PREFIX + ", ".join(missing))
        store = self.bot.store.weekend_threads
        now = self.bot.clock.now()
        claim = await store.claim(*key, owner=self.owner, now=now, lease_until=self._lease(now))
        if claim.kind == "busy":
            return _busy(claim.until, now)
        gone = claim.kind == "gone"
        if claim.kind == "open" and claim.thread_id is not None:
            try:
                return await in_thread(claim.thread_id)
            except discord.NotFound:
                gone = True
        if gone:
            # Deleted by a moderator: a forum has no channel to fall back on, so a new post
            # opens for the rest of the weekend.
            log.info("guild %s: the forum post of event %s was deleted; opening another", *key[:2])
            await store.forget(*key)
            claim = await store.claim(*key, owner=self.owner, now=now, lease_until=self._lease(now))
            if claim.kind != "create":
                return _busy(claim.until, now)
        name = thread_name(notice.event)
        if claim.retaken:
            found = await self._find_own(forum, name)
            if found is not None:
                await store.record(*key, found.id, owner=self.owner, now=self.bot.clock.now())
                earlier = await self._reminder_in(found, notice)
                return earlier if earlier is not None else await in_thread(found.id)
        tags = series_tags(forum, notice.event.series.code, notice.event.series.name)
        try:
            created = await forum.create_thread(
                name=name,
                content=content,
                embed=embed,
                allowed_mentions=mentions,
                applied_tags=tags,
                auto_archive_duration=AUTO_ARCHIVE_MINUTES,
                reason=REASON,
            )
        except discord.HTTPException as exc:
            if exc.status < 500:
                await store.release(*key, owner=self.owner)
            else:
                await store.lapse(*key, owner=self.owner, now=self.bot.clock.now())
            raise
        except BaseException:
            await store.lapse(*key, owner=self.owner, now=self.bot.clock.now())
            raise
        await store.record(*key, created.thread.id, owner=self.owner, now=self.bot.clock.now())
        return created.message

    async def _find_own(self, parent: Parent, name: str) -> discord.Thread | None:
        """The thread named ``name`` that this bot created in ``parent``: among the guild's
        active threads, then the channel's recently archived ones. None if it is in neither
        (or Discord would not say: then a thread is created, as a missed reminder is worse
        than a rare second thread)."""
        me = self.bot.user.id if self.bot.user is not None else None

        def ours(thread: discord.Thread) -> bool:
            return thread.parent_id == parent.id and thread.name == name and thread.owner_id == me

        try:
            for thread in await parent.guild.active_threads():
                if ours(thread):
                    return thread
            async for thread in parent.archived_threads(limit=ARCHIVED_LOOKUP):
                if ours(thread):
                    return thread
        except discord.HTTPException as exc:
            log.warning("could not look for the weekend thread %r in %s: %s", name, parent.id, exc)
        return None

    async def _reminder_in(self, thread: discord.Thread, notice: Notice) -> discord.Message | None:
        """This reminder, if an earlier attempt posted it in ``thread`` (as its first message,
        for a forum post)."""
        marker = delivery_marker(notice.nonce)
        me = self.bot.user.id if self.bot.user is not None else None
        try:
            async for message in thread.history(limit=HISTORY_LIMIT):
                if message.author.id == me and carries_marker(message.embeds, marker):
                    return message
        except discord.HTTPException:
            return None
        return None

    async def history_channel(self, notice: Notice) -> discord.PartialMessageable | None:
        """Where an earlier attempt of this reminder would have posted it: the weekend's
        thread once it is known, else the channel; None for a forum with no post yet (the
        post itself is looked for when the reminder is posted again)."""
        setup = notice.setup
        assert setup is not None
        row = await self.bot.store.weekend_threads.thread(setup.guild_id, notice.event.id, setup.channel_id)
        if row is not None and row.thread_id is not None and row.gone_at is None:
            return self._messageable(setup, row.thread_id)
        if isinstance(self.bot.get_channel(setup.channel_id), discord.ForumChannel):
            return None
        return self._messageable(setup, setup.channel_id)

    # ------------------------------------------------------------ after the race

    async def archive_finished(self, now: datetime) -> int:
        """Archive the weekend threads (of this process's guilds) whose race is over
        (``weekend_over``); how many were archived. A thread already gone or archived on
        Discord is only written down; one Discord would not archive now is tried again on
        the next pass."""
        store = self.bot.store
        shards = self.bot.reminder_shards()
        archived = 0
        for row in await store.weekend_threads.open_threads():
            if not shards.owns_guild(row.guild_id) or row.thread_id is None:
                continue
            event = await store.event(Scope(row.guild_id), row.event_id)
            if not weekend_over(event, now):
                continue
            try:
                thread = await self._thread(row.guild_id, row.thread_id)
                if isinstance(thread, discord.Thread) and not thread.archived:
                    await thread.edit(archived=True, reason=REASON)
                    archived += 1
            except discord.NotFound:
                pass  # deleted meanwhile: nothing left to archive
            except discord.Forbidden as exc:
                # Discord archives it by itself after days without messages.
                log.warning(
                    "guild %s: could not archive thread %s (%s)", row.guild_id, row.thread_id, exc.text
                )
            except discord.HTTPException as exc:
                log.warning(
                    "guild %s: archiving thread %s failed (%s); later", row.guild_id, row.thread_id, exc
                )
                continue
            await store.weekend_threads.mark_archived(row.guild_id, row.event_id, row.channel_id, now=now)
        return archived

    async def _thread(self, guild_id: int, thread_id: int) -> object:
        guild = self.bot.get_guild(guild_id)
        cached = guild.get_thread(thread_id) if guild is not None else None
        return cached if cached is not None else await self.bot.fetch_channel(thread_id)


def series_tags(forum: discord.ForumChannel, code: str, name: str) -> list[discord.ForumTag]:
    """The forum's tag for the series (its code, "WEC", or its name), at most one: Discord
    allows five on a post, and one says what the weekend is."""
    wanted = {fold_words(code), fold_words(name)}
    return [tag for tag in forum.available_tags if fold_words(tag.name) in wanted][:1]


def _busy(until: datetime | None, now: datetime) -> TryLater:
    """Another process is creating the thread: this reminder waits for it (nothing posted)."""
    wait = max((until - now).total_seconds(), 1.0) if until is not None else 5.0
    return TryLater("another process is opening the weekend's thread", retry_after=wait, maybe_posted=False)
