"""Planning a change to one of the guild's events, and writing it once confirmed.

``plan_event_add``, ``plan_event_edit``, ``plan_postpone``, ``plan_cancel`` and
``plan_remove`` turn what was typed into an ``EventPlan`` (the event as it would
be, with the warnings worth a second look) without writing anything: the adapter
shows it as a preview. ``commit_event`` writes the plan once the moderator
confirmed it, re-checking in the same transaction that the event is still the
one previewed. The helpers that lay out a plan's sessions serve ``sessions`` too.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from fanbot.answers.context import Asker
from fanbot.answers.errors import NotFound
from fanbot.answers.moderation.checks import check_not_duplicate, check_race_after_grid, date_warnings
from fanbot.answers.moderation.errors import (
    WHAT_SESSION,
    DuplicateEvent,
    NoSuchLocalTime,
    NothingToChange,
    TwiceLocalTime,
)
from fanbot.answers.moderation.finding import (
    guild_of,
    meanwhile_error,
    own_event_with_version,
    resolve_circuit,
    resolve_series,
)
from fanbot.answers.moderation.options import (
    When,
    cleared,
    read_duration,
    read_text,
    read_url,
    read_when,
    read_zone,
)
from fanbot.answers.moderation.plans import STATUS_LABEL, Change, EventPlan, Notice, PlannedSession
from fanbot.calendar_files import derived_event_key
from fanbot.domain.limits import MAX_EVENT_NAME, MAX_LENGTH_TEXT
from fanbot.domain.localtime import (
    AmbiguousLocalTime,
    NonExistentLocalTime,
    local_to_utc,
    to_iso_utc,
    utc_to_local,
)
from fanbot.domain.model import Circuit, Event, EventStatus, SessionKind
from fanbot.i18n import N_
from fanbot.store import DuplicateKey, NotOwned, StaleVersion

# ---------------------------------------------------------------------------- a plan's sessions


def next_session_key(kind: SessionKind, taken: set[str]) -> str:
    """ "race", else "race-2", "race-3"...: the first key of ``kind`` not taken."""
    if kind.value not in taken:
        return kind.value
    n = 2
    while f"{kind.value}-{n}" in taken:
        n += 1
    return f"{kind.value}-{n}"


def _set_session(
    sessions: list[PlannedSession], kind: SessionKind, when: When, duration: int | None = None
) -> None:
    """Move the first session of ``kind`` (the last race), or add one if there is none."""
    same = [i for i, s in enumerate(sessions) if s.kind is kind]
    if same:
        i = same[-1] if kind is SessionKind.RACE else same[0]
        sessions[i] = replace(
            sessions[i],
            start=when.start,
            local_date=when.day,
            duration=duration if duration is not None else sessions[i].duration,
        )
    else:
        key = next_session_key(kind, {s.key for s in sessions})
        sessions.append(PlannedSession(key, kind, when.start, when.day, duration))


def in_time_order(sessions: list[PlannedSession]) -> tuple[PlannedSession, ...]:
    """Sessions by their time or day; those with neither last, by key."""

    def moment(s: PlannedSession) -> tuple[int, str]:
        if s.start is not None:
            return (0, to_iso_utc(s.start))
        if s.local_date is not None:
            return (0, s.local_date.isoformat())
        return (1, s.key)

    return tuple(sorted(sessions, key=moment))


def planned_sessions(event: Event) -> list[PlannedSession]:
    """The event's sessions as they are, to change."""
    return [
        PlannedSession(s.key, s.kind, s.start, s.local_date, s.duration_minutes, s.notes, was=s)
        for s in event.sessions
    ]


def status_plan(
    before: Event,
    version: int,
    action: str,
    status: EventStatus,
    sessions: tuple[PlannedSession, ...] | None = None,
) -> EventPlan:
    """``before`` with another status and/or other sessions, every other field kept."""
    plan = EventPlan(
        action=action,
        before=before,
        version=version,
        key=before.key,
        series=before.series,
        circuit=before.circuit,
        season=before.season,
        name=before.name,
        length=before.length,
        status=status,
        info_url=before.info_url,
        watch_url=before.watch_url,
        sessions=sessions if sessions is not None else tuple(planned_sessions(before)),
    )
    return replace(plan, changes=_field_changes(before, plan))


def _field_changes(before: Event, plan: EventPlan) -> tuple[Change, ...]:
    """The event's own fields the plan changes; an empty one is None (shown "—")."""
    pairs: list[tuple[str, str | None, str | None]] = [
        (N_("Name"), before.name, plan.name),
        (N_("Series"), before.series.code, plan.series.code),
        (N_("Circuit"), before.circuit.name, plan.circuit.name),
        (N_("Season"), str(before.season), str(plan.season)),
        (N_("Length"), before.length or None, plan.length or None),
        (STATUS_LABEL, before.status.value, plan.status.value),
        (N_("Info"), before.info_url or None, plan.info_url or None),
        (N_("Watch"), before.watch_url or None, plan.watch_url or None),
    ]
    return tuple(Change(label, old, new) for label, old, new in pairs if old != new)


# ---------------------------------------------------------------------------- planning


async def plan_event_add(
    asker: Asker,
    *,
    name: str,
    series: str,
    circuit: str,
    race: str,
    qualifying: str | None = None,
    practice: str | None = None,
    duration: str | None = None,
    season: int | None = None,
    info_url: str | None = None,
    watch_url: str | None = None,
    timezone: str | None = None,
) -> EventPlan:
    """A new guild event with its practice, qualifying and race, read in the circuit's time."""
    event_name = read_text(name, "name", MAX_EVENT_NAME, required=True)
    assert event_name is not None
    found_series = await resolve_series(asker, series)
    found_circuit = await resolve_circuit(asker, circuit)
    zone = read_zone(timezone, found_circuit.timezone)
    minutes = read_duration(duration)
    info, watch = read_url(info_url), read_url(watch_url)
    sessions: list[PlannedSession] = []
    for kind, text in ((SessionKind.PRACTICE, practice), (SessionKind.QUALIFYING, qualifying)):
        if text:
            _set_session(sessions, kind, read_when(text, zone, found_circuit.name))
    race_when = read_when(race, zone, found_circuit.name)
    _set_session(sessions, SessionKind.RACE, race_when, minutes)
    ordered = in_time_order(sessions)
    check_race_after_grid(ordered, found_circuit.timezone)
    year = season or (race_when.day.year if race_when.day else asker.now.year)
    plan = EventPlan(
        action="event.add",
        before=None,
        version=None,
        key=derived_event_key(found_series.code, year, event_name),
        series=found_series,
        circuit=found_circuit,
        season=year,
        name=event_name,
        length=None,
        status=EventStatus.SCHEDULED,
        info_url=info,
        watch_url=watch,
        sessions=ordered,
        warnings=date_warnings(ordered, asker.now, found_circuit.timezone),
    )
    same_day = await check_not_duplicate(asker, plan)
    return replace(plan, warnings=(*same_day, *plan.warnings))


async def plan_event_edit(
    asker: Asker,
    *,
    event: str,
    name: str | None = None,
    series: str | None = None,
    circuit: str | None = None,
    race: str | None = None,
    qualifying: str | None = None,
    practice: str | None = None,
    duration: str | None = None,
    season: int | None = None,
    length: str | None = None,
    status: str | None = None,
    info_url: str | None = None,
    watch_url: str | None = None,
    timezone: str | None = None,
) -> EventPlan:
    """Any field of a guild event, a session's time included; unchanged fields stay."""
    before, version = await own_event_with_version(asker, event)
    given = (
        name,
        series,
        circuit,
        race,
        qualifying,
        practice,
        duration,
        season,
        length,
        status,
        info_url,
        watch_url,
    )
    if all(v is None for v in given):
        raise NothingToChange()
    new_circuit = await resolve_circuit(asker, circuit) if circuit else before.circuit
    zone = read_zone(timezone, new_circuit.timezone)
    sessions = planned_sessions(before)
    if circuit and new_circuit.timezone != before.circuit.timezone:
        # Instants stay as they are; their day at the (new) circuit may differ.
        sessions = [
            replace(s, local_date=utc_to_local(s.start, new_circuit.timezone).date()) if s.start else s
            for s in sessions
        ]
    minutes = read_duration(duration)
    for kind, text in (
        (SessionKind.PRACTICE, practice),
        (SessionKind.QUALIFYING, qualifying),
        (SessionKind.RACE, race),
    ):
        if text:
            _set_session(sessions, kind, read_when(text, zone, new_circuit.name))
    if minutes is not None:
        if not any(s.kind is SessionKind.RACE for s in sessions):
            raise NotFound(WHAT_SESSION, "race", [s.key for s in sessions])
        races = [i for i, s in enumerate(sessions) if s.kind is SessionKind.RACE]
        sessions[races[-1]] = replace(sessions[races[-1]], duration=minutes)
    ordered = in_time_order(sessions)
    check_race_after_grid(ordered, new_circuit.timezone)
    plan = EventPlan(
        action="event.edit",
        before=before,
        version=version,
        key=before.key,
        series=await resolve_series(asker, series) if series else before.series,
        circuit=new_circuit,
        season=season or before.season,
        name=(read_text(name, "name", MAX_EVENT_NAME, required=True) or before.name) if name else before.name,
        length=None if cleared(length) else (read_text(length, "length", MAX_LENGTH_TEXT) or before.length),
        status=EventStatus(status) if status else before.status,
        info_url=read_url(info_url) if info_url is not None else before.info_url,
        watch_url=read_url(watch_url) if watch_url is not None else before.watch_url,
        sessions=ordered,
    )
    plan = replace(
        plan,
        changes=_field_changes(before, plan),
        warnings=date_warnings(ordered, asker.now, new_circuit.timezone),
    )
    if plan.name != before.name or plan.series != before.series or plan.season != before.season:
        same_day = await check_not_duplicate(asker, plan)
        plan = replace(plan, warnings=(*same_day, *plan.warnings))
    if not plan.changes and not any(s.changed for s in plan.sessions):
        raise NothingToChange()
    return plan


async def plan_postpone(
    asker: Asker, *, event: str, race: str | None = None, timezone: str | None = None
) -> EventPlan:
    """Postponed: to a new race date (the weekend moves by as many days), or to "date TBA"."""
    before, version = await own_event_with_version(asker, event)
    zone = read_zone(timezone, before.circuit.timezone)
    sessions = planned_sessions(before)
    warnings: list[Notice] = []
    if race:
        when = read_when(race, zone, before.circuit.name)
        old_race = before.race
        shift = (
            (when.day - old_race.local_date)
            if when.day is not None and old_race is not None and old_race.local_date is not None
            else None
        )
        moved: list[PlannedSession] = []
        for s in sessions:
            if s.kind is SessionKind.RACE and old_race is not None and s.key == old_race.key:
                moved.append(replace(s, start=when.start, local_date=when.day))
            elif shift is None or s.local_date is None:
                moved.append(replace(s, start=None, local_date=None))
            else:
                moved.append(_shifted(s, shift, before.circuit))
        if old_race is None:
            moved.append(
                PlannedSession(
                    next_session_key(SessionKind.RACE, {s.key for s in moved}),
                    SessionKind.RACE,
                    when.start,
                    when.day,
                    None,
                )
            )
        sessions = moved
    else:
        sessions = [replace(s, start=None, local_date=None) for s in sessions]
        warnings.append(
            Notice(
                N_("With no new date, every session shows as “date TBA” until you set it with /event edit."),
                check=False,
            )
        )
    ordered = in_time_order(sessions)
    check_race_after_grid(ordered, before.circuit.timezone)
    plan = status_plan(before, version, "event.postpone", EventStatus.POSTPONED, ordered)
    return replace(plan, warnings=(*warnings, *date_warnings(ordered, asker.now, before.circuit.timezone)))


def _shifted(s: PlannedSession, days: timedelta, circuit: Circuit) -> PlannedSession:
    """The session ``days`` later at the same wall-clock time at the circuit."""
    assert s.local_date is not None
    day = s.local_date + days
    if s.start is None:
        return replace(s, local_date=day)
    clock = utc_to_local(s.start, circuit.timezone).time().replace(tzinfo=None)
    try:
        start = local_to_utc(day, clock, circuit.timezone)
    except AmbiguousLocalTime as exc:
        raise TwiceLocalTime(exc, circuit.name) from exc
    except NonExistentLocalTime as exc:
        raise NoSuchLocalTime(
            local=f"{exc.local:%Y-%m-%d %H:%M}", circuit=circuit.name, zone=circuit.timezone
        ) from exc
    return replace(s, start=start, local_date=day)


async def plan_cancel(asker: Asker, *, event: str) -> EventPlan:
    """Cancelled: the event stays on the calendar, marked, and no reminder goes out for it."""
    before, version = await own_event_with_version(asker, event)
    if before.status is EventStatus.CANCELLED:
        raise NothingToChange()
    return status_plan(before, version, "event.cancel", EventStatus.CANCELLED)


async def plan_remove(asker: Asker, *, event: str) -> EventPlan:
    """Removed with its sessions, entry list and results (asked to confirm first)."""
    before, version = await own_event_with_version(asker, event)
    return replace(
        status_plan(before, version, "event.remove", before.status), removed_sessions=before.sessions
    )


# ---------------------------------------------------------------------------- committing


async def commit_event(asker: Asker, plan: EventPlan, *, by: int) -> Event | None:
    """Write a confirmed plan; the event as it is now (None once removed).

    ``ChangedMeanwhile`` / ``RemovedMeanwhile`` when someone else changed the
    event after the preview; ``DuplicateEvent`` when someone added it meanwhile.
    """
    guild = guild_of(asker)
    editing = asker.store.editing
    now = asker.now
    try:
        if plan.before is None:
            await check_not_duplicate(asker, plan)
            event_id = await editing.create_event(guild, plan.write(), by=by, at=now)
        else:
            event_id = plan.before.id
            assert plan.version is not None
            version = plan.version
            if plan.removing:
                await editing.delete_event(guild, event_id, version, by=by, at=now)
                return None
            await editing.update_event(
                guild, event_id, version, plan.write(), by=by, at=now, action=plan.action
            )
    except DuplicateKey as exc:
        raise DuplicateEvent(name=plan.name, existing=plan.name) from exc
    except (StaleVersion, NotOwned) as exc:
        assert plan.before is not None
        raise await meanwhile_error(asker, plan.before) from exc
    return await asker.store.event(asker.scope, event_id)
