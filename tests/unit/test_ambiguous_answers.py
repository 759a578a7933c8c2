"""Several good matches get a "which one?" answer, never a silent pick; the line-up's
filters allow the typos names do; classes keep the series' order."""

import pytest

from fanbot.answers.errors import Ambiguous
from fanbot.answers.people import lineup
from fanbot.clock import FixedClock
from fanbot.domain.localtime import parse_instant
from fanbot.render.text import TextStyle

AT = "2025-06-01T00:00:00Z"
PLM_2012 = "petit lemans 2012"


async def test_a_class_code_that_starts_several_classes_asks_which_one(asker):
    with pytest.raises(Ambiguous) as err:
        await lineup(asker(AT), PLM_2012, car_class="P")
    assert err.value.choices == [("P1", "P1"), ("P2", "P2")]
    assert err.value.option == "car_class"


async def test_the_team_filter_accepts_small_typos(asker):
    answer = await lineup(asker(AT), PLM_2012, team="Rebelion")
    assert answer.team == "Rebellion Racing"
    assert answer.entry_count == 1


async def test_a_word_several_teams_share_asks_which_one(asker):
    with pytest.raises(Ambiguous) as err:
        await lineup(asker(AT), PLM_2012, team="racing")
    assert ("Rebellion Racing", "Rebellion Racing") in err.value.choices
    assert ("Dyson Racing", "Dyson Racing") in err.value.choices
    assert err.value.option == "team"


async def test_lineup_keeps_the_series_class_order(asker):
    answer = await lineup(asker(AT), PLM_2012)
    assert [g.car_class for g in answer.groups] == ["P1", "P2", "Unclassified (invitational)"]


async def test_the_console_lists_the_choices_of_a_name_that_matches_several(store):
    from fanbot.cli import answer_line

    clock = FixedClock(parse_instant(AT))
    code, out = await answer_line(
        store, "/driver driver:Lucas", clock=clock, style=TextStyle(), as_json=False
    )
    assert code == 1
    assert out.splitlines() == [
        "Which driver do you mean by “Lucas”?",
        "  • Lucas Auer",
        "  • Lucas Luhr",
        "  • Lucas Ordóñez",
        "Ask again with one of these names.",
    ]
    code, out = await answer_line(
        store, "/driver driver:Lucas Ordóñez", clock=clock, style=TextStyle(), as_json=False
    )
    assert code == 0
    assert out.startswith("Lucas Ordóñez")


async def test_the_console_says_a_list_of_series_takes_one(store):
    from fanbot.cli import answer_line

    clock = FixedClock(parse_instant(AT))
    code, out = await answer_line(
        store, "/schedule series:WEC,IMSA", clock=clock, style=TextStyle(), as_json=False
    )
    assert code == 1
    assert out.splitlines()[1:3] == ["  • WEC", "  • IMSA"]
