"""Words shared by every renderer: session kinds, statuses, "time TBA"."""

from __future__ import annotations

from datetime import datetime

from fanbot.answers.people import Appearance
from fanbot.domain.model import EventStatus, SessionKind
from fanbot.i18n import N_, Translate

SESSION_KIND = {
    SessionKind.PRACTICE: N_("Practice"),
    SessionKind.QUALIFYING: N_("Qualifying"),
    SessionKind.HYPERPOLE: N_("Hyperpole"),
    SessionKind.WARMUP: N_("Warm-up"),
    SessionKind.RACE: N_("Race"),
    SessionKind.OTHER: N_("Session"),
}

STATUS = {
    EventStatus.SCHEDULED: N_("scheduled"),
    EventStatus.POSTPONED: N_("POSTPONED"),
    EventStatus.CANCELLED: N_("CANCELLED"),
}


def kind_label(kind: SessionKind, tr: Translate) -> str:
    return tr(SESSION_KIND[kind])


def countdown(now: datetime, then: datetime, tr: Translate) -> str:
    """ "in 18 days 21 h" / "2 h 5 min ago", for the console (Discord has <t:..:R>)."""
    seconds = int((then - now).total_seconds())
    past = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        span = tr("{days} d {hours} h", days=days, hours=hours)
    elif hours:
        span = tr("{hours} h {minutes} min", hours=hours, minutes=minutes)
    else:
        span = tr("{minutes} min", minutes=minutes)
    return tr("{span} ago", span=span) if past else tr("in {span}", span=span)


def appearance_line(a: Appearance, tr: Translate, *, bold: bool = False) -> str:
    """One entry of a driver's record: event, car number, team and car, co-drivers."""
    team = ", ".join(p for p in (a.entry.team, a.entry.car) if p)
    with_whom = ", ".join(a.co_drivers) if a.co_drivers else "—"
    event = f"**{a.event.display_name}**" if bold else a.event.display_name
    return f"{event} ({a.event.series.code}): {a.entry.number_label} {team} — " + tr(
        "with {names}", names=with_whom
    )
