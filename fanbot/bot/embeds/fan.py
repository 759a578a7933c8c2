"""The fans' answers (/nextrace /schedule /race /lineup /circuit /driver /help) as Discord embeds.

Every instant is written with Discord's timestamp markup (``<t:…:F>`` and
``<t:…:R>``) so each reader sees it in their own time zone. Long answers are
cut into pages (``pages.Pages``), never mid-entry.
"""

from __future__ import annotations

from datetime import datetime, time

import discord
from discord.utils import format_dt

from fanbot.answers.calendar import RaceCard, Schedule, ScheduleRow
from fanbot.answers.nextrace import NextRace
from fanbot.answers.people import CircuitCard, DriverCard, Lineup
from fanbot.answers.timing import SessionStatus, session_status
from fanbot.bot.embeds.pages import Pages, page_label
from fanbot.commands import COMMANDS
from fanbot.domain.labels import STATUS_SHOUTED
from fanbot.domain.localtime import local_to_utc
from fanbot.domain.model import Event, EventStatus, Session
from fanbot.domain.session_time import SessionState
from fanbot.i18n import Translate
from fanbot.render.lines import entry_line, result_line, when_words
from fanbot.render.states import row_state, status_note
from fanbot.render.words import (
    appearance_line,
    edition_words,
    length_words,
    place,
    session_label,
)


def session_text(
    session: Session, tr: Translate, locale: str, *, relative: bool = True, state: SessionState | None = None
) -> str:
    """ "**Race** — <t:…:F> (<t:…:R>)": a session's kind and when it is, in the reader's zone
    (without the countdown unless ``relative``)."""

    def timed(start: datetime) -> str:
        return format_dt(start, "F") + (f" ({format_dt(start, 'R')})" if relative else "")

    when = when_words(session.start, session.local_date, tr, locale, timed=timed, state=state)
    return f"**{session_label(session, tr)}** — {when}"


def status_text(status: SessionStatus, tr: Translate, locale: str) -> str:
    """A session's line with where it stands; Discord writes each instant in the reader's zone."""
    to_come = status.state is SessionState.TO_COME
    text = session_text(status.session, tr, locale, relative=to_come, state=status.state)
    note = status_note(status, tr, when=lambda instant: format_dt(instant, "R"))
    return f"{text} — **{note}**" if note and status.running else f"{text} — {note}" if note else text


def _heading_lines(event: Event, tr: Translate) -> list[str]:
    c = event.circuit
    where = place(c, tr)
    lines = [
        f"**{event.series.name}** ({event.series.code})",
        tr("Circuit: {name}", name=c.name) + (f" — {where}" if where else ""),
    ]
    if event.length:
        lines.append(tr("Length: {length}", length=length_words(event.length, tr)))
    if event.status is not EventStatus.SCHEDULED:
        lines.append(f"**{tr(STATUS_SHOUTED[event.status])}**")
    return lines


def _links(event: Event, tr: Translate) -> str | None:
    links = []
    if event.info_url:
        links.append("[" + tr("Info") + f"]({event.info_url})")
    if event.watch_url:
        links.append("[" + tr("Watch") + f"]({event.watch_url})")
    return " · ".join(links) or None


def next_race_pages(answer: NextRace, tr: Translate, locale: str) -> list[discord.Embed]:
    if answer.event is None:
        title = (
            tr("No {series} race is scheduled", series=answer.series.code)
            if answer.series
            else tr("No race is scheduled")
        )
        pages = Pages(title)
        last = answer.last_event
        if last is not None and last.race is not None:
            pages.description = tr(
                "Last race: {name} ({series}) at {circuit}.",
                name=last.display_name,
                series=last.series.code,
                circuit=last.circuit.name,
            )
            pages.add_field(tr("When"), session_text(last.race, tr, locale, relative=False))
        return pages.finish(None, page_label(tr))
    event = answer.event
    heading = tr("Race weekend in progress") if answer.in_progress else tr("Next race")
    pages = Pages(
        tr("{heading}: {name}", heading=heading, name=event.display_name),
        "\n".join(_heading_lines(event, tr)),
    )
    done = [s for s in answer.sessions if s.state is SessionState.DONE]
    if done:
        pages.add_lines(
            tr("Done"),
            [session_text(s.session, tr, locale, relative=False, state=s.state) for s in done],
            tr("(continued)"),
        )
    lines = [status_text(s, tr, locale) for s in answer.sessions if s.current]
    pages.add_lines(tr("Sessions"), lines, tr("(continued)"))
    links = _links(event, tr)
    if links:
        pages.add_field(tr("Links"), links)
    return pages.finish(tr("Times are shown in your own time zone."), page_label(tr))


def race_day_stamp(row: ScheduleRow) -> str | None:
    """The race day as Discord date markup, so each reader sees the date where they are
    (a race at 11:30 in Georgia is already the next day in Tokyo). A race known only by
    its day is placed at noon at the circuit: the date most of the world shares."""
    race = row.event.race
    if race is not None and race.start is not None:
        return format_dt(race.start, "D")
    if row.race_day is None:
        return None
    return format_dt(local_to_utc(row.race_day, time(12), row.event.circuit.timezone), "D")


def schedule_pages(answer: Schedule, tr: Translate, locale: str) -> list[discord.Embed]:
    who = answer.series.code if answer.series else tr("All series")
    if not answer.rows:
        pages = Pages(tr("{who} — season {season}", who=who, season=answer.season_label or "—"))
        pages.description = tr(
            "No events for {who} in {season}. Seasons on record: {seasons}.",
            who=who,
            season=answer.season_label or "—",
            seasons=", ".join(str(s) for s in answer.seasons) or "—",
        )
        return pages.finish(None, page_label(tr))
    pages = Pages(tr("{who} — season {season}", who=who, season=answer.season_label))
    lines = []
    for row in answer.rows:
        e = row.event
        day = race_day_stamp(row) or tr("date TBA")
        series = "" if answer.series else f"{e.series.code} · "
        status = "" if e.status is EventStatus.SCHEDULED else f" **{tr(STATUS_SHOUTED[e.status])}**"
        mark = "✅" if row.done else "▶️" if row.under_way or row.possibly_under_way else "🏁"
        words = row_state(row, tr)
        done = "" if words is None else f" — {words}" if row.done else f" — **{words}**"
        lines.append(f"{mark} {day} — {series}{e.name} · {e.circuit.name}{status}{done}")
    pages.add_lines(tr("Calendar"), lines, tr("(continued)"))
    return pages.finish(None, page_label(tr))


def race_pages(answer: RaceCard, tr: Translate, locale: str) -> list[discord.Embed]:
    event = answer.event
    lines = _heading_lines(event, tr)
    lines.append(
        tr("Season {season}", season=answer.season_label)
        + (" · " + edition_words(event.edition, tr) if event.edition else "")
    )
    pages = Pages(event.display_name, "\n".join(lines))
    pages.add_lines(
        tr("Sessions"), [status_text(s, tr, locale) for s in answer.sessions] or ["—"], tr("(continued)")
    )
    if answer.entry_count:
        n = answer.entry_count
        entries = tr.ngettext("{n} entry on record (see /lineup).", "{n} entries on record (see /lineup).", n)
        pages.add_field(tr("Entries"), entries)
    links = _links(event, tr)
    if links:
        pages.add_field(tr("Links"), links)
    if answer.results:
        # Spoiler markup: a fan who has not watched yet is not told by accident.
        result_lines = [result_line(r, tr, spoiler=True) for r in answer.results]
        pages.add_lines(tr("Results (spoilers)"), result_lines, tr("(continued)"))
    return pages.finish(None, page_label(tr))


def lineup_pages(answer: Lineup, tr: Translate, locale: str) -> list[discord.Embed]:
    pages = Pages(
        tr("Entry list: {name}", name=answer.event.display_name),
        tr.ngettext("{n} entry", "{n} entries", answer.entry_count),
    )
    if not answer.groups:
        pages.description = tr("No entries on record for this event.")
    for group in answer.groups:
        pages.add_lines(
            f"{group.car_class} ({len(group.entries)})",
            [entry_line(e, tr, bold=True) for e in group.entries],
            tr("(continued)"),
        )
    return pages.finish(None, page_label(tr))


def circuit_pages(answer: CircuitCard, tr: Translate, locale: str) -> list[discord.Embed]:
    c = answer.circuit
    pages = Pages(c.name, place(c, tr))
    pages.add_field(tr("Time zone"), c.timezone, inline=True)
    pages.add_field(tr("Local time now"), answer.local_now.strftime("%H:%M %Z"), inline=True)
    length = tr("{km} km", km=tr.number(c.length_km)) if c.length_km else tr.pgettext("length", "unknown")
    pages.add_field(tr("Length"), length, inline=True)
    pages.add_field(tr("Turns"), str(c.turns) if c.turns else tr("unknown"), inline=True)
    for label, event in ((tr("Next event"), answer.next_event), (tr("Last event"), answer.last_event)):
        if event is None:
            pages.add_field(label, tr("none on record"))
            continue
        race = event.race
        state = session_status(race, event, answer.now).state if race else None
        when = session_text(race, tr, locale, relative=False, state=state) if race else tr("date TBA")
        pages.add_field(label, f"{event.display_name} ({event.series.code})\n{when}")
    return pages.finish(None, page_label(tr))


def driver_pages(answer: DriverCard, tr: Translate, locale: str) -> list[discord.Embed]:
    count = tr.ngettext("{n} entry on record", "{n} entries on record", len(answer.appearances))
    pages = Pages(answer.name, count)
    lines = [appearance_line(a, tr, bold=True) for a in answer.appearances]
    if lines:
        pages.add_lines(tr("Entries"), lines, tr("(continued)"))
    return pages.finish(None, page_label(tr))


def help_pages(tr: Translate) -> list[discord.Embed]:
    """/help: every fan command with what it answers and an example."""
    pages = Pages(tr("fanbot answers these commands:"))
    for spec in COMMANDS.values():
        pages.add_field(f"/{spec.name}", f"{tr(spec.description)}\n`{spec.example}`")
    return pages.finish(tr("Times are shown in your own time zone."), page_label(tr))
