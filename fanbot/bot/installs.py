"""Who may install each command, and where it runs.

A Discord command names the installs that carry it (``integration_types``: a server that
added the bot, a user who added the app to their account) and the places it runs
(``contexts``: servers, the bot's DM, the DMs and group DMs between users). The fan commands
answer from the shared catalog, which needs nothing of a server: they go wherever a fan is
(``everywhere``). The moderators' commands and /reminders change a server's own state and
post in its channels: they stay in servers that added the bot, which is the tree's default
(``FanTree``), so a command added later is server-only unless it says otherwise.

Discord reads these for global commands only, and only on the top-level command or group
(discord.py ignores them on sub-commands). Each function returns a new object: discord.py's
decorators change the one they are given.
"""

from __future__ import annotations

from typing import TypeVar

from discord import app_commands

T = TypeVar("T")


def server_installs() -> app_commands.AppInstallationType:
    return app_commands.AppInstallationType(guild=True, user=False)


def server_contexts() -> app_commands.AppCommandContext:
    return app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False)


def everywhere_installs() -> app_commands.AppInstallationType:
    return app_commands.AppInstallationType(guild=True, user=True)


def everywhere_contexts() -> app_commands.AppCommandContext:
    return app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True)


def everywhere(command: T) -> T:
    """A fan command: installable by a server or a user, usable in servers, in the bot's DM
    and in other DMs and group DMs. Put it above ``@app_commands.command``."""
    command = app_commands.allowed_installs(guilds=True, users=True)(command)
    return app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)(command)
