"""What every answer needs: the store, who is asking, and the time."""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any, TypeVar, cast

from fanbot.answers.errors import WHAT_CIRCUIT, WHAT_DRIVER, WHAT_EVENT, WHAT_SERIES, Ambiguous, NotFound
from fanbot.answers.lookup import Candidate, LayeredIndex, NameIndex, Resolution, Span
from fanbot.clock import Clock
from fanbot.domain.model import Circuit, Entry, Event, EventStatus, Series
from fanbot.domain.session_time import session_window
from fanbot.i18n import SUPPORTED, country_name
from fanbot.store import CalendarRow, Scope, Store

# Per-guild indexes hold only a guild's own names (the catalog's index is shared),
# so every guild of a large bot fits.
INDEX_CACHE_GUILDS = 8192
# Entry lists, circuit calendars and events kept for the answers asked most.
ANSWER_CACHE_SIZE = 2048

Token = tuple[int, int]
# A remark in an event's name: "24 Hours of Le Mans (93rd)".
_REMARK = re.compile(r"\([^()]*\)")
V = TypeVar("V")


def _recency(e: Event) -> tuple[int, float]:
    """Sort key, smaller first: undated events, then the most recent first (the order
    in which a guild's own events join the catalog's in a merged index)."""
    starts = []
    for s in e.sessions:
        if s.start is not None:
            starts.append(s.start.timestamp())
        elif s.local_date is not None:
            starts.append(datetime.combine(s.local_date, time(), UTC).timestamp())
    return (1, -min(starts)) if starts else (0, 0.0)


def _span(e: Event) -> Span | None:
    """From the earliest instant the event's first session may start to the latest its
    last may end (``domain.session_time``). A weekend with no date yet (moved, or not
    published) takes place some time in its season: it is still the edition to come, not
    one forgotten behind the last one run (Qatar 2026, moved to a day not yet announced)."""
    windows = [w for s in e.sessions if (w := session_window(s, e)) is not None]
    if not windows:
        if e.status is EventStatus.CANCELLED:
            return None
        season = datetime(e.season, 1, 1, tzinfo=UTC)
        return Span(season.timestamp(), season.replace(year=e.season + 1).timestamp())
    return Span(
        min(w.earliest_start for w in windows).timestamp(), max(w.latest_end for w in windows).timestamp()
    )


def _event_index(events: list[Event]) -> NameIndex[object]:
    items: list[tuple[str, object, list[str]]] = []
    # Most recent first: of equal scores, autocomplete lists the latest first.
    newest_first = list(reversed(events))
    for e in newest_first:
        label = f"{e.display_name} · {e.series.code}"
        # The name without its remarks ("(93rd)", "(name not yet published)": not names),
        # the race's other names (its aliases: translations, common forms) and its
        # circuit's, each alone and with the season: "24h du Mans", "le mans 2025", "Daytona".
        base = _REMARK.sub(" ", e.name).strip() or e.name
        names = [base, *e.aliases, e.circuit.name, *e.circuit.aliases]
        terms = [e.key, *names, *(f"{n} {e.season}" for n in names)]
        items.append((label[:100], e.id, terms))
    # A name without a year means the edition nearest now: the events at one circuit are
    # editions of one race (NameIndex.resolve).
    return NameIndex.build(
        items,
        order=[_recency(e) for e in newest_first],
        groups=[("circuit", e.circuit.id) for e in newest_first],
        spans=[_span(e) for e in newest_first],
        label_is_a_name=False,
    )


def _countries(c: Circuit) -> list[str]:
    """The circuit's country as the catalog writes it and as each language's readers see it
    ("United States", "États-Unis"): what is shown can be typed back."""
    if not c.country:
        return []
    return list(dict.fromkeys([c.country, *(country_name(c.country, locale) for locale in SUPPORTED)]))


def _circuit_index(circuits: list[Circuit]) -> NameIndex[object]:
    return NameIndex.build(
        [(c.name[:100], c.id, [c.key, *c.aliases, c.location or "", *_countries(c)]) for c in circuits],
        order=[c.name for c in circuits],
    )


def _driver_index(names: list[str]) -> NameIndex[object]:
    return NameIndex.build([(n[:100], n, []) for n in names], order=names)


class Lookups:
    """Fuzzy name indexes, rebuilt only when the store's names have changed.

    The catalog's indexes are built once and shared by every guild; a guild adds a
    small index of its own events, circuits and drivers (``LayeredIndex``). So a
    thousand guilds cost a thousand small indexes, not a thousand copies of the catalog,
    and a moderator's edit rebuilds small indexes only (``Store.change_token``).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: OrderedDict[tuple[str, Any], tuple[Token, Any]] = OrderedDict()
        # Builds under way: requests that arrive meanwhile wait for the same one (the
        # catalog's event index takes ~0.1 s; a burst must not build it once each).
        self._building: dict[tuple[str, Any], tuple[Token, asyncio.Task[tuple[Any, bool]]]] = {}
        self._answers: OrderedDict[tuple[str, Any], tuple[Token, Any]] = OrderedDict()
        self._circuits: dict[int, Circuit] = {}

    async def _index(
        self,
        kind: str,
        guild_id: int | None,
        token: Token,
        build: Callable[[], Awaitable[NameIndex[object]]],
    ) -> NameIndex[object]:
        return await self._remember(self._cache, INDEX_CACHE_GUILDS, (kind, guild_id), token, build)

    async def remember(
        self, key: tuple[str, Any], token: Token, build: Callable[[], Awaitable[NameIndex[object]]]
    ) -> NameIndex[object]:
        """A name index of another kind (the moderators' own-event index), kept like these."""
        return await self._remember(self._cache, INDEX_CACHE_GUILDS, key, token, build)

    async def _remember(
        self,
        cache: OrderedDict[tuple[str, Any], tuple[Token, Any]],
        size: int,
        key: tuple[str, Any],
        token: Token,
        build: Callable[[], Awaitable[V]],
    ) -> V:
        """What ``build`` gives, kept under ``key`` while the store's names say ``token``.

        Requests arriving while it is built wait for the same build. Something built while
        this process had a write open is not kept: it may hold what that write had not
        committed, and a moderator's preview rolls its write back."""
        hit = cache.get(key)
        if hit and hit[0] == token:
            cache.move_to_end(key)
            return cast(V, hit[1])
        pending = self._building.get(key)
        if pending is None or pending[0] != token:

            async def built() -> tuple[Any, bool]:
                # Kept only if no write of this process was open at any point of the build.
                clean = not self.store.writing
                begun = self.store.writes_begun
                value = await build()
                return value, clean and not self.store.writing and self.store.writes_begun == begun

            pending = (token, asyncio.ensure_future(built()))
            self._building[key] = pending
        task = pending[1]
        try:
            # shield: one asker giving up (a cancelled autocomplete) must not cancel the
            # build that others are waiting for.
            value, keep = await asyncio.shield(task)
        finally:
            if task.done() and self._building.get(key) == pending:
                del self._building[key]
        if keep:
            cache[key] = (token, value)
            cache.move_to_end(key)
            while len(cache) > size:
                cache.popitem(last=False)
        return cast(V, value)

    # Answers' data that only a write can change, for the commands asked most (/lineup,
    # /circuit): the store's name counters move with every write that could change them.

    async def entries(self, event: Event) -> list[Entry]:
        token = await self.store.change_token(event.guild_id)
        scope = Scope(event.guild_id)
        return await self._remember(
            self._answers,
            ANSWER_CACHE_SIZE,
            ("entries", (event.guild_id, event.id)),
            token,
            lambda: self.store.entries(scope, event.id),
        )

    async def circuit_calendar(self, scope: Scope, circuit_id: int) -> list[CalendarRow]:
        """The events the scope sees at a circuit, in date order: the catalog's part is
        shared by every guild, each guild's own part (mostly none) is read apart."""
        token = await self.store.change_token(scope.guild_id)
        shared = await self._remember(
            self._answers,
            ANSWER_CACHE_SIZE,
            ("circuit", (None, circuit_id)),
            (token[0], 0),
            lambda: self.store.circuit_calendar(circuit_id, None),
        )
        if scope.guild_id is None:
            return shared
        guild_id = scope.guild_id
        own = await self._remember(
            self._answers,
            ANSWER_CACHE_SIZE,
            ("circuit", (guild_id, circuit_id)),
            token,
            lambda: self.store.circuit_calendar(circuit_id, guild_id),
        )
        if not own:
            return shared
        # The catalog's races the guild's own events stand in for (a feed's weekends) go.
        hidden = {row.replaces for row in own if row.replaces is not None}
        return sorted([*(r for r in shared if r.event_id not in hidden), *own], key=lambda row: row.order)

    async def events_by_id(self, scope: Scope, ids: list[int]) -> list[Event]:
        """Events by id; the catalog's kept for every guild, a guild's own read each time."""
        token = await self.store.change_token(scope.guild_id)
        found: dict[int, Event] = {}
        for event_id in ids:
            event = await self._remember(
                self._answers,
                ANSWER_CACHE_SIZE,
                ("event", event_id),
                (token[0], 0),
                lambda event_id=event_id: self._catalog_event(event_id),  # type: ignore[misc]
            )
            if event is not None:
                found[event_id] = event
        rest = [i for i in ids if i not in found]
        found.update((e.id, e) for e in await self.store.events_by_id(scope, rest))
        return [found[i] for i in ids if i in found]

    async def _catalog_event(self, event_id: int) -> Event | None:
        return await self.store.event(Scope.catalog(), event_id)

    @staticmethod
    def _layered(catalog: NameIndex[object], own: NameIndex[object]) -> NameIndex[object]:
        return LayeredIndex(catalog, own) if own.candidates else catalog

    # The catalog's indexes follow the catalog's names only (token[0]); a guild's own
    # follow both (token), since what counts as its own depends on what the catalog has.

    async def events(self, scope: Scope) -> NameIndex[object]:
        token = await self.store.change_token(scope.guild_id)

        async def catalog_events() -> NameIndex[object]:
            return _event_index(await self.store.events(Scope.catalog()))

        catalog = await self._index("events", None, (token[0], 0), catalog_events)
        if scope.guild_id is None:
            return catalog
        guild_id = scope.guild_id

        async def own_events() -> NameIndex[object]:
            own = await self.store.own_events(guild_id)
            index = _event_index(own)
            # The catalog races the guild's own events stand in for (``Event.replaces_event_id``).
            index.hidden = frozenset(e.replaces_event_id for e in own if e.replaces_event_id)
            return index

        own = await self._index("events", guild_id, token, own_events)
        if not own.candidates:
            return catalog
        return LayeredIndex(catalog, own, own.hidden)

    async def series(self, scope: Scope) -> NameIndex[object]:
        # Series are shared by every guild: one index for all.
        token = await self.store.change_token(None)

        async def every_series() -> NameIndex[object]:
            return NameIndex.build([(s.code, s.code, [s.name]) for s in await self.store.series()])

        return await self._index("series", None, (token[0], 0), every_series)

    async def circuits(self, scope: Scope) -> NameIndex[object]:
        token = await self.store.change_token(scope.guild_id)

        async def catalog_circuits() -> NameIndex[object]:
            found = await self.store.circuits(Scope.catalog())
            self._circuits.update((c.id, c) for c in found)
            return _circuit_index(found)

        catalog = await self._index("circuits", None, (token[0], 0), catalog_circuits)
        if scope.guild_id is None:
            return catalog

        guild_id = scope.guild_id

        async def own_circuits() -> NameIndex[object]:
            mine = await self.store.own_circuits(guild_id)
            self._circuits.update((c.id, c) for c in mine)
            return _circuit_index(mine)

        return self._layered(catalog, await self._index("circuits", guild_id, token, own_circuits))

    def circuit(self, circuit_id: int) -> Circuit | None:
        """A circuit met while building the circuit indexes (they were just asked for)."""
        return self._circuits.get(circuit_id)

    async def drivers(self, scope: Scope) -> NameIndex[object]:
        token = await self.store.change_token(scope.guild_id)

        async def catalog_drivers() -> NameIndex[object]:
            return _driver_index(await self.store.driver_names(Scope.catalog()))

        catalog = await self._index("drivers", None, (token[0], 0), catalog_drivers)
        if scope.guild_id is None:
            return catalog
        guild_id = scope.guild_id

        async def own_drivers() -> NameIndex[object]:
            shared = {c.value for c in catalog.candidates}
            return _driver_index([n for n in await self.store.own_driver_names(guild_id) if n not in shared])

        return self._layered(catalog, await self._index("drivers", guild_id, token, own_drivers))


CHOICE_PREFIX = "id:"
# "WEC, IMSA", "WEC/IMSA", "WEC; IMSA", "WEC & IMSA": several names where one is wanted.
_LIST_SEPARATOR = re.compile(r"[,;/&+]")
_CHOICE = re.compile(r"^id:(\d{1,12})$")


def choice_value(row_id: int) -> str:
    """What an autocomplete choice sends back for a stored row: "id:24"."""
    return f"{CHOICE_PREFIX}{row_id}"


def chosen_id(text: str) -> int | None:
    """The row id in an autocomplete value; None for anything a person typed
    (a typed "24" is a name to look up, not a row id)."""
    match = _CHOICE.match(text.strip())
    return int(match.group(1)) if match else None


def one_of(
    found: Resolution[V],
    what: str,
    text: str,
    index: NameIndex[V],
    option: str,
    known: list[str] | None = None,
) -> Candidate[V]:
    """The one candidate ``found``; else a question back when several are as good
    (``Ambiguous``, to ask again with ``option``), or "no match" with the closest names
    (or, when none is close, the first ``known``)."""
    if found.found is not None:
        return found.found
    if found.alternatives:
        choices = [
            (c.label, choice_value(c.value) if isinstance(c.value, int) else str(c.value))
            for c in found.alternatives
        ]
        raise Ambiguous(what, text, choices, option)
    raise NotFound(what, text, index.suggestions(text) or (known or []))


@dataclass
class Asker:
    """One question's context: the store, the asking guild (or DM), and now."""

    store: Store
    scope: Scope
    clock: Clock
    lookups: Lookups

    @property
    def now(self) -> datetime:
        return self.clock.now()

    async def resolve_series(self, text: str | None) -> Series | None:
        """The one series ``text`` names. A list ("WEC, IMSA") names several: the answers
        take one, so the asker is asked which."""
        if text is None or not text.strip():
            return None
        index = await self.lookups.series(self.scope)
        parts = [p for p in _LIST_SEPARATOR.split(text) if p.strip()]
        if len(parts) > 1:
            named: list[Candidate[object]] = []
            for part in parts:
                found = index.resolve(part).found
                if found is None:
                    raise NotFound(WHAT_SERIES, part.strip(), index.suggestions(part))
                if found not in named:
                    named.append(found)
            if len(named) > 1:
                raise Ambiguous(WHAT_SERIES, text, [(c.label, str(c.value)) for c in named], "series")
            code = str(named[0].value)
        else:
            code = str(one_of(index.resolve(text), WHAT_SERIES, text, index, "series").value)
        return next(s for s in await self.store.series() if s.code == code)

    async def resolve_event(self, text: str) -> Event:
        """The event ``text`` names: an autocomplete choice's id, else the name as typed;
        a name without a year means the edition nearest now (``NameIndex.resolve``)."""
        wanted = chosen_id(text)  # an autocomplete choice carries the event id
        if wanted is not None:
            # Most commands arrive this way: no name index needed unless the id is gone.
            chosen = await self.store.event(self.scope, wanted)
            if chosen is not None:
                return chosen
        index = await self.lookups.events(self.scope)
        if wanted is None:
            wanted = int(str(one_of(index.resolve(text, self.now), WHAT_EVENT, text, index, "event").value))
        event = await self.store.event(self.scope, wanted)
        if event is None:
            raise NotFound(WHAT_EVENT, text, index.suggestions(text))
        return event

    async def resolve_circuit(self, text: str) -> Circuit:
        index = await self.lookups.circuits(self.scope)
        wanted = chosen_id(text)
        found = next((c for c in index.candidates if c.value == wanted), None) if wanted else None
        found = found or one_of(index.resolve(text), WHAT_CIRCUIT, text, index, "circuit")
        known = self.lookups.circuit(int(str(found.value)))
        if known is not None:
            return known
        return next(c for c in await self.store.circuits(self.scope) if c.id == found.value)

    async def resolve_driver(self, text: str) -> str:
        index = await self.lookups.drivers(self.scope)
        return str(one_of(index.resolve(text), WHAT_DRIVER, text, index, "driver").value)
