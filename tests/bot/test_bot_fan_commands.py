"""Fan commands driven through the real discord.py handlers (simcord harness)."""

import json

import discord
import pytest
import simcord

from fanbot.calendar_files.catalog import parse_catalog
from fanbot.config import catalog_path
from tests.support.bot_world import fields, force_locale, timestamp


async def test_nextrace_shows_petit_le_mans_sessions_as_discord_timestamps(world):
    result = await world.alice.slash(world.channel, "nextrace")
    embed = result.response.embeds[0]
    assert embed.title == "Next race: Petit Le Mans powered by Mazda (15th running) 2012"
    assert "Michelin Raceway Road Atlanta" in embed.description
    sessions = fields(result)["Sessions"]
    assert (
        f"**Qualifying** — {timestamp('2012-10-19T18:00:00Z')} ({timestamp('2012-10-19T18:00:00Z', 'R')})"
        in sessions
    )
    assert f"**Race** — {timestamp('2012-10-20T15:30:00Z')}" in sessions
    assert not result.ephemeral


async def test_nextrace_during_the_weekend_lists_done_and_remaining_sessions(world):
    world.clock.instant = world.clock.instant.replace(month=10, day=19, hour=20)
    result = await world.alice.slash(world.channel, "nextrace")
    assert result.response.embeds[0].title.startswith("Race weekend in progress")
    assert "Qualifying" in fields(result)["Done"]
    assert "Race" in fields(result)["Sessions"]


async def test_a_race_under_way_is_shown_under_way_with_when_it_started(world):
    # 2 h 30 into the 2012 Petit Le Mans (started 15:30 UTC): never "done", never 2025.
    world.clock.instant = world.clock.instant.replace(month=10, day=20, hour=18)
    result = await world.alice.slash(world.channel, "nextrace")
    assert result.response.embeds[0].title.startswith("Race weekend in progress: Petit Le Mans")
    started = timestamp("2012-10-20T15:30:00Z", "R")
    assert f"**under way, started {started}" in fields(result)["Sessions"]
    card = await world.alice.slash(world.channel, "race", event="petit le mans 2012")
    assert f"under way, started {started}" in fields(card)["Sessions"]
    assert "done" not in fields(card)["Sessions"].splitlines()[-1]


async def test_nextrace_with_nothing_scheduled_names_the_last_race(world):
    world.clock.instant = world.clock.instant.replace(year=2026, month=11, day=25)
    result = await world.alice.slash(world.channel, "nextrace")
    embed = result.response.embeds[0]
    assert embed.title == "No race is scheduled"
    assert "Bapco Energies 8 Hours of Bahrain 2026" in embed.description
    assert "time TBA" in fields(result)["When"]


async def test_nextrace_series_filter_and_unknown_series(world):
    world.clock.instant = world.clock.instant.replace(year=2025, month=1, day=1)
    result = await world.alice.slash(world.channel, "nextrace", series="WEC")
    assert "Qatar Airways Qatar 1812 km" in result.response.embeds[0].title
    wrong = await world.alice.slash(world.channel, "nextrace", series="Formula Zero")
    assert wrong.ephemeral
    assert wrong.response.content.startswith("No series matches “Formula Zero”.")


async def test_schedule_lists_a_season_with_past_events_marked_done(world):
    world.clock.instant = world.clock.instant.replace(year=2025, month=6, day=1)
    result = await world.alice.slash(world.channel, "schedule", series="WEC", season=2025)
    embed = result.response.embeds[0]
    assert embed.title == "WEC — season 2025"
    lines = fields(result)["Calendar"].splitlines()
    assert len(lines) == 8
    # Each race day is Discord date markup, so readers far east or west see their own date:
    # the race's start when known, else noon at the circuit (São Paulo: 12:00 is 15:00 UTC).
    assert lines[0].startswith(
        f"✅ {timestamp('2025-02-28T11:00:00Z', 'D')} — Qatar Airways Qatar 1812 km"
    )
    assert lines[0].endswith("done")
    assert (
        lines[4].startswith(f"🏁 {timestamp('2025-07-13T15:00:00Z', 'D')} — Rolex 6 Hours of São Paulo")
    )
    assert (
        "done" not in lines[4]
    )


async def test_race_shows_sessions_and_results_behind_spoilers(world):
    result = await world.alice.slash(world.channel, "race", event="petit lemans 2012")
    embed = result.response.embeds[0]
    assert embed.title == "Petit Le Mans powered by Mazda (15th running) 2012"
    results = fields(result)["Results (spoilers)"]
    assert "Overall P1: ||#12 Rebellion Racing Lola B12/60-Toyota (Jani / Prost / Belicchi)||" in results
    assert "Rebellion" not in embed.description


async def test_race_shows_postponed_plainly(world):
    # The catalog's own Qatar 2026 was rescheduled: mark it postponed again, as it once was.
    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    qatar = next(e for e in raw["events"] if e["key"] == "wec-2026-qatar-airways-qatar-1812-km")
    qatar["status"] = "postponed"
    await world.env.bot.store.import_catalog(parse_catalog(raw))
    result = await world.alice.slash(world.channel, "race", event="Qatar 1812 km 2026")
    embed = result.response.embeds[0]
    assert "**POSTPONED**" in embed.description
    assert "date TBA" in fields(result)["Sessions"]


async def test_lineup_shows_the_6_muscle_milk_hpd_with_graf_luhr_dumas(world):
    result = await world.alice.slash(world.channel, "lineup", event="petit lemans 2012", **{"class": "P1"})
    by_class = fields(result)
    assert list(by_class) == ["P1 (4)"]
    assert (
        "**#6** Muscle Milk Pickett Racing — HPD ARX-03a (Honda): Klaus Graf, Lucas Luhr, Romain Dumas"
        in by_class["P1 (4)"]
    )


async def test_lineup_groups_by_class_and_keeps_car_numbers_as_text(world):
    result = await world.alice.slash(world.channel, "lineup", event="petit lemans 2012")
    names = list(fields(result))
    assert names == ["P1 (4)", "P2 (5)", "Unclassified (invitational) (1)"]
    assert "**#055** Level 5 Motorsports" in fields(result)["P2 (5)"]
    assert "**#0** Highcroft Racing" in fields(result)["Unclassified (invitational) (1)"]


async def test_lineup_unknown_class_suggests_the_classes_of_that_event(world):
    result = await world.alice.slash(
        world.channel, "lineup", event="petit lemans 2012", **{"class": "Hypercar"}
    )
    assert result.ephemeral
    assert "No class matches “Hypercar”" in result.response.content
    assert "P1" in result.response.content


async def test_circuit_shows_road_atlanta_in_new_york_time(world):
    result = await world.alice.slash(world.channel, "circuit", circuit="Road atlanta")
    embed = result.response.embeds[0]
    assert embed.title == "Michelin Raceway Road Atlanta"
    info = fields(result)
    assert info["Time zone"] == "America/New_York"
    assert info["Local time now"] == "20:00 EDT"  # 2012-10-01T00:00Z on Georgia's clocks
    assert info["Length"] == "4.088 km"
    assert info["Turns"] == "12"
    assert info["Next event"].startswith("Petit Le Mans powered by Mazda (15th running) 2012 (ALMS)")


async def test_driver_lists_entries_with_co_drivers(world):
    result = await world.alice.slash(world.channel, "driver", driver="romain dumas")
    embed = result.response.embeds[0]
    assert embed.title == "Romain Dumas"
    assert "with Klaus Graf, Lucas Luhr" in fields(result)["Entries"]


@pytest.mark.parametrize(
    ("command", "option", "typed", "expected_first"),
    [
        ("race", "event", "petit lemans 2012", "Petit Le Mans powered by Mazda (15th running) 2012 · ALMS"),
        ("lineup", "event", "Le Mans 2025", "24 Hours of Le Mans (93rd) 2025 · WEC"),
        ("circuit", "circuit", "spa", "Circuit de Spa-Francorchamps"),
        ("circuit", "circuit", "Road atlanta", "Michelin Raceway Road Atlanta"),
        ("driver", "driver", "dumas", "Romain Dumas"),
        ("nextrace", "series", "imsa", "IMSA"),
    ],
)
async def test_autocomplete_finds_what_people_type(world, command, option, typed, expected_first):
    choices = await world.alice.autocomplete(world.channel, command, option, typed)
    assert 1 <= len(choices) <= 25
    assert choices[0]["name"] == expected_first


async def test_autocomplete_with_nothing_typed_offers_at_most_25(world):
    choices = await world.alice.autocomplete(world.channel, "race", "event", "")
    assert len(choices) == 25


async def test_autocomplete_choice_value_is_accepted_by_the_command(world):
    (choice, *_) = await world.alice.autocomplete(world.channel, "race", "event", "sebring 2025")
    result = await world.alice.slash(world.channel, "race", event=choice["value"])
    assert result.response.embeds[0].title == "Mobil 1 Twelve Hours of Sebring (73rd) 2025"


async def test_not_found_is_ephemeral_and_suggests_close_names(world):
    result = await world.alice.slash(world.channel, "circuit", circuit="Nurburgring")
    assert result.ephemeral
    assert result.response.content.startswith("No circuit matches “Nurburgring”.")


def _guild_catalog(name: str, entries: int = 0, entry_text: str = "") -> "object":
    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    raw["events"] = [
        {
            "key": "club-race",
            "series": "WEC",
            "season": 2027,
            "name": name,
            "circuit": "la-sarthe",
            "sessions": [{"kind": "race", "date": "2027-06-12", "time": "16:00"}],
            "entries": [
                {
                    "number": str(n),
                    "class": "Hypercar" if n % 2 else "LMGT3",
                    "team": f"Team {n} {entry_text}",
                    "car": f"Car {n} {entry_text}",
                    "drivers": [f"Driver {n}-{d} {entry_text}" for d in range(3)],
                }
                for n in range(entries)
            ],
        }
    ]
    return parse_catalog(raw)


async def test_a_guild_never_sees_another_guilds_events(world):
    other = world.env.create_guild("Another server")
    other_channel = other.create_text_channel("general")
    carol = other.add_member(world.env.create_user("carol"))
    await world.env.bot.store.import_catalog(_guild_catalog("Secret club race"), guild_id=other.id)

    choices = await world.alice.autocomplete(world.channel, "race", "event", "Secret club race")
    assert all("Secret club race" not in c["name"] for c in choices)
    hidden = await world.alice.slash(world.channel, "race", event="Secret club race")
    assert hidden.ephemeral
    assert hidden.response.content.startswith("No event matches")

    seen = await carol.slash(other_channel, "race", event="Secret club race")
    assert seen.response.embeds[0].title == "Secret club race 2027"


async def test_in_dms_only_the_catalog_is_seen(world):
    await world.env.bot.store.import_catalog(_guild_catalog("Guild only race"), guild_id=world.guild.id)
    dm_user = world.env.create_user("dave")
    hidden = await dm_user.slash("race", event="Guild only race")
    assert hidden.ephemeral
    shown = await dm_user.slash("nextrace")
    assert shown.response.embeds[0].title.startswith("Next race: Petit Le Mans")


async def test_an_everyone_event_name_pings_nobody(world):
    await world.env.bot.store.import_catalog(
        _guild_catalog("@everyone party <@&1234>"), guild_id=world.guild.id
    )
    world.clock.instant = world.clock.instant.replace(year=2027, month=6, day=1)
    result = await world.alice.slash(world.channel, "nextrace")
    assert "@everyone party" in result.response.embeds[0].title
    callbacks = [r for r in world.env.http_requests if r.path.endswith("/callback")]
    assert callbacks[-1].json["data"]["allowed_mentions"] == {"parse": []}


async def test_a_long_lineup_is_paginated_and_only_the_asker_turns_pages(world):
    padding = "x" * 60
    await world.env.bot.store.import_catalog(
        _guild_catalog("Huge grid race", 80, padding), guild_id=world.guild.id
    )
    result = await world.alice.slash(world.channel, "lineup", event="Huge grid race")
    first = result.response.embeds[0]
    assert first.footer.text.startswith("Page 1/")
    pages = int(first.footer.text.split("/")[1])
    assert pages >= 3
    for embed in result.response.embeds:
        assert len(embed) <= 6000
        assert len(embed.fields) <= 25
        assert all(len(f.value) <= 1024 for f in embed.fields)

    refused = await world.bob.click(result.response, label="Next")
    assert refused.ephemeral
    assert "Only the person who asked" in refused.response.content
    assert result.response.embeds[0].footer.text.startswith("Page 1/")

    seen_numbers = set()
    for page in range(1, pages + 1):
        embed = result.response.embeds[0]
        assert embed.footer.text.startswith(f"Page {page}/{pages}")
        for f in embed.fields:
            for line in f.value.splitlines():
                assert line.endswith(padding)  # no entry is cut mid-way
                seen_numbers.add(line.split("**")[1])
        if page < pages:
            await world.alice.click(result.response, label="Next")
    assert seen_numbers == {f"#{n}" for n in range(80)}


async def test_french_reader_gets_french_answers_and_dates(world, monkeypatch):
    force_locale(monkeypatch, "fr")
    result = await world.alice.slash(world.channel, "nextrace")
    embed = result.response.embeds[0]
    assert embed.title.startswith("Prochaine course\u00a0: Petit Le Mans")
    assert "Séances" in fields(result)
    assert embed.footer.text == "Les heures sont affichées dans votre fuseau horaire."
    world.clock.instant = world.clock.instant.replace(year=2026, month=5, day=1)
    spa = await world.alice.slash(world.channel, "nextrace", series="WEC")
    assert "sam. 9 mai 2026, heure à confirmer" in fields(spa)["Séances"]


async def test_guild_locale_is_used_when_the_readers_language_is_not_supported(world, monkeypatch):
    force_locale(monkeypatch, "de", guild_locale="fr")
    result = await world.alice.slash(world.channel, "circuit", circuit="spa")
    assert "Fuseau horaire" in fields(result)


async def test_synced_commands_carry_french_names_and_descriptions(world):
    synced = {c.name: c for c in await world.env.bot.tree.fetch_commands()}
    assert {
        "nextrace",
        "schedule",
        "race",
        "lineup",
        "circuit",
        "driver",
        "help",
        "reminders",
        "remindme",
    } <= set(synced)
    assert synced["nextrace"].name_localizations[discord.Locale.french] == "prochainecourse"
    for command in synced.values():
        assert command.name_localizations.get(discord.Locale.french), command.name
        assert command.description_localizations.get(discord.Locale.french), command.name
        for option in command.options:
            assert option.name_localizations.get(discord.Locale.french), (command.name, option.name)
            assert option.description_localizations.get(discord.Locale.french), (command.name, option.name)


async def test_help_lists_every_command_with_an_example(world):
    result = await world.alice.slash(world.channel, "help")
    assert result.ephemeral
    listed = fields(result)
    assert list(listed) == ["/nextrace", "/schedule", "/race", "/lineup", "/circuit", "/driver", "/help"]
    assert "`/lineup event:petit lemans 2012 class:P1`" in listed["/lineup"]


async def test_an_unexpected_failure_gets_an_apology_not_silence(world, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("database exploded")

    monkeypatch.setattr(world.env.bot.store, "circuits", broken)
    world.env.bot.lookups._cache.clear()
    result = await world.alice.slash(world.channel, "circuit", circuit="spa")
    assert result.ephemeral
    assert result.response.content.startswith("Sorry, something went wrong")
    simcord.assert_error(world.env, RuntimeError, contains="database exploded")


async def test_lineup_class_and_team_autocomplete_follow_the_chosen_event(world):
    classes = await world.alice.autocomplete(world.channel, "lineup", "class", "", event="petit lemans 2012")
    assert {c["name"] for c in classes} == {"P1", "P2", "Unclassified (invitational)"}
    teams = await world.alice.autocomplete(
        world.channel, "lineup", "team", "dyson", event="petit lemans 2012"
    )
    assert teams[0]["name"] == "Dyson Racing"
    assert (
        await world.alice.autocomplete(world.channel, "lineup", "class", "", event="no such race 1999") == []
    )


async def test_lineup_team_filter(world):
    result = await world.alice.slash(world.channel, "lineup", event="petit lemans 2012", team="level 5")
    assert list(fields(result)) == ["P2 (2)"]
    assert "**#95** Level 5 Motorsports" in fields(result)["P2 (2)"]


async def test_a_slow_answer_is_deferred_then_delivered(world, monkeypatch):
    import asyncio

    monkeypatch.setattr("fanbot.bot.replies.DEFER_AFTER_SECONDS", 0.05)
    original = world.env.bot.store.upcoming_event_ids

    async def slow(*args, **kwargs):
        await asyncio.sleep(0.3)  # as if the database were locked by another writer
        return await original(*args, **kwargs)

    monkeypatch.setattr(world.env.bot.store, "upcoming_event_ids", slow)
    result = await world.alice.slash(world.channel, "nextrace")
    callbacks = [r.json["type"] for r in world.env.http_requests if r.path.endswith("/callback")]
    assert callbacks[-1] == 5  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: Discord shows "thinking…"
    assert result.response.embeds[0].title.startswith("Next race: Petit Le Mans")


async def test_page_buttons_are_removed_when_they_expire(world):
    await world.env.bot.store.import_catalog(
        _guild_catalog("Huge grid race", 80, "y" * 60), guild_id=world.guild.id
    )
    result = await world.alice.slash(world.channel, "lineup", event="Huge grid race")
    assert result.response.components
    await world.env.advance_time(601)
    assert not result.response.components
    assert result.response.embeds[0].footer.text.startswith("Page 1/")


async def test_a_cancelled_event_is_not_a_circuits_next_race(world):
    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    raw["events"] = [
        {
            "key": "called-off",
            "series": "WEC",
            "season": 2013,
            "name": "Called-off race",
            "circuit": "road-atlanta",
            "status": "cancelled",
            "sessions": [{"kind": "race", "date": "2013-10-19", "time": "11:00"}],
        }
    ]
    await world.env.bot.store.import_catalog(parse_catalog(raw), guild_id=world.guild.id)
    world.clock.instant = world.clock.instant.replace(year=2013)
    result = await world.alice.slash(world.channel, "circuit", circuit="road atlanta")
    assert "Called-off race" not in fields(result)["Next event"]


async def _presence_at(world, monkeypatch, instant: str) -> str:
    from fanbot.domain.localtime import parse_instant

    world.clock.instant = parse_instant(instant)
    shown: list[str] = []

    async def record(*, activity):
        shown.append(activity.name)

    monkeypatch.setattr(world.env.bot, "change_presence", record)
    await world.env.bot.update_presence.coro(world.env.bot)
    return shown[-1]


async def test_the_status_line_says_under_way_only_for_a_session_known_to_have_started(world, monkeypatch):
    running = await _presence_at(world, monkeypatch, "2012-10-20T18:00:00Z")
    assert running == "Petit Le Mans powered by Mazda (15th running) · Race under way"
    # Le Mans 2026 is known only by its day: at 00:30 on that day it is race day, not "under way".
    race_day = await _presence_at(world, monkeypatch, "2026-06-12T22:30:00Z")
    assert race_day.startswith("24 Hours of Le Mans (94th) · ")
    assert "under way" not in race_day


async def test_a_past_race_whose_time_no_source_gave_says_time_not_recorded_in_circuit(world):
    world.clock.instant = world.clock.instant.replace(year=2026, month=1, day=1)
    result = await world.alice.slash(world.channel, "circuit", circuit="interlagos")
    last = fields(result)["Last event"]
    assert last.startswith("Rolex 6 Hours of São Paulo 2025")
    assert "time not recorded" in last
    assert "time TBA" not in last
