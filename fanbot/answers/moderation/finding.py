"""Finding what a moderator names: the guild's own events (never a catalog one), circuits,
series and an event's sessions; and the guild a moderation answer works on.

Lookups here are stricter than the fans': a change must not land on the wrong event.
"""

from __future__ import annotations

from fanbot.answers.context import Asker, chosen_id
from fanbot.answers.errors import WHAT_EVENT, WHAT_SERIES, AnswerError, NotFound
from fanbot.answers.lookup import MATCH_SCORE, NameIndex, fold_name
from fanbot.answers.moderation.errors import (
    WHAT_SESSION,
    CatalogEventRefused,
    ChangedMeanwhile,
    RemovedMeanwhile,
    UnknownCircuit,
)
from fanbot.calendar_files.build import slug
from fanbot.domain.model import Circuit, Event, Series, Session


def guild_of(asker: Asker) -> int:
    """The guild a moderation answer works on; moderation is never asked outside one."""
    guild = asker.scope.guild_id
    if guild is None:
        raise RuntimeError("moderation needs a guild scope")
    return guild


async def _own_event_index(asker: Asker) -> NameIndex[object]:
    """Fuzzy index of the guild's own events, kept with the fans' indexes (``Lookups``)
    until the guild's names change."""
    guild = guild_of(asker)

    async def build() -> NameIndex[object]:
        items: list[tuple[str, object, list[str]]] = []
        # Most recent first, as in the fans' lookup: suggestions name the latest first.
        for e in reversed(await asker.store.own_events(guild)):
            terms = [e.name, f"{e.name} {e.season}", e.key, f"{e.circuit.name} {e.season}"]
            items.append((f"{e.display_name} · {e.series.code}"[:100], e.id, terms))
        return NameIndex.build(items)

    return await asker.lookups.remember(
        ("moderation-events", guild), await asker.store.change_token(guild), build
    )


def _pick(index: NameIndex[object], text: str) -> object | None:
    """The one candidate ``text`` means, stricter than the fans' lookup: a change must not
    land on the wrong event, so a near tie between two names is no match at all."""
    wanted = chosen_id(text)
    if wanted is not None:
        return wanted
    folded = fold_name(text)  # as the index folds its names
    exact = [c for c in index.candidates if folded in c.terms or text == c.label]
    if len(exact) == 1:
        return exact[0].value
    ranked = index.ranked(text, limit=2)
    if (
        not exact
        and ranked
        and ranked[0][1] >= MATCH_SCORE
        and (len(ranked) == 1 or ranked[0][1] > ranked[1][1])
    ):
        return ranked[0][0].value
    return None


async def resolve_own_event(asker: Asker, text: str) -> Event:
    """The guild's own event ``text`` names; a catalog event is refused by name."""
    guild = asker.scope.guild_id
    index = await _own_event_index(asker)
    wanted = _pick(index, text)
    event = await asker.store.event(asker.scope, int(str(wanted))) if wanted is not None else None
    if event is None:
        shared = _pick(await asker.lookups.events(asker.scope), text)
        other = await asker.store.event(asker.scope, int(str(shared))) if shared is not None else None
        if other is not None and other.guild_id is None:
            raise CatalogEventRefused(name=other.display_name)
        raise NotFound(WHAT_EVENT, text, index.suggestions(text))
    if event.guild_id != guild:
        raise CatalogEventRefused(name=event.display_name)
    return event


async def own_event_with_version(asker: Asker, text: str) -> tuple[Event, int]:
    """The guild's own event and its version, read in that order: should the event change in
    between, the commit sees a newer version and refuses, rather than overwrite the change."""
    found = await resolve_own_event(asker, text)
    version = await asker.store.editing.version(guild_of(asker), found.id)
    again = await asker.store.event(asker.scope, found.id)
    if version is None or again is None:
        raise RemovedMeanwhile(name=found.display_name)
    return again, version


async def meanwhile_error(asker: Asker, before: Event) -> AnswerError:
    """What to say when a write finds ``before`` changed since the preview: removed, or
    changed (with the event as it is now)."""
    current = await asker.store.event(asker.scope, before.id)
    if current is None or current.guild_id != asker.scope.guild_id:
        return RemovedMeanwhile(name=before.display_name)
    return ChangedMeanwhile(before.display_name, current)


async def own_event_choices(asker: Asker, typed: str, limit: int = 25) -> list[tuple[str, int]]:
    """(label, event id) of the guild's own events, for autocomplete."""
    index = await _own_event_index(asker)
    return [(c.label, int(str(c.value))) for c in index.choices(typed, limit)]


async def resolve_circuit(asker: Asker, text: str) -> Circuit:
    try:
        return await asker.resolve_circuit(text)
    except NotFound as exc:
        raise UnknownCircuit(text, exc.suggestions) from exc


async def resolve_series(asker: Asker, text: str) -> Series:
    found = await asker.resolve_series(text)
    if found is None:
        raise NotFound(WHAT_SERIES, text, [s.code for s in await asker.store.series()])
    return found


def find_session(event: Event, text: str) -> Session:
    """A session of ``event`` by key ("practice-2"), label ("Practice 2") or kind ("race")."""
    wanted = text.strip().lower()
    by_key = {s.key: s for s in event.sessions}
    if wanted in by_key:
        return by_key[wanted]
    slugged = slug(wanted)
    candidates = [s for s in event.sessions if slug(s.key.replace("-", " ")) == slugged or s.key == slugged]
    if not candidates:
        labels = {s.key: s for s in event.sessions}
        # "practice 2" -> "practice-2"; "warm-up" -> "warmup"
        candidates = [labels[k] for k in (slugged, slugged.replace("-", "")) if k in labels]
    if len(candidates) == 1:
        return candidates[0]
    raise NotFound(WHAT_SESSION, text, [s.key for s in event.sessions])
