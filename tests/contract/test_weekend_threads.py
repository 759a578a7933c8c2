"""A thread per race weekend, in the store, on every backend: the setup's flag and its
problem, and the one thread per (guild, event, channel), claimed before it is created."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from fanbot.domain.localtime import parse_instant
from fanbot.domain.model import SessionKind
from fanbot.domain.reminders import ReminderSetup, ThreadClaim
from fanbot.store import Store

GUILD = 1_234_567_890_123_456_789  # Discord ids are 64-bit
CHANNEL = GUILD + 7
THREAD = GUILD + 50
EVENT = 4_321
NOW = parse_instant("2027-06-01T08:00:00Z")
LEASE = timedelta(seconds=60)
KEY = (GUILD, EVENT, CHANNEL)


def setup_of(**changes: object) -> ReminderSetup:
    setup = ReminderSetup(
        guild_id=GUILD,
        channel_id=CHANNEL,
        role_id=None,
        series=(),
        kinds=(SessionKind.QUALIFYING, SessionKind.RACE),
        leads=(60,),
        green_flag=True,
        since=NOW,
    )
    return replace(setup, **changes)  # type: ignore[arg-type]


async def claim(store: Store, owner: str, at: timedelta = timedelta(0)) -> ThreadClaim:
    now = NOW + at
    return await store.weekend_threads.claim(*KEY, owner=owner, now=now, lease_until=now + LEASE)


async def test_the_threads_flag_reads_back_and_its_problem_is_cleared_by_saving_again(backend):
    reminders = backend.reminders
    await reminders.save_setup(setup_of(threads=True), now=NOW)
    assert (await reminders.setup(GUILD)) == setup_of(threads=True)

    await reminders.set_threads_problem(GUILD, "missing: create_public_threads" + "x" * 400)
    troubled = await reminders.setup(GUILD)
    assert troubled is not None
    assert troubled.threads_problem is not None
    assert troubled.threads_problem.startswith("missing: create_public_threads")
    assert len(troubled.threads_problem) == 300
    await reminders.set_threads_problem(GUILD, None)
    assert (await reminders.setup(GUILD)).threads_problem is None

    await reminders.set_threads_problem(GUILD, "missing: send_messages_in_threads")
    await reminders.save_setup(setup_of(threads=False), now=NOW)
    assert (await reminders.setup(GUILD)) == setup_of(threads=False)


async def test_one_process_creates_the_thread_and_the_others_wait_then_post_in_it(backend):
    threads = backend.weekend_threads
    first, second = await asyncio.gather(claim(backend, "a"), claim(backend, "b"))

    assert sorted(c.kind for c in (first, second)) == ["busy", "create"]
    creator = "a" if first.kind == "create" else "b"
    waiting = second if first.kind == "create" else first
    assert waiting.until == NOW + LEASE
    assert not (first if first.kind == "create" else second).retaken
    assert await threads.record(*KEY, THREAD, owner=creator, now=NOW)
    assert await claim(backend, "b") == ThreadClaim("open", thread_id=THREAD)
    assert await claim(backend, "a") == ThreadClaim("open", thread_id=THREAD)
    [row] = await threads.threads_of(GUILD)
    assert (row.thread_id, row.created_at, row.archived_at) == (THREAD, NOW, None)


async def test_a_claim_left_by_a_stopped_process_is_taken_over_and_said_to_be_retaken(backend):
    threads = backend.weekend_threads
    assert (await claim(backend, "dead")).kind == "create"

    assert (await claim(backend, "live", timedelta(seconds=30))).kind == "busy"
    taken = await claim(backend, "live", LEASE)
    assert taken == ThreadClaim("create", retaken=True)
    # The stopped process's late record loses: the claim is no longer its own.
    assert not await threads.record(*KEY, THREAD, owner="dead", now=NOW + LEASE)
    assert await threads.record(*KEY, THREAD + 1, owner="live", now=NOW + LEASE)
    assert (await threads.thread(*KEY)).thread_id == THREAD + 1


async def test_a_failed_create_gives_the_claim_back_or_lapses_it_when_it_may_have_worked(backend):
    threads = backend.weekend_threads
    await claim(backend, "a")
    await threads.release(*KEY, owner="a")
    assert await threads.thread(*KEY) is None
    assert await claim(backend, "b") == ThreadClaim("create")

    await threads.lapse(*KEY, owner="b", now=NOW)
    # Lapsed at once: whoever asks next (the same process too) looks for it first.
    assert await claim(backend, "b") == ThreadClaim("create", retaken=True)
    await threads.lapse(*KEY, owner="b", now=NOW)
    assert await claim(backend, "c") == ThreadClaim("create", retaken=True)


async def test_archived_threads_leave_the_open_list_and_come_back_when_posted_in_again(backend):
    threads = backend.weekend_threads
    await claim(backend, "a")
    await threads.record(*KEY, THREAD, owner="a", now=NOW)
    other = (GUILD, EVENT + 1, CHANNEL)
    await threads.claim(*other, owner="a", now=NOW, lease_until=NOW + LEASE)
    assert [t.event_id for t in await threads.open_threads()] == [EVENT]  # not the unrecorded one

    await threads.mark_archived(*KEY, now=NOW + timedelta(days=1))
    assert await threads.open_threads() == []
    assert (await threads.thread(*KEY)).archived_at == NOW + timedelta(days=1)
    # A reminder of the postponed race reopens it: the pass must archive it again.
    assert await claim(backend, "a", timedelta(days=8)) == ThreadClaim("open", thread_id=THREAD)
    assert [t.thread_id for t in await threads.open_threads()] == [THREAD]


async def test_a_deleted_thread_stays_gone_and_a_forgotten_one_is_created_again(backend):
    threads = backend.weekend_threads
    await claim(backend, "a")
    await threads.record(*KEY, THREAD, owner="a", now=NOW)
    await threads.mark_gone(*KEY, now=NOW)

    assert await claim(backend, "a") == ThreadClaim("gone", thread_id=THREAD)
    assert await threads.open_threads() == []
    await threads.forget(*KEY)
    assert await claim(backend, "a") == ThreadClaim("create")
