"""The fake's world: users, guilds, roles, channels and members, and their JSON as Discord sends it.

Handles are plain mutable objects a test builds before (or while) the bot runs. Changes made
after the bot connected are announced on the gateway (CHANNEL_CREATE, GUILD_ROLE_CREATE,
GUILD_MEMBER_ADD) through the ``emit`` hook the fake installs, as Discord would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .permissions import (
    ALL_PERMISSIONS,
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    apply_overwrites,
    guild_permissions,
)
from .snowflake import SnowflakeGenerator, iso_now

JSON = dict[str, Any]
#: ``emit(event_name, data, guild_id)``: hand a dispatch to the gateway (no-op before start).
Emit = Callable[[str, JSON, int | None], None]

TEXT = 0
DM = 1
VOICE = 2
CATEGORY = 4
NEWS = 5
FORUM = 15


def _no_emit(event: str, data: JSON, guild_id: int | None) -> None:
    return None


@dataclass(eq=False)
class FakeUser:
    """A Discord account. ``accepts_dms=False`` makes DMs to it fail with 50007, as a user who
    closed their DMs does."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    accepts_dms: bool = True

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def to_json(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "banner": None,
            "accent_color": None,
            "avatar_decoration_data": None,
            "public_flags": 0,
            "flags": 0,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass(eq=False)
class FakeRole:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False
    bot_id: int | None = None

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    def to_json(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {"primary_color": self.color, "secondary_color": None, "tertiary_color": None},
            "hoist": self.hoist,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "icon": None,
            "unicode_emoji": None,
            "description": None,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass
class Overwrite:
    """A channel permission overwrite; ``type`` 0 targets a role, 1 a member."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    def to_json(self) -> JSON:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass(eq=False)
class FakeChannel:
    id: int
    name: str
    type: int = TEXT
    guild_id: int | None = None
    topic: str | None = None
    position: int = 0
    parent_id: int | None = None
    nsfw: bool = False
    recipient: FakeUser | None = None
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    last_message_id: int | None = None
    #: A forum's tags (``{id, name, moderated, emoji_id, emoji_name}``; thread_routes.py).
    available_tags: list[JSON] = field(default_factory=list)

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def is_dm(self) -> bool:
        return self.type == DM

    def set_overwrite(
        self, target: FakeRole | FakeUser | FakeMember, *, allow: int = 0, deny: int = 0
    ) -> None:
        """Allow/deny bits for a role or member in this channel (what "Edit channel" does)."""
        if isinstance(target, FakeRole):
            self.overwrites[target.id] = Overwrite(target.id, 0, allow, deny)
        else:
            user_id = target.user.id if isinstance(target, FakeMember) else target.id
            self.overwrites[user_id] = Overwrite(user_id, 1, allow, deny)

    def to_json(self) -> JSON:
        if self.type == DM:
            return {
                "id": str(self.id),
                "type": DM,
                "last_message_id": None if self.last_message_id is None else str(self.last_message_id),
                "recipients": [self.recipient.to_json()] if self.recipient else [],
                "flags": 0,
            }
        data: JSON = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [o.to_json() for o in self.overwrites.values()],
            "parent_id": None if self.parent_id is None else str(self.parent_id),
            "nsfw": self.nsfw,
            "flags": 0,
        }
        if self.type in (TEXT, NEWS, FORUM):
            data["topic"] = self.topic
            data["rate_limit_per_user"] = 0
            data["last_message_id"] = None if self.last_message_id is None else str(self.last_message_id)
        if self.type == VOICE:
            data["bitrate"] = 64000
            data["user_limit"] = 0
            data["rtc_region"] = None
        if self.type == FORUM:
            data["available_tags"] = [dict(tag) for tag in self.available_tags]
        return data


@dataclass(eq=False)
class FakeMember:
    """A user's membership of a guild. ``permissions`` set explicitly replaces the computation
    from roles (channel overwrites still apply on top)."""

    user: FakeUser
    guild: FakeGuild
    roles: list[int] = field(default_factory=list)
    permissions: int | None = None
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)

    @property
    def id(self) -> int:
        return self.user.id

    def to_json(self, *, with_user: bool = True, permissions: int | None = None) -> JSON:
        data: JSON = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.to_json()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


class FakeGuild:
    """A guild handle: build its channels, roles and members; the bot is a member already."""

    def __init__(
        self,
        guild_id: int,
        name: str,
        *,
        locale: str,
        ids: SnowflakeGenerator,
        bot_user: FakeUser,
        owner_id: int | None,
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
        emit: Emit = _no_emit,
    ) -> None:
        self.id = guild_id
        self.name = name
        self.locale = locale
        self.owner_id = owner_id if owner_id is not None else ids.next()
        self._ids = ids
        self._emit: Emit = emit
        self.channels: dict[int, FakeChannel] = {}
        self.roles: dict[int, FakeRole] = {}
        self.members: dict[int, FakeMember] = {}
        self.roles[guild_id] = FakeRole(guild_id, guild_id, "@everyone", everyone_permissions, position=0)
        self.bot_role = FakeRole(
            ids.next(),
            guild_id,
            bot_user.username,
            bot_permissions,
            position=1,
            managed=True,
            bot_id=bot_user.id,
        )
        self.roles[self.bot_role.id] = self.bot_role
        self.bot_member = FakeMember(bot_user, self, roles=[self.bot_role.id])
        self.members[bot_user.id] = self.bot_member

    # -- building -------------------------------------------------------------------------------

    @property
    def everyone(self) -> FakeRole:
        return self.roles[self.id]

    def add_channel(
        self,
        channel_id: int | None,
        name: str,
        type: int = TEXT,
        *,
        topic: str | None = None,
        parent: FakeChannel | int | None = None,
        position: int | None = None,
    ) -> FakeChannel:
        cid = channel_id if channel_id is not None else self._ids.next()
        parent_id = parent.id if isinstance(parent, FakeChannel) else parent
        channel = FakeChannel(
            cid,
            name,
            type,
            guild_id=self.id,
            topic=topic,
            parent_id=parent_id,
            position=len(self.channels) if position is None else position,
        )
        self.channels[cid] = channel
        self._emit("CHANNEL_CREATE", channel.to_json(), self.id)
        return channel

    def add_text_channel(
        self,
        channel_id: int | None = None,
        name: str = "general",
        *,
        topic: str | None = None,
        parent: FakeChannel | int | None = None,
        position: int | None = None,
    ) -> FakeChannel:
        return self.add_channel(channel_id, name, TEXT, topic=topic, parent=parent, position=position)

    def add_role(
        self,
        role_id: int | None = None,
        name: str = "role",
        permissions: int = 0,
        *,
        position: int | None = None,
        mentionable: bool = False,
        color: int = 0,
    ) -> FakeRole:
        rid = role_id if role_id is not None else self._ids.next()
        role = FakeRole(
            rid,
            self.id,
            name,
            permissions,
            position=len(self.roles) if position is None else position,
            mentionable=mentionable,
            color=color,
        )
        self.roles[rid] = role
        self._emit("GUILD_ROLE_CREATE", {"guild_id": str(self.id), "role": role.to_json()}, self.id)
        return role

    def add_member(
        self,
        user: FakeUser,
        roles: Iterable[FakeRole | int] = (),
        permissions: int | None = None,
        *,
        nick: str | None = None,
    ) -> FakeMember:
        role_ids = [r.id if isinstance(r, FakeRole) else r for r in roles]
        unknown = [r for r in role_ids if r not in self.roles]
        if unknown:
            raise ValueError(f"roles {unknown} are not roles of guild {self.id}")
        member = FakeMember(user, self, roles=role_ids, permissions=permissions, nick=nick)
        self.members[user.id] = member
        data = member.to_json()
        data["guild_id"] = str(self.id)
        self._emit("GUILD_MEMBER_ADD", data, self.id)
        return member

    def member(self, user: FakeUser | FakeMember | int) -> FakeMember:
        uid = user if isinstance(user, int) else user.id
        try:
            return self.members[uid]
        except KeyError:
            raise KeyError(f"user {uid} is not a member of guild {self.id}") from None

    # -- permissions ----------------------------------------------------------------------------

    def base_permissions(self, user_id: int) -> int:
        """Guild-level permissions of a member (explicit override, else roles)."""
        member = self.members[user_id]
        if member.permissions is not None:
            return ALL_PERMISSIONS if user_id == self.owner_id else member.permissions
        return guild_permissions(
            self.everyone.permissions,
            (self.roles[r].permissions for r in member.roles if r in self.roles),
            is_owner=user_id == self.owner_id,
        )

    def channel_permissions(self, user_id: int, channel: FakeChannel | None) -> int:
        """Permissions of a member in a channel, overwrites included (Discord's algorithm)."""
        base = self.base_permissions(user_id)
        if channel is None:
            return base
        member = self.members[user_id]
        everyone = channel.overwrites.get(self.id)
        roles = [
            (o.allow, o.deny)
            for o in channel.overwrites.values()
            if o.type == 0 and o.id != self.id and o.id in member.roles
        ]
        mine = channel.overwrites.get(user_id)
        return apply_overwrites(
            base,
            everyone_overwrite=None if everyone is None else (everyone.allow, everyone.deny),
            role_overwrites=roles,
            member_overwrite=None if mine is None or mine.type != 1 else (mine.allow, mine.deny),
        )

    # -- JSON -----------------------------------------------------------------------------------

    def shard_id(self, shard_count: int) -> int:
        return (self.id >> 22) % shard_count

    def to_json(self, *, members: Iterable[FakeMember] | None = None, gateway: bool = False) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "preferred_locale": self.locale,
            "features": [],
            "roles": [r.to_json() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "max_members": 500000,
            "max_video_channel_users": 25,
            "widget_enabled": False,
        }
        if gateway:
            shown = list(members) if members is not None else [self.bot_member]
            data.update(
                {
                    "unavailable": False,
                    "large": False,
                    "member_count": len(self.members),
                    "joined_at": self.bot_member.joined_at,
                    "channels": [c.to_json() for c in self.channels.values()],
                    "members": [m.to_json() for m in shown],
                    "threads": [],
                    "presences": [],
                    "voice_states": [],
                    "stage_instances": [],
                    "guild_scheduled_events": [],
                    "soundboard_sounds": [],
                }
            )
        return data
