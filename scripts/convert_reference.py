"""Turn the researched reference data into fanbot's catalog format.

Run once by hand: ``python scripts/convert_reference.py ../shared/reference-data/data.json``.
It writes ``data/catalog.json``. Every fact comes from the reference file (whose
``facts.md`` cites a source for each); this script only reshapes it, derives
stable keys, and adds the statuses and results that ``facts.md`` records.
Unknown stays unknown: a null time is written as null, never guessed.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from pathlib import Path

CIRCUIT_KEYS = {
    "Michelin Raceway Road Atlanta": ("road-atlanta", ["Road Atlanta", "Petit Le Mans"]),
    "Circuit de la Sarthe": ("la-sarthe", ["Le Mans", "Circuit des 24 Heures du Mans"]),
    "Sebring International Raceway": ("sebring", ["Sebring"]),
    "Circuit de Spa-Francorchamps": ("spa-francorchamps", ["Spa", "Francorchamps"]),
    "Fuji Speedway": ("fuji", ["Fuji", "Fuji International Speedway"]),
    "Bahrain International Circuit": ("bahrain", ["Bahrain", "Sakhir"]),
    "Autódromo José Carlos Pace (Interlagos)": ("interlagos", ["Interlagos", "São Paulo"]),
    "Circuit of the Americas": ("cota", ["COTA", "Austin"]),
    "Autodromo Internazionale Enzo e Dino Ferrari (Imola)": ("imola", ["Imola"]),
    "Lusail International Circuit": ("lusail", ["Lusail", "Losail", "Qatar"]),
    "Daytona International Speedway (road course)": ("daytona", ["Daytona"]),
    "Watkins Glen International": ("watkins-glen", ["Watkins Glen", "The Glen"]),
    "Canadian Tire Motorsport Park": ("ctmp", ["CTMP", "Mosport"]),
    "WeatherTech Raceway Laguna Seca": ("laguna-seca", ["Laguna Seca", "Monterey"]),
    "Long Beach Street Circuit": ("long-beach", ["Long Beach"]),
    "Detroit Street Circuit": ("detroit", ["Detroit"]),
    "Indianapolis Motor Speedway (road course)": ("indianapolis", ["Indianapolis", "Indy"]),
    "Road America": ("road-america", ["Elkhart Lake"]),
    "VIRginia International Raceway": ("vir", ["VIR", "Virginia"]),
}

# Statuses recorded in facts.md section 3 (WEC 2026: Qatar postponed, 3 Mar 2026).
STATUS = {("WEC", 2026, "Qatar Airways Qatar 1812 km"): "postponed"}

# Results recorded in facts.md (section 1 for 2012, section 3 and 4 for the others).
RESULTS = {
    ("ALMS", 2012): [
        {
            "class": "Overall",
            "position": 1,
            "number": "12",
            "description": "Rebellion Racing Lola B12/60-Toyota (Jani / Prost / Belicchi)",
        },
        {
            "class": "Overall",
            "position": 2,
            "number": "055",
            "description": "Level 5 Motorsports HPD ARX-03b (Tucker / Bouchut / Díaz)",
        },
        {
            "class": "Overall",
            "position": 3,
            "number": "37",
            "description": "Conquest Endurance Morgan-Nissan (Heinemeier Hansson / Plowman / Lux)",
        },
        {
            "class": "GT",
            "position": 1,
            "number": None,
            "description": "Extreme Speed Motorsports Ferrari 458 (Sharp / van Overbeek / Vilander)",
        },
    ],
}
WINNER = re.compile(r"[Ww]inner (#\d+ .+?)(?:[.;](?:\s|$)|$)")
CITATION = re.compile(r"\s+(?:per [\w.-]+|\([\w-]+\.(?:jp|net|com)\))$")
UNCHANGED_NOTE = " (race length unchanged from 2025 per IMSA release"


def slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def edition(name: str) -> int | None:
    match = re.search(r"\((\d+)(?:st|nd|rd|th)", name)
    return int(match.group(1)) if match else None


def duration_minutes(text: str | None) -> int | None:
    if not text:
        return None
    window = re.search(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", text)
    if window and "window" in text:
        a = int(window.group(1)) * 60 + int(window.group(2))
        b = int(window.group(3)) * 60 + int(window.group(4))
        return b - a if b > a else None
    plain = text.split(" (")[0].strip()
    hours = re.fullmatch(r"(?:(\d+) hours?)?\s*(?:(\d+) minutes)?", plain)
    if hours and (hours.group(1) or hours.group(2)):
        return int(hours.group(1) or 0) * 60 + int(hours.group(2) or 0)
    return None


def main(source: Path, target: Path) -> None:
    raw = json.loads(source.read_text(encoding="utf-8"))
    circuits = []
    for c in raw["circuits"]:
        key, aliases = CIRCUIT_KEYS[c["name"]]
        circuits.append(
            {
                "key": key,
                "name": c["name"],
                "aliases": aliases,
                "location": c["location"],
                "country": c["country"],
                "timezone": c["timezone"],
                "length_km": c["length_km"],
                "turns": c["turns"],
                "source": c["source"],
                "notes": c.get("notes"),
            }
        )
    events = []
    for e in raw["events"]:
        circuit_key = CIRCUIT_KEYS[e["circuit"]][0]
        base = re.sub(r"\s*\(.*?\)", "", e["name"])
        key = f"{e['series'].lower()}-{e['season']}-{slug(base)}"[:80].strip("-")
        race = next((s for s in e["sessions"] if s["kind"] == "race"), None)
        sessions = []
        for s in e["sessions"]:
            time = s["start_local"][11:16] if s.get("start_local") else None
            sessions.append(
                {
                    "kind": s["kind"],
                    "date": s["date"],
                    "time": time,
                    "duration_minutes": duration_minutes(s.get("duration")),
                    "notes": s.get("duration"),
                }
            )
        results = list(RESULTS.get((e["series"], e["season"]), []))
        if not results and e.get("notes"):
            won = WINNER.search(e["notes"])
            if won:
                results = [
                    {
                        "class": "Overall",
                        "position": 1,
                        "number": won.group(1).split()[0].lstrip("#"),
                        "description": CITATION.sub("", won.group(1).split(" ", 1)[1]),
                    }
                ]
        entries = [
            {
                "number": en["number"],
                "class": en["class"],
                "team": en["team"],
                "car": en["car"],
                "drivers": en["drivers"],
                "source": en["source"],
                "notes": en.get("notes"),
            }
            for en in raw["entries"]
            if en["event"] == e["name"] and e["season"] == 2012
        ]
        events.append(
            {
                "key": key,
                "series": e["series"],
                "season": e["season"],
                "name": e["name"],
                "circuit": circuit_key,
                "edition": edition(e["name"]),
                "length": race["duration"].split(UNCHANGED_NOTE)[0] if race and race["duration"] else None,
                "status": STATUS.get((e["series"], e["season"], e["name"]), "scheduled"),
                "info_url": None,
                "watch_url": None,
                "source": e["source"],
                "notes": e.get("notes"),
                "sessions": sessions,
                "entries": entries,
                "results": results,
            }
        )
    catalog = {
        "format": "fanbot-catalog/1",
        "about": "fanbot's shipped catalog. Facts and their sources: see data/README.md.",
        "series": [{"code": s["code"], "name": s["name"], "source": None} for s in raw["series"]],
        "circuits": circuits,
        "events": events,
    }
    target.write_text(json.dumps(catalog, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {target}: {len(circuits)} circuits, {len(events)} events")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2] if len(sys.argv) > 2 else "data/catalog.json"))
