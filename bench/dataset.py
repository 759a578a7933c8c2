"""The benchmark's store, grown to a realistic size through the store's own import API.

The shipped catalog, plus a generated 20 seasons x 5 series x 12 events with full
line-ups (30 cars x 3 drivers), plus 1,000 guilds with their own events. Two of the
five series are made up for the benchmark (codes XEC and XGT, named "fictional"):
they exist only in the generated benchmark database, never in ``data/``.

Guild i has id ``guild_id(i)``, one text channel ``channel_id(i)`` and five own events
with a qualifying and a race each; the benchmarks move those ten sessions to real
instants to make reminders fall due. The benchmarks with 10,000 guilds (fan-out and start-up
across shard processes) add guilds 1,000 to 9,999 without events of their own: what they
measure needs only their reminder setups and their place in the gateway.

The same store grows into a SQLite file or a PostgreSQL database (``grow`` takes either), and
reads back through ``Database.rows``, the same on both.
"""

from __future__ import annotations

import functools
import json
import random
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fanbot.calendar_files.catalog import FORMAT, parse_catalog, shipped_catalog
from fanbot.config import catalog_path
from fanbot.store import Store

GUILDS = 1000
# The guilds of the benchmarks across shard processes (Discord requires sharding from 2,500).
SHARD_GUILDS = 10_000
SEASONS = 20
SERIES_EVENTS = 12
ENTRIES = 30
DRIVERS_PER_CAR = 3
OWN_EVENTS_PER_GUILD = 5

FICTIONAL_SERIES = [
    {"code": "XEC", "name": "Xanadu Endurance Cup (fictional, benchmark only)", "source": None},
    {"code": "XGT", "name": "Xylo GT Trophy (fictional, benchmark only)", "source": None},
]
SERIES_CODES = ["WEC", "IMSA", "ALMS", "XEC", "XGT"]
CLASSES = ["Hypercar", "LMP2", "LMGT3"]

# Made-up names for the generated line-ups: 60 x 50 = 3,000 possible drivers.
FIRST = [
    "Alex",
    "Ben",
    "Carla",
    "Dario",
    "Elena",
    "Felix",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Kai",
    "Lena",
    "Marco",
    "Nina",
    "Oskar",
    "Paula",
    "Quentin",
    "Rosa",
    "Sven",
    "Tara",
    "Umberto",
    "Vera",
    "Willem",
    "Xenia",
    "Yann",
    "Zoe",
    "Adrian",
    "Bianca",
    "Cyril",
    "Dana",
    "Emil",
    "Fiona",
    "Gaspard",
    "Helga",
    "Ivo",
    "Julia",
    "Kenji",
    "Lucia",
    "Mateo",
    "Noor",
    "Olivier",
    "Petra",
    "Rafael",
    "Saskia",
    "Tomas",
    "Ulla",
    "Victor",
    "Wanda",
    "Yusuf",
    "Zara",
    "Anton",
    "Beatriz",
    "Claude",
    "Dora",
    "Erik",
    "Flora",
    "Goran",
    "Hanna",
    "Igor",
    "Jade",
]
LAST = [
    "Abbott",
    "Brandt",
    "Castell",
    "Duval",
    "Eriksen",
    "Falk",
    "Garnier",
    "Holm",
    "Ibarra",
    "Jansen",
    "Kovac",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Petit",
    "Quist",
    "Rossi",
    "Sandoval",
    "Tanaka",
    "Urban",
    "Vidal",
    "Weber",
    "Xu",
    "Young",
    "Zamora",
    "Arden",
    "Bell",
    "Cruz",
    "Dahl",
    "Engel",
    "Fontaine",
    "Greco",
    "Hale",
    "Ito",
    "Jaeger",
    "Klein",
    "Lowe",
    "Marsh",
    "Nilsen",
    "Orr",
    "Pike",
    "Quinn",
    "Reyes",
    "Stone",
    "Thorne",
    "Ueda",
    "Voss",
    "Wren",
    "Yates",
]
TEAM_WORDS = [
    "Apex",
    "Boreal",
    "Comet",
    "Delta",
    "Ember",
    "Falcon",
    "Granite",
    "Harbor",
    "Iron",
    "Juniper",
    "Kestrel",
    "Lumen",
]
TEAM_KINDS = ["Racing", "Motorsport", "Competition", "Engineering", "Team"]
CARS = ["Arrow LMH", "Borealis P2", "Cobalt GT3", "Dynamo LMDh", "Eclipse P2", "Fjord GT3"]


def guild_id(i: int) -> int:
    """Guild i's id: one step of 2**22 per guild, so that Discord's shard of a guild,
    ``(id >> 22) % shard_count``, deals consecutive guilds to the shards in turn (the
    timestamp part of real snowflakes spreads them as evenly)."""
    return 1_300_000_000_000_000_000 + (i << 22)


def channel_id(i: int) -> int:
    return guild_id(i) + 1


@dataclass(frozen=True)
class Grown:
    """What a grown store holds (for the report)."""

    catalog_events: int
    generated_events: int
    guild_events: int
    entries: int
    drivers: int
    sessions: int


@functools.cache
def _shipped() -> dict[str, Any]:
    """The shipped catalog file as JSON (read only: callers copy what they change)."""
    raw: dict[str, Any] = json.loads(catalog_path().read_text(encoding="utf-8"))
    return raw


def generated_catalog(first_season: int) -> dict[str, Any]:
    """20 seasons x 5 series x 12 events, each with qualifying, race and a full line-up."""
    shipped = _shipped()
    circuits = shipped["circuits"]
    rng = random.Random(6)
    drivers = [f"{f} {last}" for f in FIRST for last in LAST]
    teams = [f"{w} {k}" for w in TEAM_WORDS for k in TEAM_KINDS]
    events = []
    for season in range(first_season, first_season + SEASONS):
        for s_index, series in enumerate(SERIES_CODES):
            for rnd in range(1, SERIES_EVENTS + 1):
                circuit = circuits[(rnd * 3 + s_index) % len(circuits)]
                place = circuit["aliases"][0] if circuit["aliases"] else circuit["name"]
                hours = (6, 8, 10, 12, 24)[(rnd + s_index) % 5]
                # Days 3..27 at 14:00/13:00 local: never today's date at the same hour by design.
                day = 3 + (s_index * 5 + rnd) % 25
                race_day = f"{season}-{rnd:02d}-{day:02d}"
                quali_day = f"{season}-{rnd:02d}-{day - 1:02d}"
                entries = []
                for n in range(ENTRIES):
                    crew = rng.sample(drivers, DRIVERS_PER_CAR)
                    entries.append(
                        {
                            "number": str(n + 1),
                            "class": CLASSES[n * len(CLASSES) // ENTRIES],
                            "team": teams[rng.randrange(len(teams))],
                            "car": CARS[rng.randrange(len(CARS))],
                            "drivers": crew,
                        }
                    )
                events.append(
                    {
                        "key": f"bench-{series.lower()}-{season}-r{rnd:02d}",
                        "series": series,
                        "season": season,
                        "name": f"{hours} Hours of {place}",
                        "circuit": circuit["key"],
                        "length": f"{hours} hours",
                        "sessions": [
                            {
                                "kind": "qualifying",
                                "date": quali_day,
                                "time": "14:00",
                                "duration_minutes": 60,
                            },
                            {
                                "kind": "race",
                                "date": race_day,
                                "time": "13:00",
                                "duration_minutes": hours * 60,
                            },
                        ],
                        "entries": entries,
                    }
                )
    return {
        "format": FORMAT,
        "series": shipped["series"] + FICTIONAL_SERIES,
        "circuits": circuits,
        "events": events,
    }


def guild_catalog(i: int, season: int) -> dict[str, Any]:
    """Guild i's own events: a club championship at its own (made-up) track."""
    track = f"guild-{i}-raceway"
    events = []
    for k in range(OWN_EVENTS_PER_GUILD):
        month = 1 + (i + k) % 12
        events.append(
            {
                "key": f"club-round-{k + 1}",
                "series": SERIES_CODES[(i + k) % len(SERIES_CODES)],
                "season": season,
                "name": f"Club {k + 1} Hours of Raceway {i}",
                "circuit": track,
                "sessions": [
                    {"kind": "qualifying", "date": f"{season}-{month:02d}-14", "time": "10:00"},
                    {"kind": "race", "date": f"{season}-{month:02d}-15", "time": "11:00"},
                ],
            }
        )
    return {
        "format": FORMAT,
        # Series are shared: a guild's file names them, the import leaves them alone.
        "series": _shipped()["series"] + FICTIONAL_SERIES,
        "circuits": [
            {"key": track, "name": f"Raceway {i}", "timezone": "Europe/Paris", "aliases": [f"R{i}"]}
        ],
        "events": events,
    }


async def count(store: Store, sql: str) -> int:
    """One number read back (``SELECT COUNT(*) ...``), on either backend."""
    rows = await store.database.rows(sql)
    return int(rows[0][0]) if rows else 0


async def grow(target: str | Path, now: datetime, *, guilds: int = GUILDS) -> Grown:
    """Grow the benchmark store at ``target`` (a new SQLite file, or an empty PostgreSQL
    database's URL) through ``Store.import_catalog``."""
    # Ten seasons behind, ten ahead: /nextrace has a future, /schedule a past.
    first_season = now.year - SEASONS // 2
    store = await Store.open(target, seed=shipped_catalog())
    try:
        await store.import_catalog(parse_catalog(generated_catalog(first_season), source="bench"))
        for i in range(guilds):
            await store.import_catalog(
                parse_catalog(guild_catalog(i, now.year + 2), source=f"guild {i}"), guild_id=guild_id(i)
            )
        counts = {
            table: await count(store, f"SELECT COUNT(*) FROM {table}")
            for table in ("events", "entries", "drivers", "sessions")
        }
        own = await count(store, "SELECT COUNT(*) FROM events WHERE guild_id IS NOT NULL")
    finally:
        await store.close()
    generated = SEASONS * len(SERIES_CODES) * SERIES_EVENTS
    return Grown(
        catalog_events=counts["events"] - own - generated,
        generated_events=generated,
        guild_events=own,
        entries=counts["entries"],
        drivers=counts["drivers"],
        sessions=counts["sessions"],
    )
