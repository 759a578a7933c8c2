"""``fanbot import``: the catalog's JSON, and a server's CSV, iCalendar or JSON file with
``--guild`` (through the moderators' /event import checks), and the problems it reports.

The 2027 weekends below are MADE UP for the tests (fictional events at real circuits)."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path

import pytest

from fanbot.calendar_files import HEADER_LINE
from fanbot.calendar_files.catalog import load_catalog_file, parse_catalog
from fanbot.cli import main
from fanbot.config import catalog_path
from fanbot.domain.catalog import CatalogError
from fanbot.store import Store
from tests.support.database import dump

GUILD = 1_200_000_000_000_000_001

# Fictional: a made-up 2027 weekend at Sebring.
SEBRING_CSV = f"""{HEADER_LINE}
IMSA,2027,Zebra Cup 12 Hours (fictional),Sebring,qualifying,2027-03-13,15:15,15,,,,
IMSA,2027,Zebra Cup 12 Hours (fictional),sebring,race,2027-03-14,10:10,720,,https://example.org/club,,
"""

# Fictional: a calendar app's file (not fanbot's), with no series of its own.
SPA_ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Club calendar//EN\r\n"
    b"BEGIN:VEVENT\r\nUID:spa-2027@example.org\r\nDTSTAMP:20270101T000000Z\r\n"
    b"SUMMARY:Club 6 Hours of Spa (fictional)\r\nLOCATION:Circuit de Spa-Francorchamps\\, Belgium\r\n"
    b"DTSTART;TZID=Europe/Brussels:20270508T130000\r\nDURATION:PT6H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)



def fanbot(*args: str) -> int:
    return main(list(args))


def shipped() -> dict:
    return json.loads(catalog_path().read_text(encoding="utf-8"))


def everything(path: Path) -> tuple[object, ...]:
    """Every row of every table, the name counters included (``dump`` leaves them out)."""

    async def read() -> tuple[object, ...]:
        store = await Store.open(path)
        try:
            return (await dump(store), await name_counters_of(store))
        finally:
            await store.close()

    return asyncio.run(read())


async def name_counters_of(store: Store) -> list[tuple[object, ...]]:
    async with store.database.connection.execute("SELECT scope, value FROM name_revision ORDER BY scope") as cur:
        return [tuple(r) for r in await cur.fetchall()]


# ---------------------------------------------------------------- a server's files


def test_a_csv_restores_a_servers_calendar_through_the_event_import_checks(db, tmp_path, capsys):
    csv_file = tmp_path / "club.csv"
    csv_file.write_text(SEBRING_CSV, encoding="utf-8")
    assert fanbot("import", str(csv_file), "--guild", str(GUILD)) == 0
    assert f"into server {GUILD}: 1 new, 0 changed, 0 unchanged events" in capsys.readouterr().out

    assert fanbot("ask", "--guild", str(GUILD), "/race event:zebra cup 12 hours") == 0
    shown = capsys.readouterr().out
    assert "Zebra Cup 12 Hours (fictional)" in shown
    assert "Race: Sun 14 Mar 2027, 14:10 UTC" in shown
    # Only that server sees it.
    fanbot("ask", "/race event:zebra cup 12 hours")
    assert "Zebra Cup" not in capsys.readouterr().out

    # Audited as an import, like a moderator's.
    async def history() -> list[str]:
        store = await Store.open(db)
        try:
            return [r.action for r in await store.editing.history(GUILD)]
        finally:
            await store.close()

    assert asyncio.run(history()) == ["event.import"]


def test_a_csv_imported_twice_changes_nothing_the_second_time_not_even_a_counter(db, tmp_path, capsys):
    csv_file = tmp_path / "club.csv"
    csv_file.write_text(SEBRING_CSV, encoding="utf-8")
    assert fanbot("import", str(csv_file), "--guild", str(GUILD)) == 0
    before = everything(db)
    assert fanbot("import", str(csv_file), "--guild", str(GUILD)) == 0
    assert "0 new, 0 changed, 1 unchanged events" in capsys.readouterr().out
    assert everything(db) == before


def test_an_ics_file_is_known_by_its_content_and_takes_the_series_option(db, tmp_path, capsys):
    ics_file = tmp_path / "calendar-export"  # no extension: read by its first line
    ics_file.write_bytes(SPA_ICS)
    assert fanbot("import", str(ics_file), "--guild", str(GUILD)) == 1
    assert "series" in capsys.readouterr().err  # a foreign calendar names no series
    assert fanbot("import", str(ics_file), "--guild", str(GUILD), "--series", "WEC") == 0
    assert "1 new" in capsys.readouterr().out
    assert fanbot("ask", "--guild", str(GUILD), "/race event:club 6 hours of spa") == 0
    assert "Race: Sat 8 May 2027, 11:00 UTC" in capsys.readouterr().out


def test_files_with_a_byte_order_mark_are_read(db, tmp_path, capsys):
    json_file = tmp_path / "catalog.json"
    json_file.write_bytes(b"\xef\xbb\xbf" + catalog_path().read_bytes())
    assert fanbot("import", str(json_file)) == 0, capsys.readouterr().err
    assert f"events: {len(shipped()['events'])} new, 0 changed" in capsys.readouterr().out
    csv_file = tmp_path / "club.csv"
    csv_file.write_bytes(b"\xef\xbb\xbf" + SEBRING_CSV.encode())
    assert fanbot("import", str(csv_file), "--guild", str(GUILD)) == 0, capsys.readouterr().err


def test_a_csv_or_ics_without_guild_is_refused_saying_to_add_it(db, tmp_path, capsys):
    for name, data in (("club.csv", SEBRING_CSV.encode()), ("club.ics", SPA_ICS)):
        path = tmp_path / name
        path.write_bytes(data)
        assert fanbot("import", str(path)) == 2
        err = capsys.readouterr().err
        assert "--guild ID" in err
        assert "Traceback" not in err
    assert not db.exists()  # refused before the database was even opened


def test_a_guild_json_file_gets_the_event_import_checks_too(db, tmp_path, capsys):
    raw = shipped()
    raw["events"] = [raw["events"][0]]  # the catalog's own event, under its own key
    path = tmp_path / "server.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert fanbot("import", str(path), "--guild", str(GUILD)) == 1
    err = capsys.readouterr().err
    assert "Nothing was imported from server.json" in err
    assert "shared catalog's event" in err


def test_a_bad_csv_line_is_named_and_nothing_is_imported(db, tmp_path, capsys):
    bad = SEBRING_CSV + "IMSA,2027,Zebra Cup 12 Hours (fictional),Nowhere Park,practice,2027-03-12,,,,,,\n"
    path = tmp_path / "club.csv"
    path.write_text(bad, encoding="utf-8")
    assert fanbot("import", str(path), "--guild", str(GUILD)) == 1
    assert "line 4, circuit" in capsys.readouterr().err
    fanbot("ask", "--guild", str(GUILD), "/race event:zebra cup 12 hours")
    assert "Zebra Cup" not in capsys.readouterr().out


# ---------------------------------------------------------------- the catalog's problems


def problems(raw: dict) -> list[str]:
    with pytest.raises(CatalogError) as err:
        parse_catalog(raw)
    return err.value.problems


def test_problems_name_the_entrys_own_index_in_the_file():
    raw = shipped()
    first, eighth = raw["events"][0]["name"], raw["events"][7]["name"]
    raw["events"][0]["circuit"] = "nowhere"  # refused: the events after it move up one
    raw["events"][7]["series"] = "NOPE"
    found = problems(raw)
    assert f"events[7] \"{eighth}\".series: unknown series 'NOPE'" in found
    assert not any(p.startswith("events[6]") for p in found)
    assert f"events[0] \"{first}\".circuit: unknown circuit key 'nowhere'" in found


def test_every_problem_of_an_event_is_listed():
    raw = shipped()
    first = raw["events"][0]["name"]
    raw["events"][0]["circuit"] = "nowhere"
    raw["events"][0]["series"] = "NOPE"
    found = problems(raw)
    assert f"events[0] \"{first}\".circuit: unknown circuit key 'nowhere'" in found
    assert f"events[0] \"{first}\".series: unknown series 'NOPE'" in found


def test_a_bad_time_zone_is_reported_as_such_not_as_an_unknown_circuit():
    raw = shipped()
    key = raw["circuits"][0]["key"]
    raw["circuits"][0]["timezone"] = "America/Atlantis"
    found = problems(raw)
    assert "circuits[0].timezone: 'America/Atlantis' is not an IANA time zone" in found
    assert not any(f"unknown circuit key {key!r}" in p for p in found), found


def test_a_repeated_key_names_both_places():
    raw = shipped()
    raw["events"].append(copy.deepcopy(raw["events"][0]))
    last = len(raw["events"]) - 1
    key = raw["events"][0]["key"]
    assert f"events: key {key!r} appears twice (events[0] and events[{last}])" in problems(raw)


def test_a_file_that_is_a_folder_or_nested_too_deeply_is_a_problem_not_a_crash(tmp_path):
    with pytest.raises(CatalogError, match="this is a folder"):
        load_catalog_file(tmp_path)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(CatalogError, match="nested too deeply"):
        load_catalog_file(deep)


async def test_importing_the_same_catalog_twice_changes_nothing_not_even_the_name_counters(empty_store):
    raw = shipped()
    await empty_store.import_catalog(parse_catalog(raw))
    before = (await dump(empty_store), await name_counters_of(empty_store))
    summary = await empty_store.import_catalog(parse_catalog(raw))
    assert not summary.changed_anything
    assert (await dump(empty_store), await name_counters_of(empty_store)) == before
    # A file that does change a name still moves the counter, once.
    raw["events"][0]["name"] = "Renamed (fictional)"
    await empty_store.import_catalog(parse_catalog(raw))
    assert await name_counters_of(empty_store) == [("catalog", before[1][0][1] + 1)]
