"""Sharding as Discord documents it: which shard a guild belongs to, the IDENTIFY buckets of
``max_concurrency``, and the daily budget of session starts.

Why a module of its own: several processes of one bot share these limits (they are per bot
token, not per connection), so the fake keeps one ledger of every IDENTIFY it was sent and
judges each against it; tests then assert the ledger is clean (:attr:`IdentifyLedger.violations`)
rather than timing the bot.

Discord's rules (developer docs, Gateway → Sharding, Identifying, Session Start Limit):

- a guild's events go to shard ``(guild_id >> 22) % shard_count``; DMs and other events
  without a guild to shard 0;
- shards identify in buckets ``shard_id % max_concurrency``, one IDENTIFY per bucket per 5 s;
  "if they exceed this limit, the gateway will respond with an Opcode 9 Invalid Session";
- at most 2,500 guilds per shard (close code 4011 Sharding required), and a ``shard`` value
  that makes no sense closes with 4010 Invalid shard;
- 1,000 session starts (IDENTIFYs, not RESUMEs) a day; ``GET /gateway/bot`` reports what is left.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

#: The session start budget is counted over a day.
DAY_SECONDS = 86_400.0

#: A millisecond timestamp (about 2021-01-01 after the Discord epoch) that is a multiple of
#: every shard count from 1 to 16 (720,720 = lcm(1..16)): see :func:`spread_guild_id`.
_SPREAD_BASE_MS = 262_640 * 720_720


def shard_of(guild_id: int | None, shard_count: int) -> int:
    """The shard that gets ``guild_id``'s events; DMs (``None``) go to shard 0."""
    return 0 if guild_id is None else (guild_id >> 22) % shard_count


def spread_guild_id(i: int) -> int:
    """The ``i``-th of a run of guild snowflakes that lands on shard ``i % n`` for every shard
    count ``n`` from 1 to 16, so tests get guilds spread evenly over any shard layout.

    Ids that differ only in their low 22 bits (``base + i * 1000``) all land on one shard:
    the shard is read from the timestamp part of the id.
    """
    return ((_SPREAD_BASE_MS + i) << 22) | (1 << 17)


def parse_shard(raw: Any) -> tuple[int, int] | None:
    """IDENTIFY's ``shard: [id, count]`` (``[0, 1]`` when absent), or None when Discord would
    close with 4010 Invalid shard."""
    if raw is None:
        return 0, 1
    if not isinstance(raw, list | tuple) or len(raw) != 2:
        return None
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in raw):
        return None
    index, count = raw
    if count < 1 or not 0 <= index < count:
        return None
    return index, count


def recommended_shards(guild_count: int, guilds_per_shard: int = 1000) -> int:
    """What ``GET /gateway/bot`` recommends when the test did not fix it: one shard per
    1,000 guilds, as Discord roughly does."""
    return max(1, math.ceil(guild_count / guilds_per_shard))


@dataclass(frozen=True)
class IdentifyRecord:
    """One IDENTIFY that passed the token and shard checks.

    ``time`` is ``time.monotonic()`` when the fake read it; ``bucket`` is
    ``shard_id % max_concurrency``; ``since_previous`` the seconds since the previous accepted
    IDENTIFY of that bucket (None for the first); ``too_early`` when that is less than the
    fake's ``identify_interval_seconds``; ``refused`` when the fake answered op 9 Invalid
    Session instead of READY (``reject_early_identify``); ``session_id`` of the session it
    started (None when refused).
    """

    time: float
    shard: tuple[int, int]
    bucket: int
    since_previous: float | None
    too_early: bool
    refused: bool
    session_id: str | None


@dataclass
class IdentifyLedger:
    """Every IDENTIFY of the bot, across all its connections and processes."""

    records: list[IdentifyRecord] = field(default_factory=list)
    _last_accepted: dict[int, float] = field(default_factory=dict)

    def judge(
        self, shard: tuple[int, int], now: float, *, max_concurrency: int, interval: float
    ) -> tuple[int, float | None, bool]:
        """``(bucket, since_previous, too_early)`` for an IDENTIFY of ``shard`` at ``now``."""
        bucket = shard[0] % max(1, max_concurrency)
        last = self._last_accepted.get(bucket)
        since = None if last is None else now - last
        return bucket, since, since is not None and since < interval

    def add(self, record: IdentifyRecord) -> None:
        self.records.append(record)
        if not record.refused:
            self._last_accepted[record.bucket] = record.time

    @property
    def violations(self) -> list[IdentifyRecord]:
        """IDENTIFYs sent before their bucket's interval had passed: what Discord answers with
        op 9 Invalid Session. A bot that paces its shards right leaves this empty."""
        return [r for r in self.records if r.too_early]

    def session_start_limit(self, now: float, *, total: int, max_concurrency: int) -> dict[str, int]:
        """The ``session_start_limit`` object of ``GET /gateway/bot``: accepted IDENTIFYs of the
        last day count against ``total``; ``reset_after`` (ms) is when the oldest of them ages out."""
        started = [r.time for r in self.records if not r.refused and r.time > now - DAY_SECONDS]
        reset_after = math.ceil((min(started) + DAY_SECONDS - now) * 1000) if started else 0
        return {
            "total": total,
            "remaining": max(0, total - len(started)),
            "reset_after": reset_after,
            "max_concurrency": max_concurrency,
        }
