"""Where a session stands, in words: done, under way, possibly under way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fanbot.answers.calendar import ScheduleRow
from fanbot.answers.timing import SessionStatus
from fanbot.domain.session_time import SessionState
from fanbot.i18n import Translate


def status_note(status: SessionStatus, tr: Translate, *, when: Callable[[datetime], str]) -> str | None:
    """What a session's line says about where it stands, or None for a session to come
    (its time says it). ``when`` writes an instant relative to now: "2 h 5 min ago" in
    the console, ``<t:…:R>`` in Discord."""
    state, start = status.state, status.session.start
    if state is SessionState.DONE:
        return tr("done")
    if state is SessionState.POSSIBLY_UNDER_WAY:
        return tr("possibly under way (only its day is known)")
    if state is SessionState.UNDER_WAY and start is not None:
        started = tr("under way, started {when}", when=when(start))
        if status.length_estimated or status.ends is None:
            return started + " " + tr("(length not published)")
        if status.length_is_a_limit:
            return started + ", " + tr("ends {when} at the latest", when=when(status.ends))
        return started + ", " + tr("ends {when}", when=when(status.ends))
    return None


def row_state(row: ScheduleRow, tr: Translate) -> str | None:
    """What a calendar line says of its weekend: done, under way, possibly under way."""
    if row.done:
        return tr("done")
    if row.under_way:
        return tr("under way")
    if row.possibly_under_way:
        return tr("possibly under way")
    return None


def unknown_time(state: SessionState | None, tr: Translate) -> str:
    """A session known only by its day: "time TBA" while it may still be announced, "time
    not recorded" once it is over and no source gave it."""
    return tr("time not recorded") if state is SessionState.DONE else tr("time TBA")
