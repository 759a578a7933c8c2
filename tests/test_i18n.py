"""Every user-facing string has a French translation, and placeholders survive."""

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

import fanbot
from fanbot.i18n import normalize_locale, pick_locale, translations, translator

PACKAGE = Path(fanbot.__file__).parent


def marked_messages() -> set[str]:
    found = extract_from_dir(
        str(PACKAGE),
        method_map=[("**.py", "python")],
        keywords={"tr": None, "N_": None},
        comment_tags=(),
        strip_comment_tags=True,
    )
    return {message for _file, _line, message, _comments, _context in found if message}


def test_the_extractor_sees_the_marked_strings():
    messages = marked_messages()
    assert {"Next race", "time TBA", "No {what} matches “{query}”."} <= messages


def test_every_marked_string_has_a_french_translation():
    french = {msgid for (context, msgid) in translations("fr") if context is None}
    missing = sorted(marked_messages() - french)
    assert missing == [], f"add these to fanbot/locale/fr/LC_MESSAGES/fanbot.po: {missing}"


def test_french_translations_keep_every_placeholder():
    for (_context, msgid), msgstr in translations("fr").items():
        assert set(re.findall(r"{\w+}", msgid)) == set(re.findall(r"{\w+}", msgstr)), msgid


def test_french_is_chosen_by_reader_then_guild_then_english():
    assert pick_locale("fr", "en-US") == "fr"
    assert pick_locale("de", "fr") == "fr"
    assert pick_locale("de", "ja") == "en"
    assert pick_locale(None, None) == "en"
    assert normalize_locale("fr-CA") == "fr"


def test_translator_fills_fields_and_falls_back_to_english():
    tr = translator("fr")
    assert tr("in {span}", span="2 h") == "dans 2 h"
    assert tr("a sentence nobody translated") == "a sentence nobody translated"
