"""Turns to IDENTIFY, shared by the processes of a sharded bot: at most one identify per
bucket in any 5 seconds, whichever process asks (``Store.take_identify_turn``). The rule
is the store's and takes ``now``; waiting is the bot's."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

from fanbot.domain.localtime import parse_instant
from fanbot.store import Store
from tests.contract.conftest import Target

T0 = parse_instant("2026-03-01T12:00:00Z")


def at(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


async def test_the_first_identify_of_a_bucket_takes_its_turn_at_once(empty_backend: Store) -> None:
    turn = await empty_backend.take_identify_turn(0, now=T0)

    assert turn.taken
    assert turn.wait == timedelta(0)


async def test_a_second_identify_within_5_seconds_waits_the_rest_of_them(empty_backend: Store) -> None:
    await empty_backend.take_identify_turn(0, now=T0)

    too_soon = await empty_backend.take_identify_turn(0, now=T0 + at(1.5))
    on_time = await empty_backend.take_identify_turn(0, now=T0 + at(1.5) + too_soon.wait)

    assert not too_soon.taken
    assert too_soon.wait == at(3.5)
    assert on_time.taken


async def test_buckets_take_turns_apart(empty_backend: Store) -> None:
    first = await empty_backend.take_identify_turn(0, now=T0)
    other_bucket = await empty_backend.take_identify_turn(1, now=T0 + at(0.1))
    same_bucket = await empty_backend.take_identify_turn(0, now=T0 + at(0.2))

    assert first.taken
    assert other_bucket.taken
    assert not same_bucket.taken


async def test_a_turn_is_never_taken_less_than_5_seconds_after_the_last(empty_backend: Store) -> None:
    """Instants between whole seconds (the store keeps whole seconds): a turn is written
    down rounded up, so the next one can only come later, never earlier."""
    taken: list[float] = []
    t = 0.3
    while t < 40:
        turn = await empty_backend.take_identify_turn(0, now=T0 + at(t))
        if turn.taken:
            taken.append(t)
        t = round(t + 0.45, 2)

    gaps = [b - a for a, b in itertools.pairwise(taken)]
    assert len(taken) >= 6
    assert min(gaps) >= 5.0
    # Rounding up costs at most a second and a step of the asking.
    assert max(gaps) <= 5.0 + 1.0 + 0.45


async def test_a_refused_turn_changes_nothing(empty_backend: Store) -> None:
    await empty_backend.take_identify_turn(0, now=T0)

    for step in range(1, 10):
        refused = await empty_backend.take_identify_turn(0, now=T0 + at(step * 0.4))
        assert not refused.taken

    # Still counted from the first identify, not from the refusals.
    assert (await empty_backend.take_identify_turn(0, now=T0 + at(5))).taken


async def test_another_process_sees_the_turn_taken_and_waits_for_it(empty_target: Target) -> None:
    first = await Store.open(empty_target)
    second = await Store.open(empty_target)
    try:
        mine = await first.take_identify_turn(0, now=T0)
        theirs = await second.take_identify_turn(0, now=T0 + at(2))
        later = await second.take_identify_turn(0, now=T0 + at(2) + theirs.wait)
    finally:
        await first.close()
        await second.close()

    assert mine.taken
    assert not theirs.taken
    assert theirs.wait == at(3)
    assert later.taken


async def test_processes_asking_at_once_get_one_turn_between_them(empty_target: Target) -> None:
    stores = [await Store.open(empty_target) for _ in range(3)]
    try:
        turns = await asyncio.gather(*(s.take_identify_turn(4, now=T0) for s in stores for _ in range(4)))
    finally:
        for store in stores:
            await store.close()

    assert sum(turn.taken for turn in turns) == 1
    assert {turn.wait for turn in turns if not turn.taken} == {at(5)}
