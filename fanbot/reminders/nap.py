"""A loop's sleep that a wake-up cuts short: the reminder dispatcher's, the calendar
boards' and the Events tab mirror's loops each sleep until their next instant or until
something changed, whichever comes first."""

from __future__ import annotations

import asyncio


class Nap:
    """``await nap.sleep(seconds)``, ended early by ``nap.wake()``.

    ``woken`` remembers a wake that came while the loop was not asleep (it was looking):
    the loop clears it before it looks and skips the sleep when it is set, so a change made
    while it looked is never slept through. The sleep is a plain one in a future of its
    own, gathered with ``return_exceptions``: cancelling it (a wake) ends the nap, while a
    cancellation of the loop's own task still propagates."""

    def __init__(self) -> None:
        self.woken = False
        self._sleeper: asyncio.Future[None] | None = None

    def wake(self) -> None:
        self.woken = True
        if self._sleeper is not None:
            self._sleeper.cancel()

    async def sleep(self, seconds: float) -> None:
        self._sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
        try:
            await asyncio.gather(self._sleeper, return_exceptions=True)
        finally:
            self._sleeper.cancel()
            self._sleeper = None
