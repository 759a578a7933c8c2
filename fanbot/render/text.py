"""Answers as plain text for the console, in one locale and one display zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from fanbot.answers.calendar import RaceCard, Schedule
from fanbot.answers.errors import Ambiguous
from fanbot.answers.nextrace import NextRace
from fanbot.answers.people import CircuitCard, DriverCard, Lineup
from fanbot.answers.timing import SessionStatus
from fanbot.domain.labels import STATUS_SHOUTED
from fanbot.domain.model import Event, EventStatus, Session
from fanbot.domain.session_time import SessionState
from fanbot.i18n import Translate, format_day, format_local, translator
from fanbot.render.lines import entry_line, result_line, when_words
from fanbot.render.states import row_state, status_note
from fanbot.render.words import (
    appearance_line,
    countdown,
    edition_words,
    labelled,
    length_words,
    place,
    session_label,
)

# How a session's line starts, by where it stands.
MARK = {
    SessionState.DONE: "✓",
    SessionState.UNDER_WAY: "▶",
    SessionState.POSSIBLY_UNDER_WAY: "▶",
    SessionState.TO_COME: "•",
    SessionState.UNDATED: "?",
}


@dataclass(frozen=True)
class TextStyle:
    """How the console writes times: in ``zone`` (default UTC) and the circuit's own."""

    locale: str = "en"
    zone: str = "UTC"

    @property
    def tr(self) -> Translate:
        return translator(self.locale)


def session_line(session: Session, event: Event, style: TextStyle, state: SessionState | None = None) -> str:
    tr = style.tr

    def shown(start: datetime) -> str:
        text = format_local(start, style.zone, style.locale)
        if style.zone != event.circuit.timezone:
            local = format_local(start, event.circuit.timezone, style.locale)
            text += " " + tr("({local} local)", local=local.split(", ", 1)[-1])
        return text

    when = when_words(session.start, session.local_date, tr, style.locale, timed=shown, state=state)
    return labelled(session_label(session, tr), when, tr)


def status_line(status: SessionStatus, event: Event, style: TextStyle, now: datetime) -> str:
    """A session's line with where it stands: done, under way, or how long until it starts."""
    tr = style.tr
    line = session_line(status.session, event, style, status.state)
    note = status_note(status, tr, when=lambda instant: countdown(now, instant, tr))
    if note is None and status.state is SessionState.TO_COME and status.session.start is not None:
        note = countdown(now, status.session.start, tr)
    return f"{line} — {note}" if note else line


def event_heading(event: Event, style: TextStyle) -> list[str]:
    tr = style.tr
    lines = [f"{event.display_name} ({event.series.code})"]
    if event.status is not EventStatus.SCHEDULED:
        lines[0] += f" — {tr(STATUS_SHOUTED[event.status])}"
    circuit = event.circuit
    where = place(circuit, tr)
    lines.append(tr("Circuit: {name}", name=circuit.name) + (f" ({where})" if where else ""))
    if event.length:
        lines.append(tr("Length: {length}", length=length_words(event.length, tr)))
    return lines


def event_links(event: Event, style: TextStyle) -> list[str]:
    tr = style.tr
    lines = []
    if event.info_url:
        lines.append(tr("Info: {url}", url=event.info_url))
    if event.watch_url:
        lines.append(tr("Watch: {url}", url=event.watch_url))
    return lines


def render_next_race(answer: NextRace, style: TextStyle) -> str:
    tr = style.tr
    if answer.event is None:
        if answer.series:
            head = tr(
                "No {series} race is scheduled after {now}.",
                series=answer.series.code,
                now=format_local(answer.now, style.zone, style.locale),
            )
        else:
            head = tr(
                "No race is scheduled after {now}.", now=format_local(answer.now, style.zone, style.locale)
            )
        lines = [head]
        last = answer.last_event
        if last is not None:
            race = last.race
            when = ""
            if race and race.start:
                when = format_local(race.start, last.circuit.timezone, style.locale)
            elif race and race.local_date:
                when = format_day(race.local_date, style.locale)
            lines.append(
                tr(
                    "Last race: {name} ({series}) at {circuit}, {when}.",
                    name=last.display_name,
                    series=last.series.code,
                    circuit=last.circuit.name,
                    when=when,
                )
            )
        return "\n".join(lines)
    event = answer.event
    title = tr("Race weekend in progress") if answer.in_progress else tr("Next race")
    heading = event_heading(event, style)
    lines = [tr("{heading}: {name}", heading=title, name=heading[0]), *heading[1:]]
    for status in answer.sessions:
        if status.state is not SessionState.UNDATED:
            lines.append(f"  {MARK[status.state]} " + status_line(status, event, style, answer.now))
    lines += event_links(event, style)
    return "\n".join(lines)


def _day(day: date | None, style: TextStyle) -> str:
    return format_day(day, style.locale) if day else style.tr("date TBA")


def render_schedule(answer: Schedule, style: TextStyle) -> str:
    tr = style.tr
    who = answer.series.code if answer.series else tr("All series")
    if not answer.rows:
        seasons = ", ".join(str(s) for s in answer.seasons) or "—"
        return tr(
            "No events for {who} in {season}. Seasons on record: {seasons}.",
            who=who,
            season=answer.season_label or "—",
            seasons=seasons,
        )
    lines = [tr("{who} — season {season}", who=who, season=answer.season_label)]
    for row in answer.rows:
        e = row.event
        mark = "✓" if row.done else "▶" if row.under_way or row.possibly_under_way else "•"
        status = "" if e.status is EventStatus.SCHEDULED else f" [{tr(STATUS_SHOUTED[e.status])}]"
        series = "" if answer.series else f"{e.series.code} · "
        words = row_state(row, tr)
        state = f" — {words}" if words else ""
        lines.append(
            f"  {mark} {_day(row.race_day, style)} — {series}{e.name} ({e.circuit.name}){status}{state}"
        )
    return "\n".join(lines)


def render_race(answer: RaceCard, style: TextStyle, *, spoilers: bool = False) -> str:
    """The event in full; its results only with ``spoilers`` (the console's --spoilers):
    a terminal has no spoiler markup to hide them behind, as Discord does."""
    tr = style.tr
    event = answer.event
    lines = event_heading(event, style)
    lines.append(
        tr("Season {season}", season=answer.season_label)
        + (" · " + edition_words(event.edition, tr) if event.edition else "")
    )
    for status in answer.sessions:
        lines.append(f"  {MARK[status.state]} " + status_line(status, event, style, answer.now))
    if answer.entry_count:
        n = answer.entry_count
        lines.append(
            tr.ngettext("{n} entry on record (see /lineup).", "{n} entries on record (see /lineup).", n)
        )
    lines += event_links(event, style)
    if answer.results and not spoilers:
        lines.append(tr("Results are hidden (spoilers): add --spoilers to show them."))
    elif answer.results:
        lines.append(tr("Results (spoilers):"))
        lines += ["  " + result_line(r, tr) for r in answer.results]
    return "\n".join(lines)


def render_lineup(answer: Lineup, style: TextStyle) -> str:
    tr = style.tr
    lines = [tr("Entry list: {name}", name=answer.event.display_name)]
    if not answer.groups:
        lines.append(tr("No entries on record for this event."))
    for group in answer.groups:
        lines.append(f"{group.car_class} ({len(group.entries)})")
        lines += ["  " + entry_line(e, tr) for e in group.entries]
    return "\n".join(lines)


def render_circuit(answer: CircuitCard, style: TextStyle) -> str:
    tr = style.tr
    c = answer.circuit
    lines = [c.name]
    where = place(c, tr)
    if where:
        lines.append(tr("Location: {where}", where=where))
    lines.append(
        tr(
            "Time zone: {zone} — local time now {time}",
            zone=c.timezone,
            time=format_local(answer.now, c.timezone, style.locale),
        )
    )
    if c.length_km:
        lines.append(tr("Length: {km} km", km=tr.number(c.length_km)))
    lines.append(tr("Turns: {n}", n=c.turns if c.turns else tr("unknown")))
    for label, event in ((tr("Next event"), answer.next_event), (tr("Last event"), answer.last_event)):
        if event is not None:
            day = event.race.local_date if event.race else None
            lines.append(
                labelled(label, f"{event.display_name} ({event.series.code}), {_day(day, style)}", tr)
            )
        else:
            lines.append(labelled(label, tr("none on record"), tr))
    return "\n".join(lines)


def render_driver(answer: DriverCard, style: TextStyle) -> str:
    tr = style.tr
    lines = [
        tr.ngettext(
            "{name} — {n} entry on record",
            "{name} — {n} entries on record",
            len(answer.appearances),
            name=answer.name,
        )
    ]
    lines += ["  " + appearance_line(a, tr) for a in answer.appearances]
    return "\n".join(lines)


def render_ambiguous(error: Ambiguous, style: TextStyle) -> str:
    """A name that matches several things: the question, and the names to ask again with
    (each is found as written)."""
    tr = style.tr
    lines = [error.question(tr)]
    lines += [f"  • {label}" for label, _ in error.choices]
    lines.append(tr("Ask again with one of these names."))
    return "\n".join(lines)
