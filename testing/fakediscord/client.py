"""Point the unmodified discord.py at a fake Discord, and put it back afterwards.

Both settings are process-wide class attributes, so one fake per process; restoring them
matters because other tests in the same run may use another harness.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import discord
import discord.gateway
import discord.http
import yarl

from .server import FakeDiscord


@contextlib.contextmanager
def pointed_at(fake: FakeDiscord) -> Iterator[None]:
    """Set ``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` to the fake while inside."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


def point_from_env(environ: dict[str, str] | None = None) -> bool:
    """In a bot process: read DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL; True if any was set."""
    env = os.environ if environ is None else environ
    changed = False
    if env.get("DISCORD_API_BASE_URL"):
        discord.http.Route.BASE = env["DISCORD_API_BASE_URL"]
        changed = True
    if env.get("DISCORD_GATEWAY_URL"):
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(env["DISCORD_GATEWAY_URL"])
        changed = True
    return changed
