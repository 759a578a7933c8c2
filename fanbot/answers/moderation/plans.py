"""The view models moderation answers return: plans to preview, what changed, what was done.

A plan (``EventPlan``, ``EntryRemoval``, ``ResultRemoval``, ``ImportPlan``) is
what a change would write, shown before the moderator confirms it. A ``Change``
carries both sides of one field as data (text, a session's time, entries,
results): renderers write them in the reader's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeAlias

from fanbot.domain.catalog import Catalog, SessionRecord, session_timing
from fanbot.domain.labels import SESSION_KIND
from fanbot.domain.localtime import to_iso_utc, utc_to_local
from fanbot.domain.model import Circuit, Entry, Event, EventStatus, Result, Series, Session, SessionKind
from fanbot.i18n import N_, Translate
from fanbot.store import AuditEntry, EventWrite

# The label of a status change: renderers write its values in a sentence ("postponed").
STATUS_LABEL = N_("Status")


def session_name(session: PlannedSession | Session, tr: Translate) -> str:
    """ "Race", "Practice 2" (from the key practice-2)."""
    repeat = re.search(r"-(\d+)$", session.key)
    return tr(SESSION_KIND[session.kind]) + (f" {repeat[1]}" if repeat else "")


@dataclass(frozen=True)
class SessionWhen:
    """When a session is, as a preview or the history shows it: an instant, or only its day,
    at the circuit."""

    start: datetime | None  # UTC
    local_date: date | None  # the circuit's local day when only the day is known
    zone: str  # the circuit's IANA zone


def session_when(session: PlannedSession | Session, zone: str) -> SessionWhen:
    """When ``session`` is at a circuit in ``zone``: its instant, else its day, else neither."""
    day = session.local_date if session.start is None else None
    return SessionWhen(session.start, day, zone)


def when_in_message(when: SessionWhen, tr: Translate) -> str:
    """A time as a warning or an error quotes it, on the circuit's clocks: "2027-05-08 13:00
    CEST", "2027-05-08, time TBA" or "date TBA" (previews and the history show times their
    own, richer way)."""
    if when.start is not None:
        return f"{utc_to_local(when.start, when.zone):%Y-%m-%d %H:%M %Z}"
    if when.local_date is not None:
        return f"{when.local_date:%Y-%m-%d}, " + tr("time TBA")
    return tr("date TBA")


# What one side of a change shows: plain text (names, URLs, a status value such as "postponed"),
# a session's time, entries or results; None for "nothing" (rendered as "—").
ChangeValue: TypeAlias = str | SessionWhen | tuple[Entry, ...] | tuple[Result, ...] | None


@dataclass(frozen=True)
class Change:
    """One field a plan or an audit row changes: its label (a msgid, or a session key) and both sides."""

    label: str
    before: ChangeValue
    after: ChangeValue
    session: bool = False  # the label is a session key ("practice-2"), not a msgid


@dataclass(frozen=True)
class Notice:
    """A warning shown in a preview; a session in ``fields`` is shown by its translated name,
    a ``SessionWhen`` as the circuit's local time."""

    message: str
    fields: dict[str, Any] = field(default_factory=dict)
    # A likely mistake to look at (the button then says "Confirm anyway"), not just information.
    check: bool = True
    # What the confirm button says instead when this notice is shown (a msgid).
    confirm_label: str | None = None

    def render(self, tr: Translate) -> str:
        values = {k: _in_message(v, tr) for k, v in self.fields.items()}
        return tr(self.message, **values)


def _in_message(value: object, tr: Translate) -> object:
    if isinstance(value, PlannedSession):
        return session_name(value, tr)
    if isinstance(value, SessionWhen):
        return when_in_message(value, tr)
    return value


@dataclass(frozen=True)
class PlannedSession:
    key: str
    kind: SessionKind
    start: datetime | None
    local_date: date | None
    duration: int | None
    notes: str | None = None
    was: Session | None = None  # the session as it is now (None: a new one)

    @property
    def changed(self) -> bool:
        w = self.was
        return w is None or (w.start, w.local_date, w.duration_minutes, w.notes) != (
            self.start,
            self.local_date,
            self.duration,
            self.notes,
        )

    def record(self, zone: str) -> SessionRecord:
        if self.start is not None:
            start = to_iso_utc(self.start)
            local_day = utc_to_local(self.start, zone).date().isoformat()
            return SessionRecord(
                self.key, self.kind.value, start, local_day, start, self.duration, self.notes
            )
        start_at, day, sort_at = session_timing(self.local_date, None, zone)
        return SessionRecord(self.key, self.kind.value, start_at, day, sort_at, self.duration, self.notes)


@dataclass(frozen=True)
class EventPlan:
    """An event as it would be after the change, for the preview and the commit."""

    action: str  # a key of ACTIONS (``history``)
    before: Event | None  # None when adding
    version: int | None  # the version of ``before`` the preview shows; the commit insists on it
    key: str
    series: Series
    circuit: Circuit
    season: int
    name: str
    length: str | None
    status: EventStatus
    info_url: str | None
    watch_url: str | None
    sessions: tuple[PlannedSession, ...]
    removed_sessions: tuple[Session, ...] = ()
    changes: tuple[Change, ...] = ()
    warnings: tuple[Notice, ...] = ()

    @property
    def removing(self) -> bool:
        return self.action == "event.remove"

    @property
    def zone(self) -> str:
        return self.circuit.timezone

    def write(self) -> EventWrite:
        return EventWrite(
            key=self.key,
            series=self.series.code,
            circuit_id=self.circuit.id,
            season=self.season,
            name=self.name,
            length=self.length,
            status=self.status.value,
            info_url=self.info_url,
            watch_url=self.watch_url,
            sessions=tuple(s.record(self.zone) for s in self.sessions),
        )

    @property
    def moves_times(self) -> bool:
        """Whether reminders may be affected: a time, the status, or the event itself."""
        return self.before is not None and (
            self.removing
            or self.status != self.before.status
            or bool(self.removed_sessions)
            or any(s.changed for s in self.sessions)
        )


@dataclass(frozen=True)
class EntryRemoval:
    event: Event
    version: int
    entry: Entry


@dataclass(frozen=True)
class ResultRemoval:
    event: Event
    version: int
    result: Result


@dataclass(frozen=True)
class ImportPlan:
    filename: str
    catalog: Catalog
    versions: dict[str, int]
    new: tuple[str, ...]  # names of events the file adds
    changed: tuple[str, ...]  # names of the guild's events it changes
    unchanged: int
    circuits_new: int


@dataclass(frozen=True)
class ImportDone:
    plan: ImportPlan
    before: tuple[Event, ...]  # the changed events as they were
    after: tuple[Event, ...]  # the new and changed events as they are now


@dataclass(frozen=True)
class HistoryLine:
    entry: AuditEntry
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class History:
    name: str
    lines: tuple[HistoryLine, ...]


@dataclass(frozen=True)
class ExportFile:
    filename: str
    data: bytes
    events: int
