"""Messages: how the fake stores, edits, removes and announces them, and reads them back.

:class:`MessageStore` keeps each channel's messages as Discord would show them (attachments,
embeds with their defaults, mentions as allowed, replies, interaction metadata), announces
them on the gateway (MESSAGE_CREATE/UPDATE/DELETE; ephemeral ones never), and lets tests read
them (``messages_in``, ``dm_messages``, ``wait_for_message``) or post as a user (``user_says``).
"""

# Tests read best as ``await fake.wait_for_message(..., timeout=5)``; the deadline is the API here.
# ruff: noqa: ASYNC109

from __future__ import annotations

import copy
import mimetypes
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from .interactions import APPLICATION_COMMAND, InteractionState
from .model import FakeChannel, FakeGuild, FakeMember, FakeUser
from .permissions import MENTION_EVERYONE
from .records import UploadedFile
from .rest import JSON
from .snowflake import iso_now
from .state import FakeDiscordState
from .validation import EPHEMERAL, LOADING, DiscordError, check_message

#: Flags a bot may set when creating a message: SUPPRESS_EMBEDS, EPHEMERAL (interactions only),
#: SUPPRESS_NOTIFICATIONS, IS_COMPONENTS_V2.
SETTABLE_FLAGS = (1 << 2) | EPHEMERAL | (1 << 12) | (1 << 15)

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")


class MessageStore(FakeDiscordState):
    """The messages of a local Discord: stored, announced, and read back by tests."""

    @staticmethod
    def public(msg: JSON) -> JSON:
        """A message as it goes on the wire: attachment bytes stay in the fake."""
        out = copy.deepcopy(msg)
        for att in out.get("attachments") or []:
            att.pop("content", None)
        return out

    def _store_file(self, channel_id: int, filename: str, content: bytes, content_type: str | None) -> JSON:
        att_id = self.ids.next()
        ctype = content_type
        if not ctype or ctype == "application/octet-stream":
            ctype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
            if ctype.startswith("text/"):
                ctype += "; charset=utf-8"
        self._files[att_id] = (filename, content, ctype)
        url = f"{self.base_url}/attachments/{channel_id}/{att_id}/{quote(filename)}"
        return {
            "id": str(att_id),
            "filename": filename,
            "size": len(content),
            "url": url,
            "proxy_url": url,
            "content_type": ctype,
            "content": content,
        }

    def _attachments(
        self, channel_id: int, body: JSON, files: list[UploadedFile], existing: list[JSON]
    ) -> list[JSON]:
        total = sum(len(f.content) for f in files)
        if total > self.attachment_size_limit:
            raise DiscordError(413, 40005, "Request entity too large")
        by_index: dict[int, UploadedFile] = {}
        for pos, f in enumerate(files):
            m = re.fullmatch(r"files\[(\d+)\]", f.field)
            by_index[int(m.group(1)) if m else pos] = f
        spec = body.get("attachments")
        new: list[tuple[UploadedFile, JSON | None]]
        if spec is None:
            kept = list(existing)
            new = [(upload, None) for upload in files]
        else:
            wanted = {str(a.get("id")) for a in spec}
            kept = [a for a in existing if str(a["id"]) in wanted]
            existing_ids = {str(a["id"]) for a in existing}
            new = []
            used: set[int] = set()
            for a in spec:
                aid = str(a.get("id"))
                if aid in existing_ids or not aid.isdigit():
                    continue
                upload = by_index.get(int(aid))
                if upload is not None:
                    new.append((upload, a))
                    used.add(int(aid))
            new.extend((upload, None) for i, upload in by_index.items() if i not in used)
        out = kept
        for upload, meta in new:
            filename = (meta or {}).get("filename") or upload.filename
            data = self._store_file(channel_id, filename, upload.content, upload.content_type)
            if meta and meta.get("description"):
                data["description"] = meta["description"]
            out.append(data)
        return out

    def _mentions(self, msg: JSON, body: JSON, guild: FakeGuild | None, author: FakeUser) -> None:
        content = msg.get("content") or ""
        allowed = body.get("allowed_mentions")

        def ok(kind: str, ident: str | None = None) -> bool:
            if allowed is None:
                return True
            if kind in (allowed.get("parse") or []):
                return True
            return ident is not None and ident in {str(x) for x in allowed.get(kind) or []}

        mentions = []
        for uid in dict.fromkeys(USER_MENTION.findall(content)):
            user = self.users.get(int(uid))
            if user is not None and ok("users", uid):
                data = user.to_json()
                if guild is not None and user.id in guild.members:
                    data["member"] = guild.members[user.id].to_json(with_user=False)
                mentions.append(data)
        roles = []
        if guild is not None:
            for rid in dict.fromkeys(ROLE_MENTION.findall(content)):
                if int(rid) in guild.roles and ok("roles", rid):
                    roles.append(rid)
        everyone = False
        if ("@everyone" in content or "@here" in content) and ok("everyone"):
            everyone = guild is None or guild.base_permissions(author.id) & MENTION_EVERYONE != 0
        msg.update(mentions=mentions, mention_roles=roles, mention_everyone=everyone and guild is not None)

    def _new_message(
        self,
        channel: FakeChannel,
        body: JSON,
        files: list[UploadedFile],
        *,
        author: FakeUser,
        msg_type: int = 0,
        interaction: InteractionState | None = None,
        extra_flags: int = 0,
    ) -> JSON:
        mid = self.ids.next()
        flags = (int(body.get("flags") or 0) & SETTABLE_FLAGS) | extra_flags
        if interaction is None:
            flags &= ~EPHEMERAL
        msg: JSON = {
            "id": str(mid),
            "channel_id": str(channel.id),
            "author": author.to_json(),
            "content": body.get("content") or "",
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": bool(body.get("tts", False)),
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self._attachments(channel.id, body, files, []),
            "embeds": [self._embed(e) for e in body.get("embeds") or []],
            "components": copy.deepcopy(body.get("components") or []),
            "pinned": False,
            "type": msg_type,
            "flags": flags,
        }
        if body.get("nonce") is not None:
            msg["nonce"] = body["nonce"]
        ref = body.get("message_reference")
        if isinstance(ref, dict) and ref.get("message_id"):
            msg["message_reference"] = {
                "type": 0,
                "message_id": str(ref["message_id"]),
                "channel_id": str(ref.get("channel_id") or channel.id),
            }
            if channel.guild_id is not None:
                msg["message_reference"]["guild_id"] = str(channel.guild_id)
            referenced = self._message_index.get(int(ref["message_id"]))
            msg["referenced_message"] = None if referenced is None else self.public(referenced)
            if msg_type == 0:
                msg["type"] = 19
        if interaction is not None:
            msg["webhook_id"] = str(self.application_id)
            msg["application_id"] = str(self.application_id)
            meta: JSON = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": interaction.user.to_json(),
                "authorizing_integration_owners": interaction.payload.get(
                    "authorizing_integration_owners", {}
                ),
            }
            if interaction.command_name is not None and interaction.type == APPLICATION_COMMAND:
                meta["name"] = interaction.command_name
                meta["command_type"] = 1
            if interaction.component_message_id is not None:
                meta["interacted_message_id"] = str(interaction.component_message_id)
            if interaction.original_id is not None:
                meta["original_response_message_id"] = str(interaction.original_id)
            msg["interaction_metadata"] = meta
        guild = self.guilds.get(channel.guild_id) if channel.guild_id is not None else None
        self._mentions(msg, body, guild, author)
        self._store(channel, msg)
        return msg

    @staticmethod
    def _embed(embed: JSON) -> JSON:
        out = copy.deepcopy(embed)
        out.setdefault("type", "rich")
        for f in out.get("fields") or []:
            f.setdefault("inline", False)
        return out

    def _store(self, channel: FakeChannel, msg: JSON) -> None:
        self._messages.setdefault(channel.id, []).append(msg)
        self._message_index[int(msg["id"])] = msg
        if not int(msg.get("flags") or 0) & EPHEMERAL:
            channel.last_message_id = int(msg["id"])
            self._announce("MESSAGE_CREATE", channel, msg)
        self._changed()

    def _announce(self, event: str, channel: FakeChannel, msg: JSON) -> None:
        if int(msg.get("flags") or 0) & EPHEMERAL:
            return
        data = self.public(msg)
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
            guild = self.guilds.get(channel.guild_id)
            author_id = int(msg["author"]["id"])
            if guild is not None and author_id in guild.members and "webhook_id" not in msg:
                data["member"] = guild.members[author_id].to_json(with_user=False)
        self.gateway.dispatch(event, data, channel.guild_id)

    def _edit(self, channel: FakeChannel, msg: JSON, body: JSON, files: list[UploadedFile]) -> JSON:
        new_flags = int(msg.get("flags") or 0) | (int(body.get("flags") or 0) & SETTABLE_FLAGS & ~EPHEMERAL)
        merged: JSON = {
            "content": body.get("content", msg.get("content")),
            "embeds": body.get("embeds", msg.get("embeds")),
            "components": body.get("components", msg.get("components")),
            "flags": new_flags,
            "attachments": body.get("attachments", msg.get("attachments")),
        }
        was_loading = bool(int(msg.get("flags") or 0) & LOADING)
        check_message(merged, file_count=len(files), require_content=True)
        if "content" in body:
            msg["content"] = body.get("content") or ""
        if "embeds" in body:
            msg["embeds"] = [self._embed(e) for e in body.get("embeds") or []]
        if "components" in body:
            msg["components"] = copy.deepcopy(body.get("components") or [])
        if "attachments" in body or files:
            msg["attachments"] = self._attachments(channel.id, body, files, msg.get("attachments") or [])
        msg["flags"] = new_flags & ~LOADING
        if not was_loading:
            msg["edited_timestamp"] = iso_now()
        if "content" in body or "allowed_mentions" in body:
            guild = self.guilds.get(channel.guild_id) if channel.guild_id is not None else None
            self._mentions(msg, body, guild, self.user(int(msg["author"]["id"])))
        self._announce("MESSAGE_UPDATE", channel, msg)
        self._changed()
        return msg

    def _remove(self, channel: FakeChannel, msg: JSON) -> None:
        self._messages[channel.id] = [m for m in self._messages.get(channel.id, []) if m is not msg]
        self._message_index.pop(int(msg["id"]), None)
        if not int(msg.get("flags") or 0) & EPHEMERAL:
            data: JSON = {"id": msg["id"], "channel_id": str(channel.id)}
            if channel.guild_id is not None:
                data["guild_id"] = str(channel.guild_id)
            self.gateway.dispatch("MESSAGE_DELETE", data, channel.guild_id)
        self._changed()

    async def user_says(
        self, channel: FakeChannel | int, user: FakeUser | FakeMember | int, content: str, **extra: Any
    ) -> JSON:
        """A user posts a message (MESSAGE_CREATE to the bot, subject to its intents)."""
        ch = channel if isinstance(channel, FakeChannel) else self.channel(channel)
        if ch is None:
            raise ValueError(f"unknown channel {channel}")
        return self.public(self._new_message(ch, {"content": content, **extra}, [], author=self.user(user)))

    # ==== inspection ================================================================================

    def message(self, message_id: int | str) -> JSON | None:
        """A stored message (copy, attachments with their ``content`` bytes), or None if deleted."""
        msg = self._message_index.get(int(message_id))
        return None if msg is None else copy.deepcopy(msg)

    def messages_in(self, channel: FakeChannel | int, *, include_ephemeral: bool = False) -> list[JSON]:
        """Messages of a channel, oldest first, as the channel's members see them (ephemeral
        interaction answers only with ``include_ephemeral``)."""
        cid = channel.id if isinstance(channel, FakeChannel) else channel
        return [
            copy.deepcopy(m)
            for m in self._messages.get(cid, [])
            if include_ephemeral or not int(m.get("flags") or 0) & EPHEMERAL
        ]

    def dm_messages(self, user: FakeUser | int) -> list[JSON]:
        uid = user.id if isinstance(user, FakeUser) else user
        dm = self.dm_channels.get(uid)
        return [] if dm is None else self.messages_in(dm, include_ephemeral=True)

    async def wait_for_message(
        self,
        channel: FakeChannel | int,
        predicate: Callable[[JSON], bool] | None = None,
        *,
        timeout: float = 5.0,
        include_ephemeral: bool = False,
    ) -> JSON:
        def found() -> JSON | None:
            for m in self.messages_in(channel, include_ephemeral=include_ephemeral):
                if predicate is None or predicate(m):
                    return m
            return None

        return await self._changes.wait_for(found, timeout, f"a message in channel {channel}")
