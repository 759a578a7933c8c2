"""A subscribed feed made into a guild's calendar, on both backends: the feed's weekend
that is a catalog race becomes one event (the catalog's hidden from that guild alone,
its line-up still shown), a re-read moves sessions in place, a moderator's edit stands
until the feed changes that field, and unsubscribing takes the feed's events away.

The feed below is made up in the shape of the community WEC feeds (one VEVENT per
session, "WEC R1: <event> - <session> - <class>", UTC times); its times are fictional."""

from __future__ import annotations

from datetime import timedelta

from fanbot.answers.context import Asker, Lookups
from fanbot.clock import FixedClock
from fanbot.domain.catalog import SessionRecord
from fanbot.domain.localtime import parse_instant
from fanbot.domain.model import SessionKind
from fanbot.feeds.apply import apply_read, read_feed
from fanbot.store import Scope, Store
from fanbot.store.editing import EventWrite

GUILD = 4242
OTHER_GUILD = 4343
NOW = parse_instant("2026-03-01T12:00:00Z")
LOCATION = r"Autodromo Enzo e Dino Ferrari\, Imola\, Italy"


def vevent(uid: str, start: str, end: str, summary: str) -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260301T000000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\n"
        f"SUMMARY:{summary}\r\nLOCATION:{LOCATION}\r\nEND:VEVENT\r\n"
    )


def feed(qualifying_start: str = "20260418T140000Z", race_start: str = "20260419T110000Z") -> bytes:
    q_end = qualifying_start[:-7] + "1512" + "00Z"
    events = [
        vevent(
            "r1-fp1@test",
            "20260417T100000Z",
            "20260417T113000Z",
            "WEC R1: 6 Hours of Imola - Free Practice 1",
        ),
        vevent(
            "r1-q-gt@test",
            "20260418T133000Z",
            "20260418T134200Z",
            "WEC R1: 6 Hours of Imola - Qualifying - LMGT3",
        ),
        vevent("r1-q-hy@test", qualifying_start, q_end, "WEC R1: 6 Hours of Imola - Qualifying - Hypercar"),
        vevent("r1-race@test", race_start, race_start[:-7] + "170000Z", "WEC R1: 6 Hours of Imola - Race"),
    ]
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fanbot tests//fictional feed//EN\r\n"
        "REFRESH-INTERVAL;VALUE=DURATION:P1D\r\n" + "".join(events) + "END:VCALENDAR\r\n"
    ).encode()


async def subscribed(store: Store, guild: int = GUILD) -> int:
    sub = await store.feeds.subscribe(
        guild, url="https://feeds.example.test/wec.ics", series="WEC", refresh_minutes=360, by=7, at=NOW
    )
    return sub.id


async def read_and_apply(store: Store, sub_id: int, body: bytes, guild: int = GUILD) -> list[object]:
    sub = await store.feeds.get(guild, sub_id)
    assert sub is not None
    read = await read_feed(store, sub, body)
    return list(await apply_read(store, sub, read, now=NOW))


async def imola_in(store: Store, scope: Scope) -> list[object]:
    return [e for e in await store.events(scope, series="WEC", season=2026) if "Imola" in e.name]


async def test_the_feeds_weekend_and_the_catalog_race_are_one_event_for_that_guild_alone(
    backend: Store,
) -> None:
    [catalog_imola] = await imola_in(backend, Scope.catalog())
    sub_id = await subscribed(backend)
    changes = await read_and_apply(backend, sub_id, feed())
    assert len(changes) == 1

    [seen] = await imola_in(backend, Scope(GUILD))
    assert seen.guild_id == GUILD
    assert seen.replaces_event_id == catalog_imola.id
    assert seen.name == catalog_imola.name  # the catalog's name, aliases and facts
    kinds = [(s.kind, s.notes) for s in seen.sessions]
    assert kinds == [
        (SessionKind.PRACTICE, None),
        (SessionKind.QUALIFYING, "LMGT3"),
        (SessionKind.QUALIFYING, "Hypercar"),
        (SessionKind.RACE, None),
    ]
    assert seen.race is not None
    assert seen.race.start == parse_instant("2026-04-19T11:00:00Z")
    # The catalog race is still everyone else's, and the catalog's own reads are unchanged.
    assert [e.id for e in await imola_in(backend, Scope(OTHER_GUILD))] == [catalog_imola.id]
    assert [e.id for e in await imola_in(backend, Scope.catalog())] == [catalog_imola.id]
    assert await backend.event(Scope(GUILD), catalog_imola.id) is None
    # The stand-in shows the catalog race's entry list.
    assert await backend.entries(Scope(GUILD), seen.id) == await backend.entries(
        Scope.catalog(), catalog_imola.id
    )
    # The next race and a name typed by a fan find the guild's one.
    upcoming = await backend.upcoming_event_ids(Scope(GUILD), NOW, series="WEC", limit=5)
    assert catalog_imola.id not in upcoming
    assert seen.id in upcoming
    asker = Asker(backend, Scope(GUILD), FixedClock(NOW), Lookups(backend))
    assert (await asker.resolve_event("6 hours of imola 2026")).id == seen.id
    other = Asker(backend, Scope(OTHER_GUILD), FixedClock(NOW), Lookups(backend))
    assert (await other.resolve_event("6 hours of imola 2026")).id == catalog_imola.id


async def test_a_reread_moves_sessions_in_place_and_writes_the_audit_log_as_the_feeds(backend: Store) -> None:
    sub_id = await subscribed(backend)
    await read_and_apply(backend, sub_id, feed())
    [before] = await imola_in(backend, Scope(GUILD))
    writes = backend.writes_begun
    assert await read_and_apply(backend, sub_id, feed()) == []  # the same feed: nothing written,
    assert backend.writes_begun == writes  # not even a transaction begun

    changes = await read_and_apply(backend, sub_id, feed(qualifying_start="20260418T150000Z"))
    [_change] = changes
    [after] = await imola_in(backend, Scope(GUILD))
    moved = {s.key: s for s in after.sessions}
    was = {s.key: s for s in before.sessions}
    assert {k: s.id for k, s in moved.items()} == {k: s.id for k, s in was.items()}  # ids kept
    [q] = [s for s in after.sessions if s.notes == "Hypercar"]
    assert q.start == parse_instant("2026-04-18T15:00:00Z")
    history = await backend.editing.history(GUILD, event_key=after.key)
    assert [h.action for h in history] == ["feed.update", "feed.import"]
    assert {h.user_id for h in history} == {0}


async def test_a_moderators_edit_stands_until_the_feed_changes_that_field(backend: Store) -> None:
    sub_id = await subscribed(backend)
    await read_and_apply(backend, sub_id, feed())
    [event] = await imola_in(backend, Scope(GUILD))
    version = await backend.editing.version(GUILD, event.id)
    assert version is not None
    zone = event.circuit.timezone
    sessions = []
    for s in event.sessions:
        start = s.start + timedelta(hours=1) if s.kind is SessionKind.RACE and s.start else s.start
        at = start.isoformat().replace("+00:00", "Z") if start else None
        sessions.append(
            SessionRecord(
                s.key,
                s.kind.value,
                at,
                s.local_date.isoformat() if s.local_date else None,
                at,
                s.duration_minutes,
                s.notes,
            )
        )
    assert zone
    await backend.editing.update_event(
        GUILD,
        event.id,
        version,
        EventWrite(
            event.key,
            "WEC",
            event.circuit.id,
            2026,
            event.name,
            event.length,
            "scheduled",
            None,
            None,
            tuple(sessions),
        ),
        by=7,
        at=NOW,
        action="session.edit",
    )
    # The feed moves qualifying only: the moderator's race time stands.
    await read_and_apply(backend, sub_id, feed(qualifying_start="20260418T150000Z"))
    [kept] = await imola_in(backend, Scope(GUILD))
    assert kept.race is not None
    assert kept.race.start == parse_instant("2026-04-19T12:00:00Z")
    # Then the feed moves the race itself: the feed wins again.
    await read_and_apply(
        backend, sub_id, feed(qualifying_start="20260418T150000Z", race_start="20260419T103000Z")
    )
    [moved] = await imola_in(backend, Scope(GUILD))
    assert moved.race is not None
    assert moved.race.start == parse_instant("2026-04-19T10:30:00Z")


async def test_unsubscribing_takes_the_feeds_events_away_and_the_catalog_race_comes_back(
    backend: Store,
) -> None:
    [catalog_imola] = await imola_in(backend, Scope.catalog())
    sub_id = await subscribed(backend)
    await read_and_apply(backend, sub_id, feed())
    removed = await backend.feeds.unsubscribe(GUILD, sub_id, by=7, at=NOW)
    assert len(removed) == 1
    assert [e.id for e in await imola_in(backend, Scope(GUILD))] == [catalog_imola.id]
    assert await backend.feeds.subscriptions(GUILD) == []


async def test_due_subscriptions_and_fetch_state(backend: Store) -> None:
    sub_id = await subscribed(backend)
    assert [s.id for s in await backend.feeds.due(NOW)] == [sub_id]
    later = NOW + timedelta(hours=6)
    await backend.feeds.fetched(
        "https://feeds.example.test/wec.ics",
        etag='"v1"',
        last_modified=None,
        body_sha256="abc",
        at=NOW,
        subscriptions={sub_id: later},
    )
    assert await backend.feeds.due(NOW) == []
    assert await backend.feeds.next_due() == later
    source = await backend.feeds.source("https://feeds.example.test/wec.ics")
    assert source is not None
    assert source.etag == '"v1"'
    from fanbot.domain.catalog import Problem

    await backend.feeds.failed(Problem("HTTP {status}", status=500), at=later, subscriptions={sub_id: later})
    [sub] = await backend.feeds.subscriptions(GUILD)
    assert sub.failing_since == later
    assert str(sub.last_error) == "HTTP 500"
    assert await backend.feeds.take_broken_notice(GUILD, failing_since_before=later) != []
    assert await backend.feeds.take_broken_notice(GUILD, failing_since_before=later) == []  # told once


async def test_a_feed_in_fanbots_catalog_format_brings_its_series_events_under_the_feeds_keys(
    backend: Store,
) -> None:
    import json

    from fanbot.config import catalog_path

    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    raw["events"] = [
        {
            "key": "club-2030",
            "series": "WEC",
            "season": 2030,
            "name": "Club 6 Hours (fictional)",
            "circuit": "la-sarthe",
            "status": "scheduled",
            "sessions": [{"kind": "race", "date": "2030-03-10", "time": "14:00"}],
        },
        {
            "key": "other-series-2030",
            "series": "IMSA",
            "season": 2030,
            "name": "Another club race (fictional)",
            "circuit": "sebring",
            "status": "scheduled",
            "sessions": [{"kind": "race", "date": "2030-03-15", "time": "10:00"}],
        },
    ]
    sub_id = await subscribed(backend)
    await read_and_apply(backend, sub_id, json.dumps(raw).encode())
    [own] = await backend.own_events(GUILD)
    assert own.key == f"feed{sub_id}-club-2030"
    assert own.race is not None
    assert own.race.start == parse_instant("2030-03-10T13:00:00Z")  # 14:00 at Le Mans in March


async def test_a_file_that_is_neither_a_feed_nor_a_catalog_is_refused_whole(backend: Store) -> None:
    import pytest

    from fanbot.feeds.apply import FeedUnusable

    sub_id = await subscribed(backend)
    sub = await backend.feeds.get(GUILD, sub_id)
    assert sub is not None
    with pytest.raises(FeedUnusable, match="not an iCalendar feed"):
        await read_feed(backend, sub, b"<html>Not found</html>")
    assert await backend.own_events(GUILD) == []


async def test_the_circuit_page_shows_the_stand_in_once(backend: Store) -> None:
    [catalog_imola] = await imola_in(backend, Scope.catalog())
    sub_id = await subscribed(backend)
    await read_and_apply(backend, sub_id, feed())
    [seen] = await imola_in(backend, Scope(GUILD))
    lookups = Lookups(backend)
    rows = await lookups.circuit_calendar(Scope(GUILD), catalog_imola.circuit.id)
    ids = [r.event_id for r in rows]
    assert seen.id in ids
    assert catalog_imola.id not in ids
    assert catalog_imola.id in [
        r.event_id for r in await lookups.circuit_calendar(Scope(OTHER_GUILD), catalog_imola.circuit.id)
    ]
