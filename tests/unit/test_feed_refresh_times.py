"""When a subscription is fetched next: its interval or the feed's shorter one, never
under 15 minutes, spread a tenth either way so servers subscribed at once drift apart."""

from __future__ import annotations

import random
from datetime import timedelta

from fanbot.domain.limits import FEED_REFRESH_MIN
from fanbot.domain.localtime import parse_instant
from fanbot.feeds.refresh import next_fetch
from fanbot.store.feeds import Subscription

NOW = parse_instant("2030-01-01T00:00:00Z")


def sub(minutes: int) -> Subscription:
    return Subscription(
        id=1, guild_id=1, url="https://feeds.example.test/x.ics", series="WEC", refresh_minutes=minutes,
        created_by=1, created_at=NOW, next_fetch_at=NOW, last_fetch_at=None, last_ok_at=None,
        last_change_at=None, failing_since=None, last_error=None, told_broken=False, unread=(), events=0,
    )  # fmt: skip


def test_a_thousand_subscriptions_made_at_once_fetch_spread_over_a_tenth_either_way() -> None:
    rng = random.Random(15)
    times = [next_fetch(sub(360), NOW, None, rng) - NOW for _ in range(1000)]
    assert min(times) >= timedelta(hours=6) * 0.9
    assert max(times) <= timedelta(hours=6) * 1.1
    # Spread: no second holds more than a handful of them.
    seconds = [int(t.total_seconds()) for t in times]
    assert max(seconds.count(s) for s in set(seconds)) <= 5  # without jitter: all 1,000
    assert max(times) - min(times) > timedelta(hours=1)


def test_the_feeds_own_shorter_interval_wins_but_never_under_the_minimum() -> None:
    rng = random.Random(1)
    asked = next_fetch(sub(1440), NOW, timedelta(hours=1), rng) - NOW
    assert timedelta(minutes=54) <= asked <= timedelta(minutes=66)
    assert next_fetch(sub(1440), NOW, timedelta(minutes=1), rng) - NOW >= FEED_REFRESH_MIN
    # A longer interval asked by the feed does not slow the moderator's choice.
    assert next_fetch(sub(60), NOW, timedelta(days=1), rng) - NOW <= timedelta(minutes=66)
