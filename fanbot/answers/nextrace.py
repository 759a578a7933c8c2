"""/nextrace: the next event with a session still to come."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fanbot.answers.context import Asker
from fanbot.answers.timing import SessionStatus, statuses
from fanbot.domain.model import Event, Series, Session
from fanbot.domain.session_time import SessionState


@dataclass(frozen=True)
class NextRace:
    """The answer: the next event and its sessions, or (when nothing is
    scheduled) the last event that was raced."""

    now: datetime
    series: Series | None
    event: Event | None
    to_come: tuple[Session, ...]  # under way or still to come
    done: tuple[Session, ...]
    last_event: Event | None
    sessions: tuple[SessionStatus, ...] = ()  # every session of the event, in its order

    @property
    def in_progress(self) -> bool:
        """Part of the weekend has run, or a session is (or may be) under way."""
        return bool(self.to_come) and (bool(self.done) or any(s.running for s in self.sessions))

    def status(self, session: Session) -> SessionStatus:
        return next(s for s in self.sessions if s.session is session)

    json_extra = ("in_progress",)


async def next_race(asker: Asker, series: str | None = None) -> NextRace:
    """The soonest event (of ``series`` when given) with a session still to come."""
    wanted = await asker.resolve_series(series)
    code = wanted.code if wanted else None
    now = asker.now
    ids = await asker.store.upcoming_event_ids(asker.scope, now, series=code, limit=1)
    events = await asker.store.events_by_id(asker.scope, ids)
    if not events:
        last_id = await asker.store.last_raced_event_id(asker.scope, now, series=code)
        last = await asker.store.event(asker.scope, last_id) if last_id is not None else None
        return NextRace(now, wanted, None, (), (), last)
    event = events[0]
    found = statuses(event, now)
    to_come = tuple(s.session for s in found if s.current)
    done = tuple(s.session for s in found if s.state is SessionState.DONE)
    return NextRace(now, wanted, event, to_come, done, None, found)
