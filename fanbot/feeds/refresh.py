"""Fetching subscribed feeds when they are due, once per URL for every guild that follows it.

A URL is fetched with the validators of its last fetch (a 304 writes nothing but when
to look next); a body whose digest did not change is not read again. A fetch or a read
that fails leaves every guild's calendar as it was and keeps when the failing began
(a subscription failing for a day is shown as broken). The next fetch of each
subscription comes after its own interval, or the feed's REFRESH-INTERVAL when that is
shorter, never sooner than ``FEED_REFRESH_MIN``, with up to a tenth either way of
jitter so that a thousand guilds subscribed at once do not fetch in one second.
"""

from __future__ import annotations

import hashlib
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from fanbot.domain.catalog import Problem
from fanbot.domain.limits import FEED_REFRESH_MIN
from fanbot.feeds.apply import FeedChange, FeedUnusable, Reads, apply_read
from fanbot.feeds.fetch import FeedFetcher, FetchError
from fanbot.i18n import N_
from fanbot.store import Store
from fanbot.store.feeds import Subscription

log = logging.getLogger(__name__)

JITTER = 0.1
# At most this many due subscriptions are taken per pass (the rest in the next one).
DUE_PER_PASS = 200

Result = Literal["changed", "unchanged", "not-modified", "failed"]


@dataclass(frozen=True)
class Refreshed:
    """What fetching one URL did, for every subscription to it."""

    url: str
    result: Result
    changes: list[FeedChange] = field(default_factory=list)
    problem: Problem | None = None
    # Subscriptions whose read failed although the fetch worked (bad file for their series).
    failed: dict[int, Problem] = field(default_factory=dict)


def next_fetch(sub: Subscription, now: datetime, hint: timedelta | None, rng: random.Random) -> datetime:
    every = timedelta(minutes=sub.refresh_minutes)
    if hint is not None and hint < every:
        every = hint
    every = max(every, FEED_REFRESH_MIN)
    spread = every * (1 - JITTER + 2 * JITTER * rng.random())
    return now + max(spread, FEED_REFRESH_MIN)


def problems_in_one(problems: Sequence[Problem]) -> Problem:
    if len(problems) == 1:
        return problems[0]
    return Problem(N_("{first} (and {more} more problems)"), first=problems[0], more=len(problems) - 1)


async def refresh_url(
    store: Store,
    fetcher: FeedFetcher,
    url: str,
    *,
    now: datetime,
    rng: random.Random | None = None,
) -> Refreshed:
    """Fetch ``url`` once and bring every guild subscribed to it up to date."""
    rng = rng or random.Random()
    subs = await store.feeds.of_url(url)
    if not subs:
        return Refreshed(url, "unchanged")
    source = await store.feeds.source(url)
    # A subscription never read yet, or whose last read failed, needs the body even when
    # nothing changed since another guild's last fetch.
    fresh = [s for s in subs if s.last_ok_at is None or s.read_failed]
    conditional = source is not None and not fresh
    try:
        fetched = await fetcher.fetch(
            url,
            etag=source.etag if conditional and source else None,
            last_modified=source.last_modified if conditional and source else None,
        )
    except FetchError as exc:
        log.info("feed %s: %s", url, exc)
        await store.feeds.failed(
            exc.problem, at=now, subscriptions={s.id: next_fetch(s, now, None, rng) for s in subs}
        )
        return Refreshed(url, "failed", problem=exc.problem)
    if fetched.body is None:
        await store.feeds.fetched(
            url,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            body_sha256=source.body_sha256 if source else None,
            at=now,
            subscriptions={s.id: next_fetch(s, now, None, rng) for s in subs},
        )
        return Refreshed(url, "not-modified")
    digest = hashlib.sha256(fetched.body).hexdigest()
    same = source is not None and source.body_sha256 == digest
    to_read = fresh if same else subs
    changes: list[FeedChange] = []
    failed: dict[int, Problem] = {}
    hints: dict[int, timedelta | None] = {}
    reads = Reads(store, fetched.body, url)  # parsed once for every guild that reads it
    for sub in to_read:
        try:
            read = await reads.read(sub)
        except FeedUnusable as exc:
            failed[sub.id] = problems_in_one(exc.problems)
            continue
        hints[sub.id] = read.refresh
        changes.extend(await apply_read(store, sub, read, now=now))
    for sub_id, problem in failed.items():
        sub = next(s for s in subs if s.id == sub_id)
        await store.feeds.failed(
            problem, at=now, subscriptions={sub_id: next_fetch(sub, now, None, rng)}, reading=True
        )
    await store.feeds.fetched(
        url,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        body_sha256=digest,
        at=now,
        subscriptions={s.id: next_fetch(s, now, hints.get(s.id), rng) for s in subs if s.id not in failed},
    )
    result: Result = "changed" if changes else "unchanged"
    if failed and not changes and len(failed) == len(to_read):
        result = "failed"
    return Refreshed(url, result, changes, failed=failed)


async def refresh_due(
    store: Store, fetcher: FeedFetcher, *, now: datetime, rng: random.Random | None = None
) -> list[Refreshed]:
    """Every URL with a subscription due, fetched once each."""
    due = await store.feeds.due(now, limit=DUE_PER_PASS)
    urls = list(dict.fromkeys(s.url for s in due))
    done = []
    for url in urls:
        try:
            done.append(await refresh_url(store, fetcher, url, now=now, rng=rng))
        except Exception:
            # One feed's surprise must not stop the others; it is tried again next time.
            log.exception("could not refresh the feed %s", url)
    return done
