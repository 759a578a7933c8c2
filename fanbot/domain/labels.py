"""What the model's kinds and statuses are called: one table per concept.

The values are gettext message ids, which are also the English words; every
renderer, the moderators' previews and the calendar files (which are written in
English) read them from here and translate where a reader is known.
"""

from __future__ import annotations

from fanbot.domain.model import EventStatus, SessionKind
from fanbot.i18n import N_

# A session's kind as a title: "Qualifying", "Warm-up".
SESSION_KIND = {
    SessionKind.PRACTICE: N_("Practice"),
    SessionKind.QUALIFYING: N_("Qualifying"),
    SessionKind.HYPERPOLE: N_("Hyperpole"),
    SessionKind.WARMUP: N_("Warm-up"),
    SessionKind.RACE: N_("Race"),
    SessionKind.OTHER: N_("Session"),
}

# An event's status where it stands out (a heading, a calendar row): "POSTPONED".
STATUS_SHOUTED = {
    EventStatus.SCHEDULED: N_("scheduled"),
    EventStatus.POSTPONED: N_("POSTPONED"),
    EventStatus.CANCELLED: N_("CANCELLED"),
}

# An event's status inside a sentence ("Status: scheduled → postponed").
STATUS_IN_SENTENCE = {
    EventStatus.SCHEDULED: N_("scheduled"),
    EventStatus.POSTPONED: N_("postponed"),
    EventStatus.CANCELLED: N_("cancelled"),
}
