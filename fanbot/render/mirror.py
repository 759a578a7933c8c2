"""What a mirrored race says on the server's Events tab: the Discord event's name,
location and description, in the server's language, inside Discord's limits.

Discord-free text: times are written with Discord's timestamp markup (``<t:…:F>``),
which every member's client shows in their own time zone. The description ends with
the race's marker (``mirror_plan.marker``), by which the bot knows its own events again.
"""

from __future__ import annotations

from datetime import datetime

from fanbot.domain.model import Session, SessionKind
from fanbot.domain.session_time import length_of
from fanbot.i18n import Translate, country_name
from fanbot.reminders.mirror_plan import MirrorPayload, Race, marker
from fanbot.render.lines import when_words
from fanbot.render.words import duration_words, labelled, length_words, session_label

# Discord's limits on a scheduled event.
NAME_LIMIT = 100
LOCATION_LIMIT = 100
DESCRIPTION_LIMIT = 1000
ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """Shorten one line to ``limit`` characters, at a word where one is near the end."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" ,;:·—-") + ELLIPSIS


def stamp(instant: datetime) -> str:
    """Discord's full date and time markup, shown in each reader's own zone."""
    return f"<t:{int(instant.timestamp())}:F>"


def event_name(race: Race, tr: Translate) -> str:
    """The event's name; a weekend with several races (the Asian Le Mans Series' double
    headers) names each: "4 Hours of Dubai · Race 2"."""
    races = [s for s in race.event.sessions if s.kind is SessionKind.RACE]
    name = race.event.display_name
    if len(races) > 1:
        number = next(i for i, s in enumerate(races, 1) if s.id == race.session.id)
        which = tr("Race {n}", n=number)
        name = f"{name} · {which}"
    return clip(name, NAME_LIMIT)


def location(race: Race, tr: Translate) -> str:
    """ "Circuit de la Sarthe, France": the circuit and its country, in the reader's language."""
    circuit = race.event.circuit
    parts = [circuit.name]
    if circuit.country:
        parts.append(country_name(circuit.country, tr.locale))
    return clip(", ".join(parts), LOCATION_LIMIT)


def _session_line(session: Session, tr: Translate) -> str:
    when = when_words(session.start, session.local_date, tr, tr.locale, timed=stamp)
    return labelled(session_label(session, tr), when, tr)


def description(race: Race, tr: Translate) -> str:
    """Every session's time, the length and how to watch, then the marker; at most 1,000
    characters. What does not fit goes whole, least useful first (sessions other than
    the race, earliest first, then the watch line, then the length), and "…" says so: no
    line is ever cut in the middle of a timestamp, and the marker always stays."""
    event = race.event
    head = clip(f"{event.series.name} ({event.series.code})", 200)
    # The store gives an event's sessions in the order they run.
    sessions = list(event.sessions)
    lines = [_session_line(s, tr) for s in sessions]
    extra = [race_length(race, tr)]
    if event.watch_url:
        extra.append(labelled(tr("How to watch"), clip(event.watch_url, 300), tr))
    lines += extra
    # Indexes into ``lines``, first to go first; the race's own line never goes.
    others = [i for i, s in enumerate(sessions) if s.id != race.session.id]
    drop = [i for i in others if sessions[i].kind is not SessionKind.RACE]
    drop += [i for i in others if sessions[i].kind is SessionKind.RACE]
    drop += list(range(len(lines) - 1, len(sessions) - 1, -1))  # the watch line, then the length
    hidden: set[int] = set()

    def build(header: str) -> str:
        shown = [line for i, line in enumerate(lines) if i not in hidden]
        if hidden:
            shown.insert(len([i for i in range(len(sessions)) if i not in hidden]), ELLIPSIS)
        return "\n".join([header, "", *shown, "", marker(race.key)])

    text = build(head)
    for index in drop:
        if len(text) <= DESCRIPTION_LIMIT:
            break
        hidden.add(index)
        text = build(head)
    if len(text) > DESCRIPTION_LIMIT:  # only the header and the race are left: shorten the header
        text = build(clip(head, max(1, DESCRIPTION_LIMIT - (len(text) - len(head)))))
    return text


def race_length(race: Race, tr: Translate) -> str:
    """ "Length: 6 hours" as published; else the length the end time was worked out
    from, said to be an estimate when no source gives it."""
    event = race.event
    if event.length:
        return labelled(tr("Length"), clip(length_words(event.length, tr), 200), tr)
    length = length_of(race.session, event)
    words = duration_words(length.minutes, tr)
    if length.estimated:
        words = tr("about {length} (estimate)", length=words)
    return labelled(tr("Length"), words, tr)


def mirror_payload(race: Race, tr: Translate) -> MirrorPayload:
    """The Discord event for a race, in the language of ``tr``."""
    return MirrorPayload(
        name=event_name(race, tr),
        description=description(race, tr),
        location=location(race, tr),
        start=race.start,
        end=race.end,
    )
