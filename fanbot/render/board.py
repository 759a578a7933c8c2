"""A calendar board's text: the next events and their sessions, for one embed.

Each session is one line: to come (its time and a countdown), under way (when it ends),
or over (crossed out, ``~~…~~``, until its whole event is over and drops off). Instants
are written by ``stamp`` (Discord's ``<t:…:f>`` and ``<t:…:R>`` in the bot, so that every
reader sees their own time zone and the countdown runs by itself): the text then changes
only when a session starts or ends, or the calendar does, and its digest tells the bot
whether the message needs an edit at all.

The description stays inside Discord's 4,096 characters: whole events are left out from
the end, with a line saying how many, never an event cut in the middle.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fanbot.answers.board import Board, BoardEvent
from fanbot.answers.timing import SessionStatus
from fanbot.domain.labels import STATUS_SHOUTED
from fanbot.domain.model import EventStatus
from fanbot.domain.session_time import SessionState
from fanbot.i18n import Translate
from fanbot.render.lines import when_words
from fanbot.render.states import status_note
from fanbot.render.words import session_label

# Discord's limit on an embed's description, and its title's.
DESCRIPTION_LIMIT = 4096
TITLE_LIMIT = 256

# Writes an instant in a style: "f" (date and time), "R" (relative).
Stamp = Callable[[datetime, str], str]


@dataclass(frozen=True)
class BoardText:
    """What the board's message shows: an embed's title, description and footer."""

    title: str
    description: str
    footer: str

    @property
    def digest(self) -> str:
        """sha-256 of everything shown: equal digests, nothing to edit."""
        shown = "\x00".join((self.title, self.description, self.footer))
        return hashlib.sha256(shown.encode("utf-8")).hexdigest()


def session_line(status: SessionStatus, tr: Translate, locale: str, stamp: Stamp) -> str:
    """One session: "**Race** — <t:…:f> (<t:…:R>)" to come, its state once under way,
    crossed out once over."""
    session, state = status.session, status.state
    kind = session_label(session, tr)
    to_come = state is SessionState.TO_COME

    def timed(start: datetime) -> str:
        return stamp(start, "f") + (f" ({stamp(start, 'R')})" if to_come else "")

    when = when_words(session.start, session.local_date, tr, locale, timed=timed, state=state)
    if state is SessionState.DONE:
        return f"~~{kind} — {when}~~"
    line = f"**{kind}** — {when}"
    note = status_note(status, tr, when=lambda instant: stamp(instant, "R"))
    return f"{line} — **{note}**" if note else line


def event_lines(item: BoardEvent, tr: Translate, locale: str, stamp: Stamp) -> list[str]:
    """An event's heading ("**Name 2026** · WEC · Circuit") and one line per session."""
    event = item.event
    heading = f"**{event.display_name}** · {event.series.code} · {event.circuit.name}"
    if event.status is not EventStatus.SCHEDULED:
        heading += f" · **{tr(STATUS_SHOUTED[event.status])}**"
    return [heading, *(session_line(s, tr, locale, stamp) for s in item.sessions)]


def more_line(n: int, tr: Translate) -> str:
    return tr.ngettext("…and {n} more event.", "…and {n} more events.", n)


def fit(blocks: list[list[str]], tr: Translate, limit: int = DESCRIPTION_LIMIT) -> str:
    """The blocks (one per event) that fit in ``limit`` characters, in order, and a line
    for those left out. Room for that line is kept before each block is taken, so it
    always fits; an event is never cut (unless a single one is longer than the limit,
    which the moderators' limits keep from happening: then its first lines)."""
    parts: list[str] = []
    used = 0
    for i, block in enumerate(blocks):
        text = "\n".join(block)
        left_after = len(blocks) - i - 1
        reserve = len(more_line(left_after, tr)) + 2 if left_after else 0
        need = used + (2 if parts else 0) + len(text)
        if need + reserve <= limit:
            parts.append(text)
            used = need
            continue
        left = len(blocks) - i
        if not parts:
            # One event longer than the whole limit: as many of its lines as fit.
            room = limit - len(more_line(left, tr)) - 2
            kept: list[str] = []
            for line in block:
                if len("\n".join([*kept, line])) > room:
                    break
                kept.append(line)
            if kept:
                parts.append("\n".join(kept))
        parts.append(more_line(left, tr))
        break
    return "\n\n".join(parts)


def board_text(board: Board, tr: Translate, locale: str, stamp: Stamp) -> BoardText:
    """The board's embed text in ``locale``."""
    if board.series:
        title = tr("Next {series} races", series=board.series)
        empty = tr("No {series} race is scheduled", series=board.series)
    else:
        title = tr("Next races")
        empty = tr("No race is scheduled")
    blocks = [event_lines(item, tr, locale, stamp) for item in board.events]
    description = fit(blocks, tr) if blocks else empty + "."
    footer = tr("Times are shown in your own time zone.") + " " + tr("Kept up to date by fanbot.")
    return BoardText(title[:TITLE_LIMIT], description, footer)
