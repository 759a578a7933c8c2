"""REST routes of channels and their messages: DM channels, channel lookups, history,
posting (with the nonce check), editing and deleting, each behind the permission Discord
would check for the bot."""

from __future__ import annotations

import time

from .messages import MessageStore
from .model import FakeChannel
from .permissions import (
    ATTACH_FILES,
    MANAGE_MESSAGES,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    has_all,
)
from .rest import JSON, Ctx, Reply
from .validation import EPHEMERAL, DiscordError, FormErrors, check_message


class ChannelRoutes(MessageStore):
    """Handlers of the channel, message and DM routes."""

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
