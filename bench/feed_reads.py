"""Reading one subscribed feed for many guilds: ``python -m bench.feed_reads [guilds]``.

A feed's URL is fetched once for every guild that follows it; its file must then be made
into each guild's events. This measures, in one run on one SQLite store, the read of a
season-sized feed (8 race weekends of 8 sessions, in the shape of the community WEC feeds,
made up) for each guild parsed on its own and parsed once for all of them
(``fanbot.feeds.apply.Reads``), then the write of it into every guild's calendar
(``apply_read``), the first time and unchanged. The parse runs on the event loop: its
time per guild is time the process answers no command.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from fanbot.calendar_files.catalog import shipped_catalog
from fanbot.domain.localtime import parse_instant
from fanbot.feeds.apply import Reads, apply_read, read_feed
from fanbot.store import Store

NOW = parse_instant("2030-01-01T00:00:00Z")
URL = "https://feeds.example.test/season.ics"
CIRCUITS = [
    ("Circuit de la Sarthe\\, Le Mans\\, France", "Le Mans"),
    ("Circuit de Spa-Francorchamps\\, Stavelot\\, Belgium", "Spa"),
    ("Fuji Speedway\\, Oyama\\, Japan", "Fuji"),
    ("Circuit of the Americas\\, Austin\\, USA", "Austin"),
    ("Bahrain International Circuit\\, Sakhir\\, Bahrain", "Bahrain"),
    ("Autodromo Enzo e Dino Ferrari\\, Imola\\, Italy", "Imola"),
    ("Lusail International Circuit\\, Lusail\\, Qatar", "Qatar"),
    ("Interlagos\\, Sao Paulo\\, Brazil", "Sao Paulo"),
]
SESSIONS = [
    ("Free Practice 1", 1, "0900"),
    ("Free Practice 2", 1, "1400"),
    ("Free Practice 3", 2, "0900"),
    ("Qualifying - LMGT3", 2, "1300"),
    ("Hyperpole - LMGT3", 2, "1320"),
    ("Qualifying - Hypercar", 2, "1340"),
    ("Hyperpole - Hypercar", 2, "1400"),
    ("Race", 3, "1100"),
]


def season_feed() -> bytes:
    """A made-up 2030 season in the community feeds' shape (one VEVENT per session)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//fanbot bench//fictional//EN"]
    for round_no, (location, town) in enumerate(CIRCUITS, start=1):
        month = 3 + round_no
        for session_no, (name, day, clock) in enumerate(SESSIONS, start=1):
            start = f"2030{month:02d}{10 + day:02d}T{clock}00Z"
            lines += [
                "BEGIN:VEVENT",
                f"UID:bench-r{round_no}-s{session_no}@fanbot",
                "DTSTAMP:20300101T000000Z",
                f"DTSTART:{start}",
                f"SUMMARY:WEC R{round_no}: 6 Hours of {town} (fictional) - {name}",
                f"LOCATION:{location}",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def figure(label: str, seconds: float, guilds: int) -> str:
    return f"  {label + ':':30} {seconds * 1000:8.0f} ms  ({seconds / guilds * 1000:6.2f} ms a guild)"


async def run(guilds: int) -> None:
    body = season_feed()
    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(Path(folder) / "bench.sqlite3", seed=shipped_catalog())
        try:
            subs = [
                await store.feeds.subscribe(g, url=URL, series="WEC", refresh_minutes=360, by=1, at=NOW)
                for g in range(1, guilds + 1)
            ]
            started = time.perf_counter()
            for sub in subs:
                await read_feed(store, sub, body)
            alone = time.perf_counter() - started
            reads = Reads(store, body, URL)
            started = time.perf_counter()
            shared = [await reads.read(sub) for sub in subs]
            once = time.perf_counter() - started
            events = len(shared[0].catalog.events)
            print(f"{guilds} guilds, {events} weekends, {len(body):,} bytes")
            print(figure("read, parsed for each guild", alone, guilds))
            print(figure("read, parsed once for all", once, guilds))
            print(f"  ratio: {alone / once:.0f}x")
            for label in ("first write", "unchanged write"):
                subs = await store.feeds.of_url(URL)  # as the refresh reads them, fresh
                started = time.perf_counter()
                for sub, read in zip(subs, shared, strict=True):
                    await apply_read(store, sub, read, now=NOW)
                print(figure(label, time.perf_counter() - started, guilds))
        finally:
            await store.close()


if __name__ == "__main__":
    asyncio.run(run(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
