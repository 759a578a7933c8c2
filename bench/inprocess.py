"""The answers without Discord: the store's share of a command's latency, on each backend.

The latency benchmark times a command from the interaction to its callback, with discord.py,
the network and the rendering in it. This one calls the same answers (``next_race``,
``lineup``, ``circuit``, the events index behind the autocomplete) in this process on the
grown store, and counts the trips each makes to the database (every ``rows``, ``scan`` and
``fetch_all`` of ``store.database``), to say how much of a difference between SQLite and
PostgreSQL is the store's: trips per call × the time of one trip.

Calls come from guilds drawn at random, as in the latency benchmark, so per-guild indexes
are built as often; a warm-up first, as there.
"""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from bench.dataset import guild_id
from bench.harness import StoreTarget
from bench.latency import AUTOCOMPLETE_TYPED, CIRCUIT_TYPED, event_ids_with_lineups
from bench.stats import Spread
from fanbot.answers.context import Asker, Lookups
from fanbot.answers.nextrace import next_race
from fanbot.answers.people import circuit, lineup
from fanbot.clock import SystemClock
from fanbot.store import Scope, Store

WARMUP = 30
# One trip with nothing to read: what the backend costs before any query does work.
TRIP_SQL = "SELECT 1"
SQL_SHOWN = 90


@dataclass
class StoreCalls:
    """One command's calls on one store: in-process time, and database trips per call, the
    time spent in them, and the read that took most of it."""

    ms: Spread
    trips_per_call: float
    db_ms_per_call: float
    slowest_sql: str
    slowest_ms_per_call: float


@dataclass
class InProcess:
    calls: int
    trip_ms: dict[str, Spread]  # store -> one bare round trip (SELECT 1)
    commands: dict[str, dict[str, StoreCalls]]  # command -> store -> figures


@dataclass
class Trips:
    """The reads counted while they are switched on: how many, and the time each SQL took."""

    count: int = 0
    ms_by_sql: dict[str, float] = field(default_factory=dict)
    # Reads open now: one backend's read may go through another of its methods (SQLite's
    # ``rows`` through ``scan``, its ``stream`` too), and only the outer one is a read. The
    # answers are called one at a time, so nothing else is open meanwhile.
    depth: int = 0

    def reset(self) -> None:
        self.count = 0
        self.ms_by_sql = {}

    def add(self, sql: str, ms: float) -> None:
        self.count += 1
        key = " ".join(sql.split())[:SQL_SHOWN]
        self.ms_by_sql[key] = self.ms_by_sql.get(key, 0.0) + ms


def _count_trips(store: Store) -> Trips:
    """Count and time every read the store's parts make (wrapping this one database object's
    methods: the bench listens to the store, it changes nothing in it)."""
    trips = Trips()
    database: Any = store.database
    for name in ("rows", "fetch_all"):
        method = getattr(database, name)

        async def counted(sql: str, *args: Any, _method: Any = method, **kwargs: Any) -> Any:
            started = time.perf_counter()
            trips.depth += 1
            try:
                return await _method(sql, *args, **kwargs)
            finally:
                trips.depth -= 1
                if not trips.depth:
                    trips.add(sql, (time.perf_counter() - started) * 1000)

        setattr(database, name, counted)
    # ``scan`` and, where the backend has it, ``stream`` (read a batch at a time): timed
    # from the first fetch to the end of the caller's walk.
    for name in ("scan", "stream"):
        walk = getattr(database, name, None)
        if walk is None:
            continue

        @asynccontextmanager
        async def counted_walk(
            sql: str, *args: Any, _method: Any = walk, **kwargs: Any
        ) -> AsyncIterator[Any]:
            started = time.perf_counter()
            trips.depth += 1
            try:
                async with _method(sql, *args, **kwargs) as rows:
                    yield rows
            finally:
                trips.depth -= 1
                if not trips.depth:
                    trips.add(sql, (time.perf_counter() - started) * 1000)

        setattr(database, name, counted_walk)
    return trips


async def _one_store(db: StoreTarget, calls: int, guilds: int) -> tuple[Spread, dict[str, StoreCalls]]:
    events = await event_ids_with_lineups(db)
    store = await Store.open(db)
    try:
        # As the bot does on PostgreSQL (``fanbot.bot.app``): other processes' writes heard,
        # so that the name counters are kept between lookups (``Store.change_token``).
        await store.watch_writes(lambda: None)
        lookups = Lookups(store)
        clock = SystemClock()
        rng = random.Random(1)

        def asker() -> Asker:
            return Asker(store, Scope(guild_id(rng.randrange(guilds))), clock, lookups)

        async def autocomplete() -> object:
            index = await lookups.events(Scope(guild_id(rng.randrange(guilds))))
            return index.choices(AUTOCOMPLETE_TYPED, 25, now=clock.now())

        commands: dict[str, Callable[[], Awaitable[object]]] = {
            "/nextrace": lambda: next_race(asker()),
            "/lineup": lambda: lineup(asker(), f"id:{rng.choice(events)}"),
            "/circuit": lambda: circuit(asker(), rng.choice(CIRCUIT_TYPED)),
            f'autocomplete /race event:"{AUTOCOMPLETE_TYPED}"': autocomplete,
        }
        bare = []
        for _ in range(calls):
            started = time.perf_counter()
            await store.database.rows(TRIP_SQL)
            bare.append((time.perf_counter() - started) * 1000)
        trips = _count_trips(store)
        figures = {}
        for label, call in commands.items():
            for _ in range(WARMUP):
                await call()
            trips.reset()
            took = []
            for _ in range(calls):
                started = time.perf_counter()
                await call()
                took.append((time.perf_counter() - started) * 1000)
            slowest = max(trips.ms_by_sql.items(), key=lambda item: item[1], default=("", 0.0))
            figures[label] = StoreCalls(
                Spread.of(took),
                trips.count / calls,
                sum(trips.ms_by_sql.values()) / calls,
                slowest[0],
                slowest[1] / calls,
            )
        return Spread.of(bare), figures
    finally:
        await store.close()


async def run(stores: dict[str, StoreTarget], calls: int, guilds: int) -> InProcess:
    trip_ms: dict[str, Spread] = {}
    commands: dict[str, dict[str, StoreCalls]] = {}
    for name, db in stores.items():
        trip_ms[name], figures = await _one_store(db, calls, guilds)
        for label, measured in figures.items():
            commands.setdefault(label, {})[name] = measured
    return InProcess(calls, trip_ms, commands)
