"""Finding what people mean: case, accents, typos, partial names and years."""

import pytest

from fanbot.answers.errors import NotFound
from fanbot.answers.lookup import NameIndex, fold


def test_fold_drops_case_accents_and_punctuation():
    assert fold("Autódromo José Carlos Pace (Interlagos)") == "autodromo jose carlos pace  interlagos"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("petit lemans 2012", "Petit Le Mans powered by Mazda (15th running)"),
        ("le mans", "24 Hours of Le Mans (94th)"),
        ("Le Mans 2025", "24 Hours of Le Mans (93rd)"),
        ("spa", "TotalEnergies 6 Hours of Spa-Francorchamps"),
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

    from fanbot.config import catalog_path
    from fanbot.store import Store
    from fanbot.store.catalog_file import parse_catalog

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
    assert index.find("sa 2024") == first_choice
    assert [c for c, _ in index.ranked("sa 2024", 2)] == index.choices("sa 2024", 25)[:2]
