"""``fanbot run`` as its own process against the fake Discord, as users deploy the bot.

The end-to-end tests, the fault-injection tests and the benchmarks all start the bot this way:
``python -m fanbot.cli run`` with the fake's URLs in ``DISCORD_API_BASE_URL`` /
``DISCORD_GATEWAY_URL``, its own SQLite file in ``FANBOT_DB``, and the checkout to test on
``PYTHONPATH`` (the bench may point that at another checkout, to measure an earlier bot).

Several processes of one bot, each running some shards on one shared database::

    common = {"shard_count": 4, "database_url": "postgresql://postgres@127.0.0.1:5432/t1"}
    first = await start_fanbot(fake, None, shard_ids=[0, 1], **common)
    second = await start_fanbot(fake, None, shard_ids="2-3", **common)
    await fake.wait_ready(30, shard_count=4)

``shard_count`` / ``shard_ids`` / ``database_url`` become ``FANBOT_SHARD_COUNT`` /
``FANBOT_SHARD_IDS`` (``"0,1"``; a string such as ``"0-3"`` is passed as written) /
``FANBOT_DATABASE_URL``. Those three are never inherited from the test runner's own
environment: a process runs the shards and the store its test asked for, or one process on
the SQLite file ``db`` as before.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from testing.fakediscord import FakeDiscord

#: The bot token every fake in tests and bench is started with.
TOKEN = "fake-token"
#: The checkout this module belongs to: where ``fanbot`` (and ``testing``) import from.
REPO_ROOT = Path(__file__).resolve().parents[1]
#: The command line of the bot process (``fanbot run`` without needing the console script).
FANBOT_RUN = (sys.executable, "-m", "fanbot.cli", "run")
#: What decides a process's shards and store: set only from the arguments, never inherited.
_DEPLOYMENT_VARS = ("FANBOT_SHARD_COUNT", "FANBOT_SHARD_IDS", "FANBOT_DATABASE_URL")


def fanbot_env(
    discord: FakeDiscord | Mapping[str, str],
    db: Path | None,
    extra_env: Mapping[str, str] | None = None,
    *,
    root: Path = REPO_ROOT,
    log_level: str = "WARNING",
    shard_count: int | None = None,
    shard_ids: Iterable[int] | str | None = None,
    database_url: str | None = None,
) -> dict[str, str]:
    """The environment of a ``fanbot run`` process talking to ``discord``: a fake, or the
    ``DISCORD_API_BASE_URL`` / ``DISCORD_GATEWAY_URL`` of one not listening yet. ``db`` is its
    SQLite file (``None`` with ``database_url``, a PostgreSQL URL); ``shard_count`` and
    ``shard_ids`` its shards (see the module docstring). ``extra_env`` comes last and wins
    (``{"FANBOT_REMINDER_LEASE_SECONDS": "2"}``, ...); ``root`` is the checkout whose ``fanbot`` runs."""
    urls = discord.env if isinstance(discord, FakeDiscord) else dict(discord)
    env = {k: v for k, v in os.environ.items() if k not in _DEPLOYMENT_VARS}
    env.update(urls)
    env.update(DISCORD_TOKEN=TOKEN, FANBOT_LOG_LEVEL=log_level, PYTHONPATH=str(root))
    if db is not None:
        env["FANBOT_DB"] = str(db)
    else:
        env.pop("FANBOT_DB", None)
    if shard_count is not None:
        env["FANBOT_SHARD_COUNT"] = str(shard_count)
    if shard_ids is not None:
        env["FANBOT_SHARD_IDS"] = shard_ids if isinstance(shard_ids, str) else ",".join(map(str, shard_ids))
    if database_url is not None:
        env["FANBOT_DATABASE_URL"] = database_url
    env.update(extra_env or {})
    return env


async def start_fanbot(
    discord: FakeDiscord | Mapping[str, str],
    db: Path | None,
    *,
    cwd: Path | None = None,
    stderr: int | None = None,
    log_level: str = "WARNING",
    shard_count: int | None = None,
    shard_ids: Iterable[int] | str | None = None,
    database_url: str | None = None,
    **extra_env: str,
) -> asyncio.subprocess.Process:
    """Start ``fanbot run`` against ``discord`` with its database at ``db`` or ``database_url``,
    running ``shard_ids`` of ``shard_count`` shards if given (see :func:`fanbot_env`); other
    keyword arguments are environment variables. ``stderr=asyncio.subprocess.PIPE`` to read its log."""
    env = fanbot_env(
        discord,
        db,
        extra_env,
        log_level=log_level,
        shard_count=shard_count,
        shard_ids=shard_ids,
        database_url=database_url,
    )
    return await asyncio.create_subprocess_exec(*FANBOT_RUN, env=env, cwd=cwd, stderr=stderr)


async def kill_fanbot(process: asyncio.subprocess.Process) -> None:
    """SIGKILL unless it already exited, as a crash would: nothing is flushed or closed."""
    if process.returncode is None:
        process.send_signal(signal.SIGKILL)
    await process.wait()
