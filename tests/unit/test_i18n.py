"""Every user-facing string has a French translation, and placeholders survive."""

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from discord import Locale, app_commands

import fanbot
from fanbot.answers.errors import WHAT_EVENT, BadOption, NotFound
from fanbot.answers.people import Appearance, CircuitCard, ClassGroup, DriverCard, Lineup
from fanbot.answers.reminders import read_leads
from fanbot.bot.embeds import fan as embed
from fanbot.bot.translator import PoTranslator, is_command_name
from fanbot.commands import CommandLineError, parse_command_line
from fanbot.domain.model import Circuit, Entry, Event, Series
from fanbot.i18n import (
    N_,
    format_day,
    format_local,
    normalize_locale,
    pick_locale,
    plural_translations,
    translations,
    translator,
)
from fanbot.render.text import TextStyle, render_circuit, render_driver, render_lineup
from fanbot.render.words import (
    countdown,
    country_name,
    duration_words,
    edition_words,
    length_words,
    place,
)

PACKAGE = Path(fanbot.__file__).parent
NBSP = "\u00a0"
FR = translator("fr")
EN = translator("en")
# Babel's default keywords for ngettext and pgettext, as ``pybabel extract`` uses them.
KEYWORDS = {"tr": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def extracted() -> list[tuple[str | tuple[str, ...], str | None]]:
    found = extract_from_dir(
        str(PACKAGE),
        method_map=[("**.py", "python")],
        keywords=KEYWORDS,
        comment_tags=(),
        strip_comment_tags=True,
    )
    return [(message, context) for _file, _line, message, _comments, context in found if message]


def marked_messages() -> set[str]:
    return {m for m, context in extracted() if isinstance(m, str) and context is None}


def test_the_extractor_sees_the_marked_strings():
    messages = marked_messages()
    assert {"Next race", "time TBA", "No {what} matches “{query}”."} <= messages
    plurals = {m[0] for m, _ in extracted() if isinstance(m, tuple)}
    assert {"{n} entry on record (see /lineup).", "{n} hour"} <= plurals


def test_every_marked_string_has_a_french_translation():
    french = {msgid for (context, msgid) in translations("fr") if context is None}
    missing = sorted(marked_messages() - french)
    assert missing == [], f"add these to fanbot/locale/fr/LC_MESSAGES/fanbot.po: {missing}"


def test_every_plural_and_every_word_in_context_has_a_french_translation():
    plurals = plural_translations("fr")
    singular = translations("fr")
    missing = []
    for message, context in extracted():
        if isinstance(message, tuple) and (context, message[0]) not in plurals:
            missing.append(message[:2])
        elif isinstance(message, str) and context is not None and (context, message) not in singular:
            missing.append((context, message))
    assert missing == [], f"add these to fanbot/locale/fr/LC_MESSAGES/fanbot.po: {missing}"
    assert all(len(forms) == 2 for forms in plurals.values()), "French has two plural forms"


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


# ---------------------------------------------------------------- test fixtures


ROAD_ATLANTA = Circuit(
    id=1,
    key="road-atlanta",
    name="Michelin Raceway Road Atlanta",
    timezone="America/New_York",
    location="Braselton, Georgia",
    country="United States",
    length_km=4.088,
    turns=12,
)
ALMS = Series(code="ALMS", name="American Le Mans Series")
PETIT = Event(
    id=1, key="plm-2012", guild_id=None, series=ALMS, circuit=ROAD_ATLANTA, season=2012, name="Petit Le Mans"
)
NOW = datetime(2012, 10, 1, tzinfo=UTC)


def entry(number: str | None, drivers: tuple[str, ...] = ("A. Driver",)) -> Entry:
    return Entry(id=1, number=number, car_class="P1", team="Club team", car="Lola", drivers=drivers)


def circuit_card(circuit: Circuit = ROAD_ATLANTA) -> CircuitCard:
    return CircuitCard(NOW, circuit, NOW, None, None, 0)


# ---------------------------------------------------------------- every message in French


@pytest.mark.parametrize(
    ("line", "english", "french"),
    [
        ("/race", "/race needs “event”.", "/race a besoin de l'option"),
        ("/warp", "Unknown command /warp.", "Commande /warp inconnue."),
        ("/nextrace WEC", "Cannot read “WEC”.", "Impossible de lire"),
        ("/lineup event:x driver:y", "/lineup has no option “driver”.", "/lineup n'a pas d'option"),
    ],
)
def test_console_usage_errors_are_in_the_readers_language(line, english, french):
    with pytest.raises(CommandLineError) as err:
        parse_command_line(line)
    assert english in str(err.value)
    in_french = err.value.render(FR)
    assert french in in_french
    assert english not in in_french
    if err.value.spec is not None:
        assert f"Utilisation{NBSP}: /" in in_french
        assert "Usage" not in in_french
        assert "required" not in in_french
        assert "Example" not in in_french


def test_the_console_banner_is_in_french(tmp_path):
    import os
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "fanbot.cli", "console", "--locale", "fr"],
        input="/warp\nquit\n",
        capture_output=True,
        text=True,
        env={**os.environ, "FANBOT_DB": str(tmp_path / "f.db"), "DISCORD_TOKEN": ""},
        timeout=60,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Console fanbot — tapez une commande"), run.stdout
    assert "Commande /warp inconnue." in run.stdout


def test_a_bad_option_names_the_option_and_the_hint_in_french():
    season = BadOption(value="abc", option=N_("season"), hint=N_("give a year such as 2026."))
    assert (
        season.render(FR)
        == f"«{NBSP}abc{NBSP}» ne convient pas pour l'option saison{NBSP}: indiquez une année, par exemple 2026."
    )
    assert season.render(EN) == "“abc” is not a valid season: give a year such as 2026."
    with pytest.raises(BadOption) as err:
        read_leads("soon")
    text = err.value.render(FR)
    assert "l'option avant" in text, text
    assert "n'est pas une durée" in text, text
    assert "before" not in text
    assert "write it like" not in text


def test_not_found_names_what_was_looked_for_in_french():
    text = NotFound(WHAT_EVENT, "zzz", ["Petit Le Mans 2012"]).render(FR)
    assert (
        text
        == f"Aucun résultat (épreuve) pour «{NBSP}zzz{NBSP}». Vouliez-vous dire{NBSP}: Petit Le Mans 2012{NBSP}?"
    )


def test_a_not_found_message_quotes_at_most_100_characters_of_what_was_typed():
    typed = "x" * 5000
    text = NotFound(WHAT_EVENT, typed, []).render(EN)
    quoted = text[text.index("“") + 1 : text.index("”")]
    assert len(quoted) == 100
    assert quoted.endswith("…")
    assert NotFound(WHAT_EVENT, "y" * 100, []).render(EN).count("y") == 100  # exactly 100: not cut


# ---------------------------------------------------------------- French typography


def test_french_has_a_no_break_space_before_double_punctuation_and_inside_guillemets():
    loose = re.compile(r"(?<!\u00a0)[:;!?»](?=\s|$|[.,)])|«(?!\u00a0)")
    for key, text in translations("fr").items():
        assert not loose.search(text), (key, text)
    for key, forms in plural_translations("fr").items():
        assert not any(loose.search(form) for form in forms), key
    assert FR("{heading}: {name}", heading="Prochaine course", name="X") == f"Prochaine course{NBSP}: X"
    # Times, web addresses and typed options keep their colons as they are.
    assert FR("Info: {url}", url="https://x") == f"Infos{NBSP}: https://x"


def test_french_numbers_have_a_decimal_comma():
    assert f"Longueur{NBSP}: 4,088 km" in render_circuit(circuit_card(), TextStyle("fr"))
    assert "Length: 4.088 km" in render_circuit(circuit_card(), TextStyle("en"))
    pages = embed.circuit_pages(circuit_card(), FR, "fr")
    assert {f.name: f.value for f in pages[0].fields}["Longueur"] == "4,088 km"


def test_the_first_of_the_month_is_1er_in_french():
    assert format_day(date(2025, 6, 1), "fr") == "dim. 1er juin 2025"
    assert format_day(date(2025, 6, 2), "fr") == "lun. 2 juin 2025"
    assert format_day(date(2025, 6, 1), "en") == "Sun 1 Jun 2025"
    first = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert format_local(first, "Europe/Paris", "fr") == "dim. 1er juin 2025, 14:00 CEST"
    assert format_local(first, "Europe/Paris", "en") == "Sun 1 Jun 2025, 14:00 CEST"


def test_french_words_agree_with_what_they_describe():
    assert FR("done") == "terminée"  # une séance, une épreuve
    no_length = Circuit(id=2, key="club", name="Club ring", timezone="UTC")
    fields = {f.name: f.value for f in embed.circuit_pages(circuit_card(no_length), FR, "fr")[0].fields}
    assert fields["Longueur"] == "inconnue"  # la longueur
    assert fields["Virages"] == "inconnu"  # le nombre de virages


# ---------------------------------------------------------------- plural forms


def test_counts_take_the_plural_form_of_the_language():
    one = "{n} entry on record"
    many = "{n} entries on record"
    assert [EN.ngettext(one, many, n) for n in (0, 1, 2)] == [
        "0 entries on record",
        "1 entry on record",
        "2 entries on record",
    ]
    # French counts zero and one alike.
    assert [FR.ngettext(one, many, n) for n in (0, 1, 2)] == [
        "0 engagement connu",
        "1 engagement connu",
        "2 engagements connus",
    ]


def test_a_driver_with_one_entry_has_1_entry_not_1_entries():
    card = DriverCard("R. Dumas", (Appearance(PETIT, entry("6", ("R. Dumas",)), ()),))
    assert render_driver(card, TextStyle("en")).startswith("R. Dumas — 1 entry on record\n")
    assert render_driver(card, TextStyle("fr")).startswith("R. Dumas — 1 engagement connu\n")
    assert embed.driver_pages(card, FR, "fr")[0].description == "1 engagement connu"
    lineup = Lineup(PETIT, (ClassGroup("P1", (entry("6"),)),), None, None)
    assert embed.lineup_pages(lineup, FR, "fr")[0].description == "1 engagé"
    assert embed.lineup_pages(lineup, EN, "en")[0].description == "1 entry"


def test_a_countdown_of_one_day_says_day_not_days():
    now = datetime(2025, 6, 1, tzinfo=UTC)
    assert countdown(now, now + timedelta(days=1, hours=3), EN) == "in 1 day 3 h"
    assert countdown(now, now + timedelta(days=18, hours=21), EN) == "in 18 days 21 h"
    assert countdown(now, now + timedelta(days=1, hours=3), FR) == "dans 1 jour 3 h"
    assert countdown(now, now - timedelta(days=2), FR) == "il y a 2 jours 0 h"


# ---------------------------------------------------------------- catalog words


def test_an_edition_is_an_ordinal_in_each_language():
    assert edition_words(94, FR) == "94e édition"
    assert edition_words(1, FR) == "1re édition"
    assert edition_words(94, EN) == "94th edition"
    assert [edition_words(n, EN).split()[0] for n in (1, 2, 3, 11, 12, 13, 21, 22, 23, 101)] == [
        "1st", "2nd", "3rd", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st",
    ]  # fmt: skip


def test_durations_are_written_in_words_of_the_language():
    assert [duration_words(m, EN) for m in (1, 60, 360, 1440, 100, 160)] == [
        "1 minute", "1 hour", "6 hours", "24 hours", "100 minutes", "2 h 40 min",
    ]  # fmt: skip
    assert [duration_words(m, FR) for m in (1, 60, 360, 1440, 100)] == [
        "1 minute", "1 heure", "6 heures", "24 heures", "100 minutes",
    ]  # fmt: skip
    assert length_words("24 hours", FR) == "24 heures"
    assert length_words("8 hours (afternoon into night)", FR) == "8 heures (afternoon into night)"
    assert length_words("1812 km or max 10 hours", FR) == "1812 km or max 10 hours"
    assert length_words("24 hours", EN) == "24 hours"


def test_country_names_are_babels_territory_names_in_the_readers_language():
    assert country_name("United States", "fr") == "États-Unis"
    assert country_name("Bahrain", "fr") == "Bahreïn"
    assert country_name("Belgium", "fr") == "Belgique"
    assert country_name("United States", "en") == "United States"
    assert country_name("USA", "fr") == "États-Unis"
    assert country_name("Narnia", "fr") == "Narnia"
    assert place(ROAD_ATLANTA, FR) == "Braselton, Georgia, États-Unis"
    assert f"Lieu{NBSP}: Braselton, Georgia, États-Unis" in render_circuit(circuit_card(), TextStyle("fr"))


# ---------------------------------------------------------------- Discord names


def test_localized_command_names_keep_their_accents_and_suit_discord():
    names = {msgid: text for (context, msgid), text in translations("fr").items() if context == "discord"}
    assert names["event"] == "épreuve"
    assert names["class"] == "catégorie"
    assert names["team"] == "équipe"
    assert all(is_command_name(text) for text in names.values()), names
    location = app_commands.TranslationContextLocation.parameter_name
    context = app_commands.TranslationContext(location=location, data=None)
    got = asyncio.run(PoTranslator().translate(app_commands.locale_str("event"), Locale.french, context))
    assert got == "épreuve"


def test_a_name_discord_would_refuse_is_not_sent():
    assert is_command_name("épreuve")
    assert is_command_name("rappelle-moi")
    assert is_command_name("lien_info")
    assert not is_command_name("Épreuve")
    assert not is_command_name("deux mots")
    assert not is_command_name("x" * 33)


# ---------------------------------------------------------------- rough edges


def test_a_countdown_under_one_minute_says_so():
    now = datetime(2025, 6, 1, tzinfo=UTC)
    assert countdown(now, now + timedelta(seconds=30), EN) == "in less than a minute"
    assert countdown(now, now - timedelta(seconds=59), EN) == "less than a minute ago"
    assert countdown(now, now + timedelta(seconds=30), FR) == "dans moins d'une minute"
    assert countdown(now, now - timedelta(seconds=1), FR) == "il y a moins d'une minute"
    assert countdown(now, now + timedelta(seconds=60), EN) == "in 1 min"


def test_a_car_with_no_number_says_no_number():
    lineup = Lineup(PETIT, (ClassGroup("P1", (entry(None), entry("055"))),), None, None)
    text = render_lineup(lineup, TextStyle("en"))
    assert "#?" not in text
    assert "  no number Club team — Lola: A. Driver" in text
    assert "  #055 Club team — Lola: A. Driver" in text
    assert f"sans numéro Club team — Lola{NBSP}: A. Driver" in render_lineup(lineup, TextStyle("fr"))
    value = embed.lineup_pages(lineup, FR, "fr")[0].fields[0].value
    assert value.startswith(f"**sans numéro** Club team — Lola{NBSP}: A. Driver")
    card = DriverCard("A. Driver", (Appearance(PETIT, entry(None), ()),))
    record = render_driver(card, TextStyle("en"))
    assert "no number Club team, Lola" in record
    assert "#?" not in record
