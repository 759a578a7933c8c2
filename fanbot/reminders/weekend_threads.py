"""A thread per race weekend: what a weekend's thread is called and when it is over.

The rules only, with no Discord in them: the courier (``fanbot.bot.weekend_threads``)
opens the thread with the first reminder of an event, posts the weekend's later
reminders in it, and archives it once ``weekend_over`` says so.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from fanbot.domain.model import Event, EventStatus
from fanbot.domain.session_time import session_window

# Discord's limit on a thread's (and a forum post's) name.
THREAD_NAME_LIMIT = 100
# A weekend's thread is archived this long after its last session ended: time for the
# race's last laps to overrun, a podium or a result to be talked over in it.
ARCHIVE_AFTER = timedelta(hours=3)
# What Discord archives the thread after by itself when nobody writes in it (one of
# 60, 1440, 4320 or 10080 minutes): three days covers the gap between a weekend's
# Thursday practice and its Sunday race, so it stays in the channel's list all weekend.
AUTO_ARCHIVE_MINUTES: Final = 4320


def thread_name(event: Event) -> str:
    """The thread's name: the event as fans know it ("6 Hours of Spa 2025"), cut to
    Discord's 100 characters. The same for every process: a process that lost track of
    the thread it created finds it again by this name."""
    name = " ".join(event.display_name.split()) or event.key
    if len(name) > THREAD_NAME_LIMIT:
        name = name[: THREAD_NAME_LIMIT - 1].rstrip() + "…"
    return name


def weekend_ends(event: Event) -> datetime | None:
    """When the weekend's last session ends at the latest (its race, usually); None when
    no session has even a date."""
    ends = [w.latest_end for s in event.sessions if (w := session_window(s, event)) is not None]
    return max(ends) if ends else None


def weekend_over(event: Event | None, now: datetime) -> bool:
    """Whether the event's thread should be archived at ``now``: ``ARCHIVE_AFTER`` after
    its last session ended, or at once when the event was cancelled or removed (the
    correction saying so is already in the thread)."""
    if event is None or event.status is EventStatus.CANCELLED:
        return True
    ends = weekend_ends(event)
    return ends is not None and now >= ends + ARCHIVE_AFTER
