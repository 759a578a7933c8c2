"""Every weekend of the shipped catalog, at every instant that matters.

The oracle below reads ``data/catalog.json`` itself and works out, with the standard
library's ``zoneinfo`` (not the answer code, not pytz), where each session stands: a
session runs from its start for its length (its own duration; for a race, the event's
``length_minutes``; else the default for its kind and series that data/README.md
documents); one known only by its day may start at any moment of that local day. The
answers of /nextrace (with and without a series), /race and /circuit must agree with it
at the day before each weekend, each session's start -1/+1 min, middle, end -1/+1 min,
and the day after.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from fanbot.answers.calendar import race
from fanbot.answers.context import choice_value
from fanbot.answers.nextrace import next_race
from fanbot.answers.people import circuit
from fanbot.config import catalog_path
from fanbot.render.text import TextStyle, render_next_race, render_race
from fanbot.store import Scope

CATALOG = json.loads(catalog_path().read_text(encoding="utf-8"))
ZONES = {c["key"]: c["timezone"] for c in CATALOG["circuits"]}
# The documented defaults (data/README.md, "How long a session lasts").
DEFAULT_MINUTES = {"practice": 90, "qualifying": 75, "hyperpole": 30, "warmup": 30, "race": 360, "other": 60}
RACE_DEFAULT_MINUTES = {"WEC": 360, "ELMS": 240, "ALMS": 165, "IMSA": 160}


@dataclass(frozen=True)
class Expected:
    earliest: datetime
    latest: datetime
    timed: bool

    def state(self, now: datetime) -> str:
        if now < self.earliest:
            return "to_come"
        if now >= self.latest:
            return "done"
        return "under_way" if self.timed else "possibly_under_way"


def _minutes(event: dict, session: dict) -> int:
    if session.get("duration_minutes"):
        return int(session["duration_minutes"])
    if session["kind"] == "race" and event.get("length_minutes"):
        return int(event["length_minutes"])
    if session["kind"] == "race" and event["series"] in RACE_DEFAULT_MINUTES:
        return RACE_DEFAULT_MINUTES[event["series"]]
    return DEFAULT_MINUTES[session["kind"]]


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(UTC)


def stored_order(event: dict) -> list[dict]:
    """The sessions in the order answers list them (data/README.md): by start, a session
    known only by its day at the start of that day, undated ones last, ties in file order."""
    zone = ZoneInfo(ZONES[event["circuit"]])

    def first_instant(s: dict) -> datetime:
        day = date.fromisoformat(s["date"])
        clock = time.fromisoformat(s["time"]) if s["time"] is not None else time()
        return datetime.combine(day, clock, zone).astimezone(UTC)

    indexed = list(enumerate(event["sessions"]))
    indexed.sort(key=lambda p: (p[1]["date"] is None, first_instant(p[1]) if p[1]["date"] else UTC_ZERO, p[0]))
    return [s for _, s in indexed]


UTC_ZERO = datetime(1970, 1, 1, tzinfo=UTC)


def expected_sessions(event: dict) -> list[Expected | None]:
    zone = ZoneInfo(ZONES[event["circuit"]])
    out: list[Expected | None] = []
    for s in stored_order(event):
        length = timedelta(minutes=_minutes(event, s))
        if s["date"] is None:
            out.append(None)
            continue
        day = date.fromisoformat(s["date"])
        if s["time"] is not None:
            start = datetime.combine(day, time.fromisoformat(s["time"]), zone).astimezone(UTC)
            out.append(Expected(start, start + length, True))
        else:
            first = _local_midnight(day, zone)
            out.append(Expected(first, _local_midnight(day + timedelta(days=1), zone) + length, False))
    return out


LIVE = [e for e in CATALOG["events"] if e["status"] != "cancelled"]
# How render_race starts each session's line: done, (possibly) under way, to come, undated.
SESSION_LINE_STARTS = {"  ✓ ", "  ▶ ", "  • ", "  ? "}
WINDOWS = {e["key"]: expected_sessions(e) for e in CATALOG["events"]}


def _grid(event: dict) -> list[datetime]:
    dated = [w for w in WINDOWS[event["key"]] if w is not None]
    if not dated:
        return []
    instants = [min(w.earliest for w in dated) - timedelta(days=1)]
    minute = timedelta(minutes=1)
    for w in dated:
        middle = w.earliest + (w.latest - w.earliest) / 2
        instants += [w.earliest - minute, w.earliest + minute, middle, w.latest - minute, w.latest + minute]
    instants.append(max(w.latest for w in dated) + timedelta(days=1))
    return [i.replace(second=0, microsecond=0) for i in instants]


def _first_current(event: dict, now: datetime) -> datetime | None:
    """When the event's earliest session that is not over starts (None: all over)."""
    current = [w.earliest for w in WINDOWS[event["key"]] if w is not None and w.latest > now]
    return min(current) if current else None


def expected_next(now: datetime, series: str | None) -> set[str]:
    """The events /nextrace may answer: the weekend under way or the soonest to come
    (a set, for two events whose first current session starts at the same instant)."""
    ranked = [
        (first, e["key"])
        for e in LIVE
        if (series is None or e["series"] == series) and (first := _first_current(e, now)) is not None
    ]
    if not ranked:
        return set()
    soonest = min(first for first, _ in ranked)
    return {key for first, key in ranked if first == soonest}


def expected_circuit(circuit_key: str, now: datetime) -> tuple[str | None, str | None]:
    """(next, last) at a circuit: events in order of their first session; the next is the
    first not over (else one of this season or a later one whose date is not announced),
    the last the latest one over."""
    here = []
    undated = []
    for e in LIVE:
        dated = [w for w in WINDOWS[e["key"]] if w is not None]
        if e["circuit"] == circuit_key and dated:
            here.append((min(w.earliest for w in dated), max(w.latest for w in dated), e["key"]))
        elif e["circuit"] == circuit_key and e["season"] >= now.year:
            undated.append((e["season"], e["name"], e["key"]))
    here.sort()
    upcoming = [key for _, until, key in here if until > now] or [key for _, _, key in sorted(undated)]
    done = [key for _, until, key in here if until <= now]
    return (upcoming[0] if upcoming else None, done[-1] if done else None)


SWEEP = [(e["key"], instant) for e in LIVE for instant in _grid(e)]


def test_the_sweep_covers_every_dated_event_of_the_catalog():
    dated = {e["key"] for e in LIVE if any(w is not None for w in WINDOWS[e["key"]])}
    assert {key for key, _ in SWEEP} == dated
    assert len(dated) >= len(CATALOG["events"]) - 1  # only undated ones may be left out
    assert len(SWEEP) > 300  # two whole days and six instants per session


@pytest.fixture
async def ids(store):
    return {e.key: e.id for e in await store.events(Scope.catalog())}


async def test_every_weekend_at_every_instant_agrees_with_the_catalog(asker, ids):
    failures: list[str] = []
    by_key = {e["key"]: e for e in CATALOG["events"]}
    for key, now in SWEEP:
        event = by_key[key]
        at = asker(now)
        where = f"{key} at {now:%Y-%m-%dT%H:%MZ}"
        for series in (None, event["series"]):
            answer = await next_race(at, series=series)
            wanted = expected_next(now, series)
            got = answer.event.key if answer.event else None
            if (got not in wanted) if wanted else got is not None:
                failures.append(f"{where}: /nextrace {series or ''} gave {got}, expected {sorted(wanted)}")
        card = await race(at, choice_value(ids[key]))
        states = [str(card.session_state(i)) for i in range(len(card.event.sessions))]
        oracle = [w.state(now) if w is not None else "undated" for w in WINDOWS[key]]
        if states != oracle:
            failures.append(f"{where}: /race states {states}, expected {oracle}")
        # Each session's own line says where it stands, in the session's order.
        lines = [x for x in render_race(card, TextStyle()).splitlines() if x[:4] in SESSION_LINE_STARTS]
        words = {
            "done": "— done",
            "under_way": "under way, started",
            "possibly_under_way": "possibly under way",
        }
        for state, line in zip(oracle, lines, strict=True):
            if state in words and words[state] not in line:
                failures.append(f"{where}: /race line {line!r} lacks {words[state]!r}")
            if state == "to_come" and any(w in line for w in words.values()):
                failures.append(f"{where}: /race line {line!r} is to come")
        here = await circuit(at, event["circuit"])
        got_c = (
            here.next_event.key if here.next_event else None,
            here.last_event.key if here.last_event else None,
        )
        if got_c != expected_circuit(event["circuit"], now):
            failures.append(
                f"{where}: /circuit gave {got_c}, expected {expected_circuit(event['circuit'], now)}"
            )
    wrong = len({line.split(": ", 1)[0] for line in failures})
    assert not failures, f"wrong at {wrong} of {len(SWEEP)} instants:\n" + "\n".join(failures[:40])


async def test_a_race_under_way_is_never_shown_as_done(asker, ids):
    """The rendered answers, not only the view models: during every timed race."""
    for e in LIVE:
        for s, w in zip(stored_order(e), WINDOWS[e["key"]], strict=True):
            if s["kind"] != "race" or w is None or not w.timed:
                continue
            now = w.earliest + (w.latest - w.earliest) / 2
            text = render_next_race(await next_race(asker(now), series=e["series"]), TextStyle())
            assert "under way, started" in text, (e["key"], text)
            assert "Race weekend in progress" in text, (e["key"], text)
