"""Finding what people mean: case, accents, typos, partial names and years."""

import pytest

from fanbot.answers.errors import Ambiguous, NotFound
from fanbot.answers.lookup import NameIndex, fold_name
from fanbot.domain.folding import fold


def test_fold_drops_case_accents_and_punctuation():
    assert fold("Autódromo José Carlos Pace (Interlagos)") == "autodromo jose carlos pace  interlagos"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("petit lemans 2012", "Petit Le Mans powered by Mazda (15th running)"),
        ("le mans", "24 Hours of Le Mans (94th)"),
        ("Le Mans 2025", "24 Hours of Le Mans (93rd)"),
        # A circuit's name means the race nearest now held there, whatever its series: in
        # late 2026 that is the ELMS round, run after the WEC's that year.
        ("spa", "4 Hours of Spa-Francorchamps"),
        ("6 hours of spa", "TotalEnergies 6 Hours of Spa-Francorchamps"),
        ("SEBRING 2025", "Mobil 1 Twelve Hours of Sebring (73rd)"),
        ("sao paulo 2025", "Rolex 6 Hours of São Paulo"),
    ],
)
async def test_events_are_found_from_what_people_type(asker, typed, expected):
    event = await asker("2026-11-25T00:00:00Z").resolve_event(typed)
    assert event.name == expected


async def test_a_year_that_has_no_such_event_matches_nothing_but_suggests_other_years(asker):
    with pytest.raises(NotFound) as err:
        await asker("2026-11-25T00:00:00Z").resolve_event("petit lemons 2021")
    assert any("Petit Le Mans" in s for s in err.value.suggestions)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Road atlanta", "Michelin Raceway Road Atlanta"),
        ("spa", "Circuit de Spa-Francorchamps"),
        ("interlagos", "Autódromo José Carlos Pace (Interlagos)"),
        ("mosport", "Canadian Tire Motorsport Park"),
    ],
)
async def test_circuits_are_found_by_name_alias_and_typo(asker, typed, expected):
    assert (await asker("2026-11-25T00:00:00Z").resolve_circuit(typed)).name == expected


async def test_drivers_are_found_without_accents(asker):
    assert await asker("2026-11-25T00:00:00Z").resolve_driver("lucas ordonez") == "Lucas Ordóñez"


def test_autocomplete_never_offers_more_than_asked():
    index = NameIndex.build([(f"Event {n}", n, []) for n in range(100)])
    assert len(index.choices("event", 25)) == 25
    assert len(index.choices("", 25)) == 25


@pytest.mark.parametrize("typed", ["12", "²", "99999999999999999999999"])
async def test_a_typed_number_is_a_name_not_a_row_id(asker, typed):
    with pytest.raises(NotFound):
        await asker("2026-11-25T00:00:00Z").resolve_event(typed)
    with pytest.raises(NotFound):
        await asker("2026-11-25T00:00:00Z").resolve_circuit(typed)


async def test_names_imported_by_another_process_are_found_without_a_restart(asker, db_path):
    import json

    from fanbot.calendar_files.catalog import parse_catalog
    from fanbot.config import catalog_path
    from fanbot.store import Store

    ask = asker("2026-11-25T00:00:00Z")
    with pytest.raises(NotFound):
        await ask.resolve_event("Winter Classic 2027")
    other = await Store.open(db_path)  # as `fanbot import` would, beside the running bot
    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    raw["events"] = [
        {
            "key": "winter",
            "series": "WEC",
            "season": 2027,
            "name": "Winter Classic",
            "circuit": "imola",
            "sessions": [],
        }
    ]
    await other.import_catalog(parse_catalog(raw))
    await other.close()
    assert (await ask.resolve_event("Winter Classic 2027")).name == "Winter Classic"


def test_a_typed_name_means_what_autocomplete_offers_first():
    # "sa" starts a word of the Sarthe's name only, yet "spa" is the closer name: the
    # answer to a typed name must not depend on how many choices were asked for.
    index = NameIndex.build(
        [
            ("6 Hours of Le Mans 2024", 1, ["circuit de la sarthe 2024"]),
            ("12 Hours of Spa 2024", 2, ["spa 2024"]),
            ("Sahara Cup 2024", 3, ["sahara 2024"]),
        ]
    )
    first_choice = index.choices("sa 2024", 25)[0]
    assert first_choice.label == "12 Hours of Spa 2024"
    assert [c for c, _ in index.ranked("sa 2024", 2)] == index.choices("sa 2024", 25)[:2]
    # Typed in full, a name means that first choice; two letters alone name nothing.
    assert index.find("spa 2024") == first_choice
    assert index.find("sa 2024") is None


# ------------------------------------------------------------- names as fans type them


def _edition(event) -> str:
    return f"{event.name} {event.season}"


@pytest.mark.parametrize(
    ("typed", "answers"),
    [
        (
            "le mans",
            [
                # 13 days before Le Mans 2025: that race, not the 2026 edition; during it,
                # still that one; once it is over, the next one, within the coming year.
                ("2025-06-01T00:00:00Z", "24 Hours of Le Mans (93rd) 2025"),
                ("2025-06-15T10:00:00Z", "24 Hours of Le Mans (93rd) 2025"),
                ("2025-07-01T00:00:00Z", "24 Hours of Le Mans (94th) 2026"),
            ],
        ),
        (
            "petit le mans",
            [
                ("2012-10-01T00:00:00Z", "Petit Le Mans powered by Mazda (15th running) 2012"),
                ("2025-06-01T00:00:00Z", "Motul Petit Le Mans (28th) 2025"),
                ("2026-11-25T00:00:00Z", "Motul Petit Le Mans 2026"),
            ],
        ),
    ],
)
async def test_a_name_without_a_year_means_the_edition_nearest_now(asker, typed, answers):
    assert [(at, _edition(await asker(at).resolve_event(typed))) for at, _ in answers] == answers


async def test_an_edition_more_than_a_year_away_is_not_the_nearest_the_last_one_is(store, asker):
    import json

    from fanbot.calendar_files.catalog import parse_catalog
    from fanbot.config import catalog_path

    raw = json.loads(catalog_path().read_text(encoding="utf-8"))
    raw["events"] = [
        {
            "key": "le-mans-2029",
            "series": "WEC",
            "season": 2029,
            "name": "24 Hours of Le Mans",
            "circuit": "la-sarthe",
            "sessions": [{"kind": "race", "date": "2029-06-16", "time": "16:00"}],
        }
    ]
    await store.import_catalog(parse_catalog(raw), guild_id=5)
    ask = asker("2026-11-25T00:00:00Z", guild_id=5)
    assert _edition(await ask.resolve_event("le mans")) == "24 Hours of Le Mans (94th) 2026"
    later = asker("2028-07-01T00:00:00Z", guild_id=5)
    assert _edition(await later.resolve_event("le mans")) == "24 Hours of Le Mans 2029"


async def test_autocomplete_lists_the_edition_nearest_now_first(asker):
    ask = asker("2025-06-01T00:00:00Z")
    index = await ask.lookups.events(ask.scope)
    assert index.choices("le mans", 25, now=ask.now)[0].label == "24 Hours of Le Mans (93rd) 2025 · WEC"
    assert index.choices("petit le m", 25, now=ask.now)[0].label == "Motul Petit Le Mans (28th) 2025 · IMSA"


COMMON_FORMS = [
    ("24h du Mans", "24 Hours of Le Mans (93rd) 2025"),
    ("24 Heures du Mans", "24 Hours of Le Mans (93rd) 2025"),
    ("Le Mans 24", "24 Hours of Le Mans (93rd) 2025"),
    ("les 24 heures du mans", "24 Hours of Le Mans (93rd) 2025"),
    ("94e 24 Heures du Mans", "24 Hours of Le Mans (94th) 2026"),
    ("Daytona 24", "Rolex 24 At Daytona (64th) 2026"),
    ("Rolex 24", "Rolex 24 At Daytona (64th) 2026"),
    ("12 Heures de Sebring", "Mobil 1 Twelve Hours of Sebring 2026"),
    ("Sebring 12", "Mobil 1 Twelve Hours of Sebring 2026"),
    ("12 hrs of sebring 2025", "Mobil 1 Twelve Hours of Sebring (73rd) 2025"),
    ("6 Heures de Spa", "TotalEnergies 6 Hours of Spa-Francorchamps 2026"),
    ("6H Fuji", "6 Hours of Fuji 2025"),
    ("8h de Bahreïn", "Bapco Energies 8 Hours of Bahrain 2025"),
    ("1812 km du Qatar 2025", "Qatar Airways Qatar 1812 km 2025"),
    ("Lone Star", "Lone Star Le Mans 2025"),
    ("Petit Le Mans", "Motul Petit Le Mans (28th) 2025"),
    ("six heures de watkins glen", "Sahlen's Six Hours of The Glen 2025"),
]


async def test_races_are_found_by_their_common_forms_and_translations(asker):
    ask = asker("2025-06-01T00:00:00Z")
    assert [(typed, _edition(await ask.resolve_event(typed))) for typed, _ in COMMON_FORMS] == COMMON_FORMS


async def test_le_mans_typed_any_way_is_never_petit_le_mans(asker):
    for at in ("2025-06-01T00:00:00Z", "2025-09-01T00:00:00Z", "2026-11-25T00:00:00Z"):
        for typed in ("24h du Mans", "24h le mans", "le mans race", "Le Mans 24", "24 heures du mans"):
            found = await asker(at).resolve_event(typed)
            assert found.name.startswith("24 Hours of Le Mans"), (at, typed, found.name)


async def test_a_name_with_a_year_its_race_never_had_is_no_match_not_another_race(asker):
    # "le mans" is exactly a name (the 24 Hours' circuit); there was no 24 Hours in the
    # catalog's 2012, and Petit Le Mans 2012 is only suggested, never answered.
    ask = asker("2025-06-01T00:00:00Z")
    with pytest.raises(NotFound) as err:
        await ask.resolve_event("le mans 2012")
    assert any("Petit Le Mans" in s for s in err.value.suggestions)
    for typed in ("2025 le mans", "le mans 2025"):
        assert (await ask.resolve_event(typed)).key == "wec-2025-24-hours-of-le-mans", typed


async def test_text_that_names_nothing_is_no_match(asker):
    ask = asker("2025-06-01T00:00:00Z")
    for typed in ['" OR 1=1 --', "<script>", "%(name)s", "2025", "x", "1", "--"]:
        with pytest.raises(NotFound):
            await ask.resolve_event(typed)


async def test_a_bare_year_suggests_that_years_races(asker):
    with pytest.raises(NotFound) as err:
        await asker("2025-06-01T00:00:00Z").resolve_event("2025")
    assert err.value.suggestions
    assert all("2025" in s for s in err.value.suggestions)


@pytest.mark.parametrize(
    ("typed", "names"),
    [
        ("Lucas", ["Lucas Auer", "Lucas Luhr", "Lucas Ordóñez"]),
        ("Franchitti", ["Dario Franchitti", "Marino Franchitti"]),
    ],
)
async def test_a_name_two_drivers_share_asks_which_one(asker, typed, names):
    with pytest.raises(Ambiguous) as err:
        await asker("2025-06-01T00:00:00Z").resolve_driver(typed)
    assert err.value.choices == [(n, n) for n in names]
    assert err.value.option == "driver"


async def test_a_name_several_races_share_asks_which_one_with_their_ids(asker):
    with pytest.raises(Ambiguous) as err:
        await asker("2025-06-01T00:00:00Z").resolve_event("24 hours")
    labels = [label for label, _ in err.value.choices]
    assert labels == ["24 Hours of Le Mans (93rd) 2025 · WEC", "Rolex 24 At Daytona (64th) 2026 · IMSA"]
    assert all(value.startswith("id:") for _, value in err.value.choices)


@pytest.mark.parametrize("typed", ["WEC,IMSA", "wec, imsa", "WEC / IMSA"])
async def test_a_list_of_series_asks_which_one(asker, typed):
    with pytest.raises(Ambiguous) as err:
        await asker("2025-06-01T00:00:00Z").resolve_series(typed)
    assert err.value.choices == [("WEC", "WEC"), ("IMSA", "IMSA")]
    assert err.value.option == "series"


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("24h du Mans", "24 hours mans"),
        ("24 Heures du Mans", "24 hours mans"),
        ("24 Hours of Le Mans (93rd)", "24 hours le mans 93th"),
        ("93e 24 Heures", "93th 24 hours"),
        ("Mobil 1 Twelve Hours of Sebring", "mobil 1 12 hours sebring"),
        ("12 hrs", "12 hours"),
        ("6H Fuji", "6 hours fuji"),
        ("1812km du Qatar", "1812 km qatar"),
        ("vingt-quatre heures", "24 hours"),
    ],
)
def test_names_and_queries_write_hours_ordinals_and_numbers_one_way(typed, folded):
    assert fold_name(typed) == folded


async def test_a_country_is_found_as_french_readers_see_it(asker):
    # French answers write "Belgique", "Bahreïn": typed back, they find the circuit.
    ask = asker("2025-06-01T00:00:00Z")
    assert (await ask.resolve_circuit("Belgique")).key == "spa-francorchamps"
    assert (await ask.resolve_circuit("Bahreïn")).key == "bahrain"


async def test_a_weekend_whose_date_is_not_announced_is_still_the_edition_to_come(asker):
    # Qatar 2026 was moved to a day not yet published: "qatar" in mid-2026 means it, not
    # the 2025 race already run.
    assert (await asker("2026-06-01T00:00:00Z").resolve_event("qatar")).season == 2026
    # While the 2025 weekend is on, it is the one to come first.
    assert (await asker("2025-02-27T12:00:00Z").resolve_event("qatar")).season == 2025
