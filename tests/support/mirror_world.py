"""Test support for the Discord scheduled events mirror: a server's own races placed a
number of days from the real now (the fake Discord refuses events that start in the past,
on its real clock), and reading what the fake's Events tab holds.

Every race here is made up (series ALMS, which the shipped catalog has in 2012 only, so
that nothing of the catalog falls in the window)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fanbot.calendar_files.catalog import parse_catalog
from fanbot.config import catalog_path
from fanbot.domain.catalog import Catalog
from fanbot.reminders.mirror_plan import read_marker

SERIES = "ALMS"
ZONE = ZoneInfo("Europe/Paris")  # the Circuit de la Sarthe's


@dataclass(frozen=True)
class Weekend:
    """One made-up race weekend ``days`` from now: qualifying the day before the race."""

    key: str
    name: str
    days: float
    status: str = "scheduled"
    watch_url: str | None = "https://example.org/watch"

    def race_start(self, now: datetime) -> datetime:
        """14:00 at the circuit on the day ``days`` from now (in UTC): a time every day has
        exactly once, whatever the clocks do that night."""
        return at_two_pm(now + timedelta(days=self.days))


def at_two_pm(instant: datetime) -> datetime:
    """14:00 at the circuit on the day of ``instant``, in UTC."""
    day = instant.astimezone(ZONE)
    return datetime(day.year, day.month, day.day, 14, 0, tzinfo=ZONE).astimezone(UTC)


def guild_catalog(weekends: list[Weekend], now: datetime) -> Catalog:
    """A guild catalog of made-up ALMS weekends at the Circuit de la Sarthe."""
    raw = copy.deepcopy(json.loads(catalog_path().read_text(encoding="utf-8")))
    raw["events"] = []
    for w in weekends:
        race = w.race_start(now).astimezone(ZONE)
        quali = race - timedelta(days=1)
        raw["events"].append(
            {
                "key": w.key,
                "series": SERIES,
                "season": race.year,
                "name": w.name,
                "circuit": "la-sarthe",
                "status": w.status,
                "watch_url": w.watch_url,
                "sessions": [
                    {"kind": "qualifying", "date": f"{quali:%Y-%m-%d}", "time": f"{quali:%H:%M}"},
                    {"kind": "race", "date": f"{race:%Y-%m-%d}", "time": f"{race:%H:%M}"},
                ],
            }
        )
    return parse_catalog(raw)


def by_name(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in events}


def live(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Scheduled or active (what Discord's cap counts)."""
    return [e for e in events if e["status"] in (1, 2)]


def starts(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["scheduled_start_time"])


def marker_of(event: dict[str, Any]) -> tuple[int, int] | None:
    return read_marker(event.get("description"))
