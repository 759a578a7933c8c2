"""Line-ups and results, and the issue's "done when": a whole 2027 weekend entered by a
moderator, by hand and by file, that fans of that guild (and only that guild) see.
The weekends and entries below are fictional."""

from __future__ import annotations

from fanbot.domain.localtime import parse_instant
from tests.support.database import dump
from tests.support.moderation_world import field_values, timestamp, weekend_json

SARTHE = "Club 24 Hours of the Sarthe (fictional)"


async def confirm(mods, who, command, **options):
    preview = await who.slash(mods.channel, command, **options)
    assert preview.response.embeds, preview.response.content
    return await who.click(preview.response, label="Confirm")


async def enter_weekend_by_hand(mods) -> None:
    mod = mods.by_role
    await confirm(
        mods,
        mod,
        "event add",
        name=SARTHE,
        series="WEC",
        circuit="Le Mans",
        practice="2027-06-09 14:00",
        qualifying="2027-06-10 19:00",
        race="2027-06-12 16:00",
        duration="24h",
        watch_url="https://example.org/live",
    )
    for number, klass, team, car, drivers in (
        ("7", "Hypercar", "Club Racing", "Prototype 7", "A. Driver, B. Driver, C. Driver"),
        ("55", "LMGT3", "GT Friends", "GT 55", "D. Driver, E. Driver"),
        ("0", "Innovative", "Garage 0", "Concept 0", "F. Driver"),
    ):
        added = await mod.slash(
            mods.channel,
            "entry add",
            event=SARTHE,
            number=number,
            **{"class": klass},
            team=team,
            car=car,
            drivers=drivers,
        )
        assert added.ephemeral
        assert added.response.content.startswith(f"Added to {SARTHE} 2027: **#{number}**")


async def test_a_weekend_entered_by_hand_is_what_this_guilds_fans_see(mods):
    await enter_weekend_by_hand(mods)
    fan, channel = mods.member, mods.channel
    nextrace = await fan.slash(channel, "nextrace")
    assert nextrace.response.embeds[0].title == f"Next race: {SARTHE} 2027"
    sessions = field_values(nextrace.response)["Sessions"].splitlines()
    assert [line.split(" — ")[0] for line in sessions] == ["**Practice**", "**Qualifying**", "**Race**"]
    # 16:00 at Le Mans in June is 14:00 UTC.
    assert f"<t:{int(parse_instant('2027-06-12T14:00:00Z').timestamp())}:F>" in sessions[2]
    lineup = await fan.slash(channel, "lineup", event=SARTHE)
    groups = field_values(lineup.response)
    assert groups["Hypercar (1)"] == "**#7** Club Racing — Prototype 7: A. Driver, B. Driver, C. Driver"
    assert list(groups) == ["Hypercar (1)", "LMGT3 (1)", "Innovative (1)"]
    schedule = await fan.slash(channel, "schedule", series="WEC", season=2027)
    assert f"WEC · {SARTHE}" not in schedule.response.embeds[0].fields[0].value
    # The race day as Discord date markup: 16:00 at Le Mans is 14:00 UTC.
    assert f"{timestamp('2027-06-12T14:00:00Z', 'D')} — {SARTHE} · Circuit de la Sarthe" in (
        schedule.response.embeds[0].fields[0].value
    )

    stranger = mods.other_guild.add_member(mods.env.create_user("kim"))
    elsewhere = await stranger.slash(mods.other_channel, "nextrace", series="WEC")
    assert SARTHE not in elsewhere.response.embeds[0].title
    hidden = await stranger.slash(mods.other_channel, "lineup", event=SARTHE)
    assert SARTHE not in str([e.to_dict() for e in hidden.response.embeds])
    other_schedule = await stranger.slash(mods.other_channel, "schedule", series="WEC", season=2027)
    assert SARTHE not in str(other_schedule.response.embeds[0].to_dict())


async def test_a_weekend_entered_by_file_is_what_this_guilds_fans_see(mods):
    preview = await mods.by_permission.slash(mods.channel, "event import", file=("ring.json", weekend_json()))
    await mods.by_permission.click(preview.response, label="Confirm")
    fan = mods.member
    assert (await fan.slash(mods.channel, "nextrace")).response.embeds[0].title == (
        "Next race: Club Ring 12 Hours (fictional) 2027"
    )
    lineup = await fan.slash(mods.channel, "lineup", event="Club Ring 12 Hours")
    assert "Hypercar (1)" in field_values(lineup.response)
    schedule = await fan.slash(mods.channel, "schedule", series="WEC", season=2027)
    assert (
        "Club Ring 12 Hours (fictional) · Club Ring (fictional)"
        in schedule.response.embeds[0].fields[0].value
    )
    stranger = mods.other_guild.add_member(mods.env.create_user("lee"))
    hidden = await stranger.slash(mods.other_channel, "lineup", event="Club Ring 12 Hours")
    assert "Club Ring" not in str([e.to_dict() for e in hidden.response.embeds])


async def test_entries_are_edited_and_removed_after_confirmation(mods):
    await enter_weekend_by_hand(mods)
    edited = await mods.by_permission.slash(
        mods.channel, "entry edit", event=SARTHE, number="55", new_number="56", drivers="D. Driver, G. Driver"
    )
    assert edited.response.content == (
        f"Changed in {SARTHE} 2027: **#56** [LMGT3] GT Friends — GT 55: D. Driver, G. Driver"
    )
    choices = await mods.by_permission.autocomplete(mods.channel, "entry remove", "number", "5", event=SARTHE)
    assert [c["value"] for c in choices] == ["56"]
    before = await dump(mods.store)
    preview = await mods.by_permission.slash(mods.channel, "entry remove", event=SARTHE, number="#0")
    assert preview.response.embeds[0].title == f"Remove #0 from {SARTHE} 2027?"
    assert await dump(mods.store) == before
    done = await mods.by_permission.click(preview.response, label="Confirm")
    assert done.response.content == f"🗑️ Removed #0 from {SARTHE} 2027."
    numbers = [e.number for e in await mods.store.entries(mods.store_scope, (await mods.own_events())[0].id)]
    assert numbers == ["7", "56"]


async def test_a_car_number_is_on_an_entry_list_once_and_looks_like_one(mods):
    await enter_weekend_by_hand(mods)
    before = await dump(mods.store)
    twice = await mods.by_permission.slash(mods.channel, "entry add", event=SARTHE, number="7")
    assert twice.ephemeral
    assert (
        twice.response.content
        == f"Car #7 is already on the entry list of {SARTHE} 2027: change it with /entry edit."
    )
    odd = await mods.by_permission.slash(mods.channel, "entry add", event=SARTHE, number="7 B")
    assert odd.response.content.startswith("“7 B” is not a car number")
    missing = await mods.by_permission.slash(mods.channel, "entry edit", event=SARTHE, number="99", team="X")
    assert missing.response.content.startswith("No car matches “#99”.")
    assert await dump(mods.store) == before


async def test_results_wait_for_the_race_and_show_behind_spoilers(mods):
    await enter_weekend_by_hand(mods)
    early = await mods.by_permission.slash(
        mods.channel, "result set", event=SARTHE, **{"class": "Hypercar"}, position=1, number="7"
    )
    assert (
        early.response.content
        == f"The race of {SARTHE} 2027 has not started yet: record results once it has."
    )
    mods.world.clock.instant = parse_instant("2027-06-13T15:00:00Z")
    done = await mods.by_permission.slash(
        mods.channel, "result set", event=SARTHE, **{"class": "Hypercar"}, position=1, number="7"
    )
    assert done.response.content == (
        f"Recorded for {SARTHE} 2027: Hypercar P1: ||#7 Club Racing Prototype 7 (A. Driver / B. Driver / C. Driver)||"
    )
    await mods.by_permission.slash(
        mods.channel, "result set", event=SARTHE, **{"class": "LMGT3"}, position=1, description="GT Friends"
    )
    card = await mods.member.slash(mods.channel, "race", event=SARTHE)
    results = field_values(card.response)["Results (spoilers)"]
    assert results.splitlines() == [
        "Hypercar P1: ||#7 Club Racing Prototype 7 (A. Driver / B. Driver / C. Driver)||",
        "LMGT3 P1: ||GT Friends||",
    ]
    asked = await mods.by_permission.slash(
        mods.channel, "result remove", event=SARTHE, **{"class": "lmgt3"}, position=1
    )
    assert asked.response.embeds[0].title == f"Remove LMGT3 P1 from {SARTHE} 2027?"
    assert asked.response.embeds[0].description == "LMGT3 P1: ||GT Friends||"
    removed = await mods.by_permission.click(asked.response, label="Confirm")
    assert removed.response.content == f"Removed LMGT3 P1 of {SARTHE} 2027."
    [event] = await mods.own_events()
    assert [r.car_class for r in await mods.store.results(mods.store_scope, event.id)] == ["Hypercar"]
    nothing = await mods.by_permission.slash(
        mods.channel, "result set", event=SARTHE, **{"class": "LMGT3"}, position=2
    )
    assert nothing.response.content.startswith("Say who finished there")
