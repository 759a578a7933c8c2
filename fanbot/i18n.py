"""English and French for everything fanbot says.

Messages are written in English in the code, marked with ``tr("...")`` (or
``N_("...")`` where the text is only declared), and translated from the gettext
catalog ``fanbot/locale/fr/LC_MESSAGES/fanbot.po``. Babel reads the ``.po``
directly, so there is no compile step to forget; ``pybabel extract -k tr -k N_``
refreshes the template. A test fails when a marked string has no translation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from importlib import resources

import pytz
from babel import Locale as BabelLocale
from babel.dates import format_datetime
from babel.messages.pofile import read_po

SUPPORTED = ("en", "fr")
DEFAULT = "en"
DOMAIN = "fanbot"

Translate = Callable[..., str]


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


@cache
def _catalog(locale: str) -> dict[tuple[str | None, str], str]:
    """(msgctxt, msgid) -> msgstr for ``locale``; empty for English.

    Every ``.po`` file of the locale is read (``fanbot.po``, then one per feature
    area such as ``moderation.po``), so areas can be translated side by side."""
    if locale == DEFAULT:
        return {}
    folder = resources.files("fanbot") / "locale" / locale / "LC_MESSAGES"
    table: dict[tuple[str | None, str], str] = {}
    for item in sorted(folder.iterdir(), key=lambda i: (i.name != f"{DOMAIN}.po", i.name)):
        if not item.name.endswith(".po"):
            continue
        with item.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        for m in catalog:
            if m.id and isinstance(m.id, str) and m.string and not m.fuzzy:
                table.setdefault((m.context, str(m.id)), str(m.string))
    return table


def translations(locale: str) -> dict[tuple[str | None, str], str]:
    """(context, msgid) -> translation for ``locale`` (empty for English)."""
    return _catalog(normalize_locale(locale))


def translate_in_context(locale: str, context: str, message: str) -> str | None:
    """The translation of ``message`` under ``msgctxt context`` (Discord command and
    option names use the context "discord"), else its plain translation, else None."""
    table = _catalog(normalize_locale(locale))
    return table.get((context, message)) or table.get((None, message))


def translator(locale: str) -> Translate:
    """A ``tr(message, **fields)`` for one locale; unknown messages fall back to English."""
    table = _catalog(normalize_locale(locale))

    def tr(message: str, **fields: object) -> str:
        text = table.get((None, message), message)
        return text.format(**fields) if fields else text

    return tr


def N_(message: str) -> str:
    """Marks a message for extraction without translating it here."""
    return message


def format_local(instant: datetime, zone_name: str, locale: str, *, with_zone: bool = True) -> str:
    """A date and time on the wall clocks of ``zone_name``, written the locale's way,
    with the zone's own abbreviation (EDT, CEST, UTC) rather than an offset."""
    if instant.tzinfo is None:
        raise ValueError("format_local needs an aware datetime")
    local = instant.astimezone(pytz.timezone(zone_name))
    text = format_datetime(local, "EEE d MMM y, HH:mm", locale=BabelLocale.parse(locale))
    return f"{text} {local.strftime('%Z')}" if with_zone else text


def format_day(day: object, locale: str) -> str:
    """A calendar day ("Sat 20 Oct 2012" / "sam. 20 oct. 2012")."""
    from babel.dates import format_date

    return format_date(day, "EEE d MMM y", locale=BabelLocale.parse(locale))  # type: ignore[arg-type]
