"""The checks a planned event goes through: what is refused (a race before its grid is
decided, an event the guild already sees) and what is only worth a second look (a year
that is probably a typo, another race at the same circuit on the same day).
"""

from __future__ import annotations

from datetime import datetime, time

from fanbot.answers.context import Asker
from fanbot.answers.moderation.errors import DuplicateEvent, RaceBeforeGrid
from fanbot.answers.moderation.plans import (
    EventPlan,
    Notice,
    PlannedSession,
    session_name,
    session_when,
    when_in_message,
)
from fanbot.domain.folding import fold
from fanbot.domain.limits import FAR_AHEAD, LONG_AGO
from fanbot.domain.localtime import local_to_utc
from fanbot.domain.model import GRID_KINDS, SessionKind
from fanbot.i18n import N_, Translate, translator


def check_race_after_grid(sessions: tuple[PlannedSession, ...], zone: str) -> None:
    """Refuse a race before a session that decides its grid (``GRID_KINDS``), by instant,
    else by day when a time is not known."""
    for race in (s for s in sessions if s.kind is SessionKind.RACE):
        for grid in (s for s in sessions if s.kind in GRID_KINDS):
            if race.start is not None and grid.start is not None:
                early = race.start < grid.start
            else:
                early = bool(race.local_date and grid.local_date and race.local_date < grid.local_date)
            if early:
                raise RaceBeforeGridError(race, grid, zone)


class RaceBeforeGridError(RaceBeforeGrid):
    """The two sessions' times are kept as data: "time TBA" is written in the reader's
    language when the message is rendered (the exception's own text is English)."""

    def __init__(self, race: PlannedSession, grid: PlannedSession, zone: str) -> None:
        self.grid = grid
        self.race_when = session_when(race, zone)
        self.grid_when = session_when(grid, zone)
        english = translator("en")
        super().__init__(
            race=when_in_message(self.race_when, english),
            session=session_name(grid, english),
            other=when_in_message(self.grid_when, english),
        )

    def render(self, tr: Translate) -> str:
        fields = dict(self.fields)
        fields["race"] = when_in_message(self.race_when, tr)
        fields["session"] = session_name(self.grid, tr)
        fields["other"] = when_in_message(self.grid_when, tr)
        return tr(self.message, **fields)


def date_warnings(sessions: tuple[PlannedSession, ...], now: datetime, zone: str) -> tuple[Notice, ...]:
    """Sessions more than three years ahead or more than a year ago: probably a typo in the year."""
    notices: list[Notice] = []
    for s in sessions:
        if not s.changed:
            continue
        moment = s.start or (local_to_utc(s.local_date, time(12, 0), "UTC") if s.local_date else None)
        if moment is None:
            continue
        if moment - now > FAR_AHEAD:
            notices.append(
                Notice(
                    N_("{session} is more than three years away ({when}): is the year right?"),
                    {"session": s, "when": session_when(s, zone)},
                )
            )
        elif now - moment > LONG_AGO:
            notices.append(
                Notice(
                    N_("{session} was more than a year ago ({when}): is the year right?"),
                    {"session": s, "when": session_when(s, zone)},
                )
            )
    return tuple(notices)


async def check_not_duplicate(asker: Asker, plan: EventPlan) -> tuple[Notice, ...]:
    """A new event must not repeat one the guild sees (its own or the catalog's): the same
    key or name is refused. One of another name at the same circuit, series and race day
    is only a warning: double-header weekends hold two races."""
    notices: list[Notice] = []
    for e in await asker.store.events(asker.scope, series=plan.series.code, season=plan.season):
        if plan.before is not None and e.id == plan.before.id:
            continue
        same_key = e.guild_id is not None and e.key == plan.key
        same_name = fold(e.name) == fold(plan.name)
        if same_key or same_name:
            raise DuplicateEvent(name=plan.name, existing=e.display_name)
        race = next((s for s in plan.sessions if s.kind is SessionKind.RACE), None)
        if (
            race is not None
            and race.local_date is not None
            and e.circuit.id == plan.circuit.id
            and e.race is not None
            and e.race.local_date == race.local_date
        ):
            notices.append(
                Notice(
                    N_(
                        "{existing} is at the same circuit on the same day. Add this one too only "
                        "if it is another race (a double-header), not the same one renamed."
                    ),
                    {"existing": e.display_name},
                    confirm_label=N_("Add anyway"),
                )
            )
    return tuple(notices)
