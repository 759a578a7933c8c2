"""``fanbot run``: starting the bot where the settings point, logging in with retries
until Discord answers, and stopping cleanly on SIGTERM or Ctrl-C (reminders being sent
get a few seconds to be recorded). The bot itself is ``fanbot.bot.app``."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

import discord
import yarl

from fanbot.bot.app import UNREACHABLE, FanBot, _why, make_bot
from fanbot.config import Settings

log = logging.getLogger(__name__)


def point_at(settings: Settings) -> None:
    """Send discord.py's REST and gateway traffic where the settings say
    (Discord itself by default; a proxy or a local test double otherwise)."""
    discord.http.Route.BASE = settings.api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


def run_bot(settings: Settings, database: Path | str) -> int:
    """``fanbot run``: 0 once stopped (SIGTERM, Ctrl-C), 2 for a token Discord refuses."""
    point_at(settings)
    # fanbot never joins voice: discord.py's warnings about voice libraries are noise.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    bot = make_bot(settings, database, watch_other_writers=True)
    one_line = _OneLineReconnects(bot, settings.gateway_url)
    logging.getLogger("discord.client").addFilter(one_line)
    logging.getLogger("discord.shard").addFilter(one_line)
    assert settings.token is not None
    try:
        asyncio.run(_run_until_stopped(bot, settings.token))
    except discord.LoginFailure:
        log.error(
            "Discord refused the bot token (DISCORD_TOKEN): copy it again from the Bot tab of "
            "https://discord.com/developers/applications (a reset token replaces the old one)"
        )
        return 2
    except UNREACHABLE as exc:
        # Only while setting up (``_log_in_with_retries``): a restart starts over cleanly.
        log.error(
            "lost the connection to Discord at %s while starting up (%s); stopping, so that the "
            "service manager starts fanbot again",
            discord.http.Route.BASE,
            _why(exc),
        )
        return 1
    except Exception:
        log.exception("fanbot stopped on an error")
        return 1
    return 0


# Waits between tries to reach Discord: doubling from the first to the longest.
FIRST_RETRY_SECONDS = 2.0
LONGEST_RETRY_SECONDS = 120.0


async def _log_in_with_retries(bot: FanBot, token: str, stop: asyncio.Event) -> bool:
    """Log in (REST), trying again with growing waits while Discord cannot be reached;
    False when told to stop meanwhile. Once logged in, discord.py's own loop reconnects
    the gateway with backoff (``_OneLineReconnects`` keeps its log to one line)."""
    delay = FIRST_RETRY_SECONDS
    while True:
        try:
            await bot.login(token)
            return True
        except UNREACHABLE as exc:
            if bot._store is not None:
                # Lost while setting up (syncing commands): setup_hook cannot run twice in
                # one process; the service manager's restart tries again from the start.
                raise
            log.warning(
                "could not connect to Discord at %s (%s); retrying in %g s, then with waits "
                "doubling up to %g s (Ctrl-C or SIGTERM stops)",
                discord.http.Route.BASE,
                _why(exc),
                delay,
                LONGEST_RETRY_SECONDS,
            )
        # Each login opens a new HTTP session on the client's connector; closing the failed
        # one closes that connector too, so the next login must make its own.
        await bot.http.close()
        bot.http.connector = discord.utils.MISSING
        if await _stopped_within(stop, delay):
            return False
        delay = min(delay * 2, LONGEST_RETRY_SECONDS)


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True


async def _log_in_and_connect(bot: FanBot, token: str, stop: asyncio.Event) -> None:
    if not await _log_in_with_retries(bot, token, stop):
        return
    delay = FIRST_RETRY_SECONDS
    while True:
        try:
            await bot.connect(reconnect=True)
            return
        except AttributeError:
            # discord.py (2.7) retries a gateway it cannot reach, but when it never reached it
            # at all, its retry reads the missing websocket's sequence and fails: try again here.
            if bot.ws is not None or bot.is_closed():
                raise
        log.warning(
            "could not connect to Discord's gateway at %s; retrying in %g s, then with waits "
            "doubling up to %g s (Ctrl-C or SIGTERM stops)",
            bot.settings.gateway_url,
            delay,
            LONGEST_RETRY_SECONDS,
        )
        if await _stopped_within(stop, delay):
            return
        delay = min(delay * 2, LONGEST_RETRY_SECONDS)


class _OneLineReconnects(logging.Filter):
    """discord.py logs each gateway reconnect with the whole traceback of why: keep one
    line per attempt, saying where it tried (none before the first connection: the retry
    loop of ``_log_in_and_connect`` says it)."""

    def __init__(self, bot: FanBot, gateway_url: str) -> None:
        super().__init__()
        self.bot = bot
        self.gateway_url = gateway_url

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        exc = record.exc_info[1] if record.exc_info else None
        if record.msg == "Attempting a reconnect in %.2fs" and record.exc_info:
            if self.bot.ws is None:
                return False
            delay = args[0] if args else 0.0
            self._one_line(
                record,
                "lost or could not reach Discord's gateway at %s (%s); reconnecting in %.0f s",
                (self.gateway_url, _why(exc) if exc else "?", delay),
            )
        # A sharded bot's shards reconnect each on its own (discord.py's ``Shard``); a shard
        # that could not connect at all is tried again 5 s later, again and again.
        elif record.msg == "Attempting a reconnect for shard ID %s in %.2fs" and record.exc_info:
            shard, delay = (*args, "?", 0.0)[:2]
            self._one_line(
                record,
                "shard %s lost or could not reach Discord's gateway at %s (%s); reconnecting in %.0f s",
                (shard, self.gateway_url, _why(exc) if exc else "?", delay),
            )
        elif record.msg == "Failed to connect for shard_id: %s. Retrying..." and record.exc_info:
            self._one_line(
                record,
                "shard %s could not connect to Discord's gateway at %s (%s); retrying in 5 s",
                (args[0] if args else "?", self.gateway_url, _why(exc) if exc else "?"),
            )
        return True

    @staticmethod
    def _one_line(record: logging.LogRecord, msg: str, args: tuple[object, ...]) -> None:
        record.msg, record.args = msg, args
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = None
        record.exc_text = None


async def _run_until_stopped(bot: FanBot, token: str) -> None:
    """Run until Discord lets go or the service manager says stop (SIGTERM, as systemd and
    Docker do, or Ctrl-C): then close properly, so reminders under way are written down.
    (discord.py's own ``run`` only catches Ctrl-C: SIGTERM killed the process mid-send.)
    While Discord cannot be reached, it keeps trying (``_log_in_with_retries``)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    # Windows event loops take no signal handlers: there, Ctrl-C still ends asyncio.run.
    if sys.platform != "win32":
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
    async with bot:
        running = asyncio.create_task(_log_in_and_connect(bot, token, stop))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if running.done() and not stop.is_set():
            running.result()  # a login refused or a fatal error: raise it
            return
        log.info("stopping: closing the connection to Discord and the store")
        await bot.close()
        await asyncio.gather(running, return_exceptions=True)
        # A stop that came while setup_hook was still opening the store: close it now.
        await bot.close()
