"""REST routes of channels and their messages: DM channels, channel lookups, history,
posting (with the nonce check), editing and deleting, pins, each behind the permission
Discord would check for the bot; and a member deleting a message, as a moderator does.

Pins, as Discord documents them (Get Channel Pins, Pin Message, Unpin Message, and the
deprecated ``/channels/{id}/pins`` forms): pinning needs ``PIN_MESSAGES`` (split from Manage
Messages in 2025; Manage Messages alone stopped sufficing on 2026-02-23), a channel holds
at most ``MAX_PINS`` (JSON error 30003), pinning an already pinned message changes nothing,
and each pin is announced (CHANNEL_PINS_UPDATE, MESSAGE_UPDATE with ``pinned``) and leaves
Discord's "pinned a message" notice in the channel (a message of type 6).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from .interactions import NotInvocable
from .messages import MessageStore
from .model import FakeChannel, FakeMember, FakeUser
from .permissions import (
    ATTACH_FILES,
    MANAGE_MESSAGES,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    has_all,
)
from .rest import BOT, JSON, Ctx, Reply, RouteSpec
from .snowflake import iso_now
from .validation import EPHEMERAL, DiscordError, FormErrors, check_message

#: Pin Messages (``1 << 51``): the one permission Discord checks to pin or unpin.
PIN_MESSAGES = 1 << 51
#: Most pins a channel holds: JSON error 30003 says 250 (it was 50 before Discord's 2025 pins
#: API; discord.py 2.7.1's ``Message.pin`` documents 250 as well).
MAX_PINS = 250
#: Get Channel Pins answers at most this many per page (``limit`` 1-50).
PINS_PAGE = 50
#: Discord's "<user> pinned a message to this channel" notice.
CHANNEL_PINNED_MESSAGE = 6
#: Message types a user or bot posts; anything else is a system message, which cannot be pinned.
PINNABLE_TYPES = (0, 19, 20, 23)


class ChannelRoutes(MessageStore):
    """Handlers of the channel, message, pin and DM routes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Each channel's pins, oldest first: (message id, pinned_at as Discord writes it).
        self._pins: dict[int, list[tuple[int, str]]] = {}
        self.max_pins = MAX_PINS

    def _feature_routes(self) -> list[RouteSpec]:
        pin = r"/channels/(?P<channel_id>\d+)/messages/pins/(?P<message_id>\d+)"
        old_pin = r"/channels/(?P<channel_id>\d+)/pins/(?P<message_id>\d+)"
        return [
            *super()._feature_routes(),
            ("GET", r"/channels/(?P<channel_id>\d+)/messages/pins", self._get_pins, BOT, False),
            ("PUT", pin, self._pin, BOT, False),
            ("DELETE", pin, self._unpin, BOT, False),
            # The deprecated forms, which Discord still answers.
            ("GET", r"/channels/(?P<channel_id>\d+)/pins", self._get_pins_deprecated, BOT, False),
            ("PUT", old_pin, self._pin, BOT, False),
            ("DELETE", old_pin, self._unpin, BOT, False),
        ]

    async def _open_dm(self, ctx: Ctx) -> Reply:
        rid = ctx.body.get("recipient_id")
        user = self.users.get(int(rid)) if rid is not None and str(rid).isdigit() else None
        if user is None or user.id == self.bot_user.id:
            raise DiscordError(400, 50033, "Invalid Recipient(s)")
        return Reply(200, self.open_dm(user).to_json())

    def _channel_for_bot(self, channel_id: str, need: int = VIEW_CHANNEL) -> FakeChannel:
        channel = self.channel(int(channel_id))
        if channel is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        if channel.guild_id is not None:
            guild = self.guilds[channel.guild_id]
            perms = guild.channel_permissions(self.bot_user.id, channel)
            if not perms & VIEW_CHANNEL:
                raise DiscordError(403, 50001, "Missing Access")
            if not has_all(perms, need):
                raise DiscordError(403, 50013, "Missing Permissions")
        return channel

    async def _get_channel(self, ctx: Ctx) -> Reply:
        return Reply(200, self._channel_for_bot(ctx.params["channel_id"]).to_json())

    async def _typing(self, ctx: Ctx) -> Reply:
        self._channel_for_bot(ctx.params["channel_id"], VIEW_CHANNEL | SEND_MESSAGES)
        return Reply(204)

    async def _history(self, ctx: Ctx) -> Reply:
        """Newest first, as Discord answers (``after`` too: the ``limit`` oldest after it, newest
        first). Without View Channel 403 50001; without Read Message History Discord "returns
        no messages": 200 with an empty list, not an error."""
        channel = self._channel_for_bot(ctx.params["channel_id"], VIEW_CHANNEL)
        q = ctx.record.query
        try:
            limit = int(q.get("limit", "50"))
        except ValueError:
            limit = 50
        if not 1 <= limit <= 100:
            errors = FormErrors()
            errors.add(
                ("limit",), "NUMBER_TYPE_MAX" if limit > 100 else "NUMBER_TYPE_MIN", "limit out of range"
            )
            raise DiscordError.form(errors)
        if channel.guild_id is not None and not has_all(
            self.guilds[channel.guild_id].channel_permissions(self.bot_user.id, channel), READ_MESSAGE_HISTORY
        ):
            return Reply(200, [])
        visible = [m for m in self._messages.get(channel.id, []) if not int(m.get("flags") or 0) & EPHEMERAL]
        if "before" in q:
            before = int(q["before"])
            chosen = [m for m in visible if int(m["id"]) < before][-limit:]
        elif "after" in q:
            after = int(q["after"])
            chosen = [m for m in visible if int(m["id"]) > after][:limit]
        elif "around" in q:
            around = int(q["around"])
            older = [m for m in visible if int(m["id"]) < around][-(limit // 2) :] if limit // 2 else []
            newer = [m for m in visible if int(m["id"]) >= around][: limit - len(older)]
            chosen = older + newer
        else:
            chosen = visible[-limit:]
        return Reply(200, [self.public(m) for m in reversed(chosen)])

    def _channel_message(self, channel: FakeChannel, message_id: str) -> JSON:
        msg = self._message_index.get(int(message_id))
        if msg is None or msg["channel_id"] != str(channel.id) or int(msg.get("flags") or 0) & EPHEMERAL:
            raise DiscordError(404, 10008, "Unknown Message")
        return msg

    async def _get_message(self, ctx: Ctx) -> Reply:
        channel = self._channel_for_bot(ctx.params["channel_id"], VIEW_CHANNEL | READ_MESSAGE_HISTORY)
        return Reply(200, self.public(self._channel_message(channel, ctx.params["message_id"])))

    async def _create_message(self, ctx: Ctx) -> Reply:
        record = ctx.record
        body = ctx.body
        need = VIEW_CHANNEL | SEND_MESSAGES | (ATTACH_FILES if record.files else 0)
        channel = self._channel_for_bot(ctx.params["channel_id"], need)
        if channel.is_dm:
            self._check_dm_allowed(channel)
        check_message(body, file_count=len(record.files))
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            key = (channel.id, self.bot_user.id, str(nonce))
            seen = self._nonces.get(key)
            now = time.monotonic()
            if seen is not None and now - seen[1] <= self.nonce_window_seconds:
                original = self._message_index.get(seen[0])
                if original is not None:
                    self.nonce_dedupes += 1
                    record.deduped = True
                    self._changed()
                    return Reply(200, self.public(original))
        msg = self._new_message(channel, body, record.files, author=self.bot_user)
        if nonce is not None and body.get("enforce_nonce"):
            self._nonces[(channel.id, self.bot_user.id, str(nonce))] = (int(msg["id"]), time.monotonic())
        return Reply(200, self.public(msg))

    def _check_dm_allowed(self, channel: FakeChannel) -> None:
        user = channel.recipient
        if user is None or not user.accepts_dms or user.bot:
            raise DiscordError(403, 50007, "Cannot send messages to this user")
        if self.require_mutual_guild_for_dm and not any(user.id in g.members for g in self.guilds.values()):
            raise DiscordError(403, 50007, "Cannot send messages to this user")

    async def _edit_message(self, ctx: Ctx) -> Reply:
        channel = self._channel_for_bot(ctx.params["channel_id"])
        msg = self._channel_message(channel, ctx.params["message_id"])
        if int(msg["author"]["id"]) != self.bot_user.id:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        return Reply(200, self.public(self._edit(channel, msg, ctx.body, ctx.record.files)))

    async def _delete_message(self, ctx: Ctx) -> Reply:
        channel = self._channel_for_bot(ctx.params["channel_id"])
        msg = self._channel_message(channel, ctx.params["message_id"])
        if int(msg["author"]["id"]) != self.bot_user.id and channel.guild_id is not None:
            perms = self.guilds[channel.guild_id].channel_permissions(self.bot_user.id, channel)
            if not has_all(perms, MANAGE_MESSAGES):
                raise DiscordError(403, 50013, "Missing Permissions")
        self._remove(channel, msg)
        return Reply(204)

    # ==== pins ======================================================================================

    def pinned(self, channel: FakeChannel | int) -> list[JSON]:
        """The channel's pinned messages, the most recently pinned first (for tests)."""
        cid = channel.id if isinstance(channel, FakeChannel) else channel
        return [self.public(m) for m, _ in reversed(self._live_pins(cid))]

    def _live_pins(self, channel_id: int) -> list[tuple[JSON, str]]:
        """(message, pinned_at) of the channel's pins, oldest first; deleted messages drop out."""
        live = [(mid, at) for mid, at in self._pins.get(channel_id, []) if mid in self._message_index]
        self._pins[channel_id] = live
        return [(self._message_index[mid], at) for mid, at in live]

    def _announce_pins(self, channel: FakeChannel, msg: JSON) -> None:
        pins = self._live_pins(channel.id)
        data: JSON = {"channel_id": str(channel.id), "last_pin_timestamp": pins[-1][1] if pins else None}
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        self.gateway.dispatch("CHANNEL_PINS_UPDATE", data, channel.guild_id)
        self._announce("MESSAGE_UPDATE", channel, msg)
        self._changed()

    async def _pin(self, ctx: Ctx) -> Reply:
        channel = self._channel_for_bot(ctx.params["channel_id"], VIEW_CHANNEL | PIN_MESSAGES)
        msg = self._channel_message(channel, ctx.params["message_id"])
        if int(msg.get("type") or 0) not in PINNABLE_TYPES:
            raise DiscordError(400, 50021, "Cannot execute action on a system message")
        pins = self._live_pins(channel.id)
        if any(m is msg for m, _ in pins):
            return Reply(204)
        if len(pins) >= self.max_pins:
            raise DiscordError(
                400, 30003, f"Maximum number of pins reached for the channel ({self.max_pins})"
            )
        self._pins.setdefault(channel.id, []).append((int(msg["id"]), iso_now()))
        msg["pinned"] = True
        self._announce_pins(channel, msg)
        # Discord's notice in the channel, by whoever pinned (here, the bot).
        self._new_message(
            channel,
            {"message_reference": {"message_id": msg["id"], "channel_id": str(channel.id)}},
            [],
            author=self.bot_user,
            msg_type=CHANNEL_PINNED_MESSAGE,
        )
        return Reply(204)

    async def _unpin(self, ctx: Ctx) -> Reply:
        channel = self._channel_for_bot(ctx.params["channel_id"], VIEW_CHANNEL | PIN_MESSAGES)
        msg = self._channel_message(channel, ctx.params["message_id"])
        before = self._pins.get(channel.id, [])
        self._pins[channel.id] = [(mid, at) for mid, at in before if mid != int(msg["id"])]
        if len(self._pins[channel.id]) != len(before):
            msg["pinned"] = False
            self._announce_pins(channel, msg)
        return Reply(204)

    def _readable_pins(self, ctx: Ctx) -> list[tuple[JSON, str]]:
        """The pins the bot may see, most recently pinned first: View Channel or 403;
        without Read Message History, none (Discord: "no pins will be returned")."""
        channel = self._channel_for_bot(ctx.params["channel_id"], VIEW_CHANNEL)
        if channel.guild_id is not None and not has_all(
            self.guilds[channel.guild_id].channel_permissions(self.bot_user.id, channel), READ_MESSAGE_HISTORY
        ):
            return []
        return list(reversed(self._live_pins(channel.id)))

    async def _get_pins(self, ctx: Ctx) -> Reply:
        """Get Channel Pins: ``{items: [{pinned_at, message}], has_more}``, ``before`` an
        ISO 8601 time (pins pinned before it), ``limit`` 1-50 (default 50)."""
        q = ctx.record.query
        errors = FormErrors()
        try:
            limit = int(q.get("limit", str(PINS_PAGE)))
        except ValueError:
            limit = 0
        if not 1 <= limit <= PINS_PAGE:
            errors.add(
                ("limit",),
                "NUMBER_TYPE_MAX" if limit > PINS_PAGE else "NUMBER_TYPE_MIN",
                "limit out of range",
            )
        before: datetime | None = None
        if "before" in q:
            try:
                before = datetime.fromisoformat(q["before"])
            except ValueError:
                errors.add(("before",), "DATE_TIME_TYPE_PARSE", "Could not parse the time.")
        if errors:
            raise DiscordError.form(errors)
        pins = self._readable_pins(ctx)
        if before is not None:
            pins = [(m, at) for m, at in pins if datetime.fromisoformat(at) < before]
        items = [{"pinned_at": at, "message": self.public(m)} for m, at in pins[:limit]]
        return Reply(200, {"items": items, "has_more": len(pins) > limit})

    async def _get_pins_deprecated(self, ctx: Ctx) -> Reply:
        """The deprecated Get Pinned Messages: the first 50 pinned messages, as a list."""
        return Reply(200, [self.public(m) for m, _ in self._readable_pins(ctx)[:PINS_PAGE]])

    # ==== a member deletes a message (driver) ========================================================

    async def member_deletes(
        self, channel: FakeChannel | int, user: FakeUser | FakeMember | int, message_id: int | str
    ) -> None:
        """``user`` deletes a message, as a moderator does in the client: their own, or anyone's
        with Manage Messages in the channel (else ``NotInvocable``). Announced as Discord does
        (MESSAGE_DELETE, to bots with the guild messages intent; CHANNEL_PINS_UPDATE if it
        was pinned)."""
        ch = channel if isinstance(channel, FakeChannel) else self.channel(channel)
        if ch is None:
            raise NotInvocable(f"unknown channel {channel}")
        who = self.user(user)
        msg = self._message_index.get(int(message_id))
        if msg is None or msg["channel_id"] != str(ch.id):
            raise NotInvocable(f"message {message_id} is not in channel {ch.name}")
        if ch.guild_id is not None and int(msg["author"]["id"]) != who.id:
            guild = self.guilds[ch.guild_id]
            if who.id not in guild.members or not has_all(
                guild.channel_permissions(who.id, ch), VIEW_CHANNEL | MANAGE_MESSAGES
            ):
                raise NotInvocable(f"{who.username} may not delete others' messages in {ch.name}")
        was_pinned = any(m is msg for m, _ in self._live_pins(ch.id))
        self._remove(ch, msg)
        if was_pinned:
            pins = self._live_pins(ch.id)
            data: JSON = {"channel_id": str(ch.id), "last_pin_timestamp": pins[-1][1] if pins else None}
            if ch.guild_id is not None:
                data["guild_id"] = str(ch.guild_id)
            self.gateway.dispatch("CHANNEL_PINS_UPDATE", data, ch.guild_id)
