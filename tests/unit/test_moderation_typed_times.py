"""Properties of ``read_when``, what a moderator types for a session's start.

1. Whatever the text, it gives an aware UTC instant, a day alone (time TBA), or an
   ``AnswerError`` whose message is for people; never another exception.
2. A wall-clock time typed at a circuit comes back as that same wall-clock time
   there (no silent shift), or is refused exactly when the zone skips or repeats
   it; the ambiguous case offers two instants an hour apart, and typing either
   offered form gives that instant.
3. A date typed alone is that day, with no time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytz
from hypothesis import given, settings
from hypothesis import strategies as st

from fanbot.answers.errors import AnswerError
from fanbot.answers.moderation import NoSuchLocalTime, TwiceLocalTime, read_when

ZONES = ["Europe/Brussels", "America/New_York", "Australia/Sydney", "Asia/Tokyo", "America/Sao_Paulo"]

wall_clocks = st.datetimes(
    min_value=datetime(1950, 1, 1),  # noqa: DTZ001 - a wall-clock bound: no zone by design
    max_value=datetime(2150, 12, 31, 23, 59),  # noqa: DTZ001 - same
).map(lambda d: d.replace(second=0, microsecond=0))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.sampled_from(ZONES))
def test_any_text_is_read_or_refused_for_people_never_crashes(text, zone):
    try:
        when = read_when(text, zone, "Test circuit")
    except AnswerError as exc:
        assert str(exc)  # noqa: PT017 - either outcome is allowed; pytest.raises would demand the error
        return
    if when.start is not None:
        assert when.start.tzinfo is not None
        assert when.start.utcoffset() == timedelta(0)
    else:
        assert isinstance(when.day, date)


@settings(max_examples=300, deadline=None)
@given(wall_clocks, st.sampled_from(ZONES), st.sampled_from(["iso", "day-first"]))
def test_a_typed_wall_clock_time_is_never_shifted(wall, zone, form):
    text = (
        f"{wall:%Y-%m-%d %H:%M}"
        if form == "iso"
        else f"{wall:%d/%m/%Y} {wall.hour % 12 or 12}:{wall:%M}" + ("am" if wall.hour < 12 else "pm")
    )
    tz = pytz.timezone(zone)
    try:
        expected = tz.localize(wall, is_dst=None)
    except pytz.NonExistentTimeError:
        try:
            read_when(text, zone, "Test circuit")
        except NoSuchLocalTime:
            return
        raise AssertionError(f"{text} in {zone} should not exist") from None
    except pytz.AmbiguousTimeError:
        try:
            read_when(text, zone, "Test circuit")
        except TwiceLocalTime as exc:
            first, second = exc.options
            assert second - first == timedelta(hours=1)
            for offered, instant in ((exc.fields["first"], first), (exc.fields["second"], second)):
                assert read_when(str(offered), zone, "Test circuit").start == instant
            return
        raise AssertionError(f"{text} in {zone} should be ambiguous") from None
    when = read_when(text, zone, "Test circuit")
    assert when.start == expected.astimezone(UTC)
    assert when.start is not None
    assert when.start.astimezone(tz).replace(tzinfo=None) == wall
    assert when.day == wall.date()


@settings(max_examples=100, deadline=None)
@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 12, 31)), st.sampled_from(ZONES))
def test_a_date_alone_is_that_day_with_its_time_to_be_announced(day, zone):
    for text in (day.isoformat(), f"{day:%d/%m/%Y}", f"{day.isoformat()} TBA"):
        when = read_when(text, zone, "Test circuit")
        assert (when.start, when.day) == (None, day)
