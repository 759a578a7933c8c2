"""Command names and descriptions in French, from the same .po catalog as answers."""

from __future__ import annotations

import discord
from discord import app_commands

from fanbot.i18n import SUPPORTED, normalize_locale, translate_in_context

DISCORD_CONTEXT = "discord"


class PoTranslator(app_commands.Translator):
    """Looks names up under msgctxt "discord" (a command name is not the word in
    a sentence: "event" is "evenement" as an option, "événement" in text), and
    descriptions by their plain msgid."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        language = normalize_locale(locale)
        if language not in SUPPORTED or language == "en" or not str(locale.value).startswith(language):
            return None
        return translate_in_context(language, DISCORD_CONTEXT, string.message)
