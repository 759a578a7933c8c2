"""Corrections: when a moderator moves or cancels a session that fans were already
reminded of, say so where the reminder went.

Reminders themselves need nothing: they are derived from the sessions, so the
next ones follow the new time. But a reminder already posted announced the old
time, and fans who read it would otherwise turn up at the wrong hour.

This module finds which corrections are owed; the courier words and posts them,
as it does the reminders (``fanbot.bot.courier``, ``fanbot.bot.embeds.correction``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from fanbot.domain.model import Event, EventStatus, Session
from fanbot.domain.reminders import Target
from fanbot.store import Store

if TYPE_CHECKING:
    from fanbot.reminders.dispatcher import Courier


@dataclass(frozen=True)
class Correction:
    target: Target
    channel_id: int | None  # where the reminder went (guild reminders)
    event: Event  # as it was announced
    session: Session  # as it was announced
    new_start: datetime | None  # None: cancelled, removed, or no time any more


async def corrections_needed(store: Store, before: Event, after: Event | None) -> list[Correction]:
    """One correction per target that was reminded of a session whose time changed."""
    cancelled = after is None or after.status is EventStatus.CANCELLED
    now_by_id = {s.id: s for s in after.sessions} if after is not None else {}
    changed: dict[int, tuple[Session, datetime | None]] = {}
    for old in before.sessions:
        if old.start is None:
            continue
        new = now_by_id.get(old.id)
        new_start = None if cancelled or new is None else new.start
        if new_start != old.start:
            changed[old.id] = (old, new_start)
    if not changed:
        return []
    found: dict[tuple[Target, int], Correction] = {}
    for d in await store.reminders.deliveries_for(changed):
        old, new_start = changed[d.key.session_id]
        if d.state != "sent" or d.key.session_start != old.start:
            continue
        # Several leads were sent for one session: one correction is enough.
        found.setdefault(
            (d.key.target, d.key.session_id),
            Correction(d.key.target, d.channel_id, before, old, new_start),
        )
    return list(found.values())


async def post_corrections(
    store: Store, courier: Courier, guild_id: int | None, before: Event, after: Event | None
) -> int:
    """Post the corrections for a change a guild's moderator (or feed) made, or, with
    ``guild_id`` None, a change of the shared catalog (each guild reminded of it is told in
    its own channel); how many went out. A failure to post one is the courier's to log,
    and does not stop the others."""
    posted = 0
    for c in await corrections_needed(store, before, after):
        if c.target.kind == "guild":
            if c.channel_id is None:
                continue
            fan_locale = None
        else:
            fan_locale = await _fan_locale(store, c.target.id, c.event.id)
        where = guild_id if guild_id is not None else (c.target.id if c.target.kind == "guild" else 0)
        if await courier.send_correction(c, guild_id=where, fan_locale=fan_locale):
            posted += 1
    return posted


async def _fan_locale(store: Store, user_id: int, event_id: int) -> str | None:
    """The language the fan asked for this event's reminders in (None: not known)."""
    for request in await store.reminders.fan_requests(user_id=user_id):
        if request.event_id == event_id:
            return request.locale
    return None
