"""Benchmark 1: command latency, interaction sent -> callback received, at the fake.

One fake in this process per bot, each with the same 1,000 guilds: the bare /ping bot on
one, ``fanbot run`` on the grown store on each of the others (a SQLite file, a PostgreSQL
database with the same contents, or both). Calls alternate in blocks (ping, /nextrace,
/lineup, /circuit, autocomplete on each store, ping, ...), so that a noisy neighbour on a
shared machine slows every bot alike and the ratios to ping's p99 compare the stores too.
Every call comes from a guild drawn at random among the 1,000, as on a bot that many
servers use: per-guild caches are cold as often as they would be.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import (
    BenchWorld,
    BotProcess,
    StoreTarget,
    fanbot_process,
    make_world,
    ping_process,
    start_and_wait_ready,
)
from bench.stats import Spread
from fanbot.store import Store
from testing.fakediscord import FakeDiscord

BLOCK = 100
WARMUP = 30
CIRCUIT_TYPED = ["Le Mans", "spa", "Road Atlanta", "sebring", "Fuji", "imola", "COTA", "Daytona"]
AUTOCOMPLETE_TYPED = "le m"


PING = "bare /ping"
# The store whose rows keep the command's plain label (as in the figures of earlier runs).
FIRST_STORE = "SQLite"


@dataclass
class LatencyResult:
    calls: int
    spreads: dict[str, Spread]  # row label -> latency in ms
    ping_start: dict[str, float]
    fanbot_start: dict[str, float]  # the first store's bot
    failures: dict[str, int]
    # Row label -> the store its bot ran on ("" for ping); each store's bot's start.
    stores: dict[str, str] = field(default_factory=dict)
    starts: dict[str, dict[str, float]] = field(default_factory=dict)


def row_label(command: str, store: str) -> str:
    return command if store == FIRST_STORE else f"{command} ({store})"


Call = Callable[[BenchWorld, int, random.Random], Awaitable[int]]


def callback_times(fake: FakeDiscord) -> dict[int, float]:
    """Interaction id -> arrival (monotonic) of its first callback at the fake."""
    found: dict[int, float] = {}
    for r in fake.requests:
        if r.method == "POST" and r.path.startswith("/interactions/") and r.path.endswith("/callback"):
            iid = int(r.path.split("/")[2])
            found.setdefault(iid, r.time)
    return found


async def _slash(world: BenchWorld, g: int, command: str, options: dict[str, object] | None) -> int:
    result = await world.fake.slash(world.guilds[g], world.channels[g], world.fan, command, options)
    state = result.state
    ok = state.callback_type == 4 and not result.ephemeral
    return state.id if ok else -state.id


async def _autocomplete(world: BenchWorld, g: int) -> int:
    choices = await world.fake.autocomplete(
        world.guilds[g], world.channels[g], world.fan, "race", option="event", typed=AUTOCOMPLETE_TYPED
    )
    state = world.fake.interactions[-1]
    return state.id if choices else -state.id


async def event_ids_with_lineups(db: StoreTarget) -> list[int]:
    store = await Store.open(db)
    try:
        rows = await store.database.rows(
            "SELECT id FROM events WHERE guild_id IS NULL AND key LIKE 'bench-%' ORDER BY id"
        )
    finally:
        await store.close()
    return [int(r[0]) for r in rows]


def _commands(
    world: BenchWorld, events: list[int], rng: random.Random
) -> dict[str, Callable[[int], Awaitable[int]]]:
    """fanbot's four measured calls on one bot's world, by command label."""
    return {
        "/nextrace": lambda g: _slash(world, g, "nextrace", None),
        "/lineup": lambda g: _slash(world, g, "lineup", {"event": f"id:{rng.choice(events)}"}),
        "/circuit": lambda g: _slash(world, g, "circuit", {"circuit": rng.choice(CIRCUIT_TYPED)}),
        f'autocomplete /race event:"{AUTOCOMPLETE_TYPED}"': lambda g: _autocomplete(world, g),
    }


async def run(stores: dict[str, StoreTarget], logs: Path, calls: int, guilds: int) -> LatencyResult:
    """Ping and fanbot on each of ``stores`` (name -> the grown store's copy), measured side by side."""
    rng = random.Random(1)
    ping_world = make_world(guilds)
    worlds = {name: make_world(guilds) for name in stores}
    bots: dict[str, BotProcess] = {}
    try:
        for world in (ping_world, *worlds.values()):
            await world.fake.start()
        # Made once the fakes listen: a bot's environment names its fake's port.
        ping_bot = bots["ping"] = ping_process(ping_world.fake, logs / "ping.log")
        for name, db in stores.items():
            bots[name] = fanbot_process(worlds[name].fake, db, logs / f"fanbot-latency-{name.lower()}.log")
        ping_start = await start_and_wait_ready(ping_bot, ping_world.fake)
        starts = {name: await start_and_wait_ready(bots[name], worlds[name].fake) for name in stores}
        for world in (ping_world, *worlds.values()):
            await world.fake.wait_ready()
        # Row label -> (its world, one call); ping first, then each store's rows command by command.
        commands: dict[str, tuple[BenchWorld, Callable[[int], Awaitable[int]]]] = {
            PING: (ping_world, lambda g: _slash(ping_world, g, "ping", None))
        }
        labels: dict[str, str] = {PING: ""}
        for name, db in stores.items():
            events = await event_ids_with_lineups(db)
            for command, call in _commands(worlds[name], events, rng).items():
                commands[row_label(command, name)] = (worlds[name], call)
                labels[row_label(command, name)] = name
        ids: dict[str, list[int]] = {label: [] for label in commands}
        for _world, call in commands.values():  # warm-up: imports, first queries, JIT-free caches
            for _ in range(WARMUP):
                await call(rng.randrange(guilds))
        done = 0
        while done < calls:
            block = min(BLOCK, calls - done)
            for label, (_world, call) in commands.items():
                for _ in range(block):
                    ids[label].append(await call(rng.randrange(guilds)))
            done += block
        # Per fake: two fakes' snowflake generators may hand out the same id.
        times = {id(w): callback_times(w.fake) for w in (ping_world, *worlds.values())}
        created = {
            id(w): {s.id: s.created for s in w.fake.interactions} for w in (ping_world, *worlds.values())
        }
        spreads: dict[str, Spread] = {}
        failures: dict[str, int] = {}
        for label, (world, _call) in commands.items():
            seen, sent = times[id(world)], created[id(world)]
            spreads[label] = Spread.of([(seen[abs(i)] - sent[abs(i)]) * 1000 for i in ids[label]])
            failures[label] = sum(1 for i in ids[label] if i < 0)
        first = starts.get(FIRST_STORE) or next(iter(starts.values()), {})
        return LatencyResult(calls, spreads, ping_start, first, failures, labels, starts)
    finally:
        for bot in bots.values():
            await bot.stop()
        for world in (ping_world, *worlds.values()):
            await world.fake.stop()
