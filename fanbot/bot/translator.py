r"""Command names and descriptions in French, from the same .po catalog as answers.

Names keep their accents ("épreuve", "catégorie"): Discord allows any lowercase
letter in a command or option name (``^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$``),
and French readers type and read them that way. A name Discord would refuse is
not sent (the English one stays), since one bad name fails the whole sync.
"""

from __future__ import annotations

import re

import discord
from discord import app_commands

from fanbot.i18n import SUPPORTED, normalize_locale, translate_in_context

DISCORD_CONTEXT = "discord"
# Python's \w is Unicode letters, digits and "_": Discord's rule, less Devanagari and
# Thai marks (which fanbot's languages do not need).
COMMAND_NAME = re.compile(r"^[-\w]{1,32}$")
NAME_LOCATIONS = frozenset(
    {
        app_commands.TranslationContextLocation.command_name,
        app_commands.TranslationContextLocation.group_name,
        app_commands.TranslationContextLocation.parameter_name,
    }
)


def is_command_name(text: str) -> bool:
    """Whether Discord takes ``text`` as a command, group or option name."""
    return text == text.lower() and COMMAND_NAME.match(text) is not None


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
        translated = translate_in_context(language, DISCORD_CONTEXT, string.message)
        if translated is not None and context.location in NAME_LOCATIONS and not is_command_name(translated):
            return None
        return translated
