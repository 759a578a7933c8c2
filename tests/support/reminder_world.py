"""Test support for reminders: a guild's own race weekend, a courier that stands in
for Discord's message endpoint (it keeps what was posted and drops a repeated nonce,
as Discord does with enforce_nonce), and one that dies once it has posted."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from fanbot.calendar_files.catalog import parse_catalog, shipped_catalog
from fanbot.clock import Clock, FixedClock
from fanbot.config import catalog_path
from fanbot.domain.catalog import Catalog
from fanbot.reminders.corrections import Correction
from fanbot.reminders.dispatcher import Courier, Delivered, Dispatcher, HistoryUnreadable, Notice, Outcome
from fanbot.store import Store


def weekend(
    key: str,
    sessions: list[tuple[str, str, str | None]],
    *,
    name: str = "Test 6 Hours",
    series: str = "WEC",
    circuit: str = "la-sarthe",
    status: str = "scheduled",
    watch_url: str | None = None,
) -> Catalog:
    """A guild catalog holding one made-up event: sessions are (kind, local date, local time)."""
    raw = copy.deepcopy(json.loads(catalog_path().read_text(encoding="utf-8")))
    raw["events"] = [
        {
            "key": key,
            "series": series,
            "season": int(sessions[0][1][:4]),
            "name": name,
            "circuit": circuit,
            "status": status,
            "watch_url": watch_url,
            "sessions": [{"kind": k, "date": d, "time": t} for k, d, t in sessions],
        }
    ]
    return parse_catalog(raw)


@dataclass
class Posted:
    notice: Notice
    at: datetime
    message_id: int


@dataclass
class StandInDiscord:
    """Posts reminders into a list. ``outcomes`` scripts answers per target id
    (consumed in order); a nonce seen before returns the earlier message. Each post
    takes ``delay`` seconds, and waits for ``hold`` to be set if there is one. A look
    for an earlier post (``lookups``) finds it by its nonce, unless ``history_unreadable``
    says why it cannot."""

    clock: Clock
    posted: list[Posted] = field(default_factory=list)
    outcomes: dict[int, list[Outcome]] = field(default_factory=dict)
    attempts: list[Notice] = field(default_factory=list)
    crash_after_accept: bool = False
    delay: float = 0.0
    hold: asyncio.Event | None = None
    lookups: list[Notice] = field(default_factory=list)
    history_unreadable: str | None = None
    _by_nonce: dict[str, Posted] = field(default_factory=dict)

    async def deliver(self, notice: Notice) -> Outcome:
        self.attempts.append(notice)
        if self.hold is not None:
            await self.hold.wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        scripted = self.outcomes.get(notice.target.id)
        if scripted:
            return scripted.pop(0)
        earlier = self._by_nonce.get(notice.nonce)
        if earlier is None:
            earlier = Posted(notice, self.clock.now(), 1000 + len(self.posted))
            self.posted.append(earlier)
            self._by_nonce[notice.nonce] = earlier
        if self.crash_after_accept:
            # The process dies after Discord took the message, before it hears back.
            raise ProcessDied
        return Delivered(
            channel_id=notice.setup.channel_id if notice.setup else notice.target.id,
            message_id=earlier.message_id,
        )

    async def find_posted(self, notice: Notice, *, since: datetime) -> Delivered | HistoryUnreadable | None:
        self.lookups.append(notice)
        if self.history_unreadable is not None:
            return HistoryUnreadable(self.history_unreadable)
        earlier = self._by_nonce.get(notice.nonce)
        if earlier is None or earlier.at < since:
            return None
        channel_id = notice.setup.channel_id if notice.setup else notice.target.id
        return Delivered(channel_id, earlier.message_id, posted_at=earlier.at)

    async def send_correction(self, correction: Correction, *, guild_id: int, fan_locale: str | None) -> bool:
        return True  # corrections are tested with the real courier (test_bot_reminders)


class ProcessDied(Exception):
    pass


class DiesAfterPosting:
    """A process killed after Discord took its reminder and before it wrote that down:
    posts through ``courier``, then raises instead of answering (the claim stays, with
    its lease, for another process to take over)."""

    def __init__(self, courier: Courier) -> None:
        self.courier = courier
        self.posted: list[Outcome] = []

    async def deliver(self, notice: Notice) -> Outcome:
        self.posted.append(await self.courier.deliver(notice))
        raise ProcessDied

    async def find_posted(self, notice: Notice, *, since: datetime) -> Delivered | HistoryUnreadable | None:
        return await self.courier.find_posted(notice, since=since)

    async def send_correction(self, correction: Correction, *, guild_id: int, fan_locale: str | None) -> bool:
        return await self.courier.send_correction(correction, guild_id=guild_id, fan_locale=fan_locale)


class RunningClock:
    """Real time, starting from a chosen instant: for the dispatcher's own loop."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._t0)


async def drive(dispatcher: Dispatcher, clock: FixedClock, until: datetime) -> None:
    """Run the dispatcher as its loop would, jumping the clock to each due time."""
    for _ in range(500):
        next_due = await dispatcher.run_once()
        if next_due is None or next_due > until:
            clock.instant = until
            return
        clock.instant = max(clock.instant, next_due)
    raise AssertionError("the dispatcher never settled")


async def store_at(path: Path) -> Store:
    return await Store.open(path, seed=shipped_catalog())
