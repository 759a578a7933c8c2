"""Benchmark 1: command latency, interaction sent -> callback received, at the fake.

Two fakes in this process, one per bot, each with the same 1,000 guilds: the bare /ping
bot on one, ``fanbot run`` with the grown store on the other. Calls alternate in blocks
(ping, /nextrace, /lineup, /circuit, autocomplete, ping, ...), so that a noisy neighbour
on a shared machine slows both sides alike. Every call comes from a guild drawn at
random among the 1,000, as on a bot that many servers use: per-guild caches are cold as
often as they would be.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from bench.harness import BenchWorld, fanbot_process, make_world, ping_process, start_and_wait_ready
from bench.stats import Spread
from testing.fakediscord import FakeDiscord

BLOCK = 100
WARMUP = 30
CIRCUIT_TYPED = ["Le Mans", "spa", "Road Atlanta", "sebring", "Fuji", "imola", "COTA", "Daytona"]
AUTOCOMPLETE_TYPED = "le m"


@dataclass
class LatencyResult:
    calls: int
    spreads: dict[str, Spread]  # command label -> latency in ms
    ping_start: dict[str, float]
    fanbot_start: dict[str, float]
    failures: dict[str, int]


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


async def event_ids_with_lineups(db: Path) -> list[int]:
    async with (
        aiosqlite.connect(db) as conn,
        conn.execute(
            "SELECT id FROM events WHERE guild_id IS NULL AND key LIKE 'bench-%' ORDER BY id"
        ) as cur,
    ):
        return [int(r[0]) for r in await cur.fetchall()]


async def run(db: Path, logs: Path, calls: int, guilds: int) -> LatencyResult:
    events = await event_ids_with_lineups(db)
    ping_world = make_world(guilds)
    fan_world = make_world(guilds)
    await ping_world.fake.start()
    await fan_world.fake.start()
    ping_bot = ping_process(ping_world.fake, logs / "ping.log")
    fanbot = fanbot_process(fan_world.fake, db, logs / "fanbot-latency.log")
    try:
        ping_start = await start_and_wait_ready(ping_bot, ping_world.fake)
        fanbot_start = await start_and_wait_ready(fanbot, fan_world.fake)
        await ping_world.fake.wait_ready()
        await fan_world.fake.wait_ready()
        rng = random.Random(1)
        commands: dict[str, tuple[BenchWorld, Callable[[int], Awaitable[int]]]] = {
            "bare /ping": (ping_world, lambda g: _slash(ping_world, g, "ping", None)),
            "/nextrace": (fan_world, lambda g: _slash(fan_world, g, "nextrace", None)),
            "/lineup": (
                fan_world,
                lambda g: _slash(fan_world, g, "lineup", {"event": f"id:{rng.choice(events)}"}),
            ),
            "/circuit": (
                fan_world,
                lambda g: _slash(fan_world, g, "circuit", {"circuit": rng.choice(CIRCUIT_TYPED)}),
            ),
            f'autocomplete /race event:"{AUTOCOMPLETE_TYPED}"': (
                fan_world,
                lambda g: _autocomplete(fan_world, g),
            ),
        }
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
        ping_times = callback_times(ping_world.fake)
        fan_times = callback_times(fan_world.fake)
        created = {s.id: s.created for w in (ping_world, fan_world) for s in w.fake.interactions}
        spreads: dict[str, Spread] = {}
        failures: dict[str, int] = {}
        for label, (world, _call) in commands.items():
            times = ping_times if world is ping_world else fan_times
            ms = [(times[abs(i)] - created[abs(i)]) * 1000 for i in ids[label]]
            spreads[label] = Spread.of(ms)
            failures[label] = sum(1 for i in ids[label] if i < 0)
        return LatencyResult(calls, spreads, ping_start, fanbot_start, failures)
    finally:
        await ping_bot.stop()
        await fanbot.stop()
        await ping_world.fake.stop()
        await fan_world.fake.stop()
