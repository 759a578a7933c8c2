"""Reminders in Discord: the reminder message itself (what starts, when, where, how to
watch, and the delivery's marker), and the lines /reminders and /remindme show of a setup
and of what comes next."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import discord
from discord.utils import format_dt

from fanbot.answers.reminders import Upcoming
from fanbot.bot.embeds.pages import COLOUR, clip
from fanbot.domain.model import Event, Session
from fanbot.domain.reminders import ReminderSetup
from fanbot.i18n import Translate
from fanbot.render.reminder import lead_words, reminder_headline
from fanbot.render.words import kind_label, length_words, session_label

GREEN = discord.Colour.from_rgb(0, 170, 80)
MARKER_PREFIX = "ref "


def delivery_marker(nonce: str) -> str:
    """The mark of one delivery at the end of its embed's footer (``ref 3f9a2c1b0d``), by
    which a process that took the delivery over finds the message an earlier attempt
    posted, once Discord has forgotten the nonce. Derived from the nonce, so the same on
    every attempt; 40 bits of a hash, so two deliveries among a channel's recent messages
    never share one; and short, in the footer's small print, where it stays out of the way."""
    return MARKER_PREFIX + hashlib.sha256(nonce.encode()).hexdigest()[:10]


def carries_marker(embeds: Iterable[discord.Embed], marker: str) -> bool:
    """Whether a message with these embeds is the delivery that ``marker`` marks."""
    return any((e.footer.text or "").endswith(marker) for e in embeds)


def reminder_message(
    event: Event, session: Session, lead_minutes: int, *, late: bool, tr: Translate, marker: str | None = None
) -> tuple[str, discord.Embed]:
    """(content, embed). The content is what a phone notification shows; ``marker``
    (:func:`delivery_marker`) ends the footer."""
    assert session.start is not None, "reminders exist only for timed sessions"
    headline = reminder_headline(event, session, lead_minutes, tr)
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
    footer = [clip(length_words(event.length, tr), 2000)] if event.length else []
    if marker:
        footer.append(marker)  # last and whole: it is matched at the end of the footer
    if footer:
        embed.set_footer(text=" · ".join(footer))
    return content, embed


def upcoming_lines(items: list[Upcoming], tr: Translate) -> list[str]:
    """The reminders to come, one a line: when (in the reader's zone), the event, the session."""
    lines = []
    for u in items:
        what = session_label(u.session, tr)
        when = (
            tr("green flag")
            if u.lead_minutes == 0
            else tr("{lead} before", lead=lead_words(u.lead_minutes, tr))
        )
        lines.append(
            f"{format_dt(u.due, 'f')} ({format_dt(u.due, 'R')}) · {u.event.display_name} · {what}, {when}"
        )
    return lines


def describe_setup(setup: ReminderSetup, tr: Translate) -> str:
    leads = ", ".join(lead_words(m, tr) for m in setup.leads) or "—"
    kinds = ", ".join(kind_label(k, tr) for k in setup.kinds) or "—"
    lines = [
        tr("Channel: {channel}", channel=f"<#{setup.channel_id}>"),
        tr("Role pinged: {role}", role=f"<@&{setup.role_id}>" if setup.role_id else tr("none")),
        tr("Series: {series}", series=", ".join(setup.series) if setup.series else tr("all")),
        tr("Sessions: {kinds}", kinds=kinds),
        tr("Before each: {leads}", leads=leads),
        tr("Green flag post at the race start: {answer}", answer=tr("yes") if setup.green_flag else tr("no")),
    ]
    return "\n".join(lines)


def broken_text(setup: ReminderSetup, tr: Translate) -> str:
    assert setup.broken_at is not None
    return tr(
        "⚠️ Reminders stopped {when}: I could not post in <#{channel}> ({reason}). Check that the channel "
        "exists and that I can view it, send messages and embed links there, then run /reminders test.",
        when=format_dt(setup.broken_at, "R"),
        channel=setup.channel_id,
        reason=setup.broken_reason or "?",
    )
