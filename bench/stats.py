"""Percentiles and the ideal rate-limited schedule the reminder figures are compared with."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100): a value that was actually observed."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Spread:
    n: int
    p50: float
    p99: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(len(values), percentile(values, 50), percentile(values, 99), max(values, default=math.nan))


def paced_schedule(due: Sequence[float], rate: float, tie: Sequence[float] | None = None) -> list[float]:
    """The earliest instants a sender limited to ``rate`` messages per second, sending
    one every 1/rate s and never before a message is due, could send messages due at
    ``due`` (earliest due first, which minimises the worst lateness; equal due times in
    ``tie`` order). Same order as ``due``."""
    interval = 1.0 / rate
    order = sorted(range(len(due)), key=lambda i: (due[i], tie[i] if tie is not None else 0.0))
    ideal = [0.0] * len(due)
    free = -math.inf
    for i in order:
        at = max(due[i], free)
        ideal[i] = at
        free = at + interval
    return ideal
