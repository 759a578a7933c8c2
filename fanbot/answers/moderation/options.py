"""Reading what a moderator typed in an option: text, web addresses, time zones, durations,
times on the circuit's clocks, car numbers and drivers.

Each reader returns the value, or raises the ``AnswerError`` that says how to write it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

import pytz

from fanbot.answers.moderation.errors import (
    BadCarNumber,
    BadDrivers,
    BadDuration,
    BadTime,
    BadUrl,
    BadZone,
    Missing,
    NoSuchLocalTime,
    TooLong,
    TwiceLocalTime,
)
from fanbot.domain.folding import fold
from fanbot.domain.limits import MAX_DRIVER, MAX_DRIVERS, MAX_DURATION, MAX_NUMBER, MAX_URL
from fanbot.domain.localtime import (
    AmbiguousLocalTime,
    LocalTimeError,
    NonExistentLocalTime,
    is_known_zone,
    parse_local,
    utc_to_local,
)

# Typed in an optional text option to empty it.
CLEAR_WORDS = {"-", "none", "aucun", "aucune"}


def cleared(text: str | None) -> bool:
    """Whether ``text`` asks to empty an optional field ("-", "none")."""
    return text is not None and text.strip().lower() in CLEAR_WORDS


def read_text(text: str | None, option: str, limit: int, *, required: bool = False) -> str | None:
    """A free-text option, trimmed; over-long text is refused (it would not fit an answer)."""
    if text is None:
        return None
    value = " ".join(text.split())
    if not value:
        if required:
            raise Missing(option=option)
        return None
    if len(value) > limit:
        raise TooLong(option=option, length=len(value), limit=limit)
    return value


def read_url(text: str | None) -> str | None:
    if text is None or cleared(text):
        return None
    value = text.strip()
    if len(value) > MAX_URL or not re.match(r"^https?://[^\s/$.?#][^\s]*$", value, re.IGNORECASE):
        raise BadUrl(value=value[:100], limit=MAX_URL)
    return value


def read_zone(text: str | None, default: str) -> str:
    """The zone typed times are read in: the option's, else the circuit's."""
    if text is None or not text.strip():
        return default
    zone = text.strip()
    if len(zone) > 64 or not is_known_zone(zone):
        raise BadZone(zone[:64])
    return str(pytz.timezone(zone).zone)


def read_duration(text: str | None) -> int | None:
    """Minutes from "360", "6h", "1h30", "90m", "6 hours"."""
    if text is None or not text.strip():
        return None
    cleaned = text.strip().lower()
    match = re.fullmatch(
        r"(?:(\d{1,3})\s*(?:h|hr|hrs|hours?|heures?))?\s*(?:(\d{1,4})\s*(?:m|min|mins|minutes?)?)?", cleaned
    )
    if not match or not (match[1] or match[2]):
        raise BadDuration(text=text.strip()[:40])
    minutes = int(match[1] or 0) * 60 + int(match[2] or 0)
    if not 1 <= minutes <= MAX_DURATION:
        raise BadDuration(text=text.strip()[:40])
    return minutes


# Something that says a time of day was typed ("13:40", "13h40", "16h", "1:40pm", "...T13").
_CLOCK = re.compile(r"\d\s*[:h]\s*\d{2}|\d\s*h\b|\d\s*[ap]\.?\s*m\b|\dT\d", re.IGNORECASE)
_TBA = re.compile(r"[\s,]+(tba|tbc|tbd)\.?$", re.IGNORECASE)


@dataclass(frozen=True)
class When:
    """A typed time: an instant, or only the day at the circuit (time TBA)."""

    start: datetime | None
    day: date | None


def read_when(text: str, zone: str, circuit_name: str) -> When:
    """What a moderator typed for a session, read on the circuit's clocks.

    "2027-06-12 16:00", "12/06/2027 4pm", an explicit offset ("2027-10-31 02:30
    +01:00") or only a date ("2027-06-12", "2027-06-12 TBA"): the time is then
    not announced. A local time the clocks skip or repeat is refused with what
    to type instead, never shifted.
    """
    cleaned = _TBA.sub("", text.strip())
    if not cleaned or len(cleaned) > 60:
        raise BadTime(text=text.strip()[:60])
    try:
        if not _CLOCK.search(cleaned):
            # Only a date: read it (at midnight UTC, so no zone rule can interfere).
            day_only = parse_local(cleaned, "UTC")
            if day_only.time() == time(0, 0):
                return When(None, day_only.date())
        start = parse_local(cleaned, zone)
    except AmbiguousLocalTime as exc:
        raise TwiceLocalTime(exc, circuit_name) from exc
    except NonExistentLocalTime as exc:
        raise NoSuchLocalTime(local=f"{exc.local:%Y-%m-%d %H:%M}", circuit=circuit_name, zone=zone) from exc
    except LocalTimeError as exc:
        raise BadTime(text=text.strip()[:60]) from exc
    return When(start, utc_to_local(start, zone).date())


def read_car_number(text: str) -> str:
    number = text.strip().removeprefix("#").strip()
    if not re.fullmatch(rf"[0-9A-Za-z]{{1,{MAX_NUMBER}}}", number):
        raise BadCarNumber(number=text.strip()[:20], limit=MAX_NUMBER)
    return number


def read_drivers(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    if cleared(text):
        return ()
    names = [" ".join(part.split()) for part in re.split(r"[,;]", text)]
    names = [n for n in names if n]
    if (
        not names
        or len(names) > MAX_DRIVERS
        or any(len(n) > MAX_DRIVER for n in names)
        or len({fold(n) for n in names}) != len(names)
    ):
        raise BadDrivers(count=MAX_DRIVERS, limit=MAX_DRIVER)
    return tuple(names)
