"""Every bad input gets a clear answer, seen by the moderator alone, and changes nothing.
The schedules typed here are fictional."""

from __future__ import annotations

from tests.support.bot_world import force_locale
from tests.support.database import dump
from tests.support.moderation_world import field_values, labels

SPA = {
    "name": "Club 6 Hours of Spa (fictional)",
    "series": "WEC",
    "circuit": "Spa",
    "race": "2027-05-08 13:00",
}


async def refused(mods, command, **options):
    """Run ``command`` as a moderator; assert an ephemeral refusal that changed nothing."""
    before = await dump(mods.store)
    result = await mods.by_permission.slash(mods.channel, command, **options)
    assert result.ephemeral, result.response.content
    assert labels(result.response) == []
    assert await dump(mods.store) == before
    return result.response.content


async def test_a_time_the_clocks_skip_is_refused(mods):
    # Brussels moves from 02:00 to 03:00 on 28 March 2027.
    text = await refused(mods, "event add", **{**SPA, "race": "2027-03-28 02:30"})
    assert text == (
        "2027-03-28 02:30 does not exist at Circuit de Spa-Francorchamps (Europe/Brussels): the clocks "
        "jump forward that night. Check the time in the organiser's schedule."
    )


async def test_a_time_that_happens_twice_offers_both_instants_and_either_can_be_typed(mods):
    # Brussels goes back from 03:00 to 02:00 on 31 October 2027.
    text = await refused(mods, "event add", **{**SPA, "race": "2027-10-31 02:30"})
    assert text == (
        "2027-10-31 02:30 happens twice at Circuit de Spa-Francorchamps (Europe/Brussels): the clocks go "
        "back that night. Type one of these instead: “2027-10-31 02:30 +02:00” (the first time, 00:30 UTC) "
        "or “2027-10-31 02:30 +01:00” (an hour later, 01:30 UTC)."
    )
    preview = await mods.by_permission.slash(
        mods.channel, "event add", **{**SPA, "race": "2027-10-31 02:30 +01:00"}
    )
    sessions = field_values(preview.response)["Sessions (circuit time · your time)"]
    assert "Sun 31 Oct 2027, 02:30 CET" in sessions


async def test_an_unreadable_date_is_refused_with_how_to_write_it(mods):
    for typed in ("next saturday", "2027-02-30 14:00", "14:00", "2027-05-08 25:00"):
        text = await refused(mods, "event add", **{**SPA, "race": typed})
        assert text == (
            f"Could not read “{typed}” as a date and time. Write the circuit's local time like 2027-01-23 "
            "13:40 or 23/01/2027 1:40pm, or only the date (2027-01-23) when the time is not announced yet."
        )


async def test_day_first_and_twelve_hour_times_and_a_date_alone_are_read(mods):
    preview = await mods.by_permission.slash(
        mods.channel, "event add", **{**SPA, "race": "08/05/2027 1:00pm", "qualifying": "2027-05-07 TBA"}
    )
    sessions = field_values(preview.response)["Sessions (circuit time · your time)"].splitlines()
    assert sessions == [
        "**Qualifying** — Fri 7 May 2027, time TBA",
        sessions[1],
    ]
    assert sessions[1].startswith("**Race** — Sat 8 May 2027, 13:00 CEST")


async def test_a_race_before_its_qualifying_is_refused(mods):
    text = await refused(mods, "event add", **{**SPA, "qualifying": "2027-05-08 16:30"})
    assert text == (
        "The race (2027-05-08 13:00 CEST) would come before the Qualifying (2027-05-08 16:30 CEST). Check "
        "the dates and times; times are the circuit's local time."
    )


async def test_a_date_years_away_or_long_past_asks_to_confirm_anyway(mods):
    before = await dump(mods.store)
    far = await mods.by_permission.slash(mods.channel, "event add", **{**SPA, "race": "2031-05-08 13:00"})
    assert field_values(far.response)["Check before confirming"] == (
        "⚠️ Race is more than three years away (2031-05-08 13:00 CEST): is the year right?"
    )
    assert labels(far.response) == ["Confirm anyway", "Cancel"]
    past = await mods.by_permission.slash(
        mods.channel, "event add", **{**SPA, "name": "Old club race (fictional)", "race": "2024-05-08 13:00"}
    )
    assert "was more than a year ago" in field_values(past.response)["Check before confirming"]
    assert await dump(mods.store) == before
    await mods.by_permission.click(far.response, label="Confirm anyway")
    [event] = await mods.own_events()
    assert event.season == 2031


async def test_an_unknown_circuit_suggests_the_closest_and_how_to_add_one(mods):
    text = await refused(mods, "event add", **{**SPA, "circuit": "Zandvoort"})
    assert text.startswith("No circuit matches “Zandvoort”. Did you mean: ")
    assert text.endswith(
        "A circuit fanbot does not know yet can be added with /calendar add-circuit and its time zone, for "
        "example timezone:Europe/Paris."
    )
    unknown = await refused(mods, "event add", **{**SPA, "circuit": "Mugello"})
    assert unknown.startswith("No circuit matches “Mugello”.")
    added = await mods.by_permission.slash(
        mods.channel,
        "calendar add-circuit",
        name="Autodromo Internazionale del Mugello",
        timezone="Europe/Rome",
        aliases="Mugello, Scarperia",
    )
    assert added.ephemeral
    assert added.response.content == (
        "Added Autodromo Internazionale del Mugello (Europe/Rome). Times typed for its events are read on its clocks."
    )
    preview = await mods.by_permission.slash(mods.channel, "event add", **{**SPA, "circuit": "Mugello"})
    assert (
        "Sat 8 May 2027, 13:00 CEST" in field_values(preview.response)["Sessions (circuit time · your time)"]
    )
    # The new circuit is this guild's alone.
    elsewhere = await mods.other_mod.slash(mods.other_channel, "circuit", circuit="Scarperia")
    assert elsewhere.ephemeral


async def test_a_circuit_cannot_be_added_twice(mods):
    text = await refused(mods, "calendar add-circuit", name="Spa", timezone="Europe/Brussels")
    assert (
        text == "A circuit called Spa is already known (Circuit de Spa-Francorchamps): use it by that name."
    )


async def test_an_unknown_series_suggests_the_known_ones(mods):
    text = await refused(mods, "event add", **{**SPA, "series": "GTWC"})
    assert text == "No series matches “GTWC”. Did you mean: WEC?"


async def test_an_unknown_time_zone_is_refused_with_the_closest_name(mods):
    text = await refused(mods, "event add", **{**SPA, "timezone": "Europe/Brusels"})
    assert text == (
        "“Europe/Brusels” is not an IANA time zone. Write it like Europe/Paris or America/New_York. "
        "Did you mean: Europe/Brussels?"
    )
    circuit = await refused(mods, "calendar add-circuit", name="Nowhere Ring", timezone="Mars/Olympus")
    assert circuit.startswith("“Mars/Olympus” is not an IANA time zone.")


async def test_the_timezone_option_reads_times_in_that_zone(mods):
    preview = await mods.by_permission.slash(
        mods.channel, "event add", **{**SPA, "race": "2027-05-08 11:00", "timezone": "UTC"}
    )
    assert (
        "Sat 8 May 2027, 13:00 CEST" in field_values(preview.response)["Sessions (circuit time · your time)"]
    )


async def test_over_long_text_is_refused_before_it_could_overflow_an_answer(mods):
    text = await refused(mods, "event add", **{**SPA, "name": "N" * 150})
    assert text == "The name is too long (150 characters): at most 100, please."
    await mods.by_permission.click(
        (await mods.by_permission.slash(mods.channel, "event add", **SPA)).response, label="Confirm"
    )
    drivers = ", ".join(f"Driver number {n} (fictional)" for n in range(9))
    assert (await refused(mods, "entry add", event="Club 6 Hours", number="6", drivers=drivers)).startswith(
        "Give the drivers separated by commas"
    )
    team = await refused(mods, "entry add", event="Club 6 Hours", number="6", team="T" * 120)
    assert team == "The team is too long (120 characters): at most 100, please."


async def test_a_link_that_is_not_http_is_refused(mods):
    for url in ("ftp://example.org/race", "javascript:alert(1)", "example.org", "https://"):
        text = await refused(mods, "event add", **{**SPA, "watch_url": url})
        assert text.startswith(f"“{url}” is not a web address: write it in full, starting with https://")


async def test_the_same_event_cannot_be_added_twice(mods):
    first = await mods.by_permission.slash(mods.channel, "event add", **SPA)
    await mods.by_permission.click(first.response, label="Confirm")
    same_name = await refused(mods, "event add", **SPA)
    assert same_name == (
        "Club 6 Hours of Spa (fictional) is already on this server's calendar (Club 6 Hours of Spa "
        "(fictional) 2027). Change it with /event edit instead of adding it again."
    )
    catalog = await refused(
        mods,
        "event add",
        name="24 Hours of Le Mans (93rd)",
        series="WEC",
        circuit="Le Mans",
        race="2025-06-14 16:00",
    )
    assert catalog.startswith("24 Hours of Le Mans (93rd) is already on this server's calendar")


async def test_another_race_the_same_day_at_the_same_circuit_is_a_warning_with_add_anyway(mods):
    # Double-header weekends hold two races: a second name at the same circuit, series and
    # day is worth a second look, not a refusal. The same name is still refused (above).
    first = await mods.by_permission.slash(mods.channel, "event add", **SPA)
    await mods.by_permission.click(first.response, label="Confirm")
    before = await dump(mods.store)
    second = await mods.by_permission.slash(
        mods.channel, "event add", **{**SPA, "name": "Race 2 (fictional)"}
    )
    assert not second.ephemeral
    assert labels(second.response) == ["Add anyway", "Cancel"]
    warning = second.response.embeds[0].description + "".join(
        f.value for f in second.response.embeds[0].fields
    )
    assert "Club 6 Hours of Spa (fictional) 2027 is at the same circuit on the same day" in warning
    assert await dump(mods.store) == before
    await mods.by_permission.click(second.response, label="Add anyway")
    assert sorted(e.name for e in await mods.own_events()) == [
        "Club 6 Hours of Spa (fictional)",
        "Race 2 (fictional)",
    ]


async def test_two_previews_of_the_same_new_event_save_it_once(mods):
    first = await mods.by_permission.slash(mods.channel, "event add", **SPA)
    second = await mods.by_role.slash(mods.channel, "event add", **SPA)
    await mods.by_permission.click(first.response, label="Confirm")
    late = await mods.by_role.click(second.response, label="Confirm")
    assert "is already on this server's calendar" in late.response.content
    assert len(await mods.own_events()) == 1


async def test_a_bad_duration_is_refused(mods):
    text = await refused(mods, "event add", **{**SPA, "duration": "forever"})
    assert text.startswith("“forever” is not a duration")
    assert (await refused(mods, "event add", **{**SPA, "duration": "49h"})).startswith(
        "“49h” is not a duration"
    )


async def test_refusals_are_in_the_readers_language(mods, monkeypatch):
    force_locale(monkeypatch, "fr")
    text = await refused(mods, "event add", **{**SPA, "race": "2027-03-28 02:30"})
    assert text.startswith("2027-03-28 02:30 n'existe pas à Circuit de Spa-Francorchamps (Europe/Brussels)")


async def test_previews_are_in_the_readers_language_too(mods, monkeypatch):
    force_locale(monkeypatch, "fr")
    preview = await mods.by_permission.slash(mods.channel, "event add", **SPA)
    assert preview.response.embeds[0].title == "Ajouter Club 6 Hours of Spa (fictional)\u00a0?"
    assert labels(preview.response) == ["Confirmer", "Annuler"]
    sessions = field_values(preview.response)["Séances (heure du circuit · votre heure)"]
    assert sessions.startswith("**Course** — sam. 8 mai 2027, 13:00 CEST")
