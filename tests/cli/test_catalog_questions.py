"""The questions issue 14 grew the catalog for, asked in the console as a user asks them,
each checked against what ``data/catalog.json`` itself says (not against figures copied here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from fanbot.config import catalog_path

CATALOG: dict[str, Any] = json.loads(catalog_path().read_text(encoding="utf-8"))


def _events(series: str, season: int) -> list[dict[str, Any]]:
    return [e for e in CATALOG["events"] if e["series"] == series and e["season"] == season]


def _event(key: str) -> dict[str, Any]:
    [event] = [e for e in CATALOG["events"] if e["key"] == key]
    return event


def ask(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FANBOT_DB": str(db), "DISCORD_TOKEN": ""}
    return subprocess.run(
        [sys.executable, "-m", "fanbot.cli", "ask", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=db.parent,
    )


def answer(db: Path, *args: str) -> dict[str, Any]:
    run = ask(db, "--json", *args)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)["answer"]


def test_the_elms_2025_season_is_its_calendar(tmp_path):
    shown = answer(tmp_path / "f.db", "/schedule series:ELMS season:2025")
    expected = _events("ELMS", 2025)
    assert expected, "the catalog holds the 2025 ELMS season"
    assert [r["event"]["key"] for r in shown["rows"]] == [e["key"] for e in expected]


def test_the_asian_le_mans_winter_season_is_filed_under_the_year_it_starts(tmp_path):
    db = tmp_path / "f.db"
    shown = answer(db, "/schedule series:AsLMS season:2025")
    expected = _events("AsLMS", 2025)
    assert len(expected) == 6, "three double-header weekends"
    assert sorted(r["event"]["key"] for r in shown["rows"]) == sorted(e["key"] for e in expected)
    text = ask(db, "/schedule series:AsLMS season:2025")
    assert text.stdout.startswith("AsLMS — season 2025–26"), text.stdout


def test_the_2025_le_mans_entry_list_is_every_car_the_catalog_has(tmp_path):
    shown = answer(tmp_path / "f.db", "/lineup event:le mans 2025")
    listed = [e["number"] for g in shown["groups"] for e in g["entries"]]
    expected = [e["number"] for e in _event("wec-2025-24-hours-of-le-mans")["entries"]]
    assert len(expected) > 50
    assert sorted(listed, key=str) == sorted(expected, key=str)


def test_the_2026_hypercar_season_list_answers_for_qatar(tmp_path):
    shown = answer(tmp_path / "f.db", "/lineup event:qatar 2026 class:Hypercar")
    [group] = shown["groups"]
    assert group["car_class"] == "Hypercar"
    expected = [
        e["number"]
        for e in _event("wec-2026-qatar-airways-qatar-1812-km")["entries"]
        if e["class"] == "Hypercar"
    ]
    assert expected
    assert [e["number"] for e in group["entries"]] == expected


def test_bahrain_2025_results_are_hidden_until_asked_for(tmp_path):
    db = tmp_path / "f.db"
    winner = next(
        r for r in _event("wec-2025-bapco-energies-8-hours-of-bahrain")["results"] if r["position"] == 1
    )
    hidden = ask(db, "/race event:bahrain 2025")
    assert hidden.returncode == 0, hidden.stderr
    assert winner["description"] not in hidden.stdout
    assert "add --spoilers" in hidden.stdout
    shown = ask(db, "--spoilers", "/race event:bahrain 2025")
    assert winner["description"] in shown.stdout
