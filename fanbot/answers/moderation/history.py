"""The audit history of a guild's event: who changed what, field by field, removed events too.

Each audit row keeps the event as it was and as it became (``store.editing``'s
snapshot dicts); ``describe_changes`` compares the two into ``Change`` values
that renderers write in the reader's language.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fanbot.answers.context import Asker
from fanbot.answers.errors import NotFound
from fanbot.answers.lookup import NameIndex
from fanbot.answers.moderation.finding import guild_of, resolve_own_event
from fanbot.answers.moderation.plans import STATUS_LABEL, Change, History, HistoryLine, SessionWhen
from fanbot.domain.model import Entry, Result
from fanbot.i18n import N_

# What each audited action is called in the history (keys are ``EventPlan.action`` and
# the store's own actions).
ACTIONS = {
    "event.add": N_("event added"),
    "event.edit": N_("event edited"),
    "event.postpone": N_("event postponed"),
    "event.cancel": N_("event cancelled"),
    "event.remove": N_("event removed"),
    "event.import": N_("event imported"),
    "event.import-update": N_("event updated by an import"),
    "session.add": N_("session added"),
    "session.edit": N_("session changed"),
    "session.remove": N_("session removed"),
    "entry.add": N_("entry added"),
    "entry.edit": N_("entry changed"),
    "entry.remove": N_("entry removed"),
    "result.set": N_("result recorded"),
    "result.remove": N_("result removed"),
    "circuit.add": N_("circuit added"),
    "settings.moderator-role": N_("moderator role set"),
    "feed.import": N_("event brought in by a feed"),
    "feed.update": N_("event updated by its feed"),
    "feed.remove": N_("event removed: its feed no longer lists it"),
}


async def event_history(asker: Asker, *, event: str) -> History:
    """Every audited change to one of the guild's events, newest first (removed events too)."""
    guild = guild_of(asker)
    editing = asker.store.editing
    try:
        found = await resolve_own_event(asker, event)
        key, name = found.key, found.display_name
    except NotFound:
        logged = await editing.audited_events(guild)
        index = NameIndex.build([(n[:100], k, [k]) for k, n in logged])
        hit = index.find(event)
        if hit is None:
            raise
        key, name = str(hit.value), hit.label
    rows = await editing.history(guild, event_key=key)
    return History(name, tuple(HistoryLine(r, describe_changes(r.before, r.after)) for r in rows))


def describe_changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[Change, ...]:
    """What an audit row changed, field by field: text, a session's time at the circuit,
    the entries and results that went and came; None where there was nothing."""
    if before is None or after is None:
        return ()
    changes: list[Change] = []
    for label, name in (
        (N_("Name"), "name"),
        (N_("Series"), "series"),
        (N_("Circuit"), "circuit"),
        (N_("Season"), "season"),
        (N_("Length"), "length"),
        (STATUS_LABEL, "status"),
        (N_("Info"), "info_url"),
        (N_("Watch"), "watch_url"),
    ):
        old_value, new_value = before.get(name), after.get(name)
        if old_value != new_value:
            changes.append(Change(label, _text(old_value), _text(new_value)))
    old = {s["key"]: s for s in before.get("sessions", [])}
    new = {s["key"]: s for s in after.get("sessions", [])}
    for key in dict.fromkeys([*old, *new]):
        a, b = old.get(key), new.get(key)
        if a != b:
            changes.append(
                Change(
                    key,
                    _session_when(a, before.get("timezone")),
                    _session_when(b, after.get("timezone")),
                    session=True,
                )
            )
    gone, came = _went_and_came(before, after, "entries")
    if gone or came:
        changes.append(
            Change(N_("Entries"), _entries(gone) or None, _entries(came) or None),
        )
    gone, came = _went_and_came(before, after, "results")
    if gone or came:
        changes.append(
            Change(N_("Results"), _results(gone) or None, _results(came) or None),
        )
    return tuple(changes)


def _text(value: Any) -> str | None:
    """A field as text ("2027" for the season); an empty one is None."""
    return str(value) if value else None


def _went_and_came(
    before: dict[str, Any], after: dict[str, Any], part: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of ``part`` only ``before`` has, and those only ``after`` has."""
    old, new = before.get(part, []), after.get(part, [])
    return [x for x in old if x not in new], [x for x in new if x not in old]


def _session_when(s: dict[str, Any] | None, zone: Any) -> SessionWhen | None:
    """A snapshot's session on the circuit's clocks; None when there was no such session."""
    if s is None:
        return None
    where = str(zone or "UTC")
    if s.get("start_at"):
        return SessionWhen(datetime.fromisoformat(str(s["start_at"]).replace("Z", "+00:00")), None, where)
    if s.get("local_date"):
        return SessionWhen(None, date.fromisoformat(str(s["local_date"])), where)
    return SessionWhen(None, None, where)


def _entries(rows: list[dict[str, Any]]) -> tuple[Entry, ...]:
    # The audit log keeps no entry id (0 here), nor the entry's source and notes.
    return tuple(
        Entry(
            0,
            None if e.get("number") is None else str(e["number"]),
            e.get("class") or None,
            e.get("team") or None,
            e.get("car") or None,
            tuple(str(d) for d in e.get("drivers") or ()),
        )
        for e in rows
    )


def _results(rows: list[dict[str, Any]]) -> tuple[Result, ...]:
    # The audit log keeps no result source.
    return tuple(
        Result(
            str(r.get("class") or ""),
            int(r.get("position") or 0),
            None if r.get("number") is None else str(r["number"]),
            str(r.get("description") or ""),
        )
        for r in rows
    )
