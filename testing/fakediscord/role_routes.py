"""Roles: creating, editing and deleting them, and giving and taking them from members,
as Discord documents them (DISCORD-PLATFORM.md in the shared docs).

Every route needs MANAGE_ROLES in the guild, and Discord's role hierarchy holds: the bot
may edit, delete, give or take only roles below its own highest role (the guild's owner
alone is above the hierarchy; an administrator is not). A role is higher than another
when its ``position`` is, or, at the same position, when its id is lower (older), as
discord.py compares them. A new role goes to position 1, just above @everyone, and the
roles at or above it move up one. @everyone cannot be given (404 Unknown Role), nor can
a managed role (a bot's or an integration's: 403). Changes are announced on the gateway
(GUILD_ROLE_CREATE / UPDATE / DELETE; GUILD_MEMBER_UPDATE, which only sessions with the
GUILD_MEMBERS intent receive).

``delete_role`` and ``move_role`` act as a moderator in Discord's client would, for tests:
no permission check, the same gateway events.
"""

from __future__ import annotations

from typing import Any

from .model import FakeGuild, FakeMember, FakeRole
from .permissions import MANAGE_ROLES, has_all
from .rest import BOT, JSON, Ctx, Reply, RouteSpec
from .state import FakeDiscordState
from .validation import DiscordError, FormErrors

#: Discord's cap of roles per guild (@everyone included).
MAX_ROLES = 250
ROLE_NAME_LIMIT = 100
MAX_COLOR = 0xFFFFFF
DEFAULT_ROLE_NAME = "new role"

_GUILD_ROLES = r"/guilds/(?P<guild_id>\d+)/roles"
_ROLE = _GUILD_ROLES + r"/(?P<role_id>\d+)"
_MEMBER_ROLE = r"/guilds/(?P<guild_id>\d+)/members/(?P<user_id>\d+)/roles/(?P<role_id>\d+)"


def _rank(role: FakeRole) -> tuple[int, int]:
    """Sorts roles from lowest to highest: by position, then the older (lower id) higher."""
    return (role.position, -role.id)


def top_role(guild: FakeGuild, member: FakeMember) -> FakeRole:
    """A member's highest role (@everyone when they have no other)."""
    roles = [guild.roles[r] for r in member.roles if r in guild.roles]
    return max([guild.everyone, *roles], key=_rank)


def is_below(role: FakeRole, other: FakeRole) -> bool:
    return _rank(role) < _rank(other)


class RoleRoutes(FakeDiscordState):
    def _feature_routes(self) -> list[RouteSpec]:
        return [
            *super()._feature_routes(),
            ("POST", _GUILD_ROLES, self._create_role, BOT, False),
            ("PATCH", _ROLE, self._edit_role, BOT, False),
            ("DELETE", _ROLE, self._delete_role, BOT, False),
            ("PUT", _MEMBER_ROLE, self._add_member_role, BOT, False),
            ("DELETE", _MEMBER_ROLE, self._remove_member_role, BOT, False),
        ]

    # ==== acting as a moderator in the client (tests) ============================================

    def delete_role(self, guild: FakeGuild, role: FakeRole | int) -> None:
        """A moderator deletes ``role``: gone from its members and channel overwrites too."""
        rid = role.id if isinstance(role, FakeRole) else role
        if rid == guild.id or rid not in guild.roles:
            raise ValueError(f"role {rid} cannot be deleted from guild {guild.id}")
        del guild.roles[rid]
        for member in guild.members.values():
            if rid in member.roles:
                member.roles.remove(rid)
        for channel in guild.channels.values():
            channel.overwrites.pop(rid, None)
        self._emit("GUILD_ROLE_DELETE", {"guild_id": str(guild.id), "role_id": str(rid)}, guild.id)

    def move_role(self, guild: FakeGuild, role: FakeRole, position: int) -> None:
        """A moderator drags ``role`` to ``position`` (the others keep theirs)."""
        role.position = position
        self._announce_role(guild, role)

    # ==== routes =====================================================================================

    def _role_guild(self, ctx: Ctx) -> FakeGuild:
        """The guild of the route, where the bot has MANAGE_ROLES."""
        guild = self.guilds.get(int(ctx.params["guild_id"]))
        if guild is None:
            raise DiscordError(404, 10004, "Unknown Guild")
        if not has_all(guild.base_permissions(self.bot_user.id), MANAGE_ROLES):
            raise DiscordError(403, 50013, "Missing Permissions")
        return guild

    def _known_role(self, guild: FakeGuild, role_id: str) -> FakeRole:
        role = guild.roles.get(int(role_id))
        if role is None:
            raise DiscordError(404, 10011, "Unknown Role")
        return role

    def _check_below_bot(self, guild: FakeGuild, role: FakeRole) -> None:
        """Only the owner is above the hierarchy; the bot's highest role must be above ``role``."""
        if guild.owner_id == self.bot_user.id:
            return
        if not is_below(role, top_role(guild, guild.bot_member)):
            raise DiscordError(403, 50013, "Missing Permissions")

    def _role_fields(self, guild: FakeGuild, body: JSON, *, creating: bool) -> dict[str, Any]:
        """The fields of a create/modify body, checked as Discord checks them."""
        errors = FormErrors()
        fields: dict[str, Any] = {}
        name = body.get("name")
        if name is not None:
            if not isinstance(name, str):
                errors.add(("name",), "BASE_TYPE_STRING", "Must be a string.")
            elif not name.strip():
                errors.add(("name",), "BASE_TYPE_REQUIRED", "This field is required")
            else:
                errors.max_length(("name",), name, ROLE_NAME_LIMIT)
                fields["name"] = name
        elif creating:
            fields["name"] = DEFAULT_ROLE_NAME
        if body.get("permissions") is not None:
            try:
                fields["permissions"] = int(body["permissions"])
            except (TypeError, ValueError):
                errors.add(("permissions",), "NUMBER_TYPE_COERCE", "Value is not int.")
        for key in ("color", "colour"):
            if body.get(key) is not None:
                value = body[key]
                if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_COLOR:
                    errors.add((key,), "NUMBER_TYPE_MAX", f"int value should be <= {MAX_COLOR} and >= 0.")
                else:
                    fields["color"] = value
        for key in ("hoist", "mentionable"):
            if body.get(key) is not None:
                if not isinstance(body[key], bool):
                    errors.add((key,), "BASE_TYPE_BOOLEAN", "Must be either true or false.")
                else:
                    fields[key] = body[key]
        if errors:
            raise DiscordError.form(errors)
        # A role may carry only permissions the bot has itself (an administrator has all).
        if fields.get("permissions", 0) & ~guild.base_permissions(self.bot_user.id):
            raise DiscordError(403, 50013, "Missing Permissions")
        return fields

    async def _create_role(self, ctx: Ctx) -> Reply:
        guild = self._role_guild(ctx)
        fields = self._role_fields(guild, ctx.body, creating=True)
        if len(guild.roles) >= MAX_ROLES:
            raise DiscordError(400, 30005, f"Maximum number of guild roles reached ({MAX_ROLES})")
        # Discord's default permissions for a new role are @everyone's.
        permissions = fields.pop("permissions", guild.everyone.permissions)
        moved = [r for r in guild.roles.values() if r.id != guild.id and r.position >= 1]
        for other in moved:
            other.position += 1
        role = FakeRole(self.ids.next(), guild.id, fields.pop("name"), permissions, position=1)
        for key, value in fields.items():
            setattr(role, key, value)
        guild.roles[role.id] = role
        self._emit("GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.to_json()}, guild.id)
        for other in moved:
            self._announce_role(guild, other)
        return Reply(200, role.to_json())

    async def _edit_role(self, ctx: Ctx) -> Reply:
        guild = self._role_guild(ctx)
        role = self._known_role(guild, ctx.params["role_id"])
        self._check_below_bot(guild, role)
        fields = self._role_fields(guild, ctx.body, creating=False)
        if role.id == guild.id and "name" in fields:
            raise DiscordError(400, 50028, "Invalid Role")
        for key, value in fields.items():
            setattr(role, key, value)
        self._announce_role(guild, role)
        return Reply(200, role.to_json())

    async def _delete_role(self, ctx: Ctx) -> Reply:
        guild = self._role_guild(ctx)
        role = self._known_role(guild, ctx.params["role_id"])
        if role.id == guild.id:
            raise DiscordError(400, 50028, "Invalid Role")
        if role.managed:
            raise DiscordError(403, 50013, "Missing Permissions")
        self._check_below_bot(guild, role)
        self.delete_role(guild, role)
        return Reply(204)

    def _member_and_role(self, ctx: Ctx) -> tuple[FakeGuild, FakeMember, FakeRole]:
        guild = self._role_guild(ctx)
        member = guild.members.get(int(ctx.params["user_id"]))
        if member is None:
            raise DiscordError(404, 10007, "Unknown Member")
        role = self._known_role(guild, ctx.params["role_id"])
        if role.id == guild.id:
            raise DiscordError(404, 10011, "Unknown Role")  # @everyone is no role to give
        if role.managed:
            raise DiscordError(403, 50013, "Missing Permissions")
        self._check_below_bot(guild, role)
        return guild, member, role

    async def _add_member_role(self, ctx: Ctx) -> Reply:
        guild, member, role = self._member_and_role(ctx)
        if role.id not in member.roles:
            member.roles.append(role.id)
            self._announce_member(guild, member)
        return Reply(204)

    async def _remove_member_role(self, ctx: Ctx) -> Reply:
        guild, member, role = self._member_and_role(ctx)
        if role.id in member.roles:
            member.roles.remove(role.id)
            self._announce_member(guild, member)
        return Reply(204)

    # ==== gateway ====================================================================================

    def _announce_role(self, guild: FakeGuild, role: FakeRole) -> None:
        self._emit("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.to_json()}, guild.id)

    def _announce_member(self, guild: FakeGuild, member: FakeMember) -> None:
        data = member.to_json()
        data["guild_id"] = str(guild.id)
        self._emit("GUILD_MEMBER_UPDATE", data, guild.id)
