"""Benchmarks across shard processes: a fan-out of 10,000 guilds, and start-up and memory.

Two ``fanbot run`` processes, two shards each (``FANBOT_SHARD_COUNT=4``,
``FANBOT_SHARD_IDS=0-1`` and ``2-3``), on one PostgreSQL database and one fake Discord whose
global limit of 50 requests/s counts every connection of the bot together, as Discord's does.

The fan-out places one catalog race whose reminder falls due at the same instant T0 for every
guild; each process sends its own shards' guilds' reminders, sharing the one budget. What is
checked comes from both sides: the fake's records (each message's arrival, its nonce, every
429, the messages each channel holds) and the database (each delivery's state, the message id
it recorded, and which process claimed it: ``claimed_by`` starts with the process's pid).
"""

from __future__ import annotations

import asyncio
import math
import re
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.dataset import SHARD_GUILDS
from bench.harness import (
    ShardProcess,
    make_world,
    shard_processes,
    stamp_shards,
    start_group_and_wait_ready,
    stop_all,
)
from bench.reminders import Planned, arrivals, nonce_of, prepare_fanout
from bench.rest import SETTLE_SECONDS, prepare_scale
from fanbot.clock import SystemClock
from fanbot.store import Store
from testing.fakediscord import FakeDiscord

PROCESSES = 2
SHARDS_PER_PROCESS = 2


def lead_in(guilds: int) -> int:
    """Time for both processes to start, IDENTIFY four shards one bucket turn at a time
    (Discord's max_concurrency: 5 s a turn), take the guilds' GUILD_CREATEs and make a
    first pass before T0: 60 s for 10,000 guilds."""
    return 30 + guilds * 3 // 1000


_CHANNEL_POST = re.compile(r"^/channels/(\d+)/messages$")


@dataclass
class ProcessShare:
    """What one process of the group did."""

    label: str
    shards: list[int]
    identify_s: float  # after its start: all its shards IDENTIFYed
    ready_s: float  # after its start: on_ready (a presence update on each of its shards)
    delivered: int  # messages the fake stored whose delivery this process claimed
    first_s: float  # after T0
    last_s: float
    rate_limited: int  # 429s on the channels of its shards' guilds
    foreign: int  # deliveries it claimed for a guild of another process's shards


@dataclass
class ShardedFanout:
    guilds: int
    shard_count: int
    planned: int
    delivered: int
    duplicates_by_nonce: int  # a nonce stored twice
    nonce_dedupes: int  # a repeat the fake dropped by its nonce (sent twice, shown once)
    duplicates_by_channel: int  # a channel holding more than its one message
    recorded_sent: int  # deliveries in state 'sent' with the fake's message id
    not_recorded: list[str]  # how the others were left, e.g. "claimed: 3"
    first_due_to_last_s: float
    rate_limited: int
    rate_limited_other: int  # 429s not on a reminder channel
    ready_before_due_s: float  # the later process's ready, before T0
    processes: list[ProcessShare]


def _shard_of_channel(channel: int, count: int) -> int:
    """The shard of the guild whose channel this is (the bench's channel_id(i) = guild_id(i) + 1)."""
    return ((channel - 1) >> 22) % count


def _rate_limited_by_shard(fake: FakeDiscord, count: int) -> tuple[dict[int, int], int]:
    """429s on reminder channels by their guild's shard, and the others."""
    by_shard: dict[int, int] = {}
    other = 0
    for r in fake.requests:
        if r.status != 429:
            continue
        found = _CHANNEL_POST.match(r.path) if r.method == "POST" else None
        if found:
            shard = _shard_of_channel(int(found.group(1)), count)
            by_shard[shard] = by_shard.get(shard, 0) + 1
        else:
            other += 1
    return by_shard, other


async def _deliveries(url: str) -> dict[str, tuple[str, str, int | None, int]]:
    """nonce -> (state, claimed_by, message_id, target guild) of every guild delivery."""
    store = await Store.open(url)
    try:
        rows = await store.database.rows(
            "SELECT nonce, state, claimed_by, message_id, target_id FROM deliveries "
            "WHERE target_kind = 'guild'"
        )
    finally:
        await store.close()
    return {
        str(r[0]): (str(r[1]), str(r[2] or ""), None if r[3] is None else int(r[3]), int(r[4])) for r in rows
    }


def _message_ids(fake: FakeDiscord) -> dict[str, int]:
    """nonce -> id of the message the fake stored for it (its first)."""
    found: dict[str, int] = {}
    for r in fake.requests:
        posted = r.method == "POST" and _CHANNEL_POST.match(r.path) and r.status == 200 and not r.deduped
        if posted and isinstance(r.response, dict) and "id" in r.response:
            found.setdefault(nonce_of(r.json), int(r.response["id"]))
    return found


async def fanout(
    url: str,
    logs: Path,
    *,
    guilds: int = SHARD_GUILDS,
    processes: int = PROCESSES,
    shards_per_process: int = SHARDS_PER_PROCESS,
    lead_in_s: float | None = None,
) -> ShardedFanout:
    """``guilds`` guilds reminded of one race at one instant, through ``processes`` processes."""
    count = processes * shards_per_process
    ahead = lead_in(guilds) if lead_in_s is None else lead_in_s
    planned, t0 = await prepare_fanout(url, guilds, SystemClock(), lead_in=ahead)
    world = make_world(guilds)
    stamps = stamp_shards(world.fake)
    await world.fake.start()
    offset = time.time() - time.monotonic()
    group = shard_processes(
        world.fake, url, logs, "fanout-shards", processes=processes, shards_per_process=shards_per_process
    )
    try:
        await start_group_and_wait_ready(group, stamps)
        wanted = {p.nonce for p in planned}
        deadline = time.monotonic() + ahead + guilds / 40 + 120
        while time.monotonic() < deadline:
            if wanted <= {nonce_of(r.json) for r in world.fake.requests if r.status == 200}:
                break
            await asyncio.sleep(1.0)
        await asyncio.sleep(2.0)  # anything sent twice would show up now
    finally:
        await stop_all(group)
        await world.fake.stop()
    return _fanout_figures(world.fake, group, planned, t0, offset, count, await _deliveries(url))


def _fanout_figures(
    fake: FakeDiscord,
    group: list[ShardProcess],
    planned: list[Planned],
    t0: float,
    offset: float,
    count: int,
    rows: dict[str, tuple[str, str, int | None, int]],
) -> ShardedFanout:
    first, duplicates, _faults = arrivals(fake, offset)
    stored = _message_ids(fake)
    channels = {p.channel_id for p in planned}
    by_channel = sum(max(0, len(fake.messages_in(c)) - 1) for c in channels)
    by_shard, other = _rate_limited_by_shard(fake, count)
    pids = {str(member.bot.pid): n for n, member in enumerate(group)}
    delivered = [p for p in planned if p.nonce in first]
    recorded, left = 0, dict[str, int]()
    claimed: list[list[Planned]] = [[] for _ in group]
    foreign = [0] * len(group)
    for p in planned:
        state, claimed_by, message_id, guild = rows.get(p.nonce, ("missing", "", None, 0))
        if state == "sent" and message_id is not None and message_id == stored.get(p.nonce):
            recorded += 1
        else:
            left[state] = left.get(state, 0) + 1
        n = pids.get(claimed_by.split("-", 1)[0])
        if n is not None and p.nonce in first:
            claimed[n].append(p)
            if (guild >> 22) % count not in group[n].shards:
                foreign[n] += 1
    shares = []
    for n, member in enumerate(group):
        times = [first[p.nonce] - t0 for p in claimed[n]]
        shares.append(
            ProcessShare(
                label=member.label,
                shards=list(member.shards),
                identify_s=member.bot.marks["identify"],
                ready_s=member.bot.marks["ready"],
                delivered=len(claimed[n]),
                first_s=min(times, default=math.nan),
                last_s=max(times, default=math.nan),
                rate_limited=sum(by_shard.get(s, 0) for s in member.shards),
                foreign=foreign[n],
            )
        )
    ready_at = max(m.bot.started + m.bot.marks["ready"] for m in group) + offset
    return ShardedFanout(
        guilds=len(channels),
        shard_count=count,
        planned=len(planned),
        delivered=len(delivered),
        duplicates_by_nonce=duplicates,
        nonce_dedupes=fake.nonce_dedupes,
        duplicates_by_channel=by_channel,
        recorded_sent=recorded,
        not_recorded=[f"{state}: {n}" for state, n in sorted(left.items())],
        first_due_to_last_s=max((first[p.nonce] for p in delivered), default=math.nan) - t0,
        rate_limited=fake.rate_limited_count,
        rate_limited_other=other,
        ready_before_due_s=t0 - ready_at,
        processes=shares,
    )


# ---------------------------------------------------------------------------------- at rest


@dataclass
class ProcessStart:
    label: str
    identify_s: float
    ready_s: float
    rss_mib: float
    hwm_mib: float


@dataclass
class ShardedRestRow:
    label: str
    processes: list[ProcessStart]  # medians of the repeats, per process


@dataclass
class ShardedRest:
    guilds: int
    shard_count: int
    pending: int
    setups: int
    fan_requests: int
    repeats: int
    rows: list[ShardedRestRow]


async def _start_group_once(url: str, logs: Path, guilds: int, slug: str) -> list[ProcessStart]:
    world = make_world(guilds)
    stamps = stamp_shards(world.fake)
    await world.fake.start()
    group = shard_processes(
        world.fake, url, logs, f"rest-{slug}", processes=PROCESSES, shards_per_process=SHARDS_PER_PROCESS
    )
    try:
        await start_group_and_wait_ready(group, stamps)
        await asyncio.sleep(SETTLE_SECONDS)
        return [
            ProcessStart(
                member.label,
                member.bot.marks["identify"],
                member.bot.marks["ready"],
                member.bot.status_kib("VmRSS") / 1024,
                member.bot.status_kib("VmHWM") / 1024,
            )
            for member in group
        ]
    finally:
        await stop_all(group)
        await world.fake.stop()


def _medians(label: str, runs: list[list[ProcessStart]]) -> ShardedRestRow:
    per_process = []
    for n, first in enumerate(runs[0]):
        mine = [run[n] for run in runs]
        per_process.append(
            ProcessStart(
                first.label,
                statistics.median(r.identify_s for r in mine),
                statistics.median(r.ready_s for r in mine),
                statistics.median(r.rss_mib for r in mine),
                statistics.median(r.hwm_mib for r in mine),
            )
        )
    return ShardedRestRow(label, per_process)


async def rest(
    full: str, fresh_database: Callable[[], Awaitable[str]], logs: Path, *, guilds: int, repeats: int
) -> ShardedRest:
    """Both processes started at once on an empty database (a new one each time: the two
    migrate and seed it together) and on ``full`` (the grown store with 100,000 pending
    reminders added here), ``repeats`` times each, interleaved."""
    pending, setups, fans = await prepare_scale(full, guilds, datetime.now(UTC))
    labels = (f"empty database, {guilds:,} guilds", f"{guilds:,} guilds, {pending:,} pending reminders")
    runs: dict[str, list[list[ProcessStart]]] = {label: [] for label in labels}
    for n in range(repeats):
        empty = await fresh_database()
        runs[labels[0]].append(await _start_group_once(empty, logs, guilds, f"empty-{n}"))
        runs[labels[1]].append(await _start_group_once(full, logs, guilds, f"full-{n}"))
    return ShardedRest(
        guilds,
        PROCESSES * SHARDS_PER_PROCESS,
        pending,
        setups,
        fans,
        repeats,
        [_medians(label, rs) for label, rs in runs.items()],
    )
