"""What every answer needs: the store, who is asking, and the time."""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from fanbot.answers.errors import WHAT_CIRCUIT, WHAT_DRIVER, WHAT_EVENT, WHAT_SERIES, NotFound
from fanbot.answers.lookup import NameIndex
from fanbot.clock import Clock
from fanbot.domain.model import Circuit, Event, Series
from fanbot.store import Scope, Store

INDEX_CACHE_GUILDS = 512


class Lookups:
    """Fuzzy name indexes per scope, rebuilt only when the store has changed."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: OrderedDict[tuple[str, int | None], tuple[tuple[int, int], NameIndex[object]]] = (
            OrderedDict()
        )

    async def _cached(self, kind: str, scope: Scope) -> NameIndex[object] | None:
        hit = self._cache.get((kind, scope.guild_id))
        # The token also moves when another process (fanbot import) commits.
        if hit and hit[0] == await self.store.change_token():
            self._cache.move_to_end((kind, scope.guild_id))
            return hit[1]
        return None

    async def _keep(self, kind: str, scope: Scope, index: NameIndex[object]) -> None:
        self._cache[(kind, scope.guild_id)] = (await self.store.change_token(), index)
        while len(self._cache) > INDEX_CACHE_GUILDS:
            self._cache.popitem(last=False)

    async def events(self, scope: Scope) -> NameIndex[object]:
        index = await self._cached("events", scope)
        if index is None:
            items: list[tuple[str, object, list[str]]] = []
            # Most recent first: with no year typed, "spa" means the latest Spa.
            for e in reversed(await self.store.events(scope)):
                base = e.name.split(" (")[0]
                label = f"{e.display_name} · {e.series.code}"
                terms = [e.name, f"{base} {e.season}", e.key, f"{e.circuit.name} {e.season}"]
                terms += [f"{alias} {e.season}" for alias in e.circuit.aliases]
                items.append((label[:100], e.id, terms))
            index = NameIndex.build(items)
            await self._keep("events", scope, index)
        return index

    async def series(self, scope: Scope) -> NameIndex[object]:
        index = await self._cached("series", scope)
        if index is None:
            index = NameIndex.build([(s.code, s.code, [s.name]) for s in await self.store.series()])
            await self._keep("series", scope, index)
        return index

    async def circuits(self, scope: Scope) -> NameIndex[object]:
        index = await self._cached("circuits", scope)
        if index is None:
            index = NameIndex.build(
                [
                    (c.name[:100], c.id, [c.key, *c.aliases, c.location or ""])
                    for c in await self.store.circuits(scope)
                ]
            )
            await self._keep("circuits", scope, index)
        return index

    async def drivers(self, scope: Scope) -> NameIndex[object]:
        index = await self._cached("drivers", scope)
        if index is None:
            index = NameIndex.build([(n[:100], n, []) for n in await self.store.driver_names(scope)])
            await self._keep("drivers", scope, index)
        return index


CHOICE_PREFIX = "id:"
_CHOICE = re.compile(r"^id:(\d{1,12})$")


def choice_value(row_id: int) -> str:
    """What an autocomplete choice sends back for a stored row: "id:24"."""
    return f"{CHOICE_PREFIX}{row_id}"


def chosen_id(text: str) -> int | None:
    """The row id in an autocomplete value; None for anything a person typed
    (a typed "24" is a name to look up, not a row id)."""
    match = _CHOICE.match(text.strip())
    return int(match.group(1)) if match else None


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
        if text is None or not text.strip():
            return None
        index = await self.lookups.series(self.scope)
        found = index.find(text)
        if found is None:
            raise NotFound(WHAT_SERIES, text, index.suggestions(text))
        code = str(found.value)
        return next(s for s in await self.store.series() if s.code == code)

    async def resolve_event(self, text: str) -> Event:
        index = await self.lookups.events(self.scope)
        wanted = chosen_id(text)  # an autocomplete choice carries the event id
        if wanted is None:
            found = index.find(text)
            wanted = int(str(found.value)) if found else None
        event = await self.store.event(self.scope, wanted) if wanted is not None else None
        if event is None:
            raise NotFound(WHAT_EVENT, text, index.suggestions(text))
        return event

    async def resolve_circuit(self, text: str) -> Circuit:
        index = await self.lookups.circuits(self.scope)
        wanted = chosen_id(text)
        found = next((c for c in index.candidates if c.value == wanted), None) if wanted else None
        found = found or index.find(text)
        if found is None:
            raise NotFound(WHAT_CIRCUIT, text, index.suggestions(text))
        return next(c for c in await self.store.circuits(self.scope) if c.id == found.value)

    async def resolve_driver(self, text: str) -> str:
        index = await self.lookups.drivers(self.scope)
        found = index.find(text)
        if found is None:
            raise NotFound(WHAT_DRIVER, text, index.suggestions(text))
        return str(found.value)
