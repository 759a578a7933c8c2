"""What every handler reads from its interaction: the bot, the asker, the reader's language."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import discord

from fanbot.answers.context import Asker
from fanbot.i18n import Translate, pick_locale, translator
from fanbot.store import Scope

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot


def bot_of(interaction: discord.Interaction) -> FanBot:
    """The bot the interaction came to (discord.py types it as any client)."""
    return cast("FanBot", interaction.client)


def asker(bot: FanBot, interaction: discord.Interaction) -> Asker:
    """Who asks, as the server's moderators do: the guild's view of the store (its own events
    and the catalog), at the bot's now. Moderator commands run only in servers that added the
    bot; fans' questions go through ``fan_asker``."""
    return Asker(bot.store, Scope(interaction.guild_id), bot.clock, bot.lookups)


def fan_asker(bot: FanBot, interaction: discord.Interaction) -> Asker:
    """Who asks a fan's question: the server's view where the bot is in the server, the
    catalog's elsewhere (``reader_scope``)."""
    return Asker(bot.store, reader_scope(interaction), bot.clock, bot.lookups)


def bot_is_in_server(interaction: discord.Interaction) -> bool:
    """Whether the interaction comes from a server the bot is a member of.

    Not in DMs and group DMs, and not where the asker's own install of the app alone reached:
    Discord then names a user install and no server install in ``authorizing_integration_owners``,
    and the server is not in the bot's cache. An interaction that names no install at all
    (payloads from before user installs) is judged by the cache alone."""
    guild_id = interaction.guild_id
    if guild_id is None or interaction.client.get_guild(guild_id) is None:
        return False
    return interaction.is_guild_integration() or not interaction.is_user_integration()


def reader_scope(interaction: discord.Interaction) -> Scope:
    """Whose events a fan's answer shows: the server's own and the catalog's where the bot is
    in the server; the catalog's alone elsewhere (a user install), so that a server the bot
    is not in never lends its events, or its settings, to a stranger's question."""
    return Scope(interaction.guild_id) if bot_is_in_server(interaction) else Scope.catalog()


def interaction_translator(interaction: discord.Interaction) -> Translate:
    """The reader's language: their client's, then the guild's, then English."""
    return translator(reader_locale(interaction))


def reader_locale(interaction: discord.Interaction) -> str:
    """The reader's locale: their client's when fanbot speaks it, else the server's (none in
    DMs and group DMs: English)."""
    return pick_locale(interaction.locale, interaction.guild_locale)


def language(interaction: discord.Interaction) -> tuple[Translate, str]:
    """The reader's translator and locale (dates and numbers are written by the locale)."""
    return interaction_translator(interaction), reader_locale(interaction)
