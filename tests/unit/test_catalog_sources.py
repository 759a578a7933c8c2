"""Every fact the shipped catalog states carries its source (issue 14): entries, results,
and the calendar and session times of each event (which its event-level ``source`` covers)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fanbot.config import catalog_path

CATALOG: dict[str, Any] = json.loads(catalog_path().read_text(encoding="utf-8"))


def _sourced(item: dict[str, Any]) -> bool:
    source = item.get("source")
    return isinstance(source, str) and "http" in source


def _events() -> list[dict[str, Any]]:
    return list(CATALOG["events"])


@pytest.mark.parametrize("event", _events(), ids=lambda e: e["key"])
def test_each_event_entry_and_result_names_its_source(event: dict[str, Any]) -> None:
    dated = [s for s in event["sessions"] if s.get("date") or s.get("time")]
    if dated or event["entries"] or event["results"]:
        assert _sourced(event), "the event's calendar and session times need a source"
    unsourced_entries = [e.get("number") for e in event["entries"] if not _sourced(e)]
    assert unsourced_entries == [], "entries without a source"
    unsourced_results = [(r["class"], r["position"]) for r in event["results"] if not _sourced(r)]
    assert unsourced_results == [], "results without a source"


def test_every_circuit_and_series_that_events_use_is_sourced_or_known_from_the_seed() -> None:
    # The three seed series came with the reference data (facts.md cites them); every
    # series and circuit added since must say where it comes from.
    seed_series = {"ALMS", "WEC", "IMSA"}
    unsourced = [s["code"] for s in CATALOG["series"] if s["code"] not in seed_series and not _sourced(s)]
    assert unsourced == []
    assert [c["key"] for c in CATALOG["circuits"] if not _sourced(c)] == []
