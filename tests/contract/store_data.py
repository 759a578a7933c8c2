"""What the contract tests build and compare: guild catalogs of made-up events, and row counts
(``tests.support.database.dump`` reads every row, on either backend)."""

from __future__ import annotations

import copy
import json
from typing import Any

from fanbot.calendar_files.catalog import parse_catalog
from fanbot.config import catalog_path
from fanbot.domain.catalog import Catalog
from fanbot.store import Store

# The 2012 Petit Le Mans at Road Atlanta: the shipped catalog's first event.
PETIT_LE_MANS = "alms-2012-petit-le-mans-powered-by-mazda"


def shipped_raw() -> dict[str, Any]:
    """The shipped catalog file as JSON, a copy of its own to change."""
    return copy.deepcopy(json.loads(catalog_path().read_text(encoding="utf-8")))


def club_event(
    key: str,
    name: str,
    day: str,
    *,
    time: str = "16:00",
    circuit: str = "la-sarthe",
    entries: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A made-up guild event in the catalog file's format: one race at ``day`` ``time``."""
    return {
        "key": key,
        "series": "WEC",
        "season": int(day[:4]),
        "name": name,
        "circuit": circuit,
        "sessions": [{"kind": "race", "date": day, "time": time}],
        "entries": entries or [],
    }


def guild_catalog(*events: dict[str, Any], circuits: list[dict[str, Any]] | None = None) -> Catalog:
    """A guild's own file: the shipped series and circuits (or ``circuits``) and ``events``."""
    raw = shipped_raw()
    raw["events"] = list(events)
    if circuits is not None:
        raw["circuits"] = circuits
    return parse_catalog(raw)


async def count_rows(store: Store, table: str) -> int:
    rows = await store.database.fetch_all(f"SELECT COUNT(*) FROM {table}")
    return int(rows[0][0])
