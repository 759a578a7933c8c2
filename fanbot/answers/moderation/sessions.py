"""Planning a change to one session of a guild event: add, move or remove it.

Each returns an ``EventPlan`` of the whole event, previewed and written with
``commit_event`` like any other change of an event's times.
"""

from __future__ import annotations

from dataclasses import replace

from fanbot.answers.context import Asker
from fanbot.answers.moderation.checks import check_race_after_grid, date_warnings
from fanbot.answers.moderation.errors import DuplicateSession, NothingToChange, TooManySessions
from fanbot.answers.moderation.events import in_time_order, next_session_key, planned_sessions, status_plan
from fanbot.answers.moderation.finding import find_session, own_event_with_version
from fanbot.answers.moderation.options import cleared, read_duration, read_text, read_when, read_zone
from fanbot.answers.moderation.plans import EventPlan, PlannedSession, session_name
from fanbot.domain.limits import MAX_NOTES, MAX_SESSIONS
from fanbot.domain.model import Event, SessionKind
from fanbot.i18n import Translate


async def plan_session_add(
    asker: Asker,
    *,
    event: str,
    kind: str,
    start: str,
    duration: str | None = None,
    notes: str | None = None,
    timezone: str | None = None,
) -> EventPlan:
    before, version = await own_event_with_version(asker, event)
    if len(before.sessions) >= MAX_SESSIONS:
        raise TooManySessions(event=before.display_name, count=len(before.sessions))
    session_kind = SessionKind(kind)
    zone = read_zone(timezone, before.circuit.timezone)
    when = read_when(start, zone, before.circuit.name)
    sessions = planned_sessions(before)
    new = PlannedSession(
        next_session_key(session_kind, {s.key for s in sessions}),
        session_kind,
        when.start,
        when.day,
        read_duration(duration),
        read_text(notes, "notes", MAX_NOTES),
    )
    for s in sessions:
        if s.kind is session_kind and (s.start, s.local_date if s.start is None else None) == (
            new.start,
            new.local_date if new.start is None else None,
        ):
            raise _DuplicateSession(before, s)
    ordered = in_time_order([*sessions, new])
    check_race_after_grid(ordered, before.circuit.timezone)
    plan = status_plan(before, version, "session.add", before.status, ordered)
    return replace(plan, warnings=date_warnings(ordered, asker.now, before.circuit.timezone))


class _DuplicateSession(DuplicateSession):
    def __init__(self, event: Event, session: PlannedSession) -> None:
        self.session = session
        super().__init__(event=event.display_name, session=session.key)

    def render(self, tr: Translate) -> str:
        return tr(self.message, event=self.fields["event"], session=session_name(self.session, tr))


async def plan_session_edit(
    asker: Asker,
    *,
    event: str,
    session: str,
    start: str | None = None,
    duration: str | None = None,
    notes: str | None = None,
    timezone: str | None = None,
) -> EventPlan:
    before, version = await own_event_with_version(asker, event)
    target = find_session(before, session)
    if start is None and duration is None and notes is None:
        raise NothingToChange()
    zone = read_zone(timezone, before.circuit.timezone)
    sessions = planned_sessions(before)
    i = next(n for n, s in enumerate(sessions) if s.key == target.key)
    s = sessions[i]
    if start is not None:
        when = read_when(start, zone, before.circuit.name)
        s = replace(s, start=when.start, local_date=when.day)
    if duration is not None:
        s = replace(s, duration=None if cleared(duration) else read_duration(duration))
    if notes is not None:
        s = replace(s, notes=None if cleared(notes) else read_text(notes, "notes", MAX_NOTES))
    sessions[i] = s
    ordered = in_time_order(sessions)
    check_race_after_grid(ordered, before.circuit.timezone)
    if not any(x.changed for x in ordered):
        raise NothingToChange()
    plan = status_plan(before, version, "session.edit", before.status, ordered)
    return replace(plan, warnings=date_warnings(ordered, asker.now, before.circuit.timezone))


async def plan_session_remove(asker: Asker, *, event: str, session: str) -> EventPlan:
    before, version = await own_event_with_version(asker, event)
    target = find_session(before, session)
    kept = tuple(s for s in planned_sessions(before) if s.key != target.key)
    return replace(
        status_plan(before, version, "session.remove", before.status, kept), removed_sessions=(target,)
    )
