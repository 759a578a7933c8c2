"""Where a session stands, in words: done, under way, possibly under way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

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
        return started + ", " + tr("ends {when}", when=when(status.ends))
    return None
