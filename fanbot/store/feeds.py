"""Calendar feeds a guild subscribed to (/calendar subscribe): the subscriptions, what
was last fetched from each URL, and what each feed last said of the events it owns.

Reached as ``store.feeds``. A feed's events are the guild's own events, written by
``apply`` in one transaction with their audit rows (as the feed's, user 0), the marks
of which subscription owns them (``events.feed_id``) and which catalog race each
stands in for (``events.replaces_event_id``), and the feed's own values of their
fields (``feed_fields``: a moderator's edit stands until the feed changes that field).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fanbot.domain.catalog import Catalog, Problem
from fanbot.domain.limits import FEED_BROKEN_AFTER
from fanbot.domain.localtime import to_iso_utc
from fanbot.store.audit import audit_event_change, audit_row, snapshot
from fanbot.store.backend import Database, Row, Transaction
from fanbot.store.editing import Editing, ImportOutcome
from fanbot.store.rows import stored_instant

# The audit log's user for a feed's changes (no Discord user has id 0).
FEED_USER = 0
FEED_ACTIONS = ("feed.import", "feed.update")
FEED_REMOVE = "feed.remove"
MAX_SUBSCRIPTIONS = 10  # per guild: each one is fetched and re-read for ever


# The keys of a feed's events (``Subscription.key_prefix``).
FEED_KEY = re.compile(r"^feed\d+-")


def from_a_feed(event_key: str) -> bool:
    """Whether the guild's event with this key belongs to a subscribed feed."""
    return FEED_KEY.match(event_key) is not None


class SubscriptionExists(Exception):
    """The guild already follows this URL."""


class TooManySubscriptions(Exception):
    """The guild follows ``MAX_SUBSCRIPTIONS`` feeds already."""


@dataclass(frozen=True)
class Subscription:
    id: int
    guild_id: int
    url: str
    series: str
    refresh_minutes: int
    created_by: int
    created_at: datetime
    next_fetch_at: datetime
    last_fetch_at: datetime | None
    last_ok_at: datetime | None
    last_change_at: datetime | None
    failing_since: datetime | None
    last_error: Problem | None
    told_broken: bool
    unread: tuple[Problem, ...]
    events: int
    # The last failure was reading the file for this guild (its fetch worked): a later
    # fetch of the URL that brings nothing new does not clear it.
    read_failed: bool = False

    def broken(self, now: datetime) -> bool:
        """Failing for a day (``FEED_BROKEN_AFTER``): shown as broken, told to a moderator."""
        return self.failing_since is not None and now - self.failing_since >= FEED_BROKEN_AFTER

    @property
    def key_prefix(self) -> str:
        """What the keys of this feed's events start with: keys stay apart from the
        guild's own and from another feed's."""
        return f"feed{self.id}-"


@dataclass(frozen=True)
class FeedSource:
    url: str
    etag: str | None
    last_modified: str | None
    body_sha256: str | None


@dataclass(frozen=True)
class FeedWrite:
    """What one read of a feed makes of the guild's events (``Feeds.apply``)."""

    catalog: Catalog  # the feed's events as they are to be stored (moderators' edits kept)
    fields: Mapping[tuple[str, str], str | None]  # (event key, field) -> the feed's own value
    replaces: Mapping[str, int]  # event key -> the catalog event it stands in for
    remove: Sequence[str]  # keys of the feed's events it no longer has


# ---------------------------------------------------------------------------- problems as JSON


def problem_to_json(problem: object) -> Any:
    """A ``Problem`` (fields may be Problems) kept as JSON, to be shown in either language later."""
    if isinstance(problem, Problem):
        return {"msgid": problem.msgid, "fields": {k: problem_to_json(v) for k, v in problem.fields.items()}}
    if isinstance(problem, int | float | str) or problem is None:
        return problem
    return str(problem)


def problem_from_json(value: Any) -> Any:
    if isinstance(value, dict) and "msgid" in value:
        fields = {k: problem_from_json(v) for k, v in dict(value.get("fields") or {}).items()}
        return Problem(str(value["msgid"]), **fields)
    return value


def _problems(text: str | None) -> tuple[Problem, ...]:
    if not text:
        return ()
    return tuple(p for p in (problem_from_json(v) for v in json.loads(text)) if isinstance(p, Problem))


def _instant(value: Any) -> datetime | None:
    return stored_instant(value) if value else None


def _subscription(r: Row) -> Subscription:
    stored = json.loads(r["last_error"]) if r["last_error"] else None
    read_failed = isinstance(stored, dict) and stored.get("stage") == "read"
    if isinstance(stored, dict) and read_failed:
        stored = stored["problem"]
    error = problem_from_json(stored) if stored is not None else None
    return Subscription(
        id=int(r["id"]),
        guild_id=int(r["guild_id"]),
        url=str(r["url"]),
        series=str(r["series"]),
        refresh_minutes=int(r["refresh_minutes"]),
        created_by=int(r["created_by"]),
        created_at=stored_instant(r["created_at"]),
        next_fetch_at=stored_instant(r["next_fetch_at"]),
        last_fetch_at=_instant(r["last_fetch_at"]),
        last_ok_at=_instant(r["last_ok_at"]),
        last_change_at=_instant(r["last_change_at"]),
        failing_since=_instant(r["failing_since"]),
        last_error=error if isinstance(error, Problem) else None,
        told_broken=bool(r["told_broken"]),
        unread=_problems(r["unread"]),
        events=int(r["events"]),
        read_failed=read_failed,
    )


class Feeds:
    def __init__(self, database: Database, editing: Editing) -> None:
        self._db = database
        self._editing = editing

    # ------------------------------------------------------------ subscriptions

    async def subscribe(
        self,
        guild_id: int,
        *,
        url: str,
        series: str,
        refresh_minutes: int,
        by: int,
        at: datetime,
    ) -> Subscription:
        """A new subscription, due at once. Raises ``SubscriptionExists`` or
        ``TooManySubscriptions``."""
        async with self._db.write(names=guild_id) as tx:
            rows = await tx.fetch_all("SELECT url FROM feed_subscriptions WHERE guild_id = ?", (guild_id,))
            if any(str(r["url"]) == url for r in rows):
                raise SubscriptionExists(url)
            if len(rows) >= MAX_SUBSCRIPTIONS:
                raise TooManySubscriptions(guild_id)
            new_id = await tx.insert(
                "INSERT INTO feed_subscriptions (guild_id, url, series, refresh_minutes, created_by, "
                "created_at, next_fetch_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (guild_id, url, series, refresh_minutes, by, to_iso_utc(at), to_iso_utc(at)),
            )
            await audit_row(
                tx,
                guild_id,
                by=by,
                at=at,
                action="feed.subscribe",
                before=None,
                after={"url": url, "series": series, "refresh_minutes": refresh_minutes},
            )
        assert new_id is not None
        found = await self.get(guild_id, new_id)
        assert found is not None
        return found

    async def get(self, guild_id: int, subscription_id: int) -> Subscription | None:
        rows = await self._db.fetch_all(
            "SELECT * FROM feed_subscriptions WHERE id = ? AND guild_id = ?", (subscription_id, guild_id)
        )
        return _subscription(rows[0]) if rows else None

    async def subscriptions(self, guild_id: int) -> list[Subscription]:
        rows = await self._db.fetch_all(
            "SELECT * FROM feed_subscriptions WHERE guild_id = ? ORDER BY id", (guild_id,)
        )
        return [_subscription(r) for r in rows]

    async def of_url(self, url: str) -> list[Subscription]:
        """Every guild's subscription to ``url``: one fetch serves them all."""
        rows = await self._db.fetch_all("SELECT * FROM feed_subscriptions WHERE url = ? ORDER BY id", (url,))
        return [_subscription(r) for r in rows]

    async def due(self, now: datetime, *, limit: int = 100) -> list[Subscription]:
        rows = await self._db.fetch_all(
            "SELECT * FROM feed_subscriptions WHERE next_fetch_at <= ? ORDER BY next_fetch_at, id LIMIT ?",
            (to_iso_utc(now), limit),
        )
        return [_subscription(r) for r in rows]

    async def next_due(self) -> datetime | None:
        rows = await self._db.fetch_all("SELECT MIN(next_fetch_at) FROM feed_subscriptions")
        return _instant(rows[0][0]) if rows else None

    async def unsubscribe(
        self, guild_id: int, subscription_id: int, *, by: int, at: datetime
    ) -> list[dict[str, Any]]:
        """End a subscription and remove the feed's events (their snapshots are returned,
        for corrections); the audit log keeps both."""
        async with self._db.write(names=guild_id) as tx:
            row = await tx.fetch_one(
                "SELECT url FROM feed_subscriptions WHERE id = ? AND guild_id = ?",
                (subscription_id, guild_id),
            )
            if row is None:
                return []
            removed = await self._remove_events(
                tx, guild_id, subscription_id, None, by=by, at=at, action="event.remove"
            )
            await tx.execute(
                "DELETE FROM feed_subscriptions WHERE id = ? AND guild_id = ?", (subscription_id, guild_id)
            )
            await audit_row(
                tx, guild_id, by=by, at=at, action="feed.unsubscribe", before={"url": row["url"]}, after=None
            )
            left = await tx.fetch_one("SELECT 1 FROM feed_subscriptions WHERE url = ?", (row["url"],))
            if left is None:
                await tx.execute("DELETE FROM feed_sources WHERE url = ?", (row["url"],))
        return removed

    # ------------------------------------------------------------ fetching state

    async def source(self, url: str) -> FeedSource | None:
        rows = await self._db.fetch_all("SELECT * FROM feed_sources WHERE url = ?", (url,))
        if not rows:
            return None
        r = rows[0]
        return FeedSource(str(r["url"]), r["etag"], r["last_modified"], r["body_sha256"])

    async def fetched(
        self,
        url: str,
        *,
        etag: str | None,
        last_modified: str | None,
        body_sha256: str | None,
        at: datetime,
        subscriptions: Mapping[int, datetime],
    ) -> None:
        """A fetch of ``url`` that worked: its validators, and when each subscription is
        fetched next (feed tables only: it wakes no other process)."""
        async with self._db.write(names="none") as tx:
            await tx.execute(
                "INSERT INTO feed_sources (url, etag, last_modified, body_sha256, fetched_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, "
                "last_modified = excluded.last_modified, body_sha256 = excluded.body_sha256, "
                "fetched_at = excluded.fetched_at",
                (url, etag, last_modified, body_sha256, to_iso_utc(at)),
            )
            for sub_id, next_at in subscriptions.items():
                await tx.execute(
                    "UPDATE feed_subscriptions SET last_fetch_at = ?, last_ok_at = ?, failing_since = NULL, "
                    "last_error = NULL, told_broken = 0, next_fetch_at = ? WHERE id = ?",
                    (to_iso_utc(at), to_iso_utc(at), to_iso_utc(next_at), sub_id),
                )

    async def failed(
        self,
        problem: Problem,
        *,
        at: datetime,
        subscriptions: Mapping[int, datetime],
        reading: bool = False,
    ) -> None:
        """A fetch, or (``reading``) the read of what it fetched, that failed: the last good
        data stays; when it started failing is kept."""
        kept = problem_to_json(problem)
        error = json.dumps({"stage": "read", "problem": kept} if reading else kept)
        async with self._db.write(names="none") as tx:
            for sub_id, next_at in subscriptions.items():
                await tx.execute(
                    "UPDATE feed_subscriptions SET last_fetch_at = ?, last_error = ?, "
                    "failing_since = COALESCE(failing_since, ?), next_fetch_at = ? WHERE id = ?",
                    (to_iso_utc(at), error, to_iso_utc(at), to_iso_utc(next_at), sub_id),
                )

    async def take_broken_notice(
        self, guild_id: int, *, failing_since_before: datetime
    ) -> list[Subscription]:
        """The guild's subscriptions failing since before the given instant that no moderator
        was told of yet; they count as told from now on."""
        query = (
            "SELECT * FROM feed_subscriptions WHERE guild_id = ? AND told_broken = 0 "
            "AND failing_since IS NOT NULL AND failing_since <= ? ORDER BY id"
        )
        params = (guild_id, to_iso_utc(failing_since_before))
        # Asked after every moderator's command: a read, and a write only when there is news.
        if not await self._db.fetch_all(query, params):
            return []
        told = []
        async with self._db.write(names="none") as tx:
            for r in await tx.fetch_all(query, params):
                # Of two processes telling at once, the one whose update took it tells.
                if await tx.execute(
                    "UPDATE feed_subscriptions SET told_broken = 1 WHERE id = ? AND told_broken = 0",
                    (r["id"],),
                ):
                    told.append(_subscription(r))
        return told

    # ------------------------------------------------------------ the feed's events

    async def fields(self, subscription_id: int) -> dict[tuple[str, str], str | None]:
        rows = await self._db.fetch_all(
            "SELECT event_key, field, value FROM feed_fields WHERE subscription_id = ?", (subscription_id,)
        )
        return {(str(r["event_key"]), str(r["field"])): r["value"] for r in rows}

    async def apply(
        self,
        sub: Subscription,
        write: FeedWrite,
        *,
        at: datetime,
        unread: Sequence[Problem],
        events: int,
    ) -> tuple[ImportOutcome, list[dict[str, Any]]]:
        """Write one read of the feed into the guild's calendar, all or nothing: its events
        (audited as the feed's), the ones it dropped removed, its field values kept. Returns
        the import's outcome and the removed events' snapshots."""
        guild_id = sub.guild_id

        async def mark(tx: Transaction) -> None:
            for event in write.catalog.events:
                await tx.execute(
                    "UPDATE events SET feed_id = ?, replaces_event_id = ? WHERE guild_id = ? AND key = ?",
                    (sub.id, write.replaces.get(event.key), guild_id, event.key),
                )

        async with self._db.write(names=guild_id) as tx:
            outcome = await self._editing.import_in(
                tx,
                guild_id,
                write.catalog,
                by=FEED_USER,
                at=at,
                versions=None,
                actions=FEED_ACTIONS,
                after_import=mark,
            )
            removed = await self._remove_events(
                tx, guild_id, sub.id, write.remove, by=FEED_USER, at=at, action=FEED_REMOVE
            )
            await tx.execute("DELETE FROM feed_fields WHERE subscription_id = ?", (sub.id,))
            await tx.executemany(
                "INSERT INTO feed_fields (subscription_id, event_key, field, value) VALUES (?, ?, ?, ?)",
                [(sub.id, key, name, value) for (key, name), value in sorted(write.fields.items())],
            )
            changed = bool(outcome.touched or removed)
            await tx.execute(
                "UPDATE feed_subscriptions SET unread = ?, events = ?, "
                "last_change_at = CASE WHEN ? = 1 THEN ? ELSE last_change_at END WHERE id = ?",
                (
                    json.dumps([problem_to_json(p) for p in unread]) if unread else None,
                    events,
                    1 if changed else 0,
                    to_iso_utc(at),
                    sub.id,
                ),
            )
        return outcome, removed

    async def _remove_events(
        self,
        tx: Transaction,
        guild_id: int,
        subscription_id: int,
        keys: Iterable[str] | None,
        *,
        by: int,
        at: datetime,
        action: str,
    ) -> list[dict[str, Any]]:
        """Remove the feed's events with these keys (every one of them: ``keys`` None)."""
        rows = await tx.fetch_all(
            "SELECT id, key FROM events WHERE guild_id = ? AND feed_id = ?", (guild_id, subscription_id)
        )
        wanted = None if keys is None else set(keys)
        removed = []
        for r in rows:
            if wanted is not None and str(r["key"]) not in wanted:
                continue
            before = await snapshot(tx, int(r["id"]))
            await tx.execute("DELETE FROM events WHERE id = ? AND guild_id = ?", (r["id"], guild_id))
            await audit_event_change(tx, guild_id, by, at, action, int(r["id"]), before, None)
            if before is not None:
                removed.append(before)
        return removed
