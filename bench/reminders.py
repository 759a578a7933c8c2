"""Benchmarks 2 and 3: reminders on time, and a fan-out under Discord's global limit.

Both start ``fanbot run`` on a copy of the grown store in which reminders are placed a
few real seconds ahead (session start times are set to the second, as the end-to-end
test does), then read every reminder's arrival from the fake's request records.

Lateness is arrival at the fake minus the due time. "Beyond the limit" compares each
arrival with the earliest instant a sender paced at exactly 50 messages/s could have
sent it: messages are served earliest due first (messages due at the same second in the
order the bot delivered them), one every 20 ms, never before due.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.dataset import GUILDS, channel_id, guild_id
from bench.harness import BotProcess, StoreTarget, fanbot_process, make_world, start_and_wait_ready
from bench.stats import Spread, paced_schedule
from fanbot.calendar_files.catalog import FORMAT, parse_catalog
from fanbot.clock import Clock, SystemClock
from fanbot.domain.localtime import to_iso_utc
from fanbot.domain.model import SessionKind
from fanbot.domain.reminders import DeliveryKey, ReminderSetup, Target
from fanbot.reminders.planner import delivery_nonce
from fanbot.store import Store
from testing.fakediscord import FakeDiscord

DISCORD_LIMIT = 50.0
LEAD_MINUTES = 10
# Time for the bot to start, connect 1,000 guilds and make its first pass before the first due.
LEAD_IN_SECONDS = 20


@dataclass(frozen=True)
class Planned:
    """One reminder the bench expects: its nonce (how its message is recognised) and due instant."""

    nonce: str
    channel_id: int
    due: float  # POSIX seconds


@dataclass
class ReminderRun:
    planned: int
    delivered: int
    duplicates: int
    lateness_ms: Spread
    beyond_ms: Spread
    first_due_to_last_s: float
    rate_limited: int
    faults: int
    ready_before_first_due_s: float


def _setup(i: int, kinds: tuple[SessionKind, ...], since: datetime) -> ReminderSetup:
    return ReminderSetup(
        guild_id=guild_id(i),
        channel_id=channel_id(i),
        role_id=None,
        series=(),
        kinds=kinds,
        leads=(LEAD_MINUTES,),
        green_flag=False,
        since=since,
    )


def _later(text: str | None, by: timedelta) -> str | None:
    return None if text is None else to_iso_utc(datetime.fromisoformat(text) + by)


async def _clear_the_way(store: Store, now: datetime, keep: Iterable[int]) -> None:
    """Move sessions the benchmark did not place out of the dispatcher's window, so that
    a generated race that happens to fall today adds nothing to the figures. (Read, shifted
    here and written back: the same SQL on SQLite and PostgreSQL, whose date arithmetic
    differs.)"""
    low, high = to_iso_utc(now - timedelta(days=2)), to_iso_utc(now + timedelta(days=2))
    kept = set(keep)
    rows = await store.database.rows(
        "SELECT id, start_at, sort_at, horizon_at FROM sessions WHERE start_at BETWEEN ? AND ?", (low, high)
    )
    month = timedelta(days=30)
    moved = [
        (_later(r[1], month), _later(r[2], month), _later(r[3], month), int(r[0]))
        for r in rows
        if int(r[0]) not in kept
    ]
    async with store.database.write() as tx:
        await tx.executemany(
            "UPDATE sessions SET start_at = ?, sort_at = ?, horizon_at = ? WHERE id = ?", moved
        )


async def _place(store: Store, sessions: list[tuple[int, datetime]]) -> None:
    async with store.database.write() as tx:
        await tx.executemany(
            "UPDATE sessions SET start_at = ?, sort_at = ?, horizon_at = ? WHERE id = ?",
            [(to_iso_utc(at), to_iso_utc(at), to_iso_utc(at), sid) for sid, at in sessions],
        )


async def prepare_timeliness(
    db: StoreTarget, count: int, guilds: int, now: datetime
) -> tuple[list[Planned], float]:
    """``count`` reminders due over one minute from T0 = now + lead-in, spread evenly across
    ``guilds`` guilds: each guild's own qualifying and race sessions are moved so that
    reminder r (guild r mod guilds) falls due at T0 + floor(r x 60 / count) s."""
    t0 = now.replace(microsecond=0) + timedelta(seconds=LEAD_IN_SECONDS)
    store = await Store.open(db)
    planned: list[Planned] = []
    try:
        per_guild = math.ceil(count / guilds)
        own: dict[int, list[int]] = {}
        for g, sid in await store.database.rows(
            "SELECT e.guild_id, s.id FROM sessions s JOIN events e ON e.id = s.event_id "
            "WHERE e.guild_id IS NOT NULL ORDER BY e.guild_id, s.id"
        ):
            own.setdefault(int(g), []).append(int(sid))
        moves: list[tuple[int, datetime]] = []
        for r in range(count):
            i, j = r % guilds, r // guilds
            sid = own[guild_id(i)][j]
            due = t0 + timedelta(seconds=math.floor(r * 60 / count))
            start = due + timedelta(minutes=LEAD_MINUTES)
            moves.append((sid, start))
            key = DeliveryKey(Target("guild", guild_id(i)), sid, LEAD_MINUTES, start)
            planned.append(Planned(delivery_nonce(key), channel_id(i), due.timestamp()))
        assert per_guild <= len(own[guild_id(0)]), "the grown store has too few sessions per guild"
        await _clear_the_way(store, now, [sid for sid, _ in moves])
        await _place(store, moves)
        since = now - timedelta(hours=1)
        for i in range(guilds):
            await store.reminders.save_setup(
                _setup(i, (SessionKind.QUALIFYING, SessionKind.RACE), since), now=now
            )
    finally:
        await store.close()
    return planned, t0.timestamp()


async def prepare_fanout(
    db: StoreTarget, guilds: int, clock: Clock, *, lead_in: float = LEAD_IN_SECONDS
) -> tuple[list[Planned], float]:
    """One catalog race whose reminder falls due at the same instant T0 for every guild: the
    guilds' setups are saved first (10,000 of them take a while), then the race is placed so
    that T0 comes ``lead_in`` seconds after that."""
    now = clock.now()
    store = await Store.open(db)
    try:
        raw = {
            "format": FORMAT,
            "series": [{"code": "WEC", "name": "FIA World Endurance Championship"}],
            "circuits": [
                {"key": "bench-oval", "name": "Bench Oval (fictional)", "timezone": "UTC", "aliases": []}
            ],
            "events": [
                {
                    "key": "bench-fanout-6h",
                    "series": "WEC",
                    "season": now.year,
                    "name": "Fan-out 6 Hours (fictional)",
                    "circuit": "bench-oval",
                    "sessions": [{"kind": "race", "date": f"{now.year + 5}-01-01", "time": "12:00"}],
                }
            ],
        }
        # The catalog's own series list is imported unchanged (a catalog import may rename series).
        series = await store.database.rows("SELECT code, name, source FROM series")
        raw["series"] = [{"code": c, "name": n, "source": s} for c, n, s in series]
        await store.import_catalog(parse_catalog(raw, source="fan-out"))
        [row] = await store.database.rows(
            "SELECT s.id FROM sessions s JOIN events e ON e.id = s.event_id WHERE e.key = 'bench-fanout-6h'"
        )
        sid = int(row[0])
        since = now - timedelta(hours=1)
        for i in range(guilds):
            await store.reminders.save_setup(_setup(i, (SessionKind.RACE,), since), now=now)
        placed_at = clock.now()
        # Whole seconds: the store keeps instants to the second.
        t0 = placed_at.replace(microsecond=0) + timedelta(seconds=math.ceil(lead_in))
        start = t0 + timedelta(minutes=LEAD_MINUTES)
        await _clear_the_way(store, placed_at, [sid])
        await _place(store, [(sid, start)])
    finally:
        await store.close()
    planned = [
        Planned(
            delivery_nonce(DeliveryKey(Target("guild", guild_id(i)), sid, LEAD_MINUTES, start)),
            channel_id(i),
            t0.timestamp(),
        )
        for i in range(guilds)
    ]
    return planned, t0.timestamp()


def nonce_of(body: object) -> str:
    return str(body.get("nonce")) if isinstance(body, dict) else ""


def arrivals(fake: FakeDiscord, offset: float) -> tuple[dict[str, float], int, int]:
    """nonce -> wall-clock arrival of the message Discord stored; duplicates; failed attempts."""
    first: dict[str, float] = {}
    duplicates = faults = 0
    for r in fake.requests:
        if r.method != "POST" or not r.path.startswith("/channels/") or not r.path.endswith("/messages"):
            continue
        if r.status != 200 or r.deduped or r.fault:
            faults += r.fault is not None
            continue
        nonce = nonce_of(r.json)
        if nonce in first:
            duplicates += 1
            continue
        first[nonce] = r.time + offset
    return first, duplicates, faults


async def _run(
    db: StoreTarget, logs: Path, label: str, planned: list[Planned], t0: float, guilds: int, within: float
) -> ReminderRun:
    world = make_world(guilds)
    await world.fake.start()
    bot: BotProcess = fanbot_process(world.fake, db, logs / f"fanbot-{label}.log")
    offset = time.time() - time.monotonic()
    try:
        await start_and_wait_ready(bot, world.fake)
        ready_at = bot.started + bot.marks["ready"] + offset
        wanted = {p.nonce for p in planned}
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            got = {nonce_of(r.json) for r in world.fake.requests if r.status == 200}
            if wanted <= got:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(1.0)  # anything sent twice would show up now
    finally:
        await bot.stop()
        await world.fake.stop()
    first, duplicates, faults = arrivals(world.fake, offset)
    delivered = [p for p in planned if p.nonce in first]
    arrival = [first[p.nonce] for p in delivered]
    due = [p.due for p in delivered]
    # Messages due at the same second take the ideal sender's slots in the order the bot sent them.
    ideal = paced_schedule(due, DISCORD_LIMIT, tie=arrival)
    return ReminderRun(
        planned=len(planned),
        delivered=len(delivered),
        duplicates=duplicates,
        lateness_ms=Spread.of([(a - d) * 1000 for a, d in zip(arrival, due, strict=True)]),
        beyond_ms=Spread.of([(a - i) * 1000 for a, i in zip(arrival, ideal, strict=True)]),
        first_due_to_last_s=max(arrival, default=math.nan) - t0,
        rate_limited=world.fake.rate_limited_count,
        faults=faults,
        ready_before_first_due_s=t0 - ready_at,
    )


async def timeliness(db: StoreTarget, logs: Path, *, count: int, guilds: int = GUILDS) -> ReminderRun:
    planned, t0 = await prepare_timeliness(db, count, guilds, datetime.now(UTC))
    # At 50/s the last of them cannot go before T0 + count/50 s.
    return await _run(db, logs, "timeliness", planned, t0, guilds, LEAD_IN_SECONDS + count / 40 + 120)


async def fanout(db: StoreTarget, logs: Path, *, guilds: int = GUILDS) -> ReminderRun:
    planned, t0 = await prepare_fanout(db, guilds, SystemClock())
    return await _run(db, logs, "fanout", planned, t0, guilds, LEAD_IN_SECONDS + guilds / 40 + 60)
