"""Permission bits and Discord's permission computation (guild roles, then channel overwrites).

The fake computes permissions itself rather than trusting a number from the test, so
the ``permissions`` string in interactions, ``app_permissions`` and the guild data the bot
caches all agree, exactly as they do on Discord.
"""

from __future__ import annotations

from collections.abc import Iterable

CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_AUDIT_LOG = 1 << 7
STREAM = 1 << 9
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
CHANGE_NICKNAME = 1 << 26
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38

#: Every bit Discord defines today (and a few spare): what an administrator or owner has.
ALL_PERMISSIONS = (1 << 51) - 1

#: A fresh guild's @everyone role, close to what Discord gives new servers.
DEFAULT_EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | STREAM
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)

#: What an invite link with the usual "send messages" scopes grants a bot's managed role.
DEFAULT_BOT_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_EXTERNAL_EMOJIS
    | SEND_MESSAGES_IN_THREADS
)

#: What Discord reports as ``app_permissions`` in a DM with the bot.
DM_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY | ADD_REACTIONS
)


def guild_permissions(everyone: int, role_permissions: Iterable[int], *, is_owner: bool = False) -> int:
    """Base permissions: @everyone OR every role; owners and administrators get everything."""
    if is_owner:
        return ALL_PERMISSIONS
    total = everyone
    for value in role_permissions:
        total |= value
    if total & ADMINISTRATOR:
        return ALL_PERMISSIONS
    return total


def apply_overwrites(
    base: int,
    *,
    everyone_overwrite: tuple[int, int] | None,
    role_overwrites: Iterable[tuple[int, int]],
    member_overwrite: tuple[int, int] | None,
) -> int:
    """Discord's channel algorithm: @everyone, then all roles together, then the member.

    Each overwrite is ``(allow, deny)``. Administrators are not affected. Without
    VIEW_CHANNEL in the channel a member has no permission there at all.
    """
    if base & ADMINISTRATOR or base == ALL_PERMISSIONS:
        return ALL_PERMISSIONS
    perms = base
    if everyone_overwrite is not None:
        allow, deny = everyone_overwrite
        perms = (perms & ~deny) | allow
    allow_roles = 0
    deny_roles = 0
    for allow, deny in role_overwrites:
        allow_roles |= allow
        deny_roles |= deny
    perms = (perms & ~deny_roles) | allow_roles
    if member_overwrite is not None:
        allow, deny = member_overwrite
        perms = (perms & ~deny) | allow
    if not perms & VIEW_CHANNEL:
        return 0
    return perms


def has_all(perms: int, required: int) -> bool:
    """True when every bit of ``required`` is set (administrators pass every check)."""
    if perms & ADMINISTRATOR:
        return True
    return perms & required == required
