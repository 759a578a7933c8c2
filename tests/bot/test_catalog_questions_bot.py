"""Issue 14's questions through the real discord.py handlers (simcord): the grown catalog
answers in Discord as in the console, results behind spoiler markup."""

from __future__ import annotations

import json
from typing import Any

from fanbot.config import catalog_path

CATALOG: dict[str, Any] = json.loads(catalog_path().read_text(encoding="utf-8"))


def _event(key: str) -> dict[str, Any]:
    [event] = [e for e in CATALOG["events"] if e["key"] == key]
    return event


def _text(message) -> str:
    parts = [message.content or ""]
    for embed in message.embeds:
        parts += [embed.title or "", embed.description or ""]
        parts += [f"{f.name}\n{f.value}" for f in embed.fields]
    return "\n".join(parts)


async def test_asian_le_mans_schedule_in_discord_names_its_winter_season(world):
    asked = await world.alice.slash(world.channel, "schedule", series="AsLMS", season=2025)
    assert asked.response.embeds[0].title == "AsLMS — season 2025–26"
    for event in (e for e in CATALOG["events"] if e["series"] == "AsLMS" and e["season"] == 2025):
        assert event["name"] in _text(asked.response)


async def test_bahrain_2025_results_sit_behind_spoiler_markup_in_discord(world):
    asked = await world.alice.slash(world.channel, "race", event="bahrain 2025")
    winner = next(
        r for r in _event("wec-2025-bapco-energies-8-hours-of-bahrain")["results"] if r["position"] == 1
    )
    shown = _text(asked.response)
    assert f"||#{winner['number']} {winner['description']}||" in shown


async def test_qatar_2026_hypercar_line_up_in_discord(world):
    asked = await world.alice.slash(world.channel, "lineup", event="qatar 2026", **{"class": "Hypercar"})
    shown = _text(asked.response)
    for entry in _event("wec-2026-qatar-airways-qatar-1812-km")["entries"]:
        if entry["class"] == "Hypercar" and entry["number"]:
            assert f"#{entry['number']}" in shown
