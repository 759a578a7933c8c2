"""/nextrace answers on the shipped catalog, at chosen instants."""

import pytest

from fanbot.answers.calendar import schedule
from fanbot.answers.errors import NotFound
from fanbot.answers.nextrace import next_race
from fanbot.answers.people import circuit
from fanbot.domain.localtime import to_iso_utc
from fanbot.domain.model import SessionKind
from fanbot.i18n import translator
from fanbot.render.text import TextStyle, render_next_race, render_schedule


async def test_before_petit_le_mans_2012_the_next_race_is_petit_le_mans(asker):
    answer = await next_race(asker("2012-10-01T00:00:00Z"))
    assert answer.event.name == "Petit Le Mans powered by Mazda (15th running)"
    assert answer.event.circuit.name == "Michelin Raceway Road Atlanta"
    assert [(s.kind, to_iso_utc(s.start)) for s in answer.to_come] == [
        (SessionKind.QUALIFYING, "2012-10-19T18:00:00Z"),
        (SessionKind.RACE, "2012-10-20T15:30:00Z"),
    ]
    assert answer.done == ()
    assert not answer.in_progress


async def test_between_qualifying_and_race_the_weekend_is_in_progress(asker):
    answer = await next_race(asker("2012-10-19T20:00:00Z"))
    assert answer.in_progress
    assert [s.kind for s in answer.done] == [SessionKind.QUALIFYING]
    assert [s.kind for s in answer.to_come] == [SessionKind.RACE]
    text = render_next_race(answer, TextStyle())
    assert "Race weekend in progress" in text
    assert "done" in text


async def test_series_filter_skips_other_series(asker):
    answer = await next_race(asker("2025-01-01T00:00:00Z"), series="wec")
    assert answer.event.series.code == "WEC"
    assert answer.event.name == "Qatar Airways Qatar 1812 km"
    assert answer.event.season == 2025
    imsa = await next_race(asker("2025-01-01T00:00:00Z"), series="IMSA")
    assert imsa.event.name == "Rolex 24 At Daytona (63rd)"


async def test_series_can_be_named_in_full(asker):
    answer = await next_race(asker("2025-01-01T00:00:00Z"), series="World Endurance Championship")
    assert answer.series.code == "WEC"


async def test_unknown_series_is_not_found_with_suggestions(asker):
    with pytest.raises(NotFound) as err:
        await next_race(asker("2025-01-01T00:00:00Z"), series="Formula Zero")
    assert err.value.what == "series"
    assert "No series matches" in err.value.render(translator("en"))


async def test_a_session_with_a_date_but_no_time_is_listed_as_time_tba(asker):
    answer = await next_race(asker("2026-05-01T00:00:00Z"), series="WEC")
    assert answer.event.name == "TotalEnergies 6 Hours of Spa-Francorchamps"
    (race,) = answer.to_come
    assert race.start is None
    assert race.local_date.isoformat() == "2026-05-09"
    assert "Sat 9 May 2026, time TBA" in render_next_race(answer, TextStyle())


async def test_a_date_only_race_stays_current_through_its_local_day_plus_its_length(asker):
    # 9 May 2026 ends at 22:00 UTC in Spa (CEST); a 6-hour race that started as late as
    # that could run until 04:00 UTC: possibly under way until then, and said so.
    answer = await next_race(asker("2026-05-10T03:59:00Z"), series="WEC")
    assert answer.event.name == "TotalEnergies 6 Hours of Spa-Francorchamps"
    assert answer.in_progress
    assert "possibly under way" in render_next_race(answer, TextStyle())
    later = await next_race(asker("2026-05-10T04:00:00Z"), series="WEC")
    assert later.event.name == "24 Hours of Le Mans (94th)"


async def test_postponed_event_without_a_date_is_never_next(asker):
    answer = await next_race(asker("2026-03-01T00:00:00Z"), series="WEC")
    assert answer.event.name == "6 Hours of Imola"


async def test_when_nothing_is_scheduled_the_answer_names_the_last_race(asker):
    answer = await next_race(asker("2026-11-25T00:10:00Z"))
    assert answer.event is None
    assert answer.last_event.name == "Bapco Energies 8 Hours of Bahrain"
    assert answer.last_event.season == 2026
    text = render_next_race(answer, TextStyle())
    assert text.startswith("No race is scheduled after")
    assert "Last race: Bapco Energies 8 Hours of Bahrain 2026 (WEC)" in text


async def test_when_nothing_is_scheduled_in_a_series_its_last_race_is_named(asker):
    answer = await next_race(asker("2026-11-25T00:10:00Z"), series="IMSA")
    assert answer.event is None
    assert answer.last_event.name == "Motul Petit Le Mans"
    assert "No IMSA race is scheduled" in render_next_race(answer, TextStyle())


async def test_text_shows_the_display_zone_and_the_circuit_local_time(asker):
    answer = await next_race(asker("2012-10-01T00:00:00Z"))
    text = render_next_race(answer, TextStyle(zone="Europe/Paris"))
    assert "Sat 20 Oct 2012, 17:30 CEST (11:30 EDT local)" in text


async def test_a_race_under_way_is_still_the_next_race_until_it_ends(asker):
    # Le Mans 2025 started at 14:00 UTC and runs 24 hours.
    during = await next_race(asker("2025-06-14T15:00:00Z"))
    assert during.event.name == "24 Hours of Le Mans (93rd)"
    assert during.in_progress
    assert "Race: Sat 14 Jun 2025, 14:00 UTC (16:00 CEST local) — under way" in render_next_race(
        during, TextStyle()
    )
    after = await next_race(asker("2025-06-15T14:00:00Z"))
    assert after.event.name != "24 Hours of Le Mans (93rd)"


async def test_a_weekend_known_only_by_its_day_is_possibly_under_way_in_the_calendar(asker):
    # 01:30 at Le Mans on race day (2026, time unknown): maybe racing, not surely.
    answer = await schedule(asker("2026-06-12T23:30:00Z"), series="WEC", season=2026)
    (row,) = [r for r in answer.rows if r.event.key == "wec-2026-24-hours-of-le-mans"]
    assert row.possibly_under_way
    assert not row.under_way
    assert not row.done
    line = next(x for x in render_schedule(answer, TextStyle()).splitlines() if "Le Mans (94th)" in x)
    assert line.endswith("— possibly under way")
    assert line.lstrip().startswith("▶")


async def test_a_weekend_whose_new_date_is_not_announced_is_still_the_circuits_next_event(asker):
    # Qatar 2026 was moved to late October; its race day is not published (data/catalog.json).
    card = await circuit(asker("2026-06-01T00:00:00Z"), "lusail")
    assert card.next_event is not None
    assert card.next_event.key == "wec-2026-qatar-airways-qatar-1812-km"
    assert card.last_event is not None
    assert card.last_event.season == 2025
    later = await circuit(asker("2027-02-01T00:00:00Z"), "lusail")
    assert later.next_event is None  # a 2026 weekend is not 2027's next event
