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
    """Who asks: the guild's view of the store (its own events and the catalog), at the bot's now."""
    return Asker(bot.store, Scope(interaction.guild_id), bot.clock, bot.lookups)


def interaction_translator(interaction: discord.Interaction) -> Translate:
    """The reader's language: their client's, then the guild's, then English."""
    return translator(reader_locale(interaction))


def reader_locale(interaction: discord.Interaction) -> str:
    return pick_locale(interaction.locale, interaction.guild_locale)


def language(interaction: discord.Interaction) -> tuple[Translate, str]:
    """The reader's translator and locale (dates and numbers are written by the locale)."""
    return interaction_translator(interaction), reader_locale(interaction)
