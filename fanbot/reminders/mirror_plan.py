"""What the Discord scheduled events mirror should do: from ``now``, a server's calendar
and the map of what it already keeps, the creates, edits, cancels and deletes that bring
the server's Events tab in step with its races. Discord-free and pure: the bot does it
(``fanbot.bot.mirror_sync``).

The rules:

- One Discord event per race session with a known start, of an event that is not
  cancelled and is in the chosen series, starting within the next ``days``.
- A race already kept follows the calendar wherever it moves (even out of the window):
  its Discord event is edited when what it would say changed (the payload's digest is
  compared with the one last sent; nothing unchanged is ever sent again). A cancelled
  race's event is cancelled; a race that is gone (removed, another series, no time any
  more) has its event deleted. Once a race has started, its event is left to Discord
  (an EXTERNAL event starts and completes by itself), and its row forgotten a day after
  it ended.
- Before creating, the server's Discord events are listed (``remote``): an event of the
  bot's carrying the race's marker is adopted instead (a process killed between
  Discord's create and the bot's record made it); an event someone deleted or cancelled
  by hand is not made again; and no create goes beyond ``MIRROR_CAP`` scheduled or
  active events in the server, everyone's counted.

The plan is made twice by a sync: first without ``remote`` (from the store alone: if it
holds nothing to do, the sync costs no request at all), then with it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum

from fanbot.domain.mirror import MIRROR_CAP, MirroredEvent, MirrorSetup, RaceKey
from fanbot.domain.model import Event, EventStatus, Session, SessionKind
from fanbot.domain.session_time import length_of

# Discord refuses an event that starts in the past; a race this close is not created
# (the request would arrive after its start).
MIN_LEAD = timedelta(minutes=2)
# A row of a race that ended this long ago is forgotten: Discord completed its event.
FORGET_AFTER = timedelta(days=1)
MARKER_PREFIX = "fanbot:"


class RemoteStatus(IntEnum):
    """A Discord scheduled event's status."""

    SCHEDULED = 1
    ACTIVE = 2
    COMPLETED = 3
    CANCELLED = 4

    @property
    def live(self) -> bool:
        """Counted under Discord's cap of 100."""
        return self in (RemoteStatus.SCHEDULED, RemoteStatus.ACTIVE)


@dataclass(frozen=True)
class Race:
    """A race session the server's calendar holds, with a known start."""

    event: Event
    session: Session

    @property
    def key(self) -> RaceKey:
        return (self.event.id, self.session.id)

    @property
    def start(self) -> datetime:
        assert self.session.start is not None, "a Race has a known start"
        return self.session.start

    @property
    def end(self) -> datetime:
        """The start plus the session's length: its own, the event's race length, or the
        series' usual one (``domain.session_time``: documented estimates)."""
        return self.start + timedelta(minutes=length_of(self.session, self.event).minutes)


@dataclass(frozen=True)
class MirrorPayload:
    """What one Discord event says. ``description`` ends with the race's marker."""

    name: str
    description: str
    location: str
    start: datetime
    end: datetime

    def digest(self) -> str:
        """A hash of everything sent: the same payload is never sent twice."""
        data = [self.name, self.description, self.location, self.start.isoformat(), self.end.isoformat()]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class RemoteEvent:
    """One of the server's Discord scheduled events, as listed (anyone's)."""

    id: int
    status: RemoteStatus
    ours: bool  # created by the bot
    marker: RaceKey | None  # the race its description's last line names (the bot's only)


def marker(key: RaceKey) -> str:
    """The last line of a mirrored event's description: which race it stands for."""
    return f"{MARKER_PREFIX}{key[0]}/{key[1]}"


def read_marker(description: str | None) -> RaceKey | None:
    """The race a description's last line names, if it is a marker."""
    if not description:
        return None
    last = description.rstrip().rsplit("\n", 1)[-1].strip()
    if not last.startswith(MARKER_PREFIX):
        return None
    event_id, _, session_id = last[len(MARKER_PREFIX) :].partition("/")
    if not (event_id.isdigit() and session_id.isdigit()):
        return None
    return (int(event_id), int(session_id))


# ---------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class Create:
    race: Race
    payload: MirrorPayload


@dataclass(frozen=True)
class Adopt:
    """The bot's own event for this race, made before a crash stopped it recording it:
    edited to ``payload`` (it may be out of date) and recorded."""

    race: Race
    discord_event_id: int
    payload: MirrorPayload


@dataclass(frozen=True)
class Edit:
    row: MirroredEvent
    race: Race
    payload: MirrorPayload


@dataclass(frozen=True)
class Cancel:
    row: MirroredEvent


@dataclass(frozen=True)
class Delete:
    row: MirroredEvent


@dataclass(frozen=True)
class Forget:
    """Store only: the row of a race that ended long ago."""

    row: MirroredEvent


@dataclass(frozen=True)
class Disowned:
    """Store only: someone deleted or cancelled the bot's event by hand (``gone``)."""

    row: MirroredEvent


Action = Create | Adopt | Edit | Cancel | Delete | Forget | Disowned


@dataclass(frozen=True)
class MirrorPlan:
    actions: list[Action] = field(default_factory=list)
    # Races in the window the plan cannot create without going over ``MIRROR_CAP``.
    skipped: int = 0
    # Races in the window, kept or to be.
    wanted: int = 0

    @property
    def needs_discord(self) -> bool:
        """Whether anything is to be asked of Discord (else the store alone is enough)."""
        return any(not isinstance(a, Forget | Disowned) for a in self.actions)


# ---------------------------------------------------------------------------- the plan


def races_of(event: Event) -> list[Race]:
    """The event's race sessions with a known start."""
    return [Race(event, s) for s in event.sessions if s.kind is SessionKind.RACE and s.start is not None]


def in_series(event: Event, series: Sequence[str]) -> bool:
    return not series or event.series.code in series


def others_live(remote: Iterable[RemoteEvent]) -> int:
    """The server's scheduled and active Discord events that are not the mirror's own:
    with the races of the window, they must stay under ``MIRROR_CAP``."""
    return sum(1 for r in remote if r.status.live and not (r.ours and r.marker is not None))


def wanted_races(events: Sequence[Event], *, now: datetime, setup: MirrorSetup) -> list[Race]:
    """The races the server's Events tab should show: within the window, not cancelled,
    in the chosen series, soonest first (none once the mirror is off)."""
    if not setup.active:
        return []
    upto = now + timedelta(days=setup.days)
    found = [
        race
        for event in events
        if event.status is not EventStatus.CANCELLED and in_series(event, setup.series)
        for race in races_of(event)
        if now + MIN_LEAD < race.start <= upto
    ]
    return sorted(found, key=lambda r: (r.start, r.key))


def plan_mirror(
    *,
    now: datetime,
    setup: MirrorSetup,
    events: Sequence[Event],
    rows: Sequence[MirroredEvent],
    payload_for: Callable[[Race], MirrorPayload],
    remote: Mapping[int, RemoteEvent] | None = None,
) -> MirrorPlan:
    """The actions that bring the server's Discord events in step with its calendar.

    ``events`` holds the events of the window and those the rows point at (as they are
    now: an event missing is one that was removed); ``remote`` the server's Discord
    events by id, or None before they were listed."""
    by_key = {race.key: race for event in events for race in races_of(event)}
    sessions = {(e.id, s.id): e for e in events for s in e.sessions}
    actions: list[Action] = []
    kept: set[RaceKey] = set()
    for row in rows:
        race = by_key.get(row.key)
        action = _follow(row, race, sessions.get(row.key), now, setup, payload_for, remote)
        if action is not None:
            actions.append(action)
        # A Discord event the bot cancelled cannot be changed again: a race that is on
        # again after all gets a new one (its row is then replaced).
        reopened = (
            row.state == "cancelled" and race is not None and race.event.status is not EventStatus.CANCELLED
        )
        if not reopened:
            kept.add(row.key)
    wanted = wanted_races(events, now=now, setup=setup)
    live = sum(1 for r in (remote or {}).values() if r.status.live)
    # Only one not started: a start cannot be moved once an event is under way.
    adoptable = {
        r.marker: r
        for r in (remote or {}).values()
        if r.ours and r.marker is not None and r.status is RemoteStatus.SCHEDULED
    }
    skipped = 0
    for race in wanted:
        if race.key in kept:
            continue
        payload = payload_for(race)
        found = adoptable.get(race.key)
        if found is not None:
            actions.append(Adopt(race, found.id, payload))
        elif remote is not None and live >= MIRROR_CAP:
            skipped += 1
        else:
            actions.append(Create(race, payload))
            live += 1
    return MirrorPlan(actions, skipped, len(wanted))


def _follow(
    row: MirroredEvent,
    race: Race | None,
    event: Event | None,
    now: datetime,
    setup: MirrorSetup,
    payload_for: Callable[[Race], MirrorPayload],
    remote: Mapping[int, RemoteEvent] | None,
) -> Action | None:
    """What becomes of one Discord event the bot keeps."""
    if row.ends_at + FORGET_AFTER <= now:
        return Forget(row)
    if row.state != "scheduled":
        return None
    if remote is not None:
        there = remote.get(row.discord_event_id)
        if there is None or there.status is RemoteStatus.CANCELLED:
            return Disowned(row)  # deleted or cancelled in Discord by hand
        if there.status is RemoteStatus.COMPLETED:
            return None
    started = row.starts_at <= now
    if not setup.active:
        return None if started else Delete(row)  # turned off: its races to come go
    if event is None or race is None or not in_series(event, setup.series):
        # Removed from the calendar, its session gone or no longer timed, or a series no
        # longer chosen: off the Events tab, even under way (one that ended stays).
        return None if row.ends_at <= now else Delete(row)
    if event.status is EventStatus.CANCELLED:
        return None if started else Cancel(row)
    if started or race.start <= now + MIN_LEAD:
        return None  # under way: Discord's now (and a start in the past cannot be sent)
    payload = payload_for(race)
    return None if payload.digest() == row.payload_hash else Edit(row, race, payload)
