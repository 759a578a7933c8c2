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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.dataset import GUILDS, channel_id, guild_id
from testing.fakediscord import FakeChannel, FakeDiscord, FakeGuild, FakeUser
from testing.fanbot_process import FANBOT_RUN, TOKEN, fanbot_env

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
    fake = FakeDiscord(bot_token=TOKEN, **fake_options)  # type: ignore[arg-type]
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


def fanbot_process(fake: FakeDiscord, db: Path, log: Path, **extra_env: str) -> BotProcess:
    """``fanbot run`` of the checkout at ``FANBOT_ROOT`` against ``fake``, not started yet."""
    env = fanbot_env(fake, db, extra_env, root=FANBOT_ROOT)
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
