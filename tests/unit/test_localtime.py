from datetime import UTC, date, datetime, time

import pytest

from fanbot.domain.localtime import (
    AmbiguousLocalTime,
    NonExistentLocalTime,
    UnknownTimeZone,
    UnparseableTime,
    end_of_local_day,
    local_to_utc,
    parse_instant,
    parse_local,
    to_iso_utc,
)


def test_petit_le_mans_2012_race_start_is_1530_utc():
    # 11:30 EDT (UTC-4) on 20 October 2012.
    assert local_to_utc(date(2012, 10, 20), time(11, 30), "America/New_York") == datetime(
        2012, 10, 20, 15, 30, tzinfo=UTC
    )


def test_same_wall_clock_time_maps_to_different_utc_across_dst():
    # Sebring's 12 Hours runs in March, around the US spring-forward date.
    before = local_to_utc(date(2026, 3, 7), time(10, 0), "America/New_York")
    after = local_to_utc(date(2026, 3, 9), time(10, 0), "America/New_York")
    assert (before.hour, after.hour) == (15, 14)


def test_sebring_spring_forward_gap_is_an_error_not_a_shift():
    with pytest.raises(NonExistentLocalTime) as err:
        local_to_utc(date(2026, 3, 8), time(2, 30), "America/New_York")
    assert "does not exist" in str(err.value)


def test_november_fall_back_overlap_is_an_error_offering_both_instants():
    with pytest.raises(AmbiguousLocalTime) as err:
        local_to_utc(date(2026, 11, 1), time(1, 30), "America/New_York")
    first, second = err.value.options
    assert (to_iso_utc(first), to_iso_utc(second)) == ("2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z")
    assert "05:30 UTC" in str(err.value)
    assert "06:30 UTC" in str(err.value)


def test_unknown_zone_is_named_in_the_error():
    with pytest.raises(UnknownTimeZone, match="Mars/Olympus"):
        local_to_utc(date(2026, 1, 1), time(12, 0), "Mars/Olympus")


@pytest.mark.parametrize(
    "typed",
    ["2027-01-23 13:40", "2027-01-23T13:40", "23/01/2027 1:40pm", "23/01/2027 13:40"],
)
def test_what_people_type_is_read_as_local_circuit_time(typed):
    assert to_iso_utc(parse_local(typed, "America/New_York")) == "2027-01-23T18:40:00Z"


def test_typed_time_with_offset_keeps_its_offset():
    assert to_iso_utc(parse_local("2027-01-23 13:40+01:00", "America/New_York")) == "2027-01-23T12:40:00Z"


@pytest.mark.parametrize("typed", ["", "next tuesday-ish", "2027-13-45 10:00"])
def test_unreadable_time_says_how_to_write_it(typed):
    with pytest.raises(UnparseableTime, match="2027-01-23 13:40"):
        parse_local(typed, "Europe/Paris")


def test_parsed_local_time_in_a_gap_is_refused():
    with pytest.raises(NonExistentLocalTime):
        parse_local("2026-03-29 02:30", "Europe/Paris")


def test_instant_without_zone_is_refused():
    with pytest.raises(ValueError, match="no time zone"):
        parse_instant("2012-10-01T00:00:00")


def test_end_of_local_day_follows_the_circuit_zone():
    assert to_iso_utc(end_of_local_day(date(2012, 10, 20), "America/New_York")) == "2012-10-21T04:00:00Z"
    assert to_iso_utc(end_of_local_day(date(2026, 6, 13), "Europe/Paris")) == "2026-06-13T22:00:00Z"


def test_stored_instants_are_zero_padded_so_they_sort_as_text():
    assert to_iso_utc(datetime(999, 6, 1, 12, 0, tzinfo=UTC)) == "0999-06-01T12:00:00Z"


@pytest.mark.parametrize("typed", ["0999-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00"])
def test_instants_outside_the_supported_years_are_refused(typed):
    with pytest.raises(ValueError, match="outside the years"):
        parse_instant(typed)
