"""The words of a correction: what a reminder announced no longer holds.

Discord-side, because the new time is written as Discord timestamps (``<t:…>``),
which every reader's app shows in their own zone and as a countdown."""

from __future__ import annotations

from discord.utils import format_dt

from fanbot.i18n import Translate
from fanbot.reminders.corrections import Correction
from fanbot.render.words import session_label


def correction_text(c: Correction, tr: Translate) -> str:
    kind = session_label(c.session, tr)
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
