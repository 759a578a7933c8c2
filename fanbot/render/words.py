"""Words shared by every renderer: session kinds, counts, lengths of time, ordinals,
car numbers and country names in the reader's language."""

from __future__ import annotations

import re
from datetime import datetime

from babel import Locale as BabelLocale

from fanbot.answers.people import Appearance
from fanbot.calendar_files.build import slug
from fanbot.domain.labels import SESSION_KIND
from fanbot.domain.model import Circuit, Entry, Session, SessionKind
from fanbot.i18n import DEFAULT, Translate, country_name, normalize_locale


def kind_label(kind: SessionKind, tr: Translate) -> str:
    return tr(SESSION_KIND[kind])


def session_label(session: Session, tr: Translate) -> str:
    """A session as fans tell it from the weekend's others: "Race", "Practice 2",
    "Qualifying · Hypercar" (a feed's class, kept in its notes and its key), "Morning
    Session" (a session of no kind fanbot knows, by its feed's name). Notes that are
    remarks (the catalog's "6 hours") never reach the label: only notes its key spells."""
    kind = kind_label(session.kind, tr)
    _, _, rest = session.key.partition("-")
    if not rest:
        return kind
    if rest.isdigit():
        return f"{kind} {rest}"
    named = slug(session.notes) if session.notes else ""
    if named and (rest == named or rest.startswith(f"{named}-")):
        number = rest[len(named) :].strip("-")
        if session.kind is SessionKind.OTHER:
            return f"{session.notes} {number}".strip()
        return f"{kind} {number}".strip() + f" · {session.notes}"
    number = rest.rpartition("-")[2]
    return f"{kind} {number}" if number.isdigit() else kind


def labelled(label: str, value: str, tr: Translate) -> str:
    """ "Race: Sat 20 Oct" / "Course : sam. 20 oct.": a label and its value, with the
    language's own spacing before the colon (French puts a no-break space there)."""
    return f"{label}{tr.colon}{value}"


def car_number(entry: Entry, tr: Translate) -> str:
    """ "#6", "#055", or "no number" in the reader's language when none is known."""
    return entry.number_label if entry.number is not None else tr("no number")


def duration_words(minutes: int, tr: Translate, *, short: bool = False) -> str:
    """A length of time as fans say it: 360 -> "6 hours" / "6 heures", 1440 -> "24 hours",
    100 -> "100 minutes", 1 -> "1 minute", 150 -> "2 h 30 min". ``short``, as a schedule
    writes a session's length: 360 -> "6 h", 90 -> "1 h 30 min", 45 -> "45 min"."""
    hours, rest = divmod(minutes, 60)
    if short:
        if hours and rest:
            return tr("{hours} h {minutes} min", hours=hours, minutes=rest)
        return f"{hours} h" if hours else tr("{minutes} min", minutes=rest)
    if minutes and rest == 0:
        return tr.ngettext("{n} hour", "{n} hours", hours)
    if minutes < 120:
        return tr.ngettext("{n} minute", "{n} minutes", minutes)
    return tr("{hours} h {minutes} min", hours=hours, minutes=rest)


# A published race length that starts with a plain duration: "24 hours", "2 hours 40
# minutes (GT classes only)", "100 minutes (GTP, GTD Pro)".
_LEADING_DURATION = re.compile(
    r"^\s*(?:(?P<hours>\d+)\s*hours?(?:\s+(?P<and_minutes>\d+)\s*minutes?)?|(?P<minutes>\d+)\s*minutes?)\b",
    re.IGNORECASE,
)


def length_words(length: str, tr: Translate) -> str:
    """An event's published length with its leading duration in the reader's language
    ("24 hours" -> "24 heures"); what follows it (a distance, the classes) stays as
    published, and so does a length that does not start with a duration. The catalog
    is written in English, so English readers get it word for word."""
    match = _LEADING_DURATION.match(length)
    if match is None or tr.locale == DEFAULT:
        return length
    minutes = int(match["hours"] or 0) * 60 + int(match["and_minutes"] or match["minutes"] or 0)
    return duration_words(minutes, tr) + length[match.end() :]


# Ordinal suffixes by the language's ordinal category (CLDR, through Babel): English
# 1st 2nd 3rd 4th 11th 21st; French 1er (1re for a feminine noun), then 2e, 94e.
_ORDINAL_SUFFIX = {
    "en": {"one": "st", "two": "nd", "few": "rd", "other": "th"},
    "fr": {"one": "er", "other": "e"},
}
_FEMININE_ORDINAL_SUFFIX = {"fr": {"one": "re"}}


def ordinal(n: int, locale: str, *, feminine: bool = False) -> str:
    """94 -> "94th" / "94e"; 1 -> "1st" / "1er" ("1re" for a feminine noun in French)."""
    language = normalize_locale(locale)
    form = BabelLocale.parse(language).ordinal_form(n)
    suffixes = _ORDINAL_SUFFIX[language]
    if feminine:
        suffixes = {**suffixes, **_FEMININE_ORDINAL_SUFFIX.get(language, {})}
    return f"{n}{suffixes.get(form, suffixes['other'])}"


def edition_words(n: int, tr: Translate) -> str:
    """ "94th edition" / "94e édition" (édition is feminine: "1re édition")."""
    return tr("{ordinal} edition", ordinal=ordinal(n, tr.locale, feminine=True))


def place(circuit: Circuit, tr: Translate) -> str:
    """ "Braselton, Georgia, États-Unis": where a circuit is, its country translated
    (the location is a place name and stays as published)."""
    country = country_name(circuit.country, tr.locale) if circuit.country else None
    return ", ".join(p for p in (circuit.location, country) if p)


def countdown(now: datetime, then: datetime, tr: Translate) -> str:
    """ "in 18 days 21 h" / "2 h 5 min ago", for the console (Discord has <t:..:R>)."""
    seconds = int((then - now).total_seconds())
    past = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        # "in 0 min" reads as "now or never": say how close it is instead.
        return tr("less than a minute ago") if past else tr("in less than a minute")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        span = tr.ngettext("{n} day {hours} h", "{n} days {hours} h", days, hours=hours)
    elif hours:
        span = tr("{hours} h {minutes} min", hours=hours, minutes=minutes)
    else:
        span = tr("{minutes} min", minutes=minutes)
    return tr("{span} ago", span=span) if past else tr("in {span}", span=span)


def appearance_line(a: Appearance, tr: Translate, *, bold: bool = False) -> str:
    """One entry of a driver's record: event, car number, team and car, co-drivers."""
    team = ", ".join(p for p in (a.entry.team, a.entry.car) if p)
    with_whom = ", ".join(a.co_drivers) if a.co_drivers else "—"
    event = f"**{a.event.display_name}**" if bold else a.event.display_name
    car = f"{car_number(a.entry, tr)} {team}".rstrip()
    return labelled(f"{event} ({a.event.series.code})", car, tr) + " — " + tr("with {names}", names=with_whom)
