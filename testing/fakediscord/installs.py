"""Installs and interaction contexts, as Discord documents them for user-installable apps.

An app is installed to a server (GUILD_INSTALL, 0: its bot joins) or to a user's account
(USER_INSTALL, 1: nothing joins anything). A command says which installs carry it
(``integration_types``) and where it may run (``contexts``: 0 GUILD, 1 BOT_DM, 2
PRIVATE_CHANNEL, the DMs and group DMs between users). An interaction names the installs it
came through in ``authorizing_integration_owners`` (``{"0": guild id or "0" in the bot's DM,
"1": the installing user's id}``) and where it happened in ``context``.

What follows from it, and this module decides for the driver:

- which installs make a command usable here (:func:`authorizing_owners`; none: the Discord
  client would not offer the command, :class:`~testing.fakediscord.interactions.NotInvocable`);
- ``app_permissions``: the bot's own where it is a member, else what an interaction response
  can use (:func:`app_permissions`);
- replies forced to be seen by the user alone where the server turned off
  ``USE_EXTERNAL_APPS`` for them, or they cannot send messages there, and the app is not also
  installed to the server (:func:`forced_ephemeral`);
- at most 5 follow-ups for an interaction from a user install alone (``FOLLOWUP_LIMIT``).

Sources: discord-api-docs, Application Commands (contexts), Receiving and Responding
(authorizing integration owners, app_permissions, follow-up messages), Permissions
(USE_EXTERNAL_APPS), the change logs "User-Installable Apps Preview" (2024-03-18) and
"User-Installed Apps General Availability" (2024-06-27).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .interactions import NotInvocable
from .model import FakeChannel, FakeGuild, FakeUser
from .permissions import (
    ATTACH_FILES,
    EMBED_LINKS,
    MENTION_EVERYONE,
    SEND_MESSAGES,
    USE_EXTERNAL_EMOJIS,
    apply_overwrites,
    has_all,
)
from .validation import FormErrors

JSON = dict[str, Any]

GUILD_INSTALL, USER_INSTALL = 0, 1
INTEGRATION_TYPES = frozenset({GUILD_INSTALL, USER_INSTALL})
GUILD, BOT_DM, PRIVATE_CHANNEL = 0, 1, 2
CONTEXTS = frozenset({GUILD, BOT_DM, PRIVATE_CHANNEL})
GROUP_DM = 3

#: "Allows user-installed apps to send public responses. When disabled, users will still be
#: allowed to use their apps but the responses will be ephemeral." On by default in servers.
USE_EXTERNAL_APPS = 1 << 50
#: What an interaction response can use, the part of @everyone's permissions an app that is not
#: a member gets as ``app_permissions`` (change log 2022-06-29, "Calculated Permissions").
RESPONSE_PERMISSIONS = ATTACH_FILES | EMBED_LINKS | MENTION_EVERYONE | USE_EXTERNAL_EMOJIS
#: ``app_permissions`` "for (G)DMs with other users".
PRIVATE_CHANNEL_PERMISSIONS = ATTACH_FILES | EMBED_LINKS | MENTION_EVERYONE
#: "Apps are limited to 5 followup messages per interaction if it was initiated from a
#: user-installed app and isn't installed in the server."
FOLLOWUP_LIMIT = 5


@dataclass(eq=False)
class PrivateChannel:
    """A DM between users or a group DM: the bot is never in one (bots cannot join group DMs),
    so only a user's install reaches it."""

    channel: FakeChannel
    members: list[FakeUser]
    name: str | None = None

    def to_json(self, viewer: FakeUser) -> JSON:
        others = [m.to_json() for m in self.members if m.id != viewer.id]
        data: JSON = {
            "id": str(self.channel.id),
            "type": self.channel.type,
            "last_message_id": None,
            "recipients": others,
            "flags": 0,
        }
        if self.channel.type == GROUP_DM:
            data.update(name=self.name, icon=None, owner_id=str(self.members[0].id))
        return data


@dataclass
class Installs:
    """What the fake knows beyond the guilds the bot is in: who installed the app to their
    account, servers the bot is not in, and the DMs and group DMs between users."""

    users: set[int] = field(default_factory=set)
    guilds_without_bot: dict[int, FakeGuild] = field(default_factory=dict)
    private_channels: dict[int, PrivateChannel] = field(default_factory=dict)

    def channel(self, channel_id: int) -> FakeChannel | None:
        private = self.private_channels.get(channel_id)
        if private is not None:
            return private.channel
        for guild in self.guilds_without_bot.values():
            if channel_id in guild.channels:
                return guild.channels[channel_id]
        return None

    def bot_absent_from(self, channel: FakeChannel) -> bool:
        """The bot hears nothing from these: it is not in the server, or not in the (group) DM."""
        return channel.id in self.private_channels or (
            channel.guild_id is not None and channel.guild_id in self.guilds_without_bot
        )


@dataclass
class Place:
    """Where a user acts: the interaction context, its channel, and the server if any."""

    context: int
    channel: FakeChannel
    guild: FakeGuild | None = None
    bot_in_guild: bool = False


def _allows(cmd: JSON, context: int) -> bool:
    contexts = cmd.get("contexts")
    if contexts is None:
        # Not set: every context, less the bot's DM for a command the (deprecated) dm_permission
        # kept out of it.
        return not (context == BOT_DM and cmd.get("dm_permission") is False)
    return context in contexts


def _installed_by(cmd: JSON, install: int) -> bool:
    if cmd.get("guild_id") is not None:
        # A guild command exists only where the app is installed to that server.
        return install == GUILD_INSTALL
    return install in (cmd.get("integration_types") or [GUILD_INSTALL])


def authorizing_owners(
    cmd: JSON, place: Place, user: FakeUser, *, user_installed: bool, shares_a_guild: bool
) -> dict[str, str]:
    """The ``authorizing_integration_owners`` of ``user`` running ``cmd`` at ``place``: one key
    per install that carries the command there. None: the Discord client does not offer it.

    A server's install reaches its guild channels (``default_member_permissions`` hides the
    command from members without them) and, for a member of one of the bot's servers, the
    bot's DM. A user's install reaches everywhere the command's ``contexts`` allow."""
    owners: dict[str, str] = {}
    why: list[str] = []
    name = f"/{cmd['name']}"
    if not _allows(cmd, place.context):
        contexts = cmd.get("contexts")
        raise NotInvocable(f"{name} is not available in context {place.context} (contexts={contexts})")
    if place.context == GUILD:
        assert place.guild is not None
        if place.bot_in_guild and _installed_by(cmd, GUILD_INSTALL):
            required = cmd.get("default_member_permissions")
            perms = place.guild.channel_permissions(user.id, place.channel)
            if required is None or has_all(perms, int(required)):
                owners[str(GUILD_INSTALL)] = str(place.guild.id)
            else:
                why.append(f"hidden from {user.username}: needs permissions {required}, has {perms}")
        elif not place.bot_in_guild:
            why.append("the app is not installed to this server")
    elif place.context == BOT_DM:
        if cmd.get("guild_id") is not None:
            why.append("a guild command is not available in DMs")
        elif _installed_by(cmd, GUILD_INSTALL) and shares_a_guild:
            owners[str(GUILD_INSTALL)] = "0"
    if user_installed and cmd.get("guild_id") is None and _installed_by(cmd, USER_INSTALL):
        owners[str(USER_INSTALL)] = str(user.id)
    elif not user_installed:
        why.append(f"{user.username} has not installed the app")
    if not owners:
        reasons = "; ".join(why) or "no install"
        raise NotInvocable(f"{name} is not available to {user.username} here: {reasons}")
    return owners


def everyone_in(guild: FakeGuild, channel: FakeChannel) -> int:
    """@everyone's permissions in a channel (roles and members aside)."""
    overwrite = channel.overwrites.get(guild.id)
    return apply_overwrites(
        guild.everyone.permissions,
        everyone_overwrite=None if overwrite is None else (overwrite.allow, overwrite.deny),
        role_overwrites=(),
        member_overwrite=None,
    )


def app_permissions(place: Place, owners: dict[str, str], bot: FakeUser, dm_permissions: int) -> int:
    """What the app may do in its answer here."""
    if place.context == PRIVATE_CHANNEL:
        return PRIVATE_CHANNEL_PERMISSIONS
    if place.context == BOT_DM:
        return dm_permissions
    assert place.guild is not None
    if place.bot_in_guild:
        return place.guild.channel_permissions(bot.id, place.channel)
    return everyone_in(place.guild, place.channel) & RESPONSE_PERMISSIONS


def user_install_alone(owners: dict[str, str]) -> bool:
    return set(owners) == {str(USER_INSTALL)}


def forced_ephemeral(place: Place, owners: dict[str, str], user: FakeUser) -> bool:
    """A server shows a user-installed app's replies to the user alone where that user lacks
    USE_EXTERNAL_APPS (or cannot send messages at all), unless the app is installed there too."""
    if place.context != GUILD or str(GUILD_INSTALL) in owners:
        return False
    assert place.guild is not None
    perms = place.guild.channel_permissions(user.id, place.channel)
    return not has_all(perms, USE_EXTERNAL_APPS | SEND_MESSAGES)


# -- the synced commands ----------------------------------------------------------------------------


def _check_values(errors: FormErrors, path: tuple[Any, ...], value: Any, valid: Iterable[int]) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        errors.add(path, "BASE_TYPE_ARRAY", "Must be an array.")
        return
    for j, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int) or item not in valid:
            errors.add((*path, j), "ENUM_TYPE_COERCE", f'Value "{item}" is not a valid enum value.')


def check_installs(errors: FormErrors, index: int, cmd: JSON, supported: Iterable[int]) -> None:
    """``integration_types`` and ``contexts`` of one command: known values, and install types the
    application supports (its Installation settings). The code of that last refusal is not
    documented; this one is the fake's."""
    _check_values(errors, (index, "integration_types"), cmd.get("integration_types"), INTEGRATION_TYPES)
    _check_values(errors, (index, "contexts"), cmd.get("contexts"), CONTEXTS)
    allowed = set(supported)
    for j, item in enumerate(cmd.get("integration_types") or []):
        if item in INTEGRATION_TYPES and item not in allowed:
            errors.add(
                (index, "integration_types", j),
                "APPLICATION_INTEGRATION_TYPE_NOT_SUPPORTED",
                f"The application does not support installation type {item}.",
            )
