"""The shared catalog follows a published copy of the catalog file (``FANBOT_CATALOG_URL``,
``fanbot sync``).

The operator points the bot at a catalog file somewhere on the web (the project's own
``data/catalog.json`` on its main branch, say). ``sync_catalog`` fetches it with the
feeds' fetcher (the same time-out, size cap, redirect and address checks), checks it as
``fanbot import`` checks a file, and imports it into the shared catalog (the events with
no guild), idempotently and all or nothing. What it does with the file it got:

- 304 Not Modified (the validators of the last sync sent back): nothing to do, nothing written.
- a file whose ``published`` stamp is older than the catalog loaded: ignored (a stale
  mirror, a cache), nothing written. An equal stamp is imported (a publisher who fixed a
  typo without a new stamp still gets it through); the same file as last time is not
  imported again.
- a file without ``published`` while the loaded catalog has a stamp: refused. A file
  without a stamp cannot be ordered against the one loaded; once the bot follows stamped
  catalogs, an unstamped one is most likely a copy from before stamps, and importing it
  could put old times back. Before any stamp is loaded, an unstamped file is imported.
- a ``published`` stamp more than a day ahead of now: refused. A typo ("2062") would
  otherwise make every later, real catalog look older, for decades.
- any fetch failure or a refused file: ``CatalogSyncError`` with its problems; nothing changed.

``follow_published_catalog`` is the bot's loop: a sync on start, then every
``CATALOG_SYNC_EVERY``; a failure is logged and the next turn tries again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from fanbot.calendar_files.catalog import NESTED_TOO_DEEPLY, parse_catalog_json
from fanbot.clock import Clock
from fanbot.domain.catalog import Catalog, CatalogError, Problem, problem_list
from fanbot.domain.limits import CATALOG_SYNC_EVERY
from fanbot.domain.localtime import to_iso_utc
from fanbot.domain.model import Event, EventStatus
from fanbot.feeds.fetch import FeedFetcher, FetchError
from fanbot.i18n import N_, Translator
from fanbot.store import CatalogFetch, ImportSummary, Scope, Store

log = logging.getLogger(__name__)

SyncStatus = Literal["imported", "unchanged", "older", "not-modified"]

# How far ahead of the bot's clock a "published" stamp may be (time zones, clocks a little
# off): past that it is a mistake, refused.
PUBLISHED_AHEAD_AT_MOST = timedelta(days=1)


@dataclass(frozen=True)
class SyncOutcome:
    """What one sync did (or, ``dry_run``, would do).

    ``status``: "imported" (the catalog changed), "unchanged" (the file was imported
    before, or importing it changes nothing), "older" (its stamp is older than the one
    loaded: ignored), "not-modified" (the server said 304). ``published`` is the fetched
    file's stamp (None on a 304, or a file without one), ``loaded`` the stamp the store
    had before. ``changes`` is the import's summary, with the names of the new and
    changed events (None when nothing was imported)."""

    url: str
    status: SyncStatus
    published: datetime | None
    loaded: datetime | None
    changes: ImportSummary | None
    dry_run: bool = False

    def describe(self) -> str:
        """What happened, in English (``fanbot sync`` prints it; the bot logs it)."""
        stamp = f" (published {to_iso_utc(self.published)})" if self.published else ""
        if self.status == "not-modified":
            return f"{self.url}: not modified since the last sync (HTTP 304): nothing to do"
        if self.status == "older":
            loaded = to_iso_utc(self.loaded) if self.loaded else "?"
            return (
                f"{self.url}{stamp}: older than the catalog loaded (published {loaded}): "
                "ignored, nothing changed"
            )
        changes = self.changes
        if self.status == "unchanged" or changes is None or not changes.changed_anything:
            return f"{self.url}{stamp}: the catalog loaded is already this one: nothing to do"
        verb = "would import" if self.dry_run else "imported"
        lines = [f"{verb} {self.url}{stamp}: {changes.describe()}"]
        lines += [f"  new event: {name}" for name in changes.new_events]
        lines += [f"  changed event: {name}" for name in changes.changed_events]
        if self.dry_run:
            lines.append("dry run: nothing was written")
        return "\n".join(lines)


class CatalogSyncError(Exception):
    """The published catalog could not be loaded (the fetch failed, or the file was
    refused): nothing changed. ``problems`` lists every reason; ``str()`` is English,
    ``render(tr)`` the reader's language."""

    def __init__(self, url: str, problems: list[str], *, kind: str) -> None:
        self.url = url
        self.problems = problems
        # "fetch" (FetchError's kind after a colon, e.g. "fetch:http") or "refused".
        self.kind = kind
        super().__init__(self._text(None))

    def render(self, tr: Translator) -> str:
        return self._text(tr)

    def _text(self, tr: Translator | None) -> str:
        return problem_list(Problem(_NOT_LOADED, url=self.url), self.problems, tr)


_NOT_LOADED = N_("{url}: the published catalog was not loaded, nothing changed.")
_NO_STAMP = N_(
    'published: missing, but the catalog loaded was published at {loaded}: a file without a "published" '
    "stamp cannot be told from an older copy (add one, like {example})"
)
_AHEAD = N_(
    "published: {published} is in the future (it is now {now}): "
    "a catalog stamped ahead would make every later one look older"
)


async def sync_catalog(
    store: Store, fetcher: FeedFetcher, url: str, *, now: datetime, dry_run: bool = False
) -> SyncOutcome:
    """Fetch the catalog published at ``url`` and import it into the shared catalog (see
    the module's docstring for what is imported, ignored and refused). ``dry_run``
    fetches, checks and imports inside a transaction rolled back: the outcome says what
    would change, and nothing is written (not even the validators of the fetch).

    Raises ``CatalogSyncError`` (nothing changed) for a fetch that failed or a file refused."""
    state = await store.published_catalog_state()
    try:
        fetched = await fetcher.fetch(url, etag=state.etag, last_modified=state.last_modified)
    except FetchError as exc:
        raise CatalogSyncError(url, [exc.problem], kind=f"fetch:{exc.kind}") from None
    if fetched.body is None:
        return SyncOutcome(url, "not-modified", None, state.published, None, dry_run)
    catalog = await _checked(fetched.body, url, loaded=state.published, now=now)
    if state.published is not None and catalog.published is not None and catalog.published < state.published:
        log.info(
            "ignored the catalog at %s: published %s, older than the one loaded (%s)",
            url,
            to_iso_utc(catalog.published),
            to_iso_utc(state.published),
        )
        return SyncOutcome(url, "older", catalog.published, state.published, None, dry_run)
    record = CatalogFetch(fetched.etag, fetched.last_modified, hashlib.sha256(fetched.body).hexdigest())
    if record.sha256 == state.sha256 and catalog.published == state.published:
        # The very file the last sync imported, from a server that sent it again whole.
        if not dry_run and (record.etag, record.last_modified) != (state.etag, state.last_modified):
            await store.remember_catalog_fetch(record)
        return SyncOutcome(url, "unchanged", catalog.published, state.published, None, dry_run)
    summary = await store.import_catalog(catalog, dry_run=dry_run, fetched=record)
    status: SyncStatus = "imported" if summary.changed_anything else "unchanged"
    if not dry_run:
        log.info("synced the catalog from %s: %s", url, summary.describe())
    return SyncOutcome(url, status, catalog.published, state.published, summary, dry_run)


async def _checked(body: bytes, url: str, *, loaded: datetime | None, now: datetime) -> Catalog:
    """The fetched file as a checked catalog, or ``CatalogSyncError`` naming every problem.
    Checked in a thread: a whole catalog is a few hundred milliseconds of work."""
    try:
        catalog = await asyncio.to_thread(parse_catalog_json, body, url)
    except CatalogError as exc:
        raise CatalogSyncError(url, exc.problems, kind="refused") from None
    except RecursionError:
        # The JSON reader's own is caught as it reads; a value nested deep enough can still
        # exhaust the checks' (a problem quoting it).
        raise CatalogSyncError(url, [NESTED_TOO_DEEPLY], kind="refused") from None
    if catalog.published is None and loaded is not None:
        problem = Problem(_NO_STAMP, loaded=to_iso_utc(loaded), example=to_iso_utc(now))
        raise CatalogSyncError(url, [problem], kind="refused")
    if catalog.published is not None and catalog.published > now + PUBLISHED_AHEAD_AT_MOST:
        problem = Problem(_AHEAD, published=to_iso_utc(catalog.published), now=to_iso_utc(now))
        raise CatalogSyncError(url, [problem], kind="refused")
    return catalog


async def follow_published_catalog(
    store: Store,
    url: str,
    *,
    clock: Clock,
    allow_private: bool = False,
    every: timedelta = CATALOG_SYNC_EVERY,
    fetcher: FeedFetcher | None = None,
    on_moved: Callable[[list[tuple[Event, Event | None]]], Awaitable[None]] | None = None,
) -> None:
    """The bot's loop: sync the catalog at ``url`` now, then every ``every``, until
    cancelled. A failed sync is logged (one line) and tried again at the next turn;
    the loop itself never stops on one. ``fetcher`` is closed on the way out only when
    the loop made it. ``on_moved`` hears of the catalog events an import moved, cancelled
    or removed (as they were, and as they are): the bot posts corrections for them."""
    own = fetcher is None
    fetcher = fetcher or FeedFetcher(allow_private=allow_private)
    try:
        while True:
            try:
                before = await store.events(Scope.catalog()) if on_moved is not None else []
                outcome = await sync_catalog(store, fetcher, url, now=clock.now())
                log.info("%s", outcome.describe().splitlines()[0])
                if on_moved is not None and outcome.status == "imported":
                    now = {e.key: e for e in await store.events(Scope.catalog())}
                    moved = [(e, now.get(e.key)) for e in before if times_moved(e, now.get(e.key))]
                    if moved:
                        await on_moved(moved)
            except CatalogSyncError as exc:
                log.warning("%s", exc)
            except Exception:
                log.exception("the published catalog's sync failed (%s)", url)
            await asyncio.sleep(every.total_seconds())
    finally:
        if own:
            await fetcher.close()


def times_moved(before: Event, after: Event | None) -> bool:
    """Whether a timed session of ``before`` moved, went, or its event was cancelled: what
    may owe fans a correction (``fanbot.reminders.corrections`` finds which)."""
    if after is None or (
        after.status is EventStatus.CANCELLED and before.status is not EventStatus.CANCELLED
    ):
        return True
    now = {s.id: s.start for s in after.sessions}
    return any(s.start is not None and now.get(s.id) != s.start for s in before.sessions)
