"""``fanbot run`` as its own process against the fake Discord, as users deploy the bot.

The end-to-end tests, the fault-injection tests and the benchmarks all start the bot this way:
``python -m fanbot.cli run`` with the fake's URLs in ``DISCORD_API_BASE_URL`` /
``DISCORD_GATEWAY_URL``, its own SQLite file in ``FANBOT_DB``, and the checkout to test on
``PYTHONPATH`` (the bench may point that at another checkout, to measure an earlier bot).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

from testing.fakediscord import FakeDiscord

#: The bot token every fake in tests and bench is started with.
TOKEN = "fake-token"
#: The checkout this module belongs to: where ``fanbot`` (and ``testing``) import from.
REPO_ROOT = Path(__file__).resolve().parents[1]
#: The command line of the bot process (``fanbot run`` without needing the console script).
FANBOT_RUN = (sys.executable, "-m", "fanbot.cli", "run")


def fanbot_env(
    discord: FakeDiscord | Mapping[str, str],
    db: Path,
    extra_env: Mapping[str, str] | None = None,
    *,
    root: Path = REPO_ROOT,
    log_level: str = "WARNING",
) -> dict[str, str]:
    """The environment of a ``fanbot run`` process talking to ``discord``: a fake, or the
    ``DISCORD_API_BASE_URL`` / ``DISCORD_GATEWAY_URL`` of one not listening yet. ``extra_env``
    comes last and wins (``{"FANBOT_REMINDER_LEASE_SECONDS": "2"}``, ...); ``root`` is the
    checkout whose ``fanbot`` runs."""
    urls = discord.env if isinstance(discord, FakeDiscord) else dict(discord)
    return {
        **os.environ,
        **urls,
        "DISCORD_TOKEN": TOKEN,
        "FANBOT_DB": str(db),
        "FANBOT_LOG_LEVEL": log_level,
        "PYTHONPATH": str(root),
        **(extra_env or {}),
    }


async def start_fanbot(
    discord: FakeDiscord | Mapping[str, str],
    db: Path,
    *,
    cwd: Path | None = None,
    stderr: int | None = None,
    log_level: str = "WARNING",
    **extra_env: str,
) -> asyncio.subprocess.Process:
    """Start ``fanbot run`` against ``discord`` with its database at ``db`` (see :func:`fanbot_env`);
    ``stderr=asyncio.subprocess.PIPE`` to read its log."""
    env = fanbot_env(discord, db, extra_env, log_level=log_level)
    return await asyncio.create_subprocess_exec(*FANBOT_RUN, env=env, cwd=cwd, stderr=stderr)


async def kill_fanbot(process: asyncio.subprocess.Process) -> None:
    """SIGKILL unless it already exited, as a crash would: nothing is flushed or closed."""
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
    await process.wait()
