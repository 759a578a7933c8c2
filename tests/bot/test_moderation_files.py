"""/event import (CSV, ICS, JSON: a dry run first, then all or nothing on Confirm),
/calendar export and ``fanbot export --ics``. Every calendar here is fictional."""

from __future__ import annotations

import json

from fanbot.cli import main
from fanbot.config import catalog_path
from fanbot.store import Scope
from tests.support.database import dump
from tests.support.moderation_world import SPA_CSV, field_values, labels, weekend_json

SPA_NAME = "Club 6 Hours of Spa (fictional)"


async def import_file(mods, filename: str, data: bytes, who=None, **options):
    who = who or mods.by_permission
    return await who.slash(mods.channel, "event import", file=(filename, data), **options)


def spa_ics() -> bytes:
    """A calendar app's file (not fanbot's): one VEVENT per race, the zone named by TZID."""
    return (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Club calendar//EN\r\n"
        b"BEGIN:VEVENT\r\nUID:spa-2027@example.org\r\nDTSTAMP:20270101T000000Z\r\n"
        b"SUMMARY:Club 6 Hours of Spa (fictional)\r\nLOCATION:Circuit de Spa-Francorchamps\\, Belgium\r\n"
        b"DTSTART;TZID=Europe/Brussels:20270508T130000\r\nDURATION:PT6H\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:monza-2027@example.org\r\nDTSTAMP:20270101T000000Z\r\n"
        b"SUMMARY:Club 1000 km of Imola (fictional)\r\nLOCATION:Imola\r\n"
        b"DTSTART:20270418T110000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


async def test_a_csv_weekend_is_previewed_then_imported_on_confirm(mods):
    before = await dump(mods.store)
    preview = await import_file(mods, "spa.csv", SPA_CSV.encode())
    embed = preview.response.embeds[0]
    assert embed.title == "Import spa.csv?"
    assert embed.description == "1 new, 0 changed, 0 unchanged events."
    assert field_values(preview.response)["New"] == f"• {SPA_NAME}"
    assert labels(preview.response) == ["Confirm", "Cancel"]
    assert await dump(mods.store) == before  # the dry run was rolled back
    done = await mods.by_permission.click(preview.response, label="Confirm")
    assert done.response.content == "✅ Imported spa.csv: 1 new, 0 changed, 0 unchanged events."
    [event] = await mods.own_events()
    assert [(s.kind.value, s.start.isoformat()) for s in event.sessions] == [
        ("practice", "2027-05-06T09:00:00+00:00"),
        ("qualifying", "2027-05-07T14:30:00+00:00"),
        ("race", "2027-05-08T11:00:00+00:00"),
    ]
    # The file named a shared circuit: it is used, not copied into the guild.
    assert event.circuit.key == "spa-francorchamps"
    circuits = await mods.store.circuits(Scope(mods.guild.id))
    assert [c.key for c in circuits].count("spa-francorchamps") == 1
    again = await import_file(mods, "spa.csv", SPA_CSV.encode())
    assert again.response.embeds[0].description == "0 new, 0 changed, 1 unchanged events."


async def test_a_corrected_csv_updates_the_event_and_says_what_changed(mods):
    preview = await import_file(mods, "spa.csv", SPA_CSV.encode())
    await mods.by_permission.click(preview.response, label="Confirm")
    [first] = await mods.own_events()
    moved = SPA_CSV.replace("2027-05-08,13:00", "2027-05-08,14:00")
    preview = await import_file(mods, "spa-v2.csv", moved.encode())
    assert preview.response.embeds[0].description == "0 new, 1 changed, 0 unchanged events."
    assert field_values(preview.response)["Changed"] == f"• {SPA_NAME}"
    await mods.by_permission.click(preview.response, label="Confirm")
    [second] = await mods.own_events()
    assert second.race.id == first.race.id
    assert second.race.start.hour == 12
    [row, *_] = await mods.store.editing.history(mods.guild.id)
    assert row.action == "event.import-update"
    assert row.user_id == mods.by_permission.id


async def test_an_ics_from_a_calendar_app_needs_a_series_and_then_imports(mods):
    before = await dump(mods.store)
    refused = await import_file(mods, "club.ics", spa_ics())
    assert refused.ephemeral
    embed = refused.response.embeds[0]
    assert embed.title == "Nothing was imported from club.ics: fix these problems and send the file again."
    assert "choose the default series when importing it" in embed.fields[0].value
    assert await dump(mods.store) == before
    preview = await import_file(mods, "club.ics", spa_ics(), series="WEC")
    assert preview.response.embeds[0].description == "2 new, 0 changed, 0 unchanged events."
    await mods.by_permission.click(preview.response, label="Confirm")
    names = sorted(e.name for e in await mods.own_events())
    assert names == ["Club 1000 km of Imola (fictional)", SPA_NAME]


async def test_a_json_weekend_with_its_line_up_and_a_new_circuit_imports(mods):
    preview = await import_file(mods, "ring.json", weekend_json())
    assert preview.response.embeds[0].description == "1 new, 0 changed, 0 unchanged events. 1 new circuits."
    await mods.by_permission.click(preview.response, label="Confirm")
    [event] = await mods.own_events()
    assert event.circuit.name == "Club Ring (fictional)"
    assert event.circuit.timezone == "Europe/Berlin"
    lineup = await mods.member.slash(mods.channel, "lineup", event="Club Ring 12 Hours")
    assert "**#12** Ring team: R. Driver" in field_values(lineup.response)["Hypercar (1)"]


BAD_FILES = [
    (
        "spa.csv",
        SPA_CSV.replace("2027-05-07,16:30", "2027-05-07,26:30"),
        "line 3, time: '26:30' is not a time",
    ),
    (
        "spa.csv",
        SPA_CSV.replace("Spa,qualifying", "Spaa Ring,qualifying"),
        "line 3, circuit: no circuit called 'Spaa Ring'",
    ),
    (
        "spa.csv",
        SPA_CSV.replace("2027-05-07,16:30", "2027-05-09,16:30"),
        "line 4, date: the race (2027-05-08 11:00 UTC) is before the qualifying",
    ),
    ("ring.json", weekend_json().replace(b'"17:00"', b'"17:60"').decode(), "'17:60' is not a local time"),
    ("bad.json", '{"format": "fanbot-catalog/1",\n "events": [}', "line 2: not valid JSON"),
    ("deep.json", "[" * 100_000, "nested too deeply"),
]


async def test_a_file_with_a_bad_line_in_the_middle_imports_nothing_and_names_the_line(mods):
    before = await dump(mods.store)
    for filename, data, problem in BAD_FILES:
        refused = await import_file(mods, filename, data.encode())
        assert refused.ephemeral, problem
        assert labels(refused.response) == [], problem
        problems = refused.response.embeds[0].fields[0].value
        assert problem in problems, problems
    assert await dump(mods.store) == before


async def test_a_file_that_reuses_a_catalog_events_key_is_refused(mods):
    exported = await mods.by_permission.slash(mods.channel, "calendar export", series="WEC")
    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    raw["events"] = [e for e in raw["events"] if e["key"].startswith("wec-2025-24")]
    before = await dump(mods.store)
    refused = await import_file(mods, "copy.json", json.dumps(raw).encode())
    assert (
        "is the shared catalog's event, which every server already has"
        in refused.response.embeds[0].fields[0].value
    )
    assert await dump(mods.store) == before
    assert exported.response.attachments  # exporting the catalog's events is fine


async def test_too_big_or_unknown_files_are_refused_unread(mods):
    big = await import_file(mods, "big.csv", b"x" * 1_000_001)
    assert big.response.content == (
        "big.csv is 977 KB: files up to 1000 KB can be imported. Split it into several files."
    )
    odd = await import_file(mods, "photo.png", b"\x89PNG\r\n\x1a\n")
    assert odd.response.content.startswith("photo.png is not a calendar file fanbot reads")
    latin = await import_file(mods, "spa.csv", SPA_CSV.replace("fictional", "fictionnel é").encode("latin-1"))
    assert latin.response.content.startswith("spa.csv is not UTF-8 text")


async def test_a_file_changed_by_someone_else_after_the_dry_run_imports_nothing(mods):
    preview = await import_file(mods, "spa.csv", SPA_CSV.encode())
    await mods.by_permission.click(preview.response, label="Confirm")
    moved = SPA_CSV.replace("13:00", "14:00").encode()
    stale = await import_file(mods, "spa-v2.csv", moved)
    edit = await mods.by_role.slash(
        mods.channel, "event edit", event="Club 6 Hours of Spa", name="Renamed (fictional)"
    )
    await mods.by_role.click(edit.response, label="Confirm")
    before = await dump(mods.store)
    late = await mods.by_permission.click(stale.response, label="Confirm")
    assert late.response.content.startswith("Events in spa-v2.csv were changed by someone else")
    assert await dump(mods.store) == before


async def test_export_then_import_into_an_empty_guild_gives_the_same_calendar(mods):
    for filename, data in (("spa.csv", SPA_CSV.encode()), ("sarthe.json", weekend_json("la-sarthe"))):
        preview = await import_file(mods, filename, data)
        await mods.by_permission.click(preview.response, label="Confirm")
    exported = await mods.by_permission.slash(mods.channel, "calendar export")
    assert exported.ephemeral
    visible = await mods.store.events(Scope(mods.guild.id))
    dated = [e for e in visible if any(s.start or s.local_date for s in e.sessions)]
    assert exported.response.content.startswith(f"{len(dated)} events, every time in UTC")
    [attachment] = exported.response.attachments
    assert attachment.filename == "fanbot-endurance-fans.ics"
    data = await attachment.read()
    assert b"X-FANBOT-SCOPE:catalog" in data
    assert f"guild-{mods.guild.id}".encode() in data
    preview = await mods.other_mod.slash(mods.other_channel, "event import", file=("calendar.ics", data))
    assert preview.response.embeds[0].description == "2 new, 0 changed, 0 unchanged events."
    await mods.other_mod.click(preview.response, label="Confirm")

    def calendar(events):
        return sorted(
            (
                e.key,
                e.name,
                e.series.code,
                e.season,
                e.status,
                e.circuit.name,
                tuple((s.key, s.kind, s.start, s.local_date, s.duration_minutes) for s in e.sessions),
            )
            for e in events
        )

    assert calendar(await mods.own_events(mods.other_guild)) == calendar(await mods.own_events())


async def test_export_can_be_posted_for_everyone_and_filtered_by_series(mods):
    result = await mods.by_permission.slash(mods.channel, "calendar export", series="IMSA", public=True)
    assert not result.ephemeral
    [attachment] = result.response.attachments
    assert attachment.filename == "fanbot-endurance-fans-imsa.ics"
    data = await attachment.read()
    assert b"X-FANBOT-SERIES:IMSA" in data
    assert b"X-FANBOT-SERIES:WEC" not in data


def test_fanbot_export_ics_writes_the_guilds_calendar(tmp_path, capsys):
    db = tmp_path / "cli.sqlite3"
    out = tmp_path / "wec.ics"
    assert main(["export", "--ics", "--series", "WEC", "--db", str(db), "-o", str(out)]) == 0
    data = out.read_bytes()
    assert data.startswith(b"BEGIN:VCALENDAR")
    assert b"X-FANBOT-SERIES:IMSA" not in data
    assert capsys.readouterr().out.startswith(f"wrote {out} (")
    assert main(["export", "--db", str(db)]) == 2
    assert main(["export", "--ics", "--series", "Formula Zero", "--db", str(db)]) == 1
    assert "No series matches “Formula Zero”" in capsys.readouterr().err
