"""Fold researched catalog fragments into ``data/catalog.json``.

Each research file under ``data/research/`` (facts with their sources, for a reviewer)
has a machine-readable twin under ``data/research/fragments/*.json``:

```jsonc
{
  "series":   [ /* new series, catalog shape */ ],
  "circuits": [ /* new circuits, catalog shape */ ],
  "events":   [ /* new events, catalog shape (entries, results, sessions included) */ ],
  "updates":  [ /* what research adds to an event already in the catalog */
    { "event": "wec-2025-qatar-airways-qatar-1812-km",
      "entries": [ ... ],        // optional: replaces the event's entry list
      "results": [ ... ],        // optional: replaces the event's results
      "sessions": [ ... ],       // optional: replaces the event's sessions
      "source_add": "https://…", // optional: appended to the event's source (" | ")
      "notes_add": "…" }         // optional: appended to the event's notes
  ]
}
```

Merging is idempotent: a series, circuit or event that is already in the catalog must be
equal to the fragment's (else the merge stops and says where); updates replace whole lists.
The result is checked with the importer's own parser before it is written, so a merge that
the bot would refuse never reaches ``data/catalog.json``.

    .venv/bin/python scripts/merge_research.py            # merge every fragment, write the catalog
    .venv/bin/python scripts/merge_research.py --check F  # merge F (and the others) in memory only
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "data" / "catalog.json"
FRAGMENTS = ROOT / "data" / "research" / "fragments"


class MergeError(Exception):
    pass


def _by_key(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


def _add(catalog: dict[str, Any], part: str, key: str, items: list[dict[str, Any]], origin: str) -> None:
    known = _by_key(catalog[part], key)
    for item in items:
        have = known.get(item[key])
        if have is None:
            catalog[part].append(item)
            known[item[key]] = item
        elif have != item:
            raise MergeError(f"{origin}: {part} {item[key]!r} is already in the catalog, differently")


def _join(old: str | None, new: str) -> str:
    if not old:
        return new
    return old if new in old else f"{old} | {new}"


def merge(catalog: dict[str, Any], fragment: dict[str, Any], origin: str) -> None:
    _add(catalog, "series", "code", fragment.get("series", []), origin)
    _add(catalog, "circuits", "key", fragment.get("circuits", []), origin)
    _add(catalog, "events", "key", fragment.get("events", []), origin)
    events = _by_key(catalog["events"], "key")
    for update in fragment.get("updates", []):
        event = events.get(update.get("event", ""))
        if event is None:
            raise MergeError(f"{origin}: update names an unknown event {update.get('event')!r}")
        for part in ("entries", "results", "sessions"):
            if part in update:
                event[part] = update[part]
        if update.get("source_add"):
            event["source"] = _join(event.get("source"), update["source_add"])
        if update.get("notes_add"):
            event["notes"] = _join(event.get("notes"), update["notes_add"])


def merged(paths: list[Path]) -> dict[str, Any]:
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    for path in paths:
        try:
            fragment = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise MergeError(f"{path}: {exc}") from exc
        merge(catalog, fragment, str(path.relative_to(ROOT)))
    return catalog


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", type=Path, help="merge in memory and check, write nothing")
    args = parser.parse_args(argv)
    paths = sorted(FRAGMENTS.glob("*.json"))
    if args.check is not None and args.check.resolve() not in {p.resolve() for p in paths}:
        paths.append(args.check.resolve())
    sys.path.insert(0, str(ROOT))
    from fanbot.calendar_files.catalog import parse_catalog
    from fanbot.domain.catalog import CatalogError

    try:
        catalog = merged(paths)
        parsed = parse_catalog(catalog, source="merged catalog")
    except MergeError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    except CatalogError as exc:
        print(exc, file=sys.stderr)
        return 1
    summary = (
        f"{len(paths)} fragments; {len(parsed.series)} series, {len(parsed.circuits)} circuits, "
        f"{len(parsed.events)} events, {sum(len(e.entries) for e in parsed.events)} entries, "
        f"{sum(len(e.results) for e in parsed.events)} results"
    )
    if args.check is not None:
        print(f"ok (not written): {summary}")
        return 0
    CATALOG.write_text(json.dumps(catalog, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {CATALOG.relative_to(ROOT)}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
