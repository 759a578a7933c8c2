"""Benchmark 4: scale at rest. How long ``fanbot run`` takes to be ready, and how much
memory it holds, with 1,000 guilds and 100,000 pending reminders, next to the same
process on an empty database (seeded with the shipped catalog, as on a first start).

Ready is the bot's first presence update, sent from discord.py's ``on_ready``, which
comes ``guild_ready_timeout`` (discord.py's default, 2 s) after the last GUILD_CREATE:
the same constant in every row. Memory is VmRSS from /proc/PID/status once the bot has
been ready for a few seconds (its reminder dispatcher has made its first pass), and
VmHWM, the peak.
"""

from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.dataset import GUILDS, channel_id, guild_id
from bench.harness import StoreTarget, fanbot_process, make_world, remove_database, start_and_wait_ready
from fanbot.domain.localtime import to_iso_utc
from fanbot.domain.model import SessionKind
from fanbot.domain.reminders import ReminderSetup
from fanbot.reminders import planner
from fanbot.store import Store

PENDING = 100_000
SETTLE_SECONDS = 3.0
EVENTS_PER_FAN = 5


@dataclass
class StartFigures:
    label: str
    identify_s: float
    sync_s: float
    ready_s: float
    rss_mib: float
    hwm_mib: float


@dataclass
class RestResult:
    pending: int
    setups: int
    fan_requests: int
    repeats: int
    rows: list[StartFigures]


async def pending_reminders(store: Store, now: datetime) -> int:
    """Reminders the stored settings will produce after ``now`` (derived, as the dispatcher does)."""
    setups = await store.reminders.active_setups()
    fans = await store.reminders.fan_requests()
    slots = await store.reminders.sessions_starting(now, now + timedelta(days=365 * 30))
    return sum(1 for w in planner.wanted_reminders(setups, fans, slots) if w.due > now)


async def prepare_scale(db: StoreTarget, guilds: int, now: datetime) -> tuple[int, int, int]:
    """About half the pending reminders from guild setups (race reminders for one series,
    an hour ahead), the rest from fans' DM requests for future events; all far ahead."""
    store = await Store.open(db)
    try:
        since = now - timedelta(hours=1)

        def setup(i: int) -> ReminderSetup:
            return ReminderSetup(
                guild_id=guild_id(i),
                channel_id=channel_id(i),
                role_id=None,
                series=("XGT",),
                kinds=(SessionKind.RACE,),
                leads=(60,),
                green_flag=False,
                since=since,
            )

        # Every guild's setup yields the same count (the series' future races, and the one
        # race of its own in that series): enough guilds for about half the total.
        slots = await store.reminders.sessions_starting(now, now + timedelta(days=365 * 30))
        per_guild = sum(1 for w in planner.wanted_reminders([setup(0)], [], slots) if w.due > now)
        setup_count = min(guilds, (PENDING // 2) // max(per_guild, 1))
        for i in range(setup_count):
            await store.reminders.save_setup(setup(i), now=now)
        from_setups = await pending_reminders(store, now)
        # Fans ask for future catalog events with a qualifying and a race: two DMs each.
        found = await store.database.rows(
            "SELECT DISTINCT e.id FROM events e JOIN sessions s ON s.event_id = e.id "
            "WHERE e.guild_id IS NULL AND s.kind = 'qualifying' AND s.start_at > ? ORDER BY e.id",
            (to_iso_utc(now + timedelta(days=2)),),
        )
        events = [int(r[0]) for r in found]
        wanted_requests = (PENDING - from_setups) // 2
        rows = []
        for n in range(wanted_requests):
            fan, k = divmod(n, EVENTS_PER_FAN)  # each fan asks for a few different events
            event = events[(fan * EVENTS_PER_FAN + k) % len(events)]
            rows.append(
                (1_280_000_000_000_000_000 + fan, event, guild_id(n % guilds), "60", "en", to_iso_utc(since))
            )
        # Bulk rows through SQL: a fan-by-fan add_fan_request would take minutes here.
        async with store.database.write() as conn:
            await conn.executemany(
                "INSERT INTO fan_reminders (user_id, event_id, guild_id, leads, locale, since) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                rows,
            )
        pending = await pending_reminders(store, now)
        fans = len(await store.reminders.fan_requests())
    finally:
        await store.close()
    return pending, setup_count, fans


async def _start_once(label: str, db: Path, logs: Path, guilds: int) -> StartFigures:
    world = make_world(guilds)
    await world.fake.start()
    slug = "".join(ch if ch.isalnum() else "-" for ch in label)
    bot = fanbot_process(world.fake, db, logs / f"fanbot-rest-{slug}.log")
    try:
        marks = await start_and_wait_ready(bot, world.fake)
        await asyncio.sleep(SETTLE_SECONDS)
        rss = bot.status_kib("VmRSS") / 1024
        hwm = bot.status_kib("VmHWM") / 1024
    finally:
        await bot.stop()
        await world.fake.stop()
    return StartFigures(label, marks["identify"], marks["sync"], marks["ready"], rss, hwm)


def _median(label: str, runs: list[StartFigures]) -> StartFigures:
    return StartFigures(
        label,
        statistics.median(r.identify_s for r in runs),
        statistics.median(r.sync_s for r in runs),
        statistics.median(r.ready_s for r in runs),
        statistics.median(r.rss_mib for r in runs),
        statistics.median(r.hwm_mib for r in runs),
    )


async def run(
    grown_copy: Path, scratch: Path, logs: Path, *, repeats: int = 3, guilds: int = GUILDS
) -> RestResult:
    pending, setups, fans = await prepare_scale(grown_copy, guilds, datetime.now(UTC))
    configs = [
        ("empty database, no guilds", None, 0),
        ("empty database, 1,000 guilds", None, guilds),
        ("1,000 guilds, 100,000 pending reminders", grown_copy, guilds),
    ]
    runs: dict[str, list[StartFigures]] = {label: [] for label, _, _ in configs}
    # Interleaved, so that a slow moment of a shared machine does not fall on one row only.
    for n in range(repeats):
        for label, db, g in configs:
            if db is None:
                db_path = scratch / f"empty-{n}-{g}.sqlite3"
                remove_database(db_path)
            else:
                db_path = db
            runs[label].append(await _start_once(label, db_path, logs, g))
    return RestResult(pending, setups, fans, repeats, [_median(label, rs) for label, rs in runs.items()])
