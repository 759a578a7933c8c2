"""What moderators read: previews of a change (``plan_embed``), an event as stored, what
changed (``change_line``, also in /event history), import previews and refusals.

Each session is shown twice: on the circuit's wall clock (what the organiser
publishes, and what moderators type) and with Discord's timestamps, in the reader's
own time.
"""

from __future__ import annotations

from datetime import date, datetime

import discord
from discord.utils import format_dt

from fanbot.answers import moderation as mod
from fanbot.answers.errors import AnswerError
from fanbot.bot.embeds.pages import COLOUR, TITLE_LIMIT, Pages, clip, page_label
from fanbot.domain.labels import SESSION_KIND, STATUS_IN_SENTENCE, STATUS_SHOUTED
from fanbot.domain.model import Entry, Event, EventStatus, Session, SessionKind
from fanbot.i18n import N_, Translate, format_local
from fanbot.render import lines
from fanbot.render.words import duration_words

# Names listed in an import preview; the counts above them are always complete.
IMPORT_LISTED = 25
# A change of /event history is cut to this, so that one long change leaves room for the others.
HISTORY_CHANGE_LIMIT = 420

TITLES = {
    "event.add": N_("Add {name}?"),
    "event.edit": N_("Change {name}?"),
    "event.postpone": N_("Postpone {name}?"),
    "event.cancel": N_("Cancel {name}?"),
    "event.remove": N_("Remove {name}?"),
    "session.add": N_("Add a session to {name}?"),
    "session.edit": N_("Move a session of {name}?"),
    "session.remove": N_("Remove a session of {name}?"),
}
DONE = {
    "event.add": N_("✅ Added {name}. Fans of this server now see it in /nextrace, /schedule and /race."),
    "event.edit": N_("✅ Saved the changes to {name}."),
    "event.postpone": N_("✅ {name} is marked postponed."),
    "event.cancel": N_("✅ {name} is marked cancelled; no reminder will be sent for it."),
    "event.remove": N_("🗑️ Removed {name}."),
    "session.add": N_("✅ Added the session to {name}."),
    "session.edit": N_("✅ Moved the session of {name}."),
    "session.remove": N_("🗑️ Removed the session of {name}."),
}


# ---------------------------------------------------------------------------- lines


def entry_line(entry: Entry, tr: Translate) -> str:
    """A car as moderators see it, its class with it: "**#6** [Hypercar] Team — Car: A, B"."""
    return lines.entry_line(entry, tr, bold=True, with_class=True)


def kind_key_label(key: str, tr: Translate) -> str:
    """ "practice-2" -> "Practice 2", in the reader's language."""
    base, _, number = key.partition("-")
    try:
        kind = SessionKind(base)
    except ValueError:
        return key
    return tr(SESSION_KIND[kind]) + (f" {number}" if number.isdigit() else "")


def circuit_and_reader_time(
    start: datetime | None, day: date | None, zone: str, tr: Translate, locale: str
) -> str:
    """When a session is: the circuit's wall clock (what the organiser publishes) and the
    reader's own time."""

    def timed(instant: datetime) -> str:
        reader = f"{format_dt(instant, 'F')} ({format_dt(instant, 'R')})"
        return f"{format_local(instant, zone, locale)} · {reader}"

    return lines.when_words(start, day, tr, locale, timed=timed)


def session_line(s: mod.PlannedSession | Session, zone: str, tr: Translate, locale: str) -> str:
    duration = s.duration if isinstance(s, mod.PlannedSession) else s.duration_minutes
    length = f" · {duration_words(duration, tr, short=True)}" if duration else ""
    when = circuit_and_reader_time(s.start, s.local_date, zone, tr, locale)
    return f"**{mod.session_name(s, tr)}** — {when}{length}"


def _status_in_sentence(value: str) -> str:
    try:
        return STATUS_IN_SENTENCE[EventStatus(value)]
    except ValueError:
        return value


def change_value(value: mod.ChangeValue, tr: Translate, *, status: bool = False) -> str:
    """One side of a change: text as it is (a status in the reader's words), a session's
    time on the circuit's clocks, entries or results one after another; "—" for nothing."""
    if value is None:
        return "—"
    if isinstance(value, mod.SessionWhen):
        return mod.when_in_message(value, tr)
    if isinstance(value, str):
        return tr(_status_in_sentence(value)) if status else value
    return "; ".join(
        lines.entry_line(item, tr, with_class=True) if isinstance(item, Entry) else lines.result_place(item)
        for item in value
    )


def change_line(change: mod.Change, tr: Translate) -> str:
    """ "Status: scheduled → postponed", in the reader's language."""
    label = kind_key_label(change.label, tr) if change.session else tr(change.label)
    status = change.label == mod.STATUS_LABEL
    before, after = (change_value(v, tr, status=status) for v in (change.before, change.after))
    return f"{label}: {before} → {after}"


# ---------------------------------------------------------------------------- embeds


def _heading(
    series: str, circuit_name: str, zone: str, season: int, status: EventStatus, tr: Translate
) -> list[str]:
    heading = [
        tr("Series: {series}", series=series),
        tr("Circuit: {name}", name=circuit_name) + f" ({zone})",
        tr("Season {season}", season=season),
    ]
    if status is not EventStatus.SCHEDULED:
        heading.append(f"**{tr(STATUS_SHOUTED[status])}**")
    return heading


def plan_embed(plan: mod.EventPlan, tr: Translate, locale: str) -> discord.Embed:
    """The preview: the event as it would be, each session in the circuit's time and the reader's."""
    heading = _heading(plan.series.code, plan.circuit.name, plan.zone, plan.season, plan.status, tr)
    for label, url in ((N_("Info"), plan.info_url), (N_("Watch"), plan.watch_url)):
        if url:
            heading.append(f"{tr(label)}: {url}")
    if plan.removing:
        heading.append(
            "\n"
            + tr(
                "This removes the event with its sessions, entry list and results; reminders of it "
                "stop. It cannot be undone."
            )
        )
    pages = Pages(tr(TITLES[plan.action], name=plan.name), "\n".join(heading))
    if plan.changes:
        pages.add_lines(tr("Changes"), [change_line(c, tr) for c in plan.changes], tr("(continued)"))
    session_lines = []
    for s in plan.sessions:
        line = session_line(s, plan.zone, tr, locale)
        if plan.before is not None and s.changed and not plan.removing:
            was = s.was
            line = "✏️ " + line
            if was is not None:
                line += "\n　" + tr(
                    "was: {when}",
                    when=circuit_and_reader_time(was.start, was.local_date, plan.zone, tr, locale),
                )
        session_lines.append(line)
    if not plan.removing:
        pages.add_lines(tr("Sessions (circuit time · your time)"), session_lines or ["—"], tr("(continued)"))
    removed = [session_line(s, plan.zone, tr, locale) for s in plan.removed_sessions]
    if removed:
        pages.add_lines(tr("Removed"), removed, tr("(continued)"))
    checks = [f"⚠️ {w.render(tr)}" for w in plan.warnings if w.check]
    if checks:
        pages.add_lines(tr("Check before confirming"), checks, "")
    notes = [f"ℹ️ {w.render(tr)}" for w in plan.warnings if not w.check]
    if notes:
        pages.add_lines(tr("Note"), notes, "")
    footer = tr("Nothing is saved until you press Confirm. The buttons expire in 10 minutes.")
    return pages.finish(footer, page_label(tr))[0]


def event_embed(event: Event, tr: Translate, locale: str, title: str | None = None) -> discord.Embed:
    """An event as it is stored now (after a save, or when someone changed it meanwhile)."""
    zone = event.circuit.timezone
    heading = _heading(event.series.code, event.circuit.name, zone, event.season, event.status, tr)
    pages = Pages(title or event.display_name, "\n".join(heading))
    pages.add_lines(
        tr("Sessions (circuit time · your time)"),
        [session_line(s, zone, tr, locale) for s in event.sessions] or ["—"],
        tr("(continued)"),
    )
    return pages.finish(None, page_label(tr))[0]


def error_embeds(exc: AnswerError, tr: Translate, locale: str) -> list[discord.Embed]:
    """What a refusal shows besides its text: the event as it is now, when it changed meanwhile."""
    if isinstance(exc, mod.ChangedMeanwhile):
        return [event_embed(exc.current, tr, locale, tr("Now: {name}", name=exc.current.display_name))]
    return []


def removal_embed(title: str, line: str) -> discord.Embed:
    """The preview of an entry or a result to remove: what goes, in one line."""
    return discord.Embed(title=clip(title, TITLE_LIMIT), description=line, colour=COLOUR)


def history_pages(history: mod.History, tr: Translate) -> list[discord.Embed]:
    """/event history: each audited change, newest first, with who made it and when."""
    pages = Pages(tr("History: {name}", name=history.name))
    if not history.lines:
        pages.description = tr("No changes recorded yet.")
    for line in history.lines:
        a = line.entry
        # A feed's change is the feed's (user 0), not a member's.
        who = tr("the feed") if a.action.startswith("feed.") else f"<@{a.user_id}>"
        parts = [f"{format_dt(a.at, 'f')} · {who}"]
        for c in line.changes:
            parts.append(clip(change_line(c, tr), HISTORY_CHANGE_LIMIT))
        pages.add_field(tr(mod.ACTIONS.get(a.action, a.action)), "\n".join(parts))
    return pages.finish(None, page_label(tr))


def import_embed(plan: mod.ImportPlan, tr: Translate) -> discord.Embed:
    pages = Pages(
        tr("Import {name}?", name=plan.filename),
        tr(
            "{new} new, {changed} changed, {unchanged} unchanged events.",
            new=len(plan.new),
            changed=len(plan.changed),
            unchanged=plan.unchanged,
        )
        + (" " + tr("{n} new circuits.", n=plan.circuits_new) if plan.circuits_new else ""),
    )
    for label, names in ((N_("New"), plan.new), (N_("Changed"), plan.changed)):
        if names:
            listed = [f"• {n}" for n in names[:IMPORT_LISTED]]
            if len(names) > IMPORT_LISTED:
                listed.append(tr("… and {n} more.", n=len(names) - IMPORT_LISTED))
            pages.add_lines(tr(label), listed, tr("(continued)"))
    footer = tr("Nothing is saved until you press Confirm. The buttons expire in 10 minutes.")
    return pages.finish(footer, page_label(tr))[0]


def import_refused_pages(exc: mod.ImportRefused, tr: Translate) -> list[discord.Embed]:
    """A file refused: every problem listed, over as many pages as it takes."""
    pages = Pages(tr(exc.message, **exc.fields))
    pages.add_lines(tr("Problems"), [f"• {p}" for p in exc.shown_problems(tr)], tr("(continued)"))
    return pages.finish(None, page_label(tr))
