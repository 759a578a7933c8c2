"""One read of a subscribed feed made into the guild's calendar.

A feed's weekend that is a race the guild already sees in the catalog (same series,
season and circuit, and the same race weekend when both dates are known) becomes one
event: the catalog's name, length and links, the feed's sessions and times, and the
catalog's line-up and results, which the guild keeps seeing through it (the store's
scope rule hides the catalog race it stands in for).

A moderator may still edit a feed's event: the feed's own value of every field it sets
is kept (``feed_fields``), and a field the feed did not change since is left as the
moderator made it. The feed wins again as soon as it changes that field itself.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from fanbot.answers.moderation.checks import check_race_after_grid
from fanbot.answers.moderation.errors import RaceBeforeGrid
from fanbot.answers.moderation.plans import PlannedSession
from fanbot.calendar_files.catalog import parse_catalog_json
from fanbot.calendar_files.feed_ics import KnownEvent, read_feed_ics
from fanbot.calendar_files.known import CircuitInfo, KnownCalendar
from fanbot.domain.catalog import Catalog, CatalogError, EventRecord, Problem, SessionRecord
from fanbot.domain.limits import MAX_KEY
from fanbot.domain.localtime import from_iso_utc, to_iso_utc
from fanbot.domain.model import Event, Session, SessionKind
from fanbot.i18n import N_
from fanbot.store import Scope, Store
from fanbot.store.feeds import FeedWrite, Subscription

# Race weekends of a feed and of the catalog are one when their race days are this close.
SAME_WEEKEND = timedelta(days=3)


class FeedUnusable(Exception):
    """The feed's file could not be used at all; the guild's calendar is left as it was."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class FeedRead:
    """A feed's file as events of one subscription (keys already the subscription's)."""

    catalog: Catalog
    unread: tuple[Problem, ...]
    refresh: timedelta | None


@dataclass(frozen=True)
class FeedChange:
    """One of the guild's events as a feed's read changed it (None: it did not exist)."""

    guild_id: int
    before: Event | None
    after: Event | None


# ---------------------------------------------------------------------------- reading


# Every guild's read of one file is parsed once (``Reads``) with this prefix, then given
# its subscription's: shorter than any "feed<id>-", so no key is cut shorter than its own.
SHARED_PREFIX = "feed-"

Parsed = Catalog | FeedRead | FeedUnusable


class Reads:
    """One fetched file, read for every guild that follows it: parsed once per series and
    set of circuits a guild knows (a guild's own circuits are rare), not once per guild. A
    thousand guilds on one URL would otherwise parse it a thousand times on the event loop
    (35 ms each for a season of WEC sessions)."""

    def __init__(self, store: Store, body: bytes, source: str) -> None:
        self.store = store
        self.body = body
        self.source = source
        self._parsed: dict[tuple[str, frozenset[str]], Parsed] = {}

    async def read(self, sub: Subscription) -> FeedRead:
        """The file as ``sub``'s events. Raises ``FeedUnusable`` with every reason when
        nothing can be used."""
        head = self.body[:200].lstrip(b"\xef\xbb\xbf \t\r\n")
        if head.startswith(b"{"):
            parsed = await self._once(("json", frozenset()), self._json)
            if isinstance(parsed, FeedUnusable):
                raise parsed
            assert isinstance(parsed, Catalog)
            return _json_feed(sub, parsed)
        if not head.upper().startswith(b"BEGIN:VCALENDAR"):
            raise FeedUnusable(
                [Problem(N_("not an iCalendar feed (BEGIN:VCALENDAR) nor a fanbot catalog file (JSON)"))]
            )
        if not sub.series:
            raise FeedUnusable(
                [
                    Problem(
                        N_(
                            "an iCalendar feed does not say which series its races belong to: "
                            "subscribe again choosing the series"
                        )
                    )
                ]
            )
        own = frozenset(c.key for c in await self.store.own_circuits(sub.guild_id))

        async def parse() -> Parsed:
            return await self._ics(sub.guild_id, sub.series)

        parsed = await self._once((sub.series, own), parse)
        if isinstance(parsed, FeedUnusable):
            raise parsed
        assert isinstance(parsed, FeedRead)
        return _with_prefix(parsed, sub.key_prefix)

    async def _once(self, key: tuple[str, frozenset[str]], parse: Callable[[], Awaitable[Parsed]]) -> Parsed:
        if key not in self._parsed:
            self._parsed[key] = await parse()
        return self._parsed[key]

    async def _json(self) -> Parsed:
        try:
            return parse_catalog_json(self.body, source=self.source)
        except CatalogError as exc:
            return _unusable(exc)

    async def _ics(self, guild_id: int, series: str) -> Parsed:
        store = self.store
        known = KnownCalendar.from_model(await store.series(), await store.circuits(Scope(guild_id)))
        catalog_events = await store.events(Scope.catalog(), series=series)
        try:
            read = read_feed_ics(
                self.body,
                known,
                series=series,
                key_prefix=SHARED_PREFIX,
                known_events=[
                    KnownEvent(e.series.code, e.season, e.name, e.aliases, e.circuit.key)
                    for e in catalog_events
                ],
                source=self.source,
            )
        except CatalogError as exc:
            return _unusable(exc)
        return FeedRead(read.catalog, (*read.unread, *read.tba), read.refresh)


async def read_feed(store: Store, sub: Subscription, body: bytes) -> FeedRead:
    """The feed's file (iCalendar, or fanbot's JSON catalog) read for ``sub``'s guild alone."""
    return await Reads(store, body, sub.url).read(sub)


def _unusable(exc: CatalogError) -> FeedUnusable:
    return FeedUnusable([p if isinstance(p, Problem) else Problem(p) for p in exc.problems])


def _with_prefix(read: FeedRead, prefix: str) -> FeedRead:
    """A shared read's events under one subscription's keys."""
    events = [
        replace(e, key=f"{prefix}{e.key.removeprefix(SHARED_PREFIX)}"[:MAX_KEY].rstrip("-"))
        for e in read.catalog.events
    ]
    return replace(read, catalog=replace(read.catalog, events=events))


def _json_feed(sub: Subscription, catalog: Catalog) -> FeedRead:
    """A fanbot catalog file as the subscription's events: its series only, keys prefixed."""
    events = [
        replace(e, key=f"{sub.key_prefix}{e.key}"[:MAX_KEY].rstrip("-"))
        for e in catalog.events
        if not sub.series or e.series == sub.series
    ]
    if not events:
        raise FeedUnusable([Problem(N_("the file has no events of {series}"), series=sub.series)])
    return FeedRead(replace(catalog, events=events), (), None)


# ---------------------------------------------------------------------------- applying


async def apply_read(store: Store, sub: Subscription, read: FeedRead, *, now: datetime) -> list[FeedChange]:
    """Write ``read`` into the guild's calendar (one transaction) and say what changed."""
    guild = sub.guild_id
    own_before = {e.key: e for e in await store.own_events(guild)}
    mine = {k: e for k, e in own_before.items() if k.startswith(sub.key_prefix)}
    old_fields = await store.feeds.fields(sub.id)
    catalog_events = await store.events(Scope.catalog(), series=sub.series) if sub.series else []
    circuits = {c.key: c for c in await store.circuits(Scope(guild))}
    zones = {c.key: c.timezone for c in circuits.values()}

    unread = list(read.unread)
    records: list[EventRecord] = []
    fields: dict[tuple[str, str], str | None] = {}
    replaces: dict[str, int] = {}
    taken: set[int] = set()
    for record in read.catalog.events:
        stand_in = _catalog_match(record, catalog_events, zones, taken)
        merged = record
        if stand_in is not None:
            taken.add(stand_in.id)
            replaces[record.key] = stand_in.id
            merged = _merged(record, stand_in)
        problem = _problem(merged, zones)
        if problem is not None:
            unread.append(problem)
            continue
        feed_values = _field_values(merged)
        for name, value in feed_values.items():
            fields[(record.key, name)] = value
        current = mine.get(record.key)
        if current is None and _moderator_removed(record.key, feed_values, old_fields):
            continue
        records.append(_kept_edits(merged, feed_values, old_fields, current, zones))
    seen = {r.key for r in read.catalog.events}
    # A weekend the feed no longer lists goes while it is still to come; a past one stays.
    remove = [k for k, e in mine.items() if k not in seen and not _is_past(e, now)]
    needed = {r.circuit for r in records}
    catalog = Catalog(
        series=read.catalog.series,
        circuits=[c for c in read.catalog.circuits if c.key in needed]
        + [
            CircuitInfo.from_circuit(circuits[k]).record()
            for k in sorted(needed - {c.key for c in read.catalog.circuits})
            if k in circuits
        ],
        events=records,
    )
    if (
        fields == old_fields
        and not remove
        and len(records) == sub.events
        and [str(p) for p in unread] == [str(p) for p in sub.unread]
    ):
        # The feed says what it said last time (a file rebuilt with new stamps, or changed
        # for another series): nothing to write, and no write transaction for each guild.
        return []
    write = FeedWrite(catalog, fields, replaces, remove)
    outcome, _removed = await store.feeds.apply(sub, write, at=now, unread=unread, events=len(records))
    touched = set(outcome.touched) | set(remove)
    if not touched:
        return []
    own_after = {e.key: e for e in await store.own_events(guild)}
    return [FeedChange(guild, own_before.get(k), own_after.get(k)) for k in sorted(touched)]


def _catalog_match(
    record: EventRecord, candidates: Sequence[Event], zones: Mapping[str, str], taken: set[int]
) -> Event | None:
    """The catalog race this feed weekend is, if any (never one already matched)."""
    feed_day = _race_day(record.sessions, zones.get(record.circuit, "UTC"))
    found = []
    for event in candidates:
        if event.id in taken or event.guild_id is not None:
            continue
        if event.series.code != record.series or event.season != record.season:
            continue
        if event.circuit.key != record.circuit:
            continue
        day = _event_day(event)
        if feed_day is not None and day is not None and abs(day - feed_day) > SAME_WEEKEND:
            continue
        found.append((day is None, event))
    if not found:
        return None
    # A dated match first; with several undated ones (two races at one circuit in a season
    # with no dates yet), none: the feed's weekend stays apart rather than be guessed.
    dated = [e for undated, e in found if not undated]
    if dated:
        return dated[0]
    return found[0][1] if len(found) == 1 else None


def _race_day(sessions: Sequence[SessionRecord], zone: str) -> date | None:
    races = [s for s in sessions if s.kind == SessionKind.RACE.value] or list(sessions)
    for s in reversed(races):
        if s.local_date:
            return date.fromisoformat(s.local_date)
        if s.start_at:
            return from_iso_utc(s.start_at).date()
    return None


def _event_day(event: Event) -> date | None:
    race = event.race
    sessions = [race] if race is not None else list(event.sessions)
    for s in sessions:
        if s.local_date is not None:
            return s.local_date
        if s.start is not None:
            return s.start.date()
    return None


def _merged(record: EventRecord, catalog: Event) -> EventRecord:
    """The feed's sessions on the catalog's race: its name, links, length and notes kept,
    and its sessions of kinds the feed does not give (a race day the feed lacks)."""
    zone = catalog.circuit.timezone
    # A session the feed does not name, at the very time of one of the catalog's, is that
    # session (messy feeds leave names out): the catalog's, which says what it is, stays.
    named_starts = {to_iso_utc(s.start) for s in catalog.sessions if s.start is not None}
    own = tuple(
        s
        for s in record.sessions
        if not (s.kind == SessionKind.OTHER.value and not s.notes and s.start_at in named_starts)
    )
    kinds = {s.kind for s in own}
    keys = {s.key for s in own}
    extra = tuple(
        _session_record(s, zone) for s in catalog.sessions if s.kind.value not in kinds and s.key not in keys
    )
    return replace(
        record,
        series=catalog.series.code,
        circuit=catalog.circuit.key,
        season=catalog.season,
        name=catalog.name,
        edition=catalog.edition,
        length=catalog.length,
        length_minutes=catalog.length_minutes,
        info_url=catalog.info_url or record.info_url,
        watch_url=catalog.watch_url or record.watch_url,
        source=catalog.source,
        notes=catalog.notes,
        aliases=catalog.aliases,
        sessions=own + extra,
    )


def _session_record(s: Session, zone: str) -> SessionRecord:
    """A stored session as the record an import writes (as a moderator's edit makes it)."""
    return PlannedSession(s.key, s.kind, s.start, s.local_date, s.duration_minutes, s.notes).record(zone)


def _problem(record: EventRecord, zones: Mapping[str, str]) -> Problem | None:
    """What keeps a feed's weekend out: no race at all (a test day, which /nextrace would
    call the next race), or what ``/event import`` would refuse."""
    if not any(s.kind == SessionKind.RACE.value for s in record.sessions):
        return Problem(
            N_('"{name}": the feed gives this weekend no race (a test day?), so it is left out'),
            name=record.name,
        )
    sessions = tuple(
        PlannedSession(
            s.key,
            SessionKind(s.kind),
            from_iso_utc(s.start_at) if s.start_at else None,
            date.fromisoformat(s.local_date) if s.local_date else None,
            s.duration_minutes,
        )
        for s in record.sessions
    )
    try:
        check_race_after_grid(sessions, zones.get(record.circuit, "UTC"))
    except RaceBeforeGrid:
        return Problem(
            N_('"{name}": the race comes before its qualifying in the feed; the weekend is left out'),
            name=record.name,
        )
    return None


# ---------------------------------------------------------------------------- moderators' edits


def _session_value(s: SessionRecord) -> str:
    return json.dumps([s.kind, s.start_at, s.local_date, s.duration_minutes, s.notes])


def _field_values(record: EventRecord) -> dict[str, str | None]:
    """What the feed says of each field it sets (compared with its next read)."""
    values: dict[str, str | None] = {"name": record.name, "status": record.status}
    for s in record.sessions:
        values[f"session:{s.key}"] = _session_value(s)
    return values


def _moderator_removed(
    key: str, feed_values: Mapping[str, str | None], old: Mapping[tuple[str, str], str | None]
) -> bool:
    """A feed event a moderator removed stays removed while the feed says the same of it."""
    said = {name: value for (k, name), value in old.items() if k == key}
    return bool(said) and said == dict(feed_values)


def _kept_edits(
    record: EventRecord,
    feed_values: Mapping[str, str | None],
    old: Mapping[tuple[str, str], str | None],
    current: Event | None,
    zones: Mapping[str, str],
) -> EventRecord:
    """``record`` with every field the feed did not change since its last read left as
    a moderator made it."""
    if current is None:
        return record

    def unchanged(name: str) -> bool:
        key = (record.key, name)
        return key in old and old[key] == feed_values.get(name)

    name = current.name if unchanged("name") else record.name
    status = current.status.value if unchanged("status") else record.status
    now_by_key = {s.key: s for s in current.sessions}
    zone = zones.get(record.circuit, current.circuit.timezone)
    sessions: list[SessionRecord] = []
    for s in record.sessions:
        field = f"session:{s.key}"
        if unchanged(field):
            kept = now_by_key.get(s.key)
            if kept is not None:  # else a moderator removed it: it stays removed
                sessions.append(_session_record(kept, zone))
        else:
            sessions.append(s)
    feed_keys = {s.key for s in record.sessions}
    for own in current.sessions:
        # A session a moderator added (the feed never gave it) stays.
        if own.key not in feed_keys and (record.key, f"session:{own.key}") not in old:
            sessions.append(_session_record(own, zone))
    return replace(record, name=name, status=status, sessions=tuple(sessions))


def _is_past(event: Event, now: datetime) -> bool:
    starts = [s.start for s in event.sessions if s.start is not None]
    days = [s.local_date for s in event.sessions if s.local_date is not None]
    if starts:
        return max(starts) < now
    if days:
        return max(days) < now.date()
    return False
