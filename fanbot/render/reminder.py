"""A reminder as a Discord message: what starts, when, where, how to watch."""

from __future__ import annotations

import discord
from discord.utils import format_dt

from fanbot.domain.model import Event, Session
from fanbot.i18n import Translate
from fanbot.render.embed import COLOUR, clip
from fanbot.render.words import duration_words, kind_label, length_words

GREEN = discord.Colour.from_rgb(0, 170, 80)


def lead_words(minutes: int, tr: Translate) -> str:
    """60 -> "1 hour", 1440 -> "24 hours", 10 -> "10 minutes" (plural forms by the
    language's rule, through ``words.duration_words``)."""
    return duration_words(minutes, tr)


def reminder_message(
    event: Event, session: Session, lead_minutes: int, *, late: bool, tr: Translate
) -> tuple[str, discord.Embed]:
    """(content, embed). The content is what a phone notification shows."""
    assert session.start is not None, "reminders exist only for timed sessions"
    kind = kind_label(session.kind, tr)
    name = event.display_name
    if lead_minutes == 0:
        headline = tr("Green flag! {event}: the {kind} has started", event=name, kind=kind.lower())
    else:
        headline = tr(
            "{event}: {kind} starts in {lead}", event=name, kind=kind, lead=lead_words(lead_minutes, tr)
        )
    content = f"**{clip(headline, 1800)}**"
    if late:
        content += " " + tr("(late: the bot was unavailable at the planned time)")
    embed = discord.Embed(
        title=clip(headline, 256),
        description=f"{format_dt(session.start, 'F')} ({format_dt(session.start, 'R')})",
        colour=GREEN if lead_minutes == 0 else COLOUR,
        url=event.info_url or None,
    )
    where = event.circuit.name
    if event.circuit.location:
        where += f"\n{event.circuit.location}"
    embed.add_field(name=tr("Where"), value=clip(where, 1024), inline=True)
    embed.add_field(name=tr("Series"), value=clip(event.series.name, 1024), inline=True)
    if event.watch_url:
        embed.add_field(name=tr("How to watch"), value=clip(event.watch_url, 1024), inline=False)
    if event.length:
        embed.set_footer(text=clip(length_words(event.length, tr), 2048))
    return content, embed
