"""Faults, against ``fanbot run`` and the local fake Discord (testing/fakediscord).

A reminder burst while Discord answers slowly, fails one message post in ten with a 5xx
or a 429, and the gateway drops twice during it: every reminder lands exactly once, and
none is even sent twice (the fake's nonce check would hide a resend in the channel, so
its dedupes are counted), though the queue outlasts the claims' short lease. The database's write lock held
by another process for a few seconds: commands still answer within Discord's 3 s (the
fake refuses a later answer), reads are not held up behind a waiting write, and a write
that could not get the lock says so and succeeds when asked again.

The bot runs on the real clock, so reminders are placed a few real seconds ahead (their
session start times are set to the second, as tests/e2e/test_end_to_end.py does).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fanbot.bot.rest_budget import RestBudget
from fanbot.calendar_files.catalog import shipped_catalog
from fanbot.domain.localtime import to_iso_utc
from fanbot.domain.model import SessionKind
from fanbot.domain.reminders import ReminderSetup, Target
from fanbot.store import Store
from testing.fakediscord import FakeChannel, FakeDiscord, FakeGuild, RequestRecord
from testing.fanbot_process import TOKEN, kill_fanbot, start_fanbot
from tests.support.process_world import ProcessWorld
from tests.support.reminder_world import weekend

BURST_GUILDS = 40
FIRST_GUILD = 1_400_000_000_000_000_000
MOD_ID = 1_400_000_000_000_000_100
FAN_ID = 1_400_000_000_000_000_101
# With this seed the fake fails message posts 3 (429), 6 (503), 13 (500), 26 (503), 35 (500)
# and 38 (429): all three kinds meet the burst of 40.
FAULT_SEED = 30
# Each message post is answered this late: 40 posts, 16 at a time, take a few seconds, so the
# gateway drops come while reminders are still going out, and the last claims wait for their
# turn longer than the lease below.
POST_DELAY = 0.6
BURST_LEASE_SECONDS = 2


def guild_id(i: int) -> int:
    return FIRST_GUILD + i * 1_000


async def wait_ready(fake: FakeDiscord) -> None:
    """Until the bot's on_ready has run: it then sets its presence (gateway op 3)."""
    await fake.wait_until(
        lambda: any(p.get("op") == 3 for p in fake.gateway.received), 60, "the bot's first presence update"
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord(bot_token=TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


async def place_race_reminder(
    db: Path, guilds: list[FakeGuild], channels: list[FakeChannel], due_in: float
) -> None:
    """A catalog race whose 1-minute reminder falls due ``due_in`` s from now for every guild."""
    store = await Store.open(db, seed=shipped_catalog())
    try:
        await store.import_catalog(
            weekend("burst-race", [("race", "2030-01-01", "12:00")], name="Burst 6 Hours")
        )
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1, seconds=due_in)
        async with store.database.write() as conn:
            await conn.execute(
                "UPDATE sessions SET start_at = ?, sort_at = ?, horizon_at = ? WHERE key = 'race' AND "
                "event_id = (SELECT id FROM events WHERE key = 'burst-race' AND guild_id IS NULL)",
                (to_iso_utc(start), to_iso_utc(start), to_iso_utc(start)),
            )
        for guild, channel in zip(guilds, channels, strict=True):
            setup = ReminderSetup(
                guild_id=guild.id,
                channel_id=channel.id,
                role_id=None,
                series=(),
                kinds=(SessionKind.RACE,),
                leads=(1,),
                green_flag=False,
                since=datetime.now(UTC) - timedelta(hours=1),
            )
            await store.reminders.save_setup(setup, now=datetime.now(UTC))
    finally:
        await store.close()


async def deliveries(db: Path, guilds: list[FakeGuild]) -> dict[int, list[tuple[str, int | None]]]:
    store = await Store.open(db)
    try:
        return {
            g.id: [
                (d.state, d.message_id) for d in await store.reminders.deliveries_of(Target("guild", g.id))
            ]
            for g in guilds
        }
    finally:
        await store.close()


def message_posts(fake: FakeDiscord) -> list[RequestRecord]:
    """The bot's message posts that Discord took: answered 200, not a dropped repeat."""
    return [
        r
        for r in fake.requests
        if r.method == "POST"
        and r.path.startswith("/channels/")
        and r.status == 200
        and not r.deduped
        and r.answered_at is not None
    ]


async def test_a_reminder_burst_through_server_errors_rate_limits_and_dropped_gateways_posts_each_once(
    fake, tmp_path
):
    guilds = [fake.add_guild(guild_id(i), name=f"Fans {i}") for i in range(BURST_GUILDS)]
    channels = [g.add_text_channel(g.id + 1, "race-reminders") for g in guilds]
    db = tmp_path / "fanbot.sqlite3"
    # Armed before anything can be due, for message posts only (start-up is left alone).
    fake.fail_ratio(
        0.10, statuses=(500, 503, 429), seed=FAULT_SEED, method="POST", path_glob="/channels/*/messages"
    )
    fake.delay("POST", "/channels/*/messages", POST_DELAY)
    await place_race_reminder(db, guilds, channels, due_in=6)
    bot = await start_fanbot(fake, db, FANBOT_REMINDER_LEASE_SECONDS=str(BURST_LEASE_SECONDS))
    drops: list[float] = []
    try:
        await wait_ready(fake)
        await fake.wait_until(lambda: len(message_posts(fake)) >= 1, 30, "the first reminder")
        drops.append(time.monotonic())
        assert await fake.drop_websocket() == 1
        await fake.wait_until(lambda: fake.gateway.resumes >= 1, 30, "the bot's RESUME")
        await fake.wait_until(
            lambda: len(message_posts(fake)) >= BURST_GUILDS // 2, 30, "half of the reminders"
        )
        drops.append(time.monotonic())
        assert await fake.drop_websocket() == 1
        await fake.wait_until(lambda: fake.gateway.resumes >= 2, 30, "the bot's second RESUME")
        await fake.wait_until(
            lambda: all(len(fake.messages_in(c)) >= 1 for c in channels), 60, "a reminder in every channel"
        )
        for _ in range(300):  # each is recorded as sent once Discord's answer came back
            states = await deliveries(db, guilds)
            if all(len(rows) == 1 and rows[0][0] == "sent" for rows in states.values()):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # a second post of anything would show up now
    finally:
        await kill_fanbot(bot)
    failed_posts = [r for r in fake.requests if r.path.startswith("/channels/") and r.fault]
    assert failed_posts, "the fault injection did not reach the reminder posts"
    assert {int(str(r.fault).split()[-1]) for r in failed_posts} == {500, 503, 429}
    # Both drops came while reminders were still going out.
    accepted = message_posts(fake)
    assert min(r.time for r in accepted) < drops[0] < drops[1] < max(r.answered_at or 0 for r in accepted)
    # Nothing was sent twice: every nonce reached Discord once, bar the posts that failed
    # (nothing stored), and the fake never had to drop a repeat.
    tries: dict[str, int] = {}
    for r in fake.requests_to("POST", "/channels/*/messages"):
        if not r.fault:
            nonce = str((r.json or {}).get("nonce"))
            tries[nonce] = tries.get(nonce, 0) + 1
    assert fake.nonce_dedupes == 0
    assert sorted(tries.values()) == [1] * BURST_GUILDS
    for guild, channel in zip(guilds, channels, strict=True):
        [posted] = fake.messages_in(channel)
        assert "Burst 6 Hours" in posted["content"]
        assert states[guild.id] == [("sent", int(posted["id"]))]


# ------------------------------------------------------------------ the write lock


@pytest.fixture
async def lock_world(fake, tmp_path) -> AsyncIterator[ProcessWorld]:
    world = ProcessWorld.build(
        fake,
        tmp_path / "fanbot.sqlite3",
        guild_id=guild_id(0),
        general_id=guild_id(0) + 1,
        reminders_id=guild_id(0) + 2,
        mod_id=MOD_ID,
        fan_id=FAN_ID,
    )
    store = await Store.open(world.db, seed=shipped_catalog())
    try:  # a race still to come, for /remindme
        day = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
        await store.import_catalog(
            weekend("club-race", [("race", day, "15:00")], name="Club 6 Hours"), guild_id=world.guild.id
        )
    finally:
        await store.close()
    bot = await start_fanbot(fake, world.db)
    try:
        await wait_ready(fake)
        yield world
    finally:
        await kill_fanbot(bot)


class WriteLock:
    """Another process's write transaction (``BEGIN IMMEDIATE``) on the bot's database file."""

    def __init__(self, db: Path) -> None:
        self.conn = sqlite3.connect(db, timeout=5, isolation_level=None)

    def __enter__(self) -> WriteLock:
        self.conn.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


async def stored_setup(db: Path, guild: FakeGuild) -> ReminderSetup | None:
    store = await Store.open(db)
    try:
        return await store.reminders.setup(guild.id)
    finally:
        await store.close()


async def test_while_another_process_holds_the_write_lock_reads_answer_and_writes_ask_to_retry_in_time(
    lock_world,
):
    w = lock_world
    with WriteLock(w.db):
        # A write waiting for the lock and a read at the same moment: the read is answered
        # from the database as usual, the write apologises; both within Discord's 3 s
        # (the fake refuses a later answer: slash() would raise InteractionTimeout).
        setup, race = await asyncio.gather(
            w.fake.slash(w.guild, w.general, w.mod, "reminders setup", {"channel": w.reminders}),
            w.fake.slash(w.guild, w.general, w.fan, "race", {"event": "Club 6 Hours"}),
        )
        assert race.embeds
        assert race.embeds[0]["title"].startswith("Club 6 Hours")
        assert setup.ephemeral
        assert "try again" in setup.content
        remind = await w.fake.slash(w.guild, w.general, w.fan, "remindme add", {"event": "Club 6 Hours"})
        assert remind.ephemeral
        assert "try again" in remind.content
    assert await stored_setup(w.db, w.guild) is None  # nothing half-done while it waited

    # The lock released, the same commands go through and are kept.
    setup = await w.fake.slash(w.guild, w.general, w.mod, "reminders setup", {"channel": w.reminders})
    assert "Reminders are on" in str(await setup.wait_final())
    saved = await stored_setup(w.db, w.guild)
    assert saved is not None
    assert saved.channel_id == w.reminders.id
    remind = await w.fake.slash(w.guild, w.general, w.fan, "remindme add", {"event": "Club 6 Hours"})
    assert "I will send you a direct message" in str(await remind.wait_final())
    [confirmation] = w.fake.dm_messages(w.fan)
    assert confirmation["content"].startswith("I will remind you about")


# ------------------------------------------------------------------ the REST budget


async def test_requests_cancelled_while_waiting_for_the_rest_budget_leave_it_whole():
    budget = RestBudget(limit=5, per=0.05)
    budget.spacing = 10.0  # once busy, a request waits long before it may start

    class Http:
        async def request(self, route: object, **kwargs: object) -> str:
            return "answered"

    http = Http()
    budget.install(http)  # type: ignore[arg-type]
    for _ in range(4):  # four fifths out: the next request waits its spacing
        await budget.acquire()
    waiting = [asyncio.create_task(http.request("route")) for _ in range(3)]
    await asyncio.sleep(0.05)  # the first sleeps in its spacing, the others wait their turn
    assert not any(t.done() for t in waiting)
    for task in waiting:
        task.cancel()
    await asyncio.gather(*waiting, return_exceptions=True)
    for _ in range(4):
        budget.release()
    budget.spacing = 0.0
    await asyncio.sleep(0.1)  # the four permits are back
    # The whole budget, none lost to the cancelled requests.
    async with asyncio.timeout(1):
        for _ in range(5):
            await budget.acquire()
    for _ in range(5):
        budget.release()
    assert await http.request("route") == "answered"
