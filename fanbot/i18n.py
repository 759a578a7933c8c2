"""English and French for everything fanbot says.

Messages are written in English in the code, marked with ``tr("...")`` (or
``N_("...")`` where the text is only declared), and translated from the gettext
catalogs in ``fanbot/locale/fr/LC_MESSAGES/``. Babel reads the ``.po`` files
directly, so there is no compile step to forget; ``pybabel extract -k tr -k N_``
refreshes the template (Babel's default keywords add ``ngettext`` and
``pgettext``). A test fails when a marked string has no translation.

A count is written with ``tr.ngettext("{n} entry", "{n} entries", n)``: the form
is chosen by the catalog's ``Plural-Forms`` rule (French says "0 engagé",
English "0 entries"), never by ``if n == 1`` in the code. A word whose
translation depends on what it qualifies is looked up with
``tr.pgettext("length", "unknown")`` (French "inconnue", not "inconnu").

French typography is applied when the catalog is read, so translators type
ordinary spaces: a no-break space (U+00A0) goes before ``:`` ``;`` ``!`` ``?``
and inside « guillemets ». U+00A0 rather than the narrow U+202F before ``;!?``:
every Discord client font and terminal draws it, and it never breaks a line
before the mark, which is what matters on a phone.
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, lru_cache
from importlib import resources

import pytz
from babel import Locale as BabelLocale
from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

SUPPORTED = ("en", "fr")
DEFAULT = "en"
DOMAIN = "fanbot"
NBSP = "\u00a0"
# English needs no catalog: its rule is gettext's default.
ENGLISH_PLURAL = "(n != 1)"


def normalize_locale(value: object | None) -> str:
    """'fr', 'fr-FR', discord.Locale.french or 'FR' -> 'fr'; anything else -> 'en'."""
    if value is None:
        return DEFAULT
    text = str(getattr(value, "value", value)).lower().replace("_", "-")
    base = text.split("-")[0]
    return base if base in SUPPORTED else DEFAULT


def pick_locale(*candidates: object | None) -> str:
    """The first supported locale among the candidates (user, then guild), else English."""
    for candidate in candidates:
        if candidate is None:
            continue
        text = str(getattr(candidate, "value", candidate)).lower()
        if text.split("-")[0] in SUPPORTED:
            return text.split("-")[0]
    return DEFAULT


# Typography applied to every French message as the catalog is read.
_FRENCH_BEFORE_MARK = re.compile(r"(?<=\S)[ \u00a0\u202f]?([:;!?»])(?=\s|$|[.,)\]])")
_FRENCH_AFTER_OPENING = re.compile(r"«[ \u00a0\u202f]?")


def french_spacing(text: str) -> str:
    """ "Circuit : {name}" -> "Circuit\u00a0: {name}"; "« {q} »" -> "«\u00a0{q}\u00a0»".

    Only a mark followed by a space, the end or closing punctuation counts, so
    times (13:40), web addresses (https://, ?q=) and typed options (series:WEC)
    are left alone."""
    text = _FRENCH_BEFORE_MARK.sub(NBSP + r"\1", text)
    return _FRENCH_AFTER_OPENING.sub("«" + NBSP, text)


def _as_written(text: str) -> str:
    return text


_TYPOGRAPHY: dict[str, Callable[[str], str]] = {"fr": french_spacing}


@dataclass(frozen=True)
class _Catalog:
    """One locale's messages: (msgctxt, msgid) -> text, and -> plural forms."""

    singular: dict[tuple[str | None, str], str] = field(default_factory=dict)
    plural: dict[tuple[str | None, str], tuple[str, ...]] = field(default_factory=dict)
    plural_expr: str = ENGLISH_PLURAL


@cache
def _load(locale: str) -> _Catalog:
    """Every ``.po`` file of the locale (``fanbot.po`` first, then one per feature
    area such as ``moderation.po``), so areas can be translated side by side.
    English is the msgids themselves: an empty catalog."""
    if locale == DEFAULT:
        return _Catalog()
    folder = resources.files("fanbot") / "locale" / locale / "LC_MESSAGES"
    polish = _TYPOGRAPHY.get(locale, _as_written)
    loaded = _Catalog()
    plural_expr = None
    for item in sorted(folder.iterdir(), key=lambda i: (i.name != f"{DOMAIN}.po", i.name)):
        if not item.name.endswith(".po"):
            continue
        with item.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        # The first file's Plural-Forms rule (fanbot.po's) is the locale's rule.
        plural_expr = plural_expr or catalog.plural_expr
        for m in catalog:
            if not m.id or m.fuzzy or not m.string:
                continue
            if isinstance(m.id, str) and isinstance(m.string, str):
                loaded.singular.setdefault((m.context, m.id), polish(m.string))
            elif isinstance(m.id, tuple | list) and all(m.string):
                key = (m.context, str(m.id[0]))
                loaded.plural.setdefault(key, tuple(polish(str(form)) for form in m.string))
    return _Catalog(loaded.singular, loaded.plural, plural_expr or ENGLISH_PLURAL)


def _catalog(locale: str) -> dict[tuple[str | None, str], str]:
    return _load(locale).singular


def translations(locale: str) -> dict[tuple[str | None, str], str]:
    """(context, msgid) -> translation for ``locale`` (empty for English)."""
    return _catalog(normalize_locale(locale))


def plural_translations(locale: str) -> dict[tuple[str | None, str], tuple[str, ...]]:
    """(context, singular msgid) -> the plural forms for ``locale`` (empty for English)."""
    return _load(normalize_locale(locale)).plural


def translate_in_context(locale: str, context: str, message: str) -> str | None:
    """The translation of ``message`` under ``msgctxt context`` (Discord command and
    option names use the context "discord"), else its plain translation, else None."""
    table = _catalog(normalize_locale(locale))
    return table.get((context, message)) or table.get((None, message))


class Translator:
    """Writes fanbot's messages in one locale.

    ``tr(message, **fields)`` translates and fills the fields;
    ``tr.ngettext(singular, plural, n, **fields)`` picks the plural form by the
    locale's rule (``n`` is a field too); ``tr.pgettext(context, message)`` picks a
    translation by context; ``tr.locale`` is the locale for numbers and dates.
    An unknown message falls back to English."""

    def __init__(self, locale: str) -> None:
        self.locale = normalize_locale(locale)
        self._catalog = _load(self.locale)
        self._plural_index = gettext.c2py(self._catalog.plural_expr)
        # What goes between a label and its value (": " / "\u00a0: "), looked up once: a
        # line-up writes it once per car.
        template = self("{label}: {value}")
        self.colon = template.removeprefix("{label}").removesuffix("{value}")

    def __call__(self, message: str, **fields: object) -> str:
        text = self._catalog.singular.get((None, message), message)
        return text.format(**fields) if fields else text

    def pgettext(self, context: str, message: str, **fields: object) -> str:
        text = self._catalog.singular.get((context, message)) or self._catalog.singular.get(
            (None, message), message
        )
        return text.format(**fields) if fields else text

    def ngettext(self, singular: str, plural: str, n: int, **fields: object) -> str:
        forms = self._catalog.plural.get((None, singular))
        if forms is None:
            text = singular if n == 1 else plural
        else:
            text = forms[min(self._plural_index(n), len(forms) - 1)]
        return text.format(**{"n": n, **fields})

    def number(self, value: float, pattern: str = "#,##0.###") -> str:
        """``value`` written the locale's way: 4.088 -> "4.088" / "4,088"."""
        return format_number(value, self.locale, pattern)


Translate = Translator


@cache
def translator(locale: str) -> Translator:
    """The translator for one locale; unknown messages fall back to English."""
    return Translator(locale)


def N_(message: str) -> str:
    """Marks a message for extraction without translating it here."""
    return message


@lru_cache(maxsize=4096)
def format_number(value: float, locale: str, pattern: str = "#,##0.###") -> str:
    """A decimal number with the locale's separators ("4.088" / "4,088")."""
    return format_decimal(value, format=pattern, locale=BabelLocale.parse(normalize_locale(locale)))


def _day_pattern(day: date, locale: str, pattern: str) -> str:
    """French writes the first of the month as an ordinal: "1er juin", "2 juin"."""
    if normalize_locale(locale) == "fr" and day.day == 1:
        return pattern.replace("d ", "d'er' ", 1)
    return pattern


def format_local(instant: datetime, zone_name: str, locale: str, *, with_zone: bool = True) -> str:
    """A date and time on the wall clocks of ``zone_name``, written the locale's way,
    with the zone's own abbreviation (EDT, CEST, UTC) rather than an offset."""
    if instant.tzinfo is None:
        raise ValueError("format_local needs an aware datetime")
    local = instant.astimezone(pytz.timezone(zone_name))
    pattern = _day_pattern(local, locale, "EEE d MMM y, HH:mm")
    text = format_datetime(local, pattern, locale=BabelLocale.parse(locale))
    return f"{text} {local.strftime('%Z')}" if with_zone else text


def format_day(day: date, locale: str) -> str:
    """A calendar day ("Sat 20 Oct 2012" / "sam. 20 oct. 2012", "dim. 1er juin 2025")."""
    return format_date(day, _day_pattern(day, locale, "EEE d MMM y"), locale=BabelLocale.parse(locale))


# Names the catalog or a moderator may use for a country that are not Babel's own.
_COUNTRY_ALIASES = {
    "usa": "US",
    "u.s.a.": "US",
    "u.s.": "US",
    "united states of america": "US",
    "uk": "GB",
    "great britain": "GB",
}


@cache
def _territory_codes() -> dict[str, str]:
    """Country name (English or French, any case) -> ISO 3166 code, from Babel's data."""
    codes: dict[str, str] = {}
    for language in SUPPORTED:
        for code, name in BabelLocale.parse(language).territories.items():
            if len(code) == 2 and code.isalpha():
                codes.setdefault(name.casefold(), code)
    for name, code in _COUNTRY_ALIASES.items():
        codes.setdefault(name, code)
    return codes


@lru_cache(maxsize=1024)
def country_name(country: str, locale: str) -> str:
    """The catalog's English country name in the reader's language ("United States" ->
    "États-Unis"), through Babel's territory names; a name Babel does not know is
    shown as written."""
    code = _territory_codes().get(country.strip().casefold())
    if code is None:
        return country
    return str(BabelLocale.parse(normalize_locale(locale)).territories.get(code, country))
