"""The planner's pure rules: durations people type, nonces, and what is owed when."""

from datetime import timedelta

import pytest

from fanbot.domain.localtime import parse_instant
from fanbot.domain.model import SessionKind
from fanbot.domain.reminders import Delivery, DeliveryKey, FanRequest, ReminderSetup, SessionSlot, Target
from fanbot.reminders.planner import (
    GREEN_FLAG_GRACE,
    LeadError,
    delivery_nonce,
    parse_kinds,
    parse_leads,
    plan,
    wanted_reminders,
)

START = parse_instant("2027-06-13T14:00:00Z")
SINCE = parse_instant("2027-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("24h, 1h, 10m", (1440, 60, 10)),
        ("1h", (60,)),
        ("2 days; 90 min", (2880, 90)),
        ("1h,1h, 60m", (60,)),
        ("3 jours", (4320,)),
    ],
)
def test_durations_read_as_minutes_longest_first(typed, minutes):
    assert parse_leads(typed) == minutes


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("soon", "is not a duration"),
        ("", "at least one"),
        ("8d", "out of range"),
        ("0m", "out of range"),
        ("1m, 2m, 3m, 4m, 5m, 6m", "five"),
    ],
)
def test_bad_durations_say_what_is_wrong(typed, says):
    with pytest.raises(LeadError, match=says):
        parse_leads(typed)


def test_session_kinds_are_read_and_unknown_ones_named():
    assert parse_kinds("race, Qualifying") == (SessionKind.QUALIFYING, SessionKind.RACE)
    with pytest.raises(LeadError, match="'quali' is not a session kind"):
        parse_kinds("quali")


def test_the_nonce_is_fixed_per_reminder_and_fits_discords_25_characters():
    key = DeliveryKey(Target("guild", 1), 7, 60, START)
    assert delivery_nonce(key) == delivery_nonce(DeliveryKey(Target("guild", 1), 7, 60, START))
    assert len(delivery_nonce(key)) <= 25
    others = {
        delivery_nonce(DeliveryKey(Target("user", 1), 7, 60, START)),
        delivery_nonce(DeliveryKey(Target("guild", 1), 8, 60, START)),
        delivery_nonce(DeliveryKey(Target("guild", 1), 7, 10, START)),
        delivery_nonce(DeliveryKey(Target("guild", 1), 7, 60, START + timedelta(hours=1))),
    }
    assert delivery_nonce(key) not in others
    assert len(others) == 4


def _race_slot(guild_id=None):
    return SessionSlot(
        session_id=7, event_id=3, event_guild_id=guild_id, series="WEC", kind=SessionKind.RACE, start=START
    )


def _setup(**kw):
    values = {
        "guild_id": 1,
        "channel_id": 2,
        "role_id": None,
        "series": (),
        "kinds": (SessionKind.RACE,),
        "leads": (60,),
        "green_flag": True,
        "since": SINCE,
    }
    values.update(kw)
    return ReminderSetup(**values)


def test_a_green_flag_is_still_sent_a_few_minutes_into_the_race_but_not_after():
    wanted = wanted_reminders([_setup(leads=())], [], [_race_slot()])
    assert [w.key.lead_minutes for w in wanted] == [0]
    assert [w.key.lead_minutes for w in plan(wanted, [], START + GREEN_FLAG_GRACE / 2).send] == [0]
    late = plan(wanted, [], START + GREEN_FLAG_GRACE)
    assert late.send == []
    assert [w.key.lead_minutes for w in late.missed] == [0]


def test_fans_are_reminded_of_qualifying_and_race_but_not_practice():
    fan = FanRequest(1, 5, 3, None, (60,), "en", SINCE)
    practice = SessionSlot(6, 3, None, "WEC", SessionKind.PRACTICE, START - timedelta(days=1))
    wanted = wanted_reminders([], [fan], [practice, _race_slot()])
    assert [(w.key.target, w.key.session_id) for w in wanted] == [(Target("user", 5), 7)]


def test_the_next_due_time_is_the_earliest_unsent_reminder():
    wanted = wanted_reminders([_setup(leads=(1440, 60))], [], [_race_slot()])
    assert plan(wanted, [], SINCE).next_due == START - timedelta(days=1)


def _claimed(w, until):
    return Delivery(1, w.key, w.due, "claimed", "p1", until, 1, w.nonce, None, None, None, False, None)


def test_a_claim_the_process_still_has_in_flight_is_never_retaken_nor_abandoned_nor_waited_for():
    [w] = wanted_reminders([_setup(green_flag=False)], [], [_race_slot()])
    lapsed = [_claimed(w, w.due + timedelta(seconds=60))]
    later = w.due + timedelta(seconds=61)
    assert plan([w], lapsed, later).retake == [w]  # a stopped process's claim
    mine = plan([w], lapsed, later, in_flight={w.key})
    assert (mine.retake, mine.send, mine.abandoned, mine.next_due) == ([], [], [], None)
    too_late = plan([w], lapsed, START + timedelta(minutes=1), in_flight={w.key})
    assert too_late.abandoned == []  # its own send writes it down as missed


def test_a_lease_or_retry_is_looked_at_when_it_lapses_not_prepared_ahead_like_a_due_time():
    slot = _race_slot()
    [w] = wanted_reminders([_setup(green_flag=False)], [], [slot])
    lapse = w.due + timedelta(seconds=4)
    held = plan([w], [_claimed(w, lapse)], w.due + timedelta(seconds=2), ahead=timedelta(seconds=1))
    assert (held.next_due, held.next_pass(timedelta(seconds=1))) == (lapse, lapse)
    [later] = wanted_reminders([_setup(green_flag=False, leads=(1440,))], [], [slot])
    due = plan([later], [], SINCE, ahead=timedelta(seconds=1))
    assert due.next_pass(timedelta(seconds=1)) == later.due - timedelta(seconds=1)
