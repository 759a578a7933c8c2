"""The lines every renderer writes alike: a car of an entry list, a finishing position,
and when a session is.

The console, Discord's fan answers, the moderators' replies and the history all call
these, each with what differs for it (Discord's bold, the class where no heading says it,
results behind spoiler markup, an instant written the reader's way).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from fanbot.domain.model import Entry, Result
from fanbot.domain.session_time import SessionState
from fanbot.i18n import Translate, format_day
from fanbot.render.states import unknown_time
from fanbot.render.words import car_number, labelled


def entry_line(entry: Entry, tr: Translate, *, bold: bool = False, with_class: bool = False) -> str:
    """ "#6 Team — Car: A, B": a car's number, team and car, then its drivers ("drivers TBA"
    while none is known). ``bold`` marks the number up (Discord); ``with_class`` writes the
    class after it ("#6 [Hypercar] Team — Car: A, B") where no class heading says it."""
    number = car_number(entry, tr)
    head = [f"**{number}**" if bold else number]
    if with_class and entry.car_class:
        head.append(f"[{entry.car_class}]")
    what = " — ".join(p for p in (entry.team, entry.car) if p)
    if what:
        head.append(what)
    drivers = ", ".join(entry.drivers) if entry.drivers else tr("drivers TBA")
    return labelled(" ".join(head), drivers, tr)


def result_place(result: Result) -> str:
    """ "Hypercar P1": which finishing position, without who took it."""
    return f"{result.car_class} P{result.position}"


def result_line(result: Result, tr: Translate, *, spoiler: bool = False) -> str:
    """ "Hypercar P1: #6 Team Car (A / B)"; with ``spoiler``, who finished there is behind
    Discord's spoiler markup, so that a fan who has not watched yet is not told by accident."""
    number = f"#{result.number} " if result.number else ""
    who = f"{number}{result.description}"
    return labelled(result_place(result), f"||{who}||" if spoiler else who, tr)


def when_words(
    start: datetime | None,
    day: date | None,
    tr: Translate,
    locale: str,
    *,
    timed: Callable[[datetime], str],
    state: SessionState | None = None,
) -> str:
    """When a session is: ``timed(start)`` once its start is known (each renderer writes an
    instant its own way: Discord timestamps, the console's zone, the circuit's clocks); else
    its day and "time TBA" ("time not recorded" once it is over); else "date TBA"."""
    if start is not None:
        return timed(start)
    if day is not None:
        return f"{format_day(day, locale)}, {unknown_time(state, tr)}"
    return tr("date TBA")
