"""The catalog as data: the records a catalog file, a calendar file or a moderator's
edit becomes before the store writes them, and the ``Problem`` that explains a refusal.

Every file format (``fanbot.calendar_files``) produces a ``Catalog``; the store
imports one. The JSON format itself lives in ``fanbot.calendar_files.catalog``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time

from fanbot.domain.localtime import LocalTimeError, local_to_utc, to_iso_utc
from fanbot.domain.session_time import first_instant_of_day
from fanbot.i18n import N_, Translator


class CatalogError(ValueError):
    """A catalog file that cannot be imported; ``problems`` lists every reason."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(self._text(source, problems, None))
        self.source = source
        self.problems = problems

    def render(self, tr: Translator) -> str:
        """The refusal and its problems in the reader's language (``str()`` is English)."""
        return self._text(self.source, self.problems, tr)

    @staticmethod
    def _text(source: str, problems: list[str], tr: Translator | None) -> str:
        headline = Problem(N_("{source}: refused, nothing was imported."), source=source)
        return problem_list(headline, problems, tr)


_AND_MORE = N_("... and {n} more")
# The most problems one refusal lists.
LISTED_PROBLEMS = 50


def problem_list(headline: Problem, problems: list[str], tr: Translator | None) -> str:
    """A refusal: its headline, then each problem on a line (the first ``LISTED_PROBLEMS``),
    in the reader's language with ``tr``, else in English."""

    def say(problem: object) -> object:
        return render_problem(problem, tr) if tr is not None else problem

    shown = "\n".join(f"  - {say(p)}" for p in problems[:LISTED_PROBLEMS])
    rest = len(problems) - LISTED_PROBLEMS
    more = f"\n  {say(Problem(_AND_MORE, n=rest))}" if rest > 0 else ""
    return f"{say(headline)}\n{shown}{more}"


class Problem(str):
    """One reason a file is refused. As a ``str`` it is the English text (what logs and
    tests read); ``render(tr)`` writes it in the reader's language. ``msgid`` is an English
    message with ``{fields}``; a field may itself be a ``Problem`` (a row's "line 7", a
    reason inside a longer sentence), rendered in the same language."""

    msgid: str
    fields: dict[str, object]

    def __new__(cls, msgid: str, **fields: object) -> Problem:
        self = super().__new__(cls, msgid.format(**fields) if fields else msgid)
        self.msgid = msgid
        self.fields = fields
        return self

    def render(self, tr: Translator) -> str:
        return tr(self.msgid, **{k: render_problem(v, tr) for k, v in self.fields.items()})


def render_problem(problem: object, tr: Translator) -> object:
    """A ``Problem`` in the reader's language; any other value as it is."""
    return problem.render(tr) if isinstance(problem, Problem) else problem


def time_problem(exc: LocalTimeError) -> Problem:
    """Why a local time cannot be used, as a ``Problem``: the error's own message."""
    return Problem(exc.message, **exc.fields)


@dataclass(frozen=True)
class SeriesRecord:
    code: str
    name: str
    source: str | None


@dataclass(frozen=True)
class CircuitRecord:
    key: str
    name: str
    timezone: str
    location: str | None
    country: str | None
    length_km: float | None
    turns: int | None
    aliases: tuple[str, ...]
    source: str | None
    notes: str | None


@dataclass(frozen=True)
class SessionRecord:
    key: str
    kind: str
    start_at: str | None
    local_date: str | None
    sort_at: str | None
    duration_minutes: int | None
    notes: str | None


@dataclass(frozen=True)
class EntryRecord:
    number: str | None
    car_class: str | None
    team: str | None
    car: str | None
    drivers: tuple[str, ...]
    source: str | None
    notes: str | None


@dataclass(frozen=True)
class ResultRecord:
    car_class: str
    position: int
    number: str | None
    description: str
    source: str | None


@dataclass(frozen=True)
class EventRecord:
    key: str
    series: str
    circuit: str
    season: int
    name: str
    edition: int | None
    length: str | None
    length_minutes: int | None
    status: str
    info_url: str | None
    watch_url: str | None
    source: str | None
    notes: str | None
    sessions: tuple[SessionRecord, ...]
    entries: tuple[EntryRecord, ...]
    results: tuple[ResultRecord, ...]
    # Other names of the race ("24 Heures du Mans", "Rolex 24"); '|' separates them when stored.
    aliases: tuple[str, ...] = ()


@dataclass
class Catalog:
    series: list[SeriesRecord] = field(default_factory=list)
    circuits: list[CircuitRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    # When a published catalog file was made (its top-level "published", UTC): a copy
    # older than the one loaded is not imported over it (``fanbot sync``).
    published: datetime | None = None


def session_timing(
    day: date | None, clock: time | None, zone: str
) -> tuple[str | None, str | None, str | None]:
    """(start_at, local_date, sort_at) for a session, as stored.

    A session with a known date but no time sorts at the start of its local day. When it
    ends is derived from these and its length where sessions are written
    (``store.rows.put_sessions``, by ``domain.session_time``).
    """
    if day is None:
        return None, None, None
    day_text = day.isoformat()
    if clock is None:
        return None, day_text, to_iso_utc(first_instant_of_day(day, zone))
    start = to_iso_utc(local_to_utc(day, clock, zone))
    return start, day_text, start
