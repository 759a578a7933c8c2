"""Threads and forum posts, as Discord documents them (DISCORD-PLATFORM.md in the shared docs;
Discord's "Threads" topic and the channel resource).

- ``POST /channels/{c}/threads`` in a text channel (no message): a thread of type 11 (public,
  Create Public Threads) or 12 (private, Create Private Threads); Discord posts a "started a
  thread" system message (type 18) in the channel for a public one. In a forum (type 15) it is
  a post: ``message`` is required (its first message, whose id is the thread's), ``applied_tags``
  at most 5 of the forum's ``available_tags``; it needs Send Messages ("Create Posts").
- ``POST /channels/{c}/messages/{m}/threads``: a public thread from a message, with the
  message's id; one per message (400 160004).
- Names 1–100 characters, ``auto_archive_duration`` 60, 1440, 4320 or 10080 (400 50035).
- In a thread, Send Messages in Threads replaces Send Messages, with the parent channel's
  permissions. Posting in an archived thread unarchives it, unless it is locked and the bot
  lacks Manage Threads (400 50083); a forum takes no plain message (400 50008).
- ``PATCH /channels/{thread}``: unarchiving an unlocked thread needs Send Messages; anything
  else needs Manage Threads, or being the thread's creator (name, archived,
  auto_archive_duration, applied_tags; not locked). An archived thread changes nothing but
  being unarchived (400 50083).
- ``GET /guilds/{g}/threads/active`` (the active threads of channels the bot can view) and
  ``GET /channels/{c}/threads/archived/public`` (Read Message History; ``before`` an ISO8601
  timestamp, newest archived first, ``has_more``).
- THREAD_CREATE (``newly_created``), THREAD_UPDATE and THREAD_DELETE on the gateway; the
  active threads in GUILD_CREATE's ``threads``.

For tests, acting as Discord or a moderator: ``add_forum_channel``, ``add_thread``,
``archive_thread`` (Discord's auto-archive), ``delete_thread``, ``threads_in``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .channel_routes import ChannelRoutes
from .model import FORUM, NEWS, TEXT, FakeChannel, FakeGuild, FakeUser
from .permissions import READ_MESSAGE_HISTORY, SEND_MESSAGES, SEND_MESSAGES_IN_THREADS, VIEW_CHANNEL, has_all
from .rest import BOT, JSON, Ctx, Reply, RouteSpec
from .snowflake import SnowflakeGenerator, iso_now
from .validation import DiscordError, FormErrors, check_message

ANNOUNCEMENT_THREAD = 10  # the public threads of an announcement channel (type 5)
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
THREAD_CREATED = 18  # the system message Discord posts in the parent of a new public thread
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)
MAX_APPLIED_TAGS = 5
THREAD_NAME_LIMIT = 100
HAS_THREAD = 1 << 5  # message flag: a thread was started from it

_CHANNEL_THREADS = r"/channels/(?P<channel_id>\d+)/threads"
_MESSAGE_THREADS = r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)/threads"


@dataclass(eq=False)
class FakeThread(FakeChannel):
    """A thread (or forum post) of a guild channel; ``parent_id`` is that channel."""

    owner_id: int = 0
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 4320
    archive_timestamp: str = field(default_factory=iso_now)
    create_timestamp: str = field(default_factory=iso_now)
    message_count: int = 0
    total_message_sent: int = 0
    applied_tags: list[int] = field(default_factory=list)

    def to_json(self) -> JSON:
        return {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "parent_id": str(self.parent_id),
            "owner_id": str(self.owner_id),
            "name": self.name,
            "last_message_id": None if self.last_message_id is None else str(self.last_message_id),
            "message_count": self.message_count,
            "total_message_sent": self.total_message_sent,
            "member_count": 1,
            "rate_limit_per_user": 0,
            "flags": 0,
            "applied_tags": [str(t) for t in self.applied_tags],
            "thread_metadata": {
                "archived": self.archived,
                "auto_archive_duration": self.auto_archive_duration,
                "archive_timestamp": self.archive_timestamp,
                "locked": self.locked,
                "create_timestamp": self.create_timestamp,
            },
        }


class _FirstIdThen(SnowflakeGenerator):
    """Gives ``first`` once, then the real generator's ids: a forum post's first message
    has the post's own id, as on Discord."""

    def __init__(self, first: int, real: SnowflakeGenerator) -> None:
        super().__init__()
        self._first: int | None = first
        self._real = real

    def next(self) -> int:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return self._real.next()


def _parse_iso(text: str) -> datetime:
    try:
        found = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        errors = FormErrors()
        errors.add(("before",), "DATE_TIME_TYPE_PARSE", "Could not parse date-time.")
        raise DiscordError.form(errors) from None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


class ThreadRoutes(ChannelRoutes):
    """Thread and forum-post routes; threads live in ``self.threads`` (not in the guild's
    channel list, as on Discord, where they are not guild channels)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.threads: dict[int, FakeThread] = {}

    def _feature_routes(self) -> list[RouteSpec]:
        return [
            *super()._feature_routes(),
            ("POST", _CHANNEL_THREADS, self._start_thread, BOT, False),
            ("POST", _MESSAGE_THREADS, self._start_thread_from_message, BOT, False),
            ("PATCH", r"/channels/(?P<channel_id>\d+)", self._modify_channel, BOT, False),
            ("GET", _CHANNEL_THREADS + r"/archived/public", self._archived_public, BOT, False),
            ("GET", r"/guilds/(?P<guild_id>\d+)/threads/active", self._active_threads, BOT, False),
        ]

    # ==== world building and moderators' actions (tests) =========================================

    def add_forum_channel(
        self,
        guild: FakeGuild,
        channel_id: int | None = None,
        name: str = "races",
        *,
        tags: tuple[str, ...] = (),
    ) -> FakeChannel:
        """A forum channel (type 15) whose ``available_tags`` are named ``tags``."""
        cid = channel_id if channel_id is not None else self.ids.next()
        channel = FakeChannel(cid, name, FORUM, guild_id=guild.id, position=len(guild.channels))
        channel.available_tags = [
            {"id": str(self.ids.next()), "name": t, "moderated": False, "emoji_id": None, "emoji_name": None}
            for t in tags
        ]
        guild.channels[cid] = channel
        self._emit("CHANNEL_CREATE", channel.to_json(), guild.id)
        return channel

    def add_thread(
        self, parent: FakeChannel, name: str, *, owner: FakeUser | None = None, archived: bool = False
    ) -> FakeThread:
        """A public thread in ``parent`` as if ``owner`` (default: the bot) had created it."""
        thread = self._new_thread(parent, name, owner=owner or self.bot_user, duration=4320)
        if archived:
            self.archive_thread(thread)
        return thread

    def archive_thread(self, thread: FakeThread, *, locked: bool = False) -> None:
        """Archive as Discord does after ``auto_archive_duration`` of quiet (or a moderator)."""
        thread.archived = True
        thread.locked = thread.locked or locked
        thread.archive_timestamp = iso_now()
        self._emit("THREAD_UPDATE", thread.to_json(), thread.guild_id)

    def delete_thread(self, thread: FakeThread) -> None:
        """A moderator deletes the thread (and its messages)."""
        self.threads.pop(thread.id, None)
        self._messages.pop(thread.id, None)
        data = {
            "id": str(thread.id),
            "guild_id": str(thread.guild_id),
            "parent_id": str(thread.parent_id),
            "type": thread.type,
        }
        self._emit("THREAD_DELETE", data, thread.guild_id)

    def threads_in(self, parent: FakeChannel | int) -> list[FakeThread]:
        """The threads of a channel (archived ones too), oldest first."""
        pid = parent.id if isinstance(parent, FakeChannel) else parent
        return [t for t in self.threads.values() if t.parent_id == pid]

    # ==== what the rest of the fake asks =========================================================

    def channel(self, channel_id: int) -> FakeChannel | None:
        found = super().channel(channel_id)
        return found if found is not None else self.threads.get(channel_id)

    def guild_create_payload(self, guild: FakeGuild, intents: int) -> JSON:
        data = super().guild_create_payload(guild, intents)
        data["threads"] = [t.to_json() for t in self._active_in(guild)]
        return data

    def _active_in(self, guild: FakeGuild) -> list[FakeThread]:
        """Active threads of the guild in channels the bot can view."""
        found = []
        for thread in self.threads.values():
            if thread.guild_id != guild.id or thread.archived:
                continue
            parent = guild.channels.get(thread.parent_id or 0)
            if parent is not None and guild.channel_permissions(self.bot_user.id, parent) & VIEW_CHANNEL:
                found.append(thread)
        return found

    def _thread_permissions(self, thread: FakeThread) -> int:
        """The bot's permissions in a thread: its parent channel's."""
        guild = self.guilds[thread.guild_id or 0]
        return guild.channel_permissions(self.bot_user.id, guild.channels.get(thread.parent_id or 0))

    def _channel_for_bot(self, channel_id: str, need: int = VIEW_CHANNEL) -> FakeChannel:
        thread = self.threads.get(int(channel_id))
        if thread is None:
            return super()._channel_for_bot(channel_id, need)
        perms = self._thread_permissions(thread)
        if not perms & VIEW_CHANNEL:
            raise DiscordError(403, 50001, "Missing Access")
        if need & SEND_MESSAGES:
            # "Send Messages has no effect in threads": Send Messages in Threads does.
            need = (need & ~SEND_MESSAGES) | SEND_MESSAGES_IN_THREADS
        if not has_all(perms, need):
            raise DiscordError(403, 50013, "Missing Permissions")
        return thread

    async def _create_message(self, ctx: Ctx) -> Reply:
        target = self.channel(int(ctx.params["channel_id"]))
        if target is not None and target.type == FORUM:
            self._channel_for_bot(ctx.params["channel_id"])
            raise DiscordError(400, 50008, "Cannot send messages in a non-text channel")
        if not isinstance(target, FakeThread):
            return await super()._create_message(ctx)
        self._channel_for_bot(ctx.params["channel_id"], VIEW_CHANNEL | SEND_MESSAGES)
        if target.archived:
            if target.locked and not has_all(self._thread_permissions(target), MANAGE_THREADS):
                raise DiscordError(400, 50083, "Thread is archived")
            # Discord unarchives a thread that someone allowed to posts in.
            target.archived = False
            target.archive_timestamp = iso_now()
            self._emit("THREAD_UPDATE", target.to_json(), target.guild_id)
        reply = await super()._create_message(ctx)
        if reply.status == 200 and not ctx.record.deduped:
            target.message_count += 1
            target.total_message_sent += 1
        return reply

    # ==== creating threads ========================================================================

    def _new_thread(
        self,
        parent: FakeChannel,
        name: str,
        *,
        owner: FakeUser,
        duration: int,
        thread_id: int | None = None,
        kind: int = PUBLIC_THREAD,
        tags: list[int] | None = None,
    ) -> FakeThread:
        thread = FakeThread(
            thread_id if thread_id is not None else self.ids.next(),
            name,
            kind,
            guild_id=parent.guild_id,
            parent_id=parent.id,
            # The parent's own overwrites (the same dict): a thread has the permissions of its
            # channel, wherever the fake computes them.
            overwrites=parent.overwrites,
            owner_id=owner.id,
            auto_archive_duration=duration,
            applied_tags=list(tags or []),
        )
        self.threads[thread.id] = thread
        self._emit("THREAD_CREATE", {**thread.to_json(), "newly_created": True}, thread.guild_id)
        return thread

    def _guild_parent(self, channel_id: str) -> tuple[FakeChannel, int]:
        """The channel a thread is started in, and the bot's permissions there."""
        parent = self._channel_for_bot(channel_id)
        if (
            parent.guild_id is None
            or isinstance(parent, FakeThread)
            or parent.type not in (TEXT, NEWS, FORUM)
        ):
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        return parent, self.guilds[parent.guild_id].channel_permissions(self.bot_user.id, parent)

    @staticmethod
    def _thread_fields(body: JSON, errors: FormErrors) -> tuple[str, int]:
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= THREAD_NAME_LIMIT:
            errors.add(
                ("name",), "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {THREAD_NAME_LIMIT} in length."
            )
        duration = body.get("auto_archive_duration")
        if duration is None:
            duration = 4320
        if duration not in ARCHIVE_DURATIONS:
            errors.add(
                ("auto_archive_duration",), "BASE_TYPE_CHOICES", f"Value must be one of {ARCHIVE_DURATIONS}."
            )
        return (name if isinstance(name, str) else ""), int(duration) if isinstance(duration, int) else 4320

    @staticmethod
    def _tags(forum: FakeChannel, value: Any, errors: FormErrors) -> list[int]:
        if value is None:
            return []
        if not isinstance(value, list):
            errors.add(("applied_tags",), "BASE_TYPE_LIST", "Must be a list.")
            return []
        if len(value) > MAX_APPLIED_TAGS:
            errors.add(
                ("applied_tags",), "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_APPLIED_TAGS} or fewer in length."
            )
        known = {str(t["id"]) for t in forum.available_tags}
        for i, tag in enumerate(value):
            if str(tag) not in known:
                errors.add(("applied_tags", i), "FORUM_TAG_UNKNOWN", "Unknown tag.")
        return [int(t) for t in value if str(t).isdigit()]

    async def _start_thread(self, ctx: Ctx) -> Reply:
        parent, perms = self._guild_parent(ctx.params["channel_id"])
        body = ctx.body
        errors = FormErrors()
        name, duration = self._thread_fields(body, errors)
        if parent.type == FORUM:
            return await self._start_forum_post(ctx, parent, perms, name, duration, errors)
        kind = body.get("type", PRIVATE_THREAD)
        # An announcement channel has announcement threads only; a text channel public or private.
        allowed = (ANNOUNCEMENT_THREAD,) if parent.type == NEWS else (PUBLIC_THREAD, PRIVATE_THREAD)
        if kind not in allowed:
            errors.add(("type",), "BASE_TYPE_CHOICES", f"Value must be one of {allowed}.")
        if errors:
            raise DiscordError.form(errors)
        if not has_all(perms, CREATE_PRIVATE_THREADS if kind == PRIVATE_THREAD else CREATE_PUBLIC_THREADS):
            raise DiscordError(403, 50013, "Missing Permissions")
        thread = self._new_thread(parent, name, owner=self.bot_user, duration=duration, kind=kind)
        if kind != PRIVATE_THREAD:
            # "fanbot started a thread: <name>", in the channel, for its readers to find it.
            self._new_message(parent, {"content": name}, [], author=self.bot_user, msg_type=THREAD_CREATED)
        return Reply(201, thread.to_json())

    async def _start_forum_post(
        self, ctx: Ctx, forum: FakeChannel, perms: int, name: str, duration: int, errors: FormErrors
    ) -> Reply:
        body = ctx.body
        message = body.get("message")
        if not isinstance(message, dict):
            errors.add(("message",), "BASE_TYPE_REQUIRED", "This field is required")
        tags = self._tags(forum, body.get("applied_tags"), errors)
        if errors:
            raise DiscordError.form(errors)
        assert isinstance(message, dict)
        if not has_all(perms, SEND_MESSAGES):
            raise DiscordError(403, 50013, "Missing Permissions")
        check_message(message, file_count=len(ctx.record.files))
        post_id = self.ids.next()
        thread = self._new_thread(
            forum, name, owner=self.bot_user, duration=duration, thread_id=post_id, tags=tags
        )
        real = self.ids
        self.ids = _FirstIdThen(post_id, real)
        try:
            first = self._new_message(thread, message, ctx.record.files, author=self.bot_user)
        finally:
            self.ids = real
        thread.message_count = thread.total_message_sent = 1
        forum.last_message_id = thread.id
        return Reply(201, {**thread.to_json(), "message": self.public(first)})

    async def _start_thread_from_message(self, ctx: Ctx) -> Reply:
        parent, perms = self._guild_parent(ctx.params["channel_id"])
        if parent.type == FORUM:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        message = self._channel_message(parent, ctx.params["message_id"])
        errors = FormErrors()
        name, duration = self._thread_fields(ctx.body, errors)
        if errors:
            raise DiscordError.form(errors)
        if not has_all(perms, CREATE_PUBLIC_THREADS | READ_MESSAGE_HISTORY):
            raise DiscordError(403, 50013, "Missing Permissions")
        if int(message["id"]) in self.threads:
            raise DiscordError(400, 160004, "A thread has already been created for this message")
        kind = ANNOUNCEMENT_THREAD if parent.type == NEWS else PUBLIC_THREAD
        thread = self._new_thread(
            parent, name, owner=self.bot_user, duration=duration, thread_id=int(message["id"]), kind=kind
        )
        message["flags"] = int(message.get("flags") or 0) | HAS_THREAD
        message["thread"] = thread.to_json()
        return Reply(201, thread.to_json())

    # ==== changing and listing them ===============================================================

    async def _modify_channel(self, ctx: Ctx) -> Reply:
        target = self._channel_for_bot(ctx.params["channel_id"])
        if not isinstance(target, FakeThread):
            raise DiscordError(403, 50013, "Missing Permissions")  # only threads are edited here
        body = ctx.body
        perms = self._thread_permissions(target)
        unarchive_only = set(body) <= {"archived"} and body.get("archived") is False
        if target.archived and body.get("archived") is not False:
            raise DiscordError(400, 50083, "Thread is archived")
        if unarchive_only and not target.locked:
            needed_ok = has_all(perms, SEND_MESSAGES)
        else:
            by_owner = target.owner_id == self.bot_user.id and "locked" not in body
            needed_ok = has_all(perms, MANAGE_THREADS) or by_owner
        if not needed_ok:
            raise DiscordError(403, 50013, "Missing Permissions")
        errors = FormErrors()
        if "name" in body:
            name, _ = self._thread_fields({"name": body["name"]}, errors)
        if "auto_archive_duration" in body and body["auto_archive_duration"] not in ARCHIVE_DURATIONS:
            errors.add(
                ("auto_archive_duration",), "BASE_TYPE_CHOICES", f"Value must be one of {ARCHIVE_DURATIONS}."
            )
        tags: list[int] | None = None
        if "applied_tags" in body:
            forum = self.guilds[target.guild_id or 0].channels.get(target.parent_id or 0)
            if forum is None or forum.type != FORUM:
                errors.add(("applied_tags",), "BASE_TYPE_INVALID", "Only forum posts take tags.")
            else:
                tags = self._tags(forum, body["applied_tags"], errors)
        if errors:
            raise DiscordError.form(errors)
        if "name" in body:
            target.name = name
        if "auto_archive_duration" in body:
            target.auto_archive_duration = int(body["auto_archive_duration"])
        if tags is not None:
            target.applied_tags = tags
        if "locked" in body:
            target.locked = bool(body["locked"])
        if "archived" in body and bool(body["archived"]) != target.archived:
            target.archived = bool(body["archived"])
            target.archive_timestamp = iso_now()
        self._emit("THREAD_UPDATE", target.to_json(), target.guild_id)
        return Reply(200, target.to_json())

    async def _archived_public(self, ctx: Ctx) -> Reply:
        parent, perms = self._guild_parent(ctx.params["channel_id"])
        if not has_all(perms, READ_MESSAGE_HISTORY):
            raise DiscordError(403, 50013, "Missing Permissions")
        q = ctx.record.query
        try:
            limit = int(q.get("limit", "50"))
        except ValueError:
            limit = 50
        if not 2 <= limit <= 100:
            errors = FormErrors()
            errors.add(
                ("limit",), "NUMBER_TYPE_MAX" if limit > 100 else "NUMBER_TYPE_MIN", "limit out of range"
            )
            raise DiscordError.form(errors)
        archived = [t for t in self.threads_in(parent) if t.archived and t.type != PRIVATE_THREAD]
        if "before" in q:
            before = _parse_iso(q["before"])
            archived = [t for t in archived if _parse_iso(t.archive_timestamp) < before]
        archived.sort(key=lambda t: t.archive_timestamp, reverse=True)
        return Reply(
            200,
            {
                "threads": [t.to_json() for t in archived[:limit]],
                "members": [],
                "has_more": len(archived) > limit,
            },
        )

    async def _active_threads(self, ctx: Ctx) -> Reply:
        guild = self.guilds.get(int(ctx.params["guild_id"]))
        if guild is None:
            raise DiscordError(404, 10004, "Unknown Guild")
        return Reply(200, {"threads": [t.to_json() for t in self._active_in(guild)], "members": []})
