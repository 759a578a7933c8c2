"""A reminder's words: how long before, and the headline a phone notification shows."""

from __future__ import annotations

from fanbot.domain.model import Event, Session
from fanbot.i18n import Translate
from fanbot.render.words import duration_words, session_label


def lead_words(minutes: int, tr: Translate) -> str:
    """60 -> "1 hour", 1440 -> "24 hours", 10 -> "10 minutes" (plural forms by the
    language's rule, through ``words.duration_words``)."""
    return duration_words(minutes, tr)


def reminder_headline(event: Event, session: Session, lead_minutes: int, tr: Translate) -> str:
    """ "6 Hours of Spa: Race starts in 1 hour", or the green flag when ``lead_minutes`` is 0."""
    kind = session_label(session, tr)
    name = event.display_name
    if lead_minutes == 0:
        return tr("Green flag! {event}: the {kind} has started", event=name, kind=kind.lower())
    return tr("{event}: {kind} starts in {lead}", event=name, kind=kind, lead=lead_words(lead_minutes, tr))
