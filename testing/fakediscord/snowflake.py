"""Snowflake ids with a realistic timestamp component.

Bots sort, compare and date messages by their ids (``discord.utils.snowflake_time``),
so the fake must hand out ids that encode the moment they were made, strictly increasing.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1_420_070_400_000


class SnowflakeGenerator:
    """Makes ids ``(ms since Discord epoch) << 22 | worker << 17 | process << 12 | increment``.

    Ids are strictly increasing even when many are made in the same millisecond: once the
    12-bit increment is used up the generator borrows the next millisecond.
    """

    def __init__(self, worker: int = 1, process: int = 0) -> None:
        self._worker = worker & 0x1F
        self._process = process & 0x1F
        self._last = 0

    def next(self) -> int:
        now_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        candidate = (now_ms << 22) | (self._worker << 17) | (self._process << 12)
        if candidate <= self._last:
            candidate = self._last + 1
        self._last = candidate
        return candidate


def snowflake_time(snowflake: int) -> datetime:
    """The aware UTC instant encoded in a snowflake."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def iso_now() -> str:
    """Discord's timestamp format: ISO 8601 with microseconds and an explicit UTC offset."""
    return datetime.now(UTC).isoformat()
