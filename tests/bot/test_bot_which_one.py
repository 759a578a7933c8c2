"""A name that matches several things, through the real discord.py handlers (simcord):
the asker alone gets a "which one?" list, and a button answers for the one chosen.
Only the asker sees the list (it is ephemeral), so only the asker can press its buttons."""


def _labels(message) -> list[str]:
    return [c["label"] for row in message.components for c in row["components"]]


async def test_an_ambiguous_driver_gets_an_ephemeral_which_one_list_whose_button_answers(world):
    asked = await world.alice.slash(world.channel, "driver", driver="Lucas")
    assert asked.ephemeral
    assert asked.response.content == "Which driver do you mean by “Lucas”?"
    assert _labels(asked.response) == ["Lucas Auer", "Lucas Luhr", "Lucas Ordóñez"]

    chosen = await world.alice.click(asked.response, label="Lucas Ordóñez")
    answer = chosen.followups[-1]
    assert not answer.ephemeral
    assert answer.embeds[0].title == "Lucas Ordóñez"
    assert "Highcroft Racing" in answer.embeds[0].fields[0].value
    assert not asked.response.components  # the list keeps no buttons once used


async def test_a_list_of_series_asks_which_one_and_the_button_gives_that_schedule(world):
    world.clock.instant = world.clock.instant.replace(year=2025, month=6, day=1)
    asked = await world.alice.slash(world.channel, "schedule", series="WEC,IMSA", season=2025)
    assert asked.ephemeral
    assert _labels(asked.response) == ["WEC", "IMSA"]
    chosen = await world.alice.click(asked.response, label="IMSA")
    answer = chosen.followups[-1]
    assert answer.embeds[0].title == "IMSA — season 2025"


async def test_an_ambiguous_class_asks_which_one_and_keeps_the_event_typed(world):
    asked = await world.alice.slash(world.channel, "lineup", event="petit lemans 2012", **{"class": "P"})
    assert asked.ephemeral
    assert _labels(asked.response) == ["P1", "P2"]
    chosen = await world.alice.click(asked.response, label="P2")
    answer = chosen.followups[-1]
    assert answer.embeds[0].title.startswith("Entry list: Petit Le Mans powered by Mazda")
    assert [f.name for f in answer.embeds[0].fields] == ["P2 (5)"]


async def test_event_autocomplete_lists_the_edition_nearest_now_first(world):
    world.clock.instant = world.clock.instant.replace(year=2025, month=6, day=1)
    choices = await world.alice.autocomplete(world.channel, "race", "event", "le mans")
    assert choices[0]["name"] == "24 Hours of Le Mans (93rd) 2025 · WEC"
    world.clock.instant = world.clock.instant.replace(year=2025, month=7, day=1)
    choices = await world.alice.autocomplete(world.channel, "race", "event", "le mans")
    assert choices[0]["name"] == "24 Hours of Le Mans (94th) 2026 · WEC"
