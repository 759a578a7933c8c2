"""One change signal for the whole fake, so tests can wait for "something happened" without polling."""

# Tests read best as ``await fake.slash(..., timeout=5)``; the deadline is the API here.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Changes:
    """Every state change calls :meth:`bump`; waiters re-check their predicate on each bump."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def bump(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait_for(
        self, predicate: Callable[[], T | None], timeout: float, what: str, *, poll: float | None = None
    ) -> T:
        """Return the predicate's first truthy value; TimeoutError naming ``what`` otherwise.

        ``poll`` also re-checks every so often, for predicates on state outside the fake
        (the bot's own cache, a subprocess) that no bump announces.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
            event = self._event
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining if poll is None else min(poll, remaining))
