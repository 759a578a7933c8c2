"""A winter series' season is named by both its years, as the series names it."""

from datetime import date

from fanbot.answers.calendar import season_label


def test_a_season_within_its_year_is_named_by_that_year():
    assert season_label(2025, [date(2025, 2, 28), date(2025, 11, 8), None]) == "2025"


def test_a_season_that_runs_into_the_next_year_is_named_by_both():
    assert season_label(2025, [date(2025, 12, 13), date(2026, 2, 8)]) == "2025–26"


def test_a_season_with_no_dated_event_is_named_by_its_year():
    assert season_label(2026, [None, None]) == "2026"
