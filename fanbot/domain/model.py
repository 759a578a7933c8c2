"""The things fans ask about, as plain immutable values (no Discord, no SQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class EventStatus(StrEnum):
    SCHEDULED = "scheduled"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"


class SessionKind(StrEnum):
    PRACTICE = "practice"
    QUALIFYING = "qualifying"
    HYPERPOLE = "hyperpole"
    WARMUP = "warmup"
    RACE = "race"
    OTHER = "other"


# Sessions that decide the grid: the race may not come before them.
GRID_KINDS = (SessionKind.QUALIFYING, SessionKind.HYPERPOLE)


@dataclass(frozen=True)
class Series:
    code: str
    name: str


@dataclass(frozen=True)
class Circuit:
    id: int
    key: str
    name: str
    timezone: str
    location: str | None = None
    country: str | None = None
    length_km: float | None = None
    turns: int | None = None
    aliases: tuple[str, ...] = ()
    source: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class Session:
    """One session of a race weekend.

    ``start`` is the UTC instant when known. ``local_date`` is the day at the
    circuit, known even when the time is not ("time TBA"); both may be None.
    """

    id: int
    kind: SessionKind
    start: datetime | None
    local_date: date | None
    duration_minutes: int | None = None
    notes: str | None = None
    # Stable within its event ("race", "qualifying-2"): calendar UIDs derive from it.
    key: str = ""

    @property
    def time_known(self) -> bool:
        return self.start is not None


@dataclass(frozen=True)
class Entry:
    id: int
    number: str | None  # text on purpose: "055" and "0" are real car numbers
    car_class: str | None
    team: str | None
    car: str | None
    drivers: tuple[str, ...]
    source: str | None = None
    notes: str | None = None

    @property
    def number_label(self) -> str:
        """ "#6", "#055", or "no number" when the car number is not known (in English:
        renderers write it in the reader's language with ``render.words.car_number``)."""
        return f"#{self.number}" if self.number is not None else "no number"


@dataclass(frozen=True)
class Result:
    car_class: str
    position: int
    number: str | None
    description: str
    source: str | None = None


@dataclass(frozen=True)
class Event:
    id: int
    key: str
    guild_id: int | None  # None: the shared catalog
    series: Series
    circuit: Circuit
    season: int
    name: str
    edition: int | None = None
    length: str | None = None
    # The race's maximum length in minutes, as the series publishes it ("1,000 miles or
    # 10 hours" is 600); None when no source gives it (``domain.session_time``).
    length_minutes: int | None = None
    status: EventStatus = EventStatus.SCHEDULED
    info_url: str | None = None
    watch_url: str | None = None
    source: str | None = None
    notes: str | None = None
    sessions: tuple[Session, ...] = field(default=())
    # Other names fans know the race by, in any language ("24 Heures du Mans", "Rolex 24"):
    # the name lookup answers to them, with or without the season.
    aliases: tuple[str, ...] = ()
    # A guild's event that stands in for a catalog race (a subscribed feed's weekend):
    # the catalog event's id, hidden from that guild.
    replaces_event_id: int | None = None

    @property
    def race(self) -> Session | None:
        """The race session (the last one, if a weekend lists several)."""
        races = [s for s in self.sessions if s.kind is SessionKind.RACE]
        return races[-1] if races else None

    @property
    def display_name(self) -> str:
        return self.name if str(self.season) in self.name else f"{self.name} {self.season}"
