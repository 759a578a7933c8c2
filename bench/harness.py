"""The fake Discord with the benchmark's 1,000 guilds, and bot processes started against it.

Bots run as their own processes (``fanbot run``, or the bare ``bench/ping_bot.py``), as users
deploy them: the bench process holds the fake, so what is measured crosses a real socket and
a real process boundary, and the bot's own CPU time is not shared with the fake's.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.dataset import GUILDS, channel_id, guild_id
from bench.postgres import is_url
from testing.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeUser
from testing.fanbot_process import FANBOT_RUN, TOKEN, fanbot_env

# A benchmark's store: a SQLite file, or a PostgreSQL database's URL.
StoreTarget = str | Path
# FANBOT_DB of a bot on PostgreSQL: never opened (FANBOT_DATABASE_URL wins), and a path that
# cannot be created, so that a bot that opened it anyway would fail loudly.
UNUSED_SQLITE = Path("/nonexistent/fanbot-bench-runs-on-postgresql.sqlite3")

REPO_ROOT = Path(__file__).resolve().parents[1]
# Where ``fanbot run`` is started from: this checkout, or another one (``--fanbot-root``)
# to measure an earlier version of the bot against the same benchmark.
FANBOT_ROOT = REPO_ROOT
FAN_ID = 1_290_000_000_000_000_001


@dataclass
class BenchWorld:
    """The benchmark's fake Discord: its guilds, one channel each, and the fan in all of them."""

    fake: FakeDiscord
    guilds: list[FakeGuild]
    channels: list[FakeChannel]
    fan: FakeUser


def make_world(guilds: int = GUILDS, **fake_options: object) -> BenchWorld:
    """A fake with ``guilds`` guilds matching the benchmark store's ids, one text channel each,
    and one fan who is a member of all of them."""
    fake = FakeDiscord(bot_token=TOKEN, **fake_options)
    fan = fake.add_user(FAN_ID, "fan")
    made, channels = [], []
    for i in range(guilds):
        guild = fake.add_guild(guild_id(i), name=f"Endurance fans {i}", locale="en-US")
        channels.append(guild.add_text_channel(channel_id(i), "race-reminders"))
        guild.add_member(fan)
        made.append(guild)
    return BenchWorld(fake, made, channels, fan)


@dataclass
class BotProcess:
    """One bot process: when it was started, its pid, its memory, and a clean stop."""

    argv: list[str]
    env: dict[str, str]
    log: Path
    cwd: Path = REPO_ROOT
    started: float = 0.0
    process: asyncio.subprocess.Process | None = None
    marks: dict[str, float] = field(default_factory=dict)

    async def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.started = time.monotonic()
            self.process = await asyncio.create_subprocess_exec(
                *self.argv, env=self.env, cwd=self.cwd, stdout=out, stderr=asyncio.subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def status_kib(self, field_name: str) -> int:
        """A memory line of /proc/PID/status (VmRSS, VmHWM), in KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
        raise KeyError(field_name)

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def remove_database(path: Path) -> None:
    """Delete an SQLite file and its WAL companions (a fresh start for the next run)."""
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def fanbot_process(fake: FakeDiscord, db: StoreTarget, log: Path, **extra_env: str) -> BotProcess:
    """``fanbot run`` of the checkout at ``FANBOT_ROOT`` against ``fake``, on the SQLite file
    or the PostgreSQL database ``db`` (``FANBOT_DATABASE_URL``), not started yet."""
    if is_url(db):
        extra_env = {"FANBOT_DATABASE_URL": str(db), **extra_env}
        db = UNUSED_SQLITE
    env = fanbot_env(fake, Path(db), extra_env, root=FANBOT_ROOT)
    return BotProcess(list(FANBOT_RUN), env, log, cwd=FANBOT_ROOT)


def ping_process(fake: FakeDiscord, log: Path) -> BotProcess:
    env = {**os.environ, **fake.env, "DISCORD_TOKEN": TOKEN, "PYTHONPATH": str(REPO_ROOT)}
    return BotProcess([sys.executable, str(REPO_ROOT / "bench" / "ping_bot.py")], env, log)


async def watch_until(
    condition: Callable[[], bool], bot: BotProcess, within: float, what: str, *, every: float = 0.002
) -> float:
    """Poll ``condition`` (fake state, a subprocess: nothing announces it) and return the
    monotonic instant it first held; fails early with the bot's log if the bot died."""
    deadline = time.monotonic() + within
    while True:
        if condition():
            return time.monotonic()
        if bot.process is not None and bot.process.returncode is not None:
            raise RuntimeError(f"the bot exited ({bot.process.returncode}) before {what}:\n{bot.tail()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {within:g} s:\n{bot.tail()}")
        await asyncio.sleep(every)


def presence_updates(fake: FakeDiscord) -> int:
    """Op 3 frames the bot sent: both bots set a presence from ``on_ready``."""
    return sum(1 for p in fake.gateway.received if p.get("op") == 3)


async def start_and_wait_ready(bot: BotProcess, fake: FakeDiscord, within: float = 120) -> dict[str, float]:
    """Start ``bot`` and stamp (seconds after start): IDENTIFY, command sync, and ready
    (its first presence update, sent once discord.py's on_ready fired)."""
    identifies = fake.gateway.identifies
    syncs = fake.sync_count
    presences = presence_updates(fake)
    await bot.start()
    t_identify = await watch_until(lambda: fake.gateway.identifies > identifies, bot, within, "IDENTIFY")
    t_sync = await watch_until(lambda: fake.sync_count > syncs, bot, within, "command sync")
    t_ready = await watch_until(lambda: presence_updates(fake) > presences, bot, within, "on_ready")
    sync_record = [r for r in fake.requests if r.method == "PUT" and r.path.endswith("/commands")][-1]
    bot.marks = {
        "identify": t_identify - bot.started,
        "sync": sync_record.time - bot.started if sync_record.time >= bot.started else t_sync - bot.started,
        "ready": t_ready - bot.started,
    }
    return bot.marks


@dataclass
class ShardStamps:
    """When the fake first saw each shard IDENTIFY and set a presence (monotonic seconds).

    The fake's own records do not say which connection a gateway frame came on; with two
    processes of two shards each, a process's IDENTIFY and ready are those of its shards."""

    identify: dict[int, float] = field(default_factory=dict)
    presence: dict[int, float] = field(default_factory=dict)

    def first(self, which: dict[int, float], shards: Iterable[int]) -> float | None:
        """The instant every one of ``shards`` had done it (None: not all yet)."""
        seen = [which.get(s) for s in shards]
        return None if None in seen else max(s for s in seen if s is not None)


def stamp_shards(fake: FakeDiscord) -> ShardStamps:
    """Watch the fake's gateway for IDENTIFY (op 2) and presence updates (op 3) per shard.

    Wraps the gateway's frame handler on this one fake instance: the fake is not changed,
    it is listened to (the bench's instrument, not part of what is measured)."""
    stamps = ShardStamps()
    gateway = fake.gateway
    handle = gateway._on_payload

    async def stamped(conn: Any, payload: Any) -> None:
        if isinstance(payload, dict):
            op, data = payload.get("op"), payload.get("d")
            now = time.monotonic()
            if op == 2 and isinstance(data, dict):
                shard = data.get("shard") or [0, 1]
                stamps.identify.setdefault(int(shard[0]), now)
            elif op == 3 and conn.session is not None:
                stamps.presence.setdefault(int(conn.session.shard[0]), now)
        await handle(conn, payload)

    gateway._on_payload = stamped  # type: ignore[method-assign]
    return stamps


@dataclass
class ShardProcess:
    """One ``fanbot run`` of a shard group: its process and the shards it runs."""

    label: str
    bot: BotProcess
    shards: tuple[int, ...]


def shard_processes(
    fake: FakeDiscord,
    db: StoreTarget,
    logs: Path,
    name: str,
    *,
    processes: int,
    shards_per_process: int,
    **extra_env: str,
) -> list[ShardProcess]:
    """``processes`` bots on one store, each running ``shards_per_process`` consecutive shards
    (``FANBOT_SHARD_COUNT`` / ``FANBOT_SHARD_IDS``), not started yet."""
    count = processes * shards_per_process
    group = []
    for p in range(processes):
        shards = tuple(range(p * shards_per_process, (p + 1) * shards_per_process))
        ids = f"{shards[0]}-{shards[-1]}" if len(shards) > 1 else str(shards[0])
        env = {"FANBOT_SHARD_COUNT": str(count), "FANBOT_SHARD_IDS": ids, **extra_env}
        bot = fanbot_process(fake, db, logs / f"fanbot-{name}-{p + 1}.log", **env)
        group.append(ShardProcess(f"process {p + 1} (shards {ids})", bot, shards))
    return group


async def start_group_and_wait_ready(
    group: list[ShardProcess], stamps: ShardStamps, within: float = 300
) -> None:
    """Start every process of ``group`` at once and stamp each (seconds after its start):
    all its shards IDENTIFYed, and ready (a presence update on each of its shards, sent
    once discord.py's on_ready fired in that process)."""
    for member in group:
        await member.bot.start()
    for member in group:
        bot = member.bot

        def ready(shards: tuple[int, ...] = member.shards) -> bool:
            return stamps.first(stamps.presence, shards) is not None

        await watch_until(ready, bot, within, f"on_ready of {member.label}", every=0.01)
        t_identify = stamps.first(stamps.identify, member.shards)
        t_ready = stamps.first(stamps.presence, member.shards)
        assert t_identify is not None
        assert t_ready is not None
        bot.marks = {"identify": t_identify - bot.started, "ready": t_ready - bot.started}


async def stop_all(group: list[ShardProcess]) -> None:
    await asyncio.gather(*(member.bot.stop() for member in group))
