"""Local circuit time to UTC and back, with daylight-saving rules made explicit.

Times are typed in the circuit's local time. pytz's ``localize(..., is_dst=None)``
refuses a wall-clock time that does not exist (the spring-forward gap) or that
happens twice (the fall-back hour) instead of silently shifting it by an hour;
we turn those refusals into errors that say what happened and what to do.
"""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, time, timedelta

import pytz
from dateutil import parser as date_parser

from fanbot.i18n import N_


class LocalTimeError(ValueError):
    """A local time that cannot be turned into one instant. ``str()`` is for people (in
    English); ``message`` (a msgid) and ``fields`` let a reader's language say the same."""

    message = ""

    def __init__(self, **fields: str) -> None:
        super().__init__(self.message.format(**fields))
        self.fields = fields


class UnknownTimeZone(LocalTimeError):
    message = N_("'{name}' is not an IANA time zone (for example Europe/Paris).")

    def __init__(self, name: str) -> None:
        super().__init__(name=name)
        self.name = name


class NonExistentLocalTime(LocalTimeError):
    """The wall-clock time falls in a spring-forward gap."""

    message = N_(
        "{local} does not exist in {zone}: the clocks jump forward that night. Check the "
        "time with the organiser's schedule."
    )

    def __init__(self, local: datetime, zone: str) -> None:
        super().__init__(local=f"{local:%Y-%m-%d %H:%M}", zone=zone)
        self.local = local
        self.zone = zone


class AmbiguousLocalTime(LocalTimeError):
    """The wall-clock time happens twice (fall-back); ``options`` holds both instants."""

    message = N_(
        "{local} happens twice in {zone} (the clocks go back that night): either {first} UTC "
        "or {second} UTC. Give the time in UTC, or add the offset (for example -04:00)."
    )

    def __init__(self, local: datetime, zone: str, options: tuple[datetime, datetime]) -> None:
        first, second = options
        super().__init__(
            local=f"{local:%Y-%m-%d %H:%M}", zone=zone, first=f"{first:%H:%M}", second=f"{second:%H:%M}"
        )
        self.local = local
        self.zone = zone
        self.options = options


class YearOutOfRange(LocalTimeError):
    message = N_("'{text}' is outside the years 1900-2200.")

    def __init__(self, text: str) -> None:
        super().__init__(text=text)


class NoTimeZone(LocalTimeError):
    message = N_("'{text}' has no time zone: add Z for UTC or an offset such as +02:00.")

    def __init__(self, text: str) -> None:
        super().__init__(text=text)


class UnparseableTime(LocalTimeError):
    message = N_(
        "Could not read '{text}' as a date and time. Write it like 2027-01-23 13:40 or 23/01/2027 1:40pm."
    )

    def __init__(self, text: str) -> None:
        super().__init__(text=text)
        self.text = text


def zone(name: str) -> pytz.BaseTzInfo:
    """The pytz zone called ``name``, or ``UnknownTimeZone``."""
    try:
        return pytz.timezone(name)
    except (pytz.UnknownTimeZoneError, AttributeError, ValueError) as exc:
        raise UnknownTimeZone(name) from exc


def is_known_zone(name: str) -> bool:
    try:
        zone(name)
    except UnknownTimeZone:
        return False
    return True


def local_to_utc(day: date, clock_time: time, zone_name: str) -> datetime:
    """The UTC instant of ``day clock_time`` on the wall clocks of ``zone_name``.

    Raises ``NonExistentLocalTime`` or ``AmbiguousLocalTime`` instead of guessing.
    """
    tz = zone(zone_name)
    # A naive wall-clock value is exactly what localize() takes; it never leaves here.
    wall = datetime.combine(day, clock_time)
    try:
        aware = tz.localize(wall, is_dst=None)
    except pytz.NonExistentTimeError as exc:
        raise NonExistentLocalTime(wall, zone_name) from exc
    except pytz.AmbiguousTimeError as exc:
        options = (
            tz.localize(wall, is_dst=True).astimezone(UTC),
            tz.localize(wall, is_dst=False).astimezone(UTC),
        )
        raise AmbiguousLocalTime(wall, zone_name, options) from exc
    return aware.astimezone(UTC)


def end_of_local_day(day: date, zone_name: str) -> datetime:
    """The UTC instant at which ``day`` ends at the circuit (next local midnight).

    A session whose date is known but not its time is "still to come" until then.
    Midnight can itself fall in a DST gap in a few zones; we then take the first
    instant of the next day that exists.
    """
    tz = zone(zone_name)
    next_day = day + timedelta(days=1)
    wall = datetime.combine(next_day, time(0, 0))
    for _ in range(4):
        try:
            return tz.localize(wall, is_dst=None).astimezone(UTC)
        except pytz.NonExistentTimeError:
            wall += timedelta(hours=1)
        except pytz.AmbiguousTimeError:
            return tz.localize(wall, is_dst=True).astimezone(UTC)
    return tz.localize(wall, is_dst=False).astimezone(UTC)


def utc_to_local(instant: datetime, zone_name: str) -> datetime:
    """``instant`` on the wall clocks of ``zone_name`` (aware)."""
    if instant.tzinfo is None:
        raise ValueError("utc_to_local needs an aware datetime")
    return instant.astimezone(zone(zone_name))


def parse_local(text: str, zone_name: str) -> datetime:
    """What a person typed as a local time at the circuit, as a UTC instant.

    Accepts ISO ("2027-01-23 13:40", "2027-01-23T13:40") and day-first forms
    ("23/01/2027 1:40pm"). A text that carries its own offset or "Z" is taken as
    that instant and the zone is not consulted. Refused rather than guessed: a
    text without a full date (dateutil would fill in today's), a zone
    abbreviation dateutil does not know (it would drop it), a year outside
    1900-2200, and an offset no clock has.
    """
    cleaned = text.strip()
    if not cleaned:
        raise UnparseableTime(text)
    dayfirst = not _looks_iso(cleaned)
    try:
        with warnings.catch_warnings():
            # dateutil only warns about "EST" or "PMZ" and then ignores them.
            warnings.simplefilter("error", date_parser.UnknownTimezoneWarning)
            # Two different defaults: any part missing from the text shows up as a difference.
            first = date_parser.parse(cleaned, dayfirst=dayfirst, default=_DEFAULT_A)
            second = date_parser.parse(cleaned, dayfirst=dayfirst, default=_DEFAULT_B)
    except (ValueError, OverflowError, TypeError, date_parser.UnknownTimezoneWarning) as exc:
        raise UnparseableTime(text) from exc
    if first.date() != second.date():
        raise UnparseableTime(text)
    if not 1900 <= first.year <= 2200:
        raise YearOutOfRange(text)
    if first.tzinfo is not None:
        try:
            offset = first.utcoffset()
            if offset is None or abs(offset) >= timedelta(hours=24):
                raise UnparseableTime(text)
            return first.astimezone(UTC)
        except (ValueError, OverflowError) as exc:
            raise UnparseableTime(text) from exc
    return local_to_utc(first.date(), first.time().replace(tzinfo=None), zone_name)


# Naive on purpose: dateutil fills the missing parts of a wall-clock text from these.
_DEFAULT_A = datetime(2000, 1, 1)  # noqa: DTZ001
_DEFAULT_B = datetime(2001, 2, 2)  # noqa: DTZ001


def _looks_iso(text: str) -> bool:
    return len(text) >= 10 and text[4] == "-" and text[:4].isdigit()


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant with an offset or Z (as ``--at`` takes it), in UTC."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise UnparseableTime(text) from exc
    if parsed.tzinfo is None:
        raise NoTimeZone(text)
    if not 1900 <= parsed.year <= 2200:
        raise YearOutOfRange(text)
    return parsed.astimezone(UTC)


def to_iso_utc(instant: datetime) -> str:
    """The form instants are stored and printed in: 2012-10-20T15:30:00Z."""
    if instant.tzinfo is None:
        raise ValueError("to_iso_utc needs an aware datetime")
    # Zero-padded on purpose: stored instants are compared as text.
    utc = instant.astimezone(UTC)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}Z"


def from_iso_utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
