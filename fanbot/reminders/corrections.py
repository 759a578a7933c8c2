"""Corrections: when a moderator moves or cancels a session that fans were already
reminded of, say so where the reminder went.

Reminders themselves need nothing: they are derived from the sessions, so the
next ones follow the new time. But a reminder already posted announced the old
time, and fans who read it would otherwise turn up at the wrong hour.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord.utils import format_dt

from fanbot.domain.model import Event, EventStatus, Session
from fanbot.domain.reminders import Target
from fanbot.i18n import Translate, pick_locale, translator
from fanbot.render.words import kind_label
from fanbot.store import Store

if TYPE_CHECKING:
    from fanbot.bot.app import FanBot

log = logging.getLogger(__name__)


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


def correction_text(c: Correction, tr: Translate) -> str:
    kind = kind_label(c.session.kind, tr)
    name = c.event.display_name
    if c.new_start is None:
        return tr(
            "Correction: {event}, {kind} — the time announced earlier no longer holds "
            "(cancelled or not yet rescheduled).",
            event=name,
            kind=kind,
        )
    return tr(
        "Correction: {event}, {kind} now starts {when} ({relative}), not at the time announced earlier.",
        event=name,
        kind=kind,
        when=format_dt(c.new_start, "F"),
        relative=format_dt(c.new_start, "R"),
    )


async def post_corrections(bot: FanBot, guild_id: int, before: Event, after: Event | None) -> int:
    """Post the corrections for a change a guild's moderator made; how many went out.
    A failure to post one is logged and does not stop the others."""
    posted = 0
    for c in await corrections_needed(bot.store, before, after):
        try:
            if c.target.kind == "guild":
                if c.channel_id is None:
                    continue
                chosen = await bot.store.reminders.guild_locale(c.target.id)
                guild = bot.get_guild(c.target.id)
                tr = translator(pick_locale(chosen, guild.preferred_locale if guild else None))
                channel: discord.abc.Messageable = bot.get_partial_messageable(
                    c.channel_id, guild_id=guild_id
                )
            else:
                tr = translator(await _fan_locale(bot.store, c.target.id, c.event.id))
                channel = await bot.create_dm(discord.Object(id=c.target.id))
            await channel.send(correction_text(c, tr)[:2000], allowed_mentions=discord.AllowedMentions.none())
            posted += 1
        except discord.HTTPException:
            log.warning("could not post a correction to %s", c.target, exc_info=True)
    return posted


async def _fan_locale(store: Store, user_id: int, event_id: int) -> str:
    for request in await store.reminders.fan_requests(user_id=user_id):
        if request.event_id == event_id:
            return pick_locale(request.locale)
    return "en"
