"""The SUMMARY text rules of community feeds: an event's name and a session's kind.

A fan's feed puts both the event and the session in one ``SUMMARY`` line
("WEC R1: 6 Hours of Imola - Qualifying - Hypercar"). This module holds only
how that text is split and read (round tags, separators, session words in
English and French), apart from the rest of a feed's reading so the rules can
be read, and tested, on their own. ``feed_ics`` tells the whole story.
"""

from __future__ import annotations

import re
import unicodedata

from fanbot.domain.limits import MAX_NOTES
from fanbot.domain.model import SessionKind

# ---------------------------------------------------------------------------- SUMMARY

# "WEC R1:", "R3 -", "Round 3:", "ELMS Rd 2 |": a series and round tag before the event.
_ROUND_TAG = re.compile(
    r"^\s*(?:[^\W\d_][\w&+.]*\s*)?(?:r|rd\.?|round|manche)\s*\d{1,3}\s*[:\-–—|]\s*", re.IGNORECASE
)
# Parts of a SUMMARY: " - ", " – ", " | " (a hyphen inside a name, Spa-Francorchamps, is not one).
_SEPARATOR = re.compile(r"\s+[-–—|]\s+|\s*[–—|]\s*")
_ENDS = " \t-–—|:,;/"
_TRAILING_YEAR = re.compile(r"[\s,\-–—]+(?:19|20|21)\d\d$")

# Session words, matched on text lowercased without accents (same length as written).
_KIND = re.compile(
    r"(?<![a-z0-9])(?:"
    r"(?P<practice>free\s+practice|practice|fp(?=\s*\d)|essais?\s+libres?|el(?=\s*\d)"
    r"|entrainements?\s+libres?|essais)"
    r"|(?P<qualifying>qualifying|qualifications?|qualifs?|quali)"
    r"|(?P<hyperpole>hyper\s*-?\s*pole)"
    r"|(?P<warmup>warm\s*-?\s*up|echauffement)"
    r"|(?P<race>the\s+race|race|la\s+course|course)"
    r")(?![a-z])"
)
_NUMBER = re.compile(r"^\s*(?:n°|no\.?|#)?\s*(\d{1,2})(?!\d)")


def _plain(text: str) -> str:
    """Lowercase without accents, one character for one, so positions still match ``text``."""
    out = []
    for ch in text:
        base = ch if ch.isascii() else unicodedata.normalize("NFKD", ch)[:1]
        low = base.lower()
        out.append(low if len(low) == 1 else ch)
    return "".join(out)


def split_summary(summary: str, series: str = "") -> tuple[str, str]:
    """(event name, session name) of a feed's SUMMARY.

    "WEC R1: 6 Hours of Imola - Qualifying - Hypercar" -> ("6 Hours of Imola", "Qualifying - Hypercar");
    "6 Heures d'Imola 2025 -" -> ("6 Heures d'Imola", "").
    """
    text = _ROUND_TAG.sub("", summary, count=1)
    if series:
        text = re.sub(rf"^\s*{re.escape(series)}\s*[:\-–—|]\s*", "", text, count=1, flags=re.IGNORECASE)
    text = text.strip(_ENDS)
    parts = [p.strip(_ENDS) for p in _SEPARATOR.split(text)]
    parts = [p for p in parts if p]
    if not parts:
        return "", ""
    event, session = parts[0], " - ".join(parts[1:])
    for i in range(1, len(parts)):
        if _KIND.match(_plain(parts[i])):
            event, session = " - ".join(parts[:i]), " - ".join(parts[i:])
            break
    else:
        # "... Spa-Francorchamps 2025 Free Practice 1": the session written after the name.
        inside = next((m for m in _KIND.finditer(_plain(parts[0])) if m.start() > 0), None)
        if inside is not None:
            head, tail = parts[0][: inside.start()], parts[0][inside.start() :]
            event, session = head.strip(_ENDS), " - ".join([tail, *parts[1:]])
    return _TRAILING_YEAR.sub("", event).strip(_ENDS), session.strip(_ENDS)


def session_kind(name: str) -> tuple[SessionKind, int | None, str | None]:
    """(kind, number, label) of a session's name, English or French.

    "Free Practice 2" -> (practice, 2, None); "Hyperpole 1 - Hypercar" -> (hyperpole, 1, "Hypercar");
    "Morning Session" -> (other, None, "Morning Session"); "" -> (other, None, None).
    """
    name = " ".join(name.split())
    found = _KIND.search(_plain(name))
    if found is None or found.lastgroup is None:
        return SessionKind.OTHER, None, _label(name)
    kind = SessionKind(found.lastgroup)
    rest = name[found.end() :]
    number: int | None = None
    if match := _NUMBER.match(rest):
        number = int(match[1])
        rest = rest[match.end() :]
    return kind, number, _label(f"{name[: found.start()]} {rest}")


def _label(text: str) -> str | None:
    words = [w for w in (part.strip(_ENDS + "()") for part in _SEPARATOR.split(text)) if w]
    label = " - ".join(" ".join(w.split()) for w in words)
    return label[:MAX_NOTES] or None
