"""Discord's global REST limit kept on our side: one budget under every REST request
of the process (reminders, corrections, DM channels, command syncs)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord

from fanbot.metrics import RATE_LIMITED

# Discord's global limit: 50 requests per second per bot (interaction responses and
# follow-ups are outside it; they do not go through discord.py's HTTPClient.request).
GLOBAL_LIMIT = 50


class RestBudget:
    """Discord's global limit kept on our side, for every REST request of the process.

    A permit is taken before a request goes out and comes back ``per`` seconds after
    Discord *answered* it. The answer comes after the request arrived, so request n + 50
    can never reach Discord within a second of request n, whatever the network delays:
    a thousand reminders at once provoke no 429, yet the budget is used in full (each
    permit again as soon as it may be). Sends, DM channels, corrections and test posts
    share it, so none of them can push another over the limit.

    Once four fifths of the budget are out, requests also start at least ``spacing`` apart
    (half the average interval): a long burst would queue at Discord and lengthen every
    answer, and each permit comes back only an answer later, so it would cost throughput.
    A burst of up to 40 (one race's reminders on a mid-sized bot) still goes out at once.
    """

    def __init__(self, limit: int = GLOBAL_LIMIT, per: float = 1.0) -> None:
        self.limit = limit
        self.per = per
        self.spacing = per / limit / 2
        self._last_start = -1.0
        self._in_flight = 0
        self._returning: deque[float] = deque()  # when used permits come back, in order
        self._turn = asyncio.Lock()  # first come, first served
        self._released = asyncio.Event()

    def _used(self, now: float) -> int:
        while self._returning and self._returning[0] <= now:
            self._returning.popleft()
        return self._in_flight + len(self._returning)

    def in_use(self) -> int:
        """Permits out now: requests under way, and those answered within ``per``."""
        return self._used(time.monotonic())

    async def acquire(self) -> None:
        async with self._turn:
            while self._used(time.monotonic()) >= self.limit:
                self._released.clear()
                # Every permit out: wait for the first to come back, or for an answer
                # (which starts another permit's way back).
                wait = self._returning[0] - time.monotonic() if self._returning else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._released.wait(), wait)
            busy = self._used(time.monotonic()) >= self.limit * 4 // 5
            too_soon = self._last_start + self.spacing - time.monotonic()
            if busy and too_soon > 0:
                # Nobody else gets a permit meanwhile (we hold the turn), and a request
                # cancelled here has taken none: the permit is counted after the sleep.
                await asyncio.sleep(too_soon)
            self._in_flight += 1
            self._last_start = time.monotonic()

    def release(self) -> None:
        self._in_flight -= 1
        self._returning.append(time.monotonic() + self.per)
        self._released.set()

    def install(self, http: discord.http.HTTPClient) -> None:
        """Make every request of ``http`` (discord.py's REST client) take a permit."""
        send = http.request

        async def request(route: discord.http.Route, **kwargs: Any) -> Any:
            await self.acquire()  # takes its permit at its last step: nothing to give back if cancelled
            try:
                return await send(route, **kwargs)
            finally:
                self.release()

        http.request = request  # type: ignore[method-assign]


def rate_limit_trace() -> aiohttp.TraceConfig:
    """A trace for discord.py's HTTP session (``Client(http_trace=...)``) that counts every
    429 Discord answers, REST, interaction callbacks and webhooks alike (discord.py waits
    and retries them by itself, saying so only in its log)."""

    async def on_request_end(
        session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        if params.response.status == 429:
            RATE_LIMITED.inc()

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(on_request_end)
    return trace
