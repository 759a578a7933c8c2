"""Reminder claims, on every backend: the "never twice" guarantee. A delivery is claimed
in the database before it is sent; a claimed one is not claimable again while its lease
runs, a lapsed lease is taken over with the same nonce (saying what the earlier attempt
left, so that the new owner knows whether to look for its message), renewals keep it, and
a finished delivery is never claimed again. Two stores on one database stand for two
processes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from fanbot.domain.localtime import parse_instant
from fanbot.domain.reminders import NOT_POSTED, DeliveryKey, Target
from fanbot.reminders.planner import delivery_nonce
from fanbot.store import Store
from tests.contract.store_data import club_event, guild_catalog

GUILD = 1_234_567_890_123_456_789  # Discord ids are 64-bit
CHANNEL = GUILD + 7
RACE = parse_instant("2027-06-12T14:00:00Z")  # 16:00 at Le Mans (CEST)
NOW = RACE - timedelta(hours=2)
LEASE = timedelta(seconds=30)


async def race_key(store: Store, target: Target | None = None, lead: int = 60) -> DeliveryKey:
    """The key of a reminder ``lead`` minutes before a made-up guild race."""
    await store.import_catalog(guild_catalog(club_event("club-race", "Club race", "2027-06-12")), guild_id=GUILD)
    [slot] = await store.reminders.sessions_starting(NOW, NOW + timedelta(days=1))
    return DeliveryKey(target or Target("guild", GUILD), slot.session_id, lead, slot.start)


def wanted(key: DeliveryKey) -> list[tuple[DeliveryKey, datetime, str]]:
    return [(key, key.session_start - timedelta(minutes=key.lead_minutes), delivery_nonce(key))]


async def test_sessions_starting_in_a_window_are_the_timed_sessions_of_events_not_cancelled(backend):
    await backend.import_catalog(
        guild_catalog(
            club_event("club-race", "Club race", "2027-06-12"),
            club_event("called-off", "Called off", "2027-06-12", time="17:00") | {"status": "cancelled"},
        ),
        guild_id=GUILD,
    )
    [slot] = await backend.reminders.sessions_starting(NOW, NOW + timedelta(days=1))
    assert (slot.start, slot.event_guild_id, slot.series, slot.kind.value) == (RACE, GUILD, "WEC", "race")
    assert await backend.reminders.sessions_starting(RACE, RACE + timedelta(hours=1)) == []  # (after, upto]
    assert [s.session_id for s in await backend.reminders.sessions_starting(RACE - timedelta(seconds=1), RACE)] == [
        slot.session_id
    ]
    assert await backend.reminders.first_start_after(NOW) == RACE
    # The catalog's 2012 Petit Le Mans race, 11:30 EDT.
    assert await backend.reminders.first_start_after(parse_instant("2012-10-20T00:00:00Z")) == parse_instant(
        "2012-10-20T15:30:00Z"
    )


async def test_a_delivery_claimed_once_is_not_claimable_again_while_its_lease_runs(backend):
    key = await race_key(backend)
    reminders = backend.reminders
    [claim] = await reminders.claim(wanted(key), owner="a", now=NOW, lease_until=NOW + LEASE)
    assert (claim.key, claim.nonce, claim.attempts) == (key, delivery_nonce(key), 1)
    assert await reminders.claim(wanted(key), owner="b", now=NOW + timedelta(seconds=29), lease_until=NOW + LEASE) == []
    assert await reminders.claim(wanted(key), owner="a", now=NOW, lease_until=NOW + LEASE) == []
    [delivery] = await reminders.deliveries_for([key.session_id])
    assert (delivery.id, delivery.state, delivery.claimed_by, delivery.claimed_until) == (
        claim.delivery_id,
        "claimed",
        "a",
        NOW + LEASE,
    )
    assert delivery.key == key
    assert delivery.due == RACE - timedelta(hours=1)


async def test_two_processes_claiming_the_same_deliveries_at_once_get_each_once(backend, backend_target):
    key = await race_key(backend)
    keys = [DeliveryKey(key.target, key.session_id, lead, key.session_start) for lead in (0, 10, 60, 1440)]
    batch = [w for k in keys for w in wanted(k)]
    other = await Store.open(backend_target)
    try:
        mine, theirs = await asyncio.gather(
            backend.reminders.claim(batch, owner="a", now=NOW, lease_until=NOW + LEASE),
            other.reminders.claim(batch, owner="b", now=NOW, lease_until=NOW + LEASE),
        )
    finally:
        await other.close()
    claimed = sorted([c.key.lead_minutes for c in mine] + [c.key.lead_minutes for c in theirs])
    assert claimed == [0, 10, 60, 1440]
    assert len(await backend.reminders.deliveries_for([key.session_id])) == 4


async def test_a_lapsed_lease_is_taken_over_with_the_same_nonce_and_the_first_owner_loses_it(backend):
    key = await race_key(backend)
    reminders = backend.reminders
    [first] = await reminders.claim(wanted(key), owner="a", now=NOW, lease_until=NOW + LEASE)
    assert (first.retaken_from, first.previous_error, first.earlier_attempt_may_have_posted) == (None, None, False)
    later = NOW + LEASE  # the lease has run out at its last instant
    [taken] = await reminders.claim(wanted(key), owner="b", now=later, lease_until=later + LEASE)
    assert (taken.delivery_id, taken.nonce, taken.attempts) == (first.delivery_id, first.nonce, 2)
    # a died without a word: whatever it sent may have reached Discord.
    assert (taken.retaken_from, taken.previous_error, taken.earlier_attempt_may_have_posted) == (later, None, True)
    assert not await reminders.finish(first.delivery_id, "sent", owner="a", now=later)
    assert await reminders.finish(
        taken.delivery_id, "sent", owner="b", now=later, channel_id=CHANNEL, message_id=CHANNEL + 1, late=True
    )
    [done] = await reminders.deliveries_of(key.target)
    assert (done.state, done.claimed_by, done.claimed_until, done.attempts) == ("sent", "b", None, 2)
    assert (done.channel_id, done.message_id, done.late, done.finished_at) == (CHANNEL, CHANNEL + 1, True, later)
    # Sent is for ever: no lease to run out.
    far = later + timedelta(days=30)
    assert await reminders.claim(wanted(key), owner="c", now=far, lease_until=far + LEASE) == []


async def test_a_takeover_carries_the_earlier_attempts_error_and_starts_without_one(backend):
    key = await race_key(backend)
    reminders = backend.reminders
    [first] = await reminders.claim(wanted(key), owner="a", now=NOW, lease_until=NOW + LEASE)
    await reminders.retry_later(first.delivery_id, owner="a", until=NOW + LEASE, error="503: upstream")
    [second] = await reminders.claim(wanted(key), owner="b", now=NOW + LEASE, lease_until=NOW + 2 * LEASE)
    assert (second.retaken_from, second.previous_error) == (NOW + LEASE, "503: upstream")
    assert second.earlier_attempt_may_have_posted  # a 5xx may come after Discord took the message
    [delivery] = await reminders.deliveries_of(key.target)
    assert (delivery.claimed_by, delivery.error) == ("b", None)  # the error is the current attempt's

    refused = NOT_POSTED + "429: rate limited"
    await reminders.retry_later(second.delivery_id, owner="b", until=NOW + 3 * LEASE, error=refused)
    [third] = await reminders.claim(wanted(key), owner="c", now=NOW + 3 * LEASE, lease_until=NOW + 4 * LEASE)
    assert (third.attempts, third.previous_error) == (3, refused)
    assert not third.earlier_attempt_may_have_posted
    # c dies in its turn: the next owner reads no stale "not posted".
    [fourth] = await reminders.claim(wanted(key), owner="d", now=NOW + 4 * LEASE, lease_until=NOW + 5 * LEASE)
    assert (fourth.attempts, fourth.previous_error, fourth.earlier_attempt_may_have_posted) == (4, None, True)


async def test_a_renewed_lease_holds_and_only_its_owner_can_renew_it(backend):
    key = await race_key(backend)
    reminders = backend.reminders
    [claim] = await reminders.claim(wanted(key), owner="a", now=NOW, lease_until=NOW + LEASE)
    await reminders.renew([claim.delivery_id], owner="a", until=NOW + 4 * LEASE)
    await reminders.renew([claim.delivery_id], owner="b", until=NOW + 10 * LEASE)  # not b's: no effect
    await reminders.renew([], owner="a", until=NOW + 10 * LEASE)
    assert await reminders.claim(wanted(key), owner="b", now=NOW + 2 * LEASE, lease_until=NOW + 5 * LEASE) == []
    [delivery] = await reminders.deliveries_of(key.target)
    assert (delivery.claimed_by, delivery.claimed_until) == ("a", NOW + 4 * LEASE)
    [taken] = await reminders.claim(wanted(key), owner="b", now=NOW + 4 * LEASE, lease_until=NOW + 5 * LEASE)
    assert taken.nonce == claim.nonce


async def test_a_retry_later_keeps_the_claim_until_the_given_time_with_its_error(backend):
    key = await race_key(backend)
    reminders = backend.reminders
    [claim] = await reminders.claim(wanted(key), owner="a", now=NOW, lease_until=NOW + LEASE)
    await reminders.retry_later(claim.delivery_id, owner="a", until=NOW + 2 * LEASE, error="429 from Discord")
    assert await reminders.claim(wanted(key), owner="b", now=NOW + LEASE, lease_until=NOW + 3 * LEASE) == []
    [delivery] = await reminders.deliveries_of(key.target)
    assert (delivery.state, delivery.claimed_until, delivery.error) == ("claimed", NOW + 2 * LEASE, "429 from Discord")
    [again] = await reminders.claim(wanted(key), owner="a", now=NOW + 2 * LEASE, lease_until=NOW + 3 * LEASE)
    assert again.attempts == 2


async def test_missed_reminders_are_written_once_and_a_dead_claim_is_abandoned_only_after_its_lease(backend):
    key = await race_key(backend)
    reminders = backend.reminders
    dm = DeliveryKey(Target("user", GUILD + 1), key.session_id, 0, key.session_start)
    assert await reminders.record(wanted(dm), "missed", now=NOW, error="down at the time") == 1
    assert await reminders.record(wanted(dm), "failed", now=NOW, error="again") == 0  # left alone
    [missed] = await reminders.deliveries_of(dm.target)
    assert (missed.state, missed.error, missed.finished_at, missed.claimed_by) == ("missed", "down at the time", NOW, None)
    assert await reminders.claim(wanted(dm), owner="a", now=NOW, lease_until=NOW + LEASE) == []

    await reminders.claim(wanted(key), owner="a", now=NOW, lease_until=NOW + LEASE)
    assert await reminders.abandon([key], now=NOW + LEASE - timedelta(seconds=1)) == 0
    assert await reminders.abandon([key], now=RACE) == 1
    [abandoned] = await reminders.deliveries_of(key.target)
    assert (abandoned.state, abandoned.claimed_until, abandoned.finished_at) == ("missed", None, RACE)
    assert abandoned.error is not None
    assert "maybe sent" in abandoned.error


async def test_deliveries_of_many_sessions_are_found_at_once(backend):
    key = await race_key(backend)
    reminders = backend.reminders
    await reminders.claim(wanted(key), owner="a", now=NOW, lease_until=NOW + LEASE)
    # More ids than SQLite binds in one statement: the store splits them.
    found = await reminders.deliveries_for([*range(10_000_000, 10_001_200), key.session_id])
    assert [d.key for d in found] == [key]
    assert await reminders.deliveries_for([]) == []
    targets = [Target("guild", GUILD), Target("user", GUILD)]
    await reminders.record([w for t in targets for w in wanted(DeliveryKey(t, key.session_id, 5, RACE))], "missed", now=NOW, error="x")
    assert [d.key.lead_minutes for d in await reminders.deliveries_of(Target("guild", GUILD))] == [5, 60]
    assert [d.key.lead_minutes for d in await reminders.deliveries_of(Target("guild", GUILD), limit=1)] == [5]
